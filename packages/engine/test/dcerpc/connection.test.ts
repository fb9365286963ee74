import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/dcerpc/bytes.js';
import { DcerpcConnection, type DcerpcConnectionOptions, type DcerpcListener } from '../../src/dcerpc/connection.js';
import { type DcePduEvent, toDceView } from '../../src/dcerpc/event.js';
import type { DceProblemKind } from '../../src/dcerpc/problem.js';
import { MemoryBudget } from '../../src/dcerpc/stub-assembler.js';
import type { Direction } from '../../src/tcp/types.js';
import { concat, GAP_HANDLING, SHARPWMI, WMI_ACCESS_DENIED_FAULT, WMIEXEC } from './fixtures.js';
import { BIND_135, BIND_ACK_135, CREATE_INSTANCE_3, NDR, SERVER_ALIVE2_4 } from './literal-pdus.js';

const IOXID = '99fcfec4-5260-101b-bbcb-00aa0021347a';
const SYSACT = '000001a0-0000-0000-c000-000000000046';
const REM_UNKNOWN2 = '00000143-0000-0000-c000-000000000046';
const WBEM_SERVICES = '9556dc99-828c-11cf-a37e-00aa003240c7';
const SAMR = '12345778-1234-abcd-ef00-0123456789ac';

/** What the listener saw, with the per-PDU facts copied out (events are only valid during the callback). */
interface Seen {
  ptype: number;
  dir: Direction;
  callId: number;
  contextId?: number;
  opnum?: number;
  iface?: string;
  accepted?: boolean;
  stub: string | null;
  sealed: boolean;
  faultStatus?: number;
  firstFrag: boolean;
  lastFrag: boolean;
  reassembled: boolean;
  incomplete: boolean;
  truncated: boolean;
  auth?: [number, number, number];
  inherited: boolean;
  objectUuid?: string;
  littleEndian: boolean;
  problem?: string;
}

class Recorder implements DcerpcListener {
  seen: Seen[] = [];
  problems: Array<[DceProblemKind, Direction, string]> = [];
  raw: DcePduEvent[] = [];
  onPdu(ev: DcePduEvent): void {
    this.raw.push(ev);
    const a = ev.effectiveAuth;
    this.seen.push({
      ptype: ev.ptype,
      dir: ev.dir,
      callId: ev.callId,
      contextId: ev.contextId,
      opnum: ev.opnum,
      iface: ev.iface?.uuid,
      accepted: ev.iface?.accepted,
      stub: ev.stub ? toHex(ev.stub) : null,
      sealed: ev.sealed,
      faultStatus: ev.faultStatus,
      firstFrag: ev.firstFrag,
      lastFrag: ev.lastFrag,
      reassembled: ev.stubReassembled,
      incomplete: ev.stubIncomplete,
      truncated: ev.stubTruncated,
      auth: a ? [a.authType, a.authLevel, a.authContextId] : undefined,
      inherited: ev.authInherited,
      objectUuid: ev.objectUuid,
      littleEndian: ev.littleEndian,
      problem: ev.problem?.kind,
    });
  }
  onProblem(kind: DceProblemKind, dir: Direction, detail: string): void {
    this.problems.push([kind, dir, detail]);
  }
  kinds(): DceProblemKind[] {
    return this.problems.map((p) => p[0]);
  }
  last(ptype: number): Seen {
    const s = this.seen.filter((x) => x.ptype === ptype);
    return s[s.length - 1];
  }
}

function conn(opts: DcerpcConnectionOptions = {}) {
  const rec = new Recorder();
  const c = new DcerpcConnection(rec, opts);
  let ts = 1_000_000;
  const cli = (...pdus: Uint8Array[]) => c.onData(0, concat(...pdus), ts++);
  const srv = (...pdus: Uint8Array[]) => c.onData(1, concat(...pdus), ts++);
  return { rec, c, cli, srv };
}

