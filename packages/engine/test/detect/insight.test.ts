/**
 * The glue's issue-4 behaviour: identity per security context on alerts and session records, wmi{}/dcom{} insight,
 * sealed stubs, session ties (oxid / host_pair_time and the window), operation names. Ground truth: the generator's
 * describe() for the scenarios, tshark's facts for the real corpus (../shared).
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildScenario, type ScenarioDescription } from '@wmi-detect/capture-gen';
import { describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/source.js';
import { CaptureError } from '../../src/capture/types.js';
import { operationName } from '../../src/dcerpc/names.js';
import { Engine, type EngineOptions } from '../../src/detect/index.js';
import type { EveRecord } from '../../src/output/eve.js';
import { compileRules } from '../../src/rules/index.js';
import { corpusAvailable, corpusCaptures, TEST_CAPTURE_MAX_BYTES, warnSkipped } from '../corpus/corpus.js';
import { scenarioFrames } from './helpers.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const RULES = ['rules/wmi.rules', 'rules/wmi-extended.rules'].map((f) => ({
  file: f,
  text: readFileSync(path.join(repoRoot, f), 'utf8'),
}));
const ruleSet = () => compileRules(RULES).ruleSet;

// biome-ignore lint/suspicious/noExplicitAny: EVE JSON records are read field by field, loosely typed
type Rec = EveRecord & Record<string, any>;

async function runScenario(name: string, opts: Partial<EngineOptions> = {}): Promise<Rec[]> {
  const out: Rec[] = [];
  const engine = new Engine({ ruleSet: ruleSet(), sessionRecords: true, ...opts, onRecord: (r) => out.push(r as Rec) });
  for (const f of await scenarioFrames(name)) engine.processFrame(f);
  engine.finish();
  return out;
}

const alerts = (r: Rec[]) => r.filter((x) => x.event_type === 'alert');
const sessions = (r: Rec[]) => r.filter((x) => x.event_type === 'dcerpc_session');
/** The scenario connection a record belongs to (scenarios use one server port per connection). */
function connectionOf(t: ScenarioDescription, rec: Rec): string {
  const c = t.connections.find(
    (x) =>
      (x.server.port === rec.dest_port && x.client.port === rec.src_port) ||
      (x.server.port === rec.src_port && x.client.port === rec.dest_port),
  );
  if (c === undefined) throw new Error(`no connection for ${rec.src_port}->${rec.dest_port}`);
  return c.id;
}

describe('identity on alerts and session records', () => {
  it('wmi-activation-ok: each alert carries the identity of the security context its PDU ran under', async () => {
    const t = buildScenario('wmi-activation-ok').describe();
    const recs = await runScenario('wmi-activation-ok');
    const dce = alerts(recs).filter((a) => a.dcerpc?.auth?.context_id !== undefined);
    expect(dce.length).toBeGreaterThan(0);
    const ctxSeen = new Set<number>();
    for (const a of dce) {
      const conn = connectionOf(t, a);
      const ctx = a.dcerpc.auth.context_id as number;
      const truth = t.identities.find((i) => i.connection === conn && i.authContextId === ctx);
      expect(truth, `identity of ${conn} context ${ctx}`).toBeDefined();
      expect(a.identity).toEqual([
        {
          auth_type: 'ntlmssp',
          mech: 'ntlmssp',
          domain: truth!.domain,
          user: truth!.user,
          workstation: truth!.workstation,
          ntlm_version: truth!.ntlmVersion,
          anonymous: false,
          auth_context_id: ctx,
        },
      ]);
      ctxSeen.add(ctx);
    }
    // the object connection runs IWbemLevel1Login and IWbemServices under two contexts: both appear, apart
    const wmiContexts = t.identities.filter((i) => i.connection === 'wmi').map((i) => i.authContextId);
    expect(wmiContexts.length).toBe(2);
    for (const c of wmiContexts) expect(ctxSeen.has(c)).toBe(true);
    // the session record lists every context's identity once
    for (const s of sessions(recs)) {
      const conn = connectionOf(t, s);
      expect((s.identity as { auth_context_id: number }[]).map((i) => i.auth_context_id).sort()).toEqual(
        t.identities
          .filter((i) => i.connection === conn)
          .map((i) => i.authContextId)
          .sort(),
      );
    }
  });

  it('kerberos: realm and SPN, client name not visible, on both connections (SPNEGO and raw)', async () => {
    const t = buildScenario('kerberos').describe();
    const recs = await runScenario('kerberos');
    expect(alerts(recs).length).toBeGreaterThan(0);
    for (const r of [...alerts(recs), ...sessions(recs)]) {
      const conn = connectionOf(t, r);
      const truth = t.identities.filter((i) => i.connection === conn);
      expect(truth.length).toBe(1);
      const ids = r.identity as Record<string, unknown>[];
      expect(ids.length).toBe(1);
      expect(ids[0]).toMatchObject({
        auth_type: truth[0].spnego ? 'spnego' : 'kerberos',
        mech: 'kerberos',
        realm: truth[0].realm,
        spn: truth[0].spn,
        client_name_visible: false,
      });
      expect(ids[0].user).toBeUndefined();
    }
  });

  it('wmi-activation-denied: SPNEGO-wrapped NTLM names the user on the refused activation', async () => {
    const t = buildScenario('wmi-activation-denied').describe();
    const recs = await runScenario('wmi-activation-denied');
    const refused = alerts(recs).filter((a) => a.alert.signature_id === 4103121);
    expect(refused.length).toBe(1);
    const truth = t.identities.find((i) => i.connection === 'scm')!;
    expect(refused[0].identity[0]).toMatchObject({ auth_type: 'spnego', mech: 'ntlmssp', user: truth.user });
    expect(refused[0].dcerpc.operation).toBe('RemoteCreateInstance');
  });
});

