import { describe, expect, it } from 'vitest';
import { identityFromAuthValue } from '../../src/auth/identity.js';
import { NTLM_FLAGS, ntlmFlagNames, parseNtlmssp } from '../../src/auth/ntlmssp.js';
import { corpusPresent, facts, tsharkText } from '../wmi/support.js';
import {
  AUTH3_5133_AUTHENTICATE,
  MAPI_NTLMV1_AUTH3,
  NTLM_EMPTY_AV_CHALLENGE,
  NTLM_UNTERMINATED_AV_CHALLENGE,
  WMIEXEC_AUTHENTICATE,
  WMIEXEC_CHALLENGE,
  WMIEXEC_NEGOTIATE,
} from './fixtures.js';

// Expected values below were read with `tshark -V` on the same frames (see fixtures.ts for capture + frame).

describe('NTLMSSP NEGOTIATE / CHALLENGE (impacket wmiexec, frames 17-18)', () => {
  it('reads the NEGOTIATE flags and no OEM names', () => {
    const r = parseNtlmssp(WMIEXEC_NEGOTIATE);
    expect(r.problems).toEqual([]);
    expect(r.message).toEqual({ type: 'negotiate', flags: 0xe0888235 });
  });

  it('reads the CHALLENGE target name, server challenge, AV pairs and version', () => {
    const r = parseNtlmssp(WMIEXEC_CHALLENGE);
    expect(r.problems).toEqual([]);
    const m = r.message;
    if (m?.type !== 'challenge') throw new Error('not a challenge');
    expect(m.flags).toBe(0xe28a8235);
    expect(m.targetName).toBe('WIN-KCBVCO95HFV');
    expect(m.serverChallenge).toBe('6aedac5fdf076bb9');
    expect(m.version).toEqual({ major: 6, minor: 1, build: 7601, revision: 15 });
    expect(m.targetInfo).toMatchObject({
      nbDomainName: 'WIN-KCBVCO95HFV',
      nbComputerName: 'WIN-KCBVCO95HFV',
      dnsDomainName: 'WIN-KCBVCO95HFV',
      dnsComputerName: 'WIN-KCBVCO95HFV',
      timestamp: '2023-05-05T13:06:02.585Z',
      terminated: true,
    });
    expect(ntlmFlagNames(m.flags)).toContain('TARGET_TYPE_SERVER');
    expect(ntlmFlagNames(m.flags)).toContain('NEGOTIATE_56');
  });
});

describe('NTLMSSP AUTHENTICATE', () => {
  it('impacket (wmiexec frame 19): empty domain/workstation, NTLMv2, SPN from the client AV pairs, no MIC', () => {
    const r = parseNtlmssp(WMIEXEC_AUTHENTICATE);
    expect(r.problems).toEqual([]);
    const m = r.message;
    if (m?.type !== 'authenticate') throw new Error('not an authenticate');
    expect(m).toMatchObject({
      flags: 0xe0888235,
      unicode: true,
      domain: '',
      user: 'administrator',
      workstation: '',
      lmResponseLength: 24,
      ntResponseLength: 244,
      ntlmVersion: 'v2',
      anonymous: false,
      sessionKeyLength: 16,
      micPresent: false,
    });
    // impacket does not set NEGOTIATE_VERSION: the payload starts at 64, no Version field.
    expect(m.version).toBeUndefined();
    expect(m.ntlmv2).toEqual({
      ntProofStr: '8105ad62ea6d4981db083a6333a8bf8a',
      timestamp: '2023-05-05T13:06:02.585Z',
      clientChallenge: '31486368715a396c',
      targetInfo: expect.objectContaining({ targetName: 'cifs/WIN-KCBVCO95HFV', terminated: true }),
    });
  });

  it('Windows (suricata-verify auth3-5133 frame 3): version, MsvAvFlags MIC bit, tree name and channel bindings', () => {
    const r = parseNtlmssp(AUTH3_5133_AUTHENTICATE);
    expect(r.problems).toEqual([]);
    const m = r.message;
    if (m?.type !== 'authenticate') throw new Error('not an authenticate');
    expect(m).toMatchObject({
      domain: '3B',
      user: 'Backdoor',
      workstation: '02694W-WIN10',
      ntlmVersion: 'v2',
      micPresent: true,
    });
    expect(m.flags).toBe(0xe2888235);
    expect(m.version).toEqual({ major: 10, minor: 0, build: 10586, revision: 15 });
    expect(m.ntlmv2?.targetInfo).toMatchObject({
      nbDomainName: '3B',
      nbComputerName: '01566S-WIN16-IR',
      dnsDomainName: 'threebeesco.com',
      dnsComputerName: '01566s-win16-ir.threebeesco.com',
      dnsTreeName: 'threebeesco.com',
      flags: 2,
      channelBindings: '00000000000000000000000000000000',
      targetName: 'HOST/172.16.66.36',
      terminated: true,
    });
  });

  it('NTLMv1 with extended session security (Zeek mapi.pcap frame 417)', () => {
    const r = parseNtlmssp(MAPI_NTLMV1_AUTH3);
    expect(r.problems).toEqual([]);
    const m = r.message;
    if (m?.type !== 'authenticate') throw new Error('not an authenticate');
    expect(m).toMatchObject({
      flags: 0x20888205,
      domain: 'CNAMIS',
      user: 'ALeonard',
      workstation: 'ALEONARD-XP',
      ntResponseLength: 24,
      ntlmVersion: 'v1',
      ess: true,
      anonymous: false,
      sessionKeyLength: 0,
    });
    expect(m.ntlmv2).toBeUndefined();
    expect((m.flags ?? 0) & NTLM_FLAGS.NEGOTIATE_VERSION).toBe(0);
  });

  describe.skipIf(!corpusPresent)('against the tshark facts of the captures', () => {
    it('wmiexec: the identity tshark reports (tshark prints empty fields as NULL)', () => {
      const f = facts('hangchuanin__Intranet_penetration_history/pcapng__wmiexec.pcapng');
      const [a] = f?.tshark.dcerpc_ntlmssp_auth ?? [];
      const id = identityFromAuthValue(0x0a, WMIEXEC_AUTHENTICATE);
      expect({ domain: id.domain, user: id.user, host: id.workstation }).toEqual({
        domain: tsharkText(a.domain),
        user: a.user,
        host: tsharkText(a.host),
      });
    });

    it('auth3-5133 and mapi', () => {
      for (const [capture, token] of [
        ['OISF__suricata-verify/tests__dcerpc__dcerpc-auth3-5133__input.pcap', AUTH3_5133_AUTHENTICATE],
        ['zeek__zeek/testing__btest__Traces__dce-rpc__mapi.pcap', MAPI_NTLMV1_AUTH3],
      ] as const) {
        const [a] = facts(capture)?.tshark.dcerpc_ntlmssp_auth ?? [];
        const id = identityFromAuthValue(0x0a, token);
        expect([id.domain, id.user, id.workstation]).toEqual([a.domain, a.user, a.host]);
      }
    });
  });
});

