/**
 * SuricataStubJoiner: Suricata's `dcerpc.stub_data` buffer for one connection, for rule sets compiled with
 * `stubBuffer: 'suricata'` (RuleSet.stubBuffer). The engine's own stub (DceView.stub) is the NDR stub data; Suricata's
 * buffer is wider, and rules written for Suricata that measure it (`bsize`) or count offsets in it need it as is.
 *
 * What Suricata puts in the buffer (rust/src/dcerpc/dcerpc.rs `handle_common_stub`; SEMANTICS.md §5):
 *
 *   request  PDU: bytes [24, frag_length) — after common header (16) + alloc_hint (4) + p_cont_id (2) + opnum (2);
 *                 the object UUID (PFC_OBJECT_UUID), auth padding, sec_trailer and verifier stay in
 *   response PDU: bytes [16, frag_length) — after the common header only; the 8-byte response header stays in
 *
 * Fragments of one call (same call_id and direction) are appended, up to max-stub-size (1 MiB); a PDU sees the
 * buffer joined so far (Suricata inspects the transaction's growing buffer). An unfragmented PDU gets a view into
 * itself (no copy). Joins in flight are bounded per connection (MAX_JOINS, oldest dropped) and their memory is taken
 * from the engine's MemoryBudget, like the DCE/RPC layer's own stub reassembly. Sealed PDUs get nothing: their stub
 * is ciphertext, which this engine never inspects.
 */

import { PTYPE } from '../dcerpc/constants.js';
import type { DcePduEvent } from '../dcerpc/event.js';
import { initialStubCapacity, type MemoryBudget, StubAssembler } from '../dcerpc/stub-assembler.js';

/** Suricata's DCERPC_MAX_STUB_SIZE default. */
export const SURICATA_MAX_STUB_SIZE = 1 << 20;
/** Fragmented calls joined at once per connection (more are in flight only in pathological traffic). */
const MAX_JOINS = 8;

interface Join {
  dir: number;
  callId: number;
  asm: StubAssembler;
}

export class SuricataStubJoiner {
  private readonly joins: Join[] = [];

  constructor(private readonly budget: MemoryBudget) {}

  /** Sets ev.suricataStub for a request or response PDU (null for other types, sealed or cut PDUs). */
  fill(ev: DcePduEvent): void {
    ev.suricataStub = null;
    const hdr = ev.ptype === PTYPE.request ? 24 : ev.ptype === PTYPE.response ? 16 : -1;
    if (hdr < 0 || ev.sealed) return;
    const pdu = ev.pdu;
    const n = pdu.length - hdr;
    if (n < 0) return;
    let i = this.find(ev.dir, ev.callId);
    if (ev.firstFrag) {
      if (i >= 0) this.drop(i);
      if (ev.lastFrag) {
        ev.suricataStub = pdu.subarray(hdr);
        return;
      }
      i = -1;
    }
    if (i < 0) {
      // a first fragment, or a later one whose start we missed (gap, midstream): join from here
      if (this.joins.length >= MAX_JOINS) this.drop(0);
      const cap = Math.min(initialStubCapacity(2 * n, SURICATA_MAX_STUB_SIZE), this.budget.available);
      this.budget.take(cap);
      this.joins.push({ dir: ev.dir, callId: ev.callId, asm: new StubAssembler(ev.dir, cap, SURICATA_MAX_STUB_SIZE) });
      i = this.joins.length - 1;
    }
    const asm = this.joins[i].asm;
    const before = asm.capacity;
    asm.append(pdu, hdr, n, this.budget.available);
    this.budget.take(asm.capacity - before);
    ev.suricataStub = asm.view();
    if (ev.lastFrag) this.drop(i);
  }

  /** Releases every join (connection closed). */
  clear(): void {
    while (this.joins.length > 0) this.drop(this.joins.length - 1);
  }

  private find(dir: number, callId: number): number {
    const j = this.joins;
    for (let i = 0; i < j.length; i++) if (j[i].dir === dir && j[i].callId === callId) return i;
    return -1;
  }

  private drop(i: number): void {
    this.budget.release(this.joins[i].asm.capacity);
    this.joins.splice(i, 1);
  }
}