// ---- literal PDUs (little-endian unless named otherwise; the activation basics are in literal-pdus.ts) -------------
/** response call_id 4, ctx 0, 8-byte stub. */
const RESPONSE_4 = fromHex(
  '05 00 02 03 10 00 00 00 20 00 00 00 04 00 00 00 08 00 00 00 00 00 00 00 01 02 03 04 05 06 07 08',
);
/** alter_context call_id 7: ctx 0 (already bound to IOXIDResolver) → IRemUnknown2. */
const ALTER_CTX0_REMUNKNOWN2 = fromHex(
  `05 00 0e 03 10 00 00 00 48 00 00 00 07 00 00 00 d0 16 d0 16 34 12 00 00 01 00 00 00
   00 00 01 00 43 01 00 00 00 00 00 00 c0 00 00 00 00 00 00 46 00 00 00 00 ${NDR}`,
);
/** alter_context_resp call_id 7, accepted. */
const ALTER_RESP_7 = fromHex(
  `05 00 0f 03 10 00 00 00 38 00 00 00 07 00 00 00 d0 16 d0 16 34 12 00 00 00 00 00 00 01 00 00 00 00 00 00 00 ${NDR}`,
);
/** alter_context_resp call_id 7, provider rejection (reason 1 abstract syntax not supported). */
const ALTER_REJECT_7 = fromHex(
  `05 00 0f 03 10 00 00 00 38 00 00 00 07 00 00 00 d0 16 d0 16 34 12 00 00 00 00 00 00 01 00 00 00 02 00 01 00
   00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00`,
);
/** alter_context call_id 9: ctx 5 = IWbemServices over NDR. */
const ALTER_CTX5_WBEM = fromHex(
  `05 00 0e 03 10 00 00 00 48 00 00 00 09 00 00 00 d0 16 d0 16 48 39 00 00 01 00 00 00
   05 00 01 00 99 dc 56 95 8c 82 cf 11 a3 7e 00 aa 00 32 40 c7 00 00 00 00 ${NDR}`,
);
const ALTER_RESP_9 = fromHex(
  `05 00 0f 03 10 00 00 00 38 00 00 00 09 00 00 00 d0 16 d0 16 48 39 00 00 00 00 00 00 01 00 00 00 00 00 00 00 ${NDR}`,
);
const req = (callId: number, ctx: number, opnum: number) =>
  fromHex(`05 00 00 03 10 00 00 00 18 00 00 00 ${hex32(callId)} 00 00 00 00 ${hex16(ctx)} ${hex16(opnum)}`);
const resp = (callId: number, ctx: number) =>
  fromHex(`05 00 02 03 10 00 00 00 18 00 00 00 ${hex32(callId)} 00 00 00 00 ${hex16(ctx)} 00 00`);
function hex16(v: number): string {
  return `${(v & 0xff).toString(16).padStart(2, '0')} ${(v >> 8).toString(16).padStart(2, '0')}`;
}
function hex32(v: number): string {
  return `${hex16(v & 0xffff)} ${hex16(v >>> 16)}`;
}

/**
 * A request (call_id 9, ctx 0, opnum 24) in three fragments, each with an NTLMSSP level-5 verifier (auth_context_id 1):
 * stubs "AAAAAA" (pad 2), "BBBBBB" (pad 2), "CCCC" (pad 4); alloc_hint 16.
 */
const frag = (flags: string, stub: string, pad: string, padLen: string) =>
  fromHex(
    `05 00 00 ${flags} 10 00 00 00 38 00 10 00 09 00 00 00 10 00 00 00 00 00 18 00 ${stub} ${pad}
     0a 05 ${padLen} 00 01 00 00 00 01 00 00 00 11 11 11 11 11 11 11 11 00 00 00 00`,
  );
const FRAG1 = frag('01', '41 41 41 41 41 41', '00 00', '02');
const FRAG2 = frag('00', '42 42 42 42 42 42', '00 00', '02');
const FRAG3 = frag('02', '43 43 43 43', '00 00 00 00', '04');

