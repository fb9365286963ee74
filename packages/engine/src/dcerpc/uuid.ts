/**
 * UUIDs as DCE/RPC puts them on the wire (C706 appendix A, NDR): time_low u32, time_mid u16, time_hi_and_version u16
 * in the PDU's byte order, then clock_seq and node as 8 plain bytes. So one interface UUID has two wire forms; both
 * normalise to the same canonical (big-endian, RFC 4122 order) 16 bytes and the same lower-case string
 * `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, which is what dce_iface and the name tables compare against.
 *
 * Example (Snort dcerpc2 README): 4b324fc8-1670-01d3-1278-5a47bf6ee188 is `c8 4f 32 4b 70 16 d3 01 12 78 5a 47 bf 6e e1 88`
 * in a little-endian PDU and `4b 32 4f c8 16 70 01 d3 12 78 5a 47 bf 6e e1 88` in a big-endian one.
 */
import { HEX2 } from './bytes.js';

export const UUID_LENGTH = 16;

/** Copies the wire UUID at src[off..off+16) into dst[dstOff..dstOff+16) in canonical (big-endian) byte order. */
export function canonicalUuidBytes(src: Uint8Array, off: number, le: boolean, dst: Uint8Array, dstOff = 0): Uint8Array {
  if (le) {
    dst[dstOff] = src[off + 3];
    dst[dstOff + 1] = src[off + 2];
    dst[dstOff + 2] = src[off + 1];
    dst[dstOff + 3] = src[off];
    dst[dstOff + 4] = src[off + 5];
    dst[dstOff + 5] = src[off + 4];
    dst[dstOff + 6] = src[off + 7];
    dst[dstOff + 7] = src[off + 6];
  } else {
    for (let i = 0; i < 8; i++) dst[dstOff + i] = src[off + i];
  }
  for (let i = 8; i < 16; i++) dst[dstOff + i] = src[off + i];
  return dst;
}

/** Byte index in the wire form of canonical byte i, for each byte order (lets readers avoid a temporary copy). */
const LE_ORDER = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
const BE_ORDER = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/**
 * Interned UUID text: a direct-mapped cache keyed by the canonical bytes. Every bind, bind_ack and alter_context
 * names the same handful of interfaces and transfer syntaxes (NDR, NDR64, BTFN) over and over; building the string
 * anew each time was ~20 string pieces per UUID, kept alive by every connection's context table. A hit costs a
 * hash and a 16-byte compare and returns the same string instance; a collision just overwrites the slot (object
 * UUIDs, which are mostly unique, cycle through without growing anything).
 */
const UUID_SLOTS = 512;
const uuidKeys = new Uint8Array(UUID_SLOTS * UUID_LENGTH);
const uuidText: (string | undefined)[] = new Array(UUID_SLOTS).fill(undefined);

/** Canonical lower-case string of the wire UUID at b[off..off+16). */
export function readUuidString(b: Uint8Array, off: number, le: boolean): string {
  const ord = le ? LE_ORDER : BE_ORDER;
  let h = 0x811c9dc5;
  for (let i = 0; i < 16; i++) h = Math.imul(h ^ b[off + ord[i]], 0x01000193);
  h ^= h >>> 15;
  const slot = h & (UUID_SLOTS - 1);
  const k = slot * UUID_LENGTH;
  const cached = uuidText[slot];
  if (cached !== undefined) {
    let i = 0;
    while (i < 16 && uuidKeys[k + i] === b[off + ord[i]]) i++;
    if (i === 16) return cached;
  }
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    const v = b[off + ord[i]];
    uuidKeys[k + i] = v;
    s += HEX2[v];
  }
  uuidText[slot] = s;
  return s;
}

/** Canonical string of 16 canonical bytes. */
export function uuidBytesToString(canonical: Uint8Array, off = 0): string {
  return readUuidString(canonical, off, false);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a 36-character UUID string (any letter case). */
export function isUuidString(s: string): boolean {
  return UUID_RE.test(s);
}

/** Canonical 16 bytes of a UUID string (any letter case, optional braces); undefined when malformed. */
export function parseUuid(s: string): Uint8Array | undefined {
  let t = s.trim();
  if (t.startsWith('{') && t.endsWith('}')) t = t.slice(1, -1);
  if (!UUID_RE.test(t)) return undefined;
  const hex = t.replace(/-/g, '');
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = Number.parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

/** Canonical lower-case form of a UUID string; undefined when malformed. */
export function normalizeUuid(s: string): string | undefined {
  const b = parseUuid(s);
  return b ? uuidBytesToString(b) : undefined;
}

/**
 * Compares the wire UUID at b[off..off+16) (byte order `le`) with 16 canonical bytes, without allocating: the fast
 * path for "is this request's object UUID / this context's interface the one we look for".
 */
export function wireUuidEquals(b: Uint8Array, off: number, le: boolean, canonical: Uint8Array, cOff = 0): boolean {
  const ord = le ? LE_ORDER : BE_ORDER;
  for (let i = 0; i < 16; i++) if (b[off + ord[i]] !== canonical[cOff + i]) return false;
  return true;
}
