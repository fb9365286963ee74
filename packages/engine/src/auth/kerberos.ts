/**
 * Kerberos messages in DCE/RPC auth verifiers (RFC 4120, RFC 1964/4121 framing): auth_type 0x10
 * (RPC_C_AUTHN_GSS_KERBEROS) or the mechToken of SPNEGO (0x09). Three shapes occur on the wire:
 *
 *   GSS-API framed   [APPLICATION 0] { OID 1.2.840.113554.1.2.2 (or MS 1.2.840.48018.1.2.2) | TOK_ID u16 | message }
 *                    TOK_ID 01 00 = AP-REQ, 02 00 = AP-REP, 03 00 = KRB-ERROR,
 *                    04 00 = KERB-TGT-REQUEST, 04 01 = KERB-TGT-REPLY (user-to-user; RFC 4120 3.7 and the IETF U2U draft)
 *   raw              the message alone — Windows' DCE-style Kerberos puts a bare AP-REQ (0x6e) in SPNEGO
 *   per-message      RFC 4121 MIC/Wrap tokens (04 04 / 05 04) or RFC 1964 ones inside the GSS framing
 *                    (TOK_ID 01 01 / 02 01): request/response verifiers, no identity
 *
 *   AP-REQ     [APPLICATION 14] SEQUENCE { pvno [0], msg-type [1], ap-options [2] BIT STRING,
 *                                          ticket [3] Ticket, authenticator [4] EncryptedData }
 *   Ticket     [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1] GeneralString, sname [2] PrincipalName,
 *                                         enc-part [3] EncryptedData }
 *   PrincipalName  SEQUENCE { name-type [0] INTEGER, name-string [1] SEQUENCE OF GeneralString }
 *   EncryptedData  SEQUENCE { etype [0] INTEGER, kvno [1] INTEGER OPTIONAL, cipher [2] OCTET STRING }
 *   AP-REP     [APPLICATION 15] SEQUENCE { pvno [0], msg-type [1], enc-part [2] EncryptedData }
 *   KRB-ERROR  [APPLICATION 30] SEQUENCE { …, error-code [6], crealm [7]?, cname [8]?, realm [9], sname [10], … }
 *   KERB-TGT-REQUEST  SEQUENCE { pvno [0], msg-type [1] (16), server-name [2] PrincipalName?, realm [3]? }
 *   KERB-TGT-REPLY    SEQUENCE { pvno [0], msg-type [1] (17), ticket [2] Ticket }   (the user's TGT, for U2U)
 *
 * What a passive sensor can see of an AP-REQ: the ticket's realm and service principal (sname joined with '/',
 * e.g. "RPCSS/host.example.com"), encryption types and options. The client principal is inside the
 * authenticator and the ticket's enc-part, both encrypted: `clientNameVisible` is always false.
 */

import { type ParseProblem, problem } from '../util/parse-problem.js';
import {
  contextChild,
  DER_CLASS_APPLICATION,
  DER_CLASS_UNIVERSAL,
  type DerElement,
  derChildren,
  derInteger,
  derOid,
  derString,
  explicitInner,
  readTlv,
} from './der.js';
import { OID_KERBEROS, OID_KERBEROS_U2U, OID_MS_KERBEROS } from './spnego.js';

export type KerberosMessageKind = 'ap_req' | 'ap_rep' | 'krb_error' | 'tgt_req' | 'tgt_rep' | 'per_message';

export interface KerberosToken {
  message: KerberosMessageKind;
  /** Carried inside the GSS-API [APPLICATION 0] framing. */
  gssFramed: boolean;
  /** Mechanism OID of the framing (when framed). */
  mechOid?: string;
  /** AP-REQ: ticket realm. KRB-ERROR: the server realm. */
  realm?: string;
  /** Service principal name components (AP-REQ ticket sname, KRB-ERROR sname). */
  sname?: string[];
  /** sname components joined with '/'. */
  spn?: string;
  snameType?: number;
  /** AP-REQ: ap-options as a 32-bit big-endian bit field (0x20000000 = mutual-required). */
  apOptions?: number;
  mutualRequired?: boolean;
  ticketEtype?: number;
  ticketKvno?: number;
  authenticatorEtype?: number;
  /** AP-REP: enc-part etype. */
  encPartEtype?: number;
  /** KRB-ERROR error-code (e.g. 37 KRB_AP_ERR_SKEW, 41 KRB_AP_ERR_MODIFIED). */
  errorCode?: number;
  /** The client principal never travels in clear in an AP-REQ (it is in the encrypted authenticator). */
  clientNameVisible: false;
}