describe('DcerpcConnection: recognition', () => {
  it('recognises a DCE/RPC connection from the client bind', () => {
    const { c, cli } = conn();
    expect(c.isDcerpc).toBeUndefined();
    expect(c.wantsPayload()).toBe(true);
    cli(SHARPWMI.bind);
    expect(c.isDcerpc).toBe(true);
    expect(c.wantsPayload()).toBe(true);
  });

  it('drops a non-DCE/RPC connection at its first payload bytes, whichever side speaks first', () => {
    const http = conn();
    http.c.onData(0, new TextEncoder().encode('GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n'), 1);
    expect(http.c.isDcerpc).toBe(false);
    expect(http.c.wantsPayload()).toBe(false);
    const smtp = conn();
    smtp.c.onData(1, new TextEncoder().encode('220 mx.example.org ESMTP Postfix\r\n'), 1);
    expect(smtp.c.isDcerpc).toBe(false);
    expect(smtp.rec.seen).toEqual([]);
  });

  it('stays undecided on fewer than 12 plausible bytes', () => {
    const { c, rec } = conn();
    c.onData(0, SHARPWMI.bind.subarray(0, 8), 1);
    expect(c.isDcerpc).toBeUndefined();
    c.onData(0, SHARPWMI.bind.subarray(8), 2);
    expect(c.isDcerpc).toBe(true);
    expect(rec.seen.map((s) => s.ptype)).toEqual([11]);
  });

  it('picks up a midstream connection inside a PDU, and with client/server guessed the wrong way round', () => {
    const { c, rec } = conn({ midstream: true });
    // client direction starts 60 bytes into a request; then a whole request follows in the next segment
    c.onData(0, SHARPWMI.setClientInfoEx.subarray(60), 1);
    expect(c.isDcerpc).toBeUndefined();
    c.onData(0, SHARPWMI.serverAlive2, 2);
    expect(c.isDcerpc).toBe(true);
    expect(rec.seen.map((s) => [s.ptype, s.opnum])).toEqual([[0, 5]]);
    // a midstream connection whose "client" side actually carries responses
    const swapped = conn({ midstream: true });
    swapped.c.onData(0, SHARPWMI.serverAlive2Response, 1);
    expect(swapped.c.isDcerpc).toBe(true);
  });

  it('gives up on a midstream connection with no DCE/RPC in either direction within the budget', () => {
    const { c } = conn({ midstream: true, detectHuntLimit: 2000 });
    const text = new TextEncoder().encode('lorem ipsum dolor sit amet '.repeat(100));
    c.onData(0, text, 1);
    expect(c.isDcerpc).toBeUndefined(); // the server side may still prove it
    c.onData(1, text, 2);
    expect(c.isDcerpc).toBe(false);
    expect(c.wantsPayload()).toBe(false);
  });
});

