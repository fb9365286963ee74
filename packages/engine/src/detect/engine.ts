/**
 * Engine: frames in, EVE records out. The one place where the pipeline's stages meet:
 *
 *   RawFrame ─PacketDecoder→ DecodedPacket ─TcpReassembler→ FlowState (per connection)
 *      │                                                      └─DcerpcConnection→ DcePduEvent
 *      └─ packet rules (one InspectionContext per packet)      └─ DCE/RPC rules (one per PDU), identity, WMI insight,
 *                                                                  session ties → alert / dcerpc_session / tag records
 *
 * Pure and synchronous: no I/O, no timers, no Kafka. Time is packet time. Every record goes to onRecord before
 * processFrame returns, so a caller that tracks its input position (a Kafka offset) knows which input produced
 * which record. Ids in records are functions of the packets alone (ids.ts), so replaying the same packets after a
 * crash yields the same alert ids. lowWaterMark() says how far back a replay must start to rebuild the state.
 */

import type { RawFrame } from '../capture/types.js';
import type { DcerpcConnectionOptions } from '../dcerpc/connection.js';
import { PTYPE } from '../dcerpc/constants.js';
import type { DcePduEvent } from '../dcerpc/event.js';
import type { DceProblemKind } from '../dcerpc/problem.js';
import { MemoryBudget } from '../dcerpc/stub-assembler.js';
import type { EveAlert, EveRecord, EveStats } from '../output/eve.js';
import { eveTimestamp } from '../output/time.js';
import { PacketDecoder } from '../packet/decoder.js';
import type { DecodedPacket } from '../packet/types.js';
import type { Rule, RuleMatch } from '../rules/rule.js';
import type { RuleSet } from '../rules/ruleset.js';
import type { FlowView, InspectionContext } from '../rules/types.js';
import { TcpReassembler } from '../tcp/reassembler.js';
import type { CloseReason, ConnectionInfo, StreamConsumer, StreamFactory } from '../tcp/types.js';
import { type DecodeOptions, decodeStub, isDecodedInterface } from '../wmi/decode.js';
import type { StubInsight } from '../wmi/insight.js';
import { IID } from '../wmi/interfaces.js';
import { alertInfo, dcerpcInfo, flowFields } from './eve-fields.js';
import { type FlowHost, FlowState } from './flow-state.js';
import { alertId, sessionId } from './ids.js';
import type { EngineOptions } from './options.js';
import { SessionLinker } from './session-linker.js';
import { EngineCounters, type EngineStats } from './stats.js';
import { SuricataStubJoiner } from './suricata-stub.js';

const ACTIVATORS = new Set<string>([IID.ISystemActivator, IID.IActivation]);
const DEFAULT_SESSION_WINDOW_US = 120_000_000;
/** IDispatch (MS-OAUT 3.1.4): GetIDsOfNames and Invoke. */
const OPNUM_GET_IDS_OF_NAMES = 5;
const OPNUM_INVOKE = 6;

export class Engine implements FlowHost, StreamFactory {
  readonly ruleSet: RuleSet;
  private readonly opts: EngineOptions;
  private readonly decoder = new PacketDecoder();
  private readonly reassembler: TcpReassembler;
  private readonly flows = new Map<ConnectionInfo, FlowState>();
  private readonly budget: MemoryBudget;
  /**
   * DCE/RPC options for new connections, [handshake seen, midstream], built once: an object spread per connection
   * cost microseconds each on a 40k-connection replay.
   */
  private readonly dceOptions: readonly [DcerpcConnectionOptions, DcerpcConnectionOptions];
  private readonly linker: SessionLinker;
  private readonly counters = new EngineCounters();
  private readonly matches: RuleMatch[] = [];
  private readonly packetRules: [boolean, boolean, boolean];
  private readonly dceRules: boolean;
  /** The rule set inspects Suricata's stub buffer (RuleSet.stubBuffer 'suricata'): fill DceView.suricataStub. */
  private readonly suricataStubs: boolean;
  private readonly insight: boolean;
  private readonly tagPacketLimit: number;
  private readonly decodeOptions: DecodeOptions;
  /** Reused for every unit: rules read it synchronously and keep nothing. */
  private readonly ctx: InspectionContext;
  /** Flow view for packets outside any TCP connection (UDP, stray TCP): no state survives the packet. */
  private readonly statelessFlow: FlowView = {
    id: 0,
    toServer: true,
    established: false,
    isDcerpc: false,
    bits: new Set(),
    ipOnlyEligible: true,
  };
  private position = 0;
  private nowUs = 0;
  private nextHousekeepingUs = 0;
  private finished = false;
  /** Flows closed while a packet was being processed: forgotten after its packet rules ran (a RST is still a unit). */
  private readonly closedFlows: FlowState[] = [];

