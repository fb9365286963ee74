/**
 * Connection-oriented DCE/RPC PDU encoders (C706 ch. 12, MS-RPCE 2.2.2), both byte orders.
 *
 * Common header (16 bytes, integers in the drep byte order):
 *   rpc_vers u8 = 5 | rpc_vers_minor u8 = 0 | PTYPE u8 | pfc_flags u8 | packed_drep[4]
 *   frag_length u16 | auth_length u16 | call_id u32
 * bind / alter_context (11/14):
 *   max_xmit_frag u16 | max_recv_frag u16 | assoc_group_id u32 | n_context_elem u8 | reserved[3]
 *   { p_cont_id u16 | n_transfer_syn u8 | reserved u8 | abstract_syntax | transfer_syntaxes[] }*
 *   where a syntax is { if_uuid[16] | if_version u32 = minor << 16 | major }
 * bind_ack / alter_context_resp (12/15):
 *   max_xmit_frag u16 | max_recv_frag u16 | assoc_group_id u32 | sec_addr { length u16 | port_spec[length] }
 *   pad to 4 | n_results u8 | reserved[3] | { result u16 | reason u16 | transfer_syntax }*
 * bind_nak (13): provider_reject_reason u16 | n_protocols u8 | { major u8 | minor u8 }* (padded to 4)
 * request (0):  alloc_hint u32 | p_cont_id u16 | opnum u16 | [object uuid[16] if PFC_OBJECT_UUID] | stub
 * response (2): alloc_hint u32 | p_cont_id u16 | cancel_count u8 | reserved u8 | stub
 * fault (3):    alloc_hint u32 | p_cont_id u16 | cancel_count u8 | fault_flags u8 | status u32 | reserved u32 | [stub]
 * auth3 (16):   pad[4] (MS-RPCE 2.2.2.10) then the verifier
 * shutdown (17), co_cancel (18), orphaned (19): header only (+ optional verifier)
 * Verifier (when auth_length > 0):
 *   auth_pad[auth_pad_length] | sec_trailer { auth_type u8 | auth_level u8 | auth_pad_length u8 |
 *   auth_reserved u8 | auth_context_id u32 } | auth_value[auth_length]
 */
import { ByteWriter } from '../util/bytes.js';
import { uuidBytes } from '../util/uuid.js';
import { PFC_FIRST_FRAG, PFC_LAST_FRAG, PFC_OBJECT_UUID, PTYPE, type SyntaxId } from './constants.js';

export type Drep = 'le' | 'be';

export function drepBytes(d: Drep): Uint8Array {
  // byte 0: integer representation in the high nibble (1 = little-endian), ASCII charset; IEEE floats.
  return Uint8Array.of(d === 'le' ? 0x10 : 0x00, 0x00, 0x00, 0x00);
}

export interface Verifier {
  authType: number;
  authLevel: number;
  authContextId: number;
  /** auth_value (NTLMSSP/SPNEGO/Kerberos token or message signature). */
  value: Uint8Array;
}

export interface PduBase {
  drep?: Drep;
  callId: number;
  /** pfc_flags; defaults to FIRST|LAST. */
  flags?: number;
  verifier?: Verifier;
  /**
   * Alignment of the stub before the sec_trailer (auth_pad). Windows pads request/response stubs to 16,
   * impacket to 4; bind-family bodies are padded to 4.
   */
  authPadAlign?: number;
  /** Byte used for auth padding (impacket uses 0xff in auth3's fixed pad, zeros elsewhere). */
  authPadByte?: number;
  rpcVersMinor?: number;
}

export interface ContextElement {
  contextId: number;
  abstract: SyntaxId;
  transfer: SyntaxId[];
}

export interface ContextResult {
  result: number;
  reason: number;
  transfer: SyntaxId;
}

function writer(d: Drep | undefined): ByteWriter {
  return new ByteWriter((d ?? 'le') === 'le');
}

/**
 * p_syntax_id_t (C706 12.6.3.1 / Appendix N): if_version is ONE u32 in the drep's byte order, major version in the
 * low 16 bits, minor in the high 16 — so little-endian bytes are major then minor, big-endian bytes minor then major
 * (tshark reads it the same way: NDR 2.0 big-endian is 00 00 00 02).
 */
