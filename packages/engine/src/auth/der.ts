/**
 * A small bounds-checked DER / BER TLV reader for the GSS-API, SPNEGO and Kerberos tokens in DCE/RPC auth
 * verifiers (X.690). Only what those tokens use: identifier octets (class, constructed, tag number incl. the
 * high-tag-number form), definite lengths (short and long form up to 4 length octets), INTEGER, OID,
 * OCTET STRING / GeneralString / BIT STRING contents.
 *
 *   TLV = identifier (1+ octets) | length (1 octet < 0x80, or 0x80|n then n octets) | value (length octets)
 *
 * Indefinite lengths (0x80) are BER, never DER, and Kerberos/SPNEGO forbid them: reported as a problem. Every
 * read is checked against the end of the enclosing element, so a lying length can neither read past the buffer
 * nor past its parent.
 */

import { type ParseProblem, problem } from '../util/parse-problem.js';

export const DER_CLASS_UNIVERSAL = 0;
export const DER_CLASS_APPLICATION = 1;
export const DER_CLASS_CONTEXT = 2;
export const DER_CLASS_PRIVATE = 3;

export interface DerElement {
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  cls: number;
  constructed: boolean;
  /** Tag number (e.g. 16 SEQUENCE, 14 for [APPLICATION 14]). */
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first value octet. */
  valueStart: number;
  /** Offset one past the last value octet. */
  end: number;
}

export type DerResult = { ok: true; el: DerElement } | { ok: false; problem: ParseProblem };

/** Reads the TLV at `off`, which must end at or before `limit`. */
export function readTlv(b: Uint8Array, off: number, limit: number, where: string): DerResult {
  const lim = Math.min(limit, b.length);
  if (off >= lim) return fail('truncated', where, 'no identifier octet', off);
  const id = b[off];
  const cls = id >> 6;
  const constructed = (id & 0x20) !== 0;
  let tag = id & 0x1f;
  let p = off + 1;
  if (tag === 0x1f) {
    // High-tag-number form: base-128 digits, bit 8 set on all but the last. Four digits cover every tag in use.
    tag = 0;
    for (let n = 0; ; n++) {
      if (p >= lim) return fail('truncated', where, 'high tag number runs past the end', off);
      if (n === 4) return fail('unsupported', where, 'tag number longer than 4 octets', off);
      const d = b[p++];
      tag = tag * 128 + (d & 0x7f);
      if ((d & 0x80) === 0) break;
    }
  }
  if (p >= lim) return fail('truncated', where, 'no length octet', p);
  const l0 = b[p++];
  let len: number;
  if (l0 < 0x80) {
    len = l0;
  } else if (l0 === 0x80) {
    return fail('bad_value', where, 'indefinite length is not allowed in DER', p - 1);
  } else {
    const n = l0 & 0x7f;
    if (n > 4) return fail('unsupported', where, `length of ${n} octets`, p - 1);
    if (p + n > lim) return fail('truncated', where, 'length octets run past the end', p);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p++];
  }
  if (p + len > lim) {
    return fail('out_of_bounds', where, `value of ${len} octets runs past its enclosing element`, off);
  }
  return { ok: true, el: { cls, constructed, tag, start: off, valueStart: p, end: p + len } };
}

function fail(code: ParseProblem['code'], where: string, message: string, offset: number): DerResult {
  return { ok: false, problem: problem(code, where, message, offset) };
}

/** Walks the children of a constructed element in order. */
export function derChildren(
  b: Uint8Array,
  parent: DerElement,
  where: string,
): { items: DerElement[]; problem?: ParseProblem } {
  const items: DerElement[] = [];
  let p = parent.valueStart;
  while (p < parent.end) {
    const r = readTlv(b, p, parent.end, where);
    if (!r.ok) return { items, problem: r.problem };
    items.push(r.el);
    p = r.el.end;
    if (items.length > 1024) return { items, problem: problem('limit', where, 'more than 1024 elements', p) };
  }
  return { items };
}

/** The child [n] (context-specific, constructed) of a SEQUENCE, or undefined. */
export function contextChild(children: DerElement[], n: number): DerElement | undefined {
  for (const c of children) if (c.cls === DER_CLASS_CONTEXT && c.tag === n) return c;
  return undefined;
}

/** The single element inside an explicit tag ([n] EXPLICIT T), or a problem. */
export function explicitInner(b: Uint8Array, tagged: DerElement, where: string): DerResult {
  if (!tagged.constructed) return fail('bad_value', where, 'explicit tag is not constructed', tagged.start);
  return readTlv(b, tagged.valueStart, tagged.end, where);
}

/** INTEGER value (two's complement, up to 6 octets so it stays an exact JS number); null when too long/empty. */
export function derInteger(b: Uint8Array, el: DerElement): number | null {
  const n = el.end - el.valueStart;
  if (n < 1 || n > 6) return null;
  let v = b[el.valueStart] & 0x80 ? -1 : 0;
  // Starting from -1 for a negative first octet sign-extends: (-1 * 256 + 0xff) = -1, (-1 * 256 + 0x80) = -128.
  for (let i = el.valueStart; i < el.end; i++) v = v * 256 + b[i];
  return v;
}

/** Dotted text of an OBJECT IDENTIFIER's contents; null when malformed. */
export function derOid(b: Uint8Array, el: DerElement): string | null {
  if (el.end <= el.valueStart || el.end - el.valueStart > 64) return null;
  const parts: number[] = [];
  let v = 0;
  let digits = 0;
  for (let i = el.valueStart; i < el.end; i++) {
    const d = b[i];
    v = v * 128 + (d & 0x7f);
    digits++;
    if (digits > 5) return null; // arc above 2^35: not an OID any Kerberos/SPNEGO peer sends
    if ((d & 0x80) === 0) {
      if (parts.length === 0) {
        const first = v < 40 ? 0 : v < 80 ? 1 : 2;
        parts.push(first, v - first * 40);
      } else {
        parts.push(v);
      }
      v = 0;
      digits = 0;
    }
  }
  if (digits !== 0) return null; // last arc unterminated
  return parts.join('.');
}

/**
 * Text of a Kerberos string (GeneralString / KerberosString = IA5 in practice; Windows puts UTF-8 in it).
 * Decoded as UTF-8 with replacement so any byte sequence yields printable text.
 */
export function derString(b: Uint8Array, el: DerElement): string {
  return UTF8.decode(b.subarray(el.valueStart, el.end));
}

const UTF8 = new TextDecoder('utf-8', { fatal: false });