  constructor(opts: EngineOptions) {
    this.opts = opts;
    this.ruleSet = opts.ruleSet;
    this.reassembler = new TcpReassembler(this, opts.reassembly);
    this.budget = new MemoryBudget(opts.stubMemoryBytes ?? 64 << 20);
    this.dceOptions = [
      { ...opts.dcerpc, sharedBudget: this.budget, midstream: false },
      { ...opts.dcerpc, sharedBudget: this.budget, midstream: true },
    ];
    this.linker = new SessionLinker(opts.sessionWindowUs ?? DEFAULT_SESSION_WINDOW_US);
    this.packetRules = [
      opts.ruleSet.hasPacketRules(6),
      opts.ruleSet.hasPacketRules(17),
      opts.ruleSet.hasPacketRules(1),
    ];
    this.dceRules = opts.ruleSet.hasDcerpcRules();
    this.suricataStubs = this.dceRules && opts.ruleSet.stubBuffer === 'suricata';
    this.insight = opts.insight ?? true;
    this.tagPacketLimit = opts.tagPacketLimit ?? 256;
    this.decodeOptions = opts.clsids !== undefined ? { clsids: opts.clsids } : {};
    this.ctx = {
      tsUs: 0,
      srcIp: '',
      dstIp: '',
      srcPort: 0,
      dstPort: 0,
      proto: 6,
      flow: this.statelessFlow,
      payload: new Uint8Array(0),
    };
  }

  // --- input -------------------------------------------------------------------------------------------------------

  /** One captured frame. `position` is the caller's coordinate for it (Kafka offset, frame number). */
  processFrame(frame: RawFrame, position = this.position): void {
    const c = this.counters;
    c.frames++;
    c.bytes += frame.origLen;
    const pkt = this.decoder.decode(frame);
    if (typeof pkt === 'string') {
      c.problem(`packet.${pkt}`);
      return;
    }
    this.processPacket(pkt, position);
  }

  /** One decoded packet (for callers that decode themselves). */
  processPacket(pkt: DecodedPacket, position = this.position): void {
    this.position = position;
    this.counters.packets++;
    if (pkt.tsUs > this.nowUs) this.nowUs = pkt.tsUs;
    if (pkt.proto === 6 && pkt.tcp !== undefined) {
      const info = this.reassembler.process(pkt);
      if (info !== null) {
        const flow = this.flows.get(info.conn);
        if (flow !== undefined) {
          flow.lastTsUs = pkt.tsUs;
          flow.packetOrdinal++;
          if (flow.tags !== null) this.countTagged(flow, pkt);
          if (this.packetRules[0]) this.packetUnit(pkt, flow, info.dir === 0, info.established);
        }
      } else if (this.packetRules[0]) this.packetUnit(pkt, null, true, false);
    } else if (pkt.proto === 17 ? this.packetRules[1] : this.packetRules[2]) {
      this.packetUnit(pkt, null, true, false);
    }
    if (this.closedFlows.length > 0) this.forgetClosed();
    if (this.nowUs >= this.nextHousekeepingUs) {
      this.nextHousekeepingUs = this.nowUs + 1_000_000;
      this.linker.expire(this.nowUs);
    }
  }