function syntax(w: ByteWriter, s: SyntaxId): void {
  w.bytes(uuidBytes(s.uuid, w.littleEndian));
  w.u32(((s.minor & 0xffff) * 0x10000 + (s.major & 0xffff)) >>> 0);
}

/** Writes header + body + verifier and patches frag_length/auth_length. */
function finishPdu(ptype: number, p: PduBase, body: (w: ByteWriter) => void, defaultPadAlign: number): Uint8Array {
  const w = writer(p.drep);
  w.u8(5)
    .u8(p.rpcVersMinor ?? 0)
    .u8(ptype)
    .u8(p.flags ?? PFC_FIRST_FRAG | PFC_LAST_FRAG)
    .bytes(drepBytes(p.drep ?? 'le'))
    .u16(0)
    .u16(0)
    .u32(p.callId);
  body(w);
  if (p.verifier) {
    const v = p.verifier;
    // The stub (from offset 16 for bind-family, 24 for request/response/fault) is padded; offsets 16 and 24
    // are both multiples of 8, so padding relative to the PDU start and to the stub start agree for 4 and 8.
    const stubStart = ptype === PTYPE.request || ptype === PTYPE.response || ptype === PTYPE.fault ? 24 : 16;
    const objectAdj = ptype === PTYPE.request && (p.flags ?? 3) & PFC_OBJECT_UUID ? 16 : 0;
    const pad = w.align(p.authPadAlign ?? defaultPadAlign, p.authPadByte ?? 0, stubStart + objectAdj);
    w.u8(v.authType).u8(v.authLevel).u8(pad).u8(0).u32(v.authContextId);
    w.bytes(v.value);
    w.patchU16(10, v.value.length);
  }
  w.patchU16(8, w.length);
  return w.toBytes();
}

export interface BindPdu extends PduBase {
  maxXmitFrag?: number;
  maxRecvFrag?: number;
  assocGroupId?: number;
  contexts: ContextElement[];
}

function bindBody(p: BindPdu): (w: ByteWriter) => void {
  return (w) => {
    w.u16(p.maxXmitFrag ?? 5840)
      .u16(p.maxRecvFrag ?? 5840)
      .u32(p.assocGroupId ?? 0);
    w.u8(p.contexts.length).fill(3);
    for (const c of p.contexts) {
      w.u16(c.contextId).u8(c.transfer.length).u8(0);
      syntax(w, c.abstract);
      for (const t of c.transfer) syntax(w, t);
    }
  };
}

export function encodeBind(p: BindPdu): Uint8Array {
  return finishPdu(PTYPE.bind, p, bindBody(p), 4);
}

export function encodeAlterContext(p: BindPdu): Uint8Array {
  return finishPdu(PTYPE.alter_context, p, bindBody(p), 4);
}

export interface BindAckPdu extends PduBase {
  maxXmitFrag?: number;
  maxRecvFrag?: number;
  assocGroupId: number;
  /** Server port as a decimal string (ncacn_ip_tcp); empty for alter_context_resp. */
  secAddr: string;
  results: ContextResult[];
}

function bindAckBody(p: BindAckPdu): (w: ByteWriter) => void {
  return (w) => {
    w.u16(p.maxXmitFrag ?? 5840)
      .u16(p.maxRecvFrag ?? 5840)
      .u32(p.assocGroupId);
    if (p.secAddr.length === 0) {
      w.u16(0);
    } else {
      w.u16(p.secAddr.length + 1);
      for (let i = 0; i < p.secAddr.length; i++) w.u8(p.secAddr.charCodeAt(i));
      w.u8(0);
    }
    w.align(4);
    w.u8(p.results.length).fill(3);
    for (const r of p.results) {
      w.u16(r.result).u16(r.reason);
      syntax(w, r.transfer);
    }
  };
}

export function encodeBindAck(p: BindAckPdu): Uint8Array {
  return finishPdu(PTYPE.bind_ack, p, bindAckBody(p), 4);
}

export function encodeAlterContextResp(p: BindAckPdu): Uint8Array {
  return finishPdu(PTYPE.alter_context_resp, p, bindAckBody(p), 4);
}

export interface BindNakPdu extends PduBase {
  reason: number;
  versions?: Array<[number, number]>;
}

