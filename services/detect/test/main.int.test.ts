/**
 * The process entry on the real broker: `main(env)` configured only by the environment becomes ready, turns packet
 * records into detections, and on a stop request (what SIGTERM does) finishes, commits, leaves and returns 0.
 */
import { freePort, type KafkaRecord } from '@wmi-detect/kafka';
import { afterEach, describe, expect, it } from 'vitest';
import { kafkaBrokers, uniqueName } from '../../../test/kafka/brokers.js';
import { main } from '../src/main.js';
import { DETECTION_HEADERS } from '../src/output.js';
import { decodePositions } from '../src/positions.js';
import { Harness, httpStatus, parseDetection } from './harness.js';
import { alertIdsOf, cutIntoRecords, offlineRecords, scenarioFrames, WMI_RULES_FILE } from './helpers.js';

describe('wmidetect serve detect (main)', () => {
  let h: Harness | null = null;
  afterEach(async () => {
    await h?.tearDown();
    h = null;
  });

  it('runs from the environment, is ready once restored, and a stop request exits 0 with its work committed', async () => {
    h = new Harness(kafkaBrokers(), 2);
    const harness = h;
    await harness.setUp();
    const frames = await scenarioFrames('wmi-activation-ok');
    const expected = alertIdsOf(offlineRecords(frames));
    await harness.produce(cutIntoRecords(frames, 'sensor-main', 4));

    // a live read_committed reader of the detections
    const alerts: KafkaRecord[] = [];
    const reader = harness.client.source({
      groupId: uniqueName('main-reader'),
      readCommitted: true,
      maxWaitTimeMs: 100,
    });
    await reader.connect();
    await reader.subscribe([harness.topics.detections], { fromBeginning: true });
    await reader.run(
      async (batch) => {
        for (const r of batch.records) if (parseDetection(r).event_type === 'alert') alerts.push(r);
        harness.progress.notify();
      },
      { autoCommit: true },
    );

    const port = await freePort();
    const stop = new AbortController();
    const exit = main(
      {
        KAFKA_BROKERS: harness.brokers.join(','),
        TOPIC_PACKETS: harness.topics.packets,
        TOPIC_DETECTIONS: harness.topics.detections,
        TOPIC_DLQ: harness.topics.dlq,
        DETECT_GROUP_ID: harness.groupId,
        DETECT_INSTANCE_ID: 'detect-main-0',
        OPS_PORT: String(port),
        RULES_FILES: WMI_RULES_FILE,
        LOG_LEVEL: 'error',
      },
      { stop: stop.signal },
    );
    try {
      await harness.progress.until(
        () => alerts.length >= expected.length,
        'every alert of the capture on the detections topic',
      );
    } finally {
      await reader.close();
    }
    const ids = alerts.map((r) => parseDetection(r).alert_id as string).sort();
    expect(ids).toEqual(expected);
    for (const r of alerts) expect(r.headers[DETECTION_HEADERS.instance]?.toString()).toBe('detect-main-0');
    expect(await httpStatus(port, '/readyz')).toBe(200);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/wmi_detect_partitions_assigned 2/);
    expect(metrics).toMatch(/wmi_detect_rules_loaded [1-9]/);

    stop.abort();
    expect(await exit).toBe(0);
    await expect(httpStatus(port, '/healthz')).rejects.toThrow(); // the ops endpoint is gone with the process

    // what produced the alerts is committed: the emitted-through mark is past every alert's source record
    const lastSource = Math.max(
      ...alerts.map((r) => Number(r.headers[DETECTION_HEADERS.source]?.toString().split('/')[2] ?? Number.NaN)),
    );
    const committed = await harness.admin.fetchCommitted(harness.groupId, harness.topics.packets);
    const p = alerts[0].partition; // detections are keyed like the packets: same partition number
    const pos = decodePositions(committed.find((m) => m.partition === p));
    if (pos.kind !== 'positions') throw new Error(`positions not in the current layout: ${pos.kind}`);
    expect(Number(pos.positions.emittedNext)).toBeGreaterThan(lastSource);
    expect(pos.positions.replayFrom >= 0n).toBe(true);
    expect(pos.positions.replayFrom <= pos.positions.emittedNext).toBe(true);
  });
});
