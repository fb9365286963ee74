/**
 * rules/wmi-extended.rules through the whole engine. Expected alert counts come from ground truth the engine did
 * not produce: the generator's describe() for its scenarios, tshark's facts for the real corpus (../shared). Rules
 * that no scenario or corpus capture exercises (clear PutInstance of subscription classes, ExecNotificationQuery,
 * HRESULT refusals, ShellBrowserWindow, ShellExecute) are tested on literal PDUs through the real DCE/RPC layer.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildScenario, type ScenarioDescription } from '@wmi-detect/capture-gen';
import { beforeAll, describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/source.js';
import { CaptureError } from '../../src/capture/types.js';
import { fromHex } from '../../src/dcerpc/bytes.js';
import { DcerpcConnection } from '../../src/dcerpc/connection.js';
import type { DcePduEvent } from '../../src/dcerpc/event.js';
import { Engine } from '../../src/detect/engine.js';
import type { EveRecord } from '../../src/output/eve.js';
import { type CompileResult, compileRules, type InspectionContext, type RuleMatch } from '../../src/rules/index.js';
import { corpusAvailable, corpusCaptures, TEST_CAPTURE_MAX_BYTES, warnSkipped } from '../corpus/corpus.js';
import { scenarioFrames } from './helpers.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
if (!corpusAvailable) warnSkipped('extended rules on the corpus');

const RULES_TEXT = readFileSync(path.join(repoRoot, 'rules/wmi-extended.rules'), 'utf8');
let pack: CompileResult;
beforeAll(() => {
  pack = compileRules({ file: 'wmi-extended.rules', text: RULES_TEXT });
});

const IWBEM_SERVICES = '9556dc99-828c-11cf-a37e-00aa003240c7';
const IWBEM_LOGIN = 'f309ad18-d86a-11d0-a075-00c04fb68820';
const SYSACT = '000001a0-0000-0000-c000-000000000046';
const IDISPATCH = '00020400-0000-0000-c000-000000000046';
const WMI_CLSID = '8bc3f05e-d86b-11d0-a075-00c04fb68820';

type Alert = EveRecord & { alert: { signature_id: number }; dest_port: number; src_port: number };

async function alertsOn(frames: AsyncIterable<unknown> | unknown[]): Promise<Alert[]> {
  const out: Alert[] = [];
  const engine = new Engine({
    ruleSet: pack.ruleSet,
    onRecord: (r) => r.event_type === 'alert' && out.push(r as Alert),
  });
  try {
    for await (const f of frames as AsyncIterable<Parameters<Engine['processFrame']>[0]>) engine.processFrame(f);
  } catch (e) {
    // several OTRF captures end inside a record header: every frame before the damage was delivered
    if (!(e instanceof CaptureError)) throw e;
  }
  engine.finish();
  return out;
}

function count(alerts: Alert[], sid: number): number {
  return alerts.filter((a) => a.alert.signature_id === sid).length;
}

/** Requests of the scenario that reached the capture, by connection and call id. */
function capturedRequests(t: ScenarioDescription): Set<string> {
  const s = new Set<string>();
  for (const p of t.pdus) {
    if (p.ptype === 'request' && p.captured && (p.fragment === 'single' || p.fragment === 'last' || !p.fragment)) {
      s.add(`${p.connection}|${p.callId}`);
    }
  }
  return s;
}

const SCENARIOS = [
  'wmi-activation-ok',
  'wmi-activation-denied',
  'fault-other-call',
  'big-endian',
  'multi-fragment',
  'tcp-impairments',
  'midstream',
  'sealed',
  'dcom-mmc20',
  'kerberos',
  'gap',
  'not-dcerpc',
];

