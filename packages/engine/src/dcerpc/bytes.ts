/**
 * Unsigned integer readers in an explicit byte order. DCE/RPC picks the byte order per PDU from drep[0] & 0x10,
 * so every multi-byte read takes `le`. Plain byte arithmetic (no DataView) keeps the hot path free of allocations.
 * Callers check bounds; these helpers do not.
 */

export function readU16(b: Uint8Array, o: number, le: boolean): number {
  return le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
}

export function readU32(b: Uint8Array, o: number, le: boolean): number {
  // `* 0x1000000` instead of `<< 24` keeps the result unsigned without a `>>> 0`.
  return le
    ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000
    : b[o] * 0x1000000 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
}

/** Lower-case hex of a byte range (for problem details and tests; not for hot paths). */
export function toHex(b: Uint8Array, start = 0, end = b.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += HEX2[b[i]];
  return s;
}

/** Parses a hex string (whitespace, `|`, `:` and `0x` prefixes ignored) into bytes; throws on odd length/bad digits. */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/0x/gi, '').replace(/[\s|:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean))
    throw new Error(`invalid hex string (${clean.length} digits)`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

export const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
