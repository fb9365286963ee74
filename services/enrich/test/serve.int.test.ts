/**
 * `wmidetect serve enrich` as the chart runs it: a process configured only by environment, on the test broker.
 * /healthz at once, /readyz 503 naming what is missing and then 200, /metrics with the documented series,
 * JSON log lines on stderr, SIGTERM → graceful stop with exit status 0. Runs bin/wmidetect.mjs (dist: `npx tsc -b`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { get } from 'node:http';
import { join, resolve } from 'node:path';
import { createKafkajsClient, freePort } from '@wmi-detect/kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaBrokers, testKafkaLogger, uniqueName } from '../../../test/kafka/brokers.js';

const repoRoot = resolve(import.meta.dirname, '../../..');

function http(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    get({ host: '127.0.0.1', port, path }, (r) => {
      let body = '';
      r.setEncoding('utf8').on('data', (c) => {
        body += c;
      });
      r.on('end', () => res({ status: r.statusCode ?? 0, body }));
    }).on('error', rej);
  });
}

describe('wmidetect serve enrich (process)', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('becomes ready, exports its metrics, logs JSON and stops gracefully on SIGTERM', async () => {
    const brokers = kafkaBrokers();
    const client = createKafkajsClient({ brokers, logger: testKafkaLogger });
    const admin = client.admin();
    await admin.connect();
    const t = (n: string) => uniqueName(`serve-${n}`);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      KAFKA_BROKERS: brokers.join(','),
      TOPIC_DETECTIONS: t('detections'),
      TOPIC_ALERTS: t('alerts'),
      TOPIC_SUPPRESSED: t('suppressed'),
      TOPIC_DLQ: t('dlq'),
      TOPIC_REF_ASSETS: t('ref-assets'),
      TOPIC_REF_WHITELIST: t('ref-whitelist'),
      ENRICH_GROUP_ID: t('group'),
      OPS_PORT: String(await freePort()),
    };
    await admin.createTopics([
      { topic: env.TOPIC_DETECTIONS, partitions: 2 },
      { topic: env.TOPIC_ALERTS, partitions: 2 },
      { topic: env.TOPIC_SUPPRESSED, partitions: 2 },
      { topic: env.TOPIC_DLQ, partitions: 1 },
      { topic: env.TOPIC_REF_ASSETS, partitions: 1, configs: { 'cleanup.policy': 'compact' } },
      { topic: env.TOPIC_REF_WHITELIST, partitions: 1, configs: { 'cleanup.policy': 'compact' } },
    ]);
    await admin.close();

    const port = Number(env.OPS_PORT);
    const p = spawn(process.execPath, [join(repoRoot, 'bin/wmidetect.mjs'), 'serve', 'enrich'], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = p;
    let stderr = '';
    const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    // Event-driven: the service logs 'enrich ready' once /readyz turns 200; the ops endpoint is up before that.
    const ready = new Promise<void>((res, rej) => {
      p.stderr.setEncoding('utf8').on('data', (c) => {
        stderr += c;
        if (stderr.includes('"msg":"enrich ready"')) res();
      });
      p.once('exit', (code) => rej(new Error(`serve enrich exited ${code}:\n${stderr}`)));
    });
    const listening = new Promise<void>((res) => {
      const check = () => (stderr.includes('"msg":"ops endpoint listening"') ? res() : p.stderr.once('data', check));
      check();
    });
    await listening;
    expect((await http(port, '/healthz')).status).toBe(200);
    await ready;
    const readyz = await http(port, '/readyz');
    expect(readyz.status, readyz.body).toBe(200);
    const metrics = (await http(port, '/metrics')).body;
    for (const name of [
      'wmi_enrich_records_in_total',
      'wmi_enrich_records_out_total',
      'wmi_enrich_suppressed_total',
      'wmi_enrich_duplicates_total',
      'wmi_enrich_dlq_total',
      'wmi_enrich_reference_reloads_total',
      'wmi_enrich_reference_entries',
      'wmi_enrich_dedup_ids',
    ])
      expect(metrics).toContain(`# TYPE ${name} `);
    for (const line of stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))) {
      const rec = JSON.parse(line);
      expect(typeof rec.ts).toBe('string');
      expect(['debug', 'info', 'warn', 'error']).toContain(rec.level);
    }

    p.kill('SIGTERM');
    expect(await exited, stderr).toBe(0);
    expect(stderr).toContain('"msg":"stopped"');
  });
});