describe('rules/wmi-extended.rules on the generated scenarios', () => {
  it('loads clean, every rule in the pack range with msg, classtype, reference and an ATT&CK technique', () => {
    expect(pack.errorCount).toBe(0);
    expect(pack.diagnostics.filter((d) => d.severity === 'warning')).toEqual([]);
    for (const r of pack.rules) {
      expect(r.sid).toBeGreaterThanOrEqual(4103100);
      expect(r.sid).toBeLessThanOrEqual(4103199);
      expect(r.msg).not.toBe('');
      expect(r.classtype).toBeDefined();
      expect(r.metadata.service).toEqual(['dcerpc']);
      if (!r.noalert) {
        expect(r.references.length).toBeGreaterThan(0);
        expect(r.metadata.mitre_technique_id?.[0]).toMatch(/^T1047$|^T1021\.003$|^T1546\.003$/);
      }
    }
  });

  for (const name of SCENARIOS) {
    it(`${name}: each rule fires as often as the ground truth says`, async () => {
      const t = buildScenario(name).describe();
      const alerts = await alertsOn(await scenarioFrames(name));
      const seen = capturedRequests(t);
      const wmi = t.wmi.filter((w) => seen.has(`${w.connection}|${w.callId}`));
      const clear = wmi.filter((w) => !w.sealed);
      const create = clear.filter((w) => w.class === 'Win32_Process' && w.method === 'Create');
      expect(count(alerts, 4103100), 'Win32_Process.Create').toBe(create.length);
      expect(count(alerts, 4103101), 'shell command line').toBe(
        create.filter((w) => /cmd\.exe|powershell/i.test(w.commandLine ?? '')).length,
      );
      expect(count(alerts, 4103102), 'ExecMethod').toBe(wmi.filter((w) => /^ExecMethod/.test(w.operation)).length);
      expect(count(alerts, 4103118), 'query/enumeration').toBe(
        wmi.filter((w) => /^(ExecQuery|CreateInstanceEnum)/.test(w.operation)).length,
      );
      expect(count(alerts, 4103119)).toBe(wmi.filter((w) => /^ExecNotificationQuery/.test(w.operation)).length);

      // refusals: the fault answers an activation call (ground truth names the call each fault answers)
      const wmiActivationConns = new Set(
        t.activations.filter((a) => a.clsid === WMI_CLSID && !a.sealed).map((a) => a.connection),
      );
      const refused = t.faults.filter(
        (f) => f.answersInterface === SYSACT && (f.answersOpnum === 3 || f.answersOpnum === 4) && f.status === 5,
      );
      expect(count(alerts, 4103121), 'WMI activation refused').toBe(
        refused.filter((f) => wmiActivationConns.has(f.connection)).length,
      );
      expect(count(alerts, 4103122), 'other activation refused').toBe(
        refused.filter((f) => !wmiActivationConns.has(f.connection)).length,
      );

      // DCOM lateral movement by CLSID (clear activation stubs only)
      const byClsid = (clsid: string) => t.activations.filter((a) => a.clsid === clsid && !a.sealed).length;
      expect(count(alerts, 4103130)).toBe(byClsid('49b2791a-b1ae-4c90-9b8e-e860ba07f889'));
      expect(count(alerts, 4103131)).toBe(byClsid('9ba05972-f6a8-11cf-a442-00a0c90a8f39'));
      expect(count(alerts, 4103132)).toBe(byClsid('c08afd90-f2a1-11d1-8455-00a0c91f3880'));
      const names = t.dcom.filter((d) => !d.sealed && d.operation === 'GetIDsOfNames').flatMap((d) => d.names ?? []);
      expect(count(alerts, 4103135)).toBe(names.filter((n) => /^ExecuteShellCommand$/i.test(n)).length);
      expect(count(alerts, 4103136)).toBe(names.filter((n) => /^ShellExecute$/i.test(n)).length);
      expect(count(alerts, 4103138), 'Invoke starting a shell').toBe(
        t.dcom.filter(
          (d) => d.opnum === 6 && !d.sealed && (d.args ?? []).some((a) => /cmd\.exe|powershell/i.test(`${a}`)),
        ).length,
      );
      expect(count(alerts, 4103137), 'Invoke, once per connection').toBe(
        new Set(t.dcom.filter((d) => d.interface === IDISPATCH && d.opnum === 6).map((d) => d.connection)).size,
      );

      // sealed sessions: once per connection whose IWbemServices / IWbemLevel1Login requests are at privacy
      const sealedConns = (iface: string) =>
        new Set(
          t.pdus
            .filter((p) => p.ptype === 'request' && p.captured && p.interface === iface && p.authLevel === 6)
            .map((p) => p.connection),
        ).size;
      expect(count(alerts, 4103140)).toBe(sealedConns(IWBEM_SERVICES));
      expect(count(alerts, 4103141)).toBe(sealedConns(IWBEM_LOGIN));

      // nothing in the pack fires on a connection that does not carry DCE/RPC
      const notDce = t.connections.filter((c) => !c.dcerpc).map((c) => c.server.port);
      for (const a of alerts) expect(notDce.includes(a.dest_port) && notDce.includes(a.src_port)).toBe(false);
      if (name === 'not-dcerpc') expect(alerts).toEqual([]);
      if (name === 'fault-other-call') expect(refused).toEqual([]);
    });
  }
});

// --- real captures ---------------------------------------------------------------------------------------------------

