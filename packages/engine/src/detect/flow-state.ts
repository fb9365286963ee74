/**
 * Everything the engine keeps about one TCP connection: its DCE/RPC state (DcerpcConnection), its flowbits, who
 * authenticated, which WMI session it belongs to, the tag:session trackers of alerts fired on it, and the summary
 * for its dcerpc_session record. It sits between the reassembler and the DCE/RPC layer: the reassembler sees a
 * StreamConsumer, the DCE/RPC layer a DcerpcListener, and both calls land in the Engine with this state attached.
 */

import { DcerpcConnection, type DcerpcConnectionOptions, type DcerpcListener } from '../dcerpc/connection.js';
import type { DcePduEvent } from '../dcerpc/event.js';
import { FIRST_PDU_CLIENT, FIRST_PDU_SERVER, MAX_FRAG_LENGTH, PROBE_NO, probeHeader } from '../dcerpc/header.js';
import type { DceProblemKind } from '../dcerpc/problem.js';
import { communityId } from '../flow/community-id.js';
import type { FlowView } from '../rules/types.js';
import type { CloseReason, ConnectionInfo, Direction, StreamConsumer } from '../tcp/types.js';
import type { StubInsight } from '../wmi/insight.js';
import { IdentityBook } from './identities.js';
import { connectionKeyText, stableFlowId } from './ids.js';
import type { SessionTie } from './session-linker.js';
import { SessionSummary } from './session-record.js';
import type { SuricataStubJoiner } from './suricata-stub.js';

/** What the engine does with the connection's events (implemented by Engine). */
export interface FlowHost {
  onPdu(flow: FlowState, ev: DcePduEvent): void;
  onDceProblem(flow: FlowState, kind: DceProblemKind): void;
  onFlowClose(flow: FlowState, reason: CloseReason, tsUs: number): void;
}

/** One tag:session follow-up: counts the connection's packets after the alert, up to a limit. */
export interface TagTracker {
  alertId: string;
  sid: number;
  packets: number;
  bytes: number;
  maxPackets: number;
  maxBytes: number;
  untilUs: number;
  firstTsUs: number;
  lastTsUs: number;
}

const MAX_CALL_INSIGHTS = 64;
const MAX_DISP_NAMES = 256;
/** One byte that fails the first-PDU probe: replays a direction's early verdict into a late DcerpcConnection. */
const NOT_A_PDU = Uint8Array.of(0);
/** Shared, only ever read: a connection gets its own Map with its first decoded request (most never have one). */
const NO_INSIGHTS: Map<number, StubInsight> = new Map();

export class FlowState implements StreamConsumer, DcerpcListener {
  /**
   * The DCE/RPC state, created when the connection's bytes first need it. Most TCP at a capture point is not
   * DCE/RPC: with the handshake seen, a direction whose first bytes fail the framer's first-PDU probe makes the
   * connection not DCE/RPC at once (DcerpcConnection's own rule), so that verdict is taken here with the same probe
   * and the ≈ 1 KB DcerpcConnection (two framers, tables, counters) is never built. Anything else — probe passes or
   * needs more bytes, midstream pickup, a gap, the other direction's bytes after the verdict — builds it, replaying
   * the early verdict first, so every observable result is the same as with an eager one.
   */
  private dceConn: DcerpcConnection | null = null;
  private readonly dceOptions: DcerpcConnectionOptions;
  /** Direction whose first bytes failed the probe while dceConn was null (-1: none). */
  private deadDir = -1;
  /** Close reason when the connection closed while dceConn was null. */
  private closedEarly: CloseReason | null = null;
  private keyText: string | null = null;
  readonly view: FlowView;
  readonly identities = new IdentityBook();
  readonly summary: SessionSummary | null;
  /** Request insight by call_id (written through rememberInsight/forgetInsight only: see NO_INSIGHTS). */
  private insights = NO_INSIGHTS;
  session: SessionTie | undefined = undefined;
  /** This connection carried an activation (it is the origin of `session`). */
  activationOrigin = false;
  tags: TagTracker[] | null = null;
  /**
   * Stream bytes each direction may still hand to the DCE/RPC layer (EngineOptions.reassemblyDepth; unlimited by
   * default). Beyond it the direction's bytes are still counted but no longer decoded or inspected.
   */
  depthToServer = Number.POSITIVE_INFINITY;
  depthToClient = Number.POSITIVE_INFINITY;
  /** Suricata's stub buffers of fragmented calls, when the rule set inspects those (created on first use). */
  suricataStubs: SuricataStubJoiner | null = null;
  /** Directions (bit 0 to server, bit 1 to client) whose first packet was seen: IP-only rules ran for them. */
  directionsSeen = 0;
  /** Ordinals of the connection's units, for deterministic alert ids. */
  packetOrdinal = 0;
  pduOrdinal = 0;
  bytesToServer = 0;
  bytesToClient = 0;
  lastTsUs: number;
  private flowIdCache = -1;
  private communityIdCache: string | null | undefined = undefined;

