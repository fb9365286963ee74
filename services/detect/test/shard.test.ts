/**
 * PartitionShard without a broker: the replay bookkeeping the delivery guarantee rests on.
 *
 * A "crash" after record k: shard A processed records [0, k) in batches and committed (replayFrom, emittedNext) after
 * each; shard B starts from A's last checkpoint, as a new owner would, and processes the rest. Every alert of the
 * uninterrupted offline run must be produced by A or B, and B must produce nothing for records below the mark.
 */
import type { KafkaRecord } from '@wmi-detect/kafka';
import { describe, expect, it } from 'vitest';
import { DetectMetrics } from '../src/metrics.js';
import { DLQ_HEADERS } from '../src/output.js';
import { type Checkpoint, PartitionShard } from '../src/shard.js';
import { alertIdsOf, cutIntoRecords, offlineRecords, scenarioFrames, serviceEngineOptions } from './helpers.js';

const TOPIC = 'packets';
const engine = serviceEngineOptions();

function kafkaRecords(cut: { key: Buffer; value: Buffer | null }[]): KafkaRecord[] {
  return cut.map((c, i) => ({
    topic: TOPIC,
    partition: 0,
    offset: String(i),
    key: c.key,
    value: c.value,
    headers: {},
    timestamp: 0,
  }));
}

function newShard(cp: Checkpoint, maxReplayRecords = 1_000_000) {
  const metrics = new DetectMetrics();
  const shard = new PartitionShard(
    {
      topic: TOPIC,
      partition: 0,
      engine,
      detectionsTopic: 'detections',
      dlqTopic: 'dlq',
      instanceId: 'unit',
      maxReplayRecords,
      metrics,
    },
    cp,
  );
  return { shard, metrics };
}

function outputAlertIds(outputs: { topic: string; value: Buffer | null }[]): string[] {
  const ids: string[] = [];
  for (const o of outputs) {
    if (o.topic !== 'detections' || o.value === null) continue;
    const r = JSON.parse(o.value.toString()) as { event_type: string; alert_id?: string };
    if (r.event_type === 'alert') ids.push(r.alert_id as string);
  }
  return ids;
}

/** Runs records[from, to) through `shard` in batches of `batch`, committing after each; returns outputs. */
function drive(shard: PartitionShard, records: KafkaRecord[], from: number, to: number, batch: number) {
  const outputs: { topic: string; value: Buffer | null; headers?: unknown; offsetOf: number }[] = [];
  for (let i = from; i < to; i += batch) {
    const slice = records.slice(i, Math.min(to, i + batch));
    const out = shard.process(slice, BigInt(i + slice.length));
    for (const o of out.outputs) {
      const src = Number((o.headers as Record<string, string>)['detect.source']?.split('/')[2] ?? -1);
      outputs.push({ topic: o.topic, value: o.value, headers: o.headers, offsetOf: src });
    }
    shard.markCommitted({ replayFrom: out.replayFrom, emittedNext: out.emittedNext });
  }
  return outputs;
}

