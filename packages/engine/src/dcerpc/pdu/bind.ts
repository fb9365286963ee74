/**
 * bind (PTYPE 11) and alter_context (PTYPE 14), C706 12.6.4.3 / 12.6.4.1 — same layout:
 *
 *   0  common header (16)       pfc_flags: FIRST|LAST, plus 0x04 PFC_SUPPORT_HEADER_SIGN from Windows
 *  16  max_xmit_frag u16
 *  18  max_recv_frag u16
 *  20  assoc_group_id u32
 *  24  n_context_elem u8
 *  25  reserved u8, reserved2 u16
 *  28  p_cont_elem_t[n_context_elem]:
 *        +0  p_cont_id u16
 *        +2  n_transfer_syn u8
 *        +3  reserved u8
 *        +4  abstract_syntax  p_syntax_id_t (20: interface UUID + version)
 *       +24  transfer_syntaxes p_syntax_id_t[n_transfer_syn] (NDR, NDR64, BTFN pseudo-syntax …)
 *      auth_pad, sec_trailer, auth_value   when auth_length > 0 (first auth leg: NTLMSSP NEGOTIATE, SPNEGO …)
 *
 * Native Windows offers the same interface 2–3 times (NDR / NDR64 / BTFN) under different context ids; the server
 * accepts one (bind_ack result 0) and rejects or negotiate-acks the others. alter_context adds contexts to (or
 * replaces them in) an existing association.
 */
import { readU16, readU32 } from '../bytes.js';
import { PTYPE } from '../constants.js';
import type { PduHeader } from '../header.js';
import { PduDecodeProblem } from '../problem.js';
import { decodeSecTrailer, type SecTrailer } from '../sec-trailer.js';
import { readSyntax, SYNTAX_LENGTH, type SyntaxId } from './syntax.js';

export interface ContextElement {
  readonly contextId: number;
  /** Position of this item in its bind/alter_context: bind_ack results are matched by this index. */
  readonly index: number;
  readonly abstractSyntax: SyntaxId;
  readonly transferSyntaxes: readonly SyntaxId[];
}

export interface BindPdu {
  readonly type: 'bind' | 'alter_context';
  readonly maxXmitFrag: number;
  readonly maxRecvFrag: number;
  readonly assocGroupId: number;
  readonly contexts: readonly ContextElement[];
  readonly auth: SecTrailer | null;
  readonly warning: PduDecodeProblem | null;
}

export function decodeBind(b: Uint8Array, h: PduHeader): BindPdu | PduDecodeProblem {
  const type = h.ptype === PTYPE.alter_context ? 'alter_context' : 'bind';
  if (b.length < 28) {
    return new PduDecodeProblem(
      'truncated-body',
      `${type} of ${b.length} bytes is shorter than its 28-byte fixed part`,
    );
  }
  const le = h.littleEndian;
  let warning: PduDecodeProblem | null = null;
  let auth: SecTrailer | null = null;
  const t = decodeSecTrailer(b, le, h.authLength, 28);
  if (t instanceof PduDecodeProblem) warning = t;
  else auth = t;
  // the context list may not run into the verifier
  const limit = auth ? auth.offset : b.length;
  const n = b[24];
  const contexts: ContextElement[] = [];
  let o = 28;
  for (let i = 0; i < n; i++) {
    if (o + 4 + SYNTAX_LENGTH > limit) {
      return new PduDecodeProblem(
        'context-list-overrun',
        `${type} announces ${n} context items but item ${i} at offset ${o} does not fit in ${limit} bytes`,
      );
    }
    const contextId = readU16(b, o, le);
    const nTransfer = b[o + 2];
    const end = o + 4 + SYNTAX_LENGTH * (1 + nTransfer);
    if (end > limit) {
      return new PduDecodeProblem(
        'context-list-overrun',
        `${type} context item ${i} (id ${contextId}) announces ${nTransfer} transfer syntaxes that run past ${limit} bytes`,
      );
    }
    const abstractSyntax = readSyntax(b, o + 4, le);
    const transferSyntaxes: SyntaxId[] = [];
    for (let j = 0; j < nTransfer; j++) transferSyntaxes.push(readSyntax(b, o + 4 + SYNTAX_LENGTH * (1 + j), le));
    contexts.push({ contextId, index: i, abstractSyntax, transferSyntaxes });
    o = end;
  }
  return {
    type,
    maxXmitFrag: readU16(b, 16, le),
    maxRecvFrag: readU16(b, 18, le),
    assocGroupId: readU32(b, 20, le),
    contexts,
    auth,
    warning,
  };
}
