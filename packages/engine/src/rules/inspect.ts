/**
 * Payload inspection: the list of content / pcre / byte_* / isdataat / bsize options of one buffer, evaluated with a
 * cursor the way Snort's and Suricata's detection engines do.
 *
 * Cursor ("DOE pointer"): starts at 0. A positive content or pcre match moves it to the end of the match; byte_jump
 * moves it to the jump target; byte_extract moves it past the bytes read. Relative options (content with
 * distance/within, pcre /R, byte_* `relative`, isdataat `relative`) work from it; absolute ones ignore it.
 *
 * Windows:
 *   absolute content:  [offset, offset + depth)                       (defaults 0 and end of buffer)
 *   relative content:  [cursor + distance, cursor + distance + within) (distance may be negative; clamped to 0)
 *   startswith = offset 0, depth len;  endswith = the match must end at the end of the buffer.
 * Negated content/pcre succeed when there is no match in the window and never move the cursor.
 *
 * Backtracking: when a positive content or pcre is followed by a relative option and the rest of the list fails,
 * the content is searched again from one byte after its previous match (Snort's and Suricata's "retry"), so
 * `content:"A"; content:"B"; distance:0; within:4;` finds an A followed closely by B even when the first A is not
 * the one. Retries are bounded per rule evaluation (RECURSION_LIMIT, Suricata's default inspection-recursion-limit);
 * hitting the bound fails the rule and is counted.
 *
 * isdataat (Suricata semantics): absolute `isdataat:N` ⇔ a byte exists at index N (N < len); relative
 * `isdataat:N,relative` ⇔ N more bytes exist after the cursor (cursor + N <= len).
 *
 * Byte order for byte_test/byte_jump/byte_extract: big (default), little, or `dce` = the byte order of the DCE/RPC
 * PDU being inspected (its drep), set per unit in InspectState.dceLittle.
 */

import { Buffer } from 'node:buffer';

export const OP_CONTENT = 0;
export const OP_PCRE = 1;
export const OP_BYTE_TEST = 2;
export const OP_BYTE_JUMP = 3;
export const OP_BYTE_EXTRACT = 4;
export const OP_ISDATAAT = 5;
export const OP_BSIZE = 6;

export const ENDIAN_BIG = 0;
export const ENDIAN_LITTLE = 1;
export const ENDIAN_DCE = 2;

// byte_test / size comparison operators
export const CMP_LT = 0;
export const CMP_GT = 1;
export const CMP_EQ = 2;
export const CMP_AND = 3;
export const CMP_XOR = 4;
export const CMP_LE = 5;
export const CMP_GE = 6;
/** a <> b (range). Inclusive or exclusive is decided by the option (dsize: inclusive as Snort; bsize: exclusive as Suricata). */
export const CMP_RANGE_INCL = 7;
export const CMP_RANGE_EXCL = 8;
export const CMP_NE = 9;

export const RECURSION_LIMIT = 3000;

/** A number in an option: constant `c`, or byte_extract variable slot `v` (>= 0). */
export interface Operand {
  c: number;
  v: number;
}

export interface ContentOp {
  op: typeof OP_CONTENT;
  /** Pattern bytes; lower-cased when nocase. */
  pat: Uint8Array;
  /** As written (for prefilter/fast_pattern and messages). */
  raw: Uint8Array;
  nocase: boolean;
  negated: boolean;
  relative: boolean;
  offset: Operand | null;
  depth: Operand | null;
  distance: Operand | null;
  within: Operand | null;
  startswith: boolean;
  endswith: boolean;
  rawbytes: boolean;
  fastPattern: boolean;
  fpOnly: boolean;
  fpOffset: number;
  fpLength: number;
  /** Retry at later occurrences when what follows fails (the next positional option is relative). */
  retry: boolean;
  /** Horspool shift table (by folded byte when nocase). */
  skip: Int32Array;
}

