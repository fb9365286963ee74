import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/dcerpc/bytes.js';
import { NDR_UUID, NDR64_UUID } from '../../src/dcerpc/constants.js';
import { decodeHeader, PduHeader } from '../../src/dcerpc/header.js';
import {
  type BindAckPdu,
  type BindNakPdu,
  type BindPdu,
  type DecodedPdu,
  decodePdu,
  FaultPdu,
  type HeaderOnlyPdu,
  RequestPdu,
  ResponsePdu,
  requestObjectUuid,
} from '../../src/dcerpc/pdu/index.js';
import { PduDecodeProblem } from '../../src/dcerpc/problem.js';
import { concat, GAP_HANDLING, SHARPWMI, WMI_ACCESS_DENIED_FAULT, WMIEXEC } from './fixtures.js';

function decode(b: Uint8Array): DecodedPdu | PduDecodeProblem {
  return decodePdu(b, decodeHeader(b, 0, new PduHeader()));
}
function ok<T extends DecodedPdu>(b: Uint8Array): T {
  const r = decode(b);
  if (r instanceof PduDecodeProblem) throw new Error(`unexpected problem ${r.kind}: ${r.detail}`);
  return r as T;
}
function problem(b: Uint8Array): PduDecodeProblem {
  const r = decode(b);
  if (!(r instanceof PduDecodeProblem)) throw new Error(`expected a problem, got ${r.type}`);
  return r;
}
const utf16 = (s: string) => toHex(new Uint8Array(Buffer.from(s, 'utf16le')));

const IOXID = '99fcfec4-5260-101b-bbcb-00aa0021347a';
const REM_UNKNOWN2 = '00000143-0000-0000-c000-000000000046';
const SAMR = '12345778-1234-abcd-ef00-0123456789ac';

