/**
 * DceConnection: a DCE/RPC association over one TcpConversation, driven from the client's and the server's
 * side at once. It owns what a real endpoint pair would track — call ids, the presentation-context table,
 * security contexts (auth type, level, auth_context_id) — and emits protocol-exact PDUs:
 *
 *   bind / alter_context with the auth legs of the chosen scheme (auth3 for NTLM, alter_context pairs for
 *   SPNEGO/Kerberos), context results derived from the offered transfer syntaxes (NDR accepted, NDR64
 *   provider-rejected, BTFN negotiate_ack), requests/responses with verifiers at levels >= PKT, sealed
 *   (random) stubs at packet privacy, multi-fragment calls, faults.
 *
 * Every PDU is recorded in the FactRecorder as it is emitted. PDUs can be batched into a single TCP write
 * (several PDUs per segment) and each write can carry TCP impairments.
 */
import type { AuthScheme } from '../auth/scheme.js';
import {
  AUTH_LEVEL,
  NDR,
  NDR64,
  NULL_SYNTAX,
  PFC_FIRST_FRAG,
  PFC_LAST_FRAG,
  PFC_OBJECT_UUID,
  PFC_SUPPORT_HEADER_SIGN,
  PTYPE,
  REJECT_REASON,
  RESULT,
  type SyntaxId,
} from '../dcerpc/constants.js';
import {
  type ContextResult,
  type Drep,
  encodeAlterContext,
  encodeAlterContextResp,
  encodeAuth3,
  encodeBind,
  encodeBindAck,
  encodeBindNak,
  encodeFault,
  encodeRequest,
  encodeResponse,
  fragmentFlags,
  splitStub,
  type Verifier,
} from '../dcerpc/pdu.js';
import { INTERFACE_NAMES, operationName } from '../dcom/guids.js';
import type { SendOptions, Side, TcpConversation } from '../tcp/conversation.js';
import { concat } from '../util/bytes.js';
import type { Rng } from '../util/rng.js';
import type { Direction, FactRecorder, PduFact } from './facts.js';

export interface SecurityContext {
  scheme: AuthScheme;
  level: number;
  authContextId: number;
}

export interface OfferedContext {
  contextId: number;
  iface: SyntaxId;
  transfer: SyntaxId[];
  /** Force a provider rejection of this context (abstract syntax not supported). */
  reject?: boolean;
}

export interface BoundContext {
  contextId: number;
  iface: SyntaxId;
  accepted: boolean;
  visible: boolean;
}

export interface Call {
  callId: number;
  contextId: number;
  opnum: number;
  iface: string;
  objectUuid?: string;
  security?: SecurityContext;
}

export interface DceConnectionOptions {
  id: string;
  conv: TcpConversation;
  rec: FactRecorder;
  rng: Rng;
  drep?: Drep;
  /** max_xmit_frag/max_recv_frag offered in binds (Windows 5840, impacket 4280). */
  maxFrag?: number;
  /** Alignment of request stubs before the verifier (Windows 16, impacket 4). */
  clientPadAlign?: number;
  serverPadAlign?: number;
  assocGroupId?: number;
  notes?: string;
  /** Capture starts midstream: no handshake, contexts bound earlier are invisible. */
  midstream?: boolean;
  /**
   * Set PFC_SUPPORT_HEADER_SIGN (0x04) on authenticated bind/alter_context/auth3, as native Windows clients do
   * when they establish an NTLM context (flags 0x07; MS-RPCE 2.2.2.3).
   */
  headerSign?: boolean;
}

interface Queued {
  bytes: Uint8Array;
  fact: PduFact;
}

const DIR: Record<Side, Direction> = { client: 'to_server', server: 'to_client' };

function ifaceName(uuid: string): string | undefined {
  return INTERFACE_NAMES[uuid];
}

export class DceConnection {
  readonly id: string;
  readonly drep: Drep;
  readonly contexts = new Map<number, BoundContext>();
  private nextCallId = 1;
  private assocGroup: number;
  private readonly queue: Record<Side, Queued[]> = { client: [], server: [] };
  private batchDepth: Record<Side, number> = { client: 0, server: 0 };
  private pendingSend: Record<Side, SendOptions | undefined> = { client: undefined, server: undefined };
  /** Security context used for calls unless one is given explicitly. */
  currentSecurity?: SecurityContext;

