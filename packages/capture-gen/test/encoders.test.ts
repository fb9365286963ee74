/**
 * Byte-level tests of the encoders against published test vectors and against literal bytes taken from
 * public captures (impacket wmiexec, native Windows SharpWMI, a Windows access-denied fault — see
 * RESEARCH.md 1.7 and 2.2). No tshark needed.
 */
import { describe, expect, it } from 'vitest';
import { hmacMd5, md4, rc4 } from '../src/auth/crypto.js';
import { AV, encodeAvPairs, NtlmExchange, ntlmv2Response, ntowfv2 } from '../src/auth/ntlm.js';
import { AUTH_LEVEL, AUTH_TYPE, NDR } from '../src/dcerpc/constants.js';
import { encodeBind, encodeBindNak, encodeFault, encodeRequest, splitStub } from '../src/dcerpc/pdu.js';
import { activationPropertiesIn } from '../src/dcom/activation.js';
import { CLSID, IID } from '../src/dcom/guids.js';
import { dualStringArrayUnits } from '../src/dcom/orpc.js';
import { internetChecksum } from '../src/net/checksum.js';
import { ascii, fromHex, indexOf, toHex, utf16 } from '../src/util/bytes.js';
import { Rng } from '../src/util/rng.js';
import { uuidBytes, uuidText } from '../src/util/uuid.js';
import { ntlmLoginRequest } from '../src/wmi/wbem.js';
import { encodeInstance, WIN32_PROCESS_CREATE_IN } from '../src/wmi/wmio.js';

describe('checksums and crypto primitives', () => {
  it('computes the RFC 1071 checksum of a known IPv4 header', () => {
    // The classic example header 45 00 00 73 ... c0 a8 00 c7 has checksum 0xb861.
    expect(internetChecksum(fromHex('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7'))).toBe(0xb861);
  });

  it('implements MD4 per the RFC 1320 test suite', () => {
    expect(toHex(md4(ascii('')))).toBe('31d6cfe0d16ae931b73c59d7e0c089c0');
    expect(toHex(md4(ascii('abc')))).toBe('a448017aaf21d8525fc10ae87aa6729d');
    expect(toHex(md4(ascii('message digest')))).toBe('d9130a8164549fe818874806e1c7014b');
    expect(toHex(md4(ascii('12345678901234567890123456789012345678901234567890123456789012345678901234567890')))).toBe(
      'e33b4ddc9c38f2199c3e7b164fcc0536',
    );
  });

  it('implements RC4 (key "Key", plaintext "Plaintext")', () => {
    expect(toHex(rc4(ascii('Key'), ascii('Plaintext')))).toBe('bbf316e8d940af0ad3');
  });

  it('computes NTLMv2 exactly as MS-NLMP 4.2.4 does', () => {
    const key = ntowfv2('Password', 'User', 'Domain');
    expect(toHex(key)).toBe('0c868a403bfd7a93a3001ef22ef02e3f');
    const av = encodeAvPairs([
      [AV.NbDomainName, utf16('Domain')],
      [AV.NbComputerName, utf16('Server')],
    ]);
    const r = ntlmv2Response(key, fromHex('0123456789abcdef'), fromHex('aaaaaaaaaaaaaaaa'), 0n, av);
    expect(toHex(r.ntProofStr)).toBe('68cd0ab851e51c96aabc927bebef6a1c');
    expect(toHex(r.sessionBaseKey)).toBe('8de40ccadbc14a82f15cb0ad0de95ca3');
    expect(hmacMd5(key, r.ntProofStr)).toEqual(r.sessionBaseKey);
  });
});

describe('UUIDs', () => {
  it('writes the WMI CLSID in the little-endian form the KPN rule 4103001 matches', () => {
    expect(toHex(uuidBytes(CLSID.WbemLevel1Login))).toBe('5ef0c38b6bd8d011a07500c04fb68820');
    expect(toHex(uuidBytes(CLSID.WbemLevel1Login, false))).toBe('8bc3f05ed86b11d0a07500c04fb68820');
    expect(uuidText(fromHex('c84f324b7016d30112785a47bf6ee188'))).toBe('4b324fc8-1670-01d3-1278-5a47bf6ee188');
  });
});

