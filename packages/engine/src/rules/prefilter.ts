/**
 * Prefilter: one pass over a buffer tells which rules' fast patterns occur in it, so only those rules (plus the
 * rules that have no usable fast pattern) are evaluated — Snort's fast-pattern matcher in miniature.
 *
 * Two strategies, chosen by the number of distinct patterns:
 *   - few patterns (≤ SMALL_SET): each is searched on its own — Horspool for patterns of 4+ bytes (skips up to the
 *     pattern length per step), and for shorter exact patterns the native TypedArray.indexOf on the pattern's
 *     rarest-looking byte, then a compare. A DFA step costs a dependent memory load per byte; these do far fewer.
 *   - many patterns: Aho–Corasick compiled to a DFA over byte classes: bytes that occur in some pattern get their own class, all other
 * bytes share class 0, and ASCII letters are folded (the prefilter is case-insensitive, which can only add
 * candidates; the full evaluation is exact). Table = Int32Array(states × classes). Each state lists the rule ids
 * whose pattern ends there (outputs merged along failure links at build time). Scanning marks rule ids with the
 * caller's epoch in a stamp array; a state's outputs are marked once per scan (per-state epoch), so repeated
 * matches cost nothing.
 */

import { Buffer } from 'node:buffer';
import { buildSkip, findBytes, LOWER } from './inspect.js';

export interface PrefilterPattern {
  bytes: Uint8Array;
  /** Match case-insensitively (ASCII). The DFA always folds case; the small-set searchers honour this. */
  nocase: boolean;
  id: number;
}

/** Up to this many distinct patterns are searched one by one instead of through the DFA. */
export const SMALL_SET = 8;

interface Searcher {
  pat: Uint8Array;
  nocase: boolean;
  skip: Int32Array;
  /** Exact short pattern: index of the byte to look for with indexOf; -1 = use Horspool. */
  anchor: number;
  ids: Int32Array;
}

/** How common a byte is in binary protocol data (lower = rarer = better anchor). */
function commonness(b: number): number {
  if (b === 0x00) return 10;
  if (b === 0xff) return 6;
  if (b === 0x20) return 5;
  if (b < 0x10) return 4;
  if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)) return 3;
  return 1;
}

export class MultiPatternMatcher {
  private readonly small: Searcher[] | null;
  private readonly dfa: AhoCorasick | null;
  readonly patternCount: number;

  constructor(patterns: readonly PrefilterPattern[]) {
    this.patternCount = patterns.length;
    const distinct = new Map<string, { pat: Uint8Array; nocase: boolean; ids: number[] }>();
    for (const p of patterns) {
      const pat = p.nocase ? p.bytes.map((b) => LOWER[b]) : p.bytes;
      const key = `${p.nocase ? 'i' : 'x'}:${Buffer.from(pat).toString('hex')}`;
      const d = distinct.get(key);
      if (d) d.ids.push(p.id);
      else distinct.set(key, { pat, nocase: p.nocase, ids: [p.id] });
    }
    if (distinct.size <= SMALL_SET) {
      this.dfa = null;
      this.small = [...distinct.values()].map((d) => {
        let anchor = -1;
        if (!d.nocase && d.pat.length < 4) {
          anchor = 0;
          for (let k = 1; k < d.pat.length; k++) if (commonness(d.pat[k]) < commonness(d.pat[anchor])) anchor = k;
        }
        return { pat: d.pat, nocase: d.nocase, skip: buildSkip(d.pat, d.nocase), anchor, ids: Int32Array.from(d.ids) };
      });
    } else {
      this.small = null;
      this.dfa = new AhoCorasick(patterns);
    }
  }

  /** Mark every id whose pattern occurs in buf: stamp[id] = mark. */
  scan(buf: Uint8Array, stamp: Uint32Array, mark: number): void {
    if (this.dfa) {
      this.dfa.scan(buf, stamp, mark);
      return;
    }
    const small = this.small!;
    for (let i = 0; i < small.length; i++) {
      const s = small[i];
      if (
        s.anchor >= 0 ? anchoredFind(buf, s.pat, s.anchor) : findBytes(buf, s.pat, s.nocase, s.skip, 0, buf.length) >= 0
      ) {
        const ids = s.ids;
        for (let k = 0; k < ids.length; k++) stamp[ids[k]] = mark;
      }
    }
  }
}

