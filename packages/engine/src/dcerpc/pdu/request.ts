/**
 * request (PTYPE 0), C706 12.6.4.9 rpcconn_request_hdr_t:
 *
 *   0  common header (16)
 *  16  alloc_hint u32        total stub size hint for the whole call (all fragments)
 *  20  p_cont_id u16         presentation context: selects the interface bound by bind/alter_context
 *  22  opnum u16
 *  24  object UUID [16]      only when pfc_flags & PFC_OBJECT_UUID (0x80); in DCOM the IPID of the target object
 *  24|40  stub …             NDR-encoded arguments (encrypted at auth level 6)
 *       auth_pad, sec_trailer, auth_value   when auth_length > 0 (sec-trailer.ts)
 */
import { readU16, readU32 } from '../bytes.js';
import { PFC_OBJECT_UUID } from '../constants.js';
import type { PduHeader } from '../header.js';
import { PduDecodeProblem } from '../problem.js';
import { fillStubSpan, type SecTrailer, type StubSpan } from '../sec-trailer.js';
import { readUuidString } from '../uuid.js';

export class RequestPdu implements StubSpan {
  readonly type = 'request' as const;
  allocHint = 0;
  contextId = 0;
  opnum = 0;
  /** Offset of the object UUID in the PDU, or -1 without PFC_OBJECT_UUID. */
  objectUuidOffset = -1;
  stubOffset = 0;
  stubLength = 0;
  auth: SecTrailer | null = null;
  warning: PduDecodeProblem | null = null;
}

export function decodeRequest(b: Uint8Array, h: PduHeader): RequestPdu | PduDecodeProblem {
  const le = h.littleEndian;
  const hasObject = (h.pfcFlags & PFC_OBJECT_UUID) !== 0;
  const fixed = hasObject ? 40 : 24;
  if (b.length < fixed) {
    return new PduDecodeProblem(
      'truncated-body',
      `request of ${b.length} bytes is shorter than its ${fixed}-byte fixed part${hasObject ? ' (with object UUID)' : ''}`,
    );
  }
  const p = new RequestPdu();
  p.allocHint = readU32(b, 16, le);
  p.contextId = readU16(b, 20, le);
  p.opnum = readU16(b, 22, le);
  if (hasObject) p.objectUuidOffset = 24;
  fillStubSpan(p, b, le, h.authLength, fixed);
  return p;
}

/** The request's object UUID as a canonical string (allocates; call only when needed), or undefined. */
export function requestObjectUuid(b: Uint8Array, p: RequestPdu, le: boolean): string | undefined {
  return p.objectUuidOffset < 0 ? undefined : readUuidString(b, p.objectUuidOffset, le);
}
