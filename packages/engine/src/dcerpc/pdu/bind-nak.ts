/**
 * bind_nak (PTYPE 13), C706 12.6.4.5 rpcconn_bind_nak_hdr_t (+ MS-RPCE 2.2.2.? extensions):
 *
 *   0  common header (16)
 *  16  provider_reject_reason u16   0 not specified, 1 temporary congestion, 2 local limit exceeded,
 *                                   3 called paddr unknown, 4 protocol version not supported, 5 default context
 *                                   not supported, 6 user data not readable, 7 no psap available,
 *                                   8 authentication type not recognized, 9 invalid checksum (names.ts)
 *  18  n_protocols u8               p_rt_versions_supported_t
 *  19  { rpc_vers u8, rpc_vers_minor u8 }[n_protocols]
 *   …  (Windows may append a 16-byte signature and extended error information; not decoded)
 *
 * A bind_nak rejects every context of the bind/alter_context it answers.
 */
import { readU16 } from '../bytes.js';
import type { PduHeader } from '../header.js';
import { PduDecodeProblem } from '../problem.js';

export interface BindNakPdu {
  readonly type: 'bind_nak';
  readonly reason: number;
  /** Supported protocol versions as [major, minor] (may be empty when the list is absent). */
  readonly versions: readonly (readonly [number, number])[];
}

export function decodeBindNak(b: Uint8Array, h: PduHeader): BindNakPdu | PduDecodeProblem {
  if (b.length < 18) {
    return new PduDecodeProblem('truncated-body', `bind_nak of ${b.length} bytes cannot hold its reject reason`);
  }
  const reason = readU16(b, 16, h.littleEndian);
  const versions: (readonly [number, number])[] = [];
  if (b.length > 18) {
    const n = b[18];
    if (19 + 2 * n > b.length) {
      return new PduDecodeProblem('version-list-overrun', `bind_nak announces ${n} versions in ${b.length} bytes`);
    }
    for (let i = 0; i < n; i++) versions.push([b[19 + 2 * i], b[20 + 2 * i]]);
  }
  return { type: 'bind_nak', reason, versions };
}
