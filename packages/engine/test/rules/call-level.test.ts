/**
 * Call-level DCE/RPC rule options (dce_fault, dce_call_iface, dce_call_opnum, dce_hresult, dce_auth_level) on literal
 * PDUs run through the real DCE/RPC connection layer, so a fault is attributed to its call by call_id exactly as in
 * the engine; and on the generator's fault-other-call / wmi-activation-denied scenarios, whose described ground truth
 * says which call each fault answers.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildScenario } from '@wmi-detect/capture-gen';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/dcerpc/bytes.js';
import { DcerpcConnection, type DcerpcListener } from '../../src/dcerpc/connection.js';
import type { DcePduEvent } from '../../src/dcerpc/event.js';
import { Engine } from '../../src/detect/engine.js';
import type { EveRecord } from '../../src/output/eve.js';
import type { CompileResult, InspectionContext } from '../../src/rules/index.js';
import { BIND_135, BIND_ACK_135, CREATE_INSTANCE_3, SERVER_ALIVE2_4 } from '../dcerpc/literal-pdus.js';
import { scenarioFrames } from '../detect/helpers.js';
import { diagnose, flow, load, problems, sids } from './helpers.js';

const SYSACT = '000001a0-0000-0000-c000-000000000046';

/** fault, little-endian: call_id, p_cont_id, status. */
const fault = (callId: number, ctx: number, status: string) =>
  fromHex(`05 00 03 03 10 00 00 00 20 00 00 00 ${callId.toString(16).padStart(2, '0')} 00 00 00 20 00 00 00
           ${ctx.toString(16).padStart(2, '0')} 00 00 00 ${status} 00 00 00 00`);
/** response call_id 3, ctx 1: a 12-byte stub whose last 4 bytes (the HRESULT) are `hr` (little-endian bytes). */
const response3 = (hr: string) =>
  fromHex(`05 00 02 03 10 00 00 00 24 00 00 00 03 00 00 00 0c 00 00 00 01 00 00 00 aa bb cc dd ee ff 00 11 ${hr}`);

/** Big-endian (drep 00 00 00 00) versions: the fault status is read in the fault's own byte order. */
const BIND_BE = fromHex(
  `05 00 0b 03 00 00 00 00 00 48 00 00 00 00 00 01 16 d0 16 d0 00 00 00 00 01 00 00 00
   00 01 01 00 00 00 01 a0 00 00 00 00 c0 00 00 00 00 00 00 46 00 00 00 00
   8a 88 5d 04 1c eb 11 c9 9f e8 08 00 2b 10 48 60 00 00 00 02`,
);
const BIND_ACK_BE = fromHex(
  `05 00 0c 03 00 00 00 00 00 3c 00 00 00 00 00 01 16 d0 16 d0 00 00 12 34 00 04 31 33 35 00 00 00
   01 00 00 00 00 00 00 00 8a 88 5d 04 1c eb 11 c9 9f e8 08 00 2b 10 48 60 00 00 00 02`,
);
const CREATE_INSTANCE_BE = fromHex('05 00 00 03 00 00 00 00 00 18 00 00 00 00 00 07 00 00 00 00 00 01 00 04');
const FAULT5_BE = fromHex(
  '05 00 03 03 00 00 00 00 00 20 00 00 00 00 00 07 00 00 00 20 00 01 00 00 00 00 00 05 00 00 00 00',
);

/** Feeds literal PDUs through a DcerpcConnection and evaluates the rules on every PDU, as the engine does. */
function runPdus(r: CompileResult, script: [0 | 1, Uint8Array][]): { ptype: number; callId: number; sids: number[] }[] {
  const out: { ptype: number; callId: number; sids: number[] }[] = [];
  const view = flow({ isDcerpc: true });
  const listener: DcerpcListener = {
    onPdu(ev: DcePduEvent) {
      view.toServer = ev.dir === 0;
      const ctx: InspectionContext = {
        tsUs: ev.tsUs,
        srcIp: ev.dir === 0 ? '10.0.0.10' : '10.0.0.20',
        dstIp: ev.dir === 0 ? '10.0.0.20' : '10.0.0.10',
        srcPort: ev.dir === 0 ? 50000 : 135,
        dstPort: ev.dir === 0 ? 135 : 50000,
        proto: 6,
        flow: view,
        payload: ev.pdu,
        dce: ev,
      };
      out.push({ ptype: ev.ptype, callId: ev.callId, sids: sids(r, ctx) });
    },
    onProblem() {},
  };
  const c = new DcerpcConnection(listener, {});
  let ts = 1_000_000;
  for (const [dir, bytes] of script) c.onData(dir, bytes, ts++);
  return out;
}