describe('DcerpcConnection: contexts and interfaces', () => {
  it('resolves requests to the accepted interface and responses to their call (sharpwmi 135 connection)', () => {
    const { rec, cli, srv } = conn();
    cli(SHARPWMI.bind);
    srv(SHARPWMI.bindAck);
    cli(SHARPWMI.serverAlive2);
    srv(SHARPWMI.serverAlive2Response);
    const request = rec.last(0);
    expect(request).toMatchObject({ callId: 2, contextId: 0, opnum: 5, iface: IOXID, accepted: true, stub: '' });
    const response = rec.last(2);
    expect(response).toMatchObject({ callId: 2, contextId: 0, opnum: 5, iface: IOXID, accepted: true });
    expect(response.stub).toBe(toHex(SHARPWMI.serverAlive2Response.subarray(24)));
  });

  it('does not treat a negotiate_ack (BTFN) or provider-rejected context as usable', () => {
    const { c, rec, cli, srv } = conn();
    // the stream-3 bind of sharpwmi (IRemUnknown2 under NDR, NDR64, BTFN), answered [0, 2, 3]
    cli(
      concat(
        fromHex('05 00 0b 03 10 00 00 00 a0 00 00 00 02 00 00 00 d0 16 d0 16 00 00 00 00 03 00 00 00'),
        SHARPWMI.bindContextItems,
      ),
    );
    srv(SHARPWMI.bindAckKerberos);
    expect([0, 1, 2].map((id) => [c.contexts.get(id)?.accepted, c.contexts.get(id)?.result])).toEqual([
      [true, 0],
      [false, 2],
      [false, 3],
    ]);
    cli(req(10, 1, 3), req(11, 2, 3), req(12, 0, 3));
    expect(rec.seen.filter((s) => s.ptype === 0).map((s) => [s.contextId, s.iface, s.accepted])).toEqual([
      [1, REM_UNKNOWN2, false],
      [2, REM_UNKNOWN2, false],
      [0, REM_UNKNOWN2, true],
    ]);
  });

  it('alter_context with an existing context id replaces the entry; calls in flight keep their interface', () => {
    const { c, rec, cli, srv } = conn();
    cli(BIND_135);
    srv(BIND_ACK_135);
    cli(req(5, 0, 5)); // on IOXIDResolver, answered after the alter
    cli(ALTER_CTX0_REMUNKNOWN2);
    expect(c.contexts.get(0)?.uuid).toBe(REM_UNKNOWN2);
    expect(c.contexts.get(0)?.acked).toBe(false);
    srv(ALTER_RESP_7);
    cli(req(6, 0, 3));
    srv(resp(5, 0), resp(6, 0));
    const responses = rec.seen.filter((s) => s.ptype === 2).map((s) => [s.callId, s.iface, s.opnum, s.accepted]);
    expect(responses).toEqual([
      [5, IOXID, 5, true],
      [6, REM_UNKNOWN2, 3, true],
    ]);
    expect(c.contexts.get(0)?.boundBy).toBe(14);
  });

  it('a replacement that the server rejects leaves the context unusable', () => {
    const { rec, cli, srv } = conn();
    cli(BIND_135);
    srv(BIND_ACK_135);
    cli(ALTER_CTX0_REMUNKNOWN2);
    srv(ALTER_REJECT_7);
    cli(req(8, 0, 3));
    expect(rec.last(0)).toMatchObject({ iface: REM_UNKNOWN2, accepted: false });
  });

  it('bind_nak rejects every context of the bind it answers', () => {
    const { c, rec, cli, srv } = conn();
    cli(BIND_135);
    srv(fromHex('05 00 0d 03 10 00 00 00 18 00 00 00 01 00 00 00 04 00 01 05 00 00 00 00'));
    expect([c.contexts.get(0)?.nak, c.contexts.get(0)?.accepted, c.contexts.get(1)?.accepted]).toEqual([
      true,
      false,
      false,
    ]);
    expect(rec.raw.at(-1)?.contexts?.length).toBe(2);
  });

  it('yields the same canonical interface from a big-endian bind + request as from little-endian ones', () => {
    const run = (bind: Uint8Array, ack: Uint8Array, request: Uint8Array) => {
      const { rec, cli, srv } = conn();
      cli(bind);
      srv(ack);
      cli(request);
      return rec.last(0);
    };
    const be = run(
      fromHex(
        `05 00 0b 03 00 00 00 00 00 48 00 00 00 00 00 01 16 d0 16 d0 00 00 00 00 01 00 00 00
         00 00 01 00 12 34 57 78 12 34 ab cd ef 00 01 23 45 67 89 ac 00 00 00 01
         8a 88 5d 04 1c eb 11 c9 9f e8 08 00 2b 10 48 60 00 00 00 02`,
      ),
      fromHex(
        `05 00 0c 03 00 00 00 00 00 3c 00 00 00 00 00 01 16 d0 16 d0 00 00 12 34 00 06 34 39 31 35 34 00
         01 00 00 00 00 00 00 00 8a 88 5d 04 1c eb 11 c9 9f e8 08 00 2b 10 48 60 00 00 00 02`,
      ),
      fromHex('05 00 00 03 00 00 00 00 00 20 00 00 00 00 00 02 00 00 00 08 00 00 00 39 01 02 03 04 05 06 07 08'),
    );
    const le = run(
      fromHex(
        `05 00 0b 03 10 00 00 00 48 00 00 00 01 00 00 00 d0 16 d0 16 00 00 00 00 01 00 00 00
         00 00 01 00 78 57 34 12 34 12 cd ab ef 00 01 23 45 67 89 ac 01 00 00 00 ${NDR}`,
      ),
      fromHex(
        `05 00 0c 03 10 00 00 00 3c 00 00 00 01 00 00 00 d0 16 d0 16 34 12 00 00 06 00 34 39 31 35 34 00
         01 00 00 00 00 00 00 00 ${NDR}`,
      ),
      fromHex('05 00 00 03 10 00 00 00 20 00 00 00 02 00 00 00 08 00 00 00 00 00 39 00 01 02 03 04 05 06 07 08'),
    );
    expect(be).toMatchObject({ iface: SAMR, accepted: true, opnum: 57, littleEndian: false, stub: '0102030405060708' });
    expect({ ...le, littleEndian: false }).toEqual(be);
  });

  it('keeps the table at its capacity when one bind proposes 70 contexts, reporting once', () => {
    // 70 copies of the IOXIDResolver/NDR item of BIND_135 with context ids 0..69
    const item = BIND_135.subarray(28, 72);
    const items = Array.from({ length: 70 }, (_, i) => {
      const it = item.slice();
      it[0] = i;
      return it;
    });
    const len = 28 + 70 * 44;
    const header = fromHex(
      `05 00 0b 03 10 00 00 00 ${hex16(len)} 00 00 01 00 00 00 d0 16 d0 16 00 00 00 00 46 00 00 00`,
    );
    const { c, rec, cli } = conn();
    cli(concat(header, ...items));
    expect(c.contexts.size).toBe(64);
    expect([...c.contexts.entries()].map((e) => e.contextId)).toEqual(Array.from({ length: 64 }, (_, i) => i + 6));
    expect(rec.kinds()).toEqual(['context-table-evicted']);
    expect(rec.problems[0][2]).toContain('pushed out 6 context(s)');
  });

  it('evicts rejected contexts before accepted ones when the table is full', () => {
    const { c, rec, cli, srv } = conn({ maxContexts: 3 });
    cli(
      concat(
        fromHex('05 00 0b 03 10 00 00 00 a0 00 00 00 02 00 00 00 d0 16 d0 16 00 00 00 00 03 00 00 00'),
        SHARPWMI.bindContextItems,
      ),
    );
    srv(SHARPWMI.bindAckKerberos); // [0 accepted, 1 rejected, 2 negotiate_ack]
    cli(ALTER_CTX5_WBEM);
    expect([...c.contexts.entries()].map((e) => e.contextId)).toEqual([0, 2, 5]);
    expect(rec.kinds()).toContain('context-table-evicted');
  });
});