describe('bind / alter_context', () => {
  it('decodes a native Windows bind with an NDR and a BTFN context (sharpwmi frame 47)', () => {
    const p = ok<BindPdu>(SHARPWMI.bind);
    expect(p.type).toBe('bind');
    expect([p.maxXmitFrag, p.maxRecvFrag, p.assocGroupId]).toEqual([5840, 5840, 0]);
    expect(p.auth).toBeNull();
    expect(p.contexts).toEqual([
      {
        contextId: 0,
        index: 0,
        abstractSyntax: { uuid: IOXID, verMajor: 0, verMinor: 0 },
        transferSyntaxes: [{ uuid: NDR_UUID, verMajor: 2, verMinor: 0 }],
      },
      {
        contextId: 1,
        index: 1,
        abstractSyntax: { uuid: IOXID, verMajor: 0, verMinor: 0 },
        transferSyntaxes: [{ uuid: '6cb71c2c-9812-4540-0300-000000000000', verMajor: 1, verMinor: 0 }],
      },
    ]);
  });

  it('decodes the NTLMSSP NEGOTIATE sec_trailer of an impacket bind (wmiexec frame 17)', () => {
    const p = ok<BindPdu>(WMIEXEC.bind);
    expect(p.contexts.map((c) => c.abstractSyntax.uuid)).toEqual(['000001a0-0000-0000-c000-000000000046']);
    expect([p.maxXmitFrag, p.maxRecvFrag]).toEqual([4280, 4280]); // impacket fingerprint
    const a = p.auth!;
    expect([a.authType, a.authLevel, a.padLength, a.reserved, a.contextId]).toEqual([10, 6, 0, 0, 79231]);
    expect(a.offset).toBe(112 - 32 - 8);
    expect(a.value.length).toBe(32);
    expect(new TextDecoder().decode(a.value.subarray(0, 7))).toBe('NTLMSSP');
    expect(a.value[8]).toBe(1); // NEGOTIATE_MESSAGE
  });

  it('decodes an alter_context without a verifier (sharpwmi frame 83)', () => {
    const p = ok<BindPdu>(SHARPWMI.alterContext);
    expect(p.type).toBe('alter_context');
    expect(p.contexts).toHaveLength(1);
    expect(p.contexts[0].contextId).toBe(3);
    expect(p.contexts[0].abstractSyntax.uuid).toBe('9f6c78ef-fce5-42fa-abea-3e7df91921dc');
    expect(p.auth).toBeNull();
  });

  it('decodes three context items with NDR, NDR64 and BTFN (sharpwmi frame 65 items)', () => {
    // header + fixed part of that bind (call_id 2, 3 items) with frag_length fixed to 160 and no verifier
    const b = concat(
      fromHex('05 00 0b 03 10 00 00 00 a0 00 00 00 02 00 00 00 d0 16 d0 16 00 00 00 00 03 00 00 00'),
      SHARPWMI.bindContextItems,
    );
    const p = ok<BindPdu>(b);
    expect(p.contexts.map((c) => [c.contextId, c.abstractSyntax.uuid, c.transferSyntaxes[0].uuid])).toEqual([
      [0, REM_UNKNOWN2, NDR_UUID],
      [1, REM_UNKNOWN2, NDR64_UUID],
      [2, REM_UNKNOWN2, '6cb71c2c-9812-4540-0300-000000000000'],
    ]);
  });

  it('yields the same canonical UUID and version from a big-endian and a little-endian bind', () => {
    // SAMR v1.0 over NDR v2.0; integers and UUID fields in each byte order; if_version is one u32 (major in the low half)
    const le = fromHex(
      '05 00 0b 03 10 00 00 00 48 00 00 00 01 00 00 00 d0 16 d0 16 00 00 00 00 01 00 00 00' +
        '00 00 01 00 78 57 34 12 34 12 cd ab ef 00 01 23 45 67 89 ac 01 00 00 00' +
        '04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60 02 00 00 00',
    );
    const be = fromHex(
      '05 00 0b 03 00 00 00 00 00 48 00 00 00 00 00 01 16 d0 16 d0 00 00 00 00 01 00 00 00' +
        '00 00 01 00 12 34 57 78 12 34 ab cd ef 00 01 23 45 67 89 ac 00 00 00 01' +
        '8a 88 5d 04 1c eb 11 c9 9f e8 08 00 2b 10 48 60 00 00 00 02',
    );
    const a = ok<BindPdu>(le);
    const b = ok<BindPdu>(be);
    expect(b).toEqual(a);
    expect(a.contexts[0].abstractSyntax).toEqual({ uuid: SAMR, verMajor: 1, verMinor: 0 });
    expect(a.contexts[0].transferSyntaxes[0]).toEqual({ uuid: NDR_UUID, verMajor: 2, verMinor: 0 });
  });

  it('reports a context count beyond the PDU and a transfer-syntax count beyond the PDU', () => {
    const many = SHARPWMI.alterContext.slice();
    many[24] = 5; // n_context_elem 5, one present
    expect(problem(many).kind).toBe('context-list-overrun');
    const ts = SHARPWMI.alterContext.slice();
    ts[28 + 2] = 3; // n_transfer_syn 3, one present
    expect(problem(ts).kind).toBe('context-list-overrun');
    // the context list may not run into the verifier either (impacket bind: one item, count forged to 2)
    const intoAuth = WMIEXEC.bind.slice();
    intoAuth[24] = 2;
    expect(problem(intoAuth).kind).toBe('context-list-overrun');
    expect(problem(SHARPWMI.bind.subarray(0, 24)).kind).toBe('truncated-body');
  });
});