const faultsOf = (seen: { ptype: number; callId: number; sids: number[] }[]) =>
  seen.filter((s) => s.ptype === 3).map((s) => [s.callId, s.sids]);

describe('dce_fault / dce_call_iface / dce_call_opnum on literal PDUs', () => {
  const rules = load(
    [
      'alert tcp any any -> any any (msg:"any fault"; dce_fault; sid:1;)',
      'alert tcp any any -> any any (msg:"access denied"; dce_fault:nca_s_fault_access_denied; sid:2;)',
      `alert tcp any any -> any any (msg:"activation refused"; flow:to_client; dce_fault:5,0x80070005; dce_call_iface:${SYSACT}; dce_call_opnum:3-4; sid:3;)`,
      `alert tcp any any -> any any (msg:"activation answered"; dce_call_iface:${SYSACT.toUpperCase()},=0; sid:4;)`,
      'alert tcp any any -> any any (msg:"ServerAlive2 answered"; dce_call_opnum:5; sid:5;)',
      'alert tcp any any -> any any (msg:"other status"; dce_fault:rpc_s_procnum_out_of_range,nca_s_op_rng_error; sid:6;)',
    ].join('\n'),
  );

  it('the fault answering the activation (call 3) fires the call-level rule while call 4 is in flight', () => {
    const seen = runPdus(rules, [
      [0, BIND_135],
      [1, BIND_ACK_135],
      [0, CREATE_INSTANCE_3],
      [0, SERVER_ALIVE2_4],
      [1, fault(3, 1, '05 00 00 00')],
    ]);
    expect(faultsOf(seen)).toEqual([[3, [1, 2, 3, 4]]]);
    // requests are not answers: the call-level options never match them
    for (const s of seen.filter((x) => x.ptype === 0)) expect(s.sids).toEqual([]);
  });

  it('the same status answering the other call (4, IOXIDResolver) is not the activation refused', () => {
    const seen = runPdus(rules, [
      [0, BIND_135],
      [1, BIND_ACK_135],
      [0, CREATE_INSTANCE_3],
      [0, SERVER_ALIVE2_4],
      [1, fault(4, 0, '05 00 00 00')],
    ]);
    expect(faultsOf(seen)).toEqual([[4, [1, 2, 5]]]);
  });

  it('a fault whose request was never seen matches dce_fault but no call-level option (no guess from p_cont_id)', () => {
    const seen = runPdus(rules, [
      [0, BIND_135],
      [1, BIND_ACK_135],
      [1, fault(9, 1, '05 00 00 00')],
    ]);
    expect(faultsOf(seen)).toEqual([[9, [1, 2]]]);
  });

  it('status lists accept numbers, hex and names (aliases included)', () => {
    const seen = runPdus(rules, [
      [0, BIND_135],
      [1, BIND_ACK_135],
      [0, CREATE_INSTANCE_3],
      [1, fault(3, 1, '05 00 07 80')], // 0x80070005 E_ACCESSDENIED
      [0, SERVER_ALIVE2_4],
      [1, fault(4, 0, 'd1 06 00 00')], // 0x6d1 rpc_s_procnum_out_of_range
    ]);
    expect(faultsOf(seen)).toEqual([
      [3, [1, 3, 4]],
      [4, [1, 5, 6]],
    ]);
  });

  it('big-endian fault: status read in the fault PDU byte order and attributed to its call', () => {
    const seen = runPdus(rules, [
      [0, BIND_BE],
      [1, BIND_ACK_BE],
      [0, CREATE_INSTANCE_BE],
      [1, FAULT5_BE],
    ]);
    expect(seen.map((s) => s.ptype)).toEqual([11, 12, 0, 3]);
    expect(faultsOf(seen)).toEqual([[7, [1, 2, 3, 4]]]);
  });
});

