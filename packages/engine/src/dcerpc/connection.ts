/**
 * DcerpcConnection: the DCE/RPC state of one TCP connection, behind the reassembler's StreamConsumer contract.
 *
 * It owns one PduFramer per direction, the ContextTable, the CallTable and the security contexts, and turns every
 * framed PDU into a DcePduEvent for its listener:
 *
 *   bind / alter_context          → context entries (pending until answered), first auth leg
 *   bind_ack / alter_context_resp → results applied by call_id + item position
 *   bind_nak                      → every context of the answered bind rejected
 *   request                       → interface via p_cont_id, call entry, stub (reassembled across fragments)
 *   response / fault              → attributed to the request with the same call_id (opnum, interface, auth)
 *   auth3, shutdown, co_cancel, orphaned → security context / call bookkeeping
 *
 * Recognition: each direction's first bytes are probed (header.ts). A non-midstream connection whose first payload
 * in either direction fails the probe is declared not DCE/RPC at once (isDcerpc === false, wantsPayload() false),
 * so the reassembler stops buffering it — most traffic at a capture point is not DCE/RPC. A midstream connection
 * (handshake not seen) may start inside a PDU: each direction then hunts for a header within a bounded budget
 * before giving up.
 *
 * Processing is PTYPE-driven, not direction-driven: a request is a request whichever way it travels, so a midstream
 * pickup with client and server guessed the wrong way round still attributes calls correctly.
 */
import type { CloseReason, Direction, StreamConsumer } from '../tcp/types.js';
import { CallEntry, CallTable } from './call-table.js';
import { AUTH_LEVEL, PFC_OBJECT_UUID, PTYPE, PTYPE_COUNT } from './constants.js';
import { type AuthInfo, ContextEntry, ContextTable } from './context-table.js';
import { DcePduEvent } from './event.js';
import { type FramerSink, PduFramer } from './framer.js';
import { decodeHeader, FIRST_PDU_CLIENT, FIRST_PDU_SERVER, PduHeader } from './header.js';
import type { BindPdu } from './pdu/bind.js';
import type { BindAckPdu } from './pdu/bind-ack.js';
import type { BindNakPdu } from './pdu/bind-nak.js';
import type { FaultPdu } from './pdu/fault.js';
import { decodePdu } from './pdu/index.js';
import type { RequestPdu } from './pdu/request.js';
import type { ResponsePdu } from './pdu/response.js';
import { type DceProblemKind, type FramerProblemKind, PduDecodeProblem } from './problem.js';
import type { SecTrailer } from './sec-trailer.js';
import { initialStubCapacity, type MemoryBudget, StubAssembler } from './stub-assembler.js';

export interface DcerpcListener {
  /** One decoded PDU. The event (and views inside it) is valid only during this call. */
  onPdu(ev: DcePduEvent): void;
  /** A problem: malformed PDU, framing error, gap, exhausted bound… (also counted in stats.problems). */
  onProblem(kind: DceProblemKind, dir: Direction, detail: string): void;
}

export interface DcerpcConnectionOptions {
  /** The handshake was not seen (ConnectionInfo.midstream): first bytes may be inside a PDU. */
  midstream?: boolean;
  /** Largest frag_length accepted (default 65 535). */
  maxFragLength?: number;
  /** Bound on one reassembled stub (default 1 MiB, Suricata's max-stub-size). */
  maxStubSize?: number;
  /** Bound on all stub reassembly buffers of the connection together (default 4 MiB). */
  maxReassemblyBytes?: number;
  /** Budget shared with other connections (e.g. engine-wide) for stub reassembly buffers. */
  sharedBudget?: MemoryBudget;
  /** Context table capacity (default 64). */
  maxContexts?: number;
  /** Calls in flight (default 256). */
  maxCalls?: number;
  /** binds/alter_contexts awaiting their answer (default 16). */
  maxPendingBinds?: number;
  /** Security contexts (auth_context_id) tracked (default 16). */
  maxSecurityContexts?: number;
  /** Per-direction byte budget for finding the first PDU header on midstream/leading-gap connections. */
  detectHuntLimit?: number;
}

