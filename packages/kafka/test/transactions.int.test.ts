/**
 * Acceptance 3 of issue 2, against the real broker: a transactional consume-transform-produce step with kafkajs
 * 2.2.4 and `sendOffsets`.
 *
 * The processor reads `in` as group G, and per batch writes the transformed records to `out` and the batch's next
 * offset for G in ONE transaction. Its first transaction of each run is aborted after writing the very same output
 * and offsets (a failure mid-batch), then redone and committed. The processor is stopped after half the input and a
 * new instance (same group, same transactional.id) does the rest, so the committed input offsets carry across.
 *
 *   - a read_uncommitted reader proves the aborted records really reached the log;
 *   - a read_committed reader sees every input exactly once, never an aborted record;
 *   - G's committed offsets are the end of `in`: the offsets of the aborted transactions did not count.
 *
 * Completion: after the processor is gone, a sentinel goes to every `out` partition; a reader is done with a partition
 * when its sentinel arrives, so the counts are final.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokers, testKafkaLogger, uniqueName } from '../../../test/kafka/brokers.js';
import { Progress } from '../../../test/kafka/until.js';
import {
  createKafkajsClient,
  type KafkaAdmin,
  type KafkaClient,
  type KafkaRecord,
  type OutgoingRecord,
  type RecordSource,
  type TransactionalSink,
} from '../src/index.js';

const IN_PARTITIONS = 3;
const OUT_PARTITIONS = 3;
const TOTAL = 600;
const KEYS = 24;

describe('kafkajs 2.2.4 transactions against the test broker', () => {
  let client: KafkaClient;
  let admin: KafkaAdmin;

  beforeAll(async () => {
    client = createKafkajsClient({ brokers: kafkaBrokers(), clientId: 'txn-test', logger: testKafkaLogger });
    admin = client.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.close();
  });

  it('consume-transform-produce: aborted output is invisible to read_committed, committed output appears exactly once', async () => {
    const inTopic = uniqueName('txn-in');
    const outTopic = uniqueName('txn-out');
    const groupId = uniqueName('txn-processor');
    const transactionalId = uniqueName('txn-processor-tid');
    await admin.createTopics([
      { topic: inTopic, partitions: IN_PARTITIONS },
      { topic: outTopic, partitions: OUT_PARTITIONS },
    ]);

    const progress = new Progress();
    const plain = client.sink();
    await plain.connect();
    const produceInput = async (from: number, to: number) => {
      const records: OutgoingRecord[] = [];
      for (let i = from; i < to; i++) {
        records.push({ topic: inTopic, key: Buffer.from(`k${i % KEYS}`), value: Buffer.from(`in-${i}`) });
      }
      await plain.send(records);
    };

    // Readers of `out`.
    const committed: KafkaRecord[] = [];
    const uncommitted: KafkaRecord[] = [];
    const sentinels = { committed: new Set<number>(), uncommitted: new Set<number>() };
    const reader = async (readCommitted: boolean, into: KafkaRecord[], done: Set<number>) => {
      const source = client.source({ groupId: uniqueName('txn-reader'), readCommitted, maxWaitTimeMs: 200 });
      await source.connect();
      await source.subscribe([outTopic], { fromBeginning: true });
      await source.run(
        async (batch) => {
          for (const r of batch.records) {
            if (r.key?.toString() === 'sentinel') done.add(r.partition);
            else into.push(r);
          }
          progress.notify();
        },
        { autoCommit: true },
      );
      return source;
    };
    const readers = [
      await reader(true, committed, sentinels.committed),
      await reader(false, uncommitted, sentinels.uncommitted),
    ];

    // The processor: one transaction per batch; the first transaction of each instance is aborted, then redone.
    let abortedRecords = 0;
    let abortedTxns = 0;
    const startProcessor = async (): Promise<{ source: RecordSource; sink: TransactionalSink }> => {
      const sink = client.transactionalSink({ transactionalId });
      await sink.connect();
      const source = client.source({ groupId, readCommitted: true, maxWaitTimeMs: 200 });
      await source.connect();
      await source.subscribe([inTopic], { fromBeginning: true });
      let abortNext = true;
      await source.run(async (batch) => {
        const out: OutgoingRecord[] = batch.records.map((r) => ({
          topic: outTopic,
          key: r.key,
          value: Buffer.from(`out-${r.value?.toString().slice('in-'.length)}`),
          headers: { 'source.offset': `${r.partition}/${r.offset}` },
        }));
        const position = [{ topic: inTopic, partition: batch.partition, offset: batch.nextOffset }];
        if (abortNext) {
          abortNext = false;
          const doomed = await sink.begin();
          await doomed.send(out);
          await doomed.sendOffsets(groupId, position);
          await doomed.abort();
          abortedRecords += out.length;
          abortedTxns++;
        }
        const txn = await sink.begin();
        try {
          await txn.send(out);
          await txn.sendOffsets(groupId, position);
          await txn.commit();
        } catch (e) {
          await txn.abort().catch(() => {});
          throw e;
        }
      });
      return { source, sink };
    };
    const stopProcessor = async (p: { source: RecordSource; sink: TransactionalSink }) => {
      await p.source.close();
      await p.sink.close();
    };

    try {
      // First instance: the first half of the input.
      await produceInput(0, TOTAL / 2);
      const first = await startProcessor();
      await progress.until(
        () => committed.length >= TOTAL / 2,
        'first half committed',
        120_000,
        () => `${committed.length} committed, ${uncommitted.length} uncommitted`,
      );
      await stopProcessor(first);

      // Input progress committed through the transactions: exactly the first half.
      const afterFirst = await admin.fetchCommitted(groupId, inTopic);
      expect(afterFirst.reduce((n, c) => n + Number(c.offset === '-1' ? 0 : c.offset), 0)).toBe(TOTAL / 2);

      // A new instance, same group and transactional.id: it continues from the committed offsets.
      await produceInput(TOTAL / 2, TOTAL);
      const second = await startProcessor();
      await progress.until(
        () => committed.length >= TOTAL,
        'second half committed',
        120_000,
        () => `${committed.length} committed, ${uncommitted.length} uncommitted`,
      );
      await stopProcessor(second);

      // Sentinels after everything: when both readers have them from every partition, they have read it all.
      await plain.send(
        Array.from({ length: OUT_PARTITIONS }, (_, p) => ({
          topic: outTopic,
          partition: p,
          key: Buffer.from('sentinel'),
          value: null,
        })),
      );
      await progress.until(
        () => sentinels.committed.size === OUT_PARTITIONS && sentinels.uncommitted.size === OUT_PARTITIONS,
        'sentinels seen by both readers',
      );
    } finally {
      await Promise.all(readers.map((r) => r.close()));
      await plain.close();
    }

    expect(abortedTxns).toBe(2);
    expect(abortedRecords).toBeGreaterThan(0);

    // The aborted transactions' records are in the log: read_uncommitted sees them as extra copies.
    expect(uncommitted.length).toBe(TOTAL + abortedRecords);

    // read_committed: every input exactly once, none of the aborted copies.
    const ids = committed.map((r) => Number(r.value?.toString().slice('out-'.length)));
    expect(ids.length).toBe(TOTAL);
    expect(new Set(ids).size).toBe(TOTAL);
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
    // Each committed copy is one of the records the uncommitted reader saw, at the same position.
    const uncommittedAt = new Set(uncommitted.map((r) => `${r.partition}@${r.offset}`));
    for (const r of committed) expect(uncommittedAt.has(`${r.partition}@${r.offset}`)).toBe(true);

    // Per key, output order follows input order.
    const byKey = new Map<string, number[]>();
    for (const r of committed) {
      const k = r.key?.toString() ?? '';
      byKey.set(k, [...(byKey.get(k) ?? []), Number(r.value?.toString().slice('out-'.length))]);
    }
    expect(byKey.size).toBe(KEYS);
    for (const list of byKey.values()) expect(list).toEqual([...list].sort((a, b) => a - b));

    // The group's input offsets are the end of `in`: only committed transactions moved them.
    const ends = await admin.fetchOffsets(inTopic);
    const positions = await admin.fetchCommitted(groupId, inTopic);
    expect(positions.map((p) => p.offset)).toEqual(ends.map((e) => e.high));
    expect(ends.reduce((n, e) => n + Number(e.high), 0)).toBe(TOTAL);
  });

  it('fences the older producer when a new one opens the same transactional.id', async () => {
    const topic = uniqueName('txn-fence');
    await admin.createTopics([{ topic, partitions: 1 }]);
    const transactionalId = uniqueName('txn-fence-tid');
    const zombie = client.transactionalSink({ transactionalId });
    await zombie.connect();
    const zombieTxn = await zombie.begin();
    await zombieTxn.send([{ topic, key: Buffer.from('z'), value: Buffer.from('from the zombie') }]);

    // The successor initialises the same id: the broker aborts the zombie's open transaction and bumps the epoch.
    const successor = client.transactionalSink({ transactionalId });
    await successor.connect();
    await expect(zombieTxn.commit()).rejects.toThrow(/fenced|epoch|ProducerFenced|INVALID_PRODUCER_EPOCH/i);

    const txn = await successor.begin();
    await txn.send([{ topic, key: Buffer.from('s'), value: Buffer.from('from the successor') }]);
    await txn.commit();

    const progress = new Progress();
    const seen: string[] = [];
    const reader = client.source({ groupId: uniqueName('txn-fence-reader'), readCommitted: true, maxWaitTimeMs: 200 });
    try {
      await reader.connect();
      await reader.subscribe([topic], { fromBeginning: true });
      await reader.run(
        async (batch) => {
          for (const r of batch.records) seen.push(r.value?.toString() ?? '');
          progress.notify();
        },
        { autoCommit: true },
      );
      await progress.until(() => seen.includes('from the successor'), "the successor's record");
    } finally {
      await reader.close();
      await successor.close();
      await zombie.close().catch(() => {});
    }
    // Everything before the successor's record on the single partition was read: the zombie's is not among it.
    expect(seen).toEqual(['from the successor']);
  });
});
