/**
 * Engine counters and the `stats` record: what was read, what was decoded, what went wrong (by kind — every
 * malformed input is counted, never thrown), and what fired (by sid).
 */
import { ptypeName } from '../dcerpc/names.js';
import type { MemoryBudget } from '../dcerpc/stub-assembler.js';
import type { Rule } from '../rules/rule.js';
import type { RuleSet, RuleSetStats } from '../rules/ruleset.js';
import type { ReassemblyStats } from '../tcp/stats.js';
import type { SessionLinker } from './session-linker.js';

export interface EngineStats {
  frames: number;
  packets: number;
  /** Bytes on the wire of the frames read. */
  bytes: number;
  connections: number;
  connections_live: number;
  dcerpc_connections: number;
  dcerpc_pdus: number;
  dcerpc_pdus_by_type: Record<string, number>;
  stubs_decoded: number;
  activations: number;
  session_ties: { oxid: number; host_pair_time: number; upgraded: number };
  /** Problems by kind: packet.* (frame decoding), dcerpc.* (framing/PDU decoding), wmi.* (stub decoding). */
  problems: Record<string, number>;
  alerts: number;
  alerts_by_sid: Record<string, number>;
  dcerpc_session_records: number;
  tcp: ReassemblyStats;
  rules: RuleSetStats;
  stub_memory: { used: number; peak: number; refusals: number };
}

export class EngineCounters {
  frames = 0;
  packets = 0;
  bytes = 0;
  connections = 0;
  dcerpcConnections = 0;
  pdus = 0;
  readonly pdusByType = new Array<number>(21).fill(0);
  stubsDecoded = 0;
  activations = 0;
  sessionRecords = 0;
  alerts = 0;
  private readonly problems = new Map<string, number>();
  private readonly bySid = new Map<string, number>();

  problem(kind: string): void {
    this.problems.set(kind, (this.problems.get(kind) ?? 0) + 1);
  }

  alert(rule: Rule): void {
    this.alerts++;
    const k = rule.gid === 1 ? String(rule.sid) : `${rule.gid}:${rule.sid}`;
    this.bySid.set(k, (this.bySid.get(k) ?? 0) + 1);
  }

  snapshot(
    rules: RuleSet,
    tcp: ReassemblyStats,
    live: number,
    budget: MemoryBudget,
    linker: SessionLinker,
  ): EngineStats {
    const byType: Record<string, number> = {};
    this.pdusByType.forEach((n, t) => {
      if (n > 0) byType[t === 20 ? 'other' : ptypeName(t)] = n;
    });
    return {
      frames: this.frames,
      packets: this.packets,
      bytes: this.bytes,
      connections: this.connections,
      connections_live: live,
      dcerpc_connections: this.dcerpcConnections,
      dcerpc_pdus: this.pdus,
      dcerpc_pdus_by_type: byType,
      stubs_decoded: this.stubsDecoded,
      activations: this.activations,
      session_ties: { ...linker.ties },
      problems: Object.fromEntries([...this.problems].sort()),
      alerts: this.alerts,
      alerts_by_sid: Object.fromEntries([...this.bySid].sort()),
      dcerpc_session_records: this.sessionRecords,
      tcp,
      rules: rules.stats(),
      stub_memory: { used: budget.used, peak: budget.peak, refusals: budget.refusals },
    };
  }
}
