/**
 * Authentication schemes as DCE/RPC sees them: which token goes in which PDU of the bind
 * exchange, and what verifier follows on each request/response at levels >= PKT (MS-RPCE 2.2.1.1.7):
 *
 *   NTLM (0x0A), 3 legs:  bind[NEGOTIATE] -> bind_ack[CHALLENGE] -> auth3[AUTHENTICATE]
 *   SPNEGO (0x09), 4 legs: bind[NegTokenInit] -> bind_ack[NegTokenResp] -> alter_context[NegTokenResp]
 *                          -> alter_context_resp[NegTokenResp(accept-completed)]
 *   Kerberos (0x10), DCE style: bind[AP-REQ] -> bind_ack[AP-REP] -> alter_context[AP-REP] -> alter_context_resp (no token)
 *
 * A scheme also knows the identity facts a passive observer can extract (ground truth for tests).
 */
import { AUTH_TYPE } from '../dcerpc/constants.js';
import type { Rng } from '../util/rng.js';
import { OID } from './der.js';
import { apRep, apReq, krbWrapToken, parseSpn } from './kerberos.js';
import { NTLMSSP_NEGOTIATE_VERSION, type NtlmExchange } from './ntlm.js';
import { NEG_STATE, negTokenInit, negTokenResp } from './spnego.js';

export type Leg = 1 | 2 | 3 | 4;

/** What a passive observer can learn about the authenticated identity. */
export interface IdentityFact {
  authType: number;
  mechanism: 'ntlm' | 'kerberos';
  spnego: boolean;
  domain?: string;
  user?: string;
  workstation?: string;
  ntlmVersion?: 'v1' | 'v2';
  anonymous?: boolean;
  realm?: string;
  spn?: string;
  /** Kerberos: the client principal is inside the encrypted authenticator. */
  clientNameVisible: boolean;
}

export interface AuthScheme {
  readonly authType: number;
  readonly legs: 3 | 4;
  /** Token for a leg, or undefined when that leg carries no auth_value. */
  token(leg: Leg): Uint8Array | undefined;
  /** Per-PDU verifier (auth_value) at levels >= PKT; `sealed` is true at packet privacy. */
  verifier(from: 'client' | 'server', sealed: boolean): Uint8Array;
  identity(): IdentityFact;
}

export class NtlmScheme implements AuthScheme {
  readonly authType: number;
  readonly legs: 3 | 4;
  private seq = { client: 0, server: 0 };
  private auth?: Uint8Array;

  constructor(
    private readonly ntlm: NtlmExchange,
    readonly _rng: Rng,
    private readonly spnego = false,
  ) {
    this.authType = spnego ? AUTH_TYPE.spnego : AUTH_TYPE.ntlm;
    this.legs = spnego ? 4 : 3;
  }

  token(leg: Leg): Uint8Array | undefined {
    if (!this.spnego) {
      if (leg === 1) return this.ntlm.negotiate();
      if (leg === 2) return this.ntlm.challenge();
      if (leg === 3) {
        this.auth ??= this.ntlm.authenticate();
        return this.auth;
      }
      return undefined;
    }
    if (leg === 1) return negTokenInit([OID.ntlm], this.ntlm.negotiate());
    if (leg === 2)
      return negTokenResp({
        negState: NEG_STATE.accept_incomplete,
        supportedMech: OID.ntlm,
        responseToken: this.ntlm.challenge(),
      });
    if (leg === 3) {
      this.auth ??= this.ntlm.authenticate();
      return negTokenResp({ responseToken: this.auth, mechListMIC: this.ntlm.signature(0) });
    }
    return negTokenResp({ negState: NEG_STATE.accept_completed, mechListMIC: this.ntlm.signature(0) });
  }

  verifier(from: 'client' | 'server'): Uint8Array {
    return this.ntlm.signature(this.seq[from]++);
  }

  identity(): IdentityFact {
    const id = this.ntlm.identity;
    return {
      authType: this.authType,
      mechanism: 'ntlm',
      spnego: this.spnego,
      domain: id.domain,
      user: id.user,
      workstation: id.workstation,
      ntlmVersion: this.ntlm.anonymous ? undefined : this.ntlm.ntlmVersion,
      anonymous: this.ntlm.anonymous,
      clientNameVisible: true,
    };
  }

  /** Whether the NTLM messages carry a VERSION structure (Windows style). */
  get windowsStyle(): boolean {
    return (this.ntlm.flags & NTLMSSP_NEGOTIATE_VERSION) !== 0;
  }
}

export interface KerberosSchemeOptions {
  realm: string;
  /** Service principal name, e.g. "host/server.corp.local". */
  spn: string;
  /** true: auth type 9 with SPNEGO wrapping (Windows DCOM default); false: auth type 16 (raw GSS Kerberos). */
  spnego: boolean;
}

export class KerberosScheme implements AuthScheme {
  readonly authType: number;
  readonly legs = 4 as const;
  private seq = { client: 0n, server: 0n };

  constructor(
    private readonly o: KerberosSchemeOptions,
    private readonly rng: Rng,
  ) {
    this.authType = o.spnego ? AUTH_TYPE.spnego : AUTH_TYPE.kerberos;
  }

  token(leg: Leg): Uint8Array | undefined {
    const sp = parseSpn(this.o.spn, this.o.realm);
    if (this.o.spnego) {
      // Windows puts the bare AP-REQ (DCE style, no RFC 4121 framing) in mechToken; see RESEARCH.md 2.2 captures.
      if (leg === 1) return negTokenInit([OID.msKrb5, OID.krb5, OID.negoex, OID.ntlm], apReq(sp, this.rng));
      if (leg === 2)
        return negTokenResp({
          negState: NEG_STATE.accept_incomplete,
          supportedMech: OID.msKrb5,
          responseToken: apRep(this.rng),
        });
      if (leg === 3) return negTokenResp({ negState: NEG_STATE.accept_incomplete, responseToken: apRep(this.rng) });
      return negTokenResp({
        negState: NEG_STATE.accept_completed,
        mechListMIC: krbWrapToken(0n, false, true, this.rng),
      });
    }
    // DCE-style Kerberos (GSS_C_DCE_STYLE, MS-KILE 3.2.5.2): bare AP-REQ / AP-REP without RFC 4121 framing,
    // and a third leg where the client echoes an AP-REP.
    if (leg === 1) return apReq(sp, this.rng);
    if (leg === 2) return apRep(this.rng);
    if (leg === 3) return apRep(this.rng);
    return undefined;
  }

  verifier(from: 'client' | 'server', sealed: boolean): Uint8Array {
    return krbWrapToken(this.seq[from]++, sealed, from === 'server', this.rng);
  }

  identity(): IdentityFact {
    return {
      authType: this.authType,
      mechanism: 'kerberos',
      spnego: this.o.spnego,
      realm: this.o.realm,
      spn: this.o.spn,
      clientNameVisible: false,
    };
  }
}