describe('bind_ack / alter_context_resp / bind_nak', () => {
  it('decodes sec_addr and per-context results (sharpwmi frame 48)', () => {
    const p = ok<BindAckPdu>(SHARPWMI.bindAck);
    expect(p.type).toBe('bind_ack');
    expect(p.secAddr).toBe('135');
    expect(p.assocGroupId).toBe(0x27d4);
    expect(p.results.map((r) => [r.index, r.result, r.reason, r.transferSyntax.uuid])).toEqual([
      [0, 0, 0, NDR_UUID],
      [1, 3, 3, '00000000-0000-0000-0000-000000000000'],
    ]);
  });

  it('decodes results [acceptance, provider rejection, negotiate_ack] and a Kerberos verifier (frame 68)', () => {
    const p = ok<BindAckPdu>(SHARPWMI.bindAckKerberos);
    expect(p.secAddr).toBe('52419');
    expect(p.results.map((r) => [r.result, r.reason])).toEqual([
      [0, 0],
      [2, 2],
      [3, 3],
    ]);
    expect(p.results[0].transferSyntax).toEqual({ uuid: NDR_UUID, verMajor: 2, verMinor: 0 });
    expect([p.auth?.authType, p.auth?.authLevel, p.auth?.contextId, p.auth?.value.length]).toEqual([9, 4, 0, 169]);
  });

  it('decodes an alter_context_resp with an empty sec_addr and non-zero pad bytes (gap-handling frame 10)', () => {
    const p = ok<BindAckPdu>(GAP_HANDLING.alterContextResp);
    expect(p.type).toBe('alter_context_resp');
    expect(p.secAddr).toBe('');
    expect(p.results.map((r) => r.result)).toEqual([0]);
    expect([p.auth?.authType, p.auth?.authLevel, p.auth?.contextId]).toEqual([9, 5, 0x41c6012d]);
  });

  it('decodes a big-endian bind_ack', () => {
    const be = fromHex(
      '05 00 0c 03 00 00 00 00 00 3c 00 00 00 00 00 01 16 d0 16 d0 00 00 12 34' +
        '00 06 34 39 31 35 34 00 01 00 00 00 00 00 00 00' +
        '8a 88 5d 04 1c eb 11 c9 9f e8 08 00 2b 10 48 60 00 00 00 02',
    );
    const p = ok<BindAckPdu>(be);
    expect([p.secAddr, p.assocGroupId]).toEqual(['49154', 0x1234]);
    expect(p.results).toEqual([
      { index: 0, result: 0, reason: 0, transferSyntax: { uuid: NDR_UUID, verMajor: 2, verMinor: 0 } },
    ]);
  });

  it('reports sec_addr and result lists beyond the PDU', () => {
    const sec = SHARPWMI.bindAck.slice();
    sec[24] = 200;
    expect(problem(sec).kind).toBe('sec-addr-overrun');
    const res = SHARPWMI.bindAck.slice();
    res[32] = 4; // n_results 4, two present
    expect(problem(res).kind).toBe('result-list-overrun');
  });

  it('decodes a bind_nak with its reason and supported versions', () => {
    // reason 4 protocol_version_not_supported, versions 5.0 and 5.1
    const p = ok<BindNakPdu>(fromHex('05 00 0d 03 10 00 00 00 18 00 00 00 01 00 00 00 04 00 02 05 00 05 01 00'));
    expect(p).toEqual({
      type: 'bind_nak',
      reason: 4,
      versions: [
        [5, 0],
        [5, 1],
      ],
    });
    expect(ok<BindNakPdu>(fromHex('05 00 0d 03 10 00 00 00 12 00 00 00 01 00 00 00 00 00')).versions).toEqual([]);
    expect(problem(fromHex('05 00 0d 03 10 00 00 00 18 00 00 00 01 00 00 00 04 00 09 05 00 05 01 00')).kind).toBe(
      'version-list-overrun',
    );
  });
});