  /** End of input: close every connection (their session and tag records are written), flush the decoder. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.reassembler.closeAll('end_of_input');
    this.forgetClosed();
    this.decoder.finish();
  }

  private forgetClosed(): void {
    for (const f of this.closedFlows) this.flows.delete(f.conn);
    this.closedFlows.length = 0;
  }

  // --- StreamFactory -------------------------------------------------------------------------------------------------

  newConsumer(conn: ConnectionInfo): StreamConsumer {
    const flow = new FlowState(
      conn,
      this,
      this.position,
      conn.midstream ? this.dceOptions[1] : this.dceOptions[0],
      this.opts.sessionRecords === true,
    );
    const depth = this.opts.reassemblyDepth;
    if (depth !== undefined && depth > 0) {
      flow.depthToServer = depth;
      flow.depthToClient = depth;
    }
    this.flows.set(conn, flow);
    this.counters.connections++;
    return flow;
  }

  // --- FlowHost: what a connection reports ---------------------------------------------------------------------------

  onPdu(flow: FlowState, ev: DcePduEvent): void {
    const c = this.counters;
    c.pdus++;
    c.pdusByType[Math.min(ev.ptype, 20)]++;
    if (flow.pduOrdinal === 0) {
      c.dcerpcConnections++;
      if (flow.session === undefined && !flow.activationOrigin) {
        const conn = flow.conn;
        flow.session = this.linker.tieConnection(conn.client.ip, conn.server.ip, conn.server.port, ev.tsUs);
      }
    }
    const ordinal = ++flow.pduOrdinal;
    if (ev.authLength > 0) flow.identities.observe(ev);

    const insight = this.insightFor(flow, ev);
    if (ev.ptype === PTYPE.request && insight?.dcom?.clsid !== undefined) ev.activationClsid = insight.dcom.clsid;
    this.trackSession(flow, ev, insight);
    flow.summary?.observe(ev, insight);

    if (!this.dceRules) return;
    const conn = flow.conn;
    const toServer = ev.dir === 0;
    const ctx = this.ctx;
    const view = flow.view;
    view.toServer = toServer;
    view.established = conn.established;
    view.isDcerpc = true;
    ctx.tsUs = ev.tsUs;
    ctx.srcIp = toServer ? conn.client.ip : conn.server.ip;
    ctx.dstIp = toServer ? conn.server.ip : conn.client.ip;
    ctx.srcPort = toServer ? conn.client.port : conn.server.port;
    ctx.dstPort = toServer ? conn.server.port : conn.client.port;
    ctx.proto = 6;
    ctx.flow = view;
    ctx.payload = ev.pdu;
    ctx.dce = ev;
    ctx.tcpFlags = undefined;
    ctx.tcpSeq = undefined;
    ctx.tcpAck = undefined;
    ctx.tcpWindow = undefined;
    if (this.suricataStubs) {
      if (flow.suricataStubs === null) flow.suricataStubs = new SuricataStubJoiner(this.budget);
      flow.suricataStubs.fill(ev);
    }
    if (this.ruleSet.match(ctx, this.matches) > 0) this.report(flow, ev.dir, ev.tsUs, `d${ordinal}`, ev, insight);
    ctx.dce = undefined;
  }

  onDceProblem(_flow: FlowState, kind: DceProblemKind): void {
    this.counters.problem(`dcerpc.${kind}`);
  }

  onFlowClose(flow: FlowState, reason: CloseReason, tsUs: number): void {
    this.closedFlows.push(flow);
    flow.suricataStubs?.clear();
    if (flow.tags !== null) {
      for (const t of flow.tags) this.writeTag(flow, t, reason);
      flow.tags = null;
    }
    if (flow.summary !== null && flow.isDcerpc === true) this.writeSession(flow, reason, tsUs);
  }

  // --- output ----------------------------------------------------------------------------------------------------------

  /** Counters so far (cheap; the stats record is built from it). */
  stats(): EngineStats {
    return this.counters.snapshot(this.ruleSet, this.reassembler.stats(), this.flows.size, this.budget, this.linker);
  }

  /** The closing `stats` record (EVE event_type "stats"). */
  statsRecord(elapsedMs: number): EveStats {
    const s = this.stats() as unknown as Record<string, unknown>;
    s.elapsed_ms = Math.round(elapsedMs);
    return { event_type: 'stats', timestamp: eveTimestamp(this.nowUs), stats: s };
  }

