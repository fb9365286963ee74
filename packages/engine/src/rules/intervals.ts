/**
 * Closed-interval sets over an integer domain [0, max], used to compile rule addresses (IPv4 as numbers, IPv6 as
 * bigints) and ports. Snort's list semantics (`[a,b,!c]` = (a ∪ b) − c, `!x` = complement) become exact set algebra
 * here, once, at load time; matching is then a search over sorted disjoint ranges.
 *
 * Representation: a flat sorted array [lo0, hi0, lo1, hi1, …] of disjoint, non-adjacent ranges.
 */

export interface Domain<T> {
  max: T;
  zero: T;
  one: T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  lt(a: T, b: T): boolean;
}

export const NUM: Domain<number> = {
  max: 0xffffffff,
  zero: 0,
  one: 1,
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  lt: (a, b) => a < b,
};

export const PORTS: Domain<number> = { ...NUM, max: 0xffff };

export const BIG: Domain<bigint> = {
  max: (1n << 128n) - 1n,
  zero: 0n,
  one: 1n,
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  lt: (a, b) => a < b,
};

/** Sort and merge overlapping or adjacent ranges. */
export function normalize<T>(d: Domain<T>, ranges: T[]): T[] {
  const pairs: [T, T][] = [];
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i], ranges[i + 1]]);
  pairs.sort((a, b) => (d.lt(a[0], b[0]) ? -1 : d.lt(b[0], a[0]) ? 1 : 0));
  const out: T[] = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n > 0) {
      const prevHi = out[n - 1];
      // merge when lo <= prevHi + 1 (written without overflowing past max)
      if (!d.lt(prevHi, lo) || (prevHi !== d.max && !d.lt(d.add(prevHi, d.one), lo))) {
        if (d.lt(prevHi, hi)) out[n - 1] = hi;
        continue;
      }
    }
    out.push(lo, hi);
  }
  return out;
}

export function union<T>(d: Domain<T>, a: T[], b: T[]): T[] {
  return normalize(d, [...a, ...b]);
}

export function complement<T>(d: Domain<T>, a: T[]): T[] {
  const out: T[] = [];
  let next = d.zero;
  let done = false;
  for (let i = 0; i < a.length; i += 2) {
    const lo = a[i];
    const hi = a[i + 1];
    if (d.lt(next, lo)) out.push(next, d.sub(lo, d.one));
    if (hi === d.max) {
      done = true;
      break;
    }
    next = d.add(hi, d.one);
  }
  if (!done) out.push(next, d.max);
  return out;
}

export function subtract<T>(d: Domain<T>, a: T[], b: T[]): T[] {
  // a − b = complement(complement(a) ∪ b)
  return complement(d, union(d, complement(d, a), b));
}

export function isFull<T>(d: Domain<T>, a: T[]): boolean {
  return a.length === 2 && a[0] === d.zero && a[1] === d.max;
}

/** Membership in a normalized flat range list of numbers: linear for short lists, binary search otherwise. */
export function hasNum(r: ArrayLike<number>, v: number): boolean {
  const n = r.length;
  if (n <= 16) {
    for (let i = 0; i < n; i += 2) {
      if (v < r[i]) return false;
      if (v <= r[i + 1]) return true;
    }
    return false;
  }
  let lo = 0;
  let hi = (n >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (v < r[mid * 2]) hi = mid - 1;
    else if (v > r[mid * 2 + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

export function hasBig(r: readonly bigint[], v: bigint): boolean {
  let lo = 0;
  let hi = (r.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (v < r[mid * 2]) hi = mid - 1;
    else if (v > r[mid * 2 + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}
