/**
 * GUID / UUID text from wire bytes.
 *
 * A GUID on the wire is the struct { u32 Data1; u16 Data2; u16 Data3; u8 Data4[8] }: the first three fields follow
 * the byte order of the encoding that carries them (NDR: the PDU's drep; OBJREF, activation blobs, MS-WMIO:
 * little-endian), Data4 is a byte array. Text is the canonical lower-case 8-4-4-4-12 form that the rule engine
 * and the EVE records use.
 */

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

/** Formats the 16 bytes at `off`; the caller has checked that they exist. */
export function guidAt(b: Uint8Array, off: number, littleEndian = true): string {
  const h = HEX;
  const d1 = littleEndian
    ? h[b[off + 3]] + h[b[off + 2]] + h[b[off + 1]] + h[b[off]]
    : h[b[off]] + h[b[off + 1]] + h[b[off + 2]] + h[b[off + 3]];
  const d2 = littleEndian ? h[b[off + 5]] + h[b[off + 4]] : h[b[off + 4]] + h[b[off + 5]];
  const d3 = littleEndian ? h[b[off + 7]] + h[b[off + 6]] : h[b[off + 6]] + h[b[off + 7]];
  return `${d1}-${d2}-${d3}-${h[b[off + 8]]}${h[b[off + 9]]}-${h[b[off + 10]]}${h[b[off + 11]]}${h[b[off + 12]]}${h[b[off + 13]]}${h[b[off + 14]]}${h[b[off + 15]]}`;
}

/** Lower-case hex of `len` bytes at `off` (no separators); the caller has checked bounds. */
export function hexAt(b: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += HEX[b[off + i]];
  return s;
}

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Canonical form of a GUID written by a person or a config file ('{49B2791A-…}' → '49b2791a-…'); null when invalid. */
export function normalizeGuid(text: string): string | null {
  let t = text.trim().toLowerCase();
  if (t.startsWith('{') && t.endsWith('}')) t = t.slice(1, -1);
  return GUID_RE.test(t) ? t : null;
}
