import { describe, expect, it } from 'vitest';
import { MultiPatternMatcher, type PrefilterPattern, SMALL_SET } from '../../src/rules/prefilter.js';

/** Deterministic PRNG (xorshift32) so failures reproduce. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const lower = (b: number) => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b);

/** Reference: does pat occur in buf (ASCII case-folded when nocase)? Plain nested loops. */
function naive(buf: Uint8Array, pat: Uint8Array, nocase: boolean): boolean {
  outer: for (let i = 0; i + pat.length <= buf.length; i++) {
    for (let j = 0; j < pat.length; j++) {
      const a = nocase ? lower(buf[i + j]) : buf[i + j];
      const b = nocase ? lower(pat[j]) : pat[j];
      if (a !== b) continue outer;
    }
    return true;
  }
  return false;
}

function marked(m: MultiPatternMatcher, buf: Uint8Array, n: number): boolean[] {
  const stamp = new Uint32Array(n);
  m.scan(buf, stamp, 7);
  return Array.from(stamp, (v) => v === 7);
}

// A small alphabet makes matches (and near misses) frequent.
const ALPHABET = [0x00, 0x05, 0x03, 0x41, 0x61, 0x42, 0x62, 0xff];

function randomBytes(next: () => number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = ALPHABET[next() % ALPHABET.length];
  return b;
}

describe('MultiPatternMatcher', () => {
  for (const count of [1, 3, SMALL_SET, SMALL_SET + 1, 40]) {
    it(`agrees with a naive search (${count} patterns: ${count <= SMALL_SET ? 'per-pattern' : 'DFA'})`, () => {
      const next = rng(count * 7919);
      const patterns: PrefilterPattern[] = [];
      for (let id = 0; id < count; id++) {
        patterns.push({ bytes: randomBytes(next, 1 + (next() % 6)), nocase: next() % 2 === 0, id });
      }
      const m = new MultiPatternMatcher(patterns);
      for (let round = 0; round < 300; round++) {
        const buf = randomBytes(next, next() % 64);
        const got = marked(m, buf, count);
        for (const p of patterns) {
          const want = naive(buf, p.bytes, p.nocase);
          if (count <= SMALL_SET) expect(got[p.id], `pattern ${p.id}`).toBe(want);
          // the DFA folds case for every pattern: it may mark more, never fewer
          else if (want) expect(got[p.id], `pattern ${p.id}`).toBe(true);
          else if (got[p.id]) expect(naive(buf, p.bytes, true)).toBe(true);
        }
      }
    });
  }

  it('marks every rule sharing a pattern, and only on occurrence', () => {
    const m = new MultiPatternMatcher([
      { bytes: Uint8Array.from([5, 0, 3]), nocase: false, id: 0 },
      { bytes: Uint8Array.from([5, 0, 3]), nocase: false, id: 1 },
      { bytes: new TextEncoder().encode('WMI'), nocase: true, id: 2 },
    ]);
    expect(marked(m, Uint8Array.from([1, 5, 0, 3]), 3)).toEqual([true, true, false]);
    expect(marked(m, new TextEncoder().encode('xwmi'), 3)).toEqual([false, false, true]);
    expect(marked(m, Uint8Array.from([5, 0, 0, 3]), 3)).toEqual([false, false, false]);
  });
});
