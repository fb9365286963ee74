import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scenarioBytes } from '@wmi-detect/capture-gen';
import { readCaptureStream } from '@wmi-detect/engine';
import type { PacketBatchV1, WireFrame } from '@wmi-detect/wire';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from '../src/sensor/backoff.js';
import { IngestClient } from '../src/sensor/ingest-client.js';
import { Sensor, sensorExitCode } from '../src/sensor/sensor.js';
import { Spool, SpoolLockedError } from '../src/sensor/spool.js';
import { FakeIngest, TOKEN } from './fake-ingest.js';

const FAST = { baseMs: 1, capMs: 4 };

async function frames(): Promise<WireFrame[]> {
  const out: WireFrame[] = [];
  await readCaptureStream(
    'gen',
    (async function* () {
      yield scenarioBytes('wmi-activation-ok').bytes;
    })(),
  ).forEach((f) => {
    out.push({ t: f.tsUs, l: f.linkType, d: f.data.slice() });
  });
  return out;
}

let dir = '';
let ingest: FakeIngest;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sensor-test-'));
  ingest = new FakeIngest();
  await ingest.start();
});
afterEach(async () => {
  await ingest.stop();
  rmSync(dir, { recursive: true, force: true });
});

function sensor(
  o: {
    batchBytes?: number;
    batchMs?: number;
    live?: boolean;
    spoolMax?: number;
    port?: number;
    log?: (l: string) => void;
  } = {},
) {
  const client = new IngestClient({
    url: `http://127.0.0.1:${o.port ?? ingest.port}`,
    sensorId: 'sensor-1',
    token: TOKEN,
  });
  const s = new Sensor({
    sensorId: 'sensor-1',
    client,
    spool: new Spool(join(dir, 'spool'), o.spoolMax ?? 64 * 1024 * 1024),
    batchBytes: o.batchBytes ?? 4096,
    batchMs: o.batchMs ?? 0,
    live: o.live ?? false,
    backoff: FAST,
    log: o.log,
  });
  return { s, client };
}

const sentFrames = (batches: PacketBatchV1[]) => batches.flatMap((b) => b.frames.map((f) => f.t));

describe('Sensor batching', () => {
  it('cuts batches by size, numbers them 0,1,2…, delivers every frame once and in order', async () => {
    const fr = await frames();
    const { s, client } = sensor({ batchBytes: 2048 });
    for (const f of fr) await s.add(f);
    const stats = await s.finish();
    client.close();
    expect(ingest.accepted.map((b) => b.seq)).toEqual(ingest.accepted.map((_, i) => i));
    expect(ingest.accepted.length).toBeGreaterThan(2);
    expect(sentFrames(ingest.accepted)).toEqual(fr.map((f) => f.t));
    for (const b of ingest.accepted.slice(0, -1))
      expect(b.frames.reduce((n, f) => n + f.d.length, 0)).toBeGreaterThanOrEqual(2048);
    expect(stats).toMatchObject({ framesRead: fr.length, framesSent: fr.length, droppedFrames: 0, retries: 0 });
    expect(sensorExitCode(stats, s.spool.count, false)).toBe(0);
  });

  it('seals a batch by time when it does not fill', async () => {
    const fr = await frames();
    const { s, client } = sensor({ batchBytes: 1 << 30, batchMs: 5 });
    await s.add(fr[0]);
    await ingest.untilAccepted(1); // nothing but the timer can have sealed it
    expect(ingest.accepted[0].frames).toHaveLength(1);
    await s.finish();
    client.close();
  });

  it('continues the sequence after a restart (next-seq in the spool dir)', async () => {
    const fr = await frames();
    const a = sensor({ batchBytes: 1 << 30 });
    await a.s.add(fr[0]);
    await a.s.finish();
    a.client.close();
    const b = sensor({ batchBytes: 1 << 30 });
    await b.s.add(fr[1]);
    await b.s.finish();
    b.client.close();
    expect(ingest.accepted.map((x) => x.seq)).toEqual([0, 1]);
  });
});

