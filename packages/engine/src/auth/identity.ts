/**
 * Who authenticated: one function from a sec_trailer's (auth_type, auth_value) to the `identity{…}` record
 * fields. It dispatches on auth_type (MS-RPCE 2.2.1.1.7):
 *
 *   0x0A RPC_C_AUTHN_WINNT, 0xFF DEFAULT   raw NTLMSSP                              → auth_type 'ntlmssp'
 *   0x09 RPC_C_AUTHN_GSS_NEGOTIATE         SPNEGO wrapping NTLMSSP or Kerberos      → 'spnego' (+ mech)
 *   0x10 RPC_C_AUTHN_GSS_KERBEROS          Kerberos (GSS-framed or raw)             → 'kerberos'
 *   0x44 RPC_C_AUTHN_NETLOGON              NL_AUTH_MESSAGE (machine + domain)       → 'netlogon'
 *   0x0E RPC_C_AUTHN_GSS_SCHANNEL          TLS, nothing to read                     → 'schannel'
 *   0x00 RPC_C_AUTHN_NONE                                                           → 'none'
 *
 * Only some legs name the client: NTLM AUTHENTICATE (domain/user/workstation, in auth3 or alter_context), a
 * Kerberos AP-REQ (realm + service principal; the client principal is encrypted), a Netlogon negotiate (machine
 * and domain). `carriesIdentity` says whether this token is such a leg, so the caller can attach identities
 * per (connection, auth_context_id) and ignore the rest. Never throws.
 */

import type { ParseProblem } from '../util/parse-problem.js';
import { problem } from '../util/parse-problem.js';
import { type KerberosToken, looksLikeKerberos, parseKerberos } from './kerberos.js';
import { parseNetlogonAuth } from './netlogon.js';
import { isNtlmssp, type NtlmMessage, parseNtlmssp } from './ntlmssp.js';
import { mechName, parseSpnego } from './spnego.js';

export const AUTHN = {
  NONE: 0x00,
  GSS_NEGOTIATE: 0x09,
  WINNT: 0x0a,
  GSS_SCHANNEL: 0x0e,
  GSS_KERBEROS: 0x10,
  NETLOGON: 0x44,
  DEFAULT: 0xff,
} as const;

export type AuthTypeName = 'none' | 'spnego' | 'ntlmssp' | 'schannel' | 'kerberos' | 'netlogon' | 'unknown';

export function identityAuthType(authType: number): AuthTypeName {
  switch (authType) {
    case AUTHN.NONE:
      return 'none';
    case AUTHN.GSS_NEGOTIATE:
      return 'spnego';
    case AUTHN.WINNT:
    case AUTHN.DEFAULT:
      return 'ntlmssp';
    case AUTHN.GSS_SCHANNEL:
      return 'schannel';
    case AUTHN.GSS_KERBEROS:
      return 'kerberos';
    case AUTHN.NETLOGON:
      return 'netlogon';
    default:
      return 'unknown';
  }
}