  constructor(
    readonly conn: ConnectionInfo,
    private readonly host: FlowHost,
    /** Caller's position of the connection's first packet (low-water mark for replay). */
    readonly firstPosition: number,
    dceOptions: DcerpcConnectionOptions,
    keepSummary: boolean,
  ) {
    // the engine passes options whose midstream already matches (no spread per connection on the hot path)
    this.dceOptions =
      dceOptions.midstream === conn.midstream ? dceOptions : { ...dceOptions, midstream: conn.midstream };
    this.view = { id: 0, toServer: true, established: false, isDcerpc: false, bits: new Set(), ipOnlyEligible: true };
    this.summary = keepSummary ? new SessionSummary() : null;
    this.lastTsUs = conn.startTsUs;
  }

  /** The connection's DCE/RPC state (built on first access if the bytes did not need it yet). */
  get dce(): DcerpcConnection {
    return this.dceConn ?? this.buildDce(0);
  }

  /** DcerpcConnection.isDcerpc, without building the state: true, false, or undefined while undecided. */
  get isDcerpc(): boolean | undefined {
    if (this.dceConn !== null) return this.dceConn.isDcerpc;
    return this.deadDir >= 0 ? false : undefined;
  }

  private buildDce(tsUs: number): DcerpcConnection {
    const d = new DcerpcConnection(this, this.dceOptions);
    this.dceConn = d;
    if (this.deadDir >= 0) d.onData(this.deadDir as Direction, NOT_A_PDU, tsUs);
    if (this.closedEarly !== null) d.onClose(this.closedEarly, tsUs);
    return d;
  }

  /** connectionKeyText(conn), built when first needed (an id for an alert, a session or a flow record). */
  get key(): string {
    if (this.keyText === null) this.keyText = connectionKeyText(this.conn);
    return this.keyText;
  }

  get flowId(): number {
    if (this.flowIdCache < 0) {
      this.flowIdCache = stableFlowId(this.key);
      this.view.id = this.flowIdCache;
    }
    return this.flowIdCache;
  }

  get communityId(): string | null {
    if (this.communityIdCache === undefined) {
      const c = this.conn;
      this.communityIdCache = communityId(c.client.ip, c.client.port, c.server.ip, c.server.port, 6);
    }
    return this.communityIdCache;
  }

  /** Request insight by call_id, so alerts on the response or fault can say what the call was. */
  get callInsight(): ReadonlyMap<number, StubInsight> {
    return this.insights;
  }

  rememberInsight(callId: number, insight: StubInsight): void {
    if (this.insights.size >= MAX_CALL_INSIGHTS) {
      const first = this.insights.keys().next().value;
      if (first !== undefined) this.insights.delete(first);
    }
    if (this.insights === NO_INSIGHTS) this.insights = new Map();
    this.insights.set(callId, insight);
  }

  forgetInsight(callId: number): void {
    this.insights.delete(callId);
  }

  /**
   * IDispatch: DISPID → name per object (IPID), learned from a GetIDsOfNames request (names, object UUID) and its
   * response (DISPIDs), so that a later Invoke on that object says which method it ran (MMC20 ExecuteShellCommand is
   * DISPID 52 only on that object). Created on first use; bounded.
   */
  private dispNames: Map<string, string> | null = null;
  /** GetIDsOfNames calls in flight: call_id → the object UUID they were made on. */
  private dispCalls: Map<number, string> | null = null;

