/**
 * StubAssembler: joins the stub fragments of one multi-fragment request or response (same call_id, first fragment
 * with PFC_FIRST_FRAG, last with PFC_LAST_FRAG) into one buffer, so stub content rules see the whole NDR stream —
 * e.g. an IWbemServices::ExecMethod whose command line straddles a 5840-byte fragment boundary.
 *
 * Bounded: at most `limit` bytes (Suricata's max-stub-size, default 1 MiB); the rest is dropped and the stub marked
 * truncated. The connection also caps the total held by all of its assemblers, and a MemoryBudget can cap all
 * connections together. Growth is geometric from a small start (alloc_hint is attacker-controlled, so it only sizes
 * the first allocation, up to 64 KiB).
 */
import type { Direction } from '../tcp/types.js';

const INITIAL_MAX = 64 * 1024;

/**
 * A byte budget shared by many holders — e.g. every DcerpcConnection of one engine — so that stub reassembly stays
 * bounded in total, not only per connection. Holders take what they allocate and release it when they drop it.
 */
export class MemoryBudget {
  used = 0;
  peak = 0;
  /** Times a holder wanted more than was available. */
  refusals = 0;

  constructor(readonly limit: number) {}

  get available(): number {
    return this.limit > this.used ? this.limit - this.used : 0;
  }

  take(n: number): void {
    this.used += n;
    if (this.used > this.peak) this.peak = this.used;
  }

  release(n: number): void {
    this.used = this.used > n ? this.used - n : 0;
  }
}

/** First allocation for a stub of `allocHint` bytes (the hint is attacker-controlled: at most 64 KiB up front). */
export function initialStubCapacity(allocHint: number, limit: number): number {
  return Math.min(Math.max(256, Math.min(allocHint, INITIAL_MAX)), limit);
}

export class StubAssembler {
  private buf: Uint8Array;
  length = 0;
  fragments = 0;
  /** Bytes were dropped because of the size bound. */
  truncated = false;
  /** A fragment is missing (gap in the stream, or no first fragment): the joined stub is not the real one. */
  broken = false;

  constructor(
    readonly dir: Direction,
    /** First allocation (initialStubCapacity, possibly cut by a memory budget; 0 is allowed). */
    initialCapacity: number,
    readonly limit: number,
  ) {
    this.buf = new Uint8Array(initialCapacity);
  }

  /** Allocated bytes (for the connection's memory bound). */
  get capacity(): number {
    return this.buf.length;
  }

  /**
   * Appends src[off..off+n). `budget` is how many more bytes of capacity the connection allows this assembler to
   * grow by. Returns false when bytes had to be dropped (size bound or budget).
   */
  append(src: Uint8Array, off: number, n: number, budget: number): boolean {
    this.fragments++;
    if (this.truncated) return false;
    let room = this.limit - this.length;
    let take = n;
    if (take > room) take = room;
    if (this.length + take > this.buf.length) {
      const want = Math.min(Math.max(this.buf.length * 2, this.length + take, 256), this.limit);
      const grow = Math.min(want - this.buf.length, budget);
      if (grow > 0) {
        const nb = new Uint8Array(this.buf.length + grow);
        nb.set(this.buf.subarray(0, this.length), 0);
        this.buf = nb;
      }
      room = this.buf.length - this.length;
      if (take > room) take = room;
    }
    this.buf.set(src.subarray(off, off + take), this.length);
    this.length += take;
    if (take < n) this.truncated = true;
    return take === n;
  }

  /** The joined stub (owned memory: stays valid after the PDU callback). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
