/**
 * UUID/GUID wire forms.
 *
 *   text:  tttttttt-mmmm-hhhh-cccc-nnnnnnnnnnnn
 *   wire:  time_low u32 | time_mid u16 | time_hi u16 | clock_seq[2] | node[6]
 *
 * The first three fields follow the byte order of the enclosing encoding (DCE/RPC drep, NDR);
 * the last eight bytes are a plain byte array (C706 appendix A, MS-DTYP 2.3.4.2).
 */
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function uuidBytes(text: string, littleEndian = true): Uint8Array {
  if (!UUID_RE.test(text)) throw new Error(`not a UUID: ${text}`);
  const hex = text.replace(/-/g, '');
  const raw = new Uint8Array(16);
  for (let i = 0; i < 16; i++) raw[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  if (!littleEndian) return raw;
  const out = raw.slice();
  out[0] = raw[3];
  out[1] = raw[2];
  out[2] = raw[1];
  out[3] = raw[0];
  out[4] = raw[5];
  out[5] = raw[4];
  out[6] = raw[7];
  out[7] = raw[6];
  return out;
}

export function uuidText(wire: Uint8Array, littleEndian = true): string {
  if (wire.length < 16) throw new Error('UUID needs 16 bytes');
  const b = littleEndian
    ? [wire[3], wire[2], wire[1], wire[0], wire[5], wire[4], wire[7], wire[6], ...wire.subarray(8, 16)]
    : [...wire.subarray(0, 16)];
  const h = b.map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function isUuid(text: string): boolean {
  return UUID_RE.test(text);
}
