/**
 * shutdown (PTYPE 17, server → client: "close the connection"), co_cancel (PTYPE 18, client → server: cancel the
 * call with this call_id) and orphaned (PTYPE 19, client → server: the client abandoned a fragmented call),
 * C706 12.6.4.8 / 12.6.4.6 / MS-RPCE 2.2.2.9:
 *
 *   0  common header (16)
 *  16  auth_pad, sec_trailer, auth_value   optional verifier
 */
import { PTYPE } from '../constants.js';
import type { PduHeader } from '../header.js';
import { PduDecodeProblem } from '../problem.js';
import { decodeSecTrailer, type SecTrailer } from '../sec-trailer.js';

export interface HeaderOnlyPdu {
  readonly type: 'shutdown' | 'co_cancel' | 'orphaned';
  readonly auth: SecTrailer | null;
  readonly warning: PduDecodeProblem | null;
}

export function decodeHeaderOnly(b: Uint8Array, h: PduHeader): HeaderOnlyPdu {
  const type = h.ptype === PTYPE.shutdown ? 'shutdown' : h.ptype === PTYPE.co_cancel ? 'co_cancel' : 'orphaned';
  const t = decodeSecTrailer(b, h.littleEndian, h.authLength, 16);
  return t instanceof PduDecodeProblem ? { type, auth: null, warning: t } : { type, auth: t, warning: null };
}