  constructor(private readonly o: DceConnectionOptions) {
    this.id = o.id;
    this.drep = o.drep ?? 'le';
    this.assocGroup = o.assocGroupId ?? 0x35b5 + (o.rng.u32() & 0x0fff);
    const c = o.conv;
    o.rec.connections.push({
      id: o.id,
      client: { ip: c.client.ip, port: c.clientPort, host: c.client.name },
      server: { ip: c.server.ip, port: c.serverPort, host: c.server.name },
      handshake: !o.midstream,
      drep: this.drep,
      dcerpc: true,
      notes: o.notes,
    });
    if (o.midstream) c.midstream();
    else c.handshake();
  }

  get conv(): TcpConversation {
    return this.o.conv;
  }

  get le(): boolean {
    return this.drep === 'le';
  }

  /** Next call_id the client will use. */
  peekCallId(): number {
    return this.nextCallId;
  }

  /** Skip call ids (e.g. calls made before a midstream capture started). */
  skipCallIds(n: number): void {
    this.nextCallId += n;
  }

  // ---------------------------------------------------------------- emission

  /** Emit several PDUs from `side` in one TCP write (several PDUs per segment). */
  batch(side: Side, fn: () => void, send?: SendOptions): void {
    this.batchDepth[side]++;
    if (send) this.pendingSend[side] = send;
    try {
      fn();
    } finally {
      this.batchDepth[side]--;
    }
    if (this.batchDepth[side] === 0) this.flush(side);
  }

  private emit(side: Side, bytes: Uint8Array, fact: PduFact, send?: SendOptions): void {
    // Causality: whatever the peer has queued (e.g. a batched request) goes on the wire before this answer.
    const peer: Side = side === 'client' ? 'server' : 'client';
    if (this.queue[peer].length > 0) this.flush(peer);
    this.queue[side].push({ bytes, fact });
    if (send) this.pendingSend[side] = send;
    if (this.batchDepth[side] === 0) this.flush(side);
  }

  private flush(side: Side): void {
    const items = this.queue[side];
    if (items.length === 0) return;
    this.queue[side] = [];
    const send = this.pendingSend[side];
    this.pendingSend[side] = undefined;
    const data = concat(items.map((i) => i.bytes));
    const res = this.o.conv.send(side, data, send);
    // A PDU is invisible to a passive decoder if any of its bytes were in a dropped segment.
    const dropped = (send?.impairments ?? [])
      .filter((x) => x.kind === 'drop')
      .map((x) => (x as { segment: number }).segment);
    let off = 0;
    for (const it of items) {
      const start = off;
      const end = off + it.bytes.length;
      off = end;
      const lost = res.segments.some((s) => dropped.includes(s.index) && s.offset < end && s.offset + s.length > start);
      it.fact.captured = !lost;
      this.o.rec.pdus.push(it.fact);
    }
    if (items.length > 1) {
      this.o.rec.tcp.push({
        connection: this.id,
        direction: DIR[side],
        kind: 'coalesced',
        detail: `${items.length} PDUs (${items.map((i) => `${i.fact.ptype}#${i.fact.callId}`).join(', ')}) in one write of ${data.length} bytes`,
      });
    }
    if (res.segments.length > 1) {
      this.o.rec.tcp.push({
        connection: this.id,
        direction: DIR[side],
        kind: 'split',
        detail: `write of ${data.length} bytes (${items.map((i) => `${i.fact.ptype}#${i.fact.callId}`).join(', ')}) in ${res.segments.length} segments`,
      });
    }
    for (const imp of send?.impairments ?? []) {
      const seg = (i: number) => res.segments[i];
      let kind: PduFactKind;
      let detail: string;
      switch (imp.kind) {
        case 'retransmit':
          kind = 'retransmit';
          detail = `segment ${imp.segment} (seq ${seg(imp.segment).seq}, ${seg(imp.segment).length} bytes) seen twice`;
          break;
        case 'overlap':
          kind = imp.conflicting ? 'overlap_conflicting' : 'overlap';
          detail = `extra segment with write bytes [${imp.from}, ${imp.to}) (seq ${(res.seq + imp.from) >>> 0}) after segment ${imp.after}${
            imp.conflicting
              ? ", bytes differ from the original; lies entirely below the receiver's next expected sequence so real stacks discard it"
              : ', identical bytes'
          }`;
          break;
        case 'reorder':
          kind = 'reorder';
          detail = `segments seen in order ${imp.order.join(',')}`;
          break;
        case 'drop':
          kind = 'drop';
          detail = `segment ${imp.segment} (seq ${seg(imp.segment).seq}, ${seg(imp.segment).length} bytes, write offset ${seg(imp.segment).offset}) not captured`;
          break;
      }
      this.o.rec.tcp.push({ connection: this.id, direction: DIR[side], kind, detail });
    }
  }

