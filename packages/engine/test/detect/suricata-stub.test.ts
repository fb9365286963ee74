/**
 * Suricata's dcerpc.stub_data buffer (stubBuffer 'suricata'): literal PDUs in, the exact bytes Suricata would
 * inspect out — [24, frag_length) of a request, [16, frag_length) of a response, joined per call and direction.
 */
import { describe, expect, it } from 'vitest';
import { DcePduEvent } from '../../src/dcerpc/event.js';
import { MemoryBudget } from '../../src/dcerpc/stub-assembler.js';
import { SURICATA_MAX_STUB_SIZE, SuricataStubJoiner } from '../../src/detect/suricata-stub.js';
import { compileRules } from '../../src/rules/index.js';
import { sids, pdu as unit } from '../rules/helpers.js';

/** A little-endian CO PDU: common header, then `body` (everything after byte 16), frag_length and auth_length set. */
function coPdu(ptype: number, pfc: number, callId: number, body: number[], authLen = 0): Uint8Array {
  const len = 16 + body.length;
  return new Uint8Array([
    0x05,
    0x00,
    ptype,
    pfc,
    0x10,
    0x00,
    0x00,
    0x00,
    len & 0xff,
    len >> 8,
    authLen & 0xff,
    authLen >> 8,
    callId & 0xff,
    (callId >> 8) & 0xff,
    0,
    0,
    ...body,
  ]);
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => (from + i) & 0xff);

function event(p: Uint8Array, dir: 0 | 1, opts: { sealed?: boolean; objectUuid?: boolean } = {}): DcePduEvent {
  const ev = new DcePduEvent(dir, 0, p, p[2], p[3], true, p[12] | (p[13] << 8), opts.objectUuid ? 24 : -1);
  ev.sealed = opts.sealed ?? false;
  return ev;
}