describe('request / response / fault', () => {
  it('decodes a request without a stub (IOXIDResolver::ServerAlive2, sharpwmi frame 49)', () => {
    const p = ok<RequestPdu>(SHARPWMI.serverAlive2);
    expect(p).toBeInstanceOf(RequestPdu);
    expect([p.allocHint, p.contextId, p.opnum, p.objectUuidOffset, p.stubOffset, p.stubLength]).toEqual([
      0, 0, 5, -1, 24, 0,
    ]);
    expect(p.auth).toBeNull();
  });

  it('decodes a request with an object UUID, SPNEGO level-4 trailer and 12 pad bytes (sharpwmi frame 85)', () => {
    const b = SHARPWMI.setClientInfoEx;
    const p = ok<RequestPdu>(b);
    expect([p.contextId, p.opnum, p.allocHint]).toEqual([3, 3, 164]);
    expect(requestObjectUuid(b, p, true)).toBe('0002f816-0a80-0000-5219-b806b8c615a2');
    expect([p.auth?.authType, p.auth?.authLevel, p.auth?.padLength, p.auth?.contextId]).toEqual([9, 4, 12, 1]);
    expect(p.auth?.offset).toBe(252 - 28 - 8);
    // stub = after the object UUID, up to the pad: exactly alloc_hint bytes
    expect([p.stubOffset, p.stubLength]).toEqual([40, 164]);
    expect(toHex(b, p.stubOffset, p.stubOffset + p.stubLength)).toContain(utf16('WORKSTATION5'));
    expect(p.auth?.sealed).toBe(false);
  });

  it('decodes an NTLMSSP packet-integrity request whose stub is readable (wmiexec frame 32, NTLMLogin)', () => {
    const b = WMIEXEC.ntlmLogin;
    const p = ok<RequestPdu>(b);
    expect([p.contextId, p.opnum, p.stubOffset, p.stubLength]).toEqual([0, 6, 40, 92]);
    expect([p.auth?.authType, p.auth?.authLevel, p.auth?.contextId]).toEqual([10, 5, 79231]);
    expect(toHex(b, 40, 132)).toContain(utf16('//./root/cimv2'));
  });

  it('marks a packet-privacy request sealed but still decodes its header (sharpwmi frame 101, ExecQuery)', () => {
    const p = ok<RequestPdu>(SHARPWMI.sealedExecQuery);
    expect([p.contextId, p.opnum, p.allocHint]).toEqual([5, 20, 248]);
    expect([p.auth?.authType, p.auth?.authLevel, p.auth?.padLength, p.auth?.contextId]).toEqual([9, 6, 8, 2]);
    expect(p.auth?.sealed).toBe(true);
    expect([p.stubOffset, p.stubLength]).toEqual([40, 248]);
  });

  it('decodes a response and its pad (sharpwmi frames 50 and 86)', () => {
    const r = ok<ResponsePdu>(SHARPWMI.serverAlive2Response);
    expect(r).toBeInstanceOf(ResponsePdu);
    expect([r.contextId, r.allocHint, r.stubOffset, r.stubLength, r.cancelCount]).toEqual([0, 124, 24, 124, 0]);
    const s = ok<ResponsePdu>(SHARPWMI.setClientInfoExResponse);
    expect([s.contextId, s.stubLength, s.auth?.padLength, s.auth?.authLevel]).toEqual([3, 12, 4, 4]);
  });

  it('decodes the real WMI-activation access-denied fault (status 5 at offset 24)', () => {
    const f = ok<FaultPdu>(WMI_ACCESS_DENIED_FAULT);
    expect(f).toBeInstanceOf(FaultPdu);
    expect([f.contextId, f.status, f.faultFlags, f.allocHint, f.stubLength]).toEqual([1, 5, 0, 32, 0]);
    expect(f.auth).toBeNull();
  });

  it('decodes a fault with extended error information (gap-handling frame 12, status 0x721)', () => {
    const f = ok<FaultPdu>(GAP_HANDLING.fault);
    expect([f.status, f.faultFlags, f.stubOffset, f.stubLength]).toEqual([0x721, 1, 32, 120]);
  });

  it('reads the fault status in the PDU byte order (big-endian fault)', () => {
    const f = ok<FaultPdu>(
      fromHex('05 00 03 03 00 00 00 00 00 20 00 00 00 00 00 03 00 00 00 20 00 01 00 00 00 00 00 05 00 00 00 00'),
    );
    expect([f.contextId, f.status]).toEqual([1, 5]);
  });

  it('decodes a big-endian request', () => {
    // call_id 2, alloc_hint 8, ctx 0, opnum 57, 8-byte stub
    const p = ok<RequestPdu>(
      fromHex('05 00 00 03 00 00 00 00 00 20 00 00 00 00 00 02 00 00 00 08 00 00 00 39 01 02 03 04 05 06 07 08'),
    );
    expect([p.allocHint, p.contextId, p.opnum, p.stubLength]).toEqual([8, 0, 57, 8]);
  });

  it('reports fixed parts that do not fit', () => {
    expect(problem(fromHex('05 00 00 03 10 00 00 00 14 00 00 00 01 00 00 00 00 00 00 00')).kind).toBe('truncated-body');
    // pfc 0x83 but only 24 bytes: no room for the object UUID
    expect(problem(fromHex('05 00 00 83 10 00 00 00 18 00 00 00 01 00 00 00 00 00 00 00 00 00 03 00')).kind).toBe(
      'truncated-body',
    );
    expect(problem(fromHex('05 00 02 03 10 00 00 00 14 00 00 00 01 00 00 00 00 00 00 00')).kind).toBe('truncated-body');
    expect(problem(WMI_ACCESS_DENIED_FAULT.subarray(0, 24)).kind).toBe('truncated-body');
  });

  it('keeps context id and opnum when auth_length overruns the PDU, reporting a warning', () => {
    const b = SHARPWMI.setClientInfoEx.slice();
    b[10] = 0xf0; // auth_length 240: 240 + 8 does not fit after the 40-byte fixed part of 252 bytes
    const p = ok<RequestPdu>(b);
    expect([p.contextId, p.opnum]).toEqual([3, 3]);
    expect(p.auth).toBeNull();
    expect(p.warning?.kind).toBe('auth-length-overrun');
    expect(p.stubLength).toBe(252 - 40);
  });

  it('ignores an auth_pad_length longer than the stub, reporting a warning', () => {
    const b = SHARPWMI.serverAlive2Response.slice();
    // turn the last 24 bytes into a verifier: auth_length 16, sec_trailer at 124 with pad 200
    b[10] = 16;
    b.set(fromHex('0a 05 c8 00 01 00 00 00'), 148 - 16 - 8);
    const p = ok<ResponsePdu>(b);
    expect(p.warning?.kind).toBe('auth-pad-overrun');
    expect(p.stubLength).toBe(124 - 24);
  });
});

