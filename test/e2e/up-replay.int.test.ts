/**
 * End to end through real processes and a real broker: `wmidetect up --replay CAPTURE --exit` runs sensor → ingest →
 * two detectors → enrich and prints wmi.alerts.v1; the alerts must be the ones `wmidetect analyze` finds offline in
 * the same capture (same alert ids, sids, hosts), minus whitelisted ones, which must be on the suppressed topic.
 *
 *   1  on the test broker (`--brokers`, unique TOPIC_* and group ids), with a whitelist: afterwards the test reads
 *      the suppressed topic itself;
 *   2  with the stack's own broker (no --brokers), as a user runs it: same alerts as analyze, and no process or temp
 *      dir of the stack is left afterwards.
 *
 * Captures are generated (packages/capture-gen scenarios). Both commands run from dist/ (bin/wmidetect.mjs), like a
 * user runs them; `npx tsc -b` first.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scenarioBytes } from '@wmi-detect/capture-gen';
import { createKafkajsClient, type KafkaRecord, processesMentioning } from '@wmi-detect/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokers, testKafkaLogger, uniqueName } from '../kafka/brokers.js';
import { BIN, repoRoot, wmidetect } from './run-bin.js';

const dir = mkdtempSync(join(tmpdir(), 'e2e-up-'));

const lines = (s: string) =>
  s
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

interface AlertView {
  alert_id: string;
  sid: number;
  src_ip: string;
  dest_ip: string;
  dest_port: number;
}
const view = (r: Record<string, unknown>): AlertView => ({
  alert_id: r.alert_id as string,
  sid: (r.alert as { signature_id: number }).signature_id,
  src_ip: r.src_ip as string,
  dest_ip: r.dest_ip as string,
  dest_port: r.dest_port as number,
});
const byId = (a: AlertView, b: AlertView) => a.alert_id.localeCompare(b.alert_id);

function capture(scenario: string): string {
  const file = join(dir, `${scenario}.pcap`);
  writeFileSync(file, scenarioBytes(scenario).bytes);
  return file;
}

async function analyzeAlerts(file: string): Promise<AlertView[]> {
  const r = await wmidetect(['analyze', file]);
  expect(r.code, r.stderr).toBe(0);
  return lines(r.stdout)
    .filter((x) => x.event_type === 'alert')
    .map(view)
    .sort(byId);
}

/** The process exists (signal 0 delivers nothing; it only asks the kernel). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('wmidetect up --replay --exit', () => {
  beforeAll(() => {
    if (!existsSync(join(repoRoot, 'packages/cli/dist/index.js')))
      throw new Error('packages/cli/dist is missing: run `npx tsc -b` before the end-to-end tests');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('on the test broker: alerts = analyze minus the whitelisted one, which is on the suppressed topic', async () => {
    const brokers = kafkaBrokers().join(',');
    const file = capture('wmi-activation-ok');
    const offline = await analyzeAlerts(file);
    // the seed's four (activation, WMI CLSID, IWbemLevel1Login, IWbemServices) and the extended pack's process creation
    // (Win32_Process.Create, with cmd.exe, any ExecMethod): the scenario runs wmiexec's `cmd.exe /Q /c whoami`
    expect(offline.map((a) => a.sid).sort()).toEqual([4103001, 4103004, 4103022, 4103023, 4103100, 4103101, 4103102]);
    const whitelisted = offline.find((a) => a.sid === 4103001)!;
    const wl = join(dir, 'whitelist.json');
    writeFileSync(wl, JSON.stringify([{ id: 'e2e-admin', source: '10.0.0.10', sids: [4103001] }]));

    const env: Record<string, string> = {
      TOPIC_PACKETS: uniqueName('e2e-packets'),
      TOPIC_DETECTIONS: uniqueName('e2e-detections'),
      TOPIC_DLQ: uniqueName('e2e-dlq'),
      TOPIC_ALERTS: uniqueName('e2e-alerts'),
      TOPIC_SUPPRESSED: uniqueName('e2e-suppressed'),
      TOPIC_REF_ASSETS: uniqueName('e2e-ref-assets'),
      TOPIC_REF_WHITELIST: uniqueName('e2e-ref-whitelist'),
      TOPIC_DETECT_STATE: uniqueName('e2e-detect-state'),
      DETECT_GROUP_ID: uniqueName('e2e-detect'),
      ENRICH_GROUP_ID: uniqueName('e2e-enrich'),
    };
    const r = await wmidetect(['up', '--brokers', brokers, '--replay', file, '--exit', '--whitelist', wl], env);
    expect(r.code, r.stderr).toBe(0);
    const printed = lines(r.stdout);
    const alerts = printed.filter((x) => x.event_type === 'alert');
    expect(alerts.map(view).sort(byId)).toEqual(offline.filter((a) => a !== whitelisted));
    // Not only the ids: every field analyze gives (identity, operation, command line, session, flow …) is the same;
    // only `capture` (the file offline, the sensor id in the pipeline) and the added `enrichment` differ.
    const full = (await wmidetect(['analyze', file])).stdout;
    const offlineFull = new Map(
      lines(full)
        .filter((x) => x.event_type === 'alert')
        .map((x) => [x.alert_id as string, { ...x, capture: undefined }]),
    );
    for (const a of alerts)
      expect({ ...a, capture: undefined, enrichment: undefined }).toEqual(offlineFull.get(a.alert_id as string));
    expect(alerts[0].capture).toBe('up-sensor');
    for (const a of alerts) expect(a.enrichment).toMatchObject({ whitelisted: false });
    // Every printed line is a record of the SIEM topic: alerts, their tag records and the dcerpc_session records.
    expect(new Set(printed.map((x) => x.event_type))).toEqual(new Set(['alert', 'tag', 'dcerpc_session']));

    // The suppressed topic, read by the test itself after `up` is gone.
    const client = createKafkajsClient({ brokers: brokers.split(','), logger: testKafkaLogger });
    const admin = client.admin();
    await admin.connect();
    const ends = (await admin.fetchOffsets(env.TOPIC_SUPPRESSED)).filter((e) => e.high !== e.low);
    await admin.close();
    const suppressed: KafkaRecord[] = [];
    if (ends.length > 0) {
      const src = client.source({ groupId: uniqueName('e2e-reader'), readCommitted: true, maxWaitTimeMs: 100 });
      await src.connect();
      await src.subscribe([env.TOPIC_SUPPRESSED], { fromBeginning: true });
      let left = ends.length;
      await new Promise<void>((done) => {
        void src.run(async (batch) => {
          suppressed.push(...batch.records);
          const end = ends.find((e) => e.partition === batch.partition);
          if (end && BigInt(batch.nextOffset) >= BigInt(end.high) && --left === 0) done();
        });
      });
      await src.close();
    }
    const sup = suppressed.map((s) => JSON.parse(s.value!.toString('utf8')) as Record<string, unknown>);
    expect(sup.map(view)).toEqual([whitelisted]);
    expect(sup[0].enrichment).toMatchObject({ whitelisted: true, whitelist_rule: 'e2e-admin' });
  });

  it('with its own broker: the alerts of analyze, and nothing left behind', async () => {
    const file = capture('big-endian');
    const offline = await analyzeAlerts(file);
    expect(offline.length).toBeGreaterThan(3); // the scenario's activation, ExecMethod and fault alerts
    const r = await wmidetect(['up', '--replay', file, '--exit']);
    expect(r.code, r.stderr).toBe(0);
    const alerts = lines(r.stdout).filter((x) => x.event_type === 'alert');
    expect(alerts.map(view).sort(byId)).toEqual(offline);

    // The stack's own dir (tokens, logs, spool) and broker dir are gone. (Other test runs on this machine may have
    // brokers of their own right now, so only the dirs this run names are checked.)
    const stackDir = /token file (\S+)\/sensor-tokens/.exec(r.stderr)?.[1];
    expect(stackDir, r.stderr).toBeDefined();
    expect(existsSync(stackDir!)).toBe(false);
    // Every service process up started is gone, and so is the broker it started.
    const pids = [...r.stderr.matchAll(/ pid (\d+) /g)].map((m) => Number(m[1]));
    expect(pids.length, r.stderr).toBe(4);
    const alive = pids.filter(running);
    expect(alive).toEqual([]);
    const brokerDir = /local broker in (\S+)\)/.exec(r.stderr)?.[1];
    expect(brokerDir, r.stderr).toBeDefined();
    expect(existsSync(brokerDir!)).toBe(false);
    expect(processesMentioning(brokerDir!)).toEqual([]);
  });

  it('without --exit: stays up until SIGINT, then stops everything and exits 130', async () => {
    const p = spawn(process.execPath, [BIN, 'up'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', JAVA_HOME: process.env.JAVA_HOME ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number | null>((res) => p.on('close', (code) => res(code)));
    // Interrupt as soon as `up` says it is up (event-driven: on its own output).
    await new Promise<void>((res, rej) => {
      p.stderr.setEncoding('utf8').on('data', (c) => {
        stderr += c;
        if (stderr.includes('Ctrl-C stops everything')) res();
      });
      p.once('close', () => rej(new Error(`up exited before it was up:\n${stderr}`)));
    });
    const pids = [...stderr.matchAll(/ pid (\d+) /g)].map((m) => Number(m[1]));
    expect(pids.length, stderr).toBe(4);
    const stackDir = /token file (\S+)\/sensor-tokens/.exec(stderr)?.[1];
    const brokerDir = /local broker in (\S+)\)/.exec(stderr)?.[1];
    expect(existsSync(stackDir!)).toBe(true);
    p.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    const alive = pids.filter(running);
    expect(alive).toEqual([]);
    expect(existsSync(stackDir!)).toBe(false);
    expect(existsSync(brokerDir!)).toBe(false);
    expect(processesMentioning(brokerDir!)).toEqual([]);
  });
});
