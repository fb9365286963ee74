/**
 * BatchSplitter: one sensor batch → PacketRecord v1 values, one group per unordered host pair, capture order kept.
 *
 * Every frame between two hosts must reach the same detector in order (both directions of a connection, and the
 * port-135 activation with the dynamic-port connection it leads to), so the batch is cut by HostPairKey and each cut
 * becomes records keyed by that key; the Kafka port partitions keyed records with Java's murmur2 rule.
 *
 * Records carry at most `maxRecordBytes` of frame data (a host pair with more in one batch gets several records,
 * consecutive `part` numbers, still in order on one partition): the broker's message.max.bytes defaults to ~1 MiB,
 * and a record over it would fail the whole produce request.
 *
 * Grouping costs no string per frame: the key is written into a scratch buffer, hashed to a number, and compared
 * byte-wise against the few groups in that hash bucket; a key is copied only when a new host pair appears.
 */
import type { WireFrame } from '@wmi-detect/wire';
import { FALLBACK_KEY, MAX_KEY_BYTES, writeHostPairKey } from './host-pair-key.js';

/** Frame bytes per record: half the broker's default message.max.bytes, leaving room for msgpack and headers. */
export const DEFAULT_MAX_RECORD_BYTES = 512 * 1024;

export interface HostPairGroup {
  readonly key: Uint8Array;
  readonly frames: WireFrame[];
  /** Sum of frame data lengths. */
  bytes: number;
  /** No IP header: the frames travel under FALLBACK_KEY. */
  readonly fallback: boolean;
}

/** One record to produce: the frames of one host pair, at most maxRecordBytes of them. */
export interface RecordCut {
  readonly key: Uint8Array;
  readonly part: number;
  readonly frames: WireFrame[];
  readonly fallback: boolean;
}

interface Bucket {
  group: HostPairGroup;
  next: Bucket | null;
}

export interface SplitResult {
  /** Groups in order of each host pair's first frame. */
  readonly groups: HostPairGroup[];
  /** Frames that went under FALLBACK_KEY (no IP header). */
  readonly fallbackFrames: number;
}

export class BatchSplitter {
  private readonly scratch = new Uint8Array(MAX_KEY_BYTES);
  private readonly buckets = new Map<number, Bucket>();

  /** Groups `frames` by host pair; `keep` (the pre-filter) may drop frames first. */
  split(frames: readonly WireFrame[], keep?: (f: WireFrame) => boolean): SplitResult {
    const groups: HostPairGroup[] = [];
    let fallbackGroup: HostPairGroup | null = null;
    let fallbackFrames = 0;
    const buckets = this.buckets;
    const scratch = this.scratch;
    buckets.clear();
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      if (keep !== undefined && !keep(f)) continue;
      const n = writeHostPairKey(f.d, f.l, scratch);
      if (n === 0) {
        fallbackFrames++;
        if (fallbackGroup === null) {
          fallbackGroup = { key: FALLBACK_KEY, frames: [], bytes: 0, fallback: true };
          groups.push(fallbackGroup);
        }
        fallbackGroup.frames.push(f);
        fallbackGroup.bytes += f.d.length;
        continue;
      }
      const h = fnv1a(scratch, n);
      let b = buckets.get(h) ?? null;
      const head = b;
      while (b !== null && !sameKey(b.group.key, scratch, n)) b = b.next;
      let g: HostPairGroup;
      if (b === null) {
        g = { key: scratch.slice(0, n), frames: [], bytes: 0, fallback: false };
        groups.push(g);
        buckets.set(h, { group: g, next: head });
      } else g = b.group;
      g.frames.push(f);
      g.bytes += f.d.length;
    }
    buckets.clear();
    return { groups, fallbackFrames };
  }
}

/** Cuts groups into records of at most maxRecordBytes of frame data; parts numbered from `firstPart`. */
export function cutRecords(
  groups: readonly HostPairGroup[],
  maxRecordBytes = DEFAULT_MAX_RECORD_BYTES,
  firstPart = 0,
): RecordCut[] {
  const out: RecordCut[] = [];
  let part = firstPart;
  for (const g of groups) {
    if (g.bytes <= maxRecordBytes) {
      out.push({ key: g.key, part: part++, frames: g.frames, fallback: g.fallback });
      continue;
    }
    let cur: WireFrame[] = [];
    let curBytes = 0;
    for (const f of g.frames) {
      if (cur.length > 0 && curBytes + f.d.length > maxRecordBytes) {
        out.push({ key: g.key, part: part++, frames: cur, fallback: g.fallback });
        cur = [];
        curBytes = 0;
      }
      cur.push(f);
      curBytes += f.d.length;
    }
    if (cur.length > 0) out.push({ key: g.key, part: part++, frames: cur, fallback: g.fallback });
  }
  return out;
}

function sameKey(a: Uint8Array, b: Uint8Array, n: number): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** FNV-1a, 32-bit: only a bucket index for grouping inside one batch (partitioning uses murmur2). */
function fnv1a(b: Uint8Array, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h >>> 0;
}