/** One security context of the connection (MS-RPCE 3.3.1.5.2.1: several may coexist, keyed by auth_context_id). */
export interface SecurityContext {
  readonly authContextId: number;
  authType: number;
  authLevel: number;
  /** The current (type, level, id) as an immutable AuthInfo, shared by the events that carry it. */
  info: AuthInfo;
  /** PTYPE of the first PDU that carried it. */
  readonly firstPtype: number;
  readonly firstTsUs: number;
  /** PDUs that carried a verifier for this context. */
  pdus: number;
}

export interface DcerpcConnectionStats {
  pdus: number;
  /** Per PTYPE (index = PTYPE, 0..20; index 21 counts PTYPEs above 20). */
  pdusByType: number[];
  /** Per problem kind (read only: a shared empty Map until the connection's first problem). */
  problems: Map<DceProblemKind, number>;
  requests: number;
  responsesAttributed: number;
  responsesUnattributed: number;
  faultsAttributed: number;
  faultsUnattributed: number;
  sealedPdus: number;
  reassembledStubs: number;
}

const DEFAULTS = {
  maxStubSize: 1 << 20,
  maxReassemblyBytes: 4 << 20,
  maxContexts: 64,
  maxCalls: 256,
  maxPendingBinds: 16,
  maxSecurityContexts: 16,
};

/**
 * Shared empty Maps, only ever read: a connection gets its own Map on its first write (most TCP connections never
 * bind, authenticate or misbehave, and each Map is an allocation the GC has to move for every connection).
 */
const NO_PENDING_BINDS: Map<number, ContextEntry[]> = new Map();
const NO_SECURITY_CONTEXTS: Map<number, SecurityContext> = new Map();
const NO_PROBLEMS: Map<DceProblemKind, number> = new Map();

export class DcerpcConnection implements StreamConsumer, FramerSink {
  readonly contexts: ContextTable;
  readonly calls: CallTable;
  /** NO_SECURITY_CONTEXTS (shared, only read) until the first verifier: most connections never authenticate. */
  private secContexts = NO_SECURITY_CONTEXTS;
  readonly stats: DcerpcConnectionStats = {
    pdus: 0,
    pdusByType: new Array<number>(PTYPE_COUNT + 1).fill(0),
    problems: NO_PROBLEMS,
    requests: 0,
    responsesAttributed: 0,
    responsesUnattributed: 0,
    faultsAttributed: 0,
    faultsUnattributed: 0,
    sealedPdus: 0,
    reassembledStubs: 0,
  };
  /** Client and server framers (index = Direction). */
  readonly framers: readonly [PduFramer, PduFramer];
  closed: CloseReason | undefined = undefined;

  private readonly midstream: boolean;
  private readonly maxStubSize: number;
  private readonly maxReassemblyBytes: number;
  private readonly maxPendingBinds: number;
  private readonly maxSecurityContexts: number;
  /** call_id of a bind/alter_context → the entries it proposed, in item order. */
  private pendingBinds = NO_PENDING_BINDS;
  /** Most recent verifier on a bind/alter_context/auth3: the security context later unauthenticated PDUs run under. */
  private currentAuth: AuthInfo | null = null;
  /** Integer byte order of the first PDU per direction (-1 unknown, 0 big, 1 little). */
  private readonly byteOrder: [number, number] = [-1, -1];
  private reassemblyBytes = 0;
  private readonly shared: MemoryBudget | undefined;
  private readonly hdr = new PduHeader();

