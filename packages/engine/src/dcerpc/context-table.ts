/**
 * ContextTable: presentation context id → the interface it binds, per connection.
 *
 * A client proposes contexts in bind/alter_context (context id, abstract syntax = interface UUID + version, transfer
 * syntaxes); the server answers positionally in bind_ack/alter_context_resp (result 0 = acceptance, 2 = provider
 * rejection, 3 = negotiate_ack for bind-time feature negotiation). Requests then name a context id, and that is the
 * only way to know which interface — and hence which method — a request calls.
 *
 * Semantics (as Suricata's process_bind_pdu/process_bindack_pdu, which the conformance suite exercises):
 *   - an item whose context id is already known replaces the entry (alter_context re-using an id, Redmine #8378);
 *   - results are applied to the entries of the bind/alter_context with the same call_id, by item position;
 *   - an entry is usable by dce_iface only when acked with result 0 (`accepted`);
 *   - the bind's PFC_FIRST_FRAG is kept per entry (Suricata's FF flag, see rules/ruleset.ts);
 *   - the table is capped (default 64, like Suricata): when full, the oldest rejected entry goes first, then the
 *     oldest never-answered one, then the oldest accepted one — so a client cannot push the live interfaces out by
 *     proposing junk contexts.
 */
import type { DceInterfaceRef } from '../rules/types.js';
import { CONTEXT_RESULT } from './constants.js';
import type { SyntaxId } from './pdu/syntax.js';

/** The security context a presentation context was bound under (or that a PDU carried). */
export interface AuthInfo {
  readonly authType: number;
  readonly authLevel: number;
  readonly authContextId: number;
}

export class ContextEntry implements DceInterfaceRef {
  /** Acked by a bind_ack/alter_context_resp/bind_nak. */
  acked = false;
  /** Acked with result 0 (acceptance). */
  accepted = false;
  /** p_result_t.result once acked (0 acceptance, 1 user rejection, 2 provider rejection, 3 negotiate_ack). */
  result = -1;
  /** p_result_t.reason (or the bind_nak reject reason) once acked. */
  reason = 0;
  /** The transfer syntax the server chose (from the result), once acked. */
  acceptedTransferSyntax: SyntaxId | undefined = undefined;
  /** True when the answer was a bind_nak. */
  nak = false;

  constructor(
    readonly contextId: number,
    readonly uuid: string,
    readonly verMajor: number,
    readonly verMinor: number,
    readonly transferSyntaxes: readonly SyntaxId[],
    /** PTYPE of the PDU that proposed it (11 bind or 14 alter_context). */
    readonly boundBy: number,
    /** call_id of that bind/alter_context. */
    readonly bindCallId: number,
    /** Position of the item in that PDU. */
    readonly itemIndex: number,
    /** PFC_FIRST_FRAG was set on that PDU (Suricata's FF flag). */
    readonly bindFirstFrag: boolean,
    /** Security context in force when the context was bound (its PDU's verifier, else the connection's latest). */
    readonly auth: AuthInfo | null,
    readonly createdTsUs: number,
  ) {}

  /** Marks the entry answered. */
  ack(result: number, reason: number, transferSyntax: SyntaxId | undefined): void {
    this.acked = true;
    this.result = result;
    this.reason = reason;
    this.accepted = result === CONTEXT_RESULT.acceptance;
    this.acceptedTransferSyntax = transferSyntax;
  }
}

/** Shared by every table that has no entry yet: only ever read (put() swaps in a table's own Map first). */
const NO_CONTEXTS: Map<number, ContextEntry> = new Map();

export class ContextTable {
  /** NO_CONTEXTS until the first put: a connection that never binds allocates no Map (most TCP is not DCE/RPC). */
  private map = NO_CONTEXTS;
  /** Entries pushed out because the table was full. */
  evictions = 0;

  constructor(readonly capacity = 64) {}

  get size(): number {
    return this.map.size;
  }

  get(contextId: number): ContextEntry | undefined {
    return this.map.get(contextId);
  }

  /**
   * Adds or replaces the entry for entry.contextId. Returns the entry evicted to make room, if any (a replaced entry
   * with the same id is not an eviction).
   */
  put(entry: ContextEntry): ContextEntry | undefined {
    let map = this.map;
    if (map === NO_CONTEXTS) {
      map = new Map();
      this.map = map;
    }
    if (map.has(entry.contextId)) {
      // delete first so iteration order stays "oldest first"
      map.delete(entry.contextId);
      map.set(entry.contextId, entry);
      return undefined;
    }
    let evicted: ContextEntry | undefined;
    if (map.size >= this.capacity) {
      evicted = this.victim();
      if (evicted) {
        map.delete(evicted.contextId);
        this.evictions++;
      }
    }
    map.set(entry.contextId, entry);
    return evicted;
  }

  entries(): IterableIterator<ContextEntry> {
    return this.map.values();
  }

  clear(): void {
    this.map.clear();
  }

  private victim(): ContextEntry | undefined {
    let pending: ContextEntry | undefined;
    let accepted: ContextEntry | undefined;
    for (const e of this.map.values()) {
      if (e.acked && !e.accepted) return e;
      if (!e.acked) pending ??= e;
      else accepted ??= e;
    }
    return pending ?? accepted;
  }
}