interface Facts {
  headline: string;
  tags: string[];
  summary: string[];
  tshark: {
    activation_clsids: { clsid: string; count: number }[];
    wmi_request_strings: string[];
    dcerpc_associations: { ifaces: string[] }[];
  };
}

const CORPUS = corpusCaptures<Facts>()
  .filter((c) => statSync(c.pcap).size <= TEST_CAPTURE_MAX_BYTES)
  .map((c) => ({ file: c.pcap, facts: c.facts }));
const clsidCount = (f: Facts, clsid: string) =>
  f.tshark.activation_clsids.filter((c) => c.clsid.toLowerCase() === clsid).reduce((n, c) => n + c.count, 0);

describe.skipIf(!corpusAvailable)('rules/wmi-extended.rules on the real corpus (tshark facts as ground truth)', () => {
  for (const { file, facts } of CORPUS) {
    const name = path.basename(file);
    it(name.slice(0, 120), async () => {
      const alerts = await alertsOn(openCapture(file));
      const usesWmiOrDcom = /WMI|DCOM/.test(facts.headline);
      if (!usesWmiOrDcom) {
        // SMB, svcctl, samr, drsuapi, …: the pack stays silent
        expect(alerts.map((a) => a.alert.signature_id)).toEqual([]);
        return;
      }
      // DCOM classes: one alert per clear activation of that CLSID
      expect(count(alerts, 4103130)).toBe(clsidCount(facts, '49b2791a-b1ae-4c90-9b8e-e860ba07f889'));
      expect(count(alerts, 4103131)).toBe(clsidCount(facts, '9ba05972-f6a8-11cf-a442-00a0c90a8f39'));
      expect(count(alerts, 4103133)).toBe(clsidCount(facts, '00024500-0000-0000-c000-000000000046'));
      expect(count(alerts, 4103134)).toBe(clsidCount(facts, '0002df01-0000-0000-c000-000000000046'));
      // IDispatch::Invoke carrying a shell (Empire ShellWindows resolves DISPIDs from the type library: no GetIDsOfNames)
      const shellBstrs = (facts.tshark as { idispatch_bstrs?: string[] }).idispatch_bstrs ?? [];
      if (shellBstrs.some((b) => /cmd\.exe|powershell/i.test(b))) expect(count(alerts, 4103138)).toBeGreaterThan(0);
      else expect(count(alerts, 4103138)).toBe(0);
      // Win32_Process.Create in clear (wmiexec.pcapng): one per ExecMethod call tshark counted, each with its own
      // cmd.exe command line among the clear request strings
      const execMethods = Number(/ExecMethod x(\d+)/.exec(facts.summary.join(' '))?.[1] ?? 0);
      const creates = facts.tags.includes('WMI:Win32_Process.Create') ? execMethods : 0;
      const shells = facts.tshark.wmi_request_strings.filter((s) => /^(cmd\.exe|powershell)/i.test(s)).length;
      if (facts.tags.includes('WMI-ENCRYPTED')) {
        expect(count(alerts, 4103100)).toBe(0);
        // every sealed WMI capture still shows its IWbemServices session as sealed
        if (facts.summary.some((s) => /IWbemServices \[/.test(s))) expect(count(alerts, 4103140)).toBeGreaterThan(0);
      } else if (creates > 0) {
        expect(count(alerts, 4103100)).toBe(creates);
        expect(count(alerts, 4103101)).toBe(shells);
      }
      const putInstances = /PutInstance x(\d+)/.exec(facts.summary.join(' '));
      if (putInstances && Number(putInstances[1]) >= 3) expect(count(alerts, 4103115)).toBeGreaterThan(0);
      else expect(count(alerts, 4103115)).toBe(0);
      if (/root\\subscription/i.test(facts.headline) && putInstances) expect(count(alerts, 4103114)).toBeGreaterThan(0);
      else expect(count(alerts, 4103114)).toBe(0);
    }, 60_000);
  }
});

// --- literal PDUs for the rules no capture exercises -------------------------------------------------------------------

const NDR = '04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60 02 00 00 00';
const le16 = (v: number) =>
  `${(v & 0xff).toString(16).padStart(2, '0')} ${((v >> 8) & 0xff).toString(16).padStart(2, '0')}`;
const le32 = (v: number) => `${le16(v & 0xffff)} ${le16(v >>> 16)}`;
const uuidLe = (u: string) => {
  const h = u.replace(/-/g, '');
  const sw = (s: string) => s.match(/../g)!.reverse().join(' ');
  return `${sw(h.slice(0, 8))} ${sw(h.slice(8, 12))} ${sw(h.slice(12, 16))} ${h.slice(16).match(/../g)!.join(' ')}`;
};
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join(' ');
const utf16 = (s: string) => [...s].map((c) => `${c.charCodeAt(0).toString(16).padStart(2, '0')} 00`).join(' ');

function bind(iface: string): Uint8Array {
  return fromHex(
    `05 00 0b 03 10 00 00 00 48 00 00 00 01 00 00 00 d0 16 d0 16 00 00 00 00 01 00 00 00
     00 00 01 00 ${uuidLe(iface)} 00 00 00 00 ${NDR}`,
  );
}
const BIND_ACK = fromHex(
  `05 00 0c 03 10 00 00 00 3c 00 00 00 01 00 00 00 d0 16 d0 16 34 12 00 00 04 00 31 33 35 00 00 00
   01 00 00 00 00 00 00 00 ${NDR}`,
);
function request(callId: number, opnum: number, stubHex: string): Uint8Array {
  const stub = fromHex(stubHex);
  return fromHex(
    `05 00 00 03 10 00 00 00 ${le16(24 + stub.length)} 00 00 ${le32(callId)} ${le32(stub.length)} 00 00 ${le16(opnum)} ${stubHex}`,
  );
}
function response(callId: number, stubHex: string): Uint8Array {
  const stub = fromHex(stubHex);
  return fromHex(
    `05 00 02 03 10 00 00 00 ${le16(24 + stub.length)} 00 00 ${le32(callId)} ${le32(stub.length)} 00 00 00 00 ${stubHex}`,
  );
}
function fault(callId: number, status: number): Uint8Array {
  return fromHex(
    `05 00 03 03 10 00 00 00 20 00 00 00 ${le32(callId)} 20 00 00 00 00 00 00 00 ${le32(status)} 00 00 00 00`,
  );
}

/** Sids reported per PDU (client→server for dir 0), evaluated as the engine does: one unit per PDU. */
function sidsOn(script: [0 | 1, Uint8Array][]): number[][] {
  const out: number[][] = [];
  const bits = new Set<string>();
  const matches: RuleMatch[] = [];
  const c = new DcerpcConnection(
    {
      onPdu(ev: DcePduEvent) {
        const to = ev.dir === 0;
        const ctx: InspectionContext = {
          tsUs: ev.tsUs,
          srcIp: to ? '10.0.0.10' : '10.0.0.20',
          dstIp: to ? '10.0.0.20' : '10.0.0.10',
          srcPort: to ? 50000 : 49154,
          dstPort: to ? 49154 : 50000,
          proto: 6,
          flow: { id: 1, toServer: to, established: true, isDcerpc: true, bits },
          payload: ev.pdu,
          dce: ev,
        };
        pack.ruleSet.match(ctx, matches);
        out.push(matches.map((m) => m.rule.sid));
      },
      onProblem() {},
    },
    {},
  );
  let ts = 1;
  for (const [dir, b] of script) c.onData(dir, b, ts++);
  return out;
}

describe('rules/wmi-extended.rules on literal PDUs', () => {
  const ORPCTHIS = '05 00 07 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00';

  it('PutInstance of each subscription class; PutInstance after a root\\subscription login; the burst on the third', () => {
    const putOf = (callId: number, cls: string, utf: boolean) =>
      request(
        callId,
        14,
        `${ORPCTHIS} 00 00 02 00 ${utf ? `01 ${utf16(cls)} 00 00` : `00 ${ascii(cls)} 00`} 00 00 00 00`,
      );
    const login = request(2, 6, `${ORPCTHIS} 00 00 02 00 ${utf16('//./root/subscription')} 00 00 00 00`);
    const seen = sidsOn([
      [0, bind(IWBEM_LOGIN)],
      [1, BIND_ACK],
      [0, login],
      [0, putOf(3, '__EventFilter', false)],
      [0, putOf(4, 'CommandLineEventConsumer', true)],
      [0, putOf(5, '__FilterToConsumerBinding', false)],
      [0, putOf(6, 'Win32_Environment', false)],
    ]).slice(2);
    // the login context is IWbemLevel1Login: PutInstance (opnum 14) is not an IWbemServices call on it
    expect(seen).toEqual([[], [], [], [], []]);

    const svc = sidsOn([
      [0, bind(IWBEM_SERVICES)],
      [1, BIND_ACK],
      [0, putOf(3, '__EventFilter', false)],
      [0, putOf(4, 'CommandLineEventConsumer', true)],
      [0, putOf(5, '__FilterToConsumerBinding', false)],
      [0, putOf(6, 'Win32_Environment', false)],
    ]).slice(2);
    expect(svc).toEqual([[4103110], [4103111], [4103115, 4103112], []]);
  });

  it('the namespace flowbit set by a clear NTLMLogin carries to PutInstance on the same connection', () => {
    // one connection, two contexts: 0 = IWbemLevel1Login, 1 = IWbemServices (as native clients do)
    const bind2 = fromHex(
      `05 00 0b 03 10 00 00 00 74 00 00 00 01 00 00 00 d0 16 d0 16 00 00 00 00 02 00 00 00
       00 00 01 00 ${uuidLe(IWBEM_LOGIN)} 00 00 00 00 ${NDR}
       01 00 01 00 ${uuidLe(IWBEM_SERVICES)} 00 00 00 00 ${NDR}`,
    );
    const ack2 = fromHex(
      `05 00 0c 03 10 00 00 00 54 00 00 00 01 00 00 00 d0 16 d0 16 34 12 00 00 04 00 31 33 35 00 00 00
       02 00 00 00 00 00 00 00 ${NDR} 00 00 00 00 ${NDR}`,
    );
    const onCtx1 = (callId: number, opnum: number, stubHex: string) => {
      const r = request(callId, opnum, stubHex);
      r[20] = 1; // p_cont_id 1
      return r;
    };
    const seen = sidsOn([
      [0, bind2],
      [1, ack2],
      [0, onCtx1(2, 14, `${ORPCTHIS} 00 ${ascii('Win32_Environment')} 00`)],
      [0, request(3, 6, `${ORPCTHIS} 00 00 02 00 ${utf16('\\\\.\\ROOT\\SUBSCRIPTION')} 00 00 00 00`)],
      [0, onCtx1(4, 15, `${ORPCTHIS} 00 ${ascii('Win32_Environment')} 00`)],
      [0, onCtx1(5, 22, `${ORPCTHIS} ${utf16('SELECT * FROM __InstanceCreationEvent')}`)],
    ]).slice(2);
    expect(seen).toEqual([[], [], [4103114], [4103119]]);
  });

  it('refusals answered as HRESULTs and faults, on the call they answer', () => {
    const orpcthat = '00 00 00 00 00 00 00 00';
    const seen = sidsOn([
      [0, bind(IWBEM_LOGIN)],
      [1, BIND_ACK],
      [0, request(2, 6, `${ORPCTHIS} ${utf16('//./root/cimv2')}`)],
      [0, request(3, 3, ORPCTHIS)],
      [1, response(3, `${orpcthat} 00 00 00 00 05 00 07 80`)], // EstablishPosition denied: not NTLMLogin
      [1, response(2, `${orpcthat} 00 00 00 00 03 10 04 80`)], // NTLMLogin: WBEM_E_ACCESS_DENIED
      [0, request(4, 6, ORPCTHIS)],
      [1, fault(4, 5)],
    ]).slice(2);
    expect(seen).toEqual([[], [], [], [4103124], [], [4103125]]);

    const svc = sidsOn([
      [0, bind(IWBEM_SERVICES)],
      [1, BIND_ACK],
      [0, request(2, 20, ORPCTHIS)],
      [1, response(2, `${orpcthat} 00 00 00 00 05 00 07 80`)],
    ]).slice(2);
    expect(svc).toEqual([[4103118], [4103126]]);

    const act = sidsOn([
      [0, bind(SYSACT)],
      [1, BIND_ACK],
      [0, request(2, 4, `${ORPCTHIS} ${uuidLe('c08afd90-f2a1-11d1-8455-00a0c91f3880')}`)],
      [1, response(2, `${orpcthat} 00 00 00 00 05 00 07 80`)],
      [0, request(3, 3, `${ORPCTHIS} ${uuidLe('c08afd90-f2a1-11d1-8455-00a0c91f3880')}`)],
      [1, fault(3, 0x80070005)],
    ]).slice(2);
    expect(act).toEqual([[4103132], [4103123], [4103132], [4103122]]);
  });

  it('IDispatch GetIDsOfNames asking for ShellExecute / ExecuteShellCommand', () => {
    const gidon = (callId: number, name: string) =>
      request(
        callId,
        5,
        `${ORPCTHIS} 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 ${utf16(name)} 00 00`,
      );
    const seen = sidsOn([
      [0, bind(IDISPATCH)],
      [1, BIND_ACK],
      [0, gidon(2, 'ShellExecute')],
      [0, gidon(3, 'ExecuteShellCommand')],
      [0, gidon(4, 'Document')],
    ]).slice(2);
    expect(seen).toEqual([[4103136], [4103135], []]);
  });
});
