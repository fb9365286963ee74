/**
 * The 16-byte common header of every connection-oriented PDU (C706 12.6.3.1, MS-RPCE 2.2.2.1):
 *
 *   off size field
 *    0   1   rpc_vers            always 5
 *    1   1   rpc_vers_minor      0 (C706) or 1 (Windows)
 *    2   1   PTYPE               constants.ts PTYPE
 *    3   1   pfc_flags           PFC_*
 *    4   4   packed_drep         drep[0] high nibble: integer order (1 = little-endian), low nibble: charset;
 *                                drep[1]: float format (0 IEEE, 1 VAX, 2 Cray, 3 IBM); drep[2..3] reserved
 *    8   2   frag_length         whole PDU incl. header and verifier, in drep order
 *   10   2   auth_length         length of auth_value only (not the 8-byte sec_trailer)
 *   12   4   call_id
 *
 * All integers after the drep — here and in every body — use the byte order of this PDU's drep[0] & 0x10.
 *
 * This module also holds the content probe that recognises DCE/RPC on any TCP port (Suricata's `probe`, Zeek's DPD
 * signature and Snort's autodetect do the same job) and the stricter plausibility test used to resynchronise after
 * gaps (Suricata's search_dcerpc_record).
 */
import { readU16, readU32 } from './bytes.js';
import { PFC_OBJECT_UUID, PTYPE, RPC_VERS } from './constants.js';

export const HEADER_LENGTH = 16;
/** frag_length is a u16, so no PDU is longer than this; the framer accepts a lower configured maximum. */
export const MAX_FRAG_LENGTH = 0xffff;

/** A decoded common header. Mutable and reusable: the framer/connection decode into one instance per PDU. */
export class PduHeader {
  versionMinor = 0;
  ptype = 0;
  pfcFlags = 0;
  /** drep[0]: integer representation (high nibble) and character set (low nibble). */
  drep0 = 0x10;
  /** drep[1]: floating-point representation. */
  drep1 = 0;
  /** drep[0] & 0x10. */
  littleEndian = true;
  fragLength = 0;
  authLength = 0;
  callId = 0;
}

/** Decodes the 16 header bytes at b[off..]; the caller guarantees 16 bytes are present. No validation. */
export function decodeHeader(b: Uint8Array, off: number, out: PduHeader): PduHeader {
  const le = (b[off + 4] & 0x10) !== 0;
  out.versionMinor = b[off + 1];
  out.ptype = b[off + 2];
  out.pfcFlags = b[off + 3];
  out.drep0 = b[off + 4];
  out.drep1 = b[off + 5];
  out.littleEndian = le;
  out.fragLength = readU16(b, off + 8, le);
  out.authLength = readU16(b, off + 10, le);
  out.callId = readU32(b, off + 12, le);
  return out;
}

/** frag_length of the header at b[off..] (needs 10 bytes). */
export function peekFragLength(b: Uint8Array, off: number): number {
  return readU16(b, off + 8, (b[off + 4] & 0x10) !== 0);
}

/**
 * Smallest frag_length that can hold each PTYPE's fixed body (0 = not a connection-oriented PTYPE we decode).
 * request/response: alloc_hint + p_cont_id + opnum|cancel_count,reserved (24; +16 with PFC_OBJECT_UUID).
 * fault: … + status u32 @24 (28; C706 adds a reserved u32, Windows sends 32).
 * bind/alter_context: max_xmit, max_recv, assoc_group, n_context_elem + 3 pad (28).
 * bind_ack/alter_context_resp: … + sec_addr length u16 (26; the result list follows after alignment).
 * bind_nak: provider_reject_reason u16 (18). auth3/shutdown/co_cancel/orphaned: header only (16).
 */
export const MIN_PDU_LENGTH: readonly number[] = (() => {
  const m = new Array<number>(256).fill(0);
  m[PTYPE.request] = 24;
  m[PTYPE.response] = 24;
  m[PTYPE.fault] = 28;
  m[PTYPE.bind] = 28;
  m[PTYPE.bind_ack] = 26;
  m[PTYPE.bind_nak] = 18;
  m[PTYPE.alter_context] = 28;
  m[PTYPE.alter_context_resp] = 26;
  m[PTYPE.auth3] = 16;
  m[PTYPE.shutdown] = 16;
  m[PTYPE.co_cancel] = 16;
  m[PTYPE.orphaned] = 16;
  return m;
})();

/** Minimum length of a PDU of this header's type, counting the object UUID of requests. */
export function minPduLength(ptype: number, pfcFlags: number): number {
  const m = MIN_PDU_LENGTH[ptype] ?? 0;
  return ptype === PTYPE.request && (pfcFlags & PFC_OBJECT_UUID) !== 0 ? m + 16 : m;
}

// ---------------------------------------------------------------------------------------------------------------
// PTYPE sets for the probe. Bit i set = PTYPE i accepted.

const bit = (...ps: number[]) => ps.reduce((m, p) => m | (1 << p), 0);

/**
 * PTYPEs accepted as the first PDU of the client→server direction: bind and alter_context (a fresh association or a
 * new presentation context), request (a capture that starts inside an association: sensors start at any time, TCP
 * reassembly may pick the connection up midstream, and long-lived DCOM/WMI connections outlive capture windows) and
 * auth3 (the third NTLM leg right after a bind we did not see).
 */
