/**
 * `wmidetect serve detect` as real processes (from dist/, like a deployment: `npx tsc -b` first), one SIGKILLed
 * between the activation connection and the dynamic-port connection of a WMI session. The replacement must produce
 * every alert of the offline run exactly once — the dynamic-port connection's alerts with the activation's session
 * id, which it can only know by replaying the activation from the dead worker's committed low-water mark.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Engine, type EveRecord } from '@wmi-detect/engine';
import { freePort, type KafkaRecord, type RecordSource } from '@wmi-detect/kafka';
import { afterEach, describe, expect, it } from 'vitest';
import { kafkaBrokers, uniqueName } from '../../../test/kafka/brokers.js';
import { Harness, httpStatus, parseDetection } from './harness.js';
import { cutIntoRecords, REPO_ROOT, scenarioFrames, serviceEngineOptions, WMI_RULES_FILE } from './helpers.js';

const BIN = join(REPO_ROOT, 'bin', 'wmidetect.mjs');

interface Worker {
  child: ChildProcess;
  exited: Promise<number | null>;
  log: () => string;
}

function spawnDetect(env: Record<string, string>): Worker {
  const child = spawn(process.execPath, [BIN, 'serve', 'detect'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    log += c;
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, log: () => log };
}

describe('wmidetect serve detect, SIGKILL mid-session', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    while (cleanup.length > 0) await cleanup.pop()?.();
  });

  it('a worker killed between the activation and the dynamic-port connection: every alert arrives once, session ids intact', async () => {
    if (
      !existsSync(join(REPO_ROOT, 'services/detect/dist/index.js')) ||
      !existsSync(join(REPO_ROOT, 'packages/cli/dist/index.js'))
    )
      throw new Error(
        'services/detect/dist or packages/cli/dist is missing: run `npx tsc -b` before the integration tests',
      );
    const h = new Harness(kafkaBrokers(), 2);
    cleanup.push(() => h.tearDown());
    await h.setUp();

    const frames = await scenarioFrames('wmi-activation-ok');
    // offline reference, with the frame each alert came from
    const ref: { frame: number; record: EveRecord }[] = [];
    let at = 0;
    const engine = new Engine({ ...serviceEngineOptions(), onRecord: (r) => ref.push({ frame: at, record: r }) });
    for (at = 0; at < frames.length; at++) engine.processFrame(frames[at], at);
    const alerts = ref.filter((r) => r.record.event_type === 'alert');
    const id = (r: EveRecord) => (r as { alert_id: string }).alert_id;

    const cut = cutIntoRecords(frames, 'sensor-k', 2);
    // the first record of the second connection (the one to the port the activation reply named)
    const split = cut.findIndex((c) =>
      alerts.some(
        (a) =>
          a.frame >= c.firstFrame &&
          a.frame < c.firstFrame + c.frames &&
          (a.record as { dest_port?: number }).dest_port !== 135 &&
          (a.record as { src_port?: number }).src_port !== 135,
      ),
    );
    expect(split).toBeGreaterThan(0);
    const splitFrame = cut[split].firstFrame;
    const before = alerts.filter((a) => a.frame < splitFrame).map((a) => id(a.record));
    const tied = alerts.filter((a) => a.frame >= splitFrame && (a.record as { session_id?: string }).session_id);
    expect(before.length).toBeGreaterThan(0);
    expect(tied.length).toBeGreaterThan(0);

    // a reader of the detections
    const seen: KafkaRecord[] = [];
    const reader: RecordSource = h.client.source({
      groupId: uniqueName('sigkill-reader'),
      readCommitted: true,
      maxWaitTimeMs: 100,
    });
    cleanup.push(() => reader.close());
    await reader.connect();
    await reader.subscribe([h.topics.detections], { fromBeginning: true });
    await reader.run(
      async (batch) => {
        for (const r of batch.records) if (parseDetection(r).event_type === 'alert') seen.push(r);
        h.progress.notify();
      },
      { autoCommit: true },
    );
    const seenIds = () => seen.map((r) => parseDetection(r).alert_id as string);

    const env = async (instance: string) => ({
      KAFKA_BROKERS: h.brokers.join(','),
      TOPIC_PACKETS: h.topics.packets,
      TOPIC_DETECTIONS: h.topics.detections,
      TOPIC_DLQ: h.topics.dlq,
      DETECT_GROUP_ID: h.groupId,
      DETECT_INSTANCE_ID: instance,
      OPS_PORT: String(await freePort()),
      RULES_FILES: WMI_RULES_FILE,
      LOG_LEVEL: 'info',
    });

    const a = spawnDetect(await env('detect-k-0'));
    cleanup.push(async () => {
      a.child.kill('SIGKILL');
      await a.exited;
    });
    await h.produce(cut.slice(0, split));
    await h.progress.until(
      () => before.every((x) => seenIds().includes(x)),
      'the first worker produced the activation connection alerts',
      120_000,
      () => a.log(),
    );
    a.child.kill('SIGKILL');
    expect(await a.exited).toBeNull(); // killed by the signal, no exit code: no shutdown ran

    await h.produce(cut.slice(split));
    const envB = await env('detect-k-1');
    const b = spawnDetect(envB);
    cleanup.push(async () => {
      b.child.kill('SIGTERM');
      await b.exited;
    });
    await h.progress.until(
      () => alerts.every((x) => seenIds().includes(id(x.record))),
      'every alert of the capture after the takeover',
      120_000,
      () => b.log(),
    );
    expect(await httpStatus(Number(envB.OPS_PORT), '/readyz')).toBe(200);
    const metrics = await fetch(`http://127.0.0.1:${envB.OPS_PORT}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/wmi_detect_replay_records_total\{partition="\d"\} [1-9]/); // B rebuilt the session state

    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    const ids = seenIds().sort();
    expect(ids).toEqual(alerts.map((x) => id(x.record)).sort()); // every alert, once
    const byId = new Map(seen.map((r) => [parseDetection(r).alert_id as string, parseDetection(r)]));
    for (const t of tied) {
      const got = byId.get(id(t.record));
      expect(got?.session_id).toBe((t.record as { session_id: string }).session_id);
      expect(got?.session_link).toBe((t.record as { session_link?: string }).session_link);
    }
  });
});