export function encodeBindNak(p: BindNakPdu): Uint8Array {
  return finishPdu(
    PTYPE.bind_nak,
    p,
    (w) => {
      const versions = p.versions ?? [[5, 0]];
      w.u16(p.reason).u8(versions.length);
      for (const [maj, min] of versions) w.u8(maj).u8(min);
      w.align(4);
    },
    4,
  );
}

export interface RequestPdu extends PduBase {
  allocHint?: number;
  contextId: number;
  opnum: number;
  /** Object UUID (in DCOM: the IPID); sets PFC_OBJECT_UUID. */
  objectUuid?: string;
  stub: Uint8Array;
}

export function encodeRequest(p: RequestPdu): Uint8Array {
  const flags = (p.flags ?? PFC_FIRST_FRAG | PFC_LAST_FRAG) | (p.objectUuid ? PFC_OBJECT_UUID : 0);
  return finishPdu(
    PTYPE.request,
    { ...p, flags },
    (w) => {
      w.u32(p.allocHint ?? p.stub.length)
        .u16(p.contextId)
        .u16(p.opnum);
      if (p.objectUuid) w.bytes(uuidBytes(p.objectUuid, w.littleEndian));
      w.bytes(p.stub);
    },
    16,
  );
}

export interface ResponsePdu extends PduBase {
  allocHint?: number;
  contextId: number;
  cancelCount?: number;
  stub: Uint8Array;
}

export function encodeResponse(p: ResponsePdu): Uint8Array {
  return finishPdu(
    PTYPE.response,
    p,
    (w) => {
      w.u32(p.allocHint ?? p.stub.length)
        .u16(p.contextId)
        .u8(p.cancelCount ?? 0)
        .u8(0);
      w.bytes(p.stub);
    },
    16,
  );
}

export interface FaultPdu extends PduBase {
  allocHint?: number;
  contextId: number;
  cancelCount?: number;
  faultFlags?: number;
  status: number;
  stub?: Uint8Array;
}

export function encodeFault(p: FaultPdu): Uint8Array {
  return finishPdu(
    PTYPE.fault,
    p,
    (w) => {
      const stub = p.stub ?? new Uint8Array(0);
      // Windows reports alloc_hint 32 (the fault PDU length) for a body-less fault; see RESEARCH.md 1.7.
      w.u32(p.allocHint ?? (stub.length > 0 ? stub.length : 32))
        .u16(p.contextId)
        .u8(p.cancelCount ?? 0)
        .u8(p.faultFlags ?? 0);
      w.u32(p.status).u32(0);
      w.bytes(stub);
    },
    16,
  );
}

export interface Auth3Pdu extends PduBase {
  verifier: Verifier;
}

export function encodeAuth3(p: Auth3Pdu): Uint8Array {
  return finishPdu(
    PTYPE.auth3,
    p,
    (w) => {
      // MS-RPCE 2.2.2.10: rpc_auth_3 has a 4-byte pad before the sec_trailer; Windows sends 0x20 bytes.
      w.fill(4, p.authPadByte ?? 0x20);
    },
    4,
  );
}

export function encodeHeaderOnly(ptype: number, p: PduBase): Uint8Array {
  return finishPdu(ptype, p, () => {}, 4);
}

/**
 * Splits a stub into fragments: every fragment but the last carries `fragStub` bytes
 * (callers keep it a multiple of 16 so that signed/sealed fragments need no auth padding).
 */
export function splitStub(stub: Uint8Array, parts: number): Uint8Array[] {
  if (parts < 1) throw new Error('parts must be >= 1');
  if (parts === 1) return [stub];
  let size = Math.ceil(stub.length / parts);
  size = Math.ceil(size / 16) * 16;
  const out: Uint8Array[] = [];
  for (let off = 0; off < stub.length; off += size) out.push(stub.subarray(off, Math.min(stub.length, off + size)));
  if (out.length !== parts)
    throw new Error(`stub of ${stub.length} bytes cannot be split into exactly ${parts} fragments`);
  return out;
}

/** pfc_flags for fragment i of n (FIRST on the first, LAST on the last, neither in the middle). */
export function fragmentFlags(i: number, n: number): number {
  return (i === 0 ? PFC_FIRST_FRAG : 0) | (i === n - 1 ? PFC_LAST_FRAG : 0);
}
