/**
 * Minimal ASN.1 DER encoder for SPNEGO (RFC 4178) and Kerberos (RFC 4120) tokens.
 * Definite lengths only, short form below 128, long form above — exactly what DER requires.
 */
import { ascii, concat } from '../util/bytes.js';

export function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  let len: number[];
  if (n < 0x80) len = [n];
  else if (n < 0x100) len = [0x81, n];
  else if (n < 0x10000) len = [0x82, n >> 8, n & 0xff];
  else len = [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return concat([Uint8Array.of(tag, ...len), content]);
}

export const seq = (...items: Uint8Array[]): Uint8Array => tlv(0x30, concat(items));
/** Context-specific constructed tag [n]. */
export const ctx = (n: number, inner: Uint8Array): Uint8Array => tlv(0xa0 + n, inner);
/** Application constructed tag [APPLICATION n]. */
export const app = (n: number, inner: Uint8Array): Uint8Array => tlv(0x60 + n, inner);
export const octets = (b: Uint8Array): Uint8Array => tlv(0x04, b);
export const generalString = (s: string): Uint8Array => tlv(0x1b, ascii(s));
export const enumerated = (v: number): Uint8Array => tlv(0x0a, Uint8Array.of(v));

export function integer(v: number): Uint8Array {
  if (v < 0) throw new Error('negative DER integers are not needed here');
  const bytes: number[] = [];
  let x = v;
  do {
    bytes.unshift(x & 0xff);
    x = Math.floor(x / 256);
  } while (x > 0);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return tlv(0x02, Uint8Array.from(bytes));
}

/** BIT STRING with no unused bits (Kerberos flags are 32 bits). */
export function bitString32(v: number): Uint8Array {
  return tlv(0x03, Uint8Array.of(0, (v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff));
}

export function oid(dotted: string): Uint8Array {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * parts[0] + parts[1]];
  for (const p of parts.slice(2)) {
    const stack: number[] = [p & 0x7f];
    let x = Math.floor(p / 128);
    while (x > 0) {
      stack.unshift((x & 0x7f) | 0x80);
      x = Math.floor(x / 128);
    }
    out.push(...stack);
  }
  return tlv(0x06, Uint8Array.from(out));
}

export function generalizedTime(d: Date): Uint8Array {
  const p = (n: number): string => String(n).padStart(2, '0');
  const s = `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tlv(0x18, ascii(s));
}

export const OID = {
  spnego: '1.3.6.1.5.5.2',
  krb5: '1.2.840.113554.1.2.2',
  msKrb5: '1.2.840.48018.1.2.2',
  ntlm: '1.3.6.1.4.1.311.2.2.10',
  negoex: '1.3.6.1.4.1.311.2.2.30',
} as const;