  private fact(
    dir: Side,
    bytes: Uint8Array,
    f: Omit<PduFact, 'connection' | 'direction' | 'flags' | 'fragLength' | 'authLength' | 'captured'>,
  ): PduFact {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return {
      connection: this.id,
      direction: DIR[dir],
      flags: bytes[3],
      fragLength: dv.getUint16(8, this.le),
      authLength: dv.getUint16(10, this.le),
      captured: true,
      ...f,
    };
  }

  private verifier(sec: SecurityContext | undefined, from: Side, leg?: 1 | 2 | 3 | 4): Verifier | undefined {
    if (!sec) return undefined;
    if (leg !== undefined) {
      const token = sec.scheme.token(leg);
      if (!token) return undefined;
      return { authType: sec.scheme.authType, authLevel: sec.level, authContextId: sec.authContextId, value: token };
    }
    if (sec.level < AUTH_LEVEL.pkt) return undefined;
    return {
      authType: sec.scheme.authType,
      authLevel: sec.level,
      authContextId: sec.authContextId,
      value: sec.scheme.verifier(from, sec.level === AUTH_LEVEL.privacy),
    };
  }

  // ---------------------------------------------------------------- binding

  private results(offered: OfferedContext[]): Array<ContextResult & { contextId: number }> {
    return offered.map((c) => {
      const t = c.transfer[0];
      if (c.reject) {
        return {
          contextId: c.contextId,
          result: RESULT.provider_rejection,
          reason: REJECT_REASON.abstract_syntax_not_supported,
          transfer: NULL_SYNTAX,
        };
      }
      if (t.uuid === NDR.uuid) return { contextId: c.contextId, result: RESULT.acceptance, reason: 0, transfer: NDR };
      if (t.uuid === NDR64.uuid)
        return {
          contextId: c.contextId,
          result: RESULT.provider_rejection,
          reason: REJECT_REASON.proposed_transfer_syntaxes_not_supported,
          transfer: NULL_SYNTAX,
        };
      if (t.uuid.startsWith('6cb71c2c-9812-4540-')) {
        // negotiate_ack: the reason field carries the accepted feature bits (security context multiplexing | keep on orphan).
        return { contextId: c.contextId, result: RESULT.negotiate_ack, reason: 0x0003, transfer: NULL_SYNTAX };
      }
      return {
        contextId: c.contextId,
        result: RESULT.provider_rejection,
        reason: REJECT_REASON.proposed_transfer_syntaxes_not_supported,
        transfer: NULL_SYNTAX,
      };
    });
  }

