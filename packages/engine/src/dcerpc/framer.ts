/**
 * PduFramer: cuts one direction of a TCP byte stream into whole DCE/RPC PDUs.
 *
 * A connection-oriented DCE/RPC stream is a sequence of PDUs delimited only by frag_length (header bytes 8-9): one
 * segment can carry several PDUs (Windows packs 2–3 responses in a frame) and one PDU can span many segments (5840-
 * byte fragments over a 1460-byte MSS). The framer takes in-order bytes from the TCP reassembler (`push`) and hands
 * each complete PDU to its sink:
 *
 *   - zero-copy when a PDU lies inside one pushed chunk (the sink gets a subarray of that chunk);
 *   - otherwise only the partial PDU is buffered (at most frag_length <= maxFragLength bytes per direction) and
 *     delivered from the framer's buffer once complete.
 *
 * Either way the PDU view is valid only during the sink call: copy to keep.
 *
 * Modes:
 *   PROBE  first bytes of the direction: must look like a PDU that can open it (header.ts FIRST_PDU_*); a miss
 *          either kills the direction (verdict 'no') or starts a bounded hunt (midstream pickup, leading gap).
 *   SYNC   at a PDU boundary or inside a buffered partial PDU; every header is checked (framingProblem): a bad one
 *          is reported and the framer hunts from the next byte.
 *   SKIP   after a gap inside a PDU whose frag_length we know: skip its remaining bytes, then SYNC at the boundary.
 *   HUNT   search for the next plausible header (probeHeader with the stricter per-PTYPE checks, plus a look at the
 *          header that the candidate's frag_length points to when those bytes are present) — Suricata's
 *          search_dcerpc_record after a gap, made stricter so random `05 00` pairs in stub data do not fool it.
 *   DEAD   the direction is not DCE/RPC (probe failed, or the hunt exhausted its byte budget): bytes are counted
 *          and dropped.
 *
 * Between chunks the hunt keeps at most 15 bytes (a header prefix), so hunting costs no buffer memory.
 */
import type { Direction } from '../tcp/types.js';
import {
  ANY_CO_PTYPE,
  framingProblem,
  HEADER_LENGTH,
  MAX_FRAG_LENGTH,
  PROBE_LENGTH,
  PROBE_NEED_MORE,
  PROBE_YES,
  peekFragLength,
  probeHeader,
} from './header.js';
import type { FramerProblemKind } from './problem.js';

export interface FramerSink {
  /** One whole PDU (pdu.length === frag_length). A view: valid only during this call. */
  onFramedPdu(dir: Direction, pdu: Uint8Array, tsUs: number): void;
  onFramerProblem(dir: Direction, kind: FramerProblemKind, detail: string): void;
}

export interface FramerOptions {
  /** PTYPE bit mask accepted for the direction's first PDU (header.ts FIRST_PDU_CLIENT/SERVER). */
  firstPduMask: number;
  /** When the first bytes are not a PDU header: hunt for one (midstream pickup) instead of giving up. */
  huntOnFirstMiss?: boolean;
  /** Byte budget for hunting before the direction is recognised (default 65 536 + 16: one maximal PDU). */
  detectHuntLimit?: number;
  /** Largest acceptable frag_length (default 65 535, the u16 maximum). */
  maxFragLength?: number;
}

export const MODE_PROBE = 0;
export const MODE_SYNC = 1;
export const MODE_SKIP = 2;
export const MODE_HUNT = 3;
export const MODE_DEAD = 4;
export type FramerMode = typeof MODE_PROBE | typeof MODE_SYNC | typeof MODE_SKIP | typeof MODE_HUNT | typeof MODE_DEAD;

export type FramerVerdict = 'unknown' | 'dcerpc' | 'not-dcerpc';

export interface FramerStats {
  pdus: number;
  /** Bytes delivered inside PDUs. */
  pduBytes: number;
  /** Bytes dropped: garbage skipped while hunting, partial PDUs cut by gaps, the rest of PDUs skipped after gaps. */
  skippedBytes: number;
  /** Hunts that found a PDU boundary again. */
  resyncs: number;
  /** Header checks that failed inside a synchronised stream. */
  framingErrors: number;
  gaps: number;
  gapBytes: number;
  /** Partial PDUs lost to a gap. */
  pdusLostInGap: number;
  /** Bytes dropped after the direction was declared not DCE/RPC (or a hunt gave up). */
  deadBytes: number;
}