describe('SuricataStubJoiner', () => {
  // request: alloc_hint 8, ctx 1, opnum 4, object UUID (16 bytes 0xa0..), NDR stub 8 bytes, auth pad 0,
  // sec_trailer (type 9 level 4 pad 0 rsvd 0 ctx 0), verifier 16 bytes — pfc 0x83 as in suricata-verify's captures
  const objectUuid = range(0xa0, 16);
  const ndr = range(0x01, 8);
  const trailer = [9, 4, 0, 0, 0, 0, 0, 0];
  const verifier = range(0xf0, 16);
  const request = coPdu(0, 0x83, 7, [8, 0, 0, 0, 1, 0, 4, 0, ...objectUuid, ...ndr, ...trailer, ...verifier], 16);
  // response: alloc_hint 8, ctx 1, cancel 0, reserved, NDR 8 bytes
  const response = coPdu(2, 0x03, 7, [8, 0, 0, 0, 1, 0, 0, 0, ...range(0x41, 8)]);

  it('an unfragmented request: everything after the 24-byte header (object UUID, trailer, verifier), no copy', () => {
    const j = new SuricataStubJoiner(new MemoryBudget(1 << 20));
    const ev = event(request, 0, { objectUuid: true });
    j.fill(ev);
    expect([...ev.suricataStub!]).toEqual([...objectUuid, ...ndr, ...trailer, ...verifier]);
    expect(ev.suricataStub!.buffer).toBe(request.buffer);
  });

  it('an unfragmented response: everything after the 16-byte common header (response header included)', () => {
    const j = new SuricataStubJoiner(new MemoryBudget(1 << 20));
    const ev = event(response, 1);
    j.fill(ev);
    expect([...ev.suricataStub!]).toEqual([8, 0, 0, 0, 1, 0, 0, 0, ...range(0x41, 8)]);
  });

  it('fragments of one call are joined per direction; the join is released after the last fragment', () => {
    const budget = new MemoryBudget(1 << 20);
    const j = new SuricataStubJoiner(budget);
    const hdr = [100, 0, 0, 0, 0, 0, 9, 0];
    const f1 = event(coPdu(0, 0x01, 5, [...hdr, ...range(0x10, 4)]), 0);
    const other = event(coPdu(0, 0x01, 6, [...hdr, 0xee]), 0); // another call in flight
    const back = event(coPdu(2, 0x01, 5, [...hdr, 0x77]), 1); // the same call_id, other direction
    const f2 = event(coPdu(0, 0x00, 5, [...hdr, ...range(0x20, 3)]), 0);
    const f3 = event(coPdu(0, 0x02, 5, [...hdr, ...range(0x30, 2)]), 0);
    j.fill(f1);
    expect([...f1.suricataStub!]).toEqual(range(0x10, 4));
    j.fill(other);
    j.fill(back);
    expect([...back.suricataStub!]).toEqual([...hdr, 0x77]);
    j.fill(f2);
    expect([...f2.suricataStub!]).toEqual([...range(0x10, 4), ...range(0x20, 3)]);
    j.fill(f3);
    expect([...f3.suricataStub!]).toEqual([...range(0x10, 4), ...range(0x20, 3), ...range(0x30, 2)]);
    expect(budget.used).toBeGreaterThan(0); // calls 6 (request) and 5 (response) still open
    j.clear();
    expect(budget.used).toBe(0);
  });

  it('a middle fragment whose first was missed starts a join; a new first fragment restarts it', () => {
    const j = new SuricataStubJoiner(new MemoryBudget(1 << 20));
    const hdr = [0, 0, 0, 0, 0, 0, 0, 0];
    const mid = event(coPdu(0, 0x00, 3, [...hdr, 1, 2]), 0);
    j.fill(mid);
    expect([...mid.suricataStub!]).toEqual([1, 2]);
    const first = event(coPdu(0, 0x01, 3, [...hdr, 3]), 0);
    j.fill(first);
    expect([...first.suricataStub!]).toEqual([3]);
  });

  it('sealed PDUs, other PDU types and PDUs shorter than the header get no buffer', () => {
    const j = new SuricataStubJoiner(new MemoryBudget(1 << 20));
    const sealed = event(request, 0, { sealed: true, objectUuid: true });
    j.fill(sealed);
    expect(sealed.suricataStub).toBeNull();
    const bind = event(coPdu(11, 0x03, 1, [0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 0, 0, 0, 0]), 0);
    j.fill(bind);
    expect(bind.suricataStub).toBeNull();
    const short = event(coPdu(0, 0x03, 1, [0, 0, 0, 0]), 0);
    j.fill(short);
    expect(short.suricataStub).toBeNull();
  });

  it('bounded: a join stops at max-stub-size (1 MiB) and at the shared memory budget, without throwing', () => {
    const big = new Array(700 * 1024).fill(0x5a);
    const hdr = [0, 0, 0, 0, 0, 0, 0, 0];
    const j = new SuricataStubJoiner(new MemoryBudget(64 << 20));
    const a = event(coPdu(0, 0x01, 9, [...hdr, ...big]), 0);
    const b = event(coPdu(0, 0x02, 9, [...hdr, ...big]), 0);
    j.fill(a);
    j.fill(b);
    expect(b.suricataStub!.length).toBe(SURICATA_MAX_STUB_SIZE);

    const tight = new MemoryBudget(1000);
    const k = new SuricataStubJoiner(tight);
    const c = event(coPdu(0, 0x01, 9, [...hdr, ...range(0, 200)]), 0);
    const d = event(coPdu(0, 0x00, 9, [...hdr, ...big.slice(0, 5000)]), 0);
    k.fill(c);
    k.fill(d);
    expect(d.suricataStub!.length).toBeLessThanOrEqual(1000);
    expect([...d.suricataStub!.subarray(0, 200)]).toEqual(range(0, 200));
    expect(tight.used).toBeLessThanOrEqual(1000);
  });
});

describe('stubBuffer: what dce_stub_data inspects', () => {
  const rule = 'alert dcerpc any any -> any any (dcerpc.stub_data; bsize:48; content:"|a0 a1|"; startswith; sid:1;)';
  const ndr = range(0x01, 8);
  const suricata = [...range(0xa0, 16), ...ndr, ...range(0xf0, 24)];

  it("'ndr' (default) inspects DceView.stub; 'suricata' inspects DceView.suricataStub", () => {
    const dflt = compileRules({ file: 't.rules', text: rule });
    const sur = compileRules({ file: 't.rules', text: rule }, { stubBuffer: 'suricata' });
    expect(dflt.ruleSet.stubBuffer).toBe('ndr');
    expect(sur.ruleSet.stubBuffer).toBe('suricata');
    const ctx = () => unit(new Uint8Array(72), { stub: new Uint8Array(ndr), suricataStub: new Uint8Array(suricata) });
    expect(sids(dflt, ctx())).toEqual([]);
    expect(sids(sur, ctx())).toEqual([1]);
    // no Suricata buffer filled (or a sealed PDU): nothing to inspect
    expect(sids(sur, unit(new Uint8Array(72), { stub: new Uint8Array(ndr) }))).toEqual([]);
    expect(sids(sur, unit(new Uint8Array(72), { suricataStub: new Uint8Array(suricata), sealed: true }))).toEqual([]);
  });
});
