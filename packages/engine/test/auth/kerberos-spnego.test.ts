import { kerberos as genKerberos, Rng } from '@wmi-detect/capture-gen';
import { describe, expect, it } from 'vitest';
import { parseKerberos } from '../../src/auth/kerberos.js';
import { OID_MS_KERBEROS, OID_NTLMSSP, parseSpnego } from '../../src/auth/spnego.js';
import { corpusPresent, facts } from '../wmi/support.js';
import {
  DCE_RPC_NTLM_ALTER,
  DCE_RPC_NTLM_ALTER_NEGOTIATE,
  DCE_RPC_NTLM_ALTER_RESP,
  DCE_RPC_NTLM_BIND,
  DCE_RPC_NTLM_BINDACK,
  KRB135_ALTER_RESP_DONE,
  KRB135_BIND_APREQ,
  KRB135_BINDACK_APREP,
  PETITPOTAM_RAW_KERBEROS,
  SHELLWINDOWS_U2U_TGT_REQ,
} from './fixtures.js';

// Expected values from `tshark -V` on the fixture frames.

describe('SPNEGO', () => {
  it('NegTokenInit (Zeek kerberos135 frame 5): the four mechanisms Windows offers and the AP-REQ as mechToken', () => {
    const r = parseSpnego(KRB135_BIND_APREQ);
    expect(r.problems).toEqual([]);
    expect(r.token?.kind).toBe('init');
    expect(r.token?.mechTypes).toEqual([
      '1.2.840.48018.1.2.2',
      '1.2.840.113554.1.2.2',
      '1.3.6.1.4.1.311.2.2.30',
      '1.3.6.1.4.1.311.2.2.10',
    ]);
    // A bare AP-REQ ([APPLICATION 14] = 0x6e), not GSS-framed: DCE-style Kerberos.
    expect(r.token?.innerToken?.[0]).toBe(0x6e);
    expect(r.token?.innerToken?.length).toBe(1770);
  });

  it('NegTokenResp (frames 7 and 9): negState, supported mechanism, response token, mechListMIC', () => {
    const r7 = parseSpnego(KRB135_BINDACK_APREP);
    expect(r7.problems).toEqual([]);
    expect(r7.token).toMatchObject({ kind: 'resp', negState: 'accept-incomplete', supportedMech: OID_MS_KERBEROS });
    expect(r7.token?.innerToken?.[0]).toBe(0x6f);
    const r9 = parseSpnego(KRB135_ALTER_RESP_DONE);
    expect(r9.token).toMatchObject({ kind: 'resp', negState: 'accept-completed', mechListMic: true });
    expect(r9.token?.innerToken).toBeUndefined();
  });

  it('Kerberos offered, NTLM chosen: the Zeek dce_rpc_ntlm exchange (frames 1, 3-6)', () => {
    const init = parseSpnego(DCE_RPC_NTLM_BIND);
    expect(init.problems).toEqual([]);
    expect(init.token?.mechTypes).toContain(OID_NTLMSSP);
    expect(init.token?.innerToken?.[0]).toBe(0x60); // GSS-framed Kerberos (a U2U TGT request)
    const ack = parseSpnego(DCE_RPC_NTLM_BINDACK);
    expect(ack.token).toMatchObject({ kind: 'resp', negState: 'request-mic', supportedMech: OID_NTLMSSP });
    const ntlmType = (b: Uint8Array | undefined) => {
      expect(new TextDecoder().decode(b?.subarray(0, 7))).toBe('NTLMSSP');
      return b?.[8];
    };
    expect(ntlmType(parseSpnego(DCE_RPC_NTLM_ALTER_NEGOTIATE).token?.innerToken)).toBe(1);
    expect(ntlmType(parseSpnego(DCE_RPC_NTLM_ALTER_RESP).token?.innerToken)).toBe(2);
    expect(ntlmType(parseSpnego(DCE_RPC_NTLM_ALTER).token?.innerToken)).toBe(3);
  });

  it('every truncation of a NegTokenInit is a problem, never a throw', () => {
    for (let n = 0; n < DCE_RPC_NTLM_BIND.length; n++) {
      const r = parseSpnego(DCE_RPC_NTLM_BIND.subarray(0, n));
      expect(r.token === undefined || r.problems.length > 0, `length ${n}`).toBe(true);
    }
  });
});

