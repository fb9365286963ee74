/**
 * Prefilter: one pass over a buffer tells which rules' fast patterns occur in it, so only those rules (plus the
 * rules that have no usable fast pattern) are evaluated — Snort's fast-pattern matcher in miniature.
 *
 * Aho–Corasick compiled to a DFA over byte classes: bytes that occur in some pattern get their own class, all other
 * bytes share class 0, and ASCII letters are folded (the prefilter is case-insensitive, which can only add
 * candidates; the full evaluation is exact). Table = Int32Array(states × classes). Each state lists the rule ids
 * whose pattern ends there (outputs merged along failure links at build time). Scanning marks rule ids with the
 * caller's epoch in a stamp array; a state's outputs are marked once per scan (per-state epoch), so repeated
 * matches cost nothing.
 */

import { LOWER } from './inspect.js';

export class MultiPatternMatcher {
  private readonly cls = new Uint8Array(256);
  private readonly nClasses: number;
  private readonly delta: Int32Array;
  private readonly outStart: Int32Array;
  private readonly outIds: Int32Array;
  private readonly stateEpoch: Uint32Array;
  private epoch = 0;
  readonly patternCount: number;

  constructor(patterns: readonly { bytes: Uint8Array; id: number }[]) {
    this.patternCount = patterns.length;
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
    this.delta = delta;
    const outStart = new Int32Array(n + 1);
    let total = 0;
    for (let s = 0; s < n; s++) {
      outStart[s] = total;
      total += outs[s].length;
    }
    outStart[n] = total;
    const outIds = new Int32Array(total);
    for (let s = 0, k = 0; s < n; s++) for (const id of outs[s]) outIds[k++] = id;
    this.outStart = outStart;
    this.outIds = outIds;
    this.stateEpoch = new Uint32Array(n);
  }

  /** Mark every id whose pattern occurs in buf: stamp[id] = mark. */
  scan(buf: Uint8Array, stamp: Uint32Array, mark: number): void {
    const epoch = ++this.epoch === 0xffffffff ? this.resetEpoch() : this.epoch;
    const delta = this.delta;
    const cls = this.cls;
    const nc = this.nClasses;
    const outStart = this.outStart;
    const outIds = this.outIds;
    const se = this.stateEpoch;
    let s = 0;
    for (let i = 0; i < buf.length; i++) {
      s = delta[s * nc + cls[buf[i]]];
      const a = outStart[s];
      const b = outStart[s + 1];
      if (a !== b && se[s] !== epoch) {
        se[s] = epoch;
        for (let k = a; k < b; k++) stamp[outIds[k]] = mark;
      }
    }
  }

  private resetEpoch(): number {
    this.stateEpoch.fill(0);
    this.epoch = 1;
    return 1;
  }
}