  noteNameLookup(callId: number, ipid: string): void {
    if (this.dispCalls === null) this.dispCalls = new Map();
    if (this.dispCalls.size >= MAX_CALL_INSIGHTS) {
      const first = this.dispCalls.keys().next().value;
      if (first !== undefined) this.dispCalls.delete(first);
    }
    this.dispCalls.set(callId, ipid);
  }

  learnDispIds(callId: number, names: readonly string[], dispids: readonly number[]): void {
    const ipid = this.dispCalls?.get(callId);
    if (ipid === undefined) return;
    this.dispCalls!.delete(callId);
    // rgszNames[0] is the member; the other names are its named parameters, whose DISPIDs are not member ids
    if (names.length === 0 || dispids.length === 0) return;
    if (this.dispNames === null) this.dispNames = new Map();
    if (this.dispNames.size >= MAX_DISP_NAMES) return;
    this.dispNames.set(`${ipid}|${dispids[0]}`, names[0]);
  }

  dispIdName(ipid: string, dispid: number): string | undefined {
    return this.dispNames?.get(`${ipid}|${dispid}`);
  }

  // --- StreamConsumer: bytes from the reassembler ------------------------------------------------------------------

  onData(dir: Direction, data: Uint8Array, tsUs: number): void {
    if (dir === 0) this.bytesToServer += data.length;
    else this.bytesToClient += data.length;
    const left = dir === 0 ? this.depthToServer : this.depthToClient;
    if (left !== Number.POSITIVE_INFINITY) {
      if (left <= 0) return;
      if (data.length > left) data = data.subarray(0, left);
      if (dir === 0) this.depthToServer = left - data.length;
      else this.depthToClient = left - data.length;
    }
    const d = this.dceConn;
    if (d !== null) {
      d.onData(dir, data, tsUs);
      return;
    }
    // what DcerpcConnection does with these: nothing (a DEAD framer only counts the bytes)
    if (data.length === 0 || this.closedEarly !== null || this.deadDir === dir) return;
    if (
      this.deadDir < 0 &&
      !this.conn.midstream &&
      probeHeader(
        data,
        0,
        data.length,
        dir === 0 ? FIRST_PDU_CLIENT : FIRST_PDU_SERVER,
        Math.min(this.dceOptions.maxFragLength ?? MAX_FRAG_LENGTH, MAX_FRAG_LENGTH),
      ) === PROBE_NO
    ) {
      this.deadDir = dir;
      return;
    }
    this.buildDce(tsUs).onData(dir, data, tsUs);
  }

  onGap(dir: Direction, length: number, tsUs: number): void {
    const left = dir === 0 ? this.depthToServer : this.depthToClient;
    if (left !== Number.POSITIVE_INFINITY) {
      // the depth counts stream offsets, as Suricata's does: a gap uses it up like data
      if (left <= 0) return;
      if (dir === 0) this.depthToServer = left - length;
      else this.depthToClient = left - length;
    }
    // a DEAD framer ignores gaps (no problem report)
    if (this.dceConn === null && (this.closedEarly !== null || this.deadDir === dir)) return;
    (this.dceConn ?? this.buildDce(tsUs)).onGap(dir, length, tsUs);
  }

  onClose(reason: CloseReason, tsUs: number): void {
    if (this.dceConn !== null) this.dceConn.onClose(reason, tsUs);
    else this.closedEarly = reason; // nothing was bound or called: nothing to release
    this.host.onFlowClose(this, reason, tsUs);
  }

  wantsPayload(): boolean {
    // both directions past the reassembly depth: nothing more will be decoded
    if (this.depthToServer <= 0 && this.depthToClient <= 0) return false;
    if (this.dceConn !== null) return this.dceConn.wantsPayload();
    return this.closedEarly === null && this.deadDir < 0;
  }

  // --- DcerpcListener: PDUs from the DCE/RPC layer -----------------------------------------------------------------

  onPdu(ev: DcePduEvent): void {
    this.host.onPdu(this, ev);
  }

  onProblem(kind: DceProblemKind, _dir: Direction, _detail: string): void {
    this.host.onDceProblem(this, kind);
  }
}