  /**
   * bind (or alter_context) with optional authentication. Runs every leg of the scheme:
   * NTLM: bind/bind_ack/auth3; SPNEGO/Kerberos: bind/bind_ack then alter_context/alter_context_resp.
   */
  bind(o: {
    contexts: OfferedContext[];
    security?: SecurityContext;
    alter?: boolean;
    flags?: number;
    clientSend?: SendOptions;
    serverSend?: SendOptions;
    /** Batch auth3 with the first request: the caller emits the request inside `afterAuth3`. */
    afterAuth3?: () => void;
  }): number {
    const callId = this.nextCallId++;
    const sec = o.security;
    const maxFrag = this.o.maxFrag ?? 5840;
    const legFlags =
      o.flags ?? (sec && this.o.headerSign ? PFC_FIRST_FRAG | PFC_LAST_FRAG | PFC_SUPPORT_HEADER_SIGN : undefined);
    const offered = o.contexts.map((c) => ({ contextId: c.contextId, abstract: c.iface, transfer: c.transfer }));
    const firstLegs: [1 | 2, 1 | 2] = [1, 2];
    const reqFn = o.alter ? encodeAlterContext : encodeBind;
    const req = reqFn({
      drep: this.drep,
      callId,
      flags: legFlags,
      maxXmitFrag: maxFrag,
      maxRecvFrag: maxFrag,
      assocGroupId: o.alter ? this.assocGroup : 0,
      contexts: offered,
      verifier: this.verifier(sec, 'client', firstLegs[0]),
    });
    const ptypeReq = o.alter ? 'alter_context' : 'bind';
    this.emit(
      'client',
      req,
      this.fact('client', req, {
        ptype: ptypeReq,
        callId,
        interface: o.contexts[0].iface.uuid,
        interfaceName: ifaceName(o.contexts[0].iface.uuid),
        contexts: o.contexts.map((c) => ({
          contextId: c.contextId,
          interface: c.iface.uuid,
          transferSyntaxes: c.transfer.map((t) => t.uuid),
        })),
        ...this.authFact(sec),
      }),
      o.clientSend,
    );
    this.think();
    const results = this.results(o.contexts);
    const ackFn = o.alter ? encodeAlterContextResp : encodeBindAck;
    const secAddr = o.alter ? '' : String(this.o.conv.serverPort);
    const ack = ackFn({
      drep: this.drep,
      callId,
      flags: PFC_FIRST_FRAG | PFC_LAST_FRAG,
      maxXmitFrag: maxFrag,
      maxRecvFrag: maxFrag,
      assocGroupId: this.assocGroup,
      secAddr,
      results,
      verifier: this.verifier(sec, 'server', firstLegs[1]),
    });
    this.emit(
      'server',
      ack,
      this.fact('server', ack, {
        ptype: o.alter ? 'alter_context_resp' : 'bind_ack',
        callId,
        secAddr,
        results: results.map((r) => ({ contextId: r.contextId, result: r.result, reason: r.reason })),
        ...this.authFact(sec),
      }),
      o.serverSend,
    );
    for (const c of o.contexts) {
      const r = results.find((x) => x.contextId === c.contextId)!;
      // BTFN and NDR64 items share the abstract syntax with an accepted NDR item; only acceptance binds.
      if (r.result === RESULT.acceptance)
        this.contexts.set(c.contextId, { contextId: c.contextId, iface: c.iface, accepted: true, visible: true });
      else if (!this.contexts.has(c.contextId))
        this.contexts.set(c.contextId, { contextId: c.contextId, iface: c.iface, accepted: false, visible: true });
    }

    if (sec && sec.scheme.legs === 3) {
      this.think();
      const emitAuth3 = () => {
        const a3 = encodeAuth3({
          drep: this.drep,
          callId,
          flags: legFlags ?? PFC_FIRST_FRAG | PFC_LAST_FRAG,
          verifier: this.verifier(sec, 'client', 3)!,
        });
        this.emit('client', a3, this.fact('client', a3, { ptype: 'auth3', callId, ...this.authFact(sec) }));
      };
      if (o.afterAuth3) {
        this.batch('client', () => {
          emitAuth3();
          o.afterAuth3?.();
        });
      } else emitAuth3();
    } else if (sec && sec.scheme.legs === 4) {
      this.think();
      const first = o.contexts[0];
      const alt = encodeAlterContext({
        drep: this.drep,
        callId,
        flags: legFlags,
        maxXmitFrag: maxFrag,
        maxRecvFrag: maxFrag,
        assocGroupId: this.assocGroup,
        contexts: [{ contextId: first.contextId, abstract: first.iface, transfer: [NDR] }],
        verifier: this.verifier(sec, 'client', 3),
      });
      this.emit(
        'client',
        alt,
        this.fact('client', alt, {
          ptype: 'alter_context',
          callId,
          interface: first.iface.uuid,
          interfaceName: ifaceName(first.iface.uuid),
          contexts: [{ contextId: first.contextId, interface: first.iface.uuid, transferSyntaxes: [NDR.uuid] }],
          ...this.authFact(sec),
        }),
      );
      this.think();
      const altResp = encodeAlterContextResp({
        drep: this.drep,
        callId,
        maxXmitFrag: maxFrag,
        maxRecvFrag: maxFrag,
        assocGroupId: this.assocGroup,
        secAddr: '',
        results: [{ result: RESULT.acceptance, reason: 0, transfer: NDR }],
        verifier: this.verifier(sec, 'server', 4),
      });
      this.emit(
        'server',
        altResp,
        this.fact('server', altResp, {
          ptype: 'alter_context_resp',
          callId,
          secAddr: '',
          results: [{ contextId: first.contextId, result: RESULT.acceptance, reason: 0 }],
          ...this.authFact(sec),
        }),
      );
      o.afterAuth3?.();
    } else {
      o.afterAuth3?.();
    }
    if (sec) {
      this.currentSecurity = sec;
      this.o.rec.identities.push({
        ...sec.scheme.identity(),
        connection: this.id,
        authContextId: sec.authContextId,
        authLevel: sec.level,
      });
    }
    return callId;
  }

