/**
 * The narrow interface between the TCP reassembler and whatever consumes the two byte streams of a
 * connection (modelled on gopacket/reassembly's Stream/StreamFactory). The reassembler owns ordering,
 * overlap policy, buffering limits and eviction; the consumer sees only in-order bytes, gaps and the end.
 */

/** 0 = client→server (the initiator), 1 = server→client. */
export type Direction = 0 | 1;

export interface Endpoint {
  ip: string;
  port: number;
}

export interface ConnectionInfo {
  /** Stable for the life of the connection within one engine; also used as the EVE flow_id. */
  readonly id: number;
  readonly client: Endpoint;
  readonly server: Endpoint;
  readonly ipVersion: 4 | 6;
  /** Packet time of the first packet seen. */
  readonly startTsUs: number;
  /** True when the three-way handshake was not seen (sensor started mid-connection). */
  readonly midstream: boolean;
  /** Snort's `flow:established` for this connection now (see TcpPacketInfo.established). */
  readonly established: boolean;
}

export type CloseReason = 'fin' | 'rst' | 'idle' | 'evicted' | 'end_of_input';

export interface StreamConsumer {
  /** Bytes of one direction, in order, each byte delivered once. `data` is a view: copy to keep. */
  onData(dir: Direction, data: Uint8Array, tsUs: number): void;
  /** `length` bytes of `dir` will never arrive (lost segments, overflowed buffer). Delivery resumes after the hole. */
  onGap(dir: Direction, length: number, tsUs: number): void;
  /** The connection is over; no further calls follow. */
  onClose(reason: CloseReason, tsUs: number): void;
  /**
   * Polled by the reassembler before buffering/delivering payload: false means "not interesting" (e.g. not
   * DCE/RPC), and the reassembler stops buffering this connection's payload (it still tracks FIN/RST and counts).
   */
  wantsPayload(): boolean;
}

export interface StreamFactory {
  /** Called once per new connection, on its first packet. */
  newConsumer(conn: ConnectionInfo): StreamConsumer;
}

/** What the reassembler tells the caller about each TCP packet it accepted (for packet-level rules). */
export interface TcpPacketInfo {
  conn: ConnectionInfo;
  dir: Direction;
  /** Handshake completed (or midstream pickup with traffic both ways): Snort's `flow:established`. */
  established: boolean;
}