export interface PcreOp {
  op: typeof OP_PCRE;
  re: RegExp;
  negated: boolean;
  relative: boolean;
  anchored: boolean;
  retry: boolean;
  display: string;
}

export interface ByteTestOp {
  op: typeof OP_BYTE_TEST;
  nbytes: number;
  cmp: number;
  not: boolean;
  value: Operand;
  offset: Operand;
  relative: boolean;
  endian: number;
  /** 0 = binary, else the number base of a string (8, 10, 16). */
  base: number;
  bitmask: number;
  shift: number;
}

export interface ByteJumpOp {
  op: typeof OP_BYTE_JUMP;
  nbytes: number;
  offset: Operand;
  relative: boolean;
  multiplier: number;
  endian: number;
  base: number;
  align: boolean;
  fromBeginning: boolean;
  fromEnd: boolean;
  postOffset: number;
  bitmask: number;
  shift: number;
}

export interface ByteExtractOp {
  op: typeof OP_BYTE_EXTRACT;
  nbytes: number;
  offset: Operand;
  relative: boolean;
  multiplier: number;
  endian: number;
  base: number;
  /** 0, 2 or 4: round the value up to a multiple. */
  align: number;
  slot: number;
  name: string;
  bitmask: number;
  shift: number;
}

export interface IsDataAtOp {
  op: typeof OP_ISDATAAT;
  n: Operand;
  relative: boolean;
  negated: boolean;
}

export interface BsizeOp {
  op: typeof OP_BSIZE;
  cmp: number;
  a: number;
  b: number;
}

export type InspectOp = ContentOp | PcreOp | ByteTestOp | ByteJumpOp | ByteExtractOp | IsDataAtOp | BsizeOp;

export function isRelative(o: InspectOp): boolean {
  switch (o.op) {
    case OP_CONTENT:
    case OP_PCRE:
    case OP_BYTE_TEST:
    case OP_BYTE_JUMP:
    case OP_BYTE_EXTRACT:
    case OP_ISDATAAT:
      return o.relative;
    default:
      return false;
  }
}

/** Mutable per-evaluation state, owned by the RuleSet and reused for every unit (no allocation per evaluation). */
export class InspectState {
  vars: Float64Array;
  dceLittle = false;
  steps = 0;
  limitHits = 0;
  private strBuf: Uint8Array | null = null;
  private str = '';

  constructor(varSlots: number) {
    this.vars = new Float64Array(Math.max(1, varSlots));
  }

  /** Forget cached strings: the caller may reuse the same Uint8Array with new bytes for the next unit. */
  reset(): void {
    this.strBuf = null;
    this.str = '';
  }

  latin1(buf: Uint8Array): string {
    if (this.strBuf !== buf) {
      this.str = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('latin1');
      this.strBuf = buf;
    }
    return this.str;
  }
}

export const LOWER = new Uint8Array(256);
for (let i = 0; i < 256; i++) LOWER[i] = i >= 0x41 && i <= 0x5a ? i + 0x20 : i;

export function buildSkip(pat: Uint8Array, nocase: boolean): Int32Array {
  const m = pat.length;
  const skip = new Int32Array(256).fill(m);
  for (let j = 0; j < m - 1; j++) {
    skip[pat[j]] = m - 1 - j;
    if (nocase) {
      const b = pat[j];
      if (b >= 0x61 && b <= 0x7a) skip[b - 0x20] = m - 1 - j;
    }
  }
  return skip;
}