export interface AuthIdentity {
  /** From the sec_trailer's auth_type. */
  auth_type: AuthTypeName;
  /** The numeric auth_type (useful when auth_type is 'unknown'). */
  auth_type_code: number;
  /** Mechanism found in the token: NTLMSSP or Kerberos (inside SPNEGO, or directly). */
  mech?: 'ntlmssp' | 'kerberos' | 'netlogon';
  /** NTLM leg. */
  ntlm_message?: 'negotiate' | 'challenge' | 'authenticate' | 'signature';
  /** Kerberos leg. */
  kerberos_message?: KerberosToken['message'];
  /** SPNEGO: 'init' (client's first token) or 'resp'. */
  spnego_token?: 'init' | 'resp';
  /** SPNEGO NegTokenInit: mechanisms offered ('ms-kerberos', 'kerberos', 'ntlmssp', 'negoex' or OIDs). */
  spnego_mechs?: string[];
  /** SPNEGO NegTokenResp: mechanism chosen by the server. */
  spnego_selected?: string;
  /** SPNEGO NegTokenResp negState. */
  spnego_state?: string;
  domain?: string;
  user?: string;
  workstation?: string;
  ntlm_version?: 'v1' | 'v2';
  anonymous?: boolean;
  /** NTLM: the negotiated flags of this message. */
  ntlm_flags?: number;
  /** NTLM AUTHENTICATE (NTLMv2): MsvAvTargetName — the SPN the client asked for. */
  target_spn?: string;
  /** NTLM CHALLENGE: the server's names (NetBIOS/DNS computer and domain) from TargetInfo. */
  server?: { nb_computer?: string; nb_domain?: string; dns_computer?: string; dns_domain?: string; dns_tree?: string };
  /** Kerberos: ticket realm. */
  realm?: string;
  /** Kerberos: service principal name, sname components joined with '/'. */
  spn?: string;
  /** Kerberos: false — the client principal is only in the encrypted authenticator. */
  client_name_visible?: boolean;
  /** Kerberos KRB-ERROR code. */
  kerberos_error?: number;
  /** This token names the client (NTLM AUTHENTICATE, Kerberos AP-REQ, Netlogon negotiate). */
  carriesIdentity: boolean;
  /** Malformed parts; the fields above hold what could still be read. */
  problems: ParseProblem[];
}

/** Parses a sec_trailer auth_value. `authValue` is the auth_length bytes after the 8-byte sec_trailer. */
export function identityFromAuthValue(authType: number, authValue: Uint8Array): AuthIdentity {
  const id: AuthIdentity = {
    auth_type: identityAuthType(authType),
    auth_type_code: authType,
    carriesIdentity: false,
    problems: [],
  };
  switch (id.auth_type) {
    case 'ntlmssp':
      if (isNtlmSignature(authValue)) id.ntlm_message = 'signature';
      else applyNtlm(id, authValue);
      break;
    case 'spnego':
      applySpnego(id, authValue);
      break;
    case 'kerberos':
      applyKerberos(id, authValue);
      break;
    case 'netlogon':
      applyNetlogon(id, authValue);
      break;
    default:
      break;
  }
  return id;
}

/** NTLMSSP_MESSAGE_SIGNATURE: 16 bytes, Version = 1 — the verifier on requests/responses, not a handshake leg. */
function isNtlmSignature(b: Uint8Array): boolean {
  return b.length === 16 && b[0] === 1 && b[1] === 0 && b[2] === 0 && b[3] === 0;
}

function applyNtlm(id: AuthIdentity, token: Uint8Array): void {
  id.mech = 'ntlmssp';
  const r = parseNtlmssp(token);
  id.problems.push(...r.problems);
  if (r.message) applyNtlmMessage(id, r.message);
}

function applyNtlmMessage(id: AuthIdentity, m: NtlmMessage): void {
  id.ntlm_message = m.type;
  if (m.flags !== undefined) id.ntlm_flags = m.flags;
  switch (m.type) {
    case 'negotiate':
      // Only OEM-supplied names, rarely sent; they describe the client but do not prove a credential.
      if (m.domain !== undefined) id.domain = m.domain;
      if (m.workstation !== undefined) id.workstation = m.workstation;
      break;
    case 'challenge': {
      const t = m.targetInfo;
      const server: NonNullable<AuthIdentity['server']> = {};
      if (t?.nbComputerName !== undefined) server.nb_computer = t.nbComputerName;
      if (t?.nbDomainName !== undefined) server.nb_domain = t.nbDomainName;
      else if (m.targetName !== undefined) server.nb_domain = m.targetName;
      if (t?.dnsComputerName !== undefined) server.dns_computer = t.dnsComputerName;
      if (t?.dnsDomainName !== undefined) server.dns_domain = t.dnsDomainName;
      if (t?.dnsTreeName !== undefined) server.dns_tree = t.dnsTreeName;
      id.server = server;
      break;
    }
    case 'authenticate':
      id.carriesIdentity = true;
      if (m.domain !== undefined) id.domain = m.domain;
      if (m.user !== undefined) id.user = m.user;
      if (m.workstation !== undefined) id.workstation = m.workstation;
      if (m.ntlmVersion !== undefined) id.ntlm_version = m.ntlmVersion;
      id.anonymous = m.anonymous;
      if (m.ntlmv2?.targetInfo.targetName) id.target_spn = m.ntlmv2.targetInfo.targetName;
      break;
  }
}