const DEFAULT_DETECT_HUNT_LIMIT = MAX_FRAG_LENGTH + 1 + HEADER_LENGTH;
/** Partial-PDU buffers up to this size are kept between PDUs; larger ones are dropped once the PDU is delivered. */
const KEEP_BUFFER = 16 * 1024;
const EMPTY = new Uint8Array(0);
/**
 * carry + the head of the next chunk, for candidates that straddle chunks. Scratch shared by every framer: it is
 * filled and read within one synchronous step of one framer and holds nothing between calls.
 */
const JOIN = new Uint8Array(2 * HEADER_LENGTH);

export class PduFramer {
  mode: FramerMode = MODE_PROBE;
  verdict: FramerVerdict = 'unknown';
  readonly stats: FramerStats = {
    pdus: 0,
    pduBytes: 0,
    skippedBytes: 0,
    resyncs: 0,
    framingErrors: 0,
    gaps: 0,
    gapBytes: 0,
    pdusLostInGap: 0,
    deadBytes: 0,
  };

  private readonly maxFrag: number;
  private readonly firstMask: number;
  private readonly huntOnFirstMiss: boolean;
  /** PTYPE mask and byte budget of the current hunt (first-PDU mask while detecting, any CO PTYPE afterwards). */
  private huntMask: number;
  private huntBudget: number;
  private readonly detectHuntLimit: number;

  /** Partial PDU (SYNC with bufLen > 0). Grows to the PDU's frag_length, never beyond maxFrag. */
  private buf: Uint8Array = EMPTY;
  private bufLen = 0;
  /**
   * Bytes logically in front of the next chunk while probing/hunting (< 16). Allocated on first use: most
   * directions never need it, and every small typed array costs a tracked ArrayBuffer per connection.
   */
  private carry: Uint8Array = EMPTY;
  private carryLen = 0;
  private skipRemaining = 0;

  constructor(
    readonly dir: Direction,
    private readonly sink: FramerSink,
    opts: FramerOptions,
  ) {
    this.maxFrag = Math.min(opts.maxFragLength ?? MAX_FRAG_LENGTH, MAX_FRAG_LENGTH);
    this.firstMask = opts.firstPduMask;
    this.huntOnFirstMiss = opts.huntOnFirstMiss ?? false;
    this.detectHuntLimit = opts.detectHuntLimit ?? DEFAULT_DETECT_HUNT_LIMIT;
    this.huntMask = this.firstMask;
    this.huntBudget = this.detectHuntLimit;
  }

  /** Bytes currently held for a partial PDU or a header prefix. */
  get bufferedBytes(): number {
    return this.bufLen + this.carryLen;
  }

  /** Bytes allocated for partial PDUs (for memory accounting; at most max(16 KiB, the PDU being assembled)). */
  get bufferCapacity(): number {
    return this.buf.length;
  }

  /** Feeds the next in-order bytes of this direction. */
  push(data: Uint8Array, tsUs: number): void {
    const end = data.length;
    let off = 0;
    while (off < end) {
      switch (this.mode) {
        case MODE_SYNC:
          off = this.bufLen > 0 ? this.fill(data, off, end, tsUs) : this.frame(data, off, end, tsUs);
          break;
        case MODE_SKIP: {
          const n = Math.min(this.skipRemaining, end - off);
          off += n;
          this.skipRemaining -= n;
          this.stats.skippedBytes += n;
          if (this.skipRemaining === 0) this.mode = MODE_SYNC;
          break;
        }
        case MODE_PROBE:
          off = this.probe(data, off, end);
          break;
        case MODE_HUNT:
          off = this.hunt(data, off, end);
          break;
        default:
          this.stats.deadBytes += end - off;
          return;
      }
    }
  }