/** First occurrence of `pat` in buf[from, end) (the whole pattern inside the window), or -1. Horspool. */
export function findBytes(
  buf: Uint8Array,
  pat: Uint8Array,
  nocase: boolean,
  skip: Int32Array,
  from: number,
  end: number,
): number {
  const m = pat.length;
  const last = m - 1;
  let i = from;
  if (!nocase) {
    if (m === 1) {
      const b0 = pat[0];
      for (; i < end; i++) if (buf[i] === b0) return i;
      return -1;
    }
    const lastByte = pat[last];
    while (i + m <= end) {
      const b = buf[i + last];
      if (b === lastByte) {
        let j = 0;
        while (j < last && buf[i + j] === pat[j]) j++;
        if (j === last) return i;
      }
      i += skip[b];
    }
    return -1;
  }
  const lastByte = pat[last];
  while (i + m <= end) {
    const b = buf[i + last];
    if (LOWER[b] === lastByte) {
      let j = 0;
      while (j < last && LOWER[buf[i + j]] === pat[j]) j++;
      if (j === last) return i;
    }
    i += skip[b];
  }
  return -1;
}

function operand(o: Operand, st: InspectState): number {
  return o.v < 0 ? o.c : st.vars[o.v];
}

/** Read an unsigned integer of 1-4 bytes. */
function readBinary(buf: Uint8Array, pos: number, n: number, little: boolean): number {
  let v = 0;
  if (little) for (let k = n - 1; k >= 0; k--) v = v * 256 + buf[pos + k];
  else for (let k = 0; k < n; k++) v = v * 256 + buf[pos + k];
  return v;
}

/** strtoul over buf[pos, pos+n): leading blanks, optional sign, 0x for hex; -1 when no digit. */
function readString(buf: Uint8Array, pos: number, n: number, base: number): number {
  let i = pos;
  const end = pos + n;
  while (i < end && (buf[i] === 0x20 || (buf[i] >= 0x09 && buf[i] <= 0x0d))) i++;
  if (i < end && (buf[i] === 0x2b || buf[i] === 0x2d)) i++;
  if (base === 16 && i + 1 < end && buf[i] === 0x30 && (buf[i + 1] | 0x20) === 0x78) i += 2;
  let v = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = buf[i];
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
    else break;
    if (d >= base) break;
    v = v * base + d;
    digits++;
  }
  return digits === 0 ? -1 : v;
}

function readValue(
  buf: Uint8Array,
  pos: number,
  o: { nbytes: number; endian: number; base: number; bitmask: number; shift: number },
  st: InspectState,
): number {
  let v: number;
  if (o.base !== 0) v = readString(buf, pos, o.nbytes, o.base);
  else v = readBinary(buf, pos, o.nbytes, o.endian === ENDIAN_LITTLE || (o.endian === ENDIAN_DCE && st.dceLittle));
  if (v >= 0 && o.bitmask !== 0) v = ((v & o.bitmask) >>> 0) / 2 ** o.shift;
  return v;
}

export function compare(cmp: number, a: number, b: number, c = 0): boolean {
  switch (cmp) {
    case CMP_LT:
      return a < b;
    case CMP_GT:
      return a > b;
    case CMP_EQ:
      return a === b;
    case CMP_NE:
      return a !== b;
    case CMP_AND:
      return (a & b) >>> 0 !== 0;
    case CMP_XOR:
      return (a ^ b) >>> 0 !== 0;
    case CMP_LE:
      return a <= b;
    case CMP_GE:
      return a >= b;
    case CMP_RANGE_INCL:
      return a >= b && a <= c;
    case CMP_RANGE_EXCL:
      return a > b && a < c;
    default:
      return false;
  }
}

/**
 * Evaluate ops[i..] on buf from `cursor`. True when every remaining option holds for some choice of matches.
 */