describe('DcerpcConnection: call attribution', () => {
  it('attributes a response and the access-denied fault to the right calls when two are in flight', () => {
    const { c, rec, cli, srv } = conn();
    cli(BIND_135);
    srv(BIND_ACK_135);
    cli(CREATE_INSTANCE_3, SERVER_ALIVE2_4);
    expect(c.calls.size).toBe(2);
    // answers arrive in the other order
    srv(RESPONSE_4, WMI_ACCESS_DENIED_FAULT);
    const response = rec.last(2);
    expect(response).toMatchObject({ callId: 4, opnum: 5, iface: IOXID });
    const fault = rec.last(3);
    expect(fault).toMatchObject({ callId: 3, contextId: 1, opnum: 4, iface: SYSACT, accepted: true, faultStatus: 5 });
    expect(fault.stub).toBeNull();
    expect(c.calls.size).toBe(0);
    expect(c.stats).toMatchObject({ faultsAttributed: 1, responsesAttributed: 1, faultsUnattributed: 0 });
    // the request carried the WMI CLSID in clear
    expect(rec.seen.find((s) => s.callId === 3 && s.ptype === 0)?.stub).toContain('5ef0c38b6bd8d011a07500c04fb68820');
  });

  it('reports a response whose request was never seen without guessing its opnum', () => {
    const { c, rec, cli, srv } = conn();
    cli(BIND_135);
    srv(BIND_ACK_135);
    srv(resp(42, 1));
    expect(rec.last(2)).toMatchObject({ callId: 42, contextId: 1, opnum: undefined, iface: SYSACT });
    expect(c.stats.responsesUnattributed).toBe(1);
  });

  it('evicts the oldest call when the call table is full', () => {
    const { rec, cli, srv } = conn({ maxCalls: 2 });
    cli(BIND_135);
    srv(BIND_ACK_135);
    cli(req(1, 0, 1), req(2, 0, 2), req(3, 0, 3));
    expect(rec.kinds()).toEqual(['call-table-evicted']);
    srv(resp(1, 0), resp(3, 0));
    expect(rec.seen.filter((s) => s.ptype === 2).map((s) => [s.callId, s.opnum])).toEqual([
      [1, undefined],
      [3, 3],
    ]);
  });

  it('orphaned drops the call and co_cancel marks it', () => {
    const { c, cli } = conn();
    cli(BIND_135);
    cli(FRAG1);
    expect(c.calls.get(9)?.request).not.toBeNull();
    cli(fromHex('05 00 13 03 10 00 00 00 10 00 00 00 09 00 00 00'));
    expect(c.calls.get(9)).toBeUndefined();
    cli(req(11, 0, 5), fromHex('05 00 12 03 10 00 00 00 10 00 00 00 0b 00 00 00'));
    expect(c.calls.get(11)?.cancelled).toBe(true);
  });
});

