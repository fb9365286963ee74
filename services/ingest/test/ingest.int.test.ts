/**
 * ingest against the real test broker: what lands on Kafka, where, and when.
 *
 *   1  /v1/batches and /v1/pcap with a generated WMI session: every frame once, PacketRecord v1 values, keys =
 *      HostPairKey bytes, partitions = what kafkajs's own Java-compatible partitioner says for those keys (an
 *      implementation independent of ours), both directions of every connection and the 135 + dynamic-port
 *      connections of the session on one partition
 *   2  refusals put nothing on Kafka: 401, 403, 400 (counted)
 *   3  202 only after an ack: with the topic missing, requests get 503 and /readyz says why
 *   4  sensor → ingest (a real `wmidetect serve ingest` process, SIGKILLed mid-way and restarted) → Kafka: the
 *      sensor spools and retries, and every frame is on the topic afterwards
 *
 * Test 4 runs ingest from dist/ (bin/wmidetect.mjs) like a deployment does: `npx tsc -b` first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { scenarioBytes } from '@wmi-detect/capture-gen';
import { decodeFrame, HostPairKey } from '@wmi-detect/engine';
import {
  createKafkajsClient,
  DEFAULT_TOPICS,
  freePort,
  type KafkaAdmin,
  type KafkaClient,
  type KafkaRecord,
} from '@wmi-detect/kafka';
import { createLogger } from '@wmi-detect/ops';
import { decodePacketRecord, encodePacketBatch, type PacketRecordV1, type WireFrame } from '@wmi-detect/wire';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestClient } from '../../../packages/cli/src/sensor/ingest-client.js';
import { Sensor } from '../../../packages/cli/src/sensor/sensor.js';
import { Spool } from '../../../packages/cli/src/sensor/spool.js';
import { kafkaBrokers, testKafkaLogger, uniqueName } from '../../../test/kafka/brokers.js';
import { Progress } from '../../../test/kafka/until.js';
import type { IngestConfig } from '../src/config.js';
import { IngestService } from '../src/service.js';
import { captureWireFrames, post, testIngestConfig } from './helpers.js';

const PARTITIONS = 6;
const repoRoot = resolve(import.meta.dirname, '../../..');
const BIN = join(repoRoot, 'bin', 'wmidetect.mjs');
const TOKEN_A = 'integration-sensor-a-token-0001';
const TOKEN_B = 'integration-sensor-b-token-0002';
const silent = createLogger('ingest-test', { level: 'silent' });

let brokers: string[];
let client: KafkaClient;
let admin: KafkaAdmin;
let dir: string;
let tokensFile: string;

beforeAll(async () => {
  brokers = kafkaBrokers();
  client = createKafkajsClient({ brokers, logger: testKafkaLogger });
  admin = client.admin();
  await admin.connect();
  dir = mkdtempSync(join(tmpdir(), 'ingest-int-'));
  tokensFile = join(dir, 'tokens');
  writeFileSync(tokensFile, `sensor-a:${TOKEN_A}\nsensor-b:${TOKEN_B}\n`);
});

afterAll(async () => {
  await admin?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function newTopic(prefix: string): Promise<string> {
  const topic = uniqueName(prefix);
  await admin.createTopics([{ topic, partitions: PARTITIONS }]);
  return topic;
}

function config(topic: string, over: Partial<IngestConfig> = {}): IngestConfig {
  return testIngestConfig({ kafka: { brokers }, topics: { ...DEFAULT_TOPICS, packets: topic }, tokensFile, ...over });
}

async function startIngest(topic: string): Promise<IngestService> {
  const svc = new IngestService(config(topic), { logger: silent, host: '127.0.0.1', retryMs: 200 });
  await svc.start();
  await svc.ready();
  return svc;
}

/** Every record of `topic` (reads up to the end offsets known now). */
async function readAll(topic: string): Promise<KafkaRecord[]> {
  const ends = await admin.fetchOffsets(topic);
  const want = new Map(ends.map((p) => [p.partition, BigInt(p.high)]));
  const seen = new Map<number, bigint>();
  const out: KafkaRecord[] = [];
  const done = () => [...want].every(([p, high]) => high === 0n || (seen.get(p) ?? -1n) >= high - 1n);
  if (done()) return out;
  const progress = new Progress();
  const source = client.source({ groupId: uniqueName('reader'), maxWaitTimeMs: 100 });
  await source.connect();
  await source.subscribe([topic], { fromBeginning: true });
  await source.run(async (batch) => {
    for (const r of batch.records) {
      out.push(r);
      seen.set(r.partition, BigInt(r.offset));
    }
    progress.notify();
  });
  await progress.until(done, `all records of ${topic}`, 60_000, () => `${out.length} read`);
  await source.close();
  return out;
}

