/**
 * Operations of the three services as deployed: real processes (`node bin/wmidetect.mjs serve …`, configured only by
 * the environment, as the Helm chart runs them) against the real test broker.
 *
 *   1  readiness: each service answers /healthz at once, /readyz 503 while its Kafka bootstrap address refuses every
 *      connection (a gate in front of the broker), and /readyz 200 once the gate lets connections through;
 *   2  /metrics counts what a replay sent: ingest's accepted frames = the frames of the capture (counted here from the
 *      pcap record headers), detect's alerts by sid = the alerts `wmidetect analyze` finds offline, enrich's alerts
 *      out = the same number, and no DLQ record anywhere; with OTEL_EXPORTER_OTLP_ENDPOINT set (an OTLP/HTTP JSON
 *      collector in this test), each service's batch spans reach it and ingest's OTel frame counter = the frames;
 *   3  SIGTERM of the detector in the middle of a replay (half the capture delivered and processed, the rest not yet
 *      sent): it exits 0 after its graceful stop, a second detector takes the partitions over, and the alert ids on
 *      the detections topic and on the SIEM topic are exactly those of the offline run — none lost, none twice.
 *
 * Waiting is on observable conditions only: /readyz and /metrics are probed (what Kubernetes and Prometheus do),
 * topics are read to their end offsets. Runs from dist/: `npx tsc -b` first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { scenarioBytes } from '@wmi-detect/capture-gen';
import { createKafkajsClient, freePort, type KafkaRecord } from '@wmi-detect/kafka';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokers, testKafkaLogger, uniqueName } from '../kafka/brokers.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const BIN = join(repoRoot, 'bin', 'wmidetect.mjs');
// Both shipped packs, as the Helm chart's rules ConfigMap gives detect; analyze is given the same files.
const RULES = [join(repoRoot, 'rules', 'wmi.rules'), join(repoRoot, 'rules', 'wmi-extended.rules')];
const corpus = resolve(repoRoot, '../shared/corpus/pcaps/OTRF__Security-Datasets');
const EMPIRE_WMI = join(
  corpus,
  'datasets__atomic__windows__lateral_movement__network__empire_msbuild_dcerpc_wmi_smb.zip__empire_msbuild_dcerpc_wmi_smb_WORKSTATION5_2020-09-20173857.cap',
);
const dir = mkdtempSync(join(tmpdir(), 'ops-int-'));
const SENSOR_ID = 'ops-test-sensor';
const TOKEN = 'ops-test-token-0123456789abcdef';

// ---- processes -------------------------------------------------------------------------------------------------

interface Proc {
  name: string;
  proc: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
  code: number | null | undefined;
}

const running: Proc[] = [];
const collectors: { close(): Promise<void> }[] = [];

function wmidetect(name: string, args: string[], env: Record<string, string>, stdin = false): Proc {
  const proc = spawn(process.execPath, [BIN, ...args], {
    cwd: repoRoot,
    // Only what a pod would have: the contract of docs/configuration.md, not the test runner's environment.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const p: Proc = { name, proc, stdout: '', stderr: '', code: undefined, exited: Promise.resolve(null) };
  proc.stdout?.setEncoding('utf8').on('data', (c: string) => {
    p.stdout += c;
  });
  proc.stderr?.setEncoding('utf8').on('data', (c: string) => {
    p.stderr += c;
  });
  p.exited = new Promise((res) => {
    proc.on('close', (code) => {
      p.code = code;
      res(code);
    });
    proc.on('error', () => res(-1));
  });
  running.push(p);
  return p;
}

function lastLines(p: Proc, n = 15): string {
  return `${p.name} (exit ${p.code ?? 'running'}):\n${p.stderr.trim().split('\n').slice(-n).join('\n')}`;
}

async function stop(p: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (p.code === undefined) p.proc.kill(signal);
  return p.exited;
}

// ---- probing ---------------------------------------------------------------------------------------------------

/** Probes `check` (an HTTP scrape) until it holds; fails with `what` and the process logs when it never does. */
async function probe(
  check: () => Promise<boolean>,
  what: string,
  procs: Proc[],
  timeoutMs = 120_000,
  everyMs = 100,
  detail: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    const dead = procs.find((p) => p.code !== undefined);
    if (dead) throw new Error(`${what}: ${dead.name} exited\n${lastLines(dead)}`);
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\n${detail()}\n${procs.map((p) => lastLines(p)).join('\n')}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function http(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

/** Prometheus text → sum of the samples of `name` whose labels include `labels`. */
function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

function metricBy(text: string, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(new RegExp(`^${name}\\{[^}]*${label}="([^"]*)"[^}]*\\} (\\S+)$`, 'gm')))
    out[m[1]] = (out[m[1]] ?? 0) + Number(m[2]);
  return out;
}

// ---- a gate in front of the broker -----------------------------------------------------------------------------

/**
 * A TCP gate on the Kafka bootstrap address the service is given. Closed: every connection is accepted and dropped
 * at once (an unreachable broker, as the client sees it). Open: connections are relayed to the real broker. Only
 * the bootstrap goes through it; the broker's metadata then names its own address.
 */
class KafkaGate {
  private server: Server;
  private open = false;
  private sockets = new Set<Socket>();
  refused = 0;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      if (!this.open) {
        this.refused++;
        s.destroy();
        return;
      }
      const up = tcpConnect(this.target.port, this.target.host);
      this.sockets.add(up);
      up.on('close', () => this.sockets.delete(up));
      s.pipe(up).pipe(s);
      s.on('error', () => up.destroy());
      up.on('error', () => s.destroy());
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
    return `127.0.0.1:${this.port}`;
  }

  letThrough(): void {
    this.open = true;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

// ---- an OTLP/HTTP collector --------------------------------------------------------------------------------------

/** Receives OTLP/HTTP JSON exports (OTEL_EXPORTER_OTLP_PROTOCOL=http/json) and keeps them. */
class OtlpCollector {
  readonly exports: { path: string; body: OtlpBody }[] = [];
  private server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.exports.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpBody });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  endpoint = '';

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  /** Span names exported by the process whose resource has service.name = `service`. */
  spanNames(service: string): string[] {
    const names: string[] = [];
    for (const e of this.exports.filter((x) => x.path === '/v1/traces'))
      for (const rs of e.body.resourceSpans ?? [])
        if (serviceOf(rs.resource) === service)
          for (const ss of rs.scopeSpans ?? []) for (const sp of ss.spans ?? []) names.push(sp.name);
    return names;
  }

  /** Largest cumulative value exported for a counter of `service` (sum over its data points). */
  counter(service: string, name: string): number {
    let best = 0;
    for (const e of this.exports.filter((x) => x.path === '/v1/metrics'))
      for (const rm of e.body.resourceMetrics ?? [])
        if (serviceOf(rm.resource) === service)
          for (const sm of rm.scopeMetrics ?? [])
            for (const m of sm.metrics ?? [])
              if (m.name === name) {
                const v = (m.sum?.dataPoints ?? []).reduce((a, d) => a + Number(d.asInt ?? d.asDouble ?? 0), 0);
                best = Math.max(best, v);
              }
    return best;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

interface OtlpResource {
  attributes?: { key: string; value: { stringValue?: string } }[];
}
interface OtlpBody {
  resourceSpans?: { resource?: OtlpResource; scopeSpans?: { spans?: { name: string }[] }[] }[];
  resourceMetrics?: {
    resource?: OtlpResource;
    scopeMetrics?: {
      metrics?: { name: string; sum?: { dataPoints?: { asInt?: string | number; asDouble?: number }[] } }[];
    }[];
  }[];
}
const serviceOf = (r: OtlpResource | undefined) =>
  r?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue;

// ---- fixtures --------------------------------------------------------------------------------------------------

interface Topics extends Record<string, string> {
  TOPIC_PACKETS: string;
  TOPIC_DETECTIONS: string;
  TOPIC_DLQ: string;
  TOPIC_ALERTS: string;
  TOPIC_SUPPRESSED: string;
  TOPIC_REF_ASSETS: string;
  TOPIC_REF_WHITELIST: string;
  TOPIC_DETECT_STATE: string;
}

function topicNames(tag: string): Topics {
  return {
    TOPIC_PACKETS: uniqueName(`${tag}-packets`),
    TOPIC_DETECTIONS: uniqueName(`${tag}-detections`),
    TOPIC_DLQ: uniqueName(`${tag}-dlq`),
    TOPIC_ALERTS: uniqueName(`${tag}-alerts`),
    TOPIC_SUPPRESSED: uniqueName(`${tag}-suppressed`),
    TOPIC_REF_ASSETS: uniqueName(`${tag}-ref-assets`),
    TOPIC_REF_WHITELIST: uniqueName(`${tag}-ref-whitelist`),
    TOPIC_DETECT_STATE: uniqueName(`${tag}-detect-state`),
  };
}

async function createTopics(brokers: string, topics: Topics): Promise<void> {
  const p = wmidetect('topics', ['topics', 'create', '--partitions', '2', '--replication-factor', '1'], {
    KAFKA_BROKERS: brokers,
    ...topics,
  });
  expect(await p.exited, lastLines(p)).toBe(0);
}

const tokensFile = join(dir, 'sensor-tokens');
const sensorTokenFile = join(dir, 'sensor-token');

async function serviceEnv(
  service: 'ingest' | 'detect' | 'enrich',
  brokers: string,
  topics: Topics,
  groups: { detect: string; enrich: string },
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  const env: Record<string, string> = {
    KAFKA_BROKERS: brokers,
    OPS_PORT: String(await freePort()),
    LOG_LEVEL: 'info',
    ...topics,
  };
  if (service === 'ingest') {
    env.INGEST_PORT = String(await freePort());
    env.INGEST_TOKENS_FILE = tokensFile;
  } else if (service === 'detect') {
    env.RULES_FILES = RULES.join(',');
    env.DETECT_GROUP_ID = groups.detect;
  } else {
    env.ENRICH_GROUP_ID = groups.enrich;
  }
  return { ...env, ...extra };
}

function startService(service: 'ingest' | 'detect' | 'enrich', env: Record<string, string>, name: string = service) {
  return { p: wmidetect(name, ['serve', service], env), ops: Number(env.OPS_PORT) };
}

/** Frames in a classic pcap, from its record headers (independent of the code under test). */
function pcapFrames(bytes: Buffer): { header: Buffer; records: Buffer[] } {
  const magic = bytes.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && bytes.readUInt32BE(0) !== 0xa1b2c3d4 && bytes.readUInt32BE(0) !== 0xa1b23c4d)
    throw new Error('not a classic pcap');
  const records: Buffer[] = [];
  let off = 24;
  while (off + 16 <= bytes.length) {
    const incl = le ? bytes.readUInt32LE(off + 8) : bytes.readUInt32BE(off + 8);
    if (off + 16 + incl > bytes.length) break; // truncated last record: the sensor stops there too
    records.push(bytes.subarray(off, off + 16 + incl));
    off += 16 + incl;
  }
  return { header: bytes.subarray(0, 24), records };
}

async function offlineAlerts(file: string): Promise<{ id: string; sid: number }[]> {
  const p = wmidetect('analyze', ['analyze', ...RULES.flatMap((r) => ['--rules', r]), file], {});
  expect(await p.exited, lastLines(p)).toBe(0);
  return p.stdout
    .split('\n')
    .filter((l) => l.includes('"event_type":"alert"'))
    .map((l) => JSON.parse(l) as { alert_id: string; alert: { signature_id: number } })
    .map((a) => ({ id: a.alert_id, sid: a.alert.signature_id }));
}

/** The offsets readTopic saw last, for failure messages. */
let lastRead = '';

/** Every committed record of `topic`, read to the end offsets it has now. */
async function readTopic(brokers: string, topic: string): Promise<KafkaRecord[]> {
  const client = createKafkajsClient({ brokers: brokers.split(','), logger: testKafkaLogger });
  const admin = client.admin();
  await admin.connect();
  const all = await admin.fetchOffsets(topic);
  lastRead = `${topic}: ${JSON.stringify(all)}`;
  const ends = all.filter((e) => e.high !== e.low);
  await admin.close();
  const out: KafkaRecord[] = [];
  if (ends.length === 0) return out;
  const src = client.source({ groupId: uniqueName('ops-reader'), readCommitted: true, maxWaitTimeMs: 100 });
  await src.connect();
  await src.subscribe([topic], { fromBeginning: true });
  let left = ends.length;
  await new Promise<void>((done) => {
    void src.run(async (batch) => {
      out.push(...batch.records);
      const end = ends.find((e) => e.partition === batch.partition);
      if (end && BigInt(batch.nextOffset) >= BigInt(end.high) && --left === 0) done();
    });
  });
  await src.close();
  return out;
}

function alertIds(records: KafkaRecord[]): string[] {
  return records
    .map((r) => JSON.parse(r.value?.toString('utf8') ?? '{}') as { event_type?: string; alert_id?: string })
    .filter((r) => r.event_type === 'alert')
    .map((r) => r.alert_id as string)
    .sort();
}

/** Re-reads the detections topic (probing like `probe`) until it holds `n` alerts; returns their sorted ids. */
async function untilDetectionsHold(
  brokers: string,
  topic: string,
  n: number,
  procs: Proc[],
  timeoutMs: number,
  everyMs: number,
  detail: (seen: string[]) => string,
): Promise<string[]> {
  let seen: string[] = [];
  await probe(
    async () => {
      seen = alertIds(await readTopic(brokers, topic));
      return seen.length >= n;
    },
    `the detections topic to hold ${n} alerts`,
    procs,
    timeoutMs,
    everyMs,
    () => detail(seen),
  );
  return seen;
}

/** A sensor reading a pcap from stdin, so the test decides how much of the capture has been captured so far. */
function sensor(ingestPort: string): Proc {
  return wmidetect(
    'sensor',
    [
      'sensor',
      '--ingest',
      `http://127.0.0.1:${ingestPort}`,
      '--sensor-id',
      SENSOR_ID,
      '--token-file',
      sensorTokenFile,
      '--spool-dir',
      mkdtempSync(join(dir, 'spool-')),
      '--batch-ms',
      '50',
      '-',
    ],
    {},
    true,
  );
}

// ---- tests -----------------------------------------------------------------------------------------------------

if (!existsSync(EMPIRE_WMI))
  console.warn(
    `SKIPPING the SIGTERM test of test/ops/services.int.test.ts: ${EMPIRE_WMI} is missing (../shared corpus)`,
  );

describe('services as processes: readiness, metrics, graceful stop', () => {
  let brokers: string;

  beforeAll(() => {
    if (!existsSync(join(repoRoot, 'packages/cli/dist/index.js')))
      throw new Error('packages/cli/dist is missing: run `npx tsc -b` before these tests');
    brokers = kafkaBrokers().join(',');
    writeFileSync(tokensFile, `${SENSOR_ID}:${TOKEN}\n`, { mode: 0o600 });
    writeFileSync(sensorTokenFile, `${TOKEN}\n`, { mode: 0o600 });
  });

  afterEach(async () => {
    // A failed test must not leave services running into the next one.
    await Promise.all(running.splice(0).map((p) => stop(p, 'SIGKILL')));
    await Promise.all(collectors.splice(0).map((c) => c.close()));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const service of ['ingest', 'detect', 'enrich'] as const) {
    it(`${service}: /readyz is 503 while Kafka is unreachable and 200 once it is reachable; /healthz is 200 throughout`, async () => {
      const topics = topicNames(`ops-ready-${service}`);
      await createTopics(brokers, topics);
      const [host, port] = brokers.split(',')[0].split(':');
      const gate = new KafkaGate({ host, port: Number(port) });
      const gated = await gate.listen();
      try {
        const env = await serviceEnv(service, gated, topics, {
          detect: uniqueName('ops-ready-detect'),
          enrich: uniqueName('ops-ready-enrich'),
        });
        const { p, ops } = startService(service, env);

        // Alive at once, whatever Kafka does: liveness must not depend on the broker.
        await probe(async () => (await http(ops, '/healthz')).status === 200, `${service} /healthz`, [p]);
        // It has tried the broker and been refused, and says it is not ready, naming what is missing.
        await probe(async () => gate.refused > 0, `${service} trying the Kafka bootstrap address`, [p]);
        const notReady = await http(ops, '/readyz');
        expect(notReady.status, notReady.body).toBe(503);
        const failing = (JSON.parse(notReady.body) as { failing: string[] }).failing;
        expect(failing.length).toBeGreaterThan(0);
        expect((await http(ops, '/healthz')).status).toBe(200);

        gate.letThrough();
        await probe(async () => (await http(ops, '/readyz')).status === 200, `${service} /readyz 200`, [p]);
        const ready = await http(ops, '/readyz');
        expect(JSON.parse(ready.body)).toEqual({ status: 'ready', failing: [] });
        // What a ServiceMonitor scrapes is Prometheus text with this service's series.
        const m = await fetch(`http://127.0.0.1:${ops}/metrics`);
        expect(m.headers.get('content-type')).toContain('text/plain; version=0.0.4');
        expect(await m.text()).toMatch(new RegExp(`^# TYPE wmi_${service}_\\w+ `, 'm'));

        expect(await stop(p), lastLines(p)).toBe(0);
      } finally {
        await gate.close();
      }
    });
  }

  it('/metrics counts what a replay sent: ingest frames, detect alerts by sid, enrich alerts out', async () => {
    const capture = join(dir, 'wmi-activation-ok.pcap');
    const bytes = Buffer.from(scenarioBytes('wmi-activation-ok').bytes);
    writeFileSync(capture, bytes);
    const frames = pcapFrames(bytes).records.length;
    const offline = await offlineAlerts(capture);
    expect(offline.length).toBeGreaterThan(0);
    const offlineBySid: Record<string, number> = {};
    for (const a of offline) offlineBySid[a.sid] = (offlineBySid[a.sid] ?? 0) + 1;

    const topics = topicNames('ops-metrics');
    await createTopics(brokers, topics);
    const groups = { detect: uniqueName('ops-metrics-detect'), enrich: uniqueName('ops-metrics-enrich') };
    // OpenTelemetry export configured the standard way; the collector is this test.
    const collector = new OtlpCollector();
    await collector.listen();
    collectors.push(collector);
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
    const ingestEnv = await serviceEnv('ingest', brokers, topics, groups, otel);
    const ingest = startService('ingest', ingestEnv);
    const detect = startService('detect', await serviceEnv('detect', brokers, topics, groups, otel));
    const enrich = startService('enrich', await serviceEnv('enrich', brokers, topics, groups, otel));
    const all = [ingest.p, detect.p, enrich.p];
    for (const s of [ingest, detect, enrich])
      await probe(async () => (await http(s.ops, '/readyz')).status === 200, `${s.p.name} ready`, all);

    const sn = sensor(ingestEnv.INGEST_PORT);
    sn.proc.stdin?.end(bytes);
    expect(await sn.exited, lastLines(sn)).toBe(0);

    // ingest answered the sensor only after Kafka acknowledged: its count is final when the sensor is done.
    const im = (await http(ingest.ops, '/metrics')).body;
    expect(metric(im, 'wmi_ingest_frames_total')).toBe(frames);
    expect(metric(im, 'wmi_ingest_requests_total', { route: '/v1/batches', status: '202' })).toBeGreaterThan(0);
    expect(metric(im, 'wmi_ingest_rejected_total')).toBe(0);

    // detect: its output committed (read back from the detections topic) …
    const expectedIds = offline.map((a) => a.id).sort();
    const seen = await untilDetectionsHold(
      brokers,
      topics.TOPIC_DETECTIONS,
      expectedIds.length,
      all,
      120_000,
      250,
      (have) => `have ${JSON.stringify(have)}; ${lastRead}`,
    );
    expect(seen).toEqual(expectedIds);
    // … and its metrics count exactly that work: every frame once, the alerts by sid of analyze, nothing left
    const dm = (await http(detect.ops, '/metrics')).body;
    expect(metric(dm, 'wmi_detect_frames_total')).toBe(frames);
    expect(metricBy(dm, 'wmi_detect_alerts_total', 'sid')).toEqual(offlineBySid);
    expect(metric(dm, 'wmi_detect_consumer_lag_records')).toBe(0);
    expect(metric(dm, 'wmi_detect_transactions_total', { result: 'committed' })).toBeGreaterThan(0);
    expect(metric(dm, 'wmi_detect_transactions_total', { result: 'failed' })).toBe(0);
    expect(metric(dm, 'wmi_detect_dlq_total')).toBe(0);
    expect(metric(dm, 'wmi_detect_engine_errors_total')).toBe(0);
    const ruleCount = RULES.flatMap((r) => readFileSync(r, 'utf8').split('\n')).filter((l) =>
      /^alert\s/.test(l),
    ).length;
    expect(metric(dm, 'wmi_detect_rules_loaded')).toBe(ruleCount);
    expect(await stop(detect.p), lastLines(detect.p)).toBe(0);
    const detections = await readTopic(brokers, topics.TOPIC_DETECTIONS);
    expect(alertIds(detections), `${lastRead}\n${lastLines(detect.p, 40)}`).toEqual(expectedIds);

    // enrich: every detection record in, each out to the SIEM topic (no whitelist, no duplicate), nothing to the DLQ
    let em = '';
    await probe(
      async () => {
        em = (await http(enrich.ops, '/metrics')).body;
        return metric(em, 'wmi_enrich_records_in_total') === detections.length;
      },
      `enrich to consume the ${detections.length} detection records`,
      all.filter((p) => p !== detect.p),
    );
    expect(metric(em, 'wmi_enrich_records_out_total', { topic: 'alerts' })).toBe(detections.length);
    expect(metric(em, 'wmi_enrich_dlq_total')).toBe(0);
    expect(metric(em, 'wmi_enrich_duplicates_total')).toBe(0);
    expect(alertIds(await readTopic(brokers, topics.TOPIC_ALERTS))).toEqual(offline.map((a) => a.id).sort());

    for (const s of [ingest, enrich]) expect(await stop(s.p), lastLines(s.p)).toBe(0);

    // OpenTelemetry, from the OTEL_* variables alone: every service's batch spans reached the collector (flushed by
    // `serve` after the graceful stop), and ingest's OTel frame counter agrees with /metrics.
    expect(collector.spanNames('wmi-detect-ingest')).toContain('POST /v1/batches');
    expect(collector.spanNames('wmi-detect-detect')).toContain('detect.batch');
    expect(collector.spanNames('wmi-detect-enrich')).toContain('enrich batch');
    expect(collector.counter('wmi-detect-ingest', 'wmi.ingest.frames')).toBe(frames);
  });

  it.skipIf(!existsSync(EMPIRE_WMI))(
    'SIGTERM of the detector in the middle of a replay loses no alert (detections and SIEM topic = offline analyze)',
    async () => {
      const bytes = readFileSync(EMPIRE_WMI);
      const { header, records } = pcapFrames(bytes);
      const offline = await offlineAlerts(EMPIRE_WMI);
      expect(offline.length).toBeGreaterThan(1);
      const split = Math.floor(records.length / 2);

      const topics = topicNames('ops-sigterm');
      await createTopics(brokers, topics);
      const groups = { detect: uniqueName('ops-sigterm-detect'), enrich: uniqueName('ops-sigterm-enrich') };
      const ingestEnv = await serviceEnv('ingest', brokers, topics, groups);
      const ingest = startService('ingest', ingestEnv);
      const detect1 = startService(
        'detect',
        await serviceEnv('detect', brokers, topics, groups, { DETECT_INSTANCE_ID: 'ops-detect-1' }),
        'detect-1',
      );
      const enrich = startService('enrich', await serviceEnv('enrich', brokers, topics, groups));
      const procs = [ingest.p, detect1.p, enrich.p];
      for (const s of [ingest, detect1, enrich])
        await probe(async () => (await http(s.ops, '/readyz')).status === 200, `${s.p.name} ready`, procs);

      // First half of the capture: delivered, acknowledged, and processed by detect-1.
      const sn = sensor(ingestEnv.INGEST_PORT);
      sn.proc.stdin?.write(Buffer.concat([header, ...records.slice(0, split)]));
      await probe(
        async () => metric((await http(ingest.ops, '/metrics')).body, 'wmi_ingest_frames_total') === split,
        `ingest accepted the first ${split} frames`,
        [...procs, sn],
      );
      await probe(
        async () => metric((await http(detect1.ops, '/metrics')).body, 'wmi_detect_frames_total') === split,
        `detect-1 processed the first ${split} frames`,
        [...procs, sn],
      );

      // The stop lands in the middle of the alert stream: some alerts came from the first half, not all.
      const before = metric((await http(detect1.ops, '/metrics')).body, 'wmi_detect_alerts_total');
      expect(before).toBeGreaterThan(0);
      expect(before).toBeLessThan(offline.length);

      // SIGTERM mid-replay: graceful stop (in-flight batch committed, group left), exit 0.
      expect(await stop(detect1.p, 'SIGTERM'), lastLines(detect1.p)).toBe(0);
      expect(detect1.p.stderr).toMatch(/signal received: stopping gracefully/);

      // A second detector takes the partitions over (restores their state by replay), then the rest arrives.
      const detect2 = startService(
        'detect',
        await serviceEnv('detect', brokers, topics, groups, { DETECT_INSTANCE_ID: 'ops-detect-2' }),
        'detect-2',
      );
      const procs2 = [ingest.p, detect2.p, enrich.p];
      await probe(async () => (await http(detect2.ops, '/readyz')).status === 200, 'detect-2 ready', procs2);
      sn.proc.stdin?.end(Buffer.concat(records.slice(split)));
      expect(await sn.exited, lastLines(sn)).toBe(0);
      expect(metric((await http(ingest.ops, '/metrics')).body, 'wmi_ingest_frames_total')).toBe(records.length);
      const expected = offline.map((a) => a.id).sort();
      // detect-2 has produced (and committed) as many alerts as analyze finds; which ones is asserted below
      await untilDetectionsHold(
        brokers,
        topics.TOPIC_DETECTIONS,
        expected.length,
        procs2,
        180_000,
        500,
        (have) => `missing: ${expected.filter((id) => !have.includes(id)).join(', ')}`,
      );
      // detect-2 rebuilt the state of connections open at the split by replaying records detect-1 had processed,
      // with their output suppressed (it had been produced already)
      const d2 = (await http(detect2.ops, '/metrics')).body;
      expect(metric(d2, 'wmi_detect_replay_records_total')).toBeGreaterThan(0);
      expect(metric(d2, 'wmi_detect_restores_total', { cause: 'assigned' })).toBe(2);
      // detect-2's graceful stop commits its last transaction: the detections topic is then complete
      expect(await stop(detect2.p), lastLines(detect2.p)).toBe(0);
      const detectionRecords = await readTopic(brokers, topics.TOPIC_DETECTIONS);
      expect(alertIds(detectionRecords)).toEqual(expected); // every alert, each exactly once
      await probe(
        async () =>
          metric((await http(enrich.ops, '/metrics')).body, 'wmi_enrich_records_in_total') === detectionRecords.length,
        `enrich to consume the ${detectionRecords.length} detection records`,
        [ingest.p, enrich.p],
      );
      for (const s of [enrich, ingest]) expect(await stop(s.p), lastLines(s.p)).toBe(0);
      expect(alertIds(await readTopic(brokers, topics.TOPIC_ALERTS))).toEqual(expected);
      expect(await readTopic(brokers, topics.TOPIC_DLQ)).toEqual([]);
    },
  );
});
