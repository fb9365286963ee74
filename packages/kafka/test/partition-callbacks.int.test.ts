/**
 * The RecordSource contract the detector's state restore relies on, against the real broker: a newly assigned
 * partition delivers nothing until every onAssigned listener resolved, and pause/resume hold a partition back
 * without losing or repeating records.
 *
 * The onAssigned listener here does what the detector does — it reads a "changelog" topic to its end with a second
 * consumer — so the input stays paused across real fetch cycles, not a few microseconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokers, testKafkaLogger, uniqueName } from '../../../test/kafka/brokers.js';
import { Progress } from '../../../test/kafka/until.js';
import { createKafkajsClient, type KafkaAdmin, type KafkaClient, type KafkaRecord } from '../src/index.js';

describe('RecordSource partition callbacks and pause/resume (kafkajs adapter)', () => {
  let client: KafkaClient;
  let admin: KafkaAdmin;

  beforeAll(async () => {
    client = createKafkajsClient({ brokers: kafkaBrokers(), clientId: 'callbacks-test', logger: testKafkaLogger });
    admin = client.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.close();
  });

  it('delivers no batch of a partition before its onAssigned listeners finished restoring', async () => {
    const input = uniqueName('cb-input');
    const changelog = uniqueName('cb-changelog');
    await admin.createTopics([
      { topic: input, partitions: 2 },
      { topic: changelog, partitions: 2, configs: { 'cleanup.policy': 'compact' } },
    ]);
    const sink = client.sink();
    await sink.connect();
    await sink.send(
      Array.from({ length: 200 }, (_, i) => ({
        topic: input,
        key: Buffer.from(`f${i % 10}`),
        value: Buffer.from(`${i}`),
      })),
    );
    await sink.send(
      Array.from({ length: 50 }, (_, i) => ({
        topic: changelog,
        key: Buffer.from(`f${i % 10}`),
        value: Buffer.from(`s${i}`),
      })),
    );
    await sink.send([0, 1].map((p) => ({ topic: changelog, partition: p, key: Buffer.from('end'), value: null })));

    const progress = new Progress();
    const received: KafkaRecord[] = [];
    const receivedWhenRestored: number[] = [];
    const restored = new Map<string, string>();

    // Restore = read the changelog to its end (the 'end' marker on each partition) with a separate consumer.
    const restore = async () => {
      const ends = new Set<number>();
      const reader = client.source({ groupId: uniqueName('cb-restore'), maxWaitTimeMs: 100 });
      await reader.connect();
      await reader.subscribe([changelog], { fromBeginning: true });
      await reader.run(async (batch) => {
        for (const r of batch.records) {
          if (r.key?.toString() === 'end') ends.add(r.partition);
          else restored.set(r.key?.toString() ?? '', r.value?.toString() ?? '');
        }
        progress.notify();
      });
      await progress.until(() => ends.size === 2, 'changelog read to its end');
      await reader.close();
    };

    const source = client.source({ groupId: uniqueName('cb-group'), maxWaitTimeMs: 100 });
    source.onAssigned(async (tps) => {
      expect(tps.map((t) => t.partition).sort()).toEqual([0, 1]);
      await restore();
      receivedWhenRestored.push(received.length);
    });
    try {
      await source.connect();
      await source.subscribe([input], { fromBeginning: true });
      await source.run(async (batch) => {
        received.push(...batch.records);
        progress.notify();
      });
      await progress.until(() => received.length === 200, 'all 200 input records after the restore');
    } finally {
      await source.close();
      await sink.close();
    }
    expect(receivedWhenRestored).toEqual([0]);
    expect(restored.size).toBe(10);
    expect(new Set(received.map((r) => r.value?.toString())).size).toBe(200);
  });

  it('pause holds a partition back, resume continues where it stopped, nothing lost or repeated', async () => {
    const topic = uniqueName('cb-pause');
    await admin.createTopics([{ topic, partitions: 2 }]);
    const sink = client.sink();
    await sink.connect();
    const progress = new Progress();
    const got = new Map<number, string[]>([
      [0, []],
      [1, []],
    ]);
    const source = client.source({ groupId: uniqueName('cb-pause-group'), maxWaitTimeMs: 100 });
    try {
      await source.connect();
      await source.subscribe([topic], { fromBeginning: true });
      await source.run(async (batch) => {
        for (const r of batch.records) got.get(r.partition)?.push(r.value?.toString() ?? '');
        progress.notify();
      });
      await progress.until(() => source.assignment().length === 2, 'both partitions assigned');

      source.pause([{ topic, partition: 0 }]);
      const send = (p: number, from: number, n: number) =>
        sink.send(
          Array.from({ length: n }, (_, i) => ({
            topic,
            partition: p,
            key: null,
            value: Buffer.from(`${p}:${from + i}`),
          })),
        );
      await send(0, 0, 50);
      await send(1, 0, 50);
      // Partition 1's records written after partition 0's arrive; partition 0 stays held back meanwhile.
      await progress.until(() => got.get(1)?.length === 50, 'partition 1 delivered while 0 is paused');
      expect(got.get(0)).toEqual([]);

      source.resume([{ topic, partition: 0 }]);
      await progress.until(() => got.get(0)?.length === 50, 'partition 0 delivered after resume');
      await send(0, 50, 10);
      await progress.until(() => got.get(0)?.length === 60, 'partition 0 keeps going after resume');
    } finally {
      await source.close();
      await sink.close();
    }
    expect(got.get(0)).toEqual(Array.from({ length: 60 }, (_, i) => `0:${i}`));
    expect(got.get(1)).toEqual(Array.from({ length: 50 }, (_, i) => `1:${i}`));
  });
});