describe('what was done: wmi{} and dcom{}', () => {
  it('wmi-activation-ok: namespace on NTLMLogin, class/method/command line on ExecMethod, CLSID on the activation', async () => {
    const t = buildScenario('wmi-activation-ok').describe();
    const recs = await runScenario('wmi-activation-ok');
    const byOp = (op: string) => alerts(recs).filter((a) => a.dcerpc?.operation === op);
    const login = t.wmi.find((w) => w.operation === 'NTLMLogin')!;
    const exec = t.wmi.find((w) => w.operation === 'ExecMethod')!;
    expect(byOp('NTLMLogin').length).toBeGreaterThan(0);
    for (const a of byOp('NTLMLogin')) expect(a.wmi.namespace).toBe(login.namespace);
    expect(byOp('ExecMethod').length).toBeGreaterThan(0);
    for (const a of byOp('ExecMethod')) {
      expect(a.wmi).toMatchObject({ class: exec.class, method: exec.method, command_line: exec.commandLine });
    }
    const act = t.activations[0];
    for (const a of byOp('RemoteCreateInstance')) {
      expect(a.dcom).toMatchObject({ clsid: act.clsid, clsid_name: act.clsidName, activation: act.method });
    }
  });

  it('kerberos: the WQL of ExecQuery', async () => {
    const t = buildScenario('kerberos').describe();
    const q = t.wmi.find((w) => w.operation === 'ExecQuery')!;
    const recs = await runScenario('kerberos');
    const got = alerts(recs).filter((a) => a.dcerpc?.operation === 'ExecQuery');
    expect(got.length).toBeGreaterThan(0);
    for (const a of got) expect(a.wmi.query).toBe(q.query);
  });

  it('dcom-mmc20: CLSID from RemoteGetClassObject and RemoteCreateInstance; Invoke names its method and arguments', async () => {
    const t = buildScenario('dcom-mmc20').describe();
    const recs = await runScenario('dcom-mmc20');
    const acts = alerts(recs).filter((a) => a.alert.signature_id === 4103130);
    expect(acts.map((a) => [a.dcom.activation, a.dcom.clsid, a.dcom.clsid_name])).toEqual(
      t.activations.map((x) => [x.method, x.clsid, x.clsidName]),
    );
    // every Invoke of the ground truth appears in the object connection's record with its method and BSTR args
    const rec = sessions(recs).find((s) => s.dest_port !== 135)!;
    const invokes = (rec.dcerpc_session.insight as Rec[]).filter(
      (i) => i.operation === 'Invoke' && i.direction === 'request',
    );
    const truth = t.dcom.filter((d) => d.operation === 'Invoke');
    expect(invokes.map((i) => [i.call_id, i.dcom.method, i.dcom.args ?? []])).toEqual(
      truth.map((d) => [d.callId, d.method, (d.args ?? []).filter((a) => typeof a === 'string')]),
    );
  });
});