  constructor(
    private readonly listener: DcerpcListener,
    opts: DcerpcConnectionOptions = {},
  ) {
    this.midstream = opts.midstream ?? false;
    this.maxStubSize = opts.maxStubSize ?? DEFAULTS.maxStubSize;
    this.maxReassemblyBytes = opts.maxReassemblyBytes ?? DEFAULTS.maxReassemblyBytes;
    this.shared = opts.sharedBudget;
    this.maxPendingBinds = opts.maxPendingBinds ?? DEFAULTS.maxPendingBinds;
    this.maxSecurityContexts = opts.maxSecurityContexts ?? DEFAULTS.maxSecurityContexts;
    this.contexts = new ContextTable(opts.maxContexts ?? DEFAULTS.maxContexts);
    this.calls = new CallTable(opts.maxCalls ?? DEFAULTS.maxCalls);
    // Midstream: client/server may be guessed wrong and either side may be mid-call, so either direction may open
    // with any first-PDU type.
    // (Plain literals, no object spread: one connection per TCP connection, and V8's spread of an options object
    // costs microseconds — it was the largest item of the constructor on a 40k-connection replay.)
    const both = FIRST_PDU_CLIENT | FIRST_PDU_SERVER;
    this.framers = [
      new PduFramer(0, this, {
        maxFragLength: opts.maxFragLength,
        detectHuntLimit: opts.detectHuntLimit,
        firstPduMask: this.midstream ? both : FIRST_PDU_CLIENT,
        huntOnFirstMiss: this.midstream,
      }),
      new PduFramer(1, this, {
        maxFragLength: opts.maxFragLength,
        detectHuntLimit: opts.detectHuntLimit,
        firstPduMask: this.midstream ? both : FIRST_PDU_SERVER,
        huntOnFirstMiss: this.midstream,
      }),
    ];
  }

  /** The connection's security contexts by auth_context_id (MS-RPCE 3.3.1.5.2.1). */
  get securityContexts(): ReadonlyMap<number, SecurityContext> {
    return this.secContexts;
  }

  /**
   * true once either direction carried a recognised PDU; false when the connection cannot be DCE/RPC (both
   * directions failed, or — with the handshake seen — the first payload of a direction failed before the other
   * proved DCE/RPC); undefined while undecided.
   */
  get isDcerpc(): boolean | undefined {
    const a = this.framers[0].verdict;
    const b = this.framers[1].verdict;
    if (a === 'dcerpc' || b === 'dcerpc') return true;
    if (a === 'not-dcerpc' && b === 'not-dcerpc') return false;
    if (!this.midstream && (a === 'not-dcerpc' || b === 'not-dcerpc')) return false;
    return undefined;
  }

  // --- StreamConsumer ----------------------------------------------------------------------------------------------

  wantsPayload(): boolean {
    return this.closed === undefined && this.isDcerpc !== false;
  }

  onData(dir: Direction, data: Uint8Array, tsUs: number): void {
    if (this.closed !== undefined || data.length === 0) return;
    this.framers[dir].push(data, tsUs);
  }

  onGap(dir: Direction, length: number, _tsUs: number): void {
    if (this.closed !== undefined) return;
    this.framers[dir].gap(length);
    // any fragment of a call being reassembled in this direction may have been in the hole
    for (const call of this.calls.values()) {
      if (call.request && call.request.dir === dir) call.request.broken = true;
      if (call.response && call.response.dir === dir) call.response.broken = true;
    }
  }

  onClose(reason: CloseReason, _tsUs: number): void {
    if (this.closed !== undefined) return;
    this.closed = reason;
    for (const call of this.calls.values()) this.releaseAssemblers(call);
    this.calls.clear();
    this.pendingBinds.clear();
  }

  // --- FramerSink --------------------------------------------------------------------------------------------------

  onFramerProblem(dir: Direction, kind: FramerProblemKind, detail: string): void {
    this.problem(kind, dir, detail);
  }