  /**
   * The lowest input position whose packets the current state still depends on: the first packet of every live
   * connection and of every activation a later connection could still tie to. Replaying from here rebuilds the
   * state exactly; undefined when no state is held (replay from the current position).
   */
  lowWaterMark(): number | undefined {
    let min = this.linker.oldestPosition();
    for (const f of this.flows.values()) if (min === undefined || f.firstPosition < min) min = f.firstPosition;
    return min;
  }

  /** Live connections (state size). */
  get liveConnections(): number {
    return this.flows.size;
  }

  /** Newest packet time seen (µs). */
  get packetTimeUs(): number {
    return this.nowUs;
  }

  // --- internals ---------------------------------------------------------------------------------------------------

  private packetUnit(pkt: DecodedPacket, flow: FlowState | null, toServer: boolean, established: boolean): void {
    const ctx = this.ctx;
    let view = this.statelessFlow;
    if (flow !== null) {
      view = flow.view;
      view.toServer = toServer;
      view.established = established;
      view.isDcerpc = flow.isDcerpc === true;
      // Suricata evaluates IP-only rules on the first packet of each direction of a flow, not on every packet
      const bit = toServer ? 1 : 2;
      view.ipOnlyEligible = (flow.directionsSeen & bit) === 0;
      flow.directionsSeen |= bit;
    } else {
      view.bits.clear();
      view.toServer = true;
      view.established = false;
      view.isDcerpc = false;
    }
    ctx.tsUs = pkt.tsUs;
    ctx.srcIp = pkt.srcIp;
    ctx.dstIp = pkt.dstIp;
    ctx.srcPort = pkt.srcPort;
    ctx.dstPort = pkt.dstPort;
    ctx.proto = pkt.proto;
    ctx.flow = view;
    ctx.payload = pkt.payload;
    ctx.dce = undefined;
    const tcp = pkt.tcp;
    ctx.tcpFlags = tcp?.flags;
    ctx.tcpSeq = tcp?.seq;
    ctx.tcpAck = tcp?.ack;
    ctx.tcpWindow = tcp?.window;
    if (this.ruleSet.match(ctx, this.matches) === 0) return;
    if (flow !== null) this.report(flow, toServer ? 0 : 1, pkt.tsUs, `p${flow.packetOrdinal}`, undefined, null);
    else this.reportStateless(pkt);
  }

  /** Decodes a clear DCOM/WMI stub; remembers a request's insight for its response and fault. */
  private insightFor(flow: FlowState, ev: DcePduEvent): StubInsight | null {
    const ptype = ev.ptype;
    if (ptype === PTYPE.fault) return flow.callInsight.get(ev.callId) ?? null;
    if (!this.insight || (ptype !== PTYPE.request && ptype !== PTYPE.response)) return null;
    const ifc = ev.iface;
    if (ifc === undefined || ev.opnum === undefined || !ev.lastFrag) return null;
    if (ev.stub === null || ev.sealed || !isDecodedInterface(ifc.uuid)) return null;
    const request = ptype === PTYPE.request;
    let opts = this.decodeOptions;
    if (ifc.uuid === IID.IDispatch && request) {
      // Invoke names its method by DISPID only: resolve it from this object's earlier GetIDsOfNames
      const ipid = ev.objectUuid;
      if (ipid !== undefined) {
        if (ev.opnum === OPNUM_GET_IDS_OF_NAMES) flow.noteNameLookup(ev.callId, ipid);
        else if (ev.opnum === OPNUM_INVOKE) opts = { ...opts, dispIdName: (d) => flow.dispIdName(ipid, d) };
      }
    }
    const insight = decodeStub(
      { iface: ifc.uuid, opnum: ev.opnum, request, stub: ev.stub, littleEndian: ev.littleEndian },
      opts,
    );
    if (insight === null) return null;
    this.counters.stubsDecoded++;
    if (insight.problems.length > 0) this.counters.problem('wmi.stub_problem');
    if (request) flow.rememberInsight(ev.callId, insight);
    else {
      const req = flow.callInsight.get(ev.callId);
      flow.forgetInsight(ev.callId);
      if (ifc.uuid === IID.IDispatch && ev.opnum === OPNUM_GET_IDS_OF_NAMES) {
        const names = req?.dcom?.names;
        const ids = insight.dcom?.dispids;
        if (names !== undefined && ids !== undefined) flow.learnDispIds(ev.callId, names, ids);
      }
      // a response alone says little (an HRESULT, returned IPIDs): give alerts on it the request's story too
      if (req !== undefined && insight.wmi === undefined && insight.dcom === undefined) {
        return { ...insight, wmi: req.wmi, dcom: req.dcom };
      }
    }
    return insight;
  }

