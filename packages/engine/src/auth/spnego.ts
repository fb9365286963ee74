/**
 * SPNEGO (RFC 4178, MS-SPNG) tokens in DCE/RPC auth verifiers with auth_type 0x09 (RPC_C_AUTHN_GSS_NEGOTIATE).
 *
 *   first token      [APPLICATION 0] { thisMech OID 1.3.6.1.5.5.2, NegotiationToken }   (GSS-API framing)
 *   NegotiationToken negTokenInit [0] | negTokenResp [1]
 *   NegTokenInit     SEQUENCE { mechTypes [0] SEQUENCE OF OID, reqFlags [1] BIT STRING OPTIONAL,
 *                               mechToken [2] OCTET STRING OPTIONAL, mechListMIC [3] OCTET STRING OPTIONAL }
 *                    (MS-SPNG NegTokenInit2 puts negHints at [3] and mechListMIC at [4])
 *   NegTokenResp     SEQUENCE { negState [0] ENUMERATED OPTIONAL, supportedMech [1] OID OPTIONAL,
 *                               responseToken [2] OCTET STRING OPTIONAL, mechListMIC [3] OCTET STRING OPTIONAL }
 *
 * The inner token (mechToken / responseToken) is what carries the identity: an NTLMSSP message or a Kerberos
 * AP-REQ. It is returned as a view into the input (no copy).
 */

import { type ParseProblem, problem } from '../util/parse-problem.js';
import {
  contextChild,
  DER_CLASS_APPLICATION,
  DER_CLASS_CONTEXT,
  DER_CLASS_UNIVERSAL,
  type DerElement,
  derChildren,
  derInteger,
  derOid,
  explicitInner,
  readTlv,
} from './der.js';

export const OID_SPNEGO = '1.3.6.1.5.5.2';
export const OID_NTLMSSP = '1.3.6.1.4.1.311.2.2.10';
export const OID_KERBEROS = '1.2.840.113554.1.2.2';
/** Microsoft's historical (wrong-endian) Kerberos OID, offered first by Windows. */
export const OID_MS_KERBEROS = '1.2.840.48018.1.2.2';
export const OID_KERBEROS_U2U = '1.2.840.113554.1.2.2.3';
export const OID_NEGOEX = '1.3.6.1.4.1.311.2.2.30';

const MECH_NAMES: Record<string, string> = {
  [OID_NTLMSSP]: 'ntlmssp',
  [OID_KERBEROS]: 'kerberos',
  [OID_MS_KERBEROS]: 'ms-kerberos',
  [OID_KERBEROS_U2U]: 'kerberos-u2u',
  [OID_NEGOEX]: 'negoex',
};

/** Short name of a GSS mechanism OID ('ntlmssp', 'kerberos', …), or the OID itself. */
export function mechName(oid: string): string {
  return MECH_NAMES[oid] ?? oid;
}

export type NegState = 'accept-completed' | 'accept-incomplete' | 'reject' | 'request-mic';
const NEG_STATES: NegState[] = ['accept-completed', 'accept-incomplete', 'reject', 'request-mic'];

export interface SpnegoToken {
  kind: 'init' | 'resp';
  /** NegTokenInit: the mechanisms offered, most preferred first (dotted OIDs). */
  mechTypes: string[];
  /** NegTokenResp: the mechanism the acceptor chose. */
  supportedMech?: string;
  negState?: NegState;
  /** mechToken (init) or responseToken (resp): a view into the input. */
  innerToken?: Uint8Array;
  mechListMic: boolean;
}

export interface SpnegoParseResult {
  token?: SpnegoToken;
  problems: ParseProblem[];
}