export function inspect(
  ops: readonly InspectOp[],
  i: number,
  buf: Uint8Array,
  cursor: number,
  st: InspectState,
): boolean {
  const len = buf.length;
  for (; i < ops.length; i++) {
    const o = ops[i];
    switch (o.op) {
      case OP_CONTENT: {
        let start: number;
        let end: number;
        if (o.relative) {
          start = cursor + (o.distance !== null ? operand(o.distance, st) : 0);
          end = o.within !== null ? start + operand(o.within, st) : len;
        } else {
          start = o.offset !== null ? operand(o.offset, st) : 0;
          end = o.depth !== null ? start + operand(o.depth, st) : len;
        }
        if (start < 0) start = 0;
        if (end > len) end = len;
        const m = o.pat.length;
        if (o.endswith) {
          // only one candidate position: the end of the buffer
          const p = len - m;
          const ok = end === len && p >= start && findBytes(buf, o.pat, o.nocase, o.skip, p, len) === p;
          if (o.negated) {
            if (ok) return false;
            continue;
          }
          if (!ok) return false;
          cursor = len;
          continue;
        }
        if (o.negated) {
          if (end - start >= m && findBytes(buf, o.pat, o.nocase, o.skip, start, end) >= 0) return false;
          continue;
        }
        let from = start;
        for (;;) {
          const p = end - from >= m ? findBytes(buf, o.pat, o.nocase, o.skip, from, end) : -1;
          if (p < 0) return false;
          if (!o.retry) {
            cursor = p + m;
            break;
          }
          if (inspect(ops, i + 1, buf, p + m, st)) return true;
          if (++st.steps > RECURSION_LIMIT) {
            st.limitHits++;
            return false;
          }
          from = p + 1;
        }
        continue;
      }
      case OP_PCRE: {
        const s = st.latin1(buf);
        let base = 0;
        let sub = s;
        if (o.relative && cursor > 0) {
          base = cursor;
          sub = s.slice(cursor);
        }
        const re = o.re;
        if (o.negated) {
          re.lastIndex = 0;
          if (re.exec(sub) !== null) return false;
          continue;
        }
        let from = 0;
        for (;;) {
          re.lastIndex = from;
          const mt = re.exec(sub);
          if (mt === null) return false;
          const next = base + mt.index + mt[0].length;
          if (!o.retry) {
            cursor = next;
            break;
          }
          if (inspect(ops, i + 1, buf, next, st)) return true;
          if (o.anchored) return false;
          if (++st.steps > RECURSION_LIMIT) {
            st.limitHits++;
            return false;
          }
          from = mt.index + 1;
          if (from > sub.length) return false;
        }
        continue;
      }
      case OP_BYTE_TEST: {
        const pos = (o.relative ? cursor : 0) + operand(o.offset, st);
        if (pos < 0 || pos + o.nbytes > len) return false;
        const v = readValue(buf, pos, o, st);
        if (v < 0) return false;
        if (compare(o.cmp, v, operand(o.value, st)) === o.not) return false;
        continue;
      }
      case OP_BYTE_JUMP: {
        const pos = (o.relative ? cursor : 0) + operand(o.offset, st);
        if (pos < 0 || pos + o.nbytes > len) return false;
        let v = readValue(buf, pos, o, st);
        if (v < 0) return false;
        v *= o.multiplier;
        if (o.align && v % 4 !== 0) v += 4 - (v % 4);
        let np = o.fromBeginning ? v : o.fromEnd ? len + v : pos + o.nbytes + v;
        np += o.postOffset;
        if (np < 0 || np > len) return false;
        cursor = np;
        continue;
      }
      case OP_BYTE_EXTRACT: {
        const pos = (o.relative ? cursor : 0) + operand(o.offset, st);
        if (pos < 0 || pos + o.nbytes > len) return false;
        let v = readValue(buf, pos, o, st);
        if (v < 0) return false;
        v *= o.multiplier;
        if (o.align !== 0 && v % o.align !== 0) v += o.align - (v % o.align);
        st.vars[o.slot] = v;
        cursor = pos + o.nbytes;
        continue;
      }
      case OP_ISDATAAT: {
        const n = operand(o.n, st);
        const ok = o.relative ? cursor + n <= len : n < len;
        if (ok === o.negated) return false;
        continue;
      }
      case OP_BSIZE: {
        if (!compare(o.cmp, len, o.a, o.b)) return false;
        continue;
      }
    }
  }
  return true;
}
