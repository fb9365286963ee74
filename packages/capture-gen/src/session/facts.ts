/**
 * Ground truth of a generated capture: what was put on the wire, by whom, for which call.
 *
 * The recorder is fed by the session layer as PDUs are emitted (never by decoding the capture), so it is an
 * independent statement of intent that decoders — the engine, tshark — can be checked against.
 */
import type { IdentityFact } from '../auth/scheme.js';

export type Direction = 'to_server' | 'to_client';

export interface ConnectionFact {
  /** Scenario-local label, e.g. "scm" or "wmi". */
  id: string;
  client: { ip: string; port: number; host: string };
  server: { ip: string; port: number; host: string };
  /** false when the capture starts midstream. */
  handshake: boolean;
  /** Byte order of the PDUs on this connection. */
  drep: 'le' | 'be';
  /** Whether DCE/RPC runs on this connection at all (negative controls have false). */
  dcerpc: boolean;
  notes?: string;
}

export interface PduFact {
  connection: string;
  direction: Direction;
  ptype: string;
  callId: number;
  flags: number;
  fragLength: number;
  authLength: number;
  contextId?: number;
  opnum?: number;
  /** Interface the call is made on (request/response/fault) or the first abstract syntax (bind family). */
  interface?: string;
  interfaceName?: string;
  /** For bind/alter_context: every (contextId, abstract syntax) offered. */
  contexts?: Array<{ contextId: number; interface: string; transferSyntaxes: string[] }>;
  /** For bind_ack/alter_context_resp: per-context results. */
  results?: Array<{ contextId: number; result: number; reason: number }>;
  secAddr?: string;
  /** bind_nak provider_reject_reason. */
  rejectReason?: number;
  objectUuid?: string;
  status?: number;
  authType?: number;
  authLevel?: number;
  authContextId?: number;
  /** The stub is encrypted (packet privacy): interface/opnum visible, contents not. */
  sealed?: boolean;
  fragment?: 'single' | 'first' | 'middle' | 'last';
  stubLength?: number;
  /**
   * false when some byte of this PDU never reached the capture (dropped segment) or the PDU precedes a
   * midstream pickup: a decoder cannot see it and must resynchronise on the next PDU.
   */
  captured: boolean;
  /** false when the bind that established this context is not in the capture (midstream). */
  contextVisible?: boolean;
}

export interface ActivationFact {
  connection: string;
  callId: number;
  opnum: 3 | 4;
  method: 'RemoteGetClassObject' | 'RemoteCreateInstance';
  clsid: string;
  clsidName?: string;
  iids: string[];
  sealed: boolean;
  outcome: 'ok' | 'fault' | 'hresult';
  faultStatus?: number;
  hresult?: number;
  /** From the reply (absent when refused or when the reply is sealed). */
  oxid?: string;
  oxidBindings?: string[];
  ipid?: string;
  ipidRemUnknown?: string;
  authnHint?: number;
  /** Port the object exporter listens on (known to the generator even when the reply is sealed). */
  dynamicPort?: number;
}

export interface WmiCallFact {
  connection: string;
  callId: number;
  interface: string;
  interfaceName: string;
  opnum: number;
  operation: string;
  objectUuid?: string;
  sealed: boolean;
  namespace?: string;
  query?: string;
  class?: string;
  method?: string;
  commandLine?: string;
  clientMachine?: string;
}

export interface DcomCallFact {
  connection: string;
  callId: number;
  interface: string;
  opnum: number;
  operation: string;
  objectUuid?: string;
  sealed: boolean;
  names?: string[];
  dispId?: number;
  method?: string;
  args?: string[];
}

export interface FaultFact {
  connection: string;
  callId: number;
  contextId: number;
  status: number;
  drep: 'le' | 'be';
  /** The call this fault answers. */
  answersInterface: string;
  answersOpnum: number;
  answersOperation: string;
  /** Another call on the same connection was outstanding when the fault was sent. */
  otherCallInFlight?: number;
}

export interface IdentityOnConnection extends IdentityFact {
  connection: string;
  authContextId: number;
  authLevel: number;
}

export interface SessionLinkFact {
  activationConnection: string;
  objectConnection: string;
  /** How a passive observer can tie the two: by OXID binding/IPID (clear reply) or host pair + time (sealed). */
  by: 'oxid' | 'host_pair_time';
  ipid?: string;
  port: number;
}

export interface TcpImpairmentFact {
  connection: string;
  direction: Direction;
  kind:
    | 'retransmit'
    | 'overlap'
    | 'overlap_conflicting'
    | 'reorder'
    | 'drop'
    | 'midstream'
    | 'seq_wrap'
    | 'coalesced'
    | 'split';
  detail: string;
}

export interface ScenarioDescription {
  name: string;
  title: string;
  /** What the capture contains, in prose. */
  summary: string;
  /** What decoding this capture correctly proves. */
  proves: string[];
  startTime: string;
  frameCount: number;
  connections: ConnectionFact[];
  pdus: PduFact[];
  identities: IdentityOnConnection[];
  activations: ActivationFact[];
  wmi: WmiCallFact[];
  dcom: DcomCallFact[];
  faults: FaultFact[];
  sessionLinks: SessionLinkFact[];
  tcp: TcpImpairmentFact[];
}

export class FactRecorder {
  readonly connections: ConnectionFact[] = [];
  readonly pdus: PduFact[] = [];
  readonly identities: IdentityOnConnection[] = [];
  readonly activations: ActivationFact[] = [];
  readonly wmi: WmiCallFact[] = [];
  readonly dcom: DcomCallFact[] = [];
  readonly faults: FaultFact[] = [];
  readonly sessionLinks: SessionLinkFact[] = [];
  readonly tcp: TcpImpairmentFact[] = [];

  describe(meta: {
    name: string;
    title: string;
    summary: string;
    proves: string[];
    startTime: string;
    frameCount: number;
  }): ScenarioDescription {
    // Deep copy so callers cannot mutate the recorder's state.
    return structuredClone({
      ...meta,
      connections: this.connections,
      pdus: this.pdus,
      identities: this.identities,
      activations: this.activations,
      wmi: this.wmi,
      dcom: this.dcom,
      faults: this.faults,
      sessionLinks: this.sessionLinks,
      tcp: this.tcp,
    });
  }
}