describe('DcerpcConnection: stubs, fragments, sealing', () => {
  it('reassembles a three-fragment request stub and hands it out on the last fragment', () => {
    const { rec, cli, srv } = conn();
    cli(BIND_135);
    srv(BIND_ACK_135);
    cli(FRAG1, FRAG2, FRAG3);
    const reqs = rec.seen.filter((s) => s.ptype === 0);
    expect(reqs.map((s) => [s.firstFrag, s.lastFrag, s.stub, s.reassembled])).toEqual([
      [true, false, '414141414141', false],
      [false, false, '424242424242', false],
      [false, true, '41414141414142424242424243434343', true],
    ]);
    expect(reqs.every((s) => s.opnum === 24 && s.iface === IOXID)).toBe(true);
    expect(reqs[2].auth).toEqual([10, 5, 1]);
    srv(resp(9, 0));
    expect(rec.last(2).opnum).toBe(24);
  });

  it('reassembles fragments split across segments at every byte boundary', () => {
    const stream = concat(FRAG1, FRAG2, FRAG3);
    for (let i = 1; i < stream.length; i++) {
      const { rec, c } = conn();
      c.onData(0, BIND_135, 1);
      c.onData(0, stream.subarray(0, i), 2);
      c.onData(0, stream.subarray(i), 3);
      expect(rec.last(0).stub, `split at ${i}`).toBe('41414141414142424242424243434343');
    }
  });

  it('reassembles a multi-fragment response', () => {
    const { rec, cli, srv } = conn();
    cli(BIND_135);
    srv(BIND_ACK_135);
    cli(req(9, 0, 24));
    const r = (flags: string, stub: string) =>
      fromHex(`05 00 02 ${flags} 10 00 00 00 1c 00 00 00 09 00 00 00 0c 00 00 00 00 00 00 00 ${stub}`);
    srv(r('01', 'aa bb cc dd'), r('00', '11 22 33 44'), r('02', '55 66 77 88'));
    const last = rec.last(2);
    expect([last.stub, last.reassembled, last.opnum]).toEqual(['aabbccdd1122334455667788', true, 24]);
  });

  it('a gap between fragments leaves the joined stub marked incomplete, not glued together', () => {
    const { rec, c } = conn();
    c.onData(0, concat(BIND_135, FRAG1), 1);
    c.onGap(0, FRAG2.length, 2);
    c.onData(0, FRAG3, 3);
    const last = rec.last(0);
    expect([last.lastFrag, last.incomplete, last.reassembled, last.stub]).toEqual([true, true, false, '43434343']);
    expect(rec.kinds()).toEqual(['gap']);
  });

  it('a middle fragment without its first is reported and not reassembled', () => {
    const { rec, cli } = conn();
    cli(BIND_135, FRAG2, FRAG3);
    expect(rec.kinds()).toEqual(['fragment-without-first']);
    expect(rec.last(0)).toMatchObject({ incomplete: true, stub: '43434343', opnum: 24 });
  });

  it('bounds a reassembled stub at maxStubSize and marks it truncated', () => {
    const { rec, cli } = conn({ maxStubSize: 10 });
    cli(BIND_135, FRAG1, FRAG2, FRAG3);
    expect(rec.kinds()).toEqual(['stub-too-large']);
    expect(rec.last(0)).toMatchObject({ stub: '41414141414142424242', truncated: true, reassembled: true });
  });

  it('shares a reassembly budget across connections and gives it back when calls end or connections close', () => {
    const budget = new MemoryBudget(260);
    const a = conn({ sharedBudget: budget });
    a.cli(BIND_135, FRAG1); // first fragment: a 256-byte buffer
    expect(budget.used).toBe(256);
    const b = conn({ sharedBudget: budget });
    b.cli(BIND_135, FRAG1, FRAG2, FRAG3); // only 4 bytes left for this one
    expect(b.rec.kinds()).toEqual(['stub-too-large']);
    expect(b.rec.last(0)).toMatchObject({ stub: '41414141', truncated: true });
    expect(budget.used).toBe(256); // b's call completed and released its 4 bytes
    expect(budget.refusals).toBe(1);
    a.c.onClose('rst', 9);
    expect(budget.used).toBe(0);
    expect(budget.peak).toBe(260);
  });

  it('a packet-privacy request: header, interface and opnum decoded, stub null, sealed (sharpwmi frame 101)', () => {
    const { c, rec, cli, srv } = conn();
    cli(ALTER_CTX5_WBEM);
    srv(ALTER_RESP_9);
    cli(SHARPWMI.sealedExecQuery);
    const ev = rec.raw.at(-1)!;
    const s = rec.last(0);
    expect(s).toMatchObject({
      callId: 9,
      contextId: 5,
      opnum: 20,
      iface: WBEM_SERVICES,
      accepted: true,
      sealed: true,
      stub: null,
      auth: [9, 6, 2],
      inherited: false,
      objectUuid: '0001800f-0a80-0000-0d85-63b84cad7fb8',
    });
    expect(ev.auth?.sealed).toBe(true);
    expect(c.stats.sealedPdus).toBe(1);
    expect(c.calls.get(9)?.sealed).toBe(true);
  });

  it('toDceView(copy) snapshots the DceView fields so they outlive the callback', () => {
    const views: ReturnType<typeof toDceView>[] = [];
    const c = new DcerpcConnection({
      onPdu: (ev) => {
        if (ev.ptype === 0) views.push(toDceView(ev, true));
      },
      onProblem: () => {},
    });
    const chunk = concat(BIND_135, CREATE_INSTANCE_3);
    c.onData(0, chunk, 1);
    chunk.fill(0); // the reassembler reuses its buffers
    expect(views[0]).toEqual({
      ptype: 0,
      pfcFlags: 3,
      littleEndian: true,
      callId: 3,
      contextId: 1,
      opnum: 4,
      iface: { uuid: SYSACT, verMajor: 0, verMinor: 0, accepted: false, bindFirstFrag: true },
      stub: fromHex('5e f0 c3 8b 6b d8 d0 11 a0 75 00 c0 4f b6 88 20 00 00 00 00 00 00 00 00'),
      sealed: false,
      firstFrag: true,
      lastFrag: true,
      faultStatus: undefined,
      objectUuid: undefined,
    });
  });
});

