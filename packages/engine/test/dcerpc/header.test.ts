import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/dcerpc/bytes.js';
import {
  ANY_CO_PTYPE,
  decodeHeader,
  FIRST_PDU_CLIENT,
  FIRST_PDU_SERVER,
  framingProblem,
  looksLikeDcerpc,
  PduHeader,
  PROBE_NEED_MORE,
  PROBE_NO,
  PROBE_YES,
  probeHeader,
} from '../../src/dcerpc/header.js';
import {
  isUuidString,
  normalizeUuid,
  parseUuid,
  readUuidString,
  uuidBytesToString,
  wireUuidEquals,
} from '../../src/dcerpc/uuid.js';
import { GAP_HANDLING, SHARPWMI, WMI_ACCESS_DENIED_FAULT, WMIEXEC } from './fixtures.js';

describe('common header', () => {
  it('decodes a little-endian header (sharpwmi frame 47 bind)', () => {
    const h = decodeHeader(SHARPWMI.bind, 0, new PduHeader());
    expect(h).toMatchObject({
      versionMinor: 0,
      ptype: 11,
      pfcFlags: 0x03,
      drep0: 0x10,
      drep1: 0,
      littleEndian: true,
      fragLength: 116,
      authLength: 0,
      callId: 2,
    });
  });

  it('decodes frag_length, auth_length and call_id in that order (wmiexec frame 19 auth3)', () => {
    const h = decodeHeader(WMIEXEC.auth3, 0, new PduHeader());
    expect([h.ptype, h.fragLength, h.authLength, h.callId]).toEqual([16, 402, 374, 1]);
  });

  it('decodes a big-endian header with the same values', () => {
    // request, FIRST|LAST, drep 00 00 00 00 (big-endian integers), frag_length 0x0102, auth_length 0x0010, call_id 0x01020304
    const be = fromHex('05 00 00 03 00 00 00 00 01 02 00 10 01 02 03 04');
    const h = decodeHeader(be, 0, new PduHeader());
    expect(h.littleEndian).toBe(false);
    expect([h.fragLength, h.authLength, h.callId]).toEqual([0x0102, 0x0010, 0x01020304]);
    const le = fromHex('05 00 00 03 10 00 00 00 02 01 10 00 04 03 02 01');
    const h2 = decodeHeader(le, 0, new PduHeader());
    expect([h2.fragLength, h2.authLength, h2.callId]).toEqual([0x0102, 0x0010, 0x01020304]);
  });

  it('reads call_id as unsigned', () => {
    const h = decodeHeader(fromHex('05 00 00 03 10 00 00 00 18 00 00 00 ff ff ff ff'), 0, new PduHeader());
    expect(h.callId).toBe(0xffffffff);
  });
});