describe('sealed stubs', () => {
  it('sealed: stub_sealed true, interface/opnum/operation still reported; no wmi{} read from ciphertext', async () => {
    const t = buildScenario('sealed').describe();
    const recs = await runScenario('sealed');
    const got = alerts(recs).filter((a) => a.dcerpc?.request === 'REQUEST');
    expect(got.length).toBeGreaterThan(0);
    for (const a of got) {
      const conn = connectionOf(t, a);
      const pdu = t.pdus.find((p) => p.connection === conn && p.ptype === 'request' && p.callId === a.dcerpc.call_id)!;
      expect(pdu.sealed).toBe(true);
      expect(a.dcerpc.stub_sealed).toBe(true);
      expect(a.dcerpc.interface.uuid).toBe(pdu.interface);
      expect(a.dcerpc.opnum).toBe(pdu.opnum);
      expect(a.dcerpc.operation).toBe(operationName(pdu.interface!, pdu.opnum!));
      expect(a.wmi).toBeUndefined();
    }
    for (const s of sessions(recs)) expect(s.dcerpc_session.sealed_pdus).toBeGreaterThan(0);
  });

  it('IWbemServices opnums 16/17 are DeleteInstance/DeleteInstanceAsync (MS-WMI), not DeleteClass', () => {
    const svc = '9556dc99-828c-11cf-a37e-00aa003240c7';
    expect([operationName(svc, 16), operationName(svc, 17)]).toEqual(['DeleteInstance', 'DeleteInstanceAsync']);
  });
});

describe('one WMI session across two connections', () => {
  for (const name of ['wmi-activation-ok', 'sealed', 'dcom-mmc20', 'kerberos']) {
    it(`${name}: the object connection carries the activation's session_id, tied as the ground truth says`, async () => {
      const t = buildScenario(name).describe();
      const recs = await runScenario(name);
      expect(t.sessionLinks.length).toBeGreaterThan(0);
      for (const link of t.sessionLinks) {
        const onConn = (c: string) => recs.filter((r) => r.event_type !== 'stats' && connectionOf(t, r) === c);
        const origin = onConn(link.activationConnection);
        const object = onConn(link.objectConnection);
        expect(origin.length).toBeGreaterThan(0);
        expect(object.length).toBeGreaterThan(0);
        const id = origin[0].session_id;
        expect(id).toMatch(/^[0-9a-f]{24}$/);
        for (const r of origin) {
          expect(r.session_id).toBe(id);
          expect(r.session_link).toBeUndefined(); // the origin of the session is not "tied"
        }
        for (const r of object) {
          expect(r.session_id).toBe(id);
          expect(r.session_link).toBe(link.by);
        }
      }
    });
  }

  it('sealed: outside the configured window the object connection is not tied (sessionWindowUs)', async () => {
    const t = buildScenario('sealed').describe();
    const link = t.sessionLinks[0];
    expect(link.by).toBe('host_pair_time');
    const recs = await runScenario('sealed', { sessionWindowUs: 0 });
    const object = recs.filter((r) => r.event_type !== 'stats' && connectionOf(t, r) === link.objectConnection);
    expect(object.length).toBeGreaterThan(0);
    for (const r of object) {
      expect(r.session_id).toBeUndefined();
      expect(r.session_link).toBeUndefined();
    }
    const wide = await runScenario('sealed', { sessionWindowUs: 3_600_000_000 });
    for (const r of wide.filter((x) => x.event_type !== 'stats' && connectionOf(t, x) === link.objectConnection)) {
      expect(r.session_link).toBe('host_pair_time');
    }
  });

  it('fault-other-call: the dcerpc_session record attributes the fault to the call it answers', async () => {
    const t = buildScenario('fault-other-call').describe();
    const recs = await runScenario('fault-other-call');
    const f = t.faults[0];
    const rec = sessions(recs).find((s) => connectionOf(t, s) === f.connection)!;
    expect(rec.dcerpc_session.faults).toEqual([
      {
        status: 'nca_s_fault_access_denied',
        call_id: f.callId,
        interface: 'IOXIDResolver',
        opnum: f.answersOpnum,
        operation: f.answersOperation,
      },
    ]);
  });
});

// --- the real corpus ----------------------------------------------------------------------------------------------------

if (!corpusAvailable) warnSkipped('issue-4 proof on the corpus');

interface Facts {
  headline: string;
  tags: string[];
  tshark: {
    dcerpc_ntlmssp_auth: { domain: string; user: string; host: string }[];
    activation_clsids: { clsid: string }[];
    wmi_request_strings: string[];
    dcerpc_associations: { transport: string }[];
  };
}

function corpus(): { file: string; facts: Facts }[] {
  return (
    corpusCaptures<Facts>()
      .filter((c) => statSync(c.pcap).size <= TEST_CAPTURE_MAX_BYTES)
      // DCE/RPC over SMB named pipes is out of scope: only captures whose DCE/RPC runs on TCP
      .filter((c) => c.facts.tshark.dcerpc_associations.some((a) => a.transport === 'ncacn_ip_tcp'))
      .filter((c) => c.facts.tshark.dcerpc_associations.every((a) => a.transport === 'ncacn_ip_tcp'))
      .map((c) => ({ file: c.pcap, facts: c.facts }))
  );
}