/** indexOf on the anchor byte (native), then compare the whole pattern around it. */
function anchoredFind(buf: Uint8Array, pat: Uint8Array, anchor: number): boolean {
  const a = pat[anchor];
  const m = pat.length;
  const len = buf.length;
  let from = anchor;
  for (;;) {
    const j = buf.indexOf(a, from);
    if (j < 0) return false;
    const start = j - anchor;
    if (start + m > len) return false;
    let q = 0;
    while (q < m && buf[start + q] === pat[q]) q++;
    if (q === m) return true;
    from = j + 1;
  }
}

class AhoCorasick {
  private readonly cls = new Uint8Array(256);
  private readonly nClasses: number;
  private readonly delta: Int32Array;
  private readonly outStart: Int32Array;
  private readonly outIds: Int32Array;
  private readonly stateEpoch: Uint32Array;
  private epoch = 0;

  constructor(patterns: readonly PrefilterPattern[]) {
    // byte classes
    let nc = 1;
    const seen = new Int16Array(256).fill(-1);
    for (const p of patterns) {
      for (const b0 of p.bytes) {
        const b = LOWER[b0];
        if (seen[b] < 0) seen[b] = nc++;
      }
    }
    for (let b = 0; b < 256; b++) {
      const f = LOWER[b];
      this.cls[b] = Math.max(seen[f], 0);
    }
    this.nClasses = nc;

    // trie
    const children: Map<number, number>[] = [new Map()];
    const outs: number[][] = [[]];
    for (const p of patterns) {
      let s = 0;
      for (const b of p.bytes) {
        const c = this.cls[b];
        let nx = children[s].get(c);
        if (nx === undefined) {
          nx = children.length;
          children.push(new Map());
          outs.push([]);
          children[s].set(c, nx);
        }
        s = nx;
      }
      if (!outs[s].includes(p.id)) outs[s].push(p.id);
    }
    const n = children.length;
    const delta = new Int32Array(n * nc);
    const fail = new Int32Array(n);
    // BFS: build the DFA (missing transitions follow the failure link's transitions)
    const queue: number[] = [];
    for (let c = 0; c < nc; c++) {
      const nx = children[0].get(c);
      if (nx !== undefined) {
        delta[c] = nx;
        fail[nx] = 0;
        queue.push(nx);
      } else delta[c] = 0;
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi];
      for (const id of outs[fail[s]]) if (!outs[s].includes(id)) outs[s].push(id);
      for (let c = 0; c < nc; c++) {
        const nx = children[s].get(c);
        if (nx !== undefined) {
          fail[nx] = delta[fail[s] * nc + c];
          delta[s * nc + c] = nx;
          queue.push(nx);
        } else {
          delta[s * nc + c] = delta[fail[s] * nc + c];
        }
      }
    }
    const outStart = new Int32Array(n + 1);
    let total = 0;
    for (let st = 0; st < n; st++) {
      outStart[st] = total;
      total += outs[st].length;
    }
    outStart[n] = total;
    const outIds = new Int32Array(total);
    for (let st = 0, k = 0; st < n; st++) for (const id of outs[st]) outIds[k++] = id;
    // Scan table: entries hold the next state's row offset (state × classes), bit-inverted (negative) when that
    // state has outputs — one load decides both where to go and whether anything matched.
    const table = new Int32Array(n * nc);
    for (let i = 0; i < table.length; i++) {
      const nx = delta[i];
      table[i] = outs[nx].length > 0 ? ~(nx * nc) : nx * nc;
    }
    this.delta = table;
    this.outStart = outStart;
    this.outIds = outIds;
    this.stateEpoch = new Uint32Array(n);
  }

  scan(buf: Uint8Array, stamp: Uint32Array, mark: number): void {
    const epoch = ++this.epoch === 0xffffffff ? this.resetEpoch() : this.epoch;
    const table = this.delta;
    const cls = this.cls;
    const nc = this.nClasses;
    let row = 0;
    for (let i = 0; i < buf.length; i++) {
      const t = table[row + cls[buf[i]]];
      if (t >= 0) {
        row = t;
        continue;
      }
      row = ~t;
      const st = row / nc;
      if (this.stateEpoch[st] !== epoch) {
        this.stateEpoch[st] = epoch;
        const b = this.outStart[st + 1];
        for (let k = this.outStart[st]; k < b; k++) stamp[this.outIds[k]] = mark;
      }
    }
  }

  private resetEpoch(): number {
    this.stateEpoch.fill(0);
    this.epoch = 1;
    return 1;
  }
}