  private trackSession(flow: FlowState, ev: DcePduEvent, insight: StubInsight | null): void {
    const ifc = ev.iface;
    const conn = flow.conn;
    if (ifc !== undefined && ACTIVATORS.has(ifc.uuid)) {
      if (ev.ptype === PTYPE.request && ev.firstFrag) {
        if (!flow.activationOrigin) {
          flow.activationOrigin = true;
          if (flow.session === undefined) flow.session = { id: sessionId(flow.key), link: 'oxid' };
          this.counters.activations++;
        }
        this.linker.activation(conn.client.ip, conn.server.ip, flow.session!.id, ev.tsUs, flow.firstPosition);
      } else if (ev.ptype === PTYPE.response && flow.activationOrigin && insight?.dcom !== undefined) {
        const d = insight.dcom;
        const ports: number[] = [];
        for (const b of d.oxid_bindings ?? [])
          if (b.port !== undefined && b.protocol === 'ncacn_ip_tcp') ports.push(b.port);
        const ipids = d.ipids ?? [];
        if (ports.length > 0 || ipids.length > 0) {
          this.linker.activationReply(
            conn.client.ip,
            conn.server.ip,
            flow.session!.id,
            ev.tsUs,
            ports,
            ipids,
            flow.firstPosition,
          );
        }
      }
      return;
    }
    if (
      ev.ptype === PTYPE.request &&
      !flow.activationOrigin &&
      (flow.session === undefined || flow.session.link === 'host_pair_time')
    ) {
      const ipid = ev.objectUuid;
      if (ipid !== undefined) {
        const tie = this.linker.tieObject(conn.client.ip, conn.server.ip, ipid);
        if (tie !== undefined) {
          if (flow.session !== undefined) this.linker.ties.upgraded++;
          flow.session = tie;
        }
      }
    }
  }

  private report(
    flow: FlowState,
    dir: 0 | 1,
    tsUs: number,
    unit: string,
    ev: DcePduEvent | undefined,
    insight: StubInsight | null,
  ): void {
    for (const m of this.matches) {
      const rule = m.rule;
      if (rule.action !== 'alert') continue;
      // Fields are added to flowFields' object in record order, not spread into a new literal: a spread plus the
      // properties after it gives a slow dictionary-mode object, ~4 µs to build and 2–3 × slower to serialise.
      const rec = flowFields(flow, dir, tsUs, this.opts.capture) as EveAlert;
      rec.event_type = 'alert';
      rec.alert_id = alertId(flow.key, rule.gid, rule.sid, unit);
      rec.alert = alertInfo(rule);
      if (ev !== undefined) rec.dcerpc = dcerpcInfo(ev);
      const identity = flow.identities.forUnit(ev?.effectiveAuth?.authContextId);
      if (identity !== undefined) rec.identity = identity;
      if (insight?.wmi !== undefined) rec.wmi = insight.wmi as Record<string, unknown>;
      if (insight?.dcom !== undefined) rec.dcom = insight.dcom as Record<string, unknown>;
      if (flow.session !== undefined) {
        rec.session_id = flow.session.id;
        if (!flow.activationOrigin) rec.session_link = flow.session.link;
      }
      this.counters.alert(rule);
      this.opts.onRecord(rec);
      if (rule.tag?.type === 'session') this.startTag(flow, rule, rec.alert_id, tsUs);
    }
  }