describe('probe: recognising DCE/RPC by content', () => {
  it('accepts the first PDU of each direction from real captures', () => {
    expect(looksLikeDcerpc(SHARPWMI.bind, 'client')).toBe(true);
    expect(looksLikeDcerpc(WMIEXEC.bind, 'client')).toBe(true);
    expect(looksLikeDcerpc(SHARPWMI.serverAlive2, 'client')).toBe(true); // request (midstream pickup)
    expect(looksLikeDcerpc(SHARPWMI.alterContext, 'client')).toBe(true);
    expect(looksLikeDcerpc(WMIEXEC.auth3, 'client')).toBe(true);
    expect(looksLikeDcerpc(SHARPWMI.bindAck, 'server')).toBe(true);
    expect(looksLikeDcerpc(SHARPWMI.serverAlive2Response, 'server')).toBe(true);
    expect(looksLikeDcerpc(WMI_ACCESS_DENIED_FAULT, 'server')).toBe(true);
    expect(looksLikeDcerpc(SHARPWMI.alterContextResp, 'server')).toBe(true);
    expect(looksLikeDcerpc(GAP_HANDLING.fault, 'any')).toBe(true);
  });

  it('rejects server-only types opening the client direction and vice versa', () => {
    expect(looksLikeDcerpc(SHARPWMI.bindAck, 'client')).toBe(false);
    expect(looksLikeDcerpc(WMI_ACCESS_DENIED_FAULT, 'client')).toBe(false);
    expect(looksLikeDcerpc(SHARPWMI.bind, 'server')).toBe(false);
    expect(looksLikeDcerpc(SHARPWMI.serverAlive2, 'server')).toBe(false);
  });

  it('accepts rpc_vers_minor 1 (Windows) but nothing else', () => {
    const b = SHARPWMI.bind.slice();
    b[1] = 1;
    expect(looksLikeDcerpc(b, 'client')).toBe(true);
    b[1] = 2;
    expect(looksLikeDcerpc(b, 'client')).toBe(false);
    b[1] = 0;
    b[0] = 4; // connectionless version
    expect(looksLikeDcerpc(b, 'client')).toBe(false);
  });

  it('rejects insane drep, short or overlong frag_length and inconsistent auth_length', () => {
    const cases: Array<[string, (b: Uint8Array) => void]> = [
      ['drep[0] other bits', (b) => (b[4] = 0x12)],
      ['drep[1] float 4', (b) => (b[5] = 4)],
      ['frag_length below the bind fixed part', (b) => (b[8] = 20)],
      ['auth_length larger than the PDU', (b) => (b[10] = 200)],
      ['connectionless PTYPE 4 (working)', (b) => (b[2] = 4)],
      ['undefined PTYPE 40', (b) => (b[2] = 40)],
    ];
    for (const [what, mutate] of cases) {
      const b = SHARPWMI.bind.slice();
      mutate(b);
      expect(probeHeader(b, 0, b.length, FIRST_PDU_CLIENT), what).toBe(PROBE_NO);
    }
    const tight = SHARPWMI.bind.slice();
    expect(probeHeader(tight, 0, tight.length, FIRST_PDU_CLIENT, 100)).toBe(PROBE_NO); // 116 > max 100
  });

  it('counts the object UUID in the minimum request length', () => {
    // pfc 0x83 request with frag_length 24: cannot hold the 16-byte object UUID
    const b = fromHex('05 00 00 83 10 00 00 00 18 00 00 00 01 00 00 00');
    expect(probeHeader(b, 0, b.length, FIRST_PDU_CLIENT)).toBe(PROBE_NO);
    b[3] = 0x03;
    expect(probeHeader(b, 0, b.length, FIRST_PDU_CLIENT)).toBe(PROBE_YES);
  });

  it('asks for more bytes while everything present is plausible, and decides at 12', () => {
    for (let n = 0; n < 12; n++) {
      expect(probeHeader(SHARPWMI.bind, 0, n, FIRST_PDU_CLIENT), `${n} bytes`).toBe(PROBE_NEED_MORE);
    }
    expect(probeHeader(SHARPWMI.bind, 0, 12, FIRST_PDU_CLIENT)).toBe(PROBE_YES);
    // a wrong first byte is decided at once
    expect(probeHeader(fromHex('47'), 0, 1, FIRST_PDU_CLIENT)).toBe(PROBE_NO);
  });

  it('says no to common non-DCE/RPC openings', () => {
    const enc = new TextEncoder();
    for (const s of ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'SSH-2.0-OpenSSH_9.2\r\n', '220 mail.example ESMTP\r\n']) {
      expect(looksLikeDcerpc(enc.encode(s))).toBe(false);
    }
    // TLS ClientHello, SMB2 over NetBIOS session service
    expect(looksLikeDcerpc(fromHex('16 03 01 02 00 01 00 01 fc 03 03 5e'))).toBe(false);
    expect(looksLikeDcerpc(fromHex('00 00 00 a4 fe 53 4d 42 40 00 00 00'))).toBe(false);
    // SOCKS5 connect request starts 05 01 00 …: minor 1, PTYPE 0 — but the drep byte (address type) is insane
    expect(looksLikeDcerpc(fromHex('05 01 00 03 0b 65 78 61 6d 70 6c 65 2e 63 6f 6d 01 bb'))).toBe(false);
  });

  it('framingProblem classifies broken headers inside a stream', () => {
    const ok = SHARPWMI.serverAlive2;
    expect(framingProblem(ok, 0, 65535)).toBeNull();
    const v = ok.slice();
    v[0] = 6;
    expect(framingProblem(v, 0, 65535)).toBe('bad-version');
    const d = ok.slice();
    d[4] = 0x20;
    expect(framingProblem(d, 0, 65535)).toBe('bad-drep');
    const s = ok.slice();
    s[8] = 15;
    expect(framingProblem(s, 0, 65535)).toBe('frag-length-too-short');
    expect(framingProblem(SHARPWMI.bind, 0, 100)).toBe('frag-length-too-long');
    // framing does not care about PTYPE: an unknown type is framed and reported by the decoder
    const t = ok.slice();
    t[2] = 9;
    expect(framingProblem(t, 0, 65535)).toBeNull();
    expect(probeHeader(t, 0, t.length, ANY_CO_PTYPE)).toBe(PROBE_NO);
    expect(FIRST_PDU_SERVER & (1 << 11)).toBe(0);
  });
});

describe('UUIDs', () => {
  // Snort dcerpc2 README (dce_iface): the same UUID in both byte orders
  const le = fromHex('c8 4f 32 4b 70 16 d3 01 12 78 5a 47 bf 6e e1 88');
  const be = fromHex('4b 32 4f c8 16 70 01 d3 12 78 5a 47 bf 6e e1 88');

  it('normalises both wire forms to one canonical string', () => {
    expect(readUuidString(le, 0, true)).toBe('4b324fc8-1670-01d3-1278-5a47bf6ee188');
    expect(readUuidString(be, 0, false)).toBe('4b324fc8-1670-01d3-1278-5a47bf6ee188');
  });

  it('compares a wire UUID with canonical bytes without allocating a string', () => {
    const canon = parseUuid('4B324FC8-1670-01D3-1278-5A47BF6EE188')!;
    expect(wireUuidEquals(le, 0, true, canon)).toBe(true);
    expect(wireUuidEquals(be, 0, false, canon)).toBe(true);
    expect(wireUuidEquals(le, 0, false, canon)).toBe(false);
    expect(uuidBytesToString(canon)).toBe('4b324fc8-1670-01d3-1278-5a47bf6ee188');
  });

  it('parses and normalises strings, rejecting malformed ones', () => {
    expect(normalizeUuid('{8BC3F05E-D86B-11D0-A075-00C04FB68820}')).toBe('8bc3f05e-d86b-11d0-a075-00c04fb68820');
    expect(normalizeUuid('8bc3f05e-d86b-11d0-a075-00c04fb6882')).toBeUndefined();
    expect(normalizeUuid('8bc3f05e-d86b-11d0-a075-00c04fb6882g')).toBeUndefined();
    expect(isUuidString('000001a0-0000-0000-c000-000000000046')).toBe(true);
    expect(isUuidString('000001a0000000000c000000000000046')).toBe(false);
  });
});