export interface KerberosParseResult {
  token?: KerberosToken;
  problems: ParseProblem[];
}

const KRB5_OIDS = new Set([OID_KERBEROS, OID_MS_KERBEROS, OID_KERBEROS_U2U]);

/** True when the bytes start like a Kerberos token this module reads (framed, raw AP-REQ/AP-REP/KRB-ERROR). */
export function looksLikeKerberos(b: Uint8Array): boolean {
  if (b.length < 2) return false;
  const t = b[0];
  if (t === 0x6e || t === 0x6f || t === 0x7e) return true;
  if ((t === 0x04 || t === 0x05) && b[1] === 0x04) return true; // RFC 4121 MIC / Wrap
  if (t !== 0x60) return false;
  const outer = readTlv(b, 0, b.length, 'kerberos');
  if (!outer.ok) return false;
  const oid = readTlv(b, outer.el.valueStart, outer.el.end, 'kerberos');
  if (!oid.ok || oid.el.tag !== 6) return false;
  const text = derOid(b, oid.el);
  return text !== null && KRB5_OIDS.has(text);
}

/** Parses a Kerberos token in any of the shapes above. */
export function parseKerberos(b: Uint8Array): KerberosParseResult {
  const problems: ParseProblem[] = [];
  if (b.length < 2) return { problems: [problem('truncated', 'kerberos', `${b.length} bytes`, 0)] };
  if ((b[0] === 0x04 || b[0] === 0x05) && b[1] === 0x04) {
    return { token: { message: 'per_message', gssFramed: false, clientNameVisible: false }, problems };
  }
  let body = 0;
  let end = b.length;
  let gssFramed = false;
  let mechOid: string | undefined;
  if (b[0] === 0x60) {
    const outer = readTlv(b, 0, b.length, 'kerberos.gss');
    if (!outer.ok) return { problems: [outer.problem] };
    const oid = readTlv(b, outer.el.valueStart, outer.el.end, 'kerberos.gss.mech');
    if (!oid.ok) return { problems: [oid.problem] };
    const text = oid.el.tag === 6 && oid.el.cls === DER_CLASS_UNIVERSAL ? derOid(b, oid.el) : null;
    if (text === null || !KRB5_OIDS.has(text)) {
      return {
        problems: [
          problem(
            'bad_value',
            'kerberos.gss.mech',
            `mechanism ${text ?? '(not an OID)'} is not Kerberos`,
            oid.el.start,
          ),
        ],
      };
    }
    gssFramed = true;
    mechOid = text;
    const tokId = oid.el.end;
    if (tokId + 2 > outer.el.end) {
      return { problems: [problem('truncated', 'kerberos.gss.tok_id', 'no TOK_ID after the mechanism OID', tokId)] };
    }
    const id = (b[tokId] << 8) | b[tokId + 1];
    if (id === 0x0101 || id === 0x0201 || id === 0x0102) {
      // RFC 1964 MIC / Wrap / delete tokens: a verifier on a request or response, no identity.
      return { token: { message: 'per_message', gssFramed, mechOid, clientNameVisible: false }, problems };
    }
    if (id === 0x0400 || id === 0x0401) return u2u(b, tokId + 2, outer.el.end, id === 0x0400, { gssFramed, mechOid });
    if (id !== 0x0100 && id !== 0x0200 && id !== 0x0300) {
      return {
        problems: [problem('unsupported', 'kerberos.gss.tok_id', `TOK_ID ${id.toString(16).padStart(4, '0')}`, tokId)],
      };
    }
    body = tokId + 2;
    end = outer.el.end;
  }
  const msg = readTlv(b, body, end, 'kerberos');
  if (!msg.ok) return { problems: [msg.problem] };
  const m = msg.el;
  if (m.cls !== DER_CLASS_APPLICATION || !m.constructed) {
    return { problems: [problem('bad_signature', 'kerberos', 'not an [APPLICATION n] Kerberos message', m.start)] };
  }
  const seq = readTlv(b, m.valueStart, m.end, 'kerberos');
  if (!seq.ok) return { problems: [seq.problem] };
  if (seq.el.tag !== 16)
    return { problems: [problem('bad_value', 'kerberos', 'message body is not a SEQUENCE', seq.el.start)] };
  const kids = derChildren(b, seq.el, 'kerberos');
  if (kids.problem) problems.push(kids.problem);
  const base = { gssFramed, clientNameVisible: false as const, ...(mechOid ? { mechOid } : {}) };
  switch (m.tag) {
    case 14:
      return { token: apReq(b, kids.items, base, problems), problems };
    case 15: {
      const token: KerberosToken = { message: 'ap_rep', ...base };
      const enc = contextChild(kids.items, 2);
      if (enc) token.encPartEtype = encryptedData(b, enc, 'kerberos.ap_rep.enc_part', problems).etype;
      return { token, problems };
    }
    case 30:
      return { token: krbError(b, kids.items, base, problems), problems };
    default:
      return {
        problems: [
          problem('unsupported', 'kerberos', `[APPLICATION ${m.tag}] is not AP-REQ/AP-REP/KRB-ERROR`, m.start),
        ],
      };
  }
}