  /**
   * A bind the server refuses outright with bind_nak (e.g. reason 8, authentication type not recognized).
   * The client's leg-1 token is sent; no context is established.
   */
  bindRejected(o: { contexts: OfferedContext[]; security?: SecurityContext; reason: number }): number {
    const callId = this.nextCallId++;
    const maxFrag = this.o.maxFrag ?? 5840;
    const req = encodeBind({
      drep: this.drep,
      callId,
      maxXmitFrag: maxFrag,
      maxRecvFrag: maxFrag,
      assocGroupId: 0,
      contexts: o.contexts.map((c) => ({ contextId: c.contextId, abstract: c.iface, transfer: c.transfer })),
      verifier: this.verifier(o.security, 'client', 1),
    });
    this.emit(
      'client',
      req,
      this.fact('client', req, {
        ptype: 'bind',
        callId,
        interface: o.contexts[0].iface.uuid,
        interfaceName: ifaceName(o.contexts[0].iface.uuid),
        contexts: o.contexts.map((c) => ({
          contextId: c.contextId,
          interface: c.iface.uuid,
          transferSyntaxes: c.transfer.map((t) => t.uuid),
        })),
        ...this.authFact(o.security),
      }),
    );
    this.think();
    const nak = encodeBindNak({ drep: this.drep, callId, reason: o.reason });
    this.emit('server', nak, this.fact('server', nak, { ptype: 'bind_nak', callId, rejectReason: o.reason }));
    return callId;
  }

  /** Contexts bound before a midstream capture started (not visible on the wire). */
  assumeBound(contexts: Array<{ contextId: number; iface: SyntaxId }>, security?: SecurityContext): void {
    for (const c of contexts)
      this.contexts.set(c.contextId, { contextId: c.contextId, iface: c.iface, accepted: true, visible: false });
    if (security) this.currentSecurity = security;
  }

  private authFact(sec: SecurityContext | undefined): Pick<PduFact, 'authType' | 'authLevel' | 'authContextId'> {
    return sec ? { authType: sec.scheme.authType, authLevel: sec.level, authContextId: sec.authContextId } : {};
  }

  /** Server processing / client think time between a message and the next one. */
  private think(micros = 180): void {
    this.o.conv.net.advance(micros);
  }

  // ---------------------------------------------------------------- calls

  private resolveSecurity(explicit: SecurityContext | null | undefined): SecurityContext | undefined {
    if (explicit === null) return undefined;
    return explicit ?? this.currentSecurity;
  }

  request(o: {
    contextId: number;
    opnum: number;
    stub: Uint8Array;
    objectUuid?: string;
    /** null = no security context (unauthenticated call on an authenticated connection). */
    security?: SecurityContext | null;
    fragments?: number;
    send?: SendOptions;
  }): Call {
    const callId = this.nextCallId++;
    const sec = this.resolveSecurity(o.security);
    const ctx = this.contexts.get(o.contextId);
    if (!ctx) throw new Error(`request on unknown context ${o.contextId} of ${this.id}`);
    const call: Call = {
      callId,
      contextId: o.contextId,
      opnum: o.opnum,
      iface: ctx.iface.uuid,
      objectUuid: o.objectUuid,
      security: sec,
    };
    this.emitCallPdus('client', call, o.stub, o.fragments ?? 1, o.send);
    return call;
  }

