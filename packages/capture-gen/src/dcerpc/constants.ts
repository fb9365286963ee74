/**
 * Connection-oriented DCE/RPC constants (C706 ch. 12, MS-RPCE 2.2).
 */

export const PTYPE = {
  request: 0,
  response: 2,
  fault: 3,
  bind: 11,
  bind_ack: 12,
  bind_nak: 13,
  alter_context: 14,
  alter_context_resp: 15,
  auth3: 16,
  shutdown: 17,
  co_cancel: 18,
  orphaned: 19,
} as const;
export type PtypeName = keyof typeof PTYPE;

export const PFC_FIRST_FRAG = 0x01;
export const PFC_LAST_FRAG = 0x02;
/** In bind/alter_context/auth3 this bit is PFC_SUPPORT_HEADER_SIGN (MS-RPCE 2.2.2.3). */
export const PFC_PENDING_CANCEL = 0x04;
export const PFC_SUPPORT_HEADER_SIGN = 0x04;
export const PFC_CONC_MPX = 0x10;
export const PFC_DID_NOT_EXECUTE = 0x20;
export const PFC_MAYBE = 0x40;
export const PFC_OBJECT_UUID = 0x80;

export const AUTH_TYPE = {
  none: 0x00,
  spnego: 0x09,
  ntlm: 0x0a,
  schannel: 0x0e,
  kerberos: 0x10,
  netlogon: 0x44,
  default: 0xff,
} as const;

export const AUTH_LEVEL = {
  default: 0,
  none: 1,
  connect: 2,
  call: 3,
  pkt: 4,
  integrity: 5,
  privacy: 6,
} as const;

/** p_result_t.result */
export const RESULT = {
  acceptance: 0,
  user_rejection: 1,
  provider_rejection: 2,
  negotiate_ack: 3,
} as const;

/** p_result_t.reason for provider_rejection */
export const REJECT_REASON = {
  not_specified: 0,
  abstract_syntax_not_supported: 1,
  proposed_transfer_syntaxes_not_supported: 2,
  local_limit_exceeded: 3,
} as const;

/** bind_nak provider_reject_reason (C706 12.6.3.1, MS-RPCE 2.2.2.5). */
export const BIND_NAK_REASON = {
  not_specified: 0,
  temporary_congestion: 1,
  local_limit_exceeded: 2,
  called_paddr_unknown: 3,
  protocol_version_not_supported: 4,
  default_context_not_supported: 5,
  user_data_not_readable: 6,
  no_psap_available: 7,
  authentication_type_not_recognized: 8,
  invalid_checksum: 9,
} as const;

/** Common fault/reject status values (MS-RPCE, MS-ERREF). */
export const STATUS = {
  access_denied: 0x00000005,
  nca_s_fault_other: 0x00000001,
  cant_perform: 0x000006d8,
  nca_s_fault_ndr: 0x000006f7,
  sec_pkg_error: 0x00000721,
  nca_s_op_rng_error: 0x1c010002,
  nca_s_unk_if: 0x1c010003,
  nca_s_fault_context_mismatch: 0x1c00001a,
} as const;

export interface SyntaxId {
  uuid: string;
  major: number;
  minor: number;
}

export const NDR: SyntaxId = { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', major: 2, minor: 0 };
export const NDR64: SyntaxId = { uuid: '71710533-beba-4937-8319-b5dbef9ccc36', major: 1, minor: 0 };

/** Bind-time feature negotiation pseudo transfer syntax: 6CB71C2C-9812-4540-<bitmask as 8 LE bytes> v1.0. */
export function btfn(bitmask = 0x03): SyntaxId {
  const tail = bitmask.toString(16).padStart(2, '0');
  return { uuid: `6cb71c2c-9812-4540-${tail}00-000000000000`, major: 1, minor: 0 };
}

export const NULL_SYNTAX: SyntaxId = { uuid: '00000000-0000-0000-0000-000000000000', major: 0, minor: 0 };