/** kafkajs's DefaultPartitioner (its own murmur2, Java-compatible) — not our partitioner.ts. */
function kafkajsPartition(topic: string, key: Buffer): number {
  const partitioner = kafkajs.Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, i) => ({
    partitionId: i,
    leader: 1,
    replicas: [1],
    isr: [1],
    partitionErrorCode: 0,
    offlineReplicas: [],
  }));
  return partitioner({ topic, partitionMetadata, message: { key, value: null } });
}

function tcpConnectionsByPartition(records: KafkaRecord[]) {
  /** "ip:port-ip:port" (unordered) → partitions its frames were on; port sets per host pair. */
  const conns = new Map<string, Set<number>>();
  const portsByPair = new Map<string, { partitions: Set<number>; ports: Set<number> }>();
  for (const r of records) {
    const v = decodePacketRecord(r.value!);
    for (const f of v.frames) {
      const p = decodeFrame({ tsUs: f.t, linkType: f.l, data: f.d, origLen: f.d.length, ifIndex: 0, fileOffset: 0 });
      if (typeof p === 'string' || p.proto !== 6) continue;
      const a = `${p.srcIp}:${p.srcPort}`;
      const b = `${p.dstIp}:${p.dstPort}`;
      const key = a < b ? `${a}-${b}` : `${b}-${a}`;
      if (!conns.has(key)) conns.set(key, new Set());
      conns.get(key)!.add(r.partition);
      const pair = HostPairKey.of(p.srcIp, p.dstIp)!.toString();
      if (!portsByPair.has(pair)) portsByPair.set(pair, { partitions: new Set(), ports: new Set() });
      const e = portsByPair.get(pair)!;
      e.partitions.add(r.partition);
      e.ports.add(Math.min(p.srcPort, p.dstPort));
    }
  }
  return { conns, portsByPair };
}

function checkPlacement(topic: string, records: KafkaRecord[]): void {
  for (const r of records) {
    expect(r.headers['wmi-schema']?.toString()).toBe('PacketRecord/1');
    expect(r.partition).toBe(kafkajsPartition(topic, r.key!));
    // The key is the HostPairKey of the record's frames.
    const f = decodePacketRecord(r.value!).frames[0];
    const p = decodeFrame({ tsUs: f.t, linkType: f.l, data: f.d, origLen: f.d.length, ifIndex: 0, fileOffset: 0 });
    if (typeof p !== 'string') expect([...r.key!]).toEqual([...HostPairKey.of(p.srcIp, p.dstIp)!.bytes]);
  }
  const { conns, portsByPair } = tcpConnectionsByPartition(records);
  expect(conns.size).toBeGreaterThan(1);
  for (const [c, parts] of conns) expect(parts.size, `connection ${c} on one partition`).toBe(1);
  // The WMI session: one host pair whose connections include the endpoint mapper (135) and a dynamic port.
  const session = [...portsByPair.values()].find((e) => e.ports.has(135) && [...e.ports].some((x) => x > 1024));
  expect(session, 'a host pair with 135 and a dynamic-port connection').toBeDefined();
  expect(session!.partitions.size).toBe(1);
}