  private reportStateless(pkt: DecodedPacket): void {
    for (const m of this.matches) {
      const rule = m.rule;
      if (rule.action !== 'alert') continue;
      const key = `${pkt.srcIp}:${pkt.srcPort}>${pkt.dstIp}:${pkt.dstPort}/${pkt.proto}@${pkt.tsUs}`;
      const rec: EveAlert = {
        timestamp: eveTimestamp(pkt.tsUs),
        flow_id: 0,
        src_ip: pkt.srcIp,
        src_port: pkt.srcPort,
        dest_ip: pkt.dstIp,
        dest_port: pkt.dstPort,
        proto: pkt.proto === 17 ? 'UDP' : 'TCP',
        event_type: 'alert',
        alert_id: alertId(key, rule.gid, rule.sid, 'p'),
        alert: alertInfo(rule),
      };
      if (this.opts.capture !== undefined) rec.capture = this.opts.capture;
      this.counters.alert(rule);
      this.opts.onRecord(rec);
    }
  }

  private startTag(flow: FlowState, rule: Rule, id: string, tsUs: number): void {
    const tag = rule.tag!;
    if (flow.tags === null) flow.tags = [];
    else if (tag.exclusive || flow.tags.length >= 8) return; // Snort: exclusive = only the first tagging rule
    const metric = tag.metric ?? 'packets';
    const count = tag.count;
    flow.tags.push({
      alertId: id,
      sid: rule.sid,
      packets: 0,
      bytes: 0,
      maxPackets: count !== undefined && metric === 'packets' ? count : this.tagPacketLimit,
      maxBytes: count !== undefined && metric === 'bytes' ? count : Number.POSITIVE_INFINITY,
      untilUs: count !== undefined && metric === 'seconds' ? tsUs + count * 1_000_000 : Number.POSITIVE_INFINITY,
      firstTsUs: tsUs,
      lastTsUs: tsUs,
    });
  }

  private countTagged(flow: FlowState, pkt: DecodedPacket): void {
    const tags = flow.tags!;
    for (let i = tags.length - 1; i >= 0; i--) {
      const t = tags[i];
      if (pkt.tsUs > t.untilUs) {
        this.writeTag(flow, t, 'limit');
        tags.splice(i, 1);
        continue;
      }
      t.packets++;
      t.bytes += pkt.payload.length;
      t.lastTsUs = pkt.tsUs;
      if (t.packets >= t.maxPackets || t.bytes >= t.maxBytes) {
        this.writeTag(flow, t, 'limit');
        tags.splice(i, 1);
      }
    }
  }

  /** tag:session: the follow-up summary of an alert, as its own record joined to the alert by alert_id. */
  private writeTag(flow: FlowState, t: (typeof flow.tags & object)[number], ended: string): void {
    // built in place, no spread (see report())
    const rec = flowFields(flow, 0, t.lastTsUs, this.opts.capture) as EveRecord & Record<string, unknown>;
    rec.event_type = 'tag';
    rec.alert_id = t.alertId;
    rec.signature_id = t.sid;
    rec.tagged = {
      packets: t.packets,
      bytes: t.bytes,
      first: eveTimestamp(t.firstTsUs),
      last: eveTimestamp(t.lastTsUs),
      ended,
    };
    // every record of a tied connection carries the session, the follow-up of an alert included
    if (flow.session !== undefined) {
      rec.session_id = flow.session.id;
      if (!flow.activationOrigin) rec.session_link = flow.session.link;
    }
    this.opts.onRecord(rec);
  }

  private writeSession(flow: FlowState, reason: CloseReason, tsUs: number): void {
    // built in place, no spread (see report()); the body's fields follow the connection's, in the body's order
    const rec = flowFields(flow, 0, flow.conn.startTsUs, this.opts.capture) as EveRecord & Record<string, unknown>;
    rec.event_type = 'dcerpc_session';
    rec.dcerpc_session = Object.assign(
      {
        start: eveTimestamp(flow.conn.startTsUs),
        end: eveTimestamp(Math.max(tsUs, flow.lastTsUs)),
        close_reason: reason,
        midstream: flow.conn.midstream,
        bytes_toserver: flow.bytesToServer,
        bytes_toclient: flow.bytesToClient,
      },
      flow.summary!.body(),
    );
    const ids = flow.identities.all();
    if (ids.length > 0) rec.identity = ids;
    if (flow.session !== undefined) {
      rec.session_id = flow.session.id;
      if (!flow.activationOrigin) rec.session_link = flow.session.link;
    }
    this.counters.sessionRecords++;
    this.opts.onRecord(rec);
  }
}