  onFramedPdu(dir: Direction, pdu: Uint8Array, tsUs: number): void {
    const h = decodeHeader(pdu, 0, this.hdr);
    const st = this.stats;
    st.pdus++;
    st.pdusByType[Math.min(h.ptype, PTYPE_COUNT)]++;
    this.checkByteOrder(dir, h.littleEndian);

    const objectOffset = h.ptype === PTYPE.request && (h.pfcFlags & PFC_OBJECT_UUID) !== 0 ? 24 : -1;
    const ev = new DcePduEvent(dir, tsUs, pdu, h.ptype, h.pfcFlags, h.littleEndian, h.callId, objectOffset);
    const decoded = decodePdu(pdu, h);
    if (decoded instanceof PduDecodeProblem) {
      ev.problem = decoded;
      this.problem(decoded.kind, dir, `${decoded.detail} (call_id ${h.callId})`);
      this.listener.onPdu(ev);
      return;
    }
    ev.decoded = decoded;
    if ('warning' in decoded && decoded.warning) {
      ev.warning = decoded.warning;
      this.problem(decoded.warning.kind, dir, `${decoded.warning.detail} (call_id ${h.callId})`);
    }
    switch (decoded.type) {
      case 'request':
        this.onRequest(ev, decoded, dir, tsUs);
        break;
      case 'response':
        this.onResponse(ev, decoded, dir, tsUs);
        break;
      case 'fault':
        this.onFault(ev, decoded);
        break;
      case 'bind':
      case 'alter_context':
        this.onBind(ev, decoded, dir, tsUs);
        break;
      case 'bind_ack':
      case 'alter_context_resp':
        this.onBindAck(ev, decoded, dir);
        break;
      case 'bind_nak':
        this.onBindNak(ev, decoded, dir);
        break;
      case 'auth3':
        this.ownAuth(ev, decoded.auth, tsUs);
        if (decoded.auth) this.currentAuth = ev.effectiveAuth;
        break;
      default:
        // shutdown, co_cancel, orphaned
        this.ownAuth(ev, decoded.auth, tsUs);
        if (decoded.type === 'co_cancel') {
          const call = this.calls.get(h.callId);
          if (call) call.cancelled = true;
          ev.call = call;
        } else if (decoded.type === 'orphaned') {
          // the client abandoned the call: no more fragments will come
          const call = this.calls.get(h.callId);
          ev.call = call;
          if (call) this.dropCall(call);
        }
    }
    if (ev.sealed) st.sealedPdus++;
    this.listener.onPdu(ev);
  }

  // --- PTYPE handlers ----------------------------------------------------------------------------------------------

  private onRequest(ev: DcePduEvent, p: RequestPdu, dir: Direction, tsUs: number): void {
    this.stats.requests++;
    ev.contextId = p.contextId;
    ev.opnum = p.opnum;
    const entry = this.contexts.get(p.contextId);
    ev.iface = entry;
    this.ownAuth(ev, p.auth, tsUs);
    if (p.auth === null) this.inheritFromContext(ev, entry);
    const sealed = p.auth?.sealed === true;
    ev.sealed = sealed;
    const own = sealed ? null : ev.pdu.subarray(p.stubOffset, p.stubOffset + p.stubLength);
    ev.stub = own;

    let call = this.calls.get(ev.callId);
    if (ev.firstFrag) {
      if (call?.request && !call.requestComplete) {
        this.problem('fragment-restart', dir, `request call_id ${ev.callId} restarted before its last fragment`);
      }
      if (call) this.releaseAssemblers(call);
      call = this.newCall(ev, p, entry, sealed, tsUs, true);
    } else if (!call || call.requestComplete) {
      this.problem(
        'fragment-without-first',
        dir,
        `request fragment (pfc_flags 0x${ev.pfcFlags.toString(16)}) of call_id ${ev.callId} without its first fragment`,
      );
      call = this.newCall(ev, p, entry, sealed, tsUs, false);
    }
    ev.call = call;
    call.requestFragments++;
    call.lastTsUs = tsUs;

    if (ev.firstFrag && ev.lastFrag) {
      call.requestComplete = true;
      return;
    }
    // multi-fragment request
    if (!sealed && own !== null) {
      if (ev.firstFrag) {
        call.request = this.newAssembler(dir, p.allocHint);
      } else if (call.request === null) {
        call.request = this.newAssembler(dir, 0);
        call.request.broken = true;
      }
      this.append(call.request, ev.pdu, p.stubOffset, p.stubLength, dir, ev.callId);
    }
    if (ev.lastFrag) {
      call.requestComplete = true;
      if (call.request) this.finishStub(ev, call.request, own);
      this.releaseRequest(call);
    }
  }