export const FIRST_PDU_CLIENT = bit(PTYPE.bind, PTYPE.alter_context, PTYPE.request, PTYPE.auth3);
/**
 * PTYPEs accepted as the first PDU of the server→client direction: the answers to the above — bind_ack, bind_nak,
 * alter_context_resp, response and fault. Server-only types can never legitimately open the client direction, and
 * vice versa, which halves the false-positive rate of the probe on non-DCE/RPC traffic.
 */
export const FIRST_PDU_SERVER = bit(
  PTYPE.bind_ack,
  PTYPE.bind_nak,
  PTYPE.alter_context_resp,
  PTYPE.response,
  PTYPE.fault,
);
/** Every connection-oriented PTYPE (0, 2, 3, 11–19): what may follow a gap inside a known DCE/RPC stream. */
export const ANY_CO_PTYPE = bit(
  PTYPE.request,
  PTYPE.response,
  PTYPE.fault,
  PTYPE.bind,
  PTYPE.bind_ack,
  PTYPE.bind_nak,
  PTYPE.alter_context,
  PTYPE.alter_context_resp,
  PTYPE.auth3,
  PTYPE.shutdown,
  PTYPE.co_cancel,
  PTYPE.orphaned,
);

export const PROBE_NO = 0;
export const PROBE_YES = 1;
export const PROBE_NEED_MORE = 2;
export type ProbeResult = typeof PROBE_NO | typeof PROBE_YES | typeof PROBE_NEED_MORE;

/** Bytes the probe looks at: everything up to and including auth_length. */
export const PROBE_LENGTH = 12;

/**
 * Does b[off..end) start with a plausible connection-oriented PDU header whose PTYPE is in `ptypeMask`?
 * Checks, in order and as far as the bytes present allow: rpc_vers 5; rpc_vers_minor 0 or 1 (Windows sends 1 in
 * places; Suricata's own probe wrongly insists on 0); PTYPE in the mask; drep sane ((drep[0] & 0xee) == 0: integer
 * order and ASCII/EBCDIC only, drep[1] <= 3: a known float format — Suricata's test); frag_length between the
 * PTYPE's fixed minimum and maxFragLength; auth_length consistent (fixed body + 8-byte sec_trailer + auth_value fit
 * in frag_length). pfc_flags and call_id are not constrained (every value occurs). Returns PROBE_NEED_MORE when the
 * bytes present all pass but fewer than PROBE_LENGTH are available.
 */
export function probeHeader(
  b: Uint8Array,
  off: number,
  end: number,
  ptypeMask: number,
  maxFragLength = MAX_FRAG_LENGTH,
): ProbeResult {
  const n = end - off;
  if (n <= 0) return PROBE_NEED_MORE;
  if (b[off] !== RPC_VERS) return PROBE_NO;
  if (n < 2) return PROBE_NEED_MORE;
  if (b[off + 1] > 1) return PROBE_NO;
  if (n < 3) return PROBE_NEED_MORE;
  const ptype = b[off + 2];
  if (ptype > 30 || ((ptypeMask >>> ptype) & 1) === 0) return PROBE_NO;
  if (n < 5) return PROBE_NEED_MORE;
  const d0 = b[off + 4];
  if ((d0 & 0xee) !== 0) return PROBE_NO;
  if (n < 6) return PROBE_NEED_MORE;
  if (b[off + 5] > 3) return PROBE_NO;
  if (n < 10) return PROBE_NEED_MORE;
  const le = (d0 & 0x10) !== 0;
  const fragLength = readU16(b, off + 8, le);
  const min = minPduLength(ptype, b[off + 3]);
  if (fragLength < min || fragLength > maxFragLength) return PROBE_NO;
  if (n < 12) return PROBE_NEED_MORE;
  const authLength = readU16(b, off + 10, le);
  if (authLength !== 0 && min + 8 + authLength > fragLength) return PROBE_NO;
  return PROBE_YES;
}

export type ProbeRole = 'client' | 'server' | 'any';

/**
 * Cheap content test: do these bytes begin with a DCE/RPC connection-oriented PDU that can open the given
 * direction ('client' = FIRST_PDU_CLIENT, 'server' = FIRST_PDU_SERVER, 'any' = either)? False when fewer than
 * PROBE_LENGTH bytes are present; use probeHeader for the three-way answer.
 */
export function looksLikeDcerpc(bytes: Uint8Array, role: ProbeRole = 'any'): boolean {
  const mask =
    role === 'client' ? FIRST_PDU_CLIENT : role === 'server' ? FIRST_PDU_SERVER : FIRST_PDU_CLIENT | FIRST_PDU_SERVER;
  return probeHeader(bytes, 0, bytes.length, mask) === PROBE_YES;
}

/** Why a header cannot be framed. */
export type FramingProblemKind = 'bad-version' | 'bad-drep' | 'frag-length-too-short' | 'frag-length-too-long';

/**
 * The checks the framer applies to every header inside a stream already recognised as DCE/RPC (needs 10 bytes).
 * Looser than the probe on purpose: any PTYPE is framed (the decoder reports unknown ones) because frag_length alone
 * delimits the PDU, and throwing away a well-delimited PDU would lose the sync we have.
 */
export function framingProblem(b: Uint8Array, off: number, maxFragLength: number): FramingProblemKind | null {
  if (b[off] !== RPC_VERS || b[off + 1] > 1) return 'bad-version';
  if ((b[off + 4] & 0xee) !== 0 || b[off + 5] > 3) return 'bad-drep';
  const fl = readU16(b, off + 8, (b[off + 4] & 0x10) !== 0);
  if (fl < HEADER_LENGTH) return 'frag-length-too-short';
  if (fl > maxFragLength) return 'frag-length-too-long';
  return null;
}
