/**
 * Conversions between kafkajs's shapes and the port's. Kept in one place so the adapter files read as behaviour.
 */
import type kafkajs from 'kafkajs';
import { partitionForKey } from '../partitioner.js';
import type { KafkaHeaders, KafkaRecord, OutgoingRecord, TopicPartition, TopicPartitionOffset } from '../port.js';

export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export function fromKafkajsHeaders(headers: kafkajs.IHeaders | undefined): KafkaHeaders {
  const out: KafkaHeaders = {};
  if (!headers) return out;
  for (const name of Object.keys(headers)) {
    let v = headers[name];
    // A repeated header key arrives as an array; the port keeps the last one (Java's lastHeader()).
    if (Array.isArray(v)) v = v[v.length - 1];
    if (v === undefined) continue;
    out[name] = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
  }
  return out;
}

export function fromKafkajsMessage(topic: string, partition: number, m: kafkajs.KafkaMessage): KafkaRecord {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ?? null,
    value: m.value ?? null,
    headers: fromKafkajsHeaders(m.headers),
    timestamp: Number(m.timestamp),
  };
}

export function toKafkajsMessage(r: OutgoingRecord): kafkajs.Message {
  const m: kafkajs.Message = { key: r.key, value: r.value };
  if (r.partition !== undefined) m.partition = r.partition;
  if (r.headers) m.headers = { ...r.headers };
  if (r.timestamp !== undefined) m.timestamp = String(r.timestamp);
  return m;
}

/** Groups records by topic, keeping their order (kafkajs sendBatch takes one entry per topic). */
export function toTopicMessages(records: readonly OutgoingRecord[]): kafkajs.TopicMessages[] {
  const byTopic = new Map<string, kafkajs.Message[]>();
  for (const r of records) {
    let list = byTopic.get(r.topic);
    if (!list) {
      list = [];
      byTopic.set(r.topic, list);
    }
    list.push(toKafkajsMessage(r));
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/** Offsets in the shape kafkajs's sendOffsets and commitOffsets take. */
export function toTopicOffsets(offsets: readonly TopicPartitionOffset[]): kafkajs.TopicOffsets[] {
  const byTopic = new Map<string, kafkajs.PartitionOffset[]>();
  for (const o of offsets) {
    let list = byTopic.get(o.topic);
    if (!list) {
      list = [];
      byTopic.set(o.topic, list);
    }
    // kafkajs's type has no metadata, but its TxnOffsetCommit/OffsetCommit encoders write the field when present
    list.push({
      partition: o.partition,
      offset: o.offset,
      ...(o.metadata != null ? { metadata: o.metadata } : {}),
    } as kafkajs.PartitionOffset);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

/** Partition lists by topic, the shape of kafkajs pause/resume. */
export function toTopicPartitions(tps: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const tp of tps) {
    let list = byTopic.get(tp.topic);
    if (!list) {
      list = [];
      byTopic.set(tp.topic, list);
    }
    list.push(tp.partition);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

/**
 * Our partitioner for kafkajs: keyed records go where Kafka's Java client would put them (src/partitioner.ts, not
 * kafkajs's own murmur2), records without a key rotate over the partitions that have a leader.
 */
export const javaCompatiblePartitioner: kafkajs.ICustomPartitioner = () => {
  let counter = Math.floor(Math.random() * 0x7fffffff);
  return ({ partitionMetadata, message }) => {
    const n = partitionMetadata.length;
    if (message.partition !== undefined && message.partition !== null) return message.partition;
    if (message.key !== null && message.key !== undefined) {
      const key = typeof message.key === 'string' ? Buffer.from(message.key, 'utf8') : message.key;
      return partitionForKey(key, n);
    }
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    counter = (counter + 1) & 0x7fffffff;
    if (available.length > 0) return available[counter % available.length].partitionId;
    return counter % n;
  };
};