describe('Sensor retries', () => {
  it('retries 503/429/500 with backoff, honouring Retry-After, and delivers exactly once', async () => {
    ingest.script = [
      { status: 503, headers: { 'retry-after': '0' } },
      { status: 429, headers: { 'retry-after': '0' } },
      { status: 500 },
    ];
    const fr = await frames();
    const { s, client } = sensor({ batchBytes: 1 << 30 });
    for (const f of fr) await s.add(f);
    const stats = await s.finish();
    client.close();
    expect(ingest.statuses).toEqual([503, 429, 500, 202]);
    expect(ingest.accepted).toHaveLength(1);
    expect(stats.retries).toBe(3);
    expect(stats.framesSent).toBe(fr.length);
  });

  it('counts a batch ingest refuses for good (400) as rejected: exit 5', async () => {
    ingest.script = [{ status: 400 }];
    const fr = await frames();
    const { s, client } = sensor({ batchBytes: 1 << 30 });
    for (const f of fr) await s.add(f);
    const stats = await s.finish();
    client.close();
    expect(stats).toMatchObject({ rejectedBatches: 1, rejectedFrames: fr.length, batchesSent: 0 });
    expect(sensorExitCode(stats, s.spool.count, false)).toBe(5);
  });

  it('stops on 401 and keeps the data in the spool: exit 6', async () => {
    ingest.script = [{ status: 401 }];
    const fr = await frames();
    const { s, client } = sensor({ batchBytes: 2048 });
    for (const f of fr) await s.add(f);
    const stats = await s.finish();
    client.close();
    expect(stats.authFailure).toContain('401');
    expect(s.spool.frames).toBe(fr.length);
    expect(sensorExitCode(stats, s.spool.count, false)).toBe(6);
  });
});

describe('Sensor spool', () => {
  it('spools while ingest is unreachable, resumes in order after a restart, and loses nothing', async () => {
    const fr = await frames();
    const port = ingest.port;
    await ingest.stop(); // connection refused from now on
    let firstFailure: () => void = () => {};
    const failed = new Promise<void>((r) => {
      firstFailure = r;
    });
    const a = sensor({ batchBytes: 2048, port, log: (l) => l.includes('not accepting') && firstFailure() });
    for (const f of fr) await a.s.add(f);
    await failed;
    const stopped = await a.s.stop();
    a.client.close();
    expect(stopped.batchesSent).toBe(0);
    expect(stopped.retries).toBeGreaterThan(0);
    expect(a.s.spool.frames).toBe(fr.length);
    expect(readdirSync(join(dir, 'spool')).filter((n) => n.endsWith('.batch')).length).toBe(a.s.spool.count);
    expect(sensorExitCode(stopped, a.s.spool.count, false)).toBe(4);

    ingest = new FakeIngest();
    await ingest.start(port);
    const b = sensor({ batchBytes: 2048 });
    const stats = await b.s.finish();
    b.client.close();
    expect(sentFrames(ingest.accepted)).toEqual(fr.map((f) => f.t));
    expect(ingest.accepted.map((x) => x.seq)).toEqual(ingest.accepted.map((_, i) => i));
    expect(stats.framesSent).toBe(fr.length);
    expect(b.s.spool.count).toBe(0);
  });

  it('live input: drops and counts what does not fit in a full spool', async () => {
    const fr = await frames();
    const port = ingest.port;
    await ingest.stop();
    const { s, client } = sensor({ batchBytes: 2048, live: true, spoolMax: 1500, port });
    for (const f of fr) expect(s.add(f)).toBeUndefined(); // a live source never waits
    const stats = await s.stop();
    client.close();
    expect(stats.droppedBatches).toBeGreaterThan(0);
    expect(stats.droppedFrames + s.spool.frames + stats.framesSent).toBe(fr.length);
    expect(s.spool.bytes).toBeLessThanOrEqual(1500);
    expect(sensorExitCode(stats, s.spool.count, false)).toBe(5);
  });

  it('refuses a spool another live sensor holds', () => {
    const sp = new Spool(join(dir, 'locked'), 1024);
    sp.open();
    // The lock names this process, which is alive: a second opener with another pid would be refused. Simulate one
    // by writing the parent's pid (alive, not us).
    sp.close();
    const other = new Spool(join(dir, 'locked'), 1024);
    writeFileSync(join(dir, 'locked', 'lock'), `${process.ppid}\n`);
    expect(() => other.open()).toThrow(SpoolLockedError);
  });
});

describe('backoff', () => {
  it('grows exponentially up to the cap with full jitter, never below Retry-After', () => {
    const o = { baseMs: 100, capMs: 1000, random: () => 0.999 };
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, 0, o))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(0, 5000, o)).toBe(5000);
    expect(backoffDelay(3, 0, { ...o, random: () => 0 })).toBe(0);
  });
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10000);
    expect(parseRetryAfter(undefined)).toBe(0);
    expect(parseRetryAfter('soon')).toBe(0);
  });
});
