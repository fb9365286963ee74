/**
 * Connection-oriented DCE/RPC constants: C706 ch. 12 "RPC PDU Encodings" and MS-RPCE 2.2.
 * Numeric values only; human-readable names live in names.ts.
 */

/** PTYPE values (C706 12.6.4.x; CL-only types 1, 4–10 never appear on a CO stream; 20 rts is RPC over HTTP only). */
export const PTYPE = {
  request: 0,
  ping: 1,
  response: 2,
  fault: 3,
  working: 4,
  nocall: 5,
  reject: 6,
  ack: 7,
  cl_cancel: 8,
  fack: 9,
  cancel_ack: 10,
  bind: 11,
  bind_ack: 12,
  bind_nak: 13,
  alter_context: 14,
  alter_context_resp: 15,
  auth3: 16,
  shutdown: 17,
  co_cancel: 18,
  orphaned: 19,
  rts: 20,
} as const;

/** Number of PTYPE slots for per-type counters (0..20). */
export const PTYPE_COUNT = 21;

/** pfc_flags (C706 12.6.3.1, MS-RPCE 2.2.2.3). */
export const PFC_FIRST_FRAG = 0x01;
export const PFC_LAST_FRAG = 0x02;
/** Request/response: PFC_PENDING_CANCEL. Bind, alter_context, auth3: PFC_SUPPORT_HEADER_SIGN (same bit). */
export const PFC_PENDING_CANCEL = 0x04;
export const PFC_SUPPORT_HEADER_SIGN = 0x04;
export const PFC_RESERVED_1 = 0x08;
export const PFC_CONC_MPX = 0x10;
export const PFC_DID_NOT_EXECUTE = 0x20;
export const PFC_MAYBE = 0x40;
/** A 16-byte object UUID follows the request header (in DCOM: the IPID of the target interface pointer). */
export const PFC_OBJECT_UUID = 0x80;

/** rpc_vers is always 5 on connection-oriented PDUs (4 is the connectionless protocol). */
export const RPC_VERS = 5;

/** auth_type (MS-RPCE 2.2.1.1.7). */
export const AUTH_TYPE = {
  none: 0x00,
  dce_private: 0x01,
  dce_public: 0x02,
  dec_public: 0x04,
  spnego: 0x09,
  ntlmssp: 0x0a,
  schannel: 0x0e,
  kerberos: 0x10,
  dpa: 0x11,
  msn: 0x12,
  digest: 0x15,
  nego_extender: 0x1e,
  pku2u: 0x1f,
  mq: 0x64,
  netlogon: 0x44,
  default: 0xff,
} as const;

/** auth_level (MS-RPCE 2.2.1.1.8). */
export const AUTH_LEVEL = {
  default: 0,
  none: 1,
  connect: 2,
  call: 3,
  pkt: 4,
  pkt_integrity: 5,
  pkt_privacy: 6,
} as const;

/** p_result_t.result (C706 12.6.3.1; 3 = negotiate_ack for bind-time feature negotiation, MS-RPCE 2.2.2.4). */
export const CONTEXT_RESULT = {
  acceptance: 0,
  user_rejection: 1,
  provider_rejection: 2,
  negotiate_ack: 3,
} as const;

/** Well-known transfer syntaxes (MS-RPCE 2.2.4.12/2.2.4.13 and bind-time feature negotiation 3.3.1.5.3). */
export const NDR_UUID = '8a885d04-1ceb-11c9-9fe8-08002b104860';
export const NDR64_UUID = '71710533-beba-4937-8319-b5dbef9ccc36';
/** BTFN pseudo transfer syntaxes are 6cb71c2c-9812-4540-xxxx-xxxxxxxxxxxx, the last 8 bytes carrying the bitmask. */
export const BTFN_UUID_PREFIX = '6cb71c2c-9812-4540-';
