/**
 * What a capture reader yields: one link-layer frame with its timestamp, still undecoded.
 * Readers are streaming (async iterables over chunks); a frame's `data` may be a view into a
 * reader-owned buffer that is reused after the consumer's iteration step, so consumers that keep
 * bytes must copy them.
 */
export interface RawFrame {
  /** Packet time in microseconds since the Unix epoch (ns-resolution files are rounded down). */
  tsUs: number;
  /** DLT / LINKTYPE value of the interface that captured the frame (1 Ethernet, 113 SLL, 276 SLL2, 101 raw, 0 null…). */
  linkType: number;
  /** Captured bytes (may be shorter than origLen when the snaplen cut it). */
  data: Uint8Array;
  /** Length of the frame on the wire. */
  origLen: number;
  /** pcapng interface id (0 for classic pcap). */
  ifIndex: number;
  /** Byte offset of the record in the (decompressed) file, for error reports and progress. */
  fileOffset: number;
}

/** A capture file that could not be read completely: everything before `offset` was yielded. */
export class CaptureError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${file}: at byte ${offset}: ${reason}`);
    this.name = 'CaptureError';
  }
}
