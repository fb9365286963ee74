/**
 * bind_ack (PTYPE 12) and alter_context_resp (PTYPE 15), C706 12.6.4.4 / 12.6.4.2 — same layout:
 *
 *   0  common header (16)
 *  16  max_xmit_frag u16
 *  18  max_recv_frag u16
 *  20  assoc_group_id u32
 *  24  sec_addr.length u16
 *  26  sec_addr.port_spec[length]   NUL-terminated ASCII; for ncacn_ip_tcp the server port ("135", "49670");
 *                                   usually empty (length 0) in alter_context_resp
 *   …  pad to a multiple of 4 (from the start of the PDU)
 *   r  n_results u8, reserved u8, reserved2 u16
 * r+4  p_result_t[n_results]:
 *        +0 result u16    0 acceptance, 1 user_rejection, 2 provider_rejection, 3 negotiate_ack (BTFN)
 *        +2 reason u16    provider reject reason (or the BTFN bitmask for negotiate_ack)
 *        +4 transfer_syntax p_syntax_id_t (20)
 *      auth_pad, sec_trailer, auth_value   when auth_length > 0 (second auth leg, e.g. NTLMSSP CHALLENGE)
 *
 * Results are positional: result i answers context item i of the bind/alter_context with the same call_id.
 */
import { readU16, readU32 } from '../bytes.js';
import { PTYPE } from '../constants.js';
import type { PduHeader } from '../header.js';
import { PduDecodeProblem } from '../problem.js';
import { decodeSecTrailer, type SecTrailer } from '../sec-trailer.js';
import { readSyntax, SYNTAX_LENGTH, type SyntaxId } from './syntax.js';

export interface ContextResult {
  /** Position in the result list = index of the answered context item. */
  readonly index: number;
  readonly result: number;
  readonly reason: number;
  readonly transferSyntax: SyntaxId;
}

export interface BindAckPdu {
  readonly type: 'bind_ack' | 'alter_context_resp';
  readonly maxXmitFrag: number;
  readonly maxRecvFrag: number;
  readonly assocGroupId: number;
  /** sec_addr port_spec without its NUL ("" when absent). */
  readonly secAddr: string;
  readonly results: readonly ContextResult[];
  readonly auth: SecTrailer | null;
  readonly warning: PduDecodeProblem | null;
}

export function decodeBindAck(b: Uint8Array, h: PduHeader): BindAckPdu | PduDecodeProblem {
  const type = h.ptype === PTYPE.alter_context_resp ? 'alter_context_resp' : 'bind_ack';
  if (b.length < 26) {
    return new PduDecodeProblem(
      'truncated-body',
      `${type} of ${b.length} bytes is shorter than its 26-byte fixed part`,
    );
  }
  const le = h.littleEndian;
  let warning: PduDecodeProblem | null = null;
  let auth: SecTrailer | null = null;
  const t = decodeSecTrailer(b, le, h.authLength, 26);
  if (t instanceof PduDecodeProblem) warning = t;
  else auth = t;
  const limit = auth ? auth.offset : b.length;
  const secLen = readU16(b, 24, le);
  if (26 + secLen > limit) {
    return new PduDecodeProblem('sec-addr-overrun', `${type} sec_addr length ${secLen} runs past ${limit} bytes`);
  }
  let secAddr = '';
  for (let i = 0; i < secLen; i++) {
    const c = b[26 + i];
    if (c === 0) break;
    secAddr += String.fromCharCode(c);
  }
  let o = (26 + secLen + 3) & ~3;
  const results: ContextResult[] = [];
  // An empty result list may be cut short entirely (nothing after sec_addr): that is a count of zero.
  if (o + 4 <= limit) {
    const n = b[o];
    o += 4;
    for (let i = 0; i < n; i++) {
      if (o + 4 + SYNTAX_LENGTH > limit) {
        return new PduDecodeProblem(
          'result-list-overrun',
          `${type} announces ${n} results but result ${i} at offset ${o} does not fit in ${limit} bytes`,
        );
      }
      results.push({
        index: i,
        result: readU16(b, o, le),
        reason: readU16(b, o + 2, le),
        transferSyntax: readSyntax(b, o + 4, le),
      });
      o += 4 + SYNTAX_LENGTH;
    }
  } else if (o < limit) {
    return new PduDecodeProblem('result-list-overrun', `${type} result list header at offset ${o} is cut short`);
  }
  return {
    type,
    maxXmitFrag: readU16(b, 16, le),
    maxRecvFrag: readU16(b, 18, le),
    assocGroupId: readU32(b, 20, le),
    secAddr,
    results,
    auth,
    warning,
  };
}