describe('DcerpcConnection: authentication', () => {
  it('tracks the NTLMSSP security context through bind and auth3 (impacket wmiexec frames 17, 19)', () => {
    const { c, rec, cli } = conn();
    cli(WMIEXEC.bind, WMIEXEC.auth3);
    expect([...c.securityContexts.values()]).toEqual([
      {
        authContextId: 79231,
        authType: 10,
        authLevel: 6,
        info: { authType: 10, authLevel: 6, authContextId: 79231 },
        firstPtype: 11,
        firstTsUs: 1_000_000,
        pdus: 2,
      },
    ]);
    expect(rec.raw[1].auth?.value[8]).toBe(3); // NTLMSSP AUTHENTICATE carried by auth3
    expect(c.contexts.get(0)?.auth).toEqual({ authType: 10, authLevel: 6, authContextId: 79231 });
  });

  it('keeps several security contexts apart (NTLM on one context, a second NTLM context by alter_context)', () => {
    const { c, cli } = conn();
    cli(WMIEXEC.bind, WMIEXEC.alterContext);
    expect([...c.securityContexts.keys()]).toEqual([79231, 79232]);
    expect(c.contexts.get(1)?.auth).toEqual({ authType: 10, authLevel: 5, authContextId: 79232 });
  });

  it('a request without a verifier inherits the security context of its bind (auth level connect)', () => {
    const bind = WMIEXEC.bind.slice();
    bind[112 - 32 - 8 + 1] = 2; // auth_level connect
    const { rec, cli } = conn();
    cli(bind, fromHex('05 00 00 03 10 00 00 00 18 00 00 00 02 00 00 00 00 00 00 00 00 00 04 00'));
    expect(rec.last(0)).toMatchObject({ auth: [10, 2, 79231], inherited: true, sealed: false, iface: SYSACT });
  });

  it('a request without a verifier on a context bound at packet level or above is unauthenticated', () => {
    const { rec, cli } = conn();
    cli(WMIEXEC.bind); // NTLMSSP at packet privacy: every authenticated request must carry a verifier
    cli(fromHex('05 00 00 03 10 00 00 00 18 00 00 00 02 00 00 00 00 00 00 00 00 00 04 00'));
    expect(rec.last(0)).toMatchObject({ auth: undefined, inherited: false, sealed: false, iface: SYSACT });
  });

  it('responses and faults without a verifier are reported under the auth of the call they answer', () => {
    const { rec, cli, srv } = conn();
    cli(BIND_135);
    srv(BIND_ACK_135);
    cli(SHARPWMI.setClientInfoEx.slice()); // call_id 5, SPNEGO level 4, auth_context_id 1
    srv(fromHex('05 00 03 03 10 00 00 00 20 00 00 00 05 00 00 00 20 00 00 00 03 00 00 00 05 00 00 00 00 00 00 00'));
    expect(rec.last(3)).toMatchObject({ auth: [9, 4, 1], inherited: true, faultStatus: 5, opnum: 3 });
    const bind = WMIEXEC.bind.slice();
    bind[112 - 32 - 8 + 1] = 2; // auth_level connect: requests carry no verifier
    const c2 = conn();
    c2.cli(bind, fromHex('05 00 00 03 10 00 00 00 18 00 00 00 03 00 00 00 00 00 00 00 00 00 04 00'));
    c2.srv(WMI_ACCESS_DENIED_FAULT);
    expect(c2.rec.last(3)).toMatchObject({ auth: [10, 2, 79231], inherited: true, faultStatus: 5, opnum: 4 });
  });
});