describe('ingest → Kafka', () => {
  it('POST /v1/batches: every frame once, on the partition of its host pair', async () => {
    const topic = await newTopic('ingest-batches');
    const svc = await startIngest(topic);
    try {
      const frames = await captureWireFrames(scenarioBytes('wmi-activation-ok').bytes);
      const r = await post(svc.port, '/v1/batches', encodePacketBatch({ sensor: 'sensor-a', seq: 5, frames }), {
        authorization: `Bearer ${TOKEN_A}`,
        'content-type': 'application/x-msgpack',
      });
      expect(r.status).toBe(202);
      const records = await readAll(topic);
      expect(records.length).toBe(r.json().records);
      const values = records.map((x) => decodePacketRecord(x.value!));
      expect(values.every((v) => v.sensor === 'sensor-a' && v.seq === 5)).toBe(true);
      expect(values.map((v) => v.part).sort((a, b) => a - b)).toEqual(values.map((_, i) => i));
      const got = values.flatMap((v) => v.frames.map((f) => f.t)).sort((a, b) => a - b);
      expect(got).toEqual(frames.map((f) => f.t).sort((a, b) => a - b));
      checkPlacement(topic, records);
    } finally {
      await svc.stop();
    }
  });

  it('POST /v1/pcap (pcapng body): the same placement, sensor from the token', async () => {
    const topic = await newTopic('ingest-pcap');
    const svc = await startIngest(topic);
    try {
      const { bytes, description } = scenarioBytes('wmi-activation-ok', 'pcapng');
      const r = await post(svc.port, '/v1/pcap', bytes, { authorization: `Bearer ${TOKEN_B}`, 'x-wmi-seq': '77' });
      expect(r.status).toBe(202);
      const records = await readAll(topic);
      const values = records.map((x) => decodePacketRecord(x.value!));
      expect(values.reduce((n, v) => n + v.frames.length, 0)).toBe(description.frameCount);
      expect(values.every((v) => v.sensor === 'sensor-b' && v.seq === 77)).toBe(true);
      checkPlacement(topic, records);
    } finally {
      await svc.stop();
    }
  });

  it('401, 403 and 400 put nothing on Kafka and are counted', async () => {
    const topic = await newTopic('ingest-refused');
    const svc = await startIngest(topic);
    try {
      const frames = await captureWireFrames(scenarioBytes('wmi-activation-ok').bytes);
      const batch = encodePacketBatch({ sensor: 'sensor-a', seq: 1, frames });
      expect((await post(svc.port, '/v1/batches', batch, {})).status).toBe(401);
      expect(
        (await post(svc.port, '/v1/batches', batch, { authorization: 'Bearer wrong-token-wrong-token' })).status,
      ).toBe(401);
      expect((await post(svc.port, '/v1/batches', batch, { authorization: `Bearer ${TOKEN_B}` })).status).toBe(403);
      const garbage = await post(svc.port, '/v1/batches', Buffer.from('this is not msgpack, it is text'), {
        authorization: `Bearer ${TOKEN_A}`,
      });
      expect(garbage.status).toBe(400);
      expect(garbage.json().schema).toBe('PacketBatch');
      expect(svc.metrics.rejected.get({ reason: 'unauthorized' })).toBe(2);
      expect(svc.metrics.rejected.get({ reason: 'forbidden' })).toBe(1);
      expect(svc.metrics.rejected.get({ reason: 'malformed' })).toBe(1);
      const offsets = await admin.fetchOffsets(topic);
      expect(offsets.every((p) => p.high === '0')).toBe(true);
      const metrics = await httpGet(svc.opsPort, '/metrics');
      expect(metrics.body).toContain('wmi_ingest_rejected_total{reason="malformed"} 1');
    } finally {
      await svc.stop();
    }
  });

  it('no 202 without an ack: a missing topic means 503 + Retry-After, and /readyz names it', async () => {
    const topic = uniqueName('ingest-missing'); // never created; auto-create is off on the test broker
    const svc = new IngestService(config(topic), { logger: silent, host: '127.0.0.1', retryMs: 200 });
    await svc.start();
    try {
      const frames = await captureWireFrames(scenarioBytes('wmi-activation-ok').bytes);
      const r = await post(svc.port, '/v1/batches', encodePacketBatch({ sensor: 'sensor-a', seq: 1, frames }), {
        authorization: `Bearer ${TOKEN_A}`,
      });
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toBe('5');
      const ready = await httpGet(svc.opsPort, '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toContain('topic_exists');
      expect((await admin.listTopics()).includes(topic)).toBe(false);
    } finally {
      await svc.stop();
    }
  });
});

describe('sensor → ingest (killed mid-way) → Kafka', () => {
  it('spools while ingest is down and delivers every frame once it is back', async () => {
    const topic = await newTopic('ingest-kill');
    const port = await freePort();
    const opsPort = await freePort();
    const env = {
      PATH: process.env.PATH ?? '',
      KAFKA_BROKERS: brokers.join(','),
      TOPIC_PACKETS: topic,
      INGEST_PORT: String(port),
      OPS_PORT: String(opsPort),
      INGEST_TOKENS_FILE: tokensFile,
      LOG_LEVEL: 'info',
    };
    const frames = await captureWireFrames(scenarioBytes('wmi-activation-ok').bytes);
    const half = Math.floor(frames.length / 2);
    const progress = new Progress();
    const sent = new Set<number>();
    let failures = 0;
    let ingest = await spawnIngest(env);
    const sensor = new Sensor({
      sensorId: 'sensor-a',
      client: new IngestClient({ url: `http://127.0.0.1:${port}`, sensorId: 'sensor-a', token: TOKEN_A }),
      spool: new Spool(join(dir, 'spool-kill'), 64 * 1024 * 1024),
      batchBytes: 1024,
      batchMs: 0,
      live: false,
      backoff: { baseMs: 20, capMs: 200 },
      log: (l) => {
        if (l.includes('not accepting')) failures++;
        progress.notify();
      },
      onSent: (seq) => {
        sent.add(seq);
        progress.notify();
      },
    });
    try {
      for (const f of frames.slice(0, half)) await sensor.add(f);
      sensor.seal();
      const firstHalf = sensor.seq;
      await progress.until(() => sent.size === firstHalf, 'first half delivered');

      ingest.child.kill('SIGKILL');
      await ingest.exited;
      for (const f of frames.slice(half)) await sensor.add(f);
      sensor.seal();
      await progress.until(() => failures > 0, 'the sensor noticed ingest is gone');
      expect(sensor.spool.count).toBeGreaterThan(0); // more batches than the memory queue holds: spooled to disk

      ingest = await spawnIngest(env);
      const stats = await sensor.finish();
      expect(stats).toMatchObject({ framesSent: frames.length, droppedFrames: 0, rejectedFrames: 0 });
      expect(stats.batchesSpooled).toBeGreaterThan(0);

      const records = await readAll(topic);
      // A batch in flight when ingest died may have been produced before its 202 was lost: the sensor resent it.
      // Such duplicates carry the same (seq, part); count each once.
      const byId = new Map<string, PacketRecordV1>();
      for (const r of records) {
        const v = decodePacketRecord(r.value!);
        byId.set(`${v.seq}/${v.part}`, v);
      }
      const seqs = new Set([...byId.values()].map((v) => v.seq));
      expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: sensor.seq }, (_, i) => i));
      const delivered: WireFrame[] = [...byId.values()].flatMap((v) => v.frames);
      expect(delivered.length).toBe(frames.length);
      expect(delivered.map((f) => f.t).sort((a, b) => a - b)).toEqual(frames.map((f) => f.t).sort((a, b) => a - b));
    } finally {
      await sensor.stop();
      ingest.child.kill('SIGTERM');
      const code = await ingest.exited;
      expect(code).toBe(0); // graceful shutdown on SIGTERM
    }
  });
});

interface Spawned {
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** `wmidetect serve ingest` as a process; resolves once it logged that it is ready. */
function spawnIngest(env: Record<string, string>): Promise<Spawned> {
  const child = spawn(process.execPath, [BIN, 'serve', 'ingest'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolveReady, reject) => {
    let buf = '';
    let log = '';
    child.stderr!.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        log += `${line}\n`;
        if (line.includes('"msg":"ingest ready"')) resolveReady({ child, exited });
        nl = buf.indexOf('\n');
      }
    });
    void exited.then((code) => reject(new Error(`ingest exited (${code}) before it was ready:\n${log}`)));
  });
}

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolveGet, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolveGet({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    })
      .on('error', reject)
      .end();
  });
}