/** Parses a SPNEGO token, with or without the GSS-API [APPLICATION 0] framing. */
export function parseSpnego(b: Uint8Array): SpnegoParseResult {
  const problems: ParseProblem[] = [];
  const outer = readTlv(b, 0, b.length, 'spnego');
  if (!outer.ok) return { problems: [outer.problem] };
  let el = outer.el;
  if (el.cls === DER_CLASS_APPLICATION && el.tag === 0 && el.constructed) {
    // InitialContextToken: thisMech OID, then the NegotiationToken.
    const oid = readTlv(b, el.valueStart, el.end, 'spnego.this_mech');
    if (!oid.ok) return { problems: [oid.problem] };
    if (oid.el.cls !== DER_CLASS_UNIVERSAL || oid.el.tag !== 6) {
      return {
        problems: [problem('bad_value', 'spnego.this_mech', 'GSS-API token does not start with an OID', oid.el.start)],
      };
    }
    const mech = derOid(b, oid.el);
    if (mech !== OID_SPNEGO) {
      return {
        problems: [
          problem(
            'bad_value',
            'spnego.this_mech',
            `mechanism ${mech ?? '(malformed OID)'} is not SPNEGO`,
            oid.el.start,
          ),
        ],
      };
    }
    const inner = readTlv(b, oid.el.end, el.end, 'spnego.negotiation_token');
    if (!inner.ok) return { problems: [inner.problem] };
    el = inner.el;
  }
  if (el.cls !== DER_CLASS_CONTEXT || (el.tag !== 0 && el.tag !== 1) || !el.constructed) {
    return {
      problems: [problem('bad_signature', 'spnego', 'neither negTokenInit [0] nor negTokenResp [1]', el.start)],
    };
  }
  const seq = explicitInner(b, el, 'spnego');
  if (!seq.ok) return { problems: [seq.problem] };
  if (seq.el.tag !== 16 || !seq.el.constructed) {
    return { problems: [problem('bad_value', 'spnego', 'NegTokenInit/NegTokenResp is not a SEQUENCE', seq.el.start)] };
  }
  const kids = derChildren(b, seq.el, 'spnego');
  if (kids.problem) problems.push(kids.problem);
  return el.tag === 0 ? negTokenInit(b, kids.items, problems) : negTokenResp(b, kids.items, problems);
}

function negTokenInit(b: Uint8Array, kids: DerElement[], problems: ParseProblem[]): SpnegoParseResult {
  const token: SpnegoToken = { kind: 'init', mechTypes: [], mechListMic: false };
  const types = contextChild(kids, 0);
  if (types) {
    const list = explicitInner(b, types, 'spnego.init.mech_types');
    if (!list.ok) problems.push(list.problem);
    else {
      const oids = derChildren(b, list.el, 'spnego.init.mech_types');
      if (oids.problem) problems.push(oids.problem);
      for (const o of oids.items) {
        const text = o.tag === 6 && o.cls === DER_CLASS_UNIVERSAL ? derOid(b, o) : null;
        if (text) token.mechTypes.push(text);
        else problems.push(problem('bad_value', 'spnego.init.mech_types', 'element is not a valid OID', o.start));
      }
    }
  }
  const mt = contextChild(kids, 2);
  if (mt) setInner(b, mt, token, 'spnego.init.mech_token', problems);
  // [3] is mechListMIC in RFC 4178 and negHints in MS-SPNG NegTokenInit2 (then MIC is [4]); either way no identity.
  token.mechListMic = contextChild(kids, 4) !== undefined || isOctetStringChild(b, contextChild(kids, 3));
  return { token, problems };
}

function negTokenResp(b: Uint8Array, kids: DerElement[], problems: ParseProblem[]): SpnegoParseResult {
  const token: SpnegoToken = { kind: 'resp', mechTypes: [], mechListMic: contextChild(kids, 3) !== undefined };
  const st = contextChild(kids, 0);
  if (st) {
    const e = explicitInner(b, st, 'spnego.resp.neg_state');
    if (!e.ok) problems.push(e.problem);
    else {
      const v = derInteger(b, e.el);
      if (v !== null && v >= 0 && v < NEG_STATES.length) token.negState = NEG_STATES[v];
      else problems.push(problem('bad_value', 'spnego.resp.neg_state', `negState ${v}`, e.el.start));
    }
  }
  const sm = contextChild(kids, 1);
  if (sm) {
    const e = explicitInner(b, sm, 'spnego.resp.supported_mech');
    const oid = e.ok && e.el.tag === 6 ? derOid(b, e.el) : null;
    if (oid) token.supportedMech = oid;
    else problems.push(e.ok ? problem('bad_value', 'spnego.resp.supported_mech', 'not an OID', sm.start) : e.problem);
  }
  const rt = contextChild(kids, 2);
  if (rt) setInner(b, rt, token, 'spnego.resp.response_token', problems);
  return { token, problems };
}

function setInner(
  b: Uint8Array,
  tagged: DerElement,
  token: SpnegoToken,
  where: string,
  problems: ParseProblem[],
): void {
  const e = explicitInner(b, tagged, where);
  if (!e.ok) {
    problems.push(e.problem);
    return;
  }
  if (e.el.cls !== DER_CLASS_UNIVERSAL || e.el.tag !== 4) {
    problems.push(problem('bad_value', where, 'token is not an OCTET STRING', e.el.start));
    return;
  }
  token.innerToken = b.subarray(e.el.valueStart, e.el.end);
}

function isOctetStringChild(b: Uint8Array, tagged: DerElement | undefined): boolean {
  if (!tagged) return false;
  const e = explicitInner(b, tagged, 'spnego.init');
  return e.ok && e.el.cls === DER_CLASS_UNIVERSAL && e.el.tag === 4;
}
