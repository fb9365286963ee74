/**
 * response (PTYPE 2), C706 12.6.4.10 rpcconn_response_hdr_t:
 *
 *   0  common header (16)
 *  16  alloc_hint u32
 *  20  p_cont_id u16
 *  22  cancel_count u8
 *  23  reserved u8
 *  24  stub …                NDR-encoded results (encrypted at auth level 6)
 *      auth_pad, sec_trailer, auth_value   when auth_length > 0
 *
 * There is no opnum: the answered call is found by call_id (connection.ts CallTable).
 */
import { readU16, readU32 } from '../bytes.js';
import type { PduHeader } from '../header.js';
import { PduDecodeProblem } from '../problem.js';
import { fillStubSpan, type SecTrailer, type StubSpan } from '../sec-trailer.js';

export class ResponsePdu implements StubSpan {
  readonly type = 'response' as const;
  allocHint = 0;
  contextId = 0;
  cancelCount = 0;
  stubOffset = 0;
  stubLength = 0;
  auth: SecTrailer | null = null;
  warning: PduDecodeProblem | null = null;
}

export function decodeResponse(b: Uint8Array, h: PduHeader): ResponsePdu | PduDecodeProblem {
  if (b.length < 24) {
    return new PduDecodeProblem(
      'truncated-body',
      `response of ${b.length} bytes is shorter than its 24-byte fixed part`,
    );
  }
  const le = h.littleEndian;
  const p = new ResponsePdu();
  p.allocHint = readU32(b, 16, le);
  p.contextId = readU16(b, 20, le);
  p.cancelCount = b[22];
  fillStubSpan(p, b, le, h.authLength, 24);
  return p;
}