  respond(call: Call, stub: Uint8Array, o: { fragments?: number; send?: SendOptions } = {}): void {
    this.emitCallPdus('server', call, stub, o.fragments ?? 1, o.send);
  }

  private emitCallPdus(side: Side, call: Call, stub: Uint8Array, fragments: number, send?: SendOptions): void {
    const sec = call.security;
    const sealed = sec?.level === AUTH_LEVEL.privacy;
    const pieces = splitStub(stub, fragments);
    const align = side === 'client' ? (this.o.clientPadAlign ?? 16) : (this.o.serverPadAlign ?? 16);
    const ctx = this.contexts.get(call.contextId);
    const run = () => {
      let remaining = stub.length;
      pieces.forEach((piece, i) => {
        const flags = fragmentFlags(i, pieces.length) | (side === 'client' && call.objectUuid ? PFC_OBJECT_UUID : 0);
        const body = sealed ? this.o.rng.bytes(piece.length) : piece;
        const common = {
          drep: this.drep,
          callId: call.callId,
          flags,
          allocHint: remaining,
          contextId: call.contextId,
          stub: body,
          verifier: this.verifier(sec, side),
          authPadAlign: align,
        };
        const bytes =
          side === 'client'
            ? encodeRequest({ ...common, opnum: call.opnum, objectUuid: call.objectUuid })
            : encodeResponse(common);
        remaining -= piece.length;
        this.emit(
          side,
          bytes,
          this.fact(side, bytes, {
            ptype: side === 'client' ? 'request' : 'response',
            callId: call.callId,
            contextId: call.contextId,
            opnum: call.opnum,
            interface: call.iface,
            interfaceName: ifaceName(call.iface),
            objectUuid: side === 'client' ? call.objectUuid : undefined,
            sealed,
            fragment: pieces.length === 1 ? 'single' : i === 0 ? 'first' : i === pieces.length - 1 ? 'last' : 'middle',
            stubLength: piece.length,
            contextVisible: ctx?.visible ?? false,
            ...this.authFact(sec),
          }),
        );
      });
    };
    if (pieces.length > 1 || send) this.batch(side, run, send);
    else run();
  }

  /**
   * Fault answering `call`. Windows sends access-denied faults without a verifier even on authenticated
   * connections (RESEARCH.md 1.7), which is the default here.
   */
  fault(
    call: Call,
    status: number,
    o: { flags?: number; withVerifier?: boolean; send?: SendOptions; otherCallInFlight?: number } = {},
  ): void {
    const sec = o.withVerifier ? call.security : undefined;
    const bytes = encodeFault({
      drep: this.drep,
      callId: call.callId,
      flags: o.flags ?? PFC_FIRST_FRAG | PFC_LAST_FRAG,
      contextId: call.contextId,
      status,
      verifier: this.verifier(sec, 'server'),
    });
    this.emit(
      'server',
      bytes,
      this.fact('server', bytes, {
        ptype: 'fault',
        callId: call.callId,
        contextId: call.contextId,
        interface: call.iface,
        interfaceName: ifaceName(call.iface),
        opnum: call.opnum,
        status,
        ...this.authFact(sec),
      }),
      o.send,
    );
    this.o.rec.faults.push({
      connection: this.id,
      callId: call.callId,
      contextId: call.contextId,
      status,
      drep: this.drep,
      answersInterface: call.iface,
      answersOpnum: call.opnum,
      answersOperation: operationName(call.iface, call.opnum),
      otherCallInFlight: o.otherCallInFlight,
    });
  }

  close(side: Side = 'client'): void {
    this.o.conv.close(side);
  }
}

type PduFactKind = 'retransmit' | 'overlap' | 'overlap_conflicting' | 'reorder' | 'drop';

export { PTYPE };