  private onResponse(ev: DcePduEvent, p: ResponsePdu, dir: Direction, tsUs: number): void {
    ev.contextId = p.contextId;
    const call = this.calls.get(ev.callId);
    this.attribute(ev, call, p.contextId);
    if (call) this.stats.responsesAttributed++;
    else this.stats.responsesUnattributed++;
    this.ownAuth(ev, p.auth, tsUs);
    if (p.auth === null) this.inheritFromCall(ev, call);
    const sealed = p.auth?.sealed === true;
    ev.sealed = sealed;
    const own = sealed ? null : ev.pdu.subarray(p.stubOffset, p.stubOffset + p.stubLength);
    ev.stub = own;
    if (!call) return;
    call.responseFragments++;
    call.lastTsUs = tsUs;
    if (!(ev.firstFrag && ev.lastFrag) && !sealed) {
      if (ev.firstFrag) {
        if (call.response) {
          this.problem('fragment-restart', dir, `response call_id ${ev.callId} restarted before its last fragment`);
          this.releaseResponse(call);
        }
        call.response = this.newAssembler(dir, p.allocHint);
      } else if (call.response === null) {
        this.problem(
          'fragment-without-first',
          dir,
          `response fragment (pfc_flags 0x${ev.pfcFlags.toString(16)}) of call_id ${ev.callId} without its first fragment`,
        );
        call.response = this.newAssembler(dir, 0);
        call.response.broken = true;
      }
      this.append(call.response, ev.pdu, p.stubOffset, p.stubLength, dir, ev.callId);
      if (ev.lastFrag) this.finishStub(ev, call.response, own);
    }
    if (ev.lastFrag) this.dropCall(call);
  }

  private onFault(ev: DcePduEvent, p: FaultPdu): void {
    ev.contextId = p.contextId;
    ev.faultStatus = p.status;
    const call = this.calls.get(ev.callId);
    this.attribute(ev, call, p.contextId);
    if (call) this.stats.faultsAttributed++;
    else this.stats.faultsUnattributed++;
    this.ownAuth(ev, p.auth, ev.tsUs);
    if (p.auth === null) this.inheritFromCall(ev, call);
    ev.sealed = p.auth?.sealed === true;
    // a fault ends the call, whatever fragments were outstanding
    if (call) this.dropCall(call);
  }

  private onBind(ev: DcePduEvent, p: BindPdu, dir: Direction, tsUs: number): void {
    this.ownAuth(ev, p.auth, tsUs);
    if (p.auth) this.currentAuth = ev.effectiveAuth;
    const auth = p.auth ? ev.effectiveAuth : this.currentAuth;
    const created: ContextEntry[] = [];
    let evictions = 0;
    let lastEvicted: ContextEntry | undefined;
    for (const c of p.contexts) {
      const entry = new ContextEntry(
        c.contextId,
        c.abstractSyntax.uuid,
        c.abstractSyntax.verMajor,
        c.abstractSyntax.verMinor,
        c.transferSyntaxes,
        ev.ptype,
        ev.callId,
        c.index,
        ev.firstFrag,
        auth,
        tsUs,
      );
      const evicted = this.contexts.put(entry);
      if (evicted) {
        evictions++;
        lastEvicted = evicted;
      }
      created.push(entry);
    }
    ev.contexts = created;
    // one report per PDU: a bind may carry up to 255 items
    if (lastEvicted) {
      this.problem(
        'context-table-evicted',
        dir,
        `context table full (${this.contexts.capacity}); ${ev.ptype === 11 ? 'bind' : 'alter_context'} call_id ${ev.callId} pushed out ${evictions} context(s), the last ${lastEvicted.contextId} (${lastEvicted.uuid})`,
      );
    }
    if (this.pendingBinds.size >= this.maxPendingBinds && !this.pendingBinds.has(ev.callId)) {
      const oldest = this.pendingBinds.keys().next();
      if (!oldest.done) this.pendingBinds.delete(oldest.value);
    }
    this.pendingBinds.delete(ev.callId);
    if (this.pendingBinds === NO_PENDING_BINDS) this.pendingBinds = new Map();
    this.pendingBinds.set(ev.callId, created);
  }

