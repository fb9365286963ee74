/**
 * Acceptance 2 of issue 2, against the real broker from test/kafka/global-setup.ts: 10 000 keyed records into a
 * 6-partition topic; a consumer group of two members — the second joins mid-stream, forcing a rebalance — receives
 * every record exactly once; all records of a key arrive on one partition (the one Kafka's Java client would pick),
 * in the order they were produced.
 *
 * Completion is detected with sentinels: after the last data record, one sentinel record is written to every
 * partition; a partition is fully read when its sentinel arrives (Kafka keeps order within a partition), so the
 * counts below are final, not a snapshot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokers, testKafkaLogger, uniqueName } from '../../../test/kafka/brokers.js';
import { Progress } from '../../../test/kafka/until.js';
import {
  createKafkajsClient,
  type KafkaAdmin,
  type KafkaClient,
  type OutgoingRecord,
  partitionForKey,
  type RecordBatch,
  type RecordSource,
} from '../src/index.js';

const PARTITIONS = 6;
const TOTAL = 10_000;
const KEYS = 97;
const CHUNK = 500;

interface Seen {
  member: string;
  key: string;
  seq: number;
  partition: number;
  offset: string;
}

describe('kafkajs 2.2.4 against the test broker: keyed produce and a two-member consumer group', () => {
  let client: KafkaClient;
  let admin: KafkaAdmin;
  const topic = uniqueName('cg-keyed');
  const groupId = uniqueName('cg-group');

  beforeAll(async () => {
    client = createKafkajsClient({ brokers: kafkaBrokers(), clientId: 'cg-test', logger: testKafkaLogger });
    admin = client.admin();
    await admin.connect();
    expect(await admin.createTopics([{ topic, partitions: PARTITIONS }])).toEqual([topic]);
  });

  afterAll(async () => {
    await admin?.close();
  });

  it('delivers 10 000 keyed records exactly once, per-key ordered on the Java partition, across a rebalance', async () => {
    const progress = new Progress();
    const seen: Seen[] = [];
    const sentinels = new Set<number>();
    const joins: string[] = [];

    const member = (name: string): RecordSource => {
      const source = client.source({ groupId, heartbeatIntervalMs: 500, sessionTimeoutMs: 10_000, maxWaitTimeMs: 200 });
      source.onAssigned((tps) => {
        joins.push(`${name}+${tps.map((t) => t.partition).join(',')}`);
        progress.notify();
      });
      source.onRevoked((tps) => {
        joins.push(`${name}-${tps.map((t) => t.partition).join(',')}`);
        progress.notify();
      });
      source.onError((e, fatal) => console.error(`member ${name} error (fatal=${fatal})`, e));
      return source;
    };
    const handler = (name: string) => async (batch: RecordBatch) => {
      for (const r of batch.records) {
        const key = r.key?.toString() ?? '';
        if (key === 'sentinel') {
          sentinels.add(r.partition);
          continue;
        }
        const seq = Number(r.headers.seq?.toString());
        seen.push({ member: name, key, seq, partition: r.partition, offset: r.offset });
      }
      progress.notify();
    };

    const a = member('A');
    const b = member('B');
    const sink = client.sink();
    await sink.connect();
    const perKeySeq = new Map<string, number>();
    const produce = async (from: number, to: number) => {
      for (let start = from; start < to; start += CHUNK) {
        const records: OutgoingRecord[] = [];
        for (let i = start; i < Math.min(to, start + CHUNK); i++) {
          const key = `host-pair-${i % KEYS}`;
          const seq = perKeySeq.get(key) ?? 0;
          perKeySeq.set(key, seq + 1);
          records.push({
            topic,
            key: Buffer.from(key),
            value: Buffer.from(`payload ${i} of ${key}`),
            headers: { seq: String(seq) },
          });
        }
        await sink.send(records);
      }
    };

    try {
      // Member A alone: it gets all six partitions.
      await a.connect();
      await a.subscribe([topic], { fromBeginning: true });
      await a.run(handler('A'), { autoCommit: true });
      await progress.until(() => a.assignment().length === PARTITIONS, 'A assigned all 6 partitions');

      // First half while A is alone; wait until A has read all of it (and, autoCommit, committed each batch).
      await produce(0, TOTAL / 2);
      await progress.until(
        () => seen.length >= TOTAL / 2,
        'A received the first 5 000',
        120_000,
        () => `${seen.length}`,
      );

      // B joins: a real rebalance; each member ends up with three partitions, disjoint.
      await b.connect();
      await b.subscribe([topic], { fromBeginning: true });
      await b.run(handler('B'), { autoCommit: true });
      await progress.until(
        () => a.assignment().length === 3 && b.assignment().length === 3,
        'rebalance to 3 + 3 partitions',
        120_000,
        () => joins.join(' '),
      );
      const owned = [...a.assignment(), ...b.assignment()].map((t) => t.partition).sort();
      expect(owned).toEqual([0, 1, 2, 3, 4, 5]);

      // Second half, then one sentinel per partition: reading is complete when all six sentinels arrived.
      await produce(TOTAL / 2, TOTAL);
      await sink.send(
        Array.from({ length: PARTITIONS }, (_, p) => ({
          topic,
          partition: p,
          key: Buffer.from('sentinel'),
          value: null,
        })),
      );
      await progress.until(
        () => sentinels.size === PARTITIONS,
        'sentinels from all 6 partitions',
        120_000,
        () => `${seen.length} records, sentinels ${[...sentinels]}`,
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
      await sink.close();
    }

    // Exactly once: 10 000 records, no (key, seq) twice, none missing.
    expect(seen.length).toBe(TOTAL);
    const ids = new Set(seen.map((s) => `${s.key}#${s.seq}`));
    expect(ids.size).toBe(TOTAL);
    for (const [key, n] of perKeySeq) for (let seq = 0; seq < n; seq++) expect(ids.has(`${key}#${seq}`)).toBe(true);

    // Both members consumed: the group really shared the work after the rebalance.
    const byMember = { A: 0, B: 0 } as Record<string, number>;
    for (const s of seen) byMember[s.member]++;
    expect(byMember.B).toBeGreaterThan(0);
    expect(byMember.A).toBeGreaterThan(TOTAL / 2);

    // One partition per key — the one Kafka's Java client picks — and per-key order as produced.
    const byKey = new Map<string, Seen[]>();
    for (const s of seen) {
      const list = byKey.get(s.key) ?? [];
      list.push(s);
      byKey.set(s.key, list);
    }
    expect(byKey.size).toBe(KEYS);
    for (const [key, list] of byKey) {
      const partitions = new Set(list.map((s) => s.partition));
      expect(partitions.size, `partitions of ${key}`).toBe(1);
      expect(list[0].partition).toBe(partitionForKey(Buffer.from(key), PARTITIONS));
      expect(list.map((s) => s.seq)).toEqual(list.map((_, i) => i));
    }
    // Every partition got data (97 keys over 6 partitions).
    expect(new Set(seen.map((s) => s.partition)).size).toBe(PARTITIONS);

    // The group's committed positions are the end of each partition (records + sentinel).
    const committed = await admin.fetchCommitted(groupId, topic);
    const ends = await admin.fetchOffsets(topic);
    expect(committed.map((c) => c.offset)).toEqual(ends.map((e) => e.high));
    expect(ends.reduce((n, e) => n + Number(e.high), 0)).toBe(TOTAL + PARTITIONS);
  });
});
