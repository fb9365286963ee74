/**
 * RFC 1071 Internet checksum: one's-complement sum of 16-bit big-endian words.
 * `sum16` returns the un-complemented running sum so pseudo-headers can be chained.
 */
export function sum16(data: Uint8Array, initial = 0): number {
  let sum = initial;
  const n = data.length & ~1;
  for (let i = 0; i < n; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (data.length & 1) sum += data[data.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

export function finish(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export function internetChecksum(data: Uint8Array): number {
  return finish(sum16(data));
}
