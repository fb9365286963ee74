import type { CloseReason } from './types.js';

/** Why a hole in a stream was given up on and reported through `onGap`. */
export type GapCause = 'ack' | 'ahead' | 'limit' | 'memory' | 'close';

/** Counters of the reassembler (a snapshot: `TcpReassembler.stats()` returns a fresh copy). */
export interface ReassemblyStats {
  /** TCP packets given to process(). */
  packets: number;
  /** Packets that were not TCP (no TCP header): ignored. */
  nonTcp: number;
  /** SYN+RST or SYN+FIN: never valid, ignored (scanners and evasion tools send them). */
  invalidFlags: number;

  connectionsOpened: number;
  /** Connections open now (not closed). */
  connectionsActive: number;
  /** Closed connections still in the table absorbing trailing packets. */
  connectionsLingering: number;
  connectionsClosed: Record<CloseReason, number>;
  /** Connections picked up without their SYN. */
  midstreamPickups: number;
  /** Packets of unknown connections without SYN dropped because midstream pickup is off. */
  midstreamIgnored: number;
  /** A new SYN on a tuple still in use ended the old connection (reason 'evicted') and started a new one. */
  portReuse: number;
  /** Live connections evicted because the table was full (reason 'evicted'). */
  lruEvictions: number;
  /** RST for a tuple with no connection: ignored (no connection is created for it). */
  rstWithoutConnection: number;
  /** RST whose sequence number was outside rstSeqWindowBytes: ignored. */
  rstIgnored: number;
  /** FIN whose sequence number is behind the delivered data or too far ahead: ignored. */
  finIgnored: number;
  /** Packets on a closed connection during its linger time (absorbed). */
  packetsAfterClose: number;

  /** Payload bytes handed to onData. */
  bytesDelivered: number;
  /** Holes reported through onGap, and their total length. */
  gaps: number;
  gapBytes: number;
  gapsByCause: Record<GapCause, number>;
  /** Segments entirely before the next expected byte (already delivered), and bytes of such data. */
  retransmittedSegments: number;
  retransmittedBytes: number;
  /** Bytes that overlapped buffered, undelivered data (discarded: first data wins). */
  overlapBytes: number;
  /** Overlaps whose bytes differed from the data kept (possible evasion). */
  overlapConflicts: number;
  /** Payload bytes beyond the sequence number of the direction's FIN: discarded. */
  dataAfterFin: number;

  /** Segments that arrived beyond a hole and were buffered. */
  outOfOrderSegments: number;
  /** Out-of-order bytes buffered now, across all connections (the reassembler's payload memory). */
  bufferedBytes: number;
  bufferedBytesPeak: number;
  /** Buffers flushed (with a gap) because maxBufferedBytesTotal was exceeded. */
  memoryEvictions: number;

  /** Connections whose consumer said wantsPayload() === false. */
  payloadDroppedConnections: number;
  /** Buffered bytes thrown away when a consumer stopped wanting payload. */
  payloadDiscardedBytes: number;
  /** Payload bytes of connections that no longer want payload (seen, not delivered). */
  payloadSkippedBytes: number;

  /** Exceptions thrown by consumers (the connection's payload is then dropped); the last message is kept. */
  consumerErrors: number;
  lastConsumerError: string | null;
}

export function emptyStats(): ReassemblyStats {
  return {
    packets: 0,
    nonTcp: 0,
    invalidFlags: 0,
    connectionsOpened: 0,
    connectionsActive: 0,
    connectionsLingering: 0,
    connectionsClosed: { fin: 0, rst: 0, idle: 0, evicted: 0, end_of_input: 0 },
    midstreamPickups: 0,
    midstreamIgnored: 0,
    portReuse: 0,
    lruEvictions: 0,
    rstWithoutConnection: 0,
    rstIgnored: 0,
    finIgnored: 0,
    packetsAfterClose: 0,
    bytesDelivered: 0,
    gaps: 0,
    gapBytes: 0,
    gapsByCause: { ack: 0, ahead: 0, limit: 0, memory: 0, close: 0 },
    retransmittedSegments: 0,
    retransmittedBytes: 0,
    overlapBytes: 0,
    overlapConflicts: 0,
    dataAfterFin: 0,
    outOfOrderSegments: 0,
    bufferedBytes: 0,
    bufferedBytesPeak: 0,
    memoryEvictions: 0,
    payloadDroppedConnections: 0,
    payloadDiscardedBytes: 0,
    payloadSkippedBytes: 0,
    consumerErrors: 0,
    lastConsumerError: null,
  };
}
