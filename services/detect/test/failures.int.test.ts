/**
 * Detect when its output transaction fails, on the real broker:
 *   - a commit that fails (broker gone at the wrong moment) is aborted; the partition pauses, the shard is rebuilt
 *     from the last commit and replayed: every alert arrives exactly once (the aborted copy is never visible)
 *   - a worker whose producer was fenced (another owner initialised the partition's transactional.id) stops
 *     processing that partition and reports itself not ready, instead of fencing back
 */
import type { KafkaClient, OutgoingRecord, TransactionalSink, Txn } from '@wmi-detect/kafka';
import { partitionForKey } from '@wmi-detect/kafka';
import { afterEach, describe, expect, it } from 'vitest';
import { kafkaBrokers } from '../../../test/kafka/brokers.js';
import { type ShardEvent, transactionalIdFor } from '../src/service.js';
import { Harness, httpStatus, parseDetection } from './harness.js';
import { alertIdsOf, cutIntoRecords, offlineRecords, scenarioFrames } from './helpers.js';

/** A client whose transactional producers fail the commit of the first transaction that carries detections. */
function failFirstDetectionCommit(detectionsTopic: string, failures: { injected: number }) {
  return (c: KafkaClient): KafkaClient => ({
    brokers: c.brokers,
    sink: (o) => c.sink(o),
    source: (o) => c.source(o),
    admin: () => c.admin(),
    transactionalSink: (o): TransactionalSink => {
      const inner = c.transactionalSink(o);
      return {
        transactionalId: inner.transactionalId,
        connect: () => inner.connect(),
        close: () => inner.close(),
        begin: async (): Promise<Txn> => {
          const txn = await inner.begin();
          let carries = false;
          return {
            send: (records: readonly OutgoingRecord[]) => {
              if (records.some((r) => r.topic === detectionsTopic)) carries = true;
              return txn.send(records);
            },
            sendOffsets: (g, off) => txn.sendOffsets(g, off),
            abort: () => txn.abort(),
            commit: async () => {
              if (carries && failures.injected === 0) {
                failures.injected++;
                throw new Error('injected: the broker went away while committing');
              }
              return txn.commit();
            },
          };
        },
      };
    },
  });
}

describe('detect when transactions fail', () => {
  let h: Harness | null = null;
  afterEach(async () => {
    await h?.tearDown();
    h = null;
  });

  it('a failed commit is aborted and the partition replayed: every alert exactly once', async () => {
    h = new Harness(kafkaBrokers(), 2);
    await h.setUp();
    const frames = await scenarioFrames('wmi-activation-ok');
    const expected = alertIdsOf(offlineRecords(frames));
    const failures = { injected: 0 };
    const events: { event: ShardEvent; ready: boolean }[] = [];
    await h.worker('detect-fail', { events, wrap: failFirstDetectionCommit(h.topics.detections, failures) });
    await h.produce(cutIntoRecords(frames, 'sensor-f', 3));
    await h.untilCommittedToEnd('the worker committed every record despite the failed commit');
    expect(failures.injected).toBe(1);
    const resets = events.filter((e) => e.event.type === 'reset');
    expect(resets).toHaveLength(1);
    expect(resets[0].ready).toBe(false); // not ready while the partition is rebuilt
    const resumed = events.findIndex((e) => e.event.type === 'resumed');
    expect(resumed).toBeGreaterThan(events.indexOf(resets[0]));
    expect(events[resumed].event.partition).toBe(resets[0].event.partition);

    const { detections } = await h.readOutputs();
    const ids = detections
      .map(parseDetection)
      .filter((r) => r.event_type === 'alert')
      .map((r) => r.alert_id as string)
      .sort();
    expect(ids).toEqual(expected); // each once: the aborted transaction's copy never became visible
  });

  it('a fenced worker stops processing the partition and reports not ready instead of fencing back', async () => {
    h = new Harness(kafkaBrokers(), 2);
    const harness = h;
    await harness.setUp();
    const frames = await scenarioFrames('wmi-activation-ok');
    const cut = cutIntoRecords(frames, 'sensor-g', 2);
    const p = partitionForKey(cut[0].key, 2);
    const events: { event: ShardEvent; ready: boolean }[] = [];
    const w = await harness.worker('detect-fenced', { events });
    const half = Math.floor(cut.length / 2);
    await harness.produce(cut.slice(0, half));
    await harness.untilCommittedToEnd('the first half committed');
    expect(w.ready()).toBe(true);

    // Another owner takes the partition's transactional.id over.
    const usurper = harness.client.transactionalSink({
      transactionalId: transactionalIdFor(harness.groupId, harness.topics.packets, p),
    });
    await usurper.connect();
    try {
      await harness.produce(cut.slice(half));
      await harness.progress.until(() => events.some((e) => e.event.type === 'fenced'), 'the worker noticed the fence');
      expect(events.find((e) => e.event.type === 'fenced')?.event.partition).toBe(p);
      expect(w.ready()).toBe(false);
      expect(await httpStatus(w.opsPort, '/readyz')).toBe(503);
      const body = await fetch(`http://127.0.0.1:${w.opsPort}/readyz`).then(
        (r) => r.json() as Promise<{ failing: string[] }>,
      );
      expect(body.failing).toContain('not_fenced');
      // the usurper's producer still works: the worker did not fence it back
      const txn = await usurper.begin();
      await txn.send([{ topic: harness.topics.dlq, key: null, value: Buffer.from('usurper') }]);
      await txn.commit();
    } finally {
      await usurper.close();
    }
  });
});