describe('dce_hresult on literal responses', () => {
  const rules = load(
    [
      `alert tcp any any -> any any (msg:"activation access denied"; dce_hresult:E_ACCESSDENIED; dce_call_iface:${SYSACT}; dce_call_opnum:4; sid:10;)`,
      'alert tcp any any -> any any (msg:"failed"; dce_hresult:failed; sid:11;)',
      'alert tcp any any -> any any (msg:"wbem denied"; dce_hresult:WBEM_E_ACCESS_DENIED,0; sid:12;)',
    ].join('\n'),
  );
  const script = (hr: string): [0 | 1, Uint8Array][] => [
    [0, BIND_135],
    [1, BIND_ACK_135],
    [0, CREATE_INSTANCE_3],
    [1, response3(hr)],
  ];
  const responses = (hr: string) =>
    runPdus(rules, script(hr))
      .filter((s) => s.ptype === 2)
      .map((s) => s.sids);

  it('reads the return value from the last 4 bytes of the response stub, in the PDU byte order', () => {
    expect(responses('05 00 07 80')).toEqual([[10, 11]]);
    expect(responses('03 10 04 80')).toEqual([[11, 12]]);
    expect(responses('00 00 00 00')).toEqual([[12]]);
    expect(responses('05 00 00 00')).toEqual([[]]); // ERROR_ACCESS_DENIED as a Win32 code is not a failing HRESULT
  });

  it('never matches a sealed, truncated or incomplete stub, a request, or a middle fragment', () => {
    const r = load('alert tcp any any -> any any (msg:"failed"; dce_hresult:failed; sid:11;)');
    const stub = fromHex('00 00 00 00 05 00 07 80');
    const base = {
      ptype: 2,
      pfcFlags: 3,
      littleEndian: true,
      callId: 3,
      contextId: 1,
      opnum: 4,
      stub,
      sealed: false,
      firstFrag: true,
      lastFrag: true,
    };
    const ctx = (dce: Partial<typeof base> & Record<string, unknown>): InspectionContext => ({
      tsUs: 0,
      srcIp: '10.0.0.20',
      dstIp: '10.0.0.10',
      srcPort: 135,
      dstPort: 50000,
      proto: 6,
      flow: flow({ isDcerpc: true, toServer: false }),
      payload: new Uint8Array(24),
      dce: { ...base, ...dce },
    });
    expect(sids(r, ctx({}))).toEqual([11]);
    expect(sids(r, ctx({ sealed: true }))).toEqual([]);
    expect(sids(r, ctx({ stubTruncated: true }))).toEqual([]);
    expect(sids(r, ctx({ stubIncomplete: true }))).toEqual([]);
    expect(sids(r, ctx({ ptype: 0 }))).toEqual([]);
    expect(sids(r, ctx({ lastFrag: false, pfcFlags: 1 }))).toEqual([]);
    expect(sids(r, ctx({ littleEndian: false }))).toEqual([]); // 0x05000780 read big-endian: success
  });
});

describe('dce_auth_level', () => {
  const r = load(
    [
      'alert tcp any any -> any any (msg:"privacy"; dce_auth_level:privacy; sid:1;)',
      'alert tcp any any -> any any (msg:"below integrity"; dce_auth_level:<integrity; sid:2;)',
      'alert tcp any any -> any any (msg:"none"; dce_auth_level:none; sid:3;)',
      'alert tcp any any -> any any (msg:"not 4"; dce_auth_level:!4; sid:4;)',
    ].join('\n'),
  );
  const at = (authLevel: number | undefined): InspectionContext => ({
    tsUs: 0,
    srcIp: '10.0.0.10',
    dstIp: '10.0.0.20',
    srcPort: 50000,
    dstPort: 49154,
    proto: 6,
    flow: flow({ isDcerpc: true }),
    payload: new Uint8Array(24),
    dce: {
      ptype: 0,
      pfcFlags: 3,
      littleEndian: true,
      callId: 1,
      stub: null,
      sealed: authLevel === 6,
      firstFrag: true,
      lastFrag: true,
      authLevel,
    },
  });
  it('compares the level in effect; no authentication counts as none', () => {
    expect(sids(r, at(6))).toEqual([1, 4]);
    expect(sids(r, at(5))).toEqual([4]);
    expect(sids(r, at(4))).toEqual([2]);
    expect(sids(r, at(2))).toEqual([2, 4]);
    expect(sids(r, at(undefined))).toEqual([2, 3, 4]);
    expect(sids(r, at(1))).toEqual([2, 3, 4]);
  });
});

