import { type CaptureFormat, type FormatHost, hex32 } from './format.js';
import { PCAP_MAGIC_NS, PCAP_MAGIC_US, PcapFormat } from './pcap.js';
import { PCAPNG_SHB, PcapngFormat } from './pcapng.js';
import { CaptureError, type RawFrame } from './types.js';

/**
 * A push parser for capture files: feed it the bytes of a pcap or pcapng file in chunks of any size (file reads,
 * stdin, an HTTP body) and it calls `onFrame` synchronously for every frame, then `end()`.
 *
 * Buffering: records that lie wholly inside a chunk are delivered as views into that chunk (no copy). Only a record
 * that straddles two chunks is copied — just its own bytes — into one of two small carry buffers, which alternate so
 * that the frames delivered during one `push` stay valid until the next `push`.
 *
 * VALIDITY OF FRAMES: `frame.data` is valid until the next call to `push()` or `end()`, and only as long as the
 * caller does not overwrite the chunk it passed in. Copy the bytes to keep them longer.
 *
 * Errors are not thrown: the first problem (unknown format, absurd length, input ending mid-record) stops the parser
 * and is kept in `error` as a CaptureError naming the byte offset of the damaged unit; every frame before it has
 * been delivered. `push` and `end` return false from then on.
 */
export interface CaptureParserOptions {
  /** Largest captured length accepted for one frame (default 262144, libpcap's and Wireshark's limit). */
  maxCaplen?: number;
}

export const DEFAULT_MAX_CAPLEN = 262144;

export type CaptureFormatName = 'pcap' | 'pcapng';

export class CaptureParser implements FormatHost {
  /** The first error; null while the input is good. */
  error: CaptureError | null = null;
  /** Bytes pushed so far (the offset of the next byte in the — decompressed — file). */
  bytesIn = 0;
  private fmt: CaptureFormat | null = null;
  private readonly maxCaplen: number;
  private readonly carry: [Uint8Array, Uint8Array] = [new Uint8Array(0), new Uint8Array(0)];
  private carryDv: [DataView, DataView] = [new DataView(this.carry[0].buffer), new DataView(this.carry[1].buffer)];
  private which = 0;
  private carryLen = 0;
  /** Total length of the unit in carry (0 while its header is incomplete). */
  private carryNeed = 0;
  /** Absolute offset of the unit being carried or skipped. */
  private unitStart = 0;
  /** Bytes still to skip of a unit the format does not need (and its total length, for the error message). */
  private skip = 0;
  private skipLen = 0;
  private ended = false;

  constructor(
    /** File name used in errors ("-" or "<stdin>" for standard input). */
    readonly file: string,
    private readonly onFrame: (frame: RawFrame) => void,
    opts: CaptureParserOptions = {},
  ) {
    this.maxCaplen = opts.maxCaplen ?? DEFAULT_MAX_CAPLEN;
  }

  /** 'pcap' or 'pcapng' once the first bytes were seen. */
  get format(): CaptureFormatName | null {
    if (this.fmt === null) return null;
    return this.fmt instanceof PcapFormat ? 'pcap' : 'pcapng';
  }

  /** Frames delivered so far. */
  get frames(): number {
    return this.fmt === null ? 0 : this.fmt.frames;
  }

  /** Offset up to which the input has been fully processed (the start of the unit still pending, if any). */
  get offset(): number {
    return this.carryLen > 0 || this.skip > 0 ? this.unitStart : this.bytesIn;
  }

  /** pcap: the snaplen from the file header (pcapng interfaces each have their own). */
  get snaplen(): number | null {
    return this.fmt instanceof PcapFormat && this.fmt.linkType >= 0 ? this.fmt.snaplen : null;
  }

  /** pcap: the file's link type (frames carry their own, which is what matters for pcapng). */
  get linkType(): number | null {
    return this.fmt instanceof PcapFormat && this.fmt.linkType >= 0 ? this.fmt.linkType : null;
  }

  fail(offset: number, reason: string): void {
    if (this.error === null) this.error = new CaptureError(this.file, offset, reason);
  }

  emit(frame: RawFrame): void {
    this.onFrame(frame);
  }

  /** Feed the next bytes of the file. False once the input is known to be bad (see `error`). */
  push(chunk: Uint8Array): boolean {
    if (this.error !== null || this.ended) return this.error === null;
    const n = chunk.length;
    if (n === 0) return true;
    const base = this.bytesIn;
    this.bytesIn += n;
    let pos = 0;
    if (this.skip > 0) {
      const k = Math.min(this.skip, n);
      this.skip -= k;
      pos = k;
      if (this.skip > 0) return true;
      this.unitStart += this.skipLen;
    }
    if (this.carryLen > 0 || this.fmt === null) {
      pos = this.completeCarry(chunk, pos, base);
      if (pos < 0) return false;
      if (pos === n) return true;
    }
    const fmt = this.fmt!;
    const dv = new DataView(chunk.buffer, chunk.byteOffset, n);
    const stop = fmt.run(chunk, dv, pos, n, base);
    if (stop < 0) return false;
    if (stop < n) {
      const need = fmt.pendingLen;
      if (need > 0 && fmt.skippable) {
        this.unitStart = base + stop;
        this.skipLen = need;
        this.skip = need - (n - stop);
      } else this.stash(chunk, stop, n, base, need);
    }
    return true;
  }

