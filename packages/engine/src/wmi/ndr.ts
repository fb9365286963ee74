/**
 * A bounds-checked NDR 2.0 (C706 ch. 14, MS-RPCE 2.2.5) reader for DCOM / WMI request and response stubs.
 *
 * What the stubs here need:
 *   primitives       u8/u16/u32/hyper, aligned to their size relative to the start of the stream
 *   byte order       the PDU's drep (or a type-serialization header's) — chosen per reader
 *   pointers         unique/full pointers are a 4-byte referent id (0 = NULL); the pointee of a top-level
 *                    pointer follows it, the pointees of embedded pointers follow the enclosing structure
 *                    (the callers read them in that order)
 *   conformant array max_count u32, then the elements; for a conformant *struct* the max_count comes first
 *   varying string   max_count u32 | offset u32 | actual_count u32 | actual_count UTF-16 units (NUL included)
 *   BSTR             wireBSTR = unique pointer to FLAGGED_WORD_BLOB { max_count | cBytes | clSize | units }
 *                    (MS-OAUT 2.2.23.1); cBytes 0xFFFFFFFF marks a NULL BSTR
 *
 * Failure is sticky: the first out-of-bounds or invalid read records a ParseProblem, moves the cursor to the
 * end and every later read returns a neutral value (0, '', empty). Decoders read straight through and check
 * `ok` where it matters — no exceptions, no partial garbage past the failure point.
 */

import { guidAt, hexAt } from '../util/guid.js';
import { type ParseProblem, type ParseProblemCode, problem } from '../util/parse-problem.js';
import { stripNuls, utf16 } from '../util/text.js';

/** Upper bound on any conformant count we accept (elements); real stubs stay far below. */
export const NDR_MAX_COUNT = 1 << 20;

export interface NdrReaderOptions {
  /** First byte of the stream (default 0). */
  start?: number;
  /** One past the last byte (default buf.length). */
  end?: number;
  /** Byte order of the stream (default little-endian). */
  littleEndian?: boolean;
  /** Offset that alignment is relative to (default `start`). */
  alignBase?: number;
}

export class NdrReader {
  readonly buf: Uint8Array;
  readonly end: number;
  readonly littleEndian: boolean;
  readonly alignBase: number;
  pos: number;
  /** The first failure, if any. */
  problem: ParseProblem | undefined;

  constructor(buf: Uint8Array, opts: NdrReaderOptions = {}) {
    this.buf = buf;
    const start = opts.start ?? 0;
    this.end = Math.min(opts.end ?? buf.length, buf.length);
    this.pos = Math.min(start, this.end);
    this.littleEndian = opts.littleEndian ?? true;
    this.alignBase = opts.alignBase ?? start;
  }

  get ok(): boolean {
    return this.problem === undefined;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Records a failure (only the first one is kept) and stops the reader. */
  fail(code: ParseProblemCode, where: string, message: string): void {
    if (this.problem === undefined) this.problem = problem(code, where, message, this.pos);
    this.pos = this.end;
  }

  /** True when `n` more bytes exist; otherwise fails with 'truncated'. */
  need(n: number, where: string): boolean {
    if (this.problem !== undefined) return false;
    if (n < 0 || this.pos + n > this.end) {
      this.fail('truncated', where, `needs ${n} bytes, ${this.end - this.pos} left`);
      return false;
    }
    return true;
  }

  align(n: number, where = 'ndr.align'): void {
    if (this.problem !== undefined) return;
    const rel = this.pos - this.alignBase;
    const pad = (n - (rel % n)) % n;
    if (pad === 0) return;
    if (this.pos + pad > this.end) this.fail('truncated', where, `alignment to ${n} runs past the end`);
    else this.pos += pad;
  }

  skip(n: number, where = 'ndr.skip'): void {
    if (this.need(n, where)) this.pos += n;
  }

  u8(where = 'ndr.u8'): number {
    if (!this.need(1, where)) return 0;
    return this.buf[this.pos++];
  }

  u16(where = 'ndr.u16'): number {
    this.align(2, where);
    if (!this.need(2, where)) return 0;
    const b = this.buf;
    const p = this.pos;
    this.pos += 2;
    return this.littleEndian ? b[p] | (b[p + 1] << 8) : (b[p] << 8) | b[p + 1];
  }

  u32(where = 'ndr.u32'): number {
    this.align(4, where);
    if (!this.need(4, where)) return 0;
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return this.littleEndian
      ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0
      : ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  }

  i32(where = 'ndr.i32'): number {
    return this.u32(where) | 0;
  }

  /** hyper / OXID / OID: 8-byte aligned, returned as 16 lower-case hex digits of the value. */
  hyperHex(where = 'ndr.hyper'): string {
    this.align(8, where);
    if (!this.need(8, where)) return '';
    const p = this.pos;
    this.pos += 8;
    return this.littleEndian ? hexReversed(this.buf, p, 8) : hexAt(this.buf, p, 8);
  }

  /** 8 bytes as a JS number (exact below 2^53; used for counts and small values). */
  hyperNumber(where = 'ndr.hyper'): number {
    this.align(8, where);
    if (!this.need(8, where)) return 0;
    const b = this.buf;
    const p = this.pos;
    this.pos += 8;
    const lo = this.littleEndian ? u32le(b, p) : u32be(b, p + 4);
    const hi = this.littleEndian ? u32le(b, p + 4) : u32be(b, p);
    return hi * 4294967296 + lo;
  }

  f32(where = 'ndr.f32'): number {
    this.align(4, where);
    if (!this.need(4, where)) return 0;
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, this.littleEndian);
    this.pos += 4;
    return v;
  }

