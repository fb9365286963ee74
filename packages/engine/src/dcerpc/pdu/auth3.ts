/**
 * rpc_auth_3 (PTYPE 16), MS-RPCE 2.2.2.10 (not in C706):
 *
 *   0  common header (16)
 *  16  pad u32                  MUST be ignored (Windows fills it with 0x20202020)
 *  20  auth_pad, sec_trailer, auth_value   the third leg of a 3-leg protocol: NTLMSSP AUTHENTICATE (domain,
 *                                          user, workstation of the client in clear)
 *
 * The trailer is located from the end (frag_length - auth_length - 8) like on every other PDU, so a client that
 * omits the 4-byte pad still decodes.
 */
import type { PduHeader } from '../header.js';
import { PduDecodeProblem } from '../problem.js';
import { decodeSecTrailer, type SecTrailer } from '../sec-trailer.js';

export interface Auth3Pdu {
  readonly type: 'auth3';
  readonly auth: SecTrailer | null;
  readonly warning: PduDecodeProblem | null;
}

export function decodeAuth3(b: Uint8Array, h: PduHeader): Auth3Pdu {
  const t = decodeSecTrailer(b, h.littleEndian, h.authLength, 16);
  return t instanceof PduDecodeProblem
    ? { type: 'auth3', auth: null, warning: t }
    : { type: 'auth3', auth: t, warning: null };
}