/** User-to-user exchange (Windows asks the server for its TGT when the service is a user account). */
function u2u(
  b: Uint8Array,
  start: number,
  end: number,
  request: boolean,
  framing: { gssFramed: boolean; mechOid?: string },
): KerberosParseResult {
  const problems: ParseProblem[] = [];
  const where = request ? 'kerberos.tgt_req' : 'kerberos.tgt_rep';
  const token: KerberosToken = {
    message: request ? 'tgt_req' : 'tgt_rep',
    gssFramed: framing.gssFramed,
    clientNameVisible: false,
    ...(framing.mechOid ? { mechOid: framing.mechOid } : {}),
  };
  const seq = readTlv(b, start, end, where);
  if (!seq.ok) return { token, problems: [seq.problem] };
  if (seq.el.tag !== 16) return { token, problems: [problem('bad_value', where, 'body is not a SEQUENCE', start)] };
  const kids = derChildren(b, seq.el, where);
  if (kids.problem) problems.push(kids.problem);
  if (request) {
    const sn = contextChild(kids.items, 2);
    if (sn) principal(b, sn, token, `${where}.server_name`, problems);
    const realm = contextChild(kids.items, 3);
    if (realm) {
      const r = explicitInner(b, realm, `${where}.realm`);
      if (r.ok) token.realm = derString(b, r.el);
      else problems.push(r.problem);
    }
  } else {
    const tk = contextChild(kids.items, 2);
    if (tk) ticket(b, tk, token, problems);
  }
  return { token, problems };
}

function apReq(
  b: Uint8Array,
  kids: DerElement[],
  base: Pick<KerberosToken, 'gssFramed' | 'clientNameVisible' | 'mechOid'>,
  problems: ParseProblem[],
): KerberosToken {
  const token: KerberosToken = { message: 'ap_req', ...base };
  const opts = contextChild(kids, 2);
  if (opts) {
    const bs = explicitInner(b, opts, 'kerberos.ap_req.ap_options');
    // BIT STRING: first content octet = unused bits, then the (32) bits big-endian.
    if (bs.ok && bs.el.tag === 3 && bs.el.end - bs.el.valueStart >= 5) {
      const p = bs.el.valueStart + 1;
      token.apOptions = ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
      token.mutualRequired = (token.apOptions & 0x20000000) !== 0;
    } else if (!bs.ok) problems.push(bs.problem);
  }
  const tk = contextChild(kids, 3);
  if (!tk) problems.push(problem('bad_value', 'kerberos.ap_req', 'no ticket [3]'));
  else ticket(b, tk, token, problems);
  const auth = contextChild(kids, 4);
  if (auth) {
    const e = encryptedData(b, auth, 'kerberos.ap_req.authenticator', problems);
    if (e.etype !== undefined) token.authenticatorEtype = e.etype;
  }
  return token;
}

/** Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1], sname [2], enc-part [3] } behind an explicit tag. */
function ticket(b: Uint8Array, tagged: DerElement, token: KerberosToken, problems: ParseProblem[]): void {
  const app = explicitInner(b, tagged, 'kerberos.ticket');
  if (!app.ok) {
    problems.push(app.problem);
    return;
  }
  if (app.el.cls !== DER_CLASS_APPLICATION || app.el.tag !== 1) {
    problems.push(problem('bad_value', 'kerberos.ticket', 'ticket is not [APPLICATION 1]', app.el.start));
    return;
  }
  const seq = readTlv(b, app.el.valueStart, app.el.end, 'kerberos.ticket');
  if (!seq.ok) {
    problems.push(seq.problem);
    return;
  }
  const tkids = derChildren(b, seq.el, 'kerberos.ticket');
  if (tkids.problem) problems.push(tkids.problem);
  const realm = contextChild(tkids.items, 1);
  if (realm) {
    const r = explicitInner(b, realm, 'kerberos.ticket.realm');
    if (r.ok) token.realm = derString(b, r.el);
    else problems.push(r.problem);
  }
  const sname = contextChild(tkids.items, 2);
  if (sname) principal(b, sname, token, 'kerberos.ticket.sname', problems);
  const enc = contextChild(tkids.items, 3);
  if (enc) {
    const e = encryptedData(b, enc, 'kerberos.ticket.enc_part', problems);
    if (e.etype !== undefined) token.ticketEtype = e.etype;
    if (e.kvno !== undefined) token.ticketKvno = e.kvno;
  }
}

function krbError(
  b: Uint8Array,
  kids: DerElement[],
  base: Pick<KerberosToken, 'gssFramed' | 'clientNameVisible' | 'mechOid'>,
  problems: ParseProblem[],
): KerberosToken {
  const token: KerberosToken = { message: 'krb_error', ...base };
  const code = contextChild(kids, 6);
  if (code) {
    const c = explicitInner(b, code, 'kerberos.krb_error.error_code');
    const v = c.ok ? derInteger(b, c.el) : null;
    if (v !== null) token.errorCode = v;
  }
  const realm = contextChild(kids, 9);
  if (realm) {
    const r = explicitInner(b, realm, 'kerberos.krb_error.realm');
    if (r.ok) token.realm = derString(b, r.el);
  }
  const sname = contextChild(kids, 10);
  if (sname) principal(b, sname, token, 'kerberos.krb_error.sname', problems);
  return token;
}

function principal(
  b: Uint8Array,
  tagged: DerElement,
  token: KerberosToken,
  where: string,
  problems: ParseProblem[],
): void {
  const seq = explicitInner(b, tagged, where);
  if (!seq.ok) {
    problems.push(seq.problem);
    return;
  }
  const kids = derChildren(b, seq.el, where);
  if (kids.problem) problems.push(kids.problem);
  const nt = contextChild(kids.items, 0);
  if (nt) {
    const i = explicitInner(b, nt, `${where}.name_type`);
    const v = i.ok ? derInteger(b, i.el) : null;
    if (v !== null) token.snameType = v;
  }
  const ns = contextChild(kids.items, 1);
  if (!ns) return;
  const list = explicitInner(b, ns, `${where}.name_string`);
  if (!list.ok) {
    problems.push(list.problem);
    return;
  }
  const parts = derChildren(b, list.el, `${where}.name_string`);
  if (parts.problem) problems.push(parts.problem);
  token.sname = parts.items.map((p) => derString(b, p));
  token.spn = token.sname.join('/');
}

function encryptedData(
  b: Uint8Array,
  tagged: DerElement,
  where: string,
  problems: ParseProblem[],
): { etype?: number; kvno?: number } {
  const seq = explicitInner(b, tagged, where);
  if (!seq.ok) {
    problems.push(seq.problem);
    return {};
  }
  const kids = derChildren(b, seq.el, where);
  if (kids.problem) problems.push(kids.problem);
  const out: { etype?: number; kvno?: number } = {};
  const et = contextChild(kids.items, 0);
  if (et) {
    const i = explicitInner(b, et, `${where}.etype`);
    const v = i.ok ? derInteger(b, i.el) : null;
    if (v !== null) out.etype = v;
  }
  const kv = contextChild(kids.items, 1);
  if (kv) {
    const i = explicitInner(b, kv, `${where}.kvno`);
    const v = i.ok ? derInteger(b, i.el) : null;
    if (v !== null) out.kvno = v;
  }
  return out;
}