  f64(where = 'ndr.f64'): number {
    this.align(8, where);
    if (!this.need(8, where)) return 0;
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, this.littleEndian);
    this.pos += 8;
    return v;
  }

  /** GUID (struct of u32, u16, u16, u8[8]; 4-byte aligned) in the stream's byte order. */
  guid(where = 'ndr.guid'): string {
    this.align(4, where);
    if (!this.need(16, where)) return '';
    const s = guidAt(this.buf, this.pos, this.littleEndian);
    this.pos += 16;
    return s;
  }

  /** A view of the next `n` bytes (no copy). */
  bytes(n: number, where = 'ndr.bytes'): Uint8Array {
    if (!this.need(n, where)) return EMPTY;
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Referent id of a unique/full pointer; 0 is NULL. */
  pointer(where = 'ndr.pointer'): number {
    return this.u32(where);
  }

  /** A conformance (max_count) no larger than `cap` elements. */
  count(where: string, cap = NDR_MAX_COUNT): number {
    const n = this.u32(where);
    if (this.problem !== undefined) return 0;
    if (n > cap) {
      this.fail('limit', where, `count ${n} above the cap of ${cap}`);
      return 0;
    }
    return n;
  }

  /** Conformant varying UTF-16 string (the pointee of a [string] wchar_t*): trailing NULs removed. */
  varyingWString(where = 'ndr.wstring'): string {
    const max = this.count(`${where}.max_count`);
    const offset = this.u32(`${where}.offset`);
    const actual = this.u32(`${where}.actual_count`);
    if (this.problem !== undefined) return '';
    if (actual > max || offset > max - actual) {
      this.fail('bad_value', where, `actual_count ${actual} + offset ${offset} exceeds max_count ${max}`);
      return '';
    }
    if (!this.need(actual * 2, where)) return '';
    const s = utf16(this.buf, this.pos, actual * 2, this.littleEndian);
    this.pos += actual * 2;
    return stripNuls(s);
  }

  /** [unique, string] LPWSTR: NULL → null. */
  lpwstr(where = 'ndr.lpwstr'): string | null {
    const ref = this.pointer(`${where}.referent`);
    if (ref === 0 || this.problem !== undefined) return null;
    const s = this.varyingWString(where);
    return this.problem === undefined ? s : null;
  }

  /** FLAGGED_WORD_BLOB body (after the referent id). NULL BSTR (cBytes 0xFFFFFFFF) → null. */
  wordBlob(where = 'ndr.bstr'): string | null {
    const max = this.count(`${where}.max_count`);
    const cBytes = this.u32(`${where}.cBytes`);
    const clSize = this.u32(`${where}.clSize`);
    if (this.problem !== undefined) return null;
    if (clSize > max) {
      this.fail('bad_value', where, `clSize ${clSize} exceeds max_count ${max}`);
      return null;
    }
    if (!this.need(max * 2, where)) return null;
    const s = utf16(this.buf, this.pos, clSize * 2, this.littleEndian);
    this.pos += max * 2;
    if (cBytes === 0xffffffff && clSize === 0) return null;
    return stripNuls(s);
  }

  /** BSTR parameter: wireBSTR unique pointer, then the FLAGGED_WORD_BLOB. */
  bstr(where = 'ndr.bstr'): string | null {
    const ref = this.pointer(`${where}.referent`);
    if (ref === 0 || this.problem !== undefined) return null;
    return this.wordBlob(where);
  }
}

const EMPTY = new Uint8Array(0);

function hexReversed(b: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = len - 1; i >= 0; i--) s += (b[off + i] < 16 ? '0' : '') + b[off + i].toString(16);
  return s;
}

function u32le(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

function u32be(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/**
 * Type serialization version 1 (MS-RPCE 2.2.6): the self-describing NDR streams used for DCOM activation
 * properties.
 *
 *   Common header   Version u8 (1) | Endianness u8 (0x10 little, 0x00 big) | CommonHeaderLength u16 (8)
 *                   | Filler u32 (0xCCCCCCCC)
 *   Private header  ObjectBufferLength u32 | Filler u32
 *   Data            NDR, aligned relative to the start of the common header
 *
 * Returns a reader positioned on the data and bounded by ObjectBufferLength, or a problem.
 */
export function typeSerialization1(
  buf: Uint8Array,
  start: number,
  end: number,
  where: string,
): { reader: NdrReader; next: number } | { problem: ParseProblem } {
  if (start + 16 > end || end > buf.length) {
    return { problem: problem('truncated', where, 'type serialization header (16 bytes) cut short', start) };
  }
  if (buf[start] !== 1) {
    return { problem: problem('bad_signature', where, `type serialization version ${buf[start]}, expected 1`, start) };
  }
  const endianness = buf[start + 1];
  if (endianness !== 0x10 && endianness !== 0x00) {
    return { problem: problem('bad_value', where, `endianness byte 0x${endianness.toString(16)}`, start + 1) };
  }
  const le = endianness === 0x10;
  const hdrLen = le ? buf[start + 2] | (buf[start + 3] << 8) : (buf[start + 2] << 8) | buf[start + 3];
  if (hdrLen !== 8)
    return { problem: problem('bad_value', where, `CommonHeaderLength ${hdrLen}, expected 8`, start + 2) };
  const objLen = le ? u32le(buf, start + 8) : u32be(buf, start + 8);
  const dataStart = start + 16;
  if (objLen > end - dataStart) {
    return {
      problem: problem('out_of_bounds', where, `ObjectBufferLength ${objLen} runs past the property`, start + 8),
    };
  }
  const reader = new NdrReader(buf, { start: dataStart, end: dataStart + objLen, littleEndian: le, alignBase: start });
  return { reader, next: dataStart + objLen };
}
