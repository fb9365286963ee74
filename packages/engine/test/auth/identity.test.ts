import { describe, expect, it } from 'vitest';
import { AUTHN, identityFromAuthValue, identityRecord } from '../../src/auth/identity.js';
import * as fx from './fixtures.js';

describe('identityFromAuthValue', () => {
  it('raw NTLMSSP (auth_type 10) AUTHENTICATE from impacket', () => {
    const id = identityFromAuthValue(AUTHN.WINNT, fx.WMIEXEC_AUTHENTICATE);
    expect(id).toMatchObject({
      auth_type: 'ntlmssp',
      mech: 'ntlmssp',
      ntlm_message: 'authenticate',
      carriesIdentity: true,
      domain: '',
      user: 'administrator',
      workstation: '',
      ntlm_version: 'v2',
      anonymous: false,
      target_spn: 'cifs/WIN-KCBVCO95HFV',
      problems: [],
    });
    expect(identityRecord(id)).toEqual({
      auth_type: 'ntlmssp',
      domain: '',
      user: 'administrator',
      workstation: '',
      ntlm_version: 'v2',
      anonymous: false,
    });
  });

  it('the NTLM legs that do not name the client say so', () => {
    expect(identityFromAuthValue(AUTHN.WINNT, fx.WMIEXEC_NEGOTIATE)).toMatchObject({
      ntlm_message: 'negotiate',
      carriesIdentity: false,
    });
    expect(identityFromAuthValue(AUTHN.WINNT, fx.WMIEXEC_CHALLENGE)).toMatchObject({
      ntlm_message: 'challenge',
      carriesIdentity: false,
      server: {
        nb_computer: 'WIN-KCBVCO95HFV',
        nb_domain: 'WIN-KCBVCO95HFV',
        dns_computer: 'WIN-KCBVCO95HFV',
        dns_domain: 'WIN-KCBVCO95HFV',
      },
    });
    // RPC_C_AUTHN_DEFAULT (0xff) is treated as NTLM (MS-RPCE 2.2.1.1.7).
    expect(identityFromAuthValue(AUTHN.DEFAULT, fx.WMIEXEC_AUTHENTICATE).user).toBe('administrator');
  });

  it('an NTLMSSP message signature (the verifier on requests) is recognised, not parsed as a handshake', () => {
    const sig = Uint8Array.of(1, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0, 0, 0, 0);
    expect(identityFromAuthValue(AUTHN.WINNT, sig)).toMatchObject({ ntlm_message: 'signature', problems: [] });
  });

  it('SPNEGO-wrapped NTLM (Zeek dce_rpc_ntlm frames 4 and 6)', () => {
    const neg = identityFromAuthValue(AUTHN.GSS_NEGOTIATE, fx.DCE_RPC_NTLM_ALTER_NEGOTIATE);
    expect(neg).toMatchObject({
      auth_type: 'spnego',
      mech: 'ntlmssp',
      ntlm_message: 'negotiate',
      spnego_token: 'resp',
      domain: 'BLACKCLOVER',
      workstation: 'CBTH-WS-1',
      carriesIdentity: false,
    });
    const auth = identityFromAuthValue(AUTHN.GSS_NEGOTIATE, fx.DCE_RPC_NTLM_ALTER);
    expect(auth).toMatchObject({
      auth_type: 'spnego',
      mech: 'ntlmssp',
      ntlm_message: 'authenticate',
      domain: 'BLACKCLOVER',
      user: 'Administrator',
      workstation: 'CBTH-WS-1',
      ntlm_version: 'v2',
      carriesIdentity: true,
      problems: [],
    });
  });

  it('SPNEGO offering Kerberos user-to-user first (Zeek dce_rpc_ntlm frame 1)', () => {
    const id = identityFromAuthValue(AUTHN.GSS_NEGOTIATE, fx.DCE_RPC_NTLM_BIND);
    expect(id).toMatchObject({
      auth_type: 'spnego',
      spnego_token: 'init',
      spnego_mechs: ['ms-kerberos', 'kerberos', 'negoex', 'ntlmssp'],
      mech: 'kerberos',
      kerberos_message: 'tgt_req',
      realm: 'BLACKCLOVER',
      spn: 'Administrator',
      carriesIdentity: false,
      problems: [],
    });
    expect(identityFromAuthValue(AUTHN.GSS_NEGOTIATE, fx.DCE_RPC_NTLM_BINDACK)).toMatchObject({
      spnego_selected: 'ntlmssp',
      spnego_state: 'request-mic',
      carriesIdentity: false,
    });
  });

  it('anonymous NTLM: empty user, empty NT response, 1-byte LM response (zerologon exploit frame 639)', () => {
    const id = identityFromAuthValue(AUTHN.GSS_NEGOTIATE, fx.ZEROLOGON_ANONYMOUS_SPNEGO);
    expect(id).toMatchObject({
      mech: 'ntlmssp',
      ntlm_message: 'authenticate',
      user: '',
      domain: '',
      workstation: '',
      anonymous: true,
      carriesIdentity: true,
    });
    expect(id.ntlm_version).toBeUndefined();
  });

  it('Kerberos in SPNEGO (kerberos135 frame 5) and bare (auth_type 16, PetitPotam frame 1058)', () => {
    expect(identityRecord(identityFromAuthValue(AUTHN.GSS_NEGOTIATE, fx.KRB135_BIND_APREQ))).toEqual({
      auth_type: 'spnego',
      realm: 'SRT-AD.LOCAL',
      spn: 'RPCSS/BLACKCLOVER-DC.SRT-AD.local',
      client_name_visible: false,
    });
    const raw = identityFromAuthValue(AUTHN.GSS_KERBEROS, fx.PETITPOTAM_RAW_KERBEROS);
    expect(raw).toMatchObject({
      auth_type: 'kerberos',
      mech: 'kerberos',
      kerberos_message: 'ap_req',
      realm: 'RUSSIE.WORLD',
      client_name_visible: false,
      carriesIdentity: true,
    });
    expect(identityFromAuthValue(AUTHN.GSS_NEGOTIATE, fx.KRB135_BINDACK_APREP)).toMatchObject({
      kerberos_message: 'ap_rep',
      carriesIdentity: false,
    });
  });

  it('Netlogon secure channel (Zeek dce_rpc_netlogon frames 1-2): the machine account and its domain', () => {
    expect(identityRecord(identityFromAuthValue(AUTHN.NETLOGON, fx.NETLOGON_BIND))).toEqual({
      auth_type: 'netlogon',
      domain: 'BLACKCLOVER',
      user: 'CBTH-WS-2$',
      workstation: 'CBTH-WS-2',
    });
    expect(identityFromAuthValue(AUTHN.NETLOGON, fx.NETLOGON_BINDACK)).toMatchObject({
      carriesIdentity: false,
      problems: [],
    });
  });

  it('auth types without an identity token', () => {
    expect(identityFromAuthValue(AUTHN.GSS_SCHANNEL, Uint8Array.of(0x16, 3, 1))).toMatchObject({
      auth_type: 'schannel',
      carriesIdentity: false,
      problems: [],
    });
    expect(identityFromAuthValue(0x42, Uint8Array.of(1))).toMatchObject({ auth_type: 'unknown', auth_type_code: 0x42 });
  });

  it('no fixture throws at any truncation, and each prefix either loses the identity or reports a problem', () => {
    const cases: [number, Uint8Array][] = [
      [AUTHN.WINNT, fx.WMIEXEC_AUTHENTICATE],
      [AUTHN.WINNT, fx.AUTH3_5133_AUTHENTICATE],
      [AUTHN.GSS_NEGOTIATE, fx.DCE_RPC_NTLM_ALTER],
      [AUTHN.GSS_NEGOTIATE, fx.KRB135_BIND_APREQ],
      [AUTHN.GSS_KERBEROS, fx.PETITPOTAM_RAW_KERBEROS],
      [AUTHN.NETLOGON, fx.NETLOGON_BIND],
    ];
    for (const [type, token] of cases) {
      const full = identityFromAuthValue(type, token);
      expect(full.problems).toEqual([]);
      expect(full.carriesIdentity).toBe(true);
      for (let n = 0; n < token.length; n++) {
        const id = identityFromAuthValue(type, token.subarray(0, n));
        expect(!id.carriesIdentity || id.problems.length > 0, `type ${type} length ${n}`).toBe(true);
      }
    }
  });

  it('random bytes of every length never throw (seeded, reproducible)', () => {
    let seed = 0x12345678;
    const next = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) & 0xff;
    };
    for (const type of [0x09, 0x0a, 0x10, 0x44, 0xff]) {
      for (let len = 0; len < 300; len += 7) {
        const b = new Uint8Array(len);
        for (let i = 0; i < len; i++) b[i] = next();
        // Give half of them a plausible start so the deeper parsers run too.
        if (len > 12 && len % 2 === 0) b.set(type === 0x0a ? fx.WMIEXEC_AUTHENTICATE.subarray(0, 12) : [0x60, 0x82], 0);
        expect(() => identityFromAuthValue(type, b)).not.toThrow();
      }
    }
  });
});
