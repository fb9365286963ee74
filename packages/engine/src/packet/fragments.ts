/**
 * IP fragment reassembly (IPv4 RFC 791 §3.2, IPv6 RFC 8200 §4.5), bounded, keyed by the caller:
 * IPv4 (src, dst, protocol, identification), IPv6 (src, dst, identification).
 *
 * Policy, chosen to be simple and predictable:
 * - Overlaps: FIRST WINS. Bytes already received are never overwritten; an overlapping fragment only fills the holes
 *   it covers. (Targets differ — Linux/BSD favour later data in some cases — and Snort/Suricata model per-host
 *   policies; a detector that only looks at DCE/RPC over TCP does not need that, and first-wins means an attacker
 *   cannot rewrite bytes we already inspected.) Every fragment that overlaps counts in `overlaps`.
 * - Length consistency, as the Linux stack does it: a second "last fragment" with a different end, a last fragment
 *   ending before data already received, or data beyond the end fixed by the last fragment make the datagram invalid:
 *   it is dropped (`invalid`).
 * - Bounds: a datagram whose data would exceed `maxDatagramBytes` (65535) is dropped (`overflows`); at most
 *   `maxDatagrams` are pending and at most `maxBufferedBytes` are buffered — beyond that the OLDEST pending datagram is
 *   dropped (`overflows`). A datagram not complete `timeoutUs` of packet time (30 s) after its first fragment is
 *   dropped (`timeouts`), checked whenever a packet arrives. Memory is therefore bounded by maxBufferedBytes.
 */
export interface FragmentLimits {
  /** Most datagrams pending at once (default 1024). */
  maxDatagrams?: number;
  /** Largest reassembled payload (default 65535, the IP maximum). */
  maxDatagramBytes?: number;
  /** Most bytes buffered over all pending datagrams (default 16 MiB). */
  maxBufferedBytes?: number;
  /** Packet-time timeout from a datagram's first fragment (default 30 s). */
  timeoutUs?: number;
}

export interface FragmentStats {
  /** Fragments offered. */
  fragments: number;
  /** Datagrams completed. */
  reassembled: number;
  /** Datagrams dropped for exceeding a bound. */
  overflows: number;
  /** Datagrams dropped because they did not complete in time (or were pending at `expireAll`). */
  timeouts: number;
  /** Datagrams dropped for inconsistent lengths. */
  invalid: number;
  /** Fragments that overlapped data already received. */
  overlaps: number;
}

export const FRAG_PENDING = 0;
export const FRAG_COMPLETE = 1;
export const FRAG_OVERFLOW = 2;
export const FRAG_INVALID = 3;
export type FragResult = typeof FRAG_PENDING | typeof FRAG_COMPLETE | typeof FRAG_OVERFLOW | typeof FRAG_INVALID;

/** One datagram being reassembled. After FRAG_COMPLETE, `data` holds exactly the reassembled payload. */
export class Datagram {
  buf = new Uint8Array(0);
  /** Received byte ranges, sorted and disjoint: [start0, end0, start1, end1, …]. */
  ranges: number[] = [];
  /** Payload length once the last fragment was seen, else -1. */
  total = -1;
  /** Protocol / next header carried by the fragment at offset 0 (-1 until it arrives). */
  proto = -1;
  /** Sum of the wire lengths of the frames that carried the fragments. */
  wireLen = 0;
  constructor(readonly firstTsUs: number) {}

  get data(): Uint8Array {
    return this.buf.subarray(0, Math.max(this.total, 0));
  }
}

export class FragmentTable {
  readonly stats: FragmentStats = { fragments: 0, reassembled: 0, overflows: 0, timeouts: 0, invalid: 0, overlaps: 0 };
  private readonly pending = new Map<string, Datagram>();
  private buffered = 0;
  private readonly maxDatagrams: number;
  private readonly maxDatagramBytes: number;
  private readonly maxBufferedBytes: number;
  private readonly timeoutUs: number;
  /** The datagram completed by the last `add` that returned FRAG_COMPLETE. */
  completed: Datagram | null = null;

  constructor(limits: FragmentLimits = {}) {
    this.maxDatagrams = limits.maxDatagrams ?? 1024;
    this.maxDatagramBytes = limits.maxDatagramBytes ?? 65535;
    this.maxBufferedBytes = limits.maxBufferedBytes ?? 16 * 1024 * 1024;
    this.timeoutUs = limits.timeoutUs ?? 30_000_000;
  }