describe('Kerberos', () => {
  it('AP-REQ (kerberos135 frame 5): realm, SPN, etypes, mutual-required; the client name is not visible', () => {
    const inner = parseSpnego(KRB135_BIND_APREQ).token?.innerToken;
    if (!inner) throw new Error('no mechToken');
    const r = parseKerberos(inner);
    expect(r.problems).toEqual([]);
    expect(r.token).toEqual({
      message: 'ap_req',
      gssFramed: false,
      clientNameVisible: false,
      apOptions: 0x20000000,
      mutualRequired: true,
      realm: 'SRT-AD.LOCAL',
      sname: ['RPCSS', 'BLACKCLOVER-DC.SRT-AD.local'],
      spn: 'RPCSS/BLACKCLOVER-DC.SRT-AD.local',
      snameType: 2,
      ticketEtype: 18,
      ticketKvno: 3,
      authenticatorEtype: 18,
    });
  });

  it('AP-REP (frame 7)', () => {
    const inner = parseSpnego(KRB135_BINDACK_APREP).token?.innerToken;
    if (!inner) throw new Error('no responseToken');
    expect(parseKerberos(inner).token).toMatchObject({ message: 'ap_rep', encPartEtype: 18 });
  });

  it('a bare AP-REQ under auth_type 16 (PetitPotam frame 1058) with a three-part SPN', () => {
    const r = parseKerberos(PETITPOTAM_RAW_KERBEROS);
    expect(r.problems).toEqual([]);
    expect(r.token).toMatchObject({
      message: 'ap_req',
      gssFramed: false,
      realm: 'RUSSIE.WORLD',
      spn: 'E3514235-4B06-11D1-AB04-00C04FC2DCD2/b6128d33-c518-44ee-81b8-5778830e7d9a/RUSSIE.WORLD',
    });
  });

  it('a GSS-framed user-to-user KERB-TGT-REQUEST (empire_dcom_shellwindows WORKSTATION5 frame 167)', () => {
    const inner = parseSpnego(SHELLWINDOWS_U2U_TGT_REQ).token?.innerToken;
    if (!inner) throw new Error('no mechToken');
    const r = parseKerberos(inner);
    expect(r.problems).toEqual([]);
    expect(r.token).toMatchObject({
      message: 'tgt_req',
      gssFramed: true,
      mechOid: '1.2.840.113554.1.2.2.3',
      realm: 'THESHIRE',
      sname: ['sbeavers'],
      snameType: -128,
    });
  });

  it('a GSS-framed AP-REQ (TOK_ID 01 00) from the project generator', () => {
    // capture-gen encodes from RFC 4120/1964 independently of this parser.
    const ap = genKerberos.apReq(genKerberos.parseSpn('host/server.corp.local', 'CORP.LOCAL'), new Rng(7));
    const r = parseKerberos(genKerberos.gssKrb5(0x0100, ap));
    expect(r.problems).toEqual([]);
    expect(r.token).toMatchObject({
      message: 'ap_req',
      gssFramed: true,
      mechOid: '1.2.840.113554.1.2.2',
      realm: 'CORP.LOCAL',
      spn: 'host/server.corp.local',
    });
  });

  it('per-message tokens (RFC 4121 Wrap) are recognised and carry no identity', () => {
    const wrap = genKerberos.krbWrapToken(1n, true, false, new Rng(1));
    expect(parseKerberos(wrap).token).toEqual({ message: 'per_message', gssFramed: false, clientNameVisible: false });
  });

  it('every truncation of a real AP-REQ is a problem, never a throw', () => {
    const inner = parseSpnego(KRB135_BIND_APREQ).token?.innerToken;
    if (!inner) throw new Error('no mechToken');
    for (let n = 0; n < inner.length; n++) {
      const r = parseKerberos(inner.subarray(0, n));
      expect(r.token?.spn === undefined || r.problems.length > 0, `length ${n}`).toBe(true);
      expect(r.problems.length > 0, `length ${n}`).toBe(true);
    }
  });

  describe.skipIf(!corpusPresent)('against the tshark facts', () => {
    it('kerberos135_auth: the AP-REQ realm and sname tshark reports', () => {
      const f = facts('zeek__zeek/testing__btest__Traces__dce-rpc__kerberos135_auth.pcapng');
      const apReqs = (f?.tshark.kerberos ?? []).filter((k) => k.msg_type === '14');
      expect(apReqs).toHaveLength(1);
      const inner = parseSpnego(KRB135_BIND_APREQ).token?.innerToken;
      const t = inner ? parseKerberos(inner).token : undefined;
      expect(t?.realm).toBe(apReqs[0].realm);
      expect(t?.sname?.join('|')).toBe(apReqs[0].sname);
    });
  });
});
