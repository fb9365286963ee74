/**
 * The `dcerpc_session` record: one per DCE/RPC connection, written when it ends — what was bound, what was called,
 * what failed, who authenticated and what the clear stubs said. This is the record a hunter reads when no rule
 * fired; alerts point at it through flow_id and session_id. Every list is bounded.
 */
import type { DcePduEvent } from '../dcerpc/event.js';
import { authLevelName, authTypeName, faultStatusName, interfaceName, operationName } from '../dcerpc/names.js';
import type { StubInsight } from '../wmi/insight.js';

const MAX_ITEMS = 64;

interface InterfaceUse {
  uuid: string;
  name?: string;
  version: string;
  accepted: boolean;
}

interface OperationUse {
  interface: string;
  opnum: number;
  operation?: string;
  requests: number;
  sealed: number;
}

interface FaultSeen {
  status: string;
  call_id: number;
  interface?: string;
  opnum?: number;
  operation?: string;
}

export interface DcerpcSessionBody {
  pdus: number;
  requests: number;
  sealed_pdus: number;
  interfaces: InterfaceUse[];
  operations: OperationUse[];
  faults: FaultSeen[];
  auth: { type: string; level: string; context_id: number }[];
  insight: Record<string, unknown>[];
  truncated?: boolean;
}

export class SessionSummary {
  pdus = 0;
  requests = 0;
  sealedPdus = 0;
  private readonly interfaces = new Map<string, InterfaceUse>();
  private readonly operations = new Map<string, OperationUse>();
  private readonly faults: FaultSeen[] = [];
  private readonly auth = new Map<number, { type: string; level: string; context_id: number }>();
  private readonly insight: Record<string, unknown>[] = [];
  private truncated = false;

  observe(ev: DcePduEvent, insight: StubInsight | null): void {
    this.pdus++;
    if (ev.sealed) this.sealedPdus++;
    if (ev.contexts !== null) {
      for (const c of ev.contexts) {
        const key = `${c.contextId}|${c.uuid}`;
        const u = this.interfaces.get(key);
        // the server's last ANSWER for the context: a re-proposal (alter_context re-using the id, e.g. an NTLM or
        // SPNEGO leg) that is still unanswered — or whose answer the capture lacks — does not undo an acceptance
        if (u !== undefined) {
          if (c.acked) u.accepted = c.accepted;
        } else if (this.interfaces.size < MAX_ITEMS) {
          const use: InterfaceUse = { uuid: c.uuid, version: `${c.verMajor}.${c.verMinor}`, accepted: c.accepted };
          const name = interfaceName(c.uuid);
          if (name !== undefined) use.name = name;
          this.interfaces.set(key, use);
        } else this.truncated = true;
      }
    }
    const a = ev.auth;
    if (a !== null && a.authType !== 0 && !this.auth.has(a.contextId) && this.auth.size < MAX_ITEMS) {
      this.auth.set(a.contextId, {
        type: authTypeName(a.authType),
        level: authLevelName(a.authLevel),
        context_id: a.contextId,
      });
    }
    if (ev.ptype === 0 && ev.firstFrag) {
      this.requests++;
      const uuid = ev.iface?.uuid ?? 'unknown';
      const opnum = ev.opnum ?? -1;
      const key = `${uuid}|${opnum}`;
      let op = this.operations.get(key);
      if (op === undefined && this.operations.size < MAX_ITEMS) {
        op = { interface: interfaceName(uuid) ?? uuid, opnum, requests: 0, sealed: 0 };
        const name = ev.iface !== undefined ? operationName(uuid, opnum) : undefined;
        if (name !== undefined) op.operation = name;
        this.operations.set(key, op);
      } else if (op === undefined) this.truncated = true;
      if (op !== undefined) {
        op.requests++;
        if (ev.sealed) op.sealed++;
      }
    }
    if (ev.ptype === 3 && ev.faultStatus !== undefined) {
      if (this.faults.length < MAX_ITEMS) {
        const f: FaultSeen = {
          status: faultStatusName(ev.faultStatus) ?? `0x${ev.faultStatus.toString(16).padStart(8, '0')}`,
          call_id: ev.callId,
        };
        if (ev.iface !== undefined) f.interface = interfaceName(ev.iface.uuid) ?? ev.iface.uuid;
        if (ev.opnum !== undefined) {
          f.opnum = ev.opnum;
          const name = ev.iface !== undefined ? operationName(ev.iface.uuid, ev.opnum) : undefined;
          if (name !== undefined) f.operation = name;
        }
        this.faults.push(f);
      } else this.truncated = true;
    }
    if (insight !== null && (insight.wmi !== undefined || insight.dcom !== undefined)) {
      if (this.insight.length < MAX_ITEMS) {
        const item: Record<string, unknown> = { call_id: ev.callId, direction: ev.dir === 0 ? 'request' : 'response' };
        if (ev.iface !== undefined && ev.opnum !== undefined) {
          const name = operationName(ev.iface.uuid, ev.opnum);
          if (name !== undefined) item.operation = name;
        }
        if (insight.wmi !== undefined) item.wmi = insight.wmi;
        if (insight.dcom !== undefined) item.dcom = insight.dcom;
        this.insight.push(item);
      } else this.truncated = true;
    }
  }

  body(): DcerpcSessionBody {
    const b: DcerpcSessionBody = {
      pdus: this.pdus,
      requests: this.requests,
      sealed_pdus: this.sealedPdus,
      interfaces: [...this.interfaces.values()],
      operations: [...this.operations.values()],
      faults: this.faults,
      auth: [...this.auth.values()],
      insight: this.insight,
    };
    if (this.truncated) b.truncated = true;
    return b;
  }
}
