import type { DcerpcConnectionOptions } from '../dcerpc/connection.js';
import type { EveRecord } from '../output/eve.js';
import type { RuleSet } from '../rules/ruleset.js';
import type { ReassemblyOptions } from '../tcp/options.js';
import type { ClsidTable } from '../wmi/clsids.js';

export interface EngineOptions {
  /** Compiled rules (compileRules(...).ruleSet). */
  ruleSet: RuleSet;
  /** Receives every record, synchronously, in packet order. Serialise or copy before returning. */
  onRecord: (record: EveRecord) => void;
  /** Copied into records' `capture` field: the file name offline, the sensor id in the pipeline. */
  capture?: string;
  /** TCP reassembly bounds and timeouts (tcp/options.ts). */
  reassembly?: Partial<ReassemblyOptions>;
  /** DCE/RPC per-connection bounds (dcerpc/connection.ts). */
  dcerpc?: Omit<DcerpcConnectionOptions, 'midstream' | 'sharedBudget'>;
  /**
   * Stream bytes per direction of a connection handed to DCE/RPC decoding and inspection (Suricata's
   * stream.reassembly.depth, Snort's stream depth). Default unlimited: a WMI session can run for hours and its later
   * calls matter as much as its first (0 or absent: unlimited). Packet rules still see every packet.
   */
  reassemblyDepth?: number;
  /** All stub reassembly buffers of all connections together (default 64 MiB). */
  stubMemoryBytes?: number;
  /** CLSID → name table for dcom.clsid_name (default: DEFAULT_CLSIDS). */
  clsids?: ClsidTable;
  /** Decode clear DCOM/WMI stubs for wmi{}/dcom{} insight (default true). */
  insight?: boolean;
  /** Write one dcerpc_session record per DCE/RPC connection when it ends (default false). */
  sessionRecords?: boolean;
  /** host_pair_time tie: how long after an activation a new connection still belongs to it (default 120 s). */
  sessionWindowUs?: number;
  /** tag:session without a count follows this many packets (Snort's tagged_packet_limit default, 256). */
  tagPacketLimit?: number;
}