  private onBindAck(ev: DcePduEvent, p: BindAckPdu, dir: Direction): void {
    this.ownAuth(ev, p.auth, ev.tsUs);
    const pending = this.pendingBinds.get(ev.callId);
    if (!pending) {
      this.problem('bind-ack-unmatched', dir, `${p.type} call_id ${ev.callId} answers no bind/alter_context seen`);
      return;
    }
    this.pendingBinds.delete(ev.callId);
    if (p.results.length !== pending.length) {
      this.problem(
        'bind-ack-count-mismatch',
        dir,
        `${p.type} call_id ${ev.callId} has ${p.results.length} results for ${pending.length} context items`,
      );
    }
    const n = Math.min(p.results.length, pending.length);
    for (let i = 0; i < n; i++) {
      const r = p.results[i];
      pending[i].ack(r.result, r.reason, r.transferSyntax);
    }
    ev.contexts = pending.slice(0, n);
  }

  private onBindNak(ev: DcePduEvent, p: BindNakPdu, dir: Direction): void {
    const pending = this.pendingBinds.get(ev.callId);
    if (!pending) {
      this.problem('bind-ack-unmatched', dir, `bind_nak call_id ${ev.callId} answers no bind/alter_context seen`);
      return;
    }
    this.pendingBinds.delete(ev.callId);
    for (const e of pending) {
      e.ack(2, p.reason, undefined);
      e.nak = true;
    }
    ev.contexts = pending;
  }

  // --- helpers -----------------------------------------------------------------------------------------------------

  /** Response/fault: opnum and interface of the answered call; without one, the interface of the PDU's p_cont_id. */
  private attribute(ev: DcePduEvent, call: CallEntry | undefined, contextId: number): void {
    ev.call = call;
    if (call) {
      ev.opnum = call.opnum;
      ev.iface = call.iface;
    } else {
      ev.iface = this.contexts.get(contextId);
    }
  }

  /**
   * A request without a verifier runs under its context's security context only when that one was bound at level
   * connect or below: from PKT (4) up every request carries a verifier (MS-RPCE 3.3.1.5.2), so a bare request on such
   * a context is an unauthenticated call, not an authenticated one.
   */
  private inheritFromContext(ev: DcePduEvent, entry: ContextEntry | undefined): void {
    const inherited = entry ? entry.auth : this.currentAuth;
    if (inherited && inherited.authLevel <= AUTH_LEVEL.connect) {
      ev.effectiveAuth = inherited;
      ev.authInherited = true;
    }
  }

  /** A response/fault without a verifier is reported under the security context of the call it answers. */
  private inheritFromCall(ev: DcePduEvent, call: CallEntry | undefined): void {
    if (call) {
      if (call.auth) {
        ev.effectiveAuth = call.auth;
        ev.authInherited = true;
      }
      return;
    }
    this.inheritFromContext(ev, ev.iface);
  }

  /** Records the PDU's own verifier: effective auth of the event and the connection's security contexts. */
  private ownAuth(ev: DcePduEvent, t: SecTrailer | null, tsUs: number): void {
    if (t === null) return;
    ev.auth = t;
    const sc = this.secContexts.get(t.contextId);
    if (sc) {
      sc.pdus++;
      if (sc.authType !== t.authType || sc.authLevel !== t.authLevel) {
        sc.authType = t.authType;
        sc.authLevel = t.authLevel;
        sc.info = { authType: t.authType, authLevel: t.authLevel, authContextId: t.contextId };
      }
      ev.effectiveAuth = sc.info;
      return;
    }
    const info: AuthInfo = { authType: t.authType, authLevel: t.authLevel, authContextId: t.contextId };
    ev.effectiveAuth = info;
    if (this.secContexts.size < this.maxSecurityContexts) {
      if (this.secContexts === NO_SECURITY_CONTEXTS) this.secContexts = new Map();
      this.secContexts.set(t.contextId, {
        authContextId: t.contextId,
        authType: t.authType,
        authLevel: t.authLevel,
        info,
        firstPtype: ev.ptype,
        firstTsUs: tsUs,
        pdus: 1,
      });
    }
  }

