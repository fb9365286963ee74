import type { ConnList, ListLinks } from './conn-list.js';
import type { OutOfOrderBuffer } from './ooo-buffer.js';
import type { ConnectionInfo, Direction, Endpoint, StreamConsumer, TcpPacketInfo } from './types.js';

/**
 * Sequence state of one direction of a connection (what gopacket calls a half connection). All sequence numbers
 * are u32; compare them only with seqDiff.
 */
export class HalfStream {
  /** A sequence number is known for this direction (SYN seen, or midstream: its first packet). */
  started = false;
  /** Next byte to deliver, in order. Everything before it was delivered or reported as a gap. */
  nextSeq = 0;
  /** ISN of this side (valid when isnKnown): from its SYN, or from the ACK number of the peer's SYN-ACK. */
  isn = 0;
  isnKnown = false;
  /** This side's SYN (client) or SYN-ACK (server) was seen. */
  synSeen = false;
  /** Midstream, before the first data: highest sequence number of this side's bare ACKs (see midstreamStart). */
  ackOnlySeq = 0;
  ackOnlyValid = false;
  /** This side sent a packet without SYN (an ACK, data, FIN): used for midstream `established`. */
  sawNonSyn = false;
  finSeen = false;
  /** Sequence number the FIN occupies (the end of this direction's data). */
  finSeq = 0;
  /** The FIN was reached in order: this direction is complete. */
  finished = false;
  /** Highest ACK the other side sent for this direction's bytes (valid when ackValid). */
  ackedByPeer = 0;
  ackValid = false;
  /** Out-of-order data; created on first use (most directions never need one). */
  buf: OutOfOrderBuffer | null = null;

  constructor(
    readonly conn: TcpConnection,
    readonly dir: Direction,
  ) {}

  /** Bytes buffered out of order. */
  get bufferedBytes(): number {
    return this.buf === null ? 0 : this.buf.bytes;
  }
}

/**
 * One TCP connection. Implements the public ConnectionInfo (what consumers and alerts see); the rest is the
 * reassembler's bookkeeping and is not part of the contract.
 */
export class TcpConnection implements ConnectionInfo, ListLinks<TcpConnection> {
  readonly client: Endpoint;
  readonly server: Endpoint;
  // Flat copies of the endpoints for the table's tuple comparison (one property load each on the hot path).
  readonly clientIp: string;
  readonly clientPort: number;
  readonly serverIp: string;
  readonly serverPort: number;

  /** Table hash bucket and chain. */
  hashNext: TcpConnection | null = null;
  // LRU / expiry list links (see ConnList).
  list: ConnList<TcpConnection> | null = null;
  prev: TcpConnection | null = null;
  next: TcpConnection | null = null;
  /** Packet time of the last packet (monotone reassembler clock). */
  lastUs: number;

  established = false;
  closed = false;
  /** False once the consumer declined payload: no more buffering or delivery. */
  payloadOn = true;
  consumer: StreamConsumer = NULL_CONSUMER;

  readonly c2s: HalfStream;
  readonly s2c: HalfStream;
  /** The per-packet answers, one per direction, updated in place (no allocation per packet). */
  readonly info0: TcpPacketInfo;
  readonly info1: TcpPacketInfo;

  constructor(
    readonly id: number,
    readonly hash: number,
    clientIp: string,
    clientPort: number,
    serverIp: string,
    serverPort: number,
    readonly ipVersion: 4 | 6,
    readonly startTsUs: number,
    readonly midstream: boolean,
    nowUs: number,
  ) {
    this.clientIp = clientIp;
    this.clientPort = clientPort;
    this.serverIp = serverIp;
    this.serverPort = serverPort;
    this.client = { ip: clientIp, port: clientPort };
    this.server = { ip: serverIp, port: serverPort };
    this.lastUs = nowUs;
    this.c2s = new HalfStream(this, 0);
    this.s2c = new HalfStream(this, 1);
    this.info0 = { conn: this, dir: 0, established: false };
    this.info1 = { conn: this, dir: 1, established: false };
  }

  half(dir: Direction): HalfStream {
    return dir === 0 ? this.c2s : this.s2c;
  }
}

/** Placeholder until the factory has produced the real consumer (never receives data). */
const NULL_CONSUMER: StreamConsumer = {
  onData() {},
  onGap() {},
  onClose() {},
  wantsPayload: () => false,
};