  /**
   * `length` bytes of this direction are missing. Drops the partial PDU; when its frag_length is known and the gap
   * ends inside it, skips to its end (an exact resync), otherwise hunts for the next header.
   */
  gap(length: number): void {
    const s = this.stats;
    s.gaps++;
    s.gapBytes += length;
    switch (this.mode) {
      case MODE_DEAD:
        return;
      case MODE_PROBE:
      case MODE_HUNT:
        // still looking for a boundary: whatever prefix we held is no longer contiguous with what follows
        s.skippedBytes += this.carryLen;
        this.carryLen = 0;
        // a leading gap means the first bytes we will see are not a PDU start: hunt (within the detect budget)
        this.mode = MODE_HUNT;
        this.report('gap', `${length} bytes missing before the first PDU boundary was found`);
        return;
      case MODE_SKIP:
        if (length < this.skipRemaining) {
          this.skipRemaining -= length;
        } else if (length === this.skipRemaining) {
          this.skipRemaining = 0;
          this.mode = MODE_SYNC;
        } else {
          this.skipRemaining = 0;
          this.startHunt(ANY_CO_PTYPE);
        }
        this.report('gap', `${length} bytes missing while skipping the rest of a damaged PDU`);
        return;
      default: {
        // SYNC
        const held = this.bufLen;
        this.bufLen = 0;
        if (held === 0) {
          // the next header may have been inside the gap
          this.startHunt(ANY_CO_PTYPE);
          this.report('gap', `${length} bytes missing at a PDU boundary; hunting for the next header`);
          return;
        }
        s.skippedBytes += held;
        s.pdusLostInGap++;
        const known = held >= 10 && framingProblem(this.buf, 0, this.maxFrag) === null;
        const remaining = known ? peekFragLength(this.buf, 0) - held : -1;
        if (remaining > length) {
          this.skipRemaining = remaining - length;
          this.mode = MODE_SKIP;
        } else if (remaining === length) {
          this.mode = MODE_SYNC;
        } else {
          this.startHunt(ANY_CO_PTYPE);
        }
        this.report(
          'gap',
          `${length} bytes missing inside a PDU (${held} bytes held${known ? `, frag_length ${held + remaining}` : ''}); partial PDU dropped`,
        );
      }
    }
  }

  // -------------------------------------------------------------------------------------------------------------

  /** SYNC with nothing buffered: frame PDUs straight out of `data`. */
  private frame(data: Uint8Array, off: number, end: number, tsUs: number): number {
    const maxFrag = this.maxFrag;
    // 10 bytes suffice to validate a header and learn its frag_length (>= 16 once validated)
    while (end - off >= 10) {
      const problem = framingProblem(data, off, maxFrag);
      if (problem !== null) {
        this.framingFailed(problem, data, off);
        this.stats.skippedBytes++;
        return off + 1;
      }
      const fl = peekFragLength(data, off);
      if (fl > end - off) break;
      this.emit(data.subarray(off, off + fl), tsUs);
      off += fl;
    }
    // keep the tail: a partial header or a partial PDU
    const rem = end - off;
    if (rem > 0) {
      // with >= 10 bytes the header was validated above, so frag_length is trustworthy
      this.ensure(rem >= 10 ? peekFragLength(data, off) : HEADER_LENGTH);
      this.buf.set(data.subarray(off, end), 0);
      this.bufLen = rem;
    }
    return end;
  }

  /** SYNC with a partial PDU buffered: complete it from `data`. */
  private fill(data: Uint8Array, off: number, end: number, tsUs: number): number {
    if (this.bufLen < HEADER_LENGTH) {
      const n = Math.min(HEADER_LENGTH - this.bufLen, end - off);
      this.ensure(HEADER_LENGTH);
      this.buf.set(data.subarray(off, off + n), this.bufLen);
      this.bufLen += n;
      off += n;
      if (this.bufLen < HEADER_LENGTH) return off;
      const problem = framingProblem(this.buf, 0, this.maxFrag);
      if (problem !== null) {
        this.framingFailed(problem, this.buf, 0);
        // hunt from the second buffered byte: the 15 bytes after it become the hunt's carry
        this.stats.skippedBytes++;
        this.ensureCarry();
        this.carry.set(this.buf.subarray(1, HEADER_LENGTH), 0);
        this.carryLen = HEADER_LENGTH - 1;
        this.bufLen = 0;
        return off;
      }
    }
    const fl = peekFragLength(this.buf, 0);
    this.ensure(fl);
    const n = Math.min(fl - this.bufLen, end - off);
    this.buf.set(data.subarray(off, off + n), this.bufLen);
    this.bufLen += n;
    off += n;
    if (this.bufLen === fl) {
      this.bufLen = 0;
      this.emit(this.buf.subarray(0, fl), tsUs);
      // keep a typical-size buffer (Windows fragments are <= 5840 bytes); give larger ones back while idle so that
      // thousands of connections do not each pin 64 KiB
      if (this.buf.length > KEEP_BUFFER) this.buf = EMPTY;
    }
    return off;
  }

