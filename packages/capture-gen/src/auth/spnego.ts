/**
 * SPNEGO tokens (RFC 4178, MS-SPNG) as carried in DCE/RPC auth type 9 (RPC_C_AUTHN_GSS_NEGOTIATE).
 *
 * InitialContextToken ::= [APPLICATION 0] { thisMech OID 1.3.6.1.5.5.2, innerContextToken NegotiationToken }
 * NegotiationToken ::= CHOICE { negTokenInit [0] NegTokenInit, negTokenResp [1] NegTokenResp }
 * NegTokenInit  ::= SEQUENCE { mechTypes [0] SEQUENCE OF OID, reqFlags [1] OPTIONAL, mechToken [2] OCTET STRING,
 *                              mechListMIC [3] OCTET STRING OPTIONAL }
 * NegTokenResp  ::= SEQUENCE { negState [0] ENUMERATED, supportedMech [1] OID OPTIONAL,
 *                              responseToken [2] OCTET STRING OPTIONAL, mechListMIC [3] OCTET STRING OPTIONAL }
 */
import { concat } from '../util/bytes.js';
import { app, ctx, enumerated, OID, octets, oid, seq } from './der.js';

export const NEG_STATE = { accept_completed: 0, accept_incomplete: 1, reject: 2, request_mic: 3 } as const;

export function negTokenInit(mechTypes: string[], mechToken: Uint8Array, mechListMIC?: Uint8Array): Uint8Array {
  const inner = [ctx(0, seq(...mechTypes.map(oid))), ctx(2, octets(mechToken))];
  if (mechListMIC) inner.push(ctx(3, octets(mechListMIC)));
  return app(0, concat([oid(OID.spnego), ctx(0, seq(...inner))]));
}

export interface NegTokenRespFields {
  negState?: number;
  supportedMech?: string;
  responseToken?: Uint8Array;
  mechListMIC?: Uint8Array;
}

export function negTokenResp(f: NegTokenRespFields): Uint8Array {
  const inner: Uint8Array[] = [];
  if (f.negState !== undefined) inner.push(ctx(0, enumerated(f.negState)));
  if (f.supportedMech) inner.push(ctx(1, oid(f.supportedMech)));
  if (f.responseToken) inner.push(ctx(2, octets(f.responseToken)));
  if (f.mechListMIC) inner.push(ctx(3, octets(f.mechListMIC)));
  return ctx(1, seq(...inner));
}