  /**
   * The input is complete. Returns true when it ended cleanly on a unit boundary; otherwise sets `error` (empty input,
   * input ending inside a header or a record) and returns false.
   */
  end(): boolean {
    if (this.error !== null) return false;
    if (this.ended) return true;
    this.ended = true;
    const fmt = this.fmt;
    if (fmt === null) {
      if (this.bytesIn === 0) this.fail(0, 'empty input: no capture file header');
      else this.fail(0, `input ends after ${this.bytesIn} bytes, before a capture file header could be recognised`);
    } else if (this.skip > 0) {
      this.fail(this.unitStart, fmt.truncatedUnit(this.skipLen - this.skip, this.skipLen));
    } else if (this.carryLen > 0) {
      if (this.carryNeed === 0) this.fail(this.unitStart, fmt.truncatedHeader(this.carryLen));
      else this.fail(this.unitStart, fmt.truncatedUnit(this.carryLen, this.carryNeed));
    }
    return this.error === null;
  }

  /** Keep buf[from, to) — the start of a unit `need` bytes long (0 = unknown yet) — for the next push. */
  private stash(buf: Uint8Array, from: number, to: number, base: number, need: number): void {
    const k = to - from;
    this.ensureCarry(Math.max(k, need));
    this.carry[this.which].set(buf.subarray(from, to), 0);
    this.carryLen = k;
    this.carryNeed = need;
    this.unitStart = base + from;
  }

  private ensureCarry(size: number): void {
    const cur = this.carry[this.which];
    if (cur.length >= size) return;
    let cap = Math.max(65536, cur.length);
    while (cap < size) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(cur.subarray(0, this.carryLen), 0);
    this.carry[this.which] = next;
    this.carryDv[this.which] = new DataView(next.buffer);
  }

  private append(chunk: Uint8Array, pos: number, want: number): number {
    const k = Math.min(want, chunk.length - pos);
    if (k <= 0) return pos;
    this.ensureCarry(this.carryLen + k);
    this.carry[this.which].set(chunk.subarray(pos, pos + k), this.carryLen);
    this.carryLen += k;
    return pos + k;
  }

  /**
   * Complete the unit whose first bytes are in carry with bytes from the front of `chunk` (also recognises the format
   * from the first 4 bytes of the input). Returns the position in `chunk` after the bytes used, or -1 on error.
   */
  private completeCarry(chunk: Uint8Array, pos: number, base: number): number {
    if (this.carryLen === 0) this.unitStart = base + pos;
    if (this.fmt === null) {
      pos = this.append(chunk, pos, 4 - this.carryLen);
      if (this.carryLen < 4) return pos;
      if (!this.detect(this.carry[this.which])) return -1;
    }
    const fmt = this.fmt!;
    if (this.carryNeed === 0) {
      pos = this.append(chunk, pos, fmt.headerLen - this.carryLen);
      if (this.carryLen < fmt.headerLen) return pos;
      const len = fmt.unitLength(this.carry[this.which], this.carryDv[this.which], 0, this.unitStart);
      if (len < 0) return -1;
      const rest = chunk.length - pos;
      if (fmt.skippable && len > this.carryLen + rest) {
        this.skipLen = len;
        this.skip = len - this.carryLen - rest;
        this.carryLen = 0;
        return chunk.length;
      }
      this.carryNeed = len;
    }
    pos = this.append(chunk, pos, this.carryNeed - this.carryLen);
    if (this.carryLen < this.carryNeed) return pos;
    const len = this.carryNeed;
    if (!fmt.consume(this.carry[this.which], this.carryDv[this.which], 0, len, this.unitStart)) return -1;
    this.carryLen = 0;
    this.carryNeed = 0;
    this.unitStart += len;
    // Frames just delivered point into this buffer: the next stash must use the other one.
    this.which ^= 1;
    return pos;
  }

  private detect(head: Uint8Array): boolean {
    const be = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
    const le = ((head[3] << 24) | (head[2] << 16) | (head[1] << 8) | head[0]) >>> 0;
    if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS || le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS) {
      this.fmt = new PcapFormat(this, this.maxCaplen);
      return true;
    }
    if (be === PCAPNG_SHB) {
      this.fmt = new PcapngFormat(this, this.maxCaplen);
      return true;
    }
    this.fail(0, describeUnknownMagic(head, be));
    return false;
  }
}

function describeUnknownMagic(head: Uint8Array, be: number): string {
  const shown = Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  if (head[0] === 0x1f && head[1] === 0x8b) {
    return 'input is gzip-compressed: decompress it first (openCapture and readCaptureStream do)';
  }
  if (be === 0x504b0304) return 'input is a ZIP archive, not a capture file: extract the capture first';
  if (be === 0xa1b2cd34 || be === 0x34cdb2a1) {
    return `unsupported pcap variant (magic ${hex32(be)}, Kuznetzov's modified pcap): convert it with editcap -F pcap`;
  }
  return `unknown file format: first bytes ${shown} are not a pcap (a1b2c3d4 / a1b23c4d, either byte order), pcapng (0a0d0d0a) or gzip (1f 8b) magic`;
}