  /** Datagrams waiting for fragments. */
  get pendingCount(): number {
    return this.pending.size;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Offer one fragment: `data` holds the fragment's payload, which starts `offset` bytes into the datagram's payload;
   * `more` is the MF / M flag; `proto` the protocol (IPv4) or the fragment header's next header (IPv6).
   */
  add(
    key: string,
    tsUs: number,
    offset: number,
    data: Uint8Array,
    more: boolean,
    proto: number,
    wireLen: number,
  ): FragResult {
    this.stats.fragments++;
    this.expire(tsUs);
    const start = offset;
    const end = offset + data.length;
    let d = this.pending.get(key);
    if (d === undefined) {
      if (this.pending.size >= this.maxDatagrams) this.dropOldest();
      d = new Datagram(tsUs);
      this.pending.set(key, d);
    }
    d.wireLen += wireLen;
    if (end > this.maxDatagramBytes) return this.drop(key, d, FRAG_OVERFLOW);
    const maxEnd = d.ranges.length > 0 ? d.ranges[d.ranges.length - 1] : 0;
    if (!more) {
      if ((d.total >= 0 && d.total !== end) || end < maxEnd) return this.drop(key, d, FRAG_INVALID);
      d.total = end;
    } else if (d.total >= 0 && end > d.total) {
      return this.drop(key, d, FRAG_INVALID);
    }
    if (offset === 0) d.proto = proto;
    if (end > d.buf.length && !this.grow(key, d, end)) return FRAG_OVERFLOW;
    if (end > start && this.insert(d, start, end, data)) this.stats.overlaps++;
    if (d.total >= 0 && d.ranges.length === 2 && d.ranges[0] === 0 && d.ranges[1] === d.total) {
      this.pending.delete(key);
      this.buffered -= d.buf.length;
      this.stats.reassembled++;
      this.completed = d;
      return FRAG_COMPLETE;
    }
    return FRAG_PENDING;
  }

  /** Drop datagrams whose first fragment is older than the timeout at packet time `nowUs`. Returns how many. */
  expire(nowUs: number): number {
    let n = 0;
    for (const [key, d] of this.pending) {
      // Insertion order is creation order, so the first young datagram ends the scan.
      if (nowUs - d.firstTsUs <= this.timeoutUs) break;
      this.remove(key, d);
      n++;
    }
    this.stats.timeouts += n;
    return n;
  }

  /** End of input: every pending datagram is dropped and counted as timed out. */
  expireAll(): number {
    const n = this.pending.size;
    for (const [key, d] of this.pending) this.remove(key, d);
    this.stats.timeouts += n;
    return n;
  }

  /** Copy the parts of [start, end) not yet received (first wins) and merge the range. True if it overlapped. */
  private insert(d: Datagram, start: number, end: number, data: Uint8Array): boolean {
    const r = d.ranges;
    let overlapped = false;
    let cursor = start;
    let i = 0;
    // Ranges entirely before the new one stay; walk the ones that touch or overlap it.
    while (i < r.length && r[i + 1] < start) i += 2;
    const firstTouch = i;
    let newStart = start;
    let newEnd = end;
    while (i < r.length && r[i] <= end) {
      const s = r[i];
      const e = r[i + 1];
      if (s < end && e > start) overlapped = true;
      if (s > cursor) d.buf.set(data.subarray(cursor - start, s - start), cursor);
      if (e > cursor) cursor = e;
      if (s < newStart) newStart = s;
      if (e > newEnd) newEnd = e;
      i += 2;
    }
    if (cursor < end) d.buf.set(data.subarray(cursor - start, end - start), cursor);
    r.splice(firstTouch, i - firstTouch, newStart, newEnd);
    return overlapped;
  }

  private grow(key: string, d: Datagram, end: number): boolean {
    let cap = Math.max(d.buf.length * 2, 2048);
    if (cap < end) cap = end;
    if (cap > this.maxDatagramBytes) cap = this.maxDatagramBytes;
    const extra = cap - d.buf.length;
    while (this.buffered + extra > this.maxBufferedBytes) {
      const oldest = this.pending.keys().next();
      if (oldest.done || oldest.value === key) {
        this.drop(key, d, FRAG_OVERFLOW);
        return false;
      }
      this.dropOldest();
    }
    const next = new Uint8Array(cap);
    next.set(d.buf, 0);
    d.buf = next;
    this.buffered += extra;
    return true;
  }

  private dropOldest(): void {
    const first = this.pending.entries().next();
    if (first.done) return;
    this.remove(first.value[0], first.value[1]);
    this.stats.overflows++;
  }

  private drop(key: string, d: Datagram, why: typeof FRAG_OVERFLOW | typeof FRAG_INVALID): FragResult {
    this.remove(key, d);
    if (why === FRAG_OVERFLOW) this.stats.overflows++;
    else this.stats.invalid++;
    return why;
  }

  private remove(key: string, d: Datagram): void {
    this.pending.delete(key);
    this.buffered -= d.buf.length;
  }
}
