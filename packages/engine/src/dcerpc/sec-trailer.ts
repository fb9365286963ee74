/**
 * The authentication verifier at the end of any PDU with auth_length > 0 (C706 13.2.6.1, MS-RPCE 2.2.2.11):
 *
 *   … body/stub … | auth_pad[auth_pad_length] | sec_trailer | auth_value[auth_length]
 *
 *   sec_trailer (8 bytes) at frag_length - auth_length - 8:
 *     +0 auth_type u8 | +1 auth_level u8 | +2 auth_pad_length u8 | +3 auth_reserved u8 | +4 auth_context_id u32
 *
 * auth_value is the security token (NTLMSSP / SPNEGO / Kerberos message in bind, alter_context, auth3 and their
 * answers) or the per-message signature (requests/responses at level >= 4). The pad aligns the stub before the
 * trailer (4 bytes in C706, 16 in MS-RPCE) and belongs to the — possibly encrypted — stub, so the stub ends at
 * trailer - auth_pad_length. Zeek parses this for every PTYPE; so do we.
 */
import { readU32 } from './bytes.js';
import { AUTH_LEVEL } from './constants.js';
import { PduDecodeProblem } from './problem.js';

export class SecTrailer {
  constructor(
    readonly authType: number,
    readonly authLevel: number,
    readonly padLength: number,
    readonly reserved: number,
    readonly contextId: number,
    /** Offset of the sec_trailer inside the PDU. */
    readonly offset: number,
    /** The PDU the trailer belongs to (a view: valid during the PDU callback). */
    private readonly pdu: Uint8Array,
  ) {}

  /** auth_value: a view into the PDU bytes (copy to keep beyond the PDU callback); built on access. */
  get value(): Uint8Array {
    return this.pdu.subarray(this.offset + 8);
  }

  /** Level 6 (packet privacy): the stub before the trailer is encrypted. */
  get sealed(): boolean {
    return this.authLevel === AUTH_LEVEL.pkt_privacy;
  }
}

/**
 * Locates and decodes the sec_trailer of the PDU `b` (exactly frag_length bytes). `fixedEnd` is where the PTYPE's
 * fixed body ends; the trailer may not start before it. Returns null when auth_length is 0.
 */
export function decodeSecTrailer(
  b: Uint8Array,
  le: boolean,
  authLength: number,
  fixedEnd: number,
): SecTrailer | PduDecodeProblem | null {
  if (authLength === 0) return null;
  const fragLength = b.length;
  const at = fragLength - authLength - 8;
  if (at < fixedEnd) {
    return new PduDecodeProblem(
      'auth-length-overrun',
      `auth_length ${authLength} + 8-byte sec_trailer does not fit after the ${fixedEnd}-byte fixed part of a ${fragLength}-byte PDU`,
    );
  }
  return new SecTrailer(b[at], b[at + 1], b[at + 2], b[at + 3], readU32(b, at + 4, le), at, b);
}

/** The stub-carrying part of request/response/fault results. */
export interface StubSpan {
  /** Offset of the stub in the PDU. */
  stubOffset: number;
  /** Stub bytes up to the auth pad (or the end of the PDU without a verifier). */
  stubLength: number;
  /** The verifier, or null when auth_length is 0 or it could not be located. */
  auth: SecTrailer | null;
  /** A non-fatal problem: the fixed fields decoded, the verifier or its pad did not. */
  warning: PduDecodeProblem | null;
}

/**
 * Fills `out` with the stub span of a PDU whose stub starts at `stubStart`: up to trailer - auth_pad_length, or to the
 * end of the PDU without a verifier. Problems are non-fatal here — the header fields that matter for detection
 * (context id, opnum, status) are already decoded: an unlocatable verifier leaves auth null and the stub running to
 * the end of the PDU; a pad longer than the stub is ignored and the stub runs to the trailer (inspecting a few pad
 * bytes too many is safer than inspecting nothing).
 */
export function fillStubSpan(out: StubSpan, b: Uint8Array, le: boolean, authLength: number, stubStart: number): void {
  out.stubOffset = stubStart;
  const t = decodeSecTrailer(b, le, authLength, stubStart);
  if (t === null) {
    out.stubLength = b.length - stubStart;
    return;
  }
  if (t instanceof PduDecodeProblem) {
    out.warning = t;
    out.stubLength = b.length - stubStart;
    return;
  }
  out.auth = t;
  let end = t.offset - t.padLength;
  if (end < stubStart) {
    out.warning = new PduDecodeProblem(
      'auth-pad-overrun',
      `auth_pad_length ${t.padLength} exceeds the ${t.offset - stubStart}-byte stub`,
    );
    end = t.offset;
  }
  out.stubLength = end - stubStart;
}
