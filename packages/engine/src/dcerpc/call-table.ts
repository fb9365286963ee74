/**
 * CallTable: call_id → the request a response or fault answers, per connection.
 *
 * Responses and faults carry no opnum, and their p_cont_id alone cannot tell two calls on the same context apart; the
 * call_id can. Without this table a fault would be blamed on whatever request came last — the KPN fault-rule false
 * positive where a status-5 fault of one call was attributed to another call in flight on the same stream.
 *
 * An entry is created by the first request fragment and removed by the last response fragment or a fault (or an
 * orphaned PDU). Bounded (default 256 calls in flight): when full the oldest call is evicted and counted.
 */
import type { AuthInfo, ContextEntry } from './context-table.js';
import type { StubAssembler } from './stub-assembler.js';

export class CallEntry {
  /** Reassembly of a multi-fragment request stub (null for single-fragment or sealed requests). */
  request: StubAssembler | null = null;
  /** Reassembly of a multi-fragment response stub. */
  response: StubAssembler | null = null;
  requestFragments = 0;
  responseFragments = 0;
  /** The request's last fragment was seen. */
  requestComplete = false;
  /** A co_cancel for this call was seen. */
  cancelled = false;
  lastTsUs: number;

  constructor(
    readonly callId: number,
    /** p_cont_id of the (first) request fragment. */
    readonly contextId: number,
    /** opnum of the (first) request fragment. */
    readonly opnum: number,
    /** The context entry the request's p_cont_id resolved to when the request was seen (undefined if unknown). */
    readonly iface: ContextEntry | undefined,
    readonly littleEndian: boolean,
    /** Effective security context of the request. */
    readonly auth: AuthInfo | null,
    /** The request was sealed (auth level 6). */
    readonly sealed: boolean,
    readonly firstTsUs: number,
    /** The call's first fragment was seen (false when created from a later fragment). */
    readonly sawFirstFragment: boolean,
  ) {
    this.lastTsUs = firstTsUs;
  }
}

/** Shared by every table that has no call yet: only ever read (put() swaps in a table's own Map first). */
const NO_CALLS: Map<number, CallEntry> = new Map();

export class CallTable {
  /** NO_CALLS until the first put: a connection that never calls allocates no Map (most TCP is not DCE/RPC). */
  private map = NO_CALLS;
  evictions = 0;

  constructor(readonly capacity = 256) {}

  get size(): number {
    return this.map.size;
  }

  get(callId: number): CallEntry | undefined {
    return this.map.get(callId);
  }

  /** Inserts (or replaces) the call; returns the call evicted to make room, if any. */
  put(call: CallEntry): CallEntry | undefined {
    let map = this.map;
    if (map === NO_CALLS) {
      map = new Map();
      this.map = map;
    }
    if (map.delete(call.callId)) {
      map.set(call.callId, call);
      return undefined;
    }
    let evicted: CallEntry | undefined;
    if (map.size >= this.capacity) {
      // Map iteration is insertion order: the first key is the oldest call
      const first = map.values().next();
      if (!first.done) {
        evicted = first.value;
        map.delete(evicted.callId);
        this.evictions++;
      }
    }
    map.set(call.callId, call);
    return evicted;
  }

  delete(callId: number): boolean {
    return this.map.delete(callId);
  }

  values(): IterableIterator<CallEntry> {
    return this.map.values();
  }

  clear(): void {
    this.map.clear();
  }
}