describe('auth3, shutdown, co_cancel, orphaned, unknown types', () => {
  it('decodes the NTLMSSP AUTHENTICATE in an auth3 (wmiexec frame 19)', () => {
    const p = ok<DecodedPdu>(WMIEXEC.auth3);
    if (p.type !== 'auth3') throw new Error(p.type);
    const a = p.auth!;
    expect([a.authType, a.authLevel, a.contextId, a.offset, a.value.length]).toEqual([10, 6, 79231, 20, 374]);
    expect(a.value[8]).toBe(3); // AUTHENTICATE_MESSAGE
    expect(toHex(a.value)).toContain(utf16('administrator'));
  });

  it('decodes header-only PDUs with and without a verifier', () => {
    const shutdown = ok<HeaderOnlyPdu>(fromHex('05 00 11 03 10 00 00 00 10 00 00 00 00 00 00 00'));
    expect([shutdown.type, shutdown.auth]).toEqual(['shutdown', null]);
    const cancel = ok<HeaderOnlyPdu>(
      fromHex(
        '05 00 12 03 10 00 00 00 28 00 10 00 07 00 00 00 0a 05 00 00 01 00 00 00 01 00 00 00 aa bb cc dd 00 00 00 00 00 00 00 00',
      ),
    );
    expect([cancel.type, cancel.auth?.authType, cancel.auth?.contextId]).toEqual(['co_cancel', 10, 1]);
    const orphaned = ok<HeaderOnlyPdu>(fromHex('05 00 13 03 10 00 00 00 10 00 00 00 07 00 00 00'));
    expect(orphaned.type).toBe('orphaned');
  });

  it('reports connectionless and undefined PTYPEs', () => {
    expect(problem(fromHex('05 00 07 03 10 00 00 00 10 00 00 00 01 00 00 00')).kind).toBe('unknown-ptype');
    expect(problem(fromHex('05 00 2a 03 10 00 00 00 10 00 00 00 01 00 00 00')).kind).toBe('unknown-ptype');
  });
});