  /** PROBE: decide from the first bytes whether this direction carries DCE/RPC. */
  private probe(data: Uint8Array, off: number, end: number): number {
    let src = data;
    let at = off;
    let srcEnd = end;
    if (this.carryLen > 0) {
      srcEnd = this.fillJoin(data, off, end);
      src = JOIN;
      at = 0;
    }
    const r = probeHeader(src, at, srcEnd, this.firstMask, this.maxFrag);
    if (r === PROBE_YES) {
      this.verdict = 'dcerpc';
      this.mode = MODE_SYNC;
      this.huntMask = ANY_CO_PTYPE;
      if (this.carryLen > 0) {
        // the carried prefix becomes the start of the buffered PDU; data continues it
        this.ensure(HEADER_LENGTH);
        this.buf.set(this.carry.subarray(0, this.carryLen), 0);
        this.bufLen = this.carryLen;
        this.carryLen = 0;
      }
      return off;
    }
    if (r === PROBE_NEED_MORE) {
      // fewer than PROBE_LENGTH bytes so far, all plausible: keep them
      this.appendCarry(data, off, end);
      return end;
    }
    // PROBE_NO
    if (!this.huntOnFirstMiss) {
      this.declareDead();
      this.stats.deadBytes += this.carryLen;
      this.carryLen = 0;
      return off;
    }
    // midstream: this chunk starts inside a PDU; the next chunk start may be a header (see detectHunt)
    this.mode = MODE_HUNT;
    this.huntMask = this.firstMask;
    const dropped = this.carryLen + end - off;
    this.carryLen = 0;
    this.countHunted(dropped);
    return end;
  }

  /**
   * HUNT before the direction is recognised (midstream pickup, leading gap). Only a chunk start can be taken for a
   * PDU start here: a sender begins each PDU it writes in a new segment unless it coalesces them, so the next
   * segment boundary soon lines up with a header — while DCE/RPC carried inside another protocol (SMB named pipes:
   * PDUs behind an SMB2 header) never sits there and must not make an SMB connection look like DCE/RPC over TCP.
   * tshark's dcerpc_tcp heuristic applies the same rule.
   */
  private detectHunt(data: Uint8Array, off: number, end: number): number {
    const mask = this.huntMask;
    if (this.carryLen > 0) {
      // a chunk start that was too short to judge, continued by this chunk
      const joinEnd = this.fillJoin(data, off, end);
      const r = probeHeader(JOIN, 0, joinEnd, mask, this.maxFrag);
      if (r === PROBE_YES) {
        this.resynced();
        this.ensure(HEADER_LENGTH);
        this.buf.set(this.carry.subarray(0, this.carryLen), 0);
        this.bufLen = this.carryLen;
        this.carryLen = 0;
        return off;
      }
      if (r === PROBE_NEED_MORE) {
        this.appendCarry(data, off, end);
        return end;
      }
      const dropped = this.carryLen + end - off;
      this.carryLen = 0;
      this.countHunted(dropped);
      return end;
    }
    if (off === 0) {
      const r = probeHeader(data, 0, end, mask, this.maxFrag);
      if (r === PROBE_YES && this.chainPlausible(data, 0, end)) {
        this.resynced();
        return 0;
      }
      if (r === PROBE_NEED_MORE) {
        this.appendCarry(data, 0, end);
        return end;
      }
    }
    this.countHunted(end - off);
    return end;
  }

  /** HUNT inside a recognised stream (after a gap or a broken header): the next plausible header anywhere. */
  private hunt(data: Uint8Array, off: number, end: number): number {
    if (this.verdict === 'unknown') return this.detectHunt(data, off, end);
    const mask = this.huntMask;
    const maxFrag = this.maxFrag;
    // 1. candidates that start in the carried bytes (they straddle into data)
    if (this.carryLen > 0) {
      const joinEnd = this.fillJoin(data, off, end);
      const j = JOIN;
      for (let p = 0; p < this.carryLen; p++) {
        if (j[p] !== 5) continue;
        const r = probeHeader(j, p, joinEnd, mask, maxFrag);
        if (r === PROBE_YES) {
          this.countHunted(p);
          this.resynced();
          this.ensure(HEADER_LENGTH);
          this.buf.set(this.carry.subarray(p, this.carryLen), 0);
          this.bufLen = this.carryLen - p;
          this.carryLen = 0;
          return off;
        }
        if (r === PROBE_NEED_MORE) {
          // all of data fits in the join and still not enough bytes: keep carry[p..] + data as the new carry
          this.dropCarryHead(p);
          if (this.mode !== MODE_HUNT) return off;
          this.appendCarry(data, off, end);
          return end;
        }
      }
      const dropped = this.carryLen;
      this.carryLen = 0;
      this.countHunted(dropped);
      if (this.mode !== MODE_HUNT) return off;
    }
    // 2. candidates inside data
    let p = off;
    while (p < end) {
      const i = data.indexOf(5, p);
      if (i < 0) break;
      const r = probeHeader(data, i, end, mask, maxFrag);
      if (r === PROBE_YES && this.chainPlausible(data, i, end)) {
        this.countHunted(i - off);
        if (this.mode !== MODE_HUNT) return i;
        this.resynced();
        return i;
      }
      if (r === PROBE_NEED_MORE) {
        this.countHunted(i - off);
        if (this.mode !== MODE_HUNT) return i;
        this.carryLen = 0;
        this.appendCarry(data, i, end);
        return end;
      }
      p = i + 1;
    }
    this.countHunted(end - off);
    return end;
  }

