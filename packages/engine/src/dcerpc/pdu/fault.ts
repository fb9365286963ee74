/**
 * fault (PTYPE 3), C706 12.6.4.7 rpcconn_fault_hdr_t and MS-RPCE 2.2.2.8:
 *
 *   0  common header (16)       pfc_flags may carry PFC_DID_NOT_EXECUTE (0x20)
 *  16  alloc_hint u32
 *  20  p_cont_id u16
 *  22  cancel_count u8
 *  23  fault_flags u8           MS-RPCE: 0x01 = extended error information follows in the stub (C706: reserved)
 *  24  status u32               e.g. 0x00000005 access denied, 0x1c010002 nca_s_op_rng_error (names.ts)
 *  28  reserved u32             (C706; a 28-byte fault without it is still decoded)
 *  32  stub …                   optional extended error information
 *      auth_pad, sec_trailer, auth_value   when auth_length > 0 (rare: Windows sends faults without a verifier
 *                                          even on authenticated connections)
 *
 * The status sits in the header part, so it is readable at every auth level, including packet privacy.
 * Real example (RESEARCH.md 1.7, elcabezzonn/Pcaps wmi_query.pcap.gz frame 1076, the WMI activation refused):
 *   05 00 03 03 10 00 00 00 20 00 00 00 03 00 00 00 | 20 00 00 00 01 00 00 00 | 05 00 00 00 00 00 00 00
 */
import { readU16, readU32 } from '../bytes.js';
import type { PduHeader } from '../header.js';
import { PduDecodeProblem } from '../problem.js';
import { fillStubSpan, type SecTrailer, type StubSpan } from '../sec-trailer.js';

export class FaultPdu implements StubSpan {
  readonly type = 'fault' as const;
  allocHint = 0;
  contextId = 0;
  cancelCount = 0;
  faultFlags = 0;
  status = 0;
  stubOffset = 0;
  stubLength = 0;
  auth: SecTrailer | null = null;
  warning: PduDecodeProblem | null = null;
}

export function decodeFault(b: Uint8Array, h: PduHeader): FaultPdu | PduDecodeProblem {
  if (b.length < 28) {
    return new PduDecodeProblem(
      'truncated-body',
      `fault of ${b.length} bytes cannot hold its status (needs 28 bytes, status at offset 24)`,
    );
  }
  const le = h.littleEndian;
  const p = new FaultPdu();
  p.allocHint = readU32(b, 16, le);
  p.contextId = readU16(b, 20, le);
  p.cancelCount = b[22];
  p.faultFlags = b[23];
  p.status = readU32(b, 24, le);
  // the reserved u32 at 28 is part of the fixed body when present
  const fixed = b.length - (h.authLength > 0 ? h.authLength + 8 : 0) >= 32 ? 32 : 28;
  fillStubSpan(p, b, le, h.authLength, fixed);
  return p;
}