describe('DCE/RPC PDUs', () => {
  it('encodes the access-denied fault byte-for-byte as Windows sent it (RESEARCH.md 1.7)', () => {
    const bytes = encodeFault({ callId: 3, contextId: 1, status: 5 });
    expect(toHex(bytes)).toBe('05000303100000002000000003000000' + '2000000001000000' + '0500000000000000');
  });

  it('encodes bind_nak with its reject reason and the supported protocol version, padded to 4', () => {
    expect(toHex(encodeBindNak({ callId: 1, reason: 8 }))).toBe(
      '05000d03100000001800000001000000' + '0800010500000000',
    );
  });

  it('encodes a big-endian fault with the status in network order', () => {
    const bytes = encodeFault({ drep: 'be', callId: 3, contextId: 1, status: 5 });
    expect(toHex(bytes)).toBe('05000303000000000020000000000003' + '0000002000010000' + '0000000500000000');
  });

  it("reproduces impacket's ISystemActivator bind with NTLMSSP NEGOTIATE exactly (public wmiexec capture)", () => {
    const ntlm = new NtlmExchange(
      { domain: '', user: 'administrator', workstation: '', password: 'x' },
      { nbDomain: 'D', nbComputer: 'S', dnsDomain: 'd', dnsComputer: 's' },
      new Rng('t'),
      { style: 'impacket', seal: true, timeMicros: 0 },
    );
    const bind = encodeBind({
      callId: 1,
      maxXmitFrag: 4280,
      maxRecvFrag: 4280,
      assocGroupId: 0,
      contexts: [{ contextId: 0, abstract: { uuid: IID.IRemoteSCMActivator, major: 0, minor: 0 }, transfer: [NDR] }],
      verifier: {
        authType: AUTH_TYPE.ntlm,
        authLevel: AUTH_LEVEL.privacy,
        authContextId: 79231,
        value: ntlm.negotiate(),
      },
    });
    expect(toHex(bind)).toBe(
      '05000b03100000007000200001000000b810b810000000000100000000000100a001000000000000c00000000000004600000000' +
        '045d888aeb1cc9119fe808002b104860020000000a0600007f3501004e544c4d5353500001000000358288e0' +
        '00000000000000000000000000000000',
    );
  });

  it('pads request stubs to the verifier alignment and records it in auth_pad_length', () => {
    const stub = new Uint8Array(13).fill(0xaa);
    const v = {
      authType: AUTH_TYPE.ntlm,
      authLevel: AUTH_LEVEL.integrity,
      authContextId: 7,
      value: new Uint8Array(16),
    };
    const req = encodeRequest({ callId: 9, contextId: 1, opnum: 24, objectUuid: IID.IWbemServices, stub, verifier: v });
    // header 24 + object uuid 16 + stub 13 + pad 3 (to 16) + trailer 8 + verifier 16
    expect(req.length).toBe(24 + 16 + 13 + 3 + 8 + 16);
    expect(req[3]).toBe(0x83);
    expect(req[40 + 16 + 2]).toBe(3);
    const dv = new DataView(req.buffer);
    expect(dv.getUint16(8, true)).toBe(req.length);
    expect(dv.getUint16(10, true)).toBe(16);
    expect(dv.getUint32(16, true)).toBe(13);
  });

  it('splits a stub into exactly n fragments with 16-byte multiples', () => {
    const parts = splitStub(new Uint8Array(1000), 3);
    expect(parts.map((p) => p.length)).toEqual([336, 336, 328]);
  });
});