describe('call-level options: diagnostics', () => {
  it('reports bad values with their column, and contradictions as warnings', () => {
    const r = diagnose(
      [
        'alert tcp any any -> any any (msg:"a"; dce_fault:nca_s_no_such_thing; sid:1;)',
        'alert tcp any any -> any any (msg:"b"; dce_call_iface:000001a0-0000-0000-c000-000000000046,any_frag; sid:2;)',
        'alert tcp any any -> any any (msg:"c"; dce_hresult; sid:3;)',
        'alert tcp any any -> any any (msg:"d"; dce_call_opnum:5-3; sid:4;)',
        'alert tcp any any -> any any (msg:"e"; flow:to_server; dce_fault:5; sid:5;)',
        'alert tcp any any -> any any (msg:"f"; dce_fault:5; dce_hresult:failed; sid:6;)',
        'alert tcp any any -> any any (msg:"g"; dce_auth_level:secret; sid:7;)',
        'alert tcp any any -> any any (msg:"h"; dce_fault:5; dce_fault:6; sid:8;)',
        'alert tcp any any -> any any (msg:"i"; dce_hresult:0x1ffffffff; sid:9;)',
      ].join('\n'),
    );
    expect(problems(r)).toEqual([
      [
        'error',
        1,
        50,
        "dce_fault: unknown status name 'nca_s_no_such_thing'; expected a number (5, 0x80070005) or a status name (nca_s_fault_access_denied, E_ACCESSDENIED, WBEM_E_ACCESS_DENIED, …)",
      ],
      ['error', 2, 92, "dce_call_iface: expected '<op><major version>' (op one of < > = !), found 'any_frag'"],
      ['error', 3, 51, "option 'dce_hresult' needs a value"],
      ['error', 4, 55, "dce_call_opnum: range '5-3' has its low end above its high end"],
      [
        'warning',
        5,
        45,
        'dce_call_iface, dce_call_opnum, dce_fault and dce_hresult match responses and faults (server to client); with flow:to_server the rule never matches',
      ],
      ['warning', 6, 40, 'dce_fault matches fault PDUs and dce_hresult response PDUs: together the rule never matches'],
      [
        'error',
        7,
        55,
        "dce_auth_level: expected [=|!|<|>|<=|>=]<level>, level 0-6 or none, connect, call, pkt, integrity, privacy; found 'secret'",
      ],
      ['error', 8, 53, "'dce_fault' appears twice"],
      [
        'error',
        9,
        52,
        "dce_hresult: '0x1ffffffff' is not a status; expected a number (5, 0x80070005) or a status name (nca_s_fault_access_denied, E_ACCESSDENIED, WBEM_E_ACCESS_DENIED, …) or 'failed'",
      ],
    ]);
    expect(r.rules.map((x) => x.sid)).toEqual([5, 6]);
  });

  it('call-level options make a DCE/RPC rule', () => {
    const r = load('alert tcp any any -> any 135 (msg:"x"; dce_fault; sid:1;)');
    expect(r.rules[0].unit).toBe('dcerpc');
  });
});

describe('on generated captures (ground truth from the generator)', () => {
  const RULES = [
    'alert tcp any any -> any any (msg:"activation refused"; flow:to_client,established; dce_fault:nca_s_fault_access_denied; dce_call_iface:000001a0-0000-0000-c000-000000000046; dce_call_opnum:4; sid:100;)',
    'alert tcp any any -> any any (msg:"any access denied"; flow:to_client,established; dce_fault:5; sid:101;)',
  ].join('\n');

  async function alerts(name: string) {
    const { ruleSet } = load(RULES);
    const out: EveRecord[] = [];
    const engine = new Engine({ ruleSet, onRecord: (r) => out.push(r) });
    for (const f of await scenarioFrames(name)) engine.processFrame(f);
    engine.finish();
    return out
      .filter((r) => r.event_type === 'alert')
      .map((r) => r as EveRecord & { alert: { signature_id: number }; dcerpc?: { call_id?: number } });
  }

  for (const name of ['fault-other-call', 'wmi-activation-denied']) {
    it(`${name}: the call-level rule fires exactly for the faults that answer the activation`, async () => {
      const truth = buildScenario(name).describe();
      const faults = truth.faults;
      expect(faults.length).toBeGreaterThan(0);
      const refused = faults.filter((f) => f.answersInterface === SYSACT && f.answersOpnum === 4 && f.status === 5);
      const got = await alerts(name);
      expect(got.filter((a) => a.alert.signature_id === 101).length).toBe(faults.filter((f) => f.status === 5).length);
      const fired = got.filter((a) => a.alert.signature_id === 100);
      expect(fired.map((a) => a.dcerpc?.call_id)).toEqual(refused.map((f) => f.callId));
      if (name === 'fault-other-call') expect(refused).toEqual([]);
      else expect(refused.length).toBe(1);
    });
  }
});

// the shipped pack uses the options: keep it loading clean
describe('rules/wmi-extended.rules', () => {
  it('compiles without errors or warnings', () => {
    const text = readFileSync(fileURLToPath(new URL('../../../../rules/wmi-extended.rules', import.meta.url)), 'utf8');
    const r = load(text);
    expect(r.rules.length).toBeGreaterThan(20);
  });
});