describe('DcerpcConnection: problems', () => {
  it('delivers an undecodable PDU as an event with its problem, and keeps going', () => {
    const { rec, cli } = conn();
    cli(BIND_135, fromHex('05 00 00 03 10 00 00 00 14 00 00 00 02 00 00 00 00 00 00 00'), SERVER_ALIVE2_4);
    expect(rec.seen.map((s) => [s.ptype, s.problem])).toEqual([
      [11, undefined],
      [0, 'truncated-body'],
      [0, undefined],
    ]);
    expect(rec.kinds()).toEqual(['truncated-body']);
  });

  it('reports a bind_ack that answers nothing, and a result count that does not match', () => {
    const { rec, cli, srv } = conn();
    srv(SHARPWMI.bindAck);
    expect(rec.kinds()).toEqual(['bind-ack-unmatched']);
    cli(SHARPWMI.alterContext.slice()); // call_id 5, one item
    const twoResults = SHARPWMI.bindAck.slice();
    twoResults[12] = 5; // same call_id as the alter_context, two results for one item
    srv(twoResults);
    expect(rec.kinds()).toEqual(['bind-ack-unmatched', 'bind-ack-count-mismatch']);
  });

  it('reports a client switching integer byte order mid-connection', () => {
    const { rec, cli } = conn();
    cli(SERVER_ALIVE2_4);
    cli(fromHex('05 00 00 03 00 00 00 00 00 18 00 00 00 00 00 05 00 00 00 00 00 00 00 05'));
    expect(rec.kinds()).toEqual(['byte-order-changed']);
    expect(rec.seen.map((s) => [s.callId, s.littleEndian])).toEqual([
      [4, true],
      [5, false],
    ]);
  });

  it('counts problems per kind and PDUs per type', () => {
    const { c, cli, srv } = conn();
    cli(BIND_135, CREATE_INSTANCE_3);
    srv(BIND_ACK_135, WMI_ACCESS_DENIED_FAULT);
    c.onGap(1, 10, 5);
    expect(c.stats.pdusByType[11]).toBe(1);
    expect(c.stats.pdusByType[12]).toBe(1);
    expect(c.stats.pdusByType[0]).toBe(1);
    expect(c.stats.pdusByType[3]).toBe(1);
    expect(c.stats.problems.get('gap')).toBe(1);
  });

  it('replays the suricata-verify gap test: the request after the gap still resolves to SAMR', () => {
    const { rec, c } = conn();
    // client: bind of SAMR (call_id 1) reduced to its context list, then a 215-byte gap (the alter_context)
    c.onData(
      0,
      fromHex(
        `05 00 0b 03 10 00 00 00 48 00 00 00 01 00 00 00 d0 16 d0 16 00 00 00 00 01 00 00 00
         00 00 01 00 78 57 34 12 34 12 cd ab ef 00 01 23 45 67 89 ac 01 00 00 00 ${NDR}`,
      ),
      1,
    );
    c.onData(
      1,
      fromHex(
        `05 00 0c 03 10 00 00 00 3c 00 00 00 01 00 00 00 d0 16 d0 16 6d 77 00 00 06 00 34 39 31 35 34 00
         01 00 00 00 00 00 00 00 ${NDR}`,
      ),
      2,
    );
    c.onGap(0, 215, 3);
    c.onData(1, GAP_HANDLING.alterContextResp, 4);
    c.onData(0, GAP_HANDLING.request, 5);
    c.onData(1, GAP_HANDLING.fault, 6);
    expect(rec.last(0)).toMatchObject({ callId: 2, opnum: 0, iface: SAMR, accepted: true, auth: [9, 5, 0x41c6012d] });
    expect(rec.last(3)).toMatchObject({ callId: 2, opnum: 0, iface: SAMR, faultStatus: 0x721 });
    // the alter_context_resp answers an alter_context lost in the gap
    expect(rec.kinds()).toEqual(['gap', 'bind-ack-unmatched']);
    expect(c.framers[0].stats.resyncs).toBe(1);
  });

  it('ignores data after close and releases state', () => {
    const { c, rec } = conn();
    c.onData(0, BIND_135, 1);
    c.onClose('fin', 2);
    c.onData(0, SERVER_ALIVE2_4, 3);
    expect(rec.seen.length).toBe(1);
    expect(c.wantsPayload()).toBe(false);
  });
});