  private newCall(
    ev: DcePduEvent,
    p: RequestPdu,
    entry: ContextEntry | undefined,
    sealed: boolean,
    tsUs: number,
    first: boolean,
  ): CallEntry {
    const call = new CallEntry(
      ev.callId,
      p.contextId,
      p.opnum,
      entry,
      ev.littleEndian,
      ev.effectiveAuth,
      sealed,
      tsUs,
      first,
    );
    const evicted = this.calls.put(call);
    if (evicted) {
      this.releaseAssemblers(evicted);
      this.problem(
        'call-table-evicted',
        ev.dir,
        `call table full (${this.calls.capacity}); dropped call_id ${evicted.callId} (opnum ${evicted.opnum})`,
      );
    }
    return call;
  }

  /** Bytes reassembly buffers may still grow by: the connection's own bound and the shared budget. */
  private reassemblyRoom(): number {
    const own = this.maxReassemblyBytes - this.reassemblyBytes;
    const room = this.shared ? Math.min(own, this.shared.available) : own;
    return Math.max(room, 0);
  }

  private account(delta: number): void {
    this.reassemblyBytes += delta;
    if (this.shared) {
      if (delta >= 0) this.shared.take(delta);
      else this.shared.release(-delta);
    }
  }

  private newAssembler(dir: Direction, allocHint: number): StubAssembler {
    const a = new StubAssembler(
      dir,
      Math.min(initialStubCapacity(allocHint, this.maxStubSize), this.reassemblyRoom()),
      this.maxStubSize,
    );
    this.account(a.capacity);
    return a;
  }

  private append(a: StubAssembler, pdu: Uint8Array, off: number, n: number, dir: Direction, callId: number): void {
    const before = a.capacity;
    const wasTruncated = a.truncated;
    a.append(pdu, off, n, this.reassemblyRoom());
    this.account(a.capacity - before);
    if (a.truncated && !wasTruncated) {
      if (this.shared && a.length < this.maxStubSize) this.shared.refusals++;
      this.problem(
        'stub-too-large',
        dir,
        `stub of call_id ${callId} cut at ${a.length} bytes (max ${this.maxStubSize} per stub, ${this.maxReassemblyBytes} per connection${this.shared ? `, ${this.shared.limit} shared` : ''})`,
      );
    }
  }

  /** On a last fragment: hand out the joined stub when it is whole, else this fragment's own stub. */
  private finishStub(ev: DcePduEvent, a: StubAssembler, own: Uint8Array | null): void {
    if (a.broken) {
      ev.stubIncomplete = true;
      ev.stub = own;
      return;
    }
    ev.stub = a.view();
    ev.stubReassembled = true;
    ev.stubTruncated = a.truncated;
    this.stats.reassembledStubs++;
  }

  private releaseRequest(call: CallEntry): void {
    if (call.request) {
      this.account(-call.request.capacity);
      call.request = null;
    }
  }

  private releaseResponse(call: CallEntry): void {
    if (call.response) {
      this.account(-call.response.capacity);
      call.response = null;
    }
  }

  private releaseAssemblers(call: CallEntry): void {
    this.releaseRequest(call);
    this.releaseResponse(call);
  }

  private dropCall(call: CallEntry): void {
    this.releaseAssemblers(call);
    this.calls.delete(call.callId);
  }

  private checkByteOrder(dir: Direction, le: boolean): void {
    const v = le ? 1 : 0;
    const prev = this.byteOrder[dir];
    if (prev === -1) this.byteOrder[dir] = v;
    else if (prev !== v) {
      this.byteOrder[dir] = v;
      this.problem(
        'byte-order-changed',
        dir,
        `integer byte order switched to ${le ? 'little' : 'big'}-endian mid-connection`,
      );
    }
  }

  private problem(kind: DceProblemKind, dir: Direction, detail: string): void {
    let m = this.stats.problems;
    if (m === NO_PROBLEMS) {
      m = new Map();
      this.stats.problems = m;
    }
    m.set(kind, (m.get(kind) ?? 0) + 1);
    this.listener.onProblem(kind, dir, detail);
  }
}