  /**
   * A candidate header is more credible when the header its frag_length points to is plausible too. Checked only
   * when those bytes are already here; a candidate whose PDU ends exactly at the end of data is accepted.
   */
  private chainPlausible(data: Uint8Array, at: number, end: number): boolean {
    const next = at + peekFragLength(data, at);
    if (next + PROBE_LENGTH > end) return true;
    return probeHeader(data, next, end, ANY_CO_PTYPE, this.maxFrag) === PROBE_YES;
  }

  private framingFailed(kind: FramerProblemKind, b: Uint8Array, off: number): void {
    this.stats.framingErrors++;
    const hex = Array.from(b.subarray(off, off + 12), (x) => x.toString(16).padStart(2, '0')).join(' ');
    this.startHunt(ANY_CO_PTYPE);
    this.report(kind, `invalid PDU header [${hex}]; hunting for the next PDU boundary`);
  }

  private startHunt(mask: number): void {
    this.mode = MODE_HUNT;
    this.carryLen = 0;
    // before the direction is recognised, keep looking only for PDUs that can open it, within the detect budget
    if (this.verdict === 'unknown') {
      this.huntMask = this.firstMask;
    } else {
      this.huntMask = mask;
      this.huntBudget = Number.POSITIVE_INFINITY;
    }
  }

  private resynced(): void {
    this.stats.resyncs++;
    this.mode = MODE_SYNC;
    this.verdict = 'dcerpc';
    this.huntMask = ANY_CO_PTYPE;
  }

  private countHunted(n: number): void {
    if (n <= 0) return;
    this.stats.skippedBytes += n;
    if (this.verdict !== 'unknown') return;
    this.huntBudget -= n;
    // Not a problem, a verdict: most midstream connections are simply not DCE/RPC (stats: verdict, deadBytes).
    if (this.huntBudget < 0) this.declareDead();
  }

  private declareDead(): void {
    this.mode = MODE_DEAD;
    if (this.verdict === 'unknown') this.verdict = 'not-dcerpc';
    this.bufLen = 0;
    this.buf = EMPTY;
  }

  private emit(pdu: Uint8Array, tsUs: number): void {
    this.stats.pdus++;
    this.stats.pduBytes += pdu.length;
    this.sink.onFramedPdu(this.dir, pdu, tsUs);
  }

  private report(kind: FramerProblemKind, detail: string): void {
    this.sink.onFramerProblem(this.dir, kind, detail);
  }

  /** Copies carry + up to 16 bytes of data into `join`; returns the join's length. */
  private fillJoin(data: Uint8Array, off: number, end: number): number {
    const j = JOIN;
    j.set(this.carry.subarray(0, this.carryLen), 0);
    const n = Math.min(HEADER_LENGTH, end - off);
    j.set(data.subarray(off, off + n), this.carryLen);
    return this.carryLen + n;
  }

  /** Appends data[off..end) to carry; callers guarantee the total stays below 16 bytes. */
  private appendCarry(data: Uint8Array, off: number, end: number): void {
    this.ensureCarry();
    this.carry.set(data.subarray(off, end), this.carryLen);
    this.carryLen += end - off;
  }

  private ensureCarry(): void {
    if (this.carry.length === 0) this.carry = new Uint8Array(HEADER_LENGTH);
  }

  private dropCarryHead(n: number): void {
    this.carry.copyWithin(0, n, this.carryLen);
    this.carryLen -= n;
    if (this.mode === MODE_HUNT) this.countHunted(n);
  }

  private ensure(n: number): void {
    if (this.buf.length >= n) return;
    // grow geometrically, but never past the largest PDU we accept
    const size = Math.min(Math.max(n, this.buf.length * 2, 256), Math.max(n, this.maxFrag));
    const nb = new Uint8Array(size);
    if (this.bufLen > 0) nb.set(this.buf.subarray(0, this.bufLen), 0);
    this.buf = nb;
  }
}