describe('malformed NTLMSSP', () => {
  it('a CHALLENGE whose TargetInfo points past the message (Zeek ntlm-unterminated-av-sequence)', () => {
    const r = parseNtlmssp(NTLM_UNTERMINATED_AV_CHALLENGE);
    expect(r.message?.type).toBe('challenge');
    expect(r.problems.map((p) => [p.code, p.where])).toEqual([['out_of_bounds', 'ntlmssp.challenge.target_info']]);
  });

  it('a CHALLENGE with an out-of-bounds TargetInfo and no pairs (Zeek ntlm-empty-av-sequence)', () => {
    const r = parseNtlmssp(NTLM_EMPTY_AV_CHALLENGE);
    expect(r.message?.type).toBe('challenge');
    expect(r.problems.map((p) => p.code)).toEqual(['out_of_bounds']);
  });

  it('an AV pair list without MsvAvEOL is reported, the pairs before it kept', () => {
    // The impacket CHALLENGE with its TargetInfo cut 4 bytes early (the MsvAvEOL removed) and lengths adjusted.
    const b = WMIEXEC_CHALLENGE.slice(0, WMIEXEC_CHALLENGE.length - 4);
    b[40] = 148; // TargetInfoFields.Len
    b[42] = 148; // MaxLen
    const r = parseNtlmssp(b);
    if (r.message?.type !== 'challenge') throw new Error('not a challenge');
    expect(r.message.targetInfo?.terminated).toBe(false);
    expect(r.message.targetInfo?.dnsComputerName).toBe('WIN-KCBVCO95HFV');
    expect(r.problems.map((p) => p.message)).toContain('AV pair list has no MsvAvEOL terminator');
  });

  it('rejects a bad signature and an unknown message type with a problem', () => {
    expect(parseNtlmssp(Uint8Array.of(1, 2, 3)).problems[0].code).toBe('truncated');
    const bad = WMIEXEC_NEGOTIATE.slice();
    bad[0] = 0x4d;
    expect(parseNtlmssp(bad).problems[0].code).toBe('bad_signature');
    const t9 = WMIEXEC_NEGOTIATE.slice();
    t9[8] = 9;
    expect(parseNtlmssp(t9).problems[0]).toMatchObject({ code: 'bad_value', where: 'ntlmssp.message_type' });
  });

  it('an AUTHENTICATE whose user name offset lies outside keeps the other fields', () => {
    const b = WMIEXEC_AUTHENTICATE.slice();
    b[40] = 0xff; // UserNameFields.BufferOffset low byte → far outside the 374-byte message
    b[41] = 0xff;
    const r = parseNtlmssp(b);
    if (r.message?.type !== 'authenticate') throw new Error('not an authenticate');
    expect(r.message.user).toBeUndefined();
    expect(r.message.ntlmVersion).toBe('v2');
    expect(r.problems).toEqual([
      expect.objectContaining({ code: 'out_of_bounds', where: 'ntlmssp.authenticate.user' }),
    ]);
  });

  it('every truncation of three real tokens returns problems, never throws', () => {
    for (const token of [WMIEXEC_CHALLENGE, WMIEXEC_AUTHENTICATE, AUTH3_5133_AUTHENTICATE]) {
      for (let n = 0; n < token.length; n++) {
        const r = parseNtlmssp(token.subarray(0, n));
        // A prefix is either rejected outright or parsed with at least one problem (an offset now outside).
        expect(r.message === undefined || r.problems.length > 0, `length ${n}`).toBe(true);
      }
      expect(parseNtlmssp(token).problems).toEqual([]);
    }
  });
});
