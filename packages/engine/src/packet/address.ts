/**
 * IP addresses as text, per packet, cheaply. DecodedPacket carries addresses as canonical strings (dotted quad; RFC 5952
 * IPv6), and building a string for every packet would dominate decoding. A capture has few distinct addresses, so a
 * direct-mapped cache keyed by the raw address bytes returns the same string instance for the same address: one hash,
 * one compare, no allocation on a hit. Collisions simply overwrite the slot (bounded memory, no eviction policy).
 */

/** Dotted quad of buf[off..off+4). */
export function formatIPv4(buf: Uint8Array, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

/**
 * RFC 5952 text of buf[off..off+16): lower-case hex without leading zeros, the longest run (first on a tie) of two or
 * more zero groups replaced by "::", and IPv4-mapped addresses (::ffff:0:0/96) in the mixed form "::ffff:192.0.2.1"
 * (§5).
 */
export function formatIPv6(buf: Uint8Array, off: number): string {
  const g = new Array<number>(8);
  for (let i = 0; i < 8; i++) g[i] = (buf[off + 2 * i] << 8) | buf[off + 2 * i + 1];
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${formatIPv4(buf, off + 12)}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) => {
    let s = '';
    for (let i = from; i < to; i++) s += (i > from ? ':' : '') + g[i].toString(16);
    return s;
  };
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

const V4_SLOTS = 4096;
const V6_SLOTS = 1024;

/** Direct-mapped caches of address text by address value. One per decoder. */
export class AddressCache {
  private readonly v4Keys = new Int32Array(V4_SLOTS);
  private readonly v4Text: (string | undefined)[] = new Array(V4_SLOTS).fill(undefined);
  private readonly v6Keys = new Int32Array(V6_SLOTS * 4);
  private readonly v6Text: (string | undefined)[] = new Array(V6_SLOTS).fill(undefined);
  hits = 0;
  misses = 0;

  ipv4(buf: Uint8Array, off: number): string {
    const k = (buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3];
    const slot = Math.imul(k, 0x9e3779b1) >>> 20; // top 12 bits: 4096 slots
    const t = this.v4Text[slot];
    if (t !== undefined && this.v4Keys[slot] === k) {
      this.hits++;
      return t;
    }
    this.misses++;
    const s = formatIPv4(buf, off);
    this.v4Keys[slot] = k;
    this.v4Text[slot] = s;
    return s;
  }

  ipv6(buf: Uint8Array, off: number): string {
    const a = word(buf, off);
    const b = word(buf, off + 4);
    const c = word(buf, off + 8);
    const d = word(buf, off + 12);
    const h = Math.imul(a ^ Math.imul(b, 0x85ebca6b) ^ Math.imul(c, 0xc2b2ae35) ^ Math.imul(d, 0x27d4eb2f), 0x9e3779b1);
    const slot = h >>> 22; // top 10 bits: 1024 slots
    const t = this.v6Text[slot];
    const k = slot * 4;
    const keys = this.v6Keys;
    if (t !== undefined && keys[k] === a && keys[k + 1] === b && keys[k + 2] === c && keys[k + 3] === d) {
      this.hits++;
      return t;
    }
    this.misses++;
    const s = formatIPv6(buf, off);
    keys[k] = a;
    keys[k + 1] = b;
    keys[k + 2] = c;
    keys[k + 3] = d;
    this.v6Text[slot] = s;
    return s;
  }
}

function word(buf: Uint8Array, off: number): number {
  return (buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3];
}