async function runFile(file: string): Promise<Rec[]> {
  const out: Rec[] = [];
  const engine = new Engine({ ruleSet: ruleSet(), sessionRecords: true, onRecord: (r) => out.push(r as Rec) });
  try {
    for await (const f of openCapture(file)) engine.processFrame(f);
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e; // truncated OTRF captures: the frames before the damage count
  }
  engine.finish();
  return out;
}

describe.skipIf(!corpusAvailable)('issue-4 proof on the real corpus (DCE/RPC over TCP captures)', () => {
  for (const { file, facts } of corpus()) {
    it(path.basename(file).slice(0, 110), async () => {
      const recs = await runFile(file);
      const users = new Set<string>();
      const commandLines = new Set<string>();
      const clsids = new Set<string>();
      const namespaces = new Set<string>();
      const machines = new Set<string>();
      const collect = (w: Rec | undefined, d: Rec | undefined) => {
        if (w?.command_line) commandLines.add(w.command_line);
        if (w?.namespace) namespaces.add(w.namespace);
        if (w?.client_machine) machines.add(w.client_machine);
        if (d?.clsid) clsids.add(d.clsid);
      };
      for (const r of recs) {
        for (const i of (r.identity ?? []) as { user?: string }[]) if (i.user) users.add(i.user.toLowerCase());
        collect(r.wmi, r.dcom);
        for (const i of r.dcerpc_session?.insight ?? []) collect(i.wmi, i.dcom);
      }
      // every NTLM user tshark saw authenticate appears as identity.user
      for (const a of facts.tshark.dcerpc_ntlmssp_auth) {
        if (a.user && a.user !== 'NULL') expect(users, `user ${a.user}`).toContain(a.user.toLowerCase());
      }
      // every clear cmd.exe / powershell string is a wmi.command_line (WMI captures; DCOM shell args are dcom.args)
      if (/WMI/.test(facts.headline) && !facts.tags.includes('WMI-ENCRYPTED')) {
        for (const s of facts.tshark.wmi_request_strings) {
          if (/^(cmd\.exe|powershell)/i.test(s)) expect(commandLines, s).toContain(s);
        }
      }
      // namespaces (NTLMLogin) and client machines (SetClientInfo) are among the clear strings tshark saw, and every
      // namespace-looking string tshark saw is a wmi.namespace
      const strings = new Set(facts.tshark.wmi_request_strings);
      for (const n of namespaces) expect(strings).toContain(n);
      for (const m of machines) expect(strings).toContain(m);
      for (const x of strings) if (/^(\\\\|\/\/)[^\\/]+[\\/]root[\\/]/i.test(x)) expect(namespaces).toContain(x);
      if (facts.tags.includes('WMI:SetClientInfo')) expect(machines.size).toBeGreaterThan(0);
      // every clear activation CLSID is a dcom.clsid
      for (const c of facts.tshark.activation_clsids) expect(clsids).toContain(c.clsid.toLowerCase());
      // IWbemServices operations in the session records: the same opnums and names as tshark's ("IWbemServices
      // [6 GetObject x3, 14 PutInstance x8, 16 DeleteInstance x3]"), sealed or not. tshark counts request PDUs, the
      // records count calls (a two-fragment ExecMethod is one call), so counts are at most tshark's and at least 1.
      const listed = /IWbemServices \[([^\]]*)\]/.exec(
        ((facts as unknown as { summary?: string[] }).summary ?? []).join(' '),
      );
      if (listed) {
        const want: Record<string, number> = {};
        for (const m of listed[1].matchAll(/(\d+) (\w+) x(\d+)/g)) want[`${m[1]} ${m[2]}`] = Number(m[3]);
        const got: Record<string, number> = {};
        for (const r of sessions(recs)) {
          for (const o of r.dcerpc_session.operations as {
            interface: string;
            opnum: number;
            operation?: string;
            requests: number;
          }[]) {
            if (o.interface !== 'IWbemServices') continue;
            const k = `${o.opnum} ${o.operation}`;
            got[k] = (got[k] ?? 0) + o.requests;
          }
        }
        expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
        for (const k of Object.keys(want)) {
          expect(got[k]).toBeGreaterThan(0);
          expect(got[k]).toBeLessThanOrEqual(want[k]);
        }
      }
      // sealed WMI: IWbemServices alerts still name the operation, with stub_sealed
      if (facts.tags.includes('WMI-ENCRYPTED')) {
        const svc = alerts(recs).filter((a) => a.dcerpc?.interface?.name === 'IWbemServices' && a.dcerpc.stub_sealed);
        expect(svc.length).toBeGreaterThan(0);
        for (const a of svc) expect(a.dcerpc.operation).toBe(operationName(a.dcerpc.interface.uuid, a.dcerpc.opnum));
      }
    }, 60_000);
  }
});
