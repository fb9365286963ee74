import { seqAdd, seqDiff } from './seq.js';

/**
 * Out-of-order data of one direction: segments that arrived beyond a hole, waiting for the hole to fill (or to be
 * declared a gap). This is the only place the reassembler copies payload: packet payloads are views into the
 * capture reader's buffers, which are reused, so anything kept past the current packet must be copied.
 *
 * Invariants (relied on by the reassembler):
 *   - segments are sorted by sequence number and never overlap each other;
 *   - every segment starts strictly after the stream's next expected sequence number (`base`).
 *
 * Overlap policy: FIRST DATA WINS. When a new segment overlaps buffered bytes, the buffered bytes are kept and only
 * the parts of the new segment that fill holes are stored. Overlapping bytes are compared; a difference is a
 * possible evasion attempt (the sender offered two different versions of the same stream bytes) and is counted.
 */
export interface BufferedSegment {
  /** Sequence number of data[0]. */
  seq: number;
  data: Uint8Array;
}

export class OutOfOrderBuffer {
  readonly segs: BufferedSegment[] = [];
  /** Payload bytes held. */
  bytes = 0;

  // Results of the last insert(), kept as fields so the call allocates no result object.
  /** Bytes newly stored. */
  added = 0;
  /** Bytes of the new segment that overlapped buffered bytes (and were discarded: first wins). */
  overlapped = 0;
  /** Overlapping regions whose bytes differed from the buffered ones. */
  conflicts = 0;

  /**
   * Stores the parts of `data` (first byte at sequence number `seq`) not already buffered. `base` is the stream's
   * next expected sequence number; `seq` must be after it.
   */
  insert(base: number, seq: number, data: Uint8Array): void {
    this.added = 0;
    this.overlapped = 0;
    this.conflicts = 0;
    const segs = this.segs;
    const s0 = seqDiff(seq, base); // offset of data[0] relative to base (> 0)
    const e = s0 + data.length;
    let s = s0;
    const n = segs.length;
    // Fast path: appending after the last buffered segment (the usual shape of a burst behind one lost segment).
    if (n === 0 || seqDiff(segs[n - 1].seq, base) + segs[n - 1].data.length <= s) {
      segs.push({ seq, data: copyOf(data, 0, data.length) });
      this.added = data.length;
      this.bytes += data.length;
      return;
    }
    let i = 0;
    for (; i < segs.length && s < e; i++) {
      const seg = segs[i];
      const bs = seqDiff(seg.seq, base);
      const be = bs + seg.data.length;
      if (be <= s) continue;
      if (bs >= e) break;
      if (bs > s) {
        // The new segment fills the hole [s, bs) in front of this buffered segment.
        segs.splice(i, 0, { seq: seqAdd(base, s), data: copyOf(data, s - s0, bs - s0) });
        this.added += bs - s;
        i++;
        s = bs;
      }
      // [s, min(e, be)) overlaps the buffered segment: it wins; compare for the anomaly counter.
      const oe = Math.min(e, be);
      this.overlapped += oe - s;
      if (!sameBytes(data, s - s0, seg.data, s - bs, oe - s)) this.conflicts++;
      s = oe;
    }
    if (s < e) {
      segs.splice(i, 0, { seq: seqAdd(base, s), data: copyOf(data, s - s0, e - s0) });
      this.added += e - s;
    }
    this.bytes += this.added;
  }

  /** Removes and returns the first segment (the caller accounts for its bytes through `bytes`). */
  shift(): BufferedSegment {
    const seg = this.segs.shift()!;
    this.bytes -= seg.data.length;
    return seg;
  }

  /** Drops everything; returns the number of bytes freed. */
  clear(): number {
    const freed = this.bytes;
    this.segs.length = 0;
    this.bytes = 0;
    return freed;
  }
}

/** A copy that survives reuse of the source buffer (Buffer#slice would return a view, so never use it here). */
function copyOf(src: Uint8Array, from: number, to: number): Uint8Array {
  const out = new Uint8Array(to - from);
  out.set(src.subarray(from, to));
  return out;
}

export function sameBytes(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, len: number): boolean {
  for (let k = 0; k < len; k++) {
    if (a[aOff + k] !== b[bOff + k]) return false;
  }
  return true;
}