function applySpnego(id: AuthIdentity, value: Uint8Array): void {
  // Some stacks put a bare NTLMSSP or Kerberos token under auth_type 9 (no SPNEGO framing at all).
  if (isNtlmssp(value)) {
    applyNtlm(id, value);
    return;
  }
  if (value.length > 0 && value[0] !== 0x60 && value[0] !== 0xa0 && value[0] !== 0xa1 && looksLikeKerberos(value)) {
    applyKerberos(id, value);
    return;
  }
  const r = parseSpnego(value);
  if (!r.token) {
    // Not SPNEGO either: maybe a GSS-framed Kerberos token (0x60 with the krb5 OID) or a per-message verifier.
    if (looksLikeKerberos(value)) {
      applyKerberos(id, value);
      return;
    }
    id.problems.push(...r.problems);
    return;
  }
  id.problems.push(...r.problems);
  const t = r.token;
  id.spnego_token = t.kind;
  if (t.mechTypes.length > 0) id.spnego_mechs = t.mechTypes.map(mechName);
  if (t.supportedMech) id.spnego_selected = mechName(t.supportedMech);
  if (t.negState) id.spnego_state = t.negState;
  const inner = t.innerToken;
  if (!inner || inner.length === 0) return;
  if (isNtlmssp(inner)) applyNtlm(id, inner);
  else if (looksLikeKerberos(inner)) applyKerberos(id, inner);
  else id.problems.push(problem('unsupported', 'spnego.inner_token', 'inner token is neither NTLMSSP nor Kerberos', 0));
}

function applyKerberos(id: AuthIdentity, value: Uint8Array): void {
  id.mech = 'kerberos';
  const r = parseKerberos(value);
  id.problems.push(...r.problems);
  const t = r.token;
  if (!t) return;
  id.kerberos_message = t.message;
  if (t.realm !== undefined) id.realm = t.realm;
  if (t.spn !== undefined) id.spn = t.spn;
  if (t.errorCode !== undefined) id.kerberos_error = t.errorCode;
  if (t.message === 'ap_req') {
    id.carriesIdentity = true;
    id.client_name_visible = false;
  }
}

function applyNetlogon(id: AuthIdentity, value: Uint8Array): void {
  const r = parseNetlogonAuth(value);
  id.problems.push(...r.problems);
  if (r.signature || !r.message) return;
  id.mech = 'netlogon';
  const m = r.message;
  if (m.messageType === 'negotiate') {
    id.carriesIdentity = true;
    const domain = m.netbiosDomain ?? m.dnsDomain;
    if (domain !== undefined) id.domain = domain;
    const ws = m.netbiosComputer ?? m.dnsHost;
    if (ws !== undefined) id.workstation = ws;
    // The secure channel authenticates the machine account: COMPUTER$.
    if (m.netbiosComputer !== undefined) id.user = `${m.netbiosComputer}$`;
  }
}

/** The subset for the `identity{auth_type, domain, user, workstation, realm, spn, …}` record field. */
export function identityRecord(id: AuthIdentity): {
  auth_type: string;
  domain?: string;
  user?: string;
  workstation?: string;
  realm?: string;
  spn?: string;
  ntlm_version?: string;
  anonymous?: boolean;
  client_name_visible?: boolean;
} {
  const out: ReturnType<typeof identityRecord> = { auth_type: id.auth_type };
  if (id.domain !== undefined) out.domain = id.domain;
  if (id.user !== undefined) out.user = id.user;
  if (id.workstation !== undefined) out.workstation = id.workstation;
  if (id.realm !== undefined) out.realm = id.realm;
  if (id.spn !== undefined) out.spn = id.spn;
  if (id.ntlm_version !== undefined) out.ntlm_version = id.ntlm_version;
  if (id.anonymous !== undefined) out.anonymous = id.anonymous;
  if (id.client_name_visible !== undefined) out.client_name_visible = id.client_name_visible;
  return out;
}
