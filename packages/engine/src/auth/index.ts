/**
 * auth/: identity from DCE/RPC auth verifiers — NTLMSSP, SPNEGO, Kerberos, Netlogon secure channel.
 * Pure parsers over byte slices; none of them throws on malformed input.
 */

export {
  contextChild,
  DER_CLASS_APPLICATION,
  DER_CLASS_CONTEXT,
  DER_CLASS_PRIVATE,
  DER_CLASS_UNIVERSAL,
  type DerElement,
  type DerResult,
  derChildren,
  derInteger,
  derOid,
  derString,
  explicitInner,
  readTlv,
} from './der.js';
export {
  AUTHN,
  type AuthIdentity,
  type AuthTypeName,
  identityAuthType,
  identityFromAuthValue,
  identityRecord,
} from './identity.js';
export {
  type KerberosMessageKind,
  type KerberosParseResult,
  type KerberosToken,
  looksLikeKerberos,
  parseKerberos,
} from './kerberos.js';
export { type NetlogonAuthMessage, type NetlogonParseResult, parseNetlogonAuth } from './netlogon.js';
export {
  AV_ID,
  isNtlmssp,
  MSV_AV_FLAG_MIC_PRESENT,
  NTLM_FLAGS,
  NTLMSSP_SIGNATURE,
  type NtlmAuthenticate,
  type NtlmChallenge,
  type NtlmMessage,
  type NtlmNegotiate,
  type NtlmParseResult,
  type NtlmTargetInfo,
  type NtlmVersion,
  ntlmFlagNames,
  parseAvPairs,
  parseNtlmssp,
} from './ntlmssp.js';
export {
  mechName,
  type NegState,
  OID_KERBEROS,
  OID_KERBEROS_U2U,
  OID_MS_KERBEROS,
  OID_NEGOEX,
  OID_NTLMSSP,
  OID_SPNEGO,
  parseSpnego,
  type SpnegoParseResult,
  type SpnegoToken,
} from './spnego.js';
