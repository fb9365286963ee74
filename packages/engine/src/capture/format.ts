import type { RawFrame } from './types.js';

/**
 * What a capture format (classic pcap, pcapng) tells the chunk driver in `parser.ts`. The driver owns buffering across
 * chunk boundaries; a format only ever sees whole "units" (the pcap file header, one pcap record, one pcapng block) in
 * one contiguous buffer, so it can read fixed offsets with a DataView and never has to resume mid-field.
 *
 * Contract: `unitLength` is called with at least `headerLen` bytes at `pos` and returns the unit's total length (or
 * -1 after calling `fail`). `consume` is then called once with all `len` bytes. A format may set `skippable` in
 * `unitLength` when the unit's content is irrelevant (unknown pcapng blocks): the driver then skips a unit that does
 * not fit in the current chunk instead of buffering it.
 */
export interface FormatHost {
  /** Record the error that ends the file; everything before `offset` has been delivered. */
  fail(offset: number, reason: string): void;
  /** Deliver one frame (synchronously; `frame.data` is a view valid until the next `push`). */
  emit(frame: RawFrame): void;
}

export abstract class CaptureFormat {
  /** Bytes needed at the start of a unit to know its length. */
  headerLen = 0;
  /** Set by `unitLength`: the measured unit may be skipped unread. */
  skippable = false;
  /** Frames delivered so far. */
  frames = 0;

  constructor(
    protected readonly host: FormatHost,
    /** Largest accepted captured length of one frame. */
    protected readonly maxCaplen: number,
  ) {}

  abstract unitLength(buf: Uint8Array, dv: DataView, pos: number, abs: number): number;
  /** Process one whole unit; false after `fail`. */
  abstract consume(buf: Uint8Array, dv: DataView, pos: number, len: number, abs: number): boolean;
  /** "file ends inside …" message when the input stops before `headerLen` bytes of a unit (k present). */
  abstract truncatedHeader(present: number): string;
  /** "file ends inside …" message when the input stops inside the unit last measured by `unitLength`. */
  abstract truncatedUnit(present: number, len: number): string;

  /**
   * Process every complete unit in buf[pos, end). Returns the position of the first incomplete unit (== end when
   * everything was used), or -1 after `fail`. Sets `pendingLen` to the length of that incomplete unit when its header
   * was readable (0 otherwise). Formats override this with a specialised loop for their hot record type.
   */
  run(buf: Uint8Array, dv: DataView, pos: number, end: number, base: number): number {
    this.pendingLen = 0;
    const h = this.headerLen;
    while (end - pos >= h) {
      const len = this.unitLength(buf, dv, pos, base + pos);
      if (len < 0) return -1;
      if (len > end - pos) {
        this.pendingLen = len;
        return pos;
      }
      if (!this.consume(buf, dv, pos, len, base + pos)) return -1;
      pos += len;
    }
    return pos;
  }

  pendingLen = 0;
}

/** "1 byte" / "3 bytes" */
export function bytes(n: number): string {
  return n === 1 ? '1 byte' : `${n} bytes`;
}

export function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
}
