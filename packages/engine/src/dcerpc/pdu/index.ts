/**
 * One entry point over the per-PTYPE codecs. Every codec takes exactly one PDU (b.length === frag_length, as the
 * framer delivers it) plus its decoded header, and returns the decoded body or a PduDecodeProblem — never throws.
 */
import { PTYPE } from '../constants.js';
import type { PduHeader } from '../header.js';
import { PduDecodeProblem } from '../problem.js';
import { type Auth3Pdu, decodeAuth3 } from './auth3.js';
import { type BindPdu, decodeBind } from './bind.js';
import { type BindAckPdu, decodeBindAck } from './bind-ack.js';
import { type BindNakPdu, decodeBindNak } from './bind-nak.js';
import { decodeFault, type FaultPdu } from './fault.js';
import { decodeHeaderOnly, type HeaderOnlyPdu } from './header-only.js';
import { decodeRequest, type RequestPdu } from './request.js';
import { decodeResponse, type ResponsePdu } from './response.js';

export type DecodedPdu =
  | RequestPdu
  | ResponsePdu
  | FaultPdu
  | BindPdu
  | BindAckPdu
  | BindNakPdu
  | Auth3Pdu
  | HeaderOnlyPdu;

export function decodePdu(b: Uint8Array, h: PduHeader): DecodedPdu | PduDecodeProblem {
  switch (h.ptype) {
    case PTYPE.request:
      return decodeRequest(b, h);
    case PTYPE.response:
      return decodeResponse(b, h);
    case PTYPE.fault:
      return decodeFault(b, h);
    case PTYPE.bind:
    case PTYPE.alter_context:
      return decodeBind(b, h);
    case PTYPE.bind_ack:
    case PTYPE.alter_context_resp:
      return decodeBindAck(b, h);
    case PTYPE.bind_nak:
      return decodeBindNak(b, h);
    case PTYPE.auth3:
      return decodeAuth3(b, h);
    case PTYPE.shutdown:
    case PTYPE.co_cancel:
    case PTYPE.orphaned:
      return decodeHeaderOnly(b, h);
    default:
      return new PduDecodeProblem(
        'unknown-ptype',
        `PTYPE ${h.ptype} is not a connection-oriented PDU type (C706 defines 0, 2, 3 and 11-19 for TCP)`,
      );
  }
}

export type { Auth3Pdu } from './auth3.js';
export { decodeAuth3 } from './auth3.js';
export type { BindPdu, ContextElement } from './bind.js';
export { decodeBind } from './bind.js';
export type { BindAckPdu, ContextResult } from './bind-ack.js';
export { decodeBindAck } from './bind-ack.js';
export type { BindNakPdu } from './bind-nak.js';
export { decodeBindNak } from './bind-nak.js';
export { decodeFault, FaultPdu } from './fault.js';
export type { HeaderOnlyPdu } from './header-only.js';
export { decodeHeaderOnly } from './header-only.js';
export { decodeRequest, RequestPdu, requestObjectUuid } from './request.js';
export { decodeResponse, ResponsePdu } from './response.js';
export type { SyntaxId } from './syntax.js';
export { readSyntax, SYNTAX_LENGTH } from './syntax.js';