describe('PartitionShard', () => {
  for (const name of ['wmi-activation-ok', 'dcom-mmc20', 'sealed']) {
    it(`${name}: a crash after any record, then a new owner from the checkpoint, loses no alert and repeats none`, async () => {
      const frames = await scenarioFrames(name);
      const reference = alertIdsOf(offlineRecords(frames));
      expect(reference.length).toBeGreaterThan(0);
      const records = kafkaRecords(cutIntoRecords(frames, 'sensor-1', 3));

      const whole = newShard({ replayFrom: null, emittedNext: null }).shard;
      expect(outputAlertIds(drive(whole, records, 0, records.length, 4)).sort()).toEqual(reference);

      for (let k = 1; k < records.length; k++) {
        const a = newShard({ replayFrom: null, emittedNext: null }).shard;
        const first = drive(a, records, 0, k, 2);
        const cp = a.lastCommitted;
        expect(cp.emittedNext).toBe(BigInt(k));
        expect(cp.replayFrom).not.toBeNull();
        const { shard: b, metrics } = newShard(cp);
        expect(b.restored).toBe(cp.replayFrom === BigInt(k));
        const from = Number(b.startOffset);
        const second = drive(b, records, from, records.length, 3);
        expect(b.restored).toBe(true);
        // nothing re-produced for records the first owner covered
        for (const o of second) expect(o.offsetOf, `${name} k=${k}`).toBeGreaterThanOrEqual(k);
        const ids = [...outputAlertIds(first), ...outputAlertIds(second)].sort();
        expect(ids, `${name} crash after record ${k}`).toEqual(reference);
        expect(metrics.replayRecords.get({ partition: 0 })).toBe(k - from);
      }
    });
  }

  it('an undecodable record becomes a dead letter with its coordinates; the records around it are processed', async () => {
    const frames = await scenarioFrames('wmi-activation-ok');
    const reference = alertIdsOf(offlineRecords(frames));
    const cut = cutIntoRecords(frames, 'sensor-1', 4);
    const withGarbage: { key: Buffer; value: Buffer | null }[] = [];
    const garbage = [
      Buffer.from('not msgpack at all \xff\xfe'),
      Buffer.from([0x81, 0xa1, 0x76, 0x02]), // {v: 2}
      null,
    ];
    cut.forEach((c, i) => {
      withGarbage.push(c);
      if (i % 3 === 1 && garbage.length > 0) withGarbage.push({ key: c.key, value: garbage.shift() ?? null });
    });
    expect(garbage).toHaveLength(0);
    const records = kafkaRecords(withGarbage);
    const { shard, metrics } = newShard({ replayFrom: null, emittedNext: null });
    const out = drive(shard, records, 0, records.length, 7);
    expect(outputAlertIds(out).sort()).toEqual(reference);
    const dead = out.filter((o) => o.topic === 'dlq');
    expect(dead).toHaveLength(3);
    const expectedOffsets = withGarbage.flatMap((r, i) => (cut.includes(r as never) ? [] : [String(i)]));
    expect(dead.map((d) => (d.headers as Record<string, string>)[DLQ_HEADERS.offset])).toEqual(expectedOffsets);
    const reasons = dead.map((d) => (d.headers as Record<string, string>)[DLQ_HEADERS.reason]);
    expect(reasons[0]).toMatch(/^PacketRecord: value: not msgpack/);
    expect(reasons[1]).toBe('PacketRecord: v: unsupported version 2; this build reads version 1');
    expect(reasons[2]).toMatch(/tombstone/);
    for (const d of dead) {
      const h = d.headers as Record<string, string>;
      expect(h[DLQ_HEADERS.topic]).toBe(TOPIC);
      expect(h[DLQ_HEADERS.partition]).toBe('0');
      expect(h[DLQ_HEADERS.service]).toBe('detect');
    }
    expect(metrics.dlq.get({ field: 'value' }) + metrics.dlq.get({ field: 'v' })).toBe(3);
  });

  it('a replay after a crash does not dead-letter the same record twice', () => {
    const records = kafkaRecords([{ key: Buffer.of(0), value: Buffer.from('junk') }]);
    const a = newShard({ replayFrom: null, emittedNext: null }).shard;
    expect(drive(a, records, 0, 1, 1).filter((o) => o.topic === 'dlq')).toHaveLength(1);
    const b = newShard({ replayFrom: 0n, emittedNext: 1n }).shard;
    expect(b.restored).toBe(false);
    expect(drive(b, records, 0, 1, 1)).toHaveLength(0);
    expect(b.restored).toBe(true);
  });

  it('DETECT_MAX_REPLAY_RECORDS caps how far the replay start may trail the position', async () => {
    const frames = await scenarioFrames('wmi-activation-ok');
    const records = kafkaRecords(cutIntoRecords(frames, 'sensor-1', 1));
    const uncapped = newShard({ replayFrom: null, emittedNext: null }).shard;
    drive(uncapped, records, 0, records.length - 1, 1);
    const trail = Number(uncapped.lastCommitted.emittedNext) - Number(uncapped.lastCommitted.replayFrom);
    expect(trail).toBeGreaterThan(3); // the live session holds the mark back
    const { shard, metrics } = newShard({ replayFrom: null, emittedNext: null }, 3);
    drive(shard, records, 0, records.length - 1, 1);
    expect(Number(shard.lastCommitted.emittedNext) - Number(shard.lastCommitted.replayFrom)).toBe(3);
    expect(metrics.replayCapped.get({ partition: 0 })).toBeGreaterThan(0);
  });
});