describe('DCOM and WMI stubs', () => {
  it('marshals NTLMLogin("//./root/cimv2") as impacket does (public wmiexec capture, call 2)', () => {
    // The causality id as it appears on the wire (little-endian GUID) in the capture.
    const cidText = uuidText(fromHex('ceb3ee205e75d40b807cac48abebc268'));
    expect(cidText).toBe('20eeb3ce-755e-0bd4-807c-ac48abebc268');
    const stub = ntlmLoginRequest(true, { cid: cidText, minor: 6 }, '//./root/cimv2');
    const captured =
      '050006000000000000000000ceb3ee205e75d40b807cac48abebc26800000000' +
      'd46e0000' + // impacket's referent id; ours is Windows-style 0x00020000
      '0f000000000000000f0000002f002f002e002f0072006f006f0074002f00630069006d00760032000000' +
      'bfbf' + // alignment gap: impacket fills with 0xbf, NDR leaves the value unspecified, we write zeros
      '000000000000000000000000';
    const expected = captured.replace('d46e0000', '00000200').replace('bfbf', '0000');
    expect(toHex(stub)).toBe(expected);
  });

  it("encodes Win32_Process.Create in-parameters with an instance part identical to impacket's", () => {
    const unit = encodeInstance(
      WIN32_PROCESS_CREATE_IN,
      { CommandLine: 'cmd.exe /Q /c cd \\ 1> \\\\127.0.0.1\\ADMIN$\\__1683291962.56 2>&1', CurrentDirectory: 'C:\\' },
      { classPartSlack: 500, stringEncoding: 'utf16' },
    );
    const instancePart =
      'b30000000000000000300e0000008b00000000000000040000000194000080005f5f504152414d4554455253000163006d0064002e' +
      '0065007800650020002f00510020002f00630020006300640020005c00200031003e0020005c005c003100320037002e0030002e00' +
      '30002e0031005c00410044004d0049004e0024005c005f005f0031003600380033003200390031003900360032002e003500360020' +
      '0032003e002600310000000143003a005c000000';
    expect(toHex(unit).endsWith(instancePart)).toBe(true);
    const dv = new DataView(unit.buffer);
    expect(dv.getUint32(0, true)).toBe(0x12345678);
    expect(dv.getUint32(4, true)).toBe(unit.length - 8);
    expect(unit[8]).toBe(0x02);
    // ClassPart EncodingLength covers the class heap plus the 500 bytes of slack, then the instance part starts.
    const classLen = dv.getUint32(9, true);
    expect(9 + classLen + instancePart.length / 2).toBe(unit.length);
    expect(indexOf(unit, ascii('Win32API|Process and Thread Functions|lpCommandLine '))).toBeGreaterThan(0);
  });

  it('builds activation properties whose InstantiationInfo and ScmRequestInfo match a native Windows client', () => {
    const props = activationPropertiesIn({
      style: 'windows',
      clsid: CLSID.WbemLevel1Login,
      iids: [IID.IWbemLevel1Login],
      serverName: 'WORKSTATION6',
    });
    // Byte strings from a native client's RemoteCreateInstance (OTRF SharpWMI capture, RESEARCH.md 2.2).
    const instantiationInfo =
      '01100800cccccccc48000000000000005ef0c38b6bd8d011a07500c04fb68820140000000000000000000000010000000000000000000200' +
      '58000000050007000100000018ad09f36ad8d011a07500c04fb6882000000000';
    const scmRequestInfo =
      '01100800cccccccc2000000000000000000000000000020002000000010000000400020001000000' + '0700000000000000';
    expect(indexOf(props, fromHex(instantiationInfo))).toBeGreaterThan(0);
    expect(indexOf(props, fromHex(scmRequestInfo))).toBeGreaterThan(0);
    expect(indexOf(props, utf16('WORKSTATION6\0'))).toBeGreaterThan(0);
    // OBJREF_CUSTOM header: MEOW, flags 4, IActivationPropertiesIn, CLSID_ActivationPropertiesIn.
    expect(toHex(props.subarray(0, 40))).toBe(
      '4d454f5704000000' + 'a201000000000000c000000000000046' + '3803000000000000c000000000000046',
    );
    const dv = new DataView(props.buffer);
    const blobLen = props.length - 48;
    expect(dv.getUint32(44, true)).toBe(blobLen + 8); // ObjectReferenceSize, as Windows/impacket write it
    expect(dv.getUint32(48, true)).toBe(blobLen - 8); // dwSize
  });

  it('lays out a DUALSTRINGARRAY like the SCM reply of a native server', () => {
    const d = dualStringArrayUnits({
      strings: [{ networkAddr: 'WORKSTATION6[52419]' }, { networkAddr: '172.18.39.6[52419]' }],
      security: [
        { authnSvc: 0x0a, principal: 'NT AUTHORITY\\SYSTEM' },
        { authnSvc: 0x1e, principal: 'NT AUTHORITY\\SYSTEM' },
        { authnSvc: 0x10, principal: 'host/WORKSTATION6.theshire.local' },
        { authnSvc: 0x09, principal: 'host/WORKSTATION6.theshire.local' },
        { authnSvc: 0x16, principal: 'NT AUTHORITY\\SYSTEM' },
        { authnSvc: 0x1f, principal: 'NT AUTHORITY\\SYSTEM' },
      ],
    });
    // The capture has wNumEntries 0xc9 and wSecurityOffset 0x2a.
    expect(d.units.length).toBe(0xc9);
    expect(d.securityOffset).toBe(0x2a);
    expect(d.units.slice(0, 3)).toEqual([7, 'W'.charCodeAt(0), 'O'.charCodeAt(0)]);
  });
});
