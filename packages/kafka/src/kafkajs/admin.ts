/** KafkaAdmin on the kafkajs admin client. */
import type kafkajs from 'kafkajs';
import type {
  ClusterDescription,
  KafkaAdmin,
  KafkaLogger,
  PartitionOffsets,
  TopicDescription,
  TopicPartitionOffset,
  TopicSpec,
} from '../port.js';
import { retryTransient } from './retry.js';

const byPartition = (a: { partition: number }, b: { partition: number }) => a.partition - b.partition;

export class KafkajsAdmin implements KafkaAdmin {
  private readonly admin: kafkajs.Admin;

  constructor(
    kafka: kafkajs.Kafka,
    private readonly logger: KafkaLogger,
  ) {
    this.admin = kafka.admin();
  }

  connect(): Promise<void> {
    return this.admin.connect();
  }

  async describeCluster(): Promise<ClusterDescription> {
    const c = await this.admin.describeCluster();
    return {
      brokers: c.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
      controller: c.controller ?? null,
    };
  }

  async createTopics(specs: readonly TopicSpec[]): Promise<string[]> {
    const existing = new Set(await this.admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length === 0) return [];
    try {
      await this.admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.partitions,
          replicationFactor: s.replicationFactor ?? 1,
          configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    } catch (e) {
      // Another process created some of them between our list and create: fine, they exist now.
      const errors = (e as { errors?: { type?: string }[] }).errors;
      const onlyExists = Array.isArray(errors) && errors.every((x) => x.type === 'TOPIC_ALREADY_EXISTS');
      if (!onlyExists && (e as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw e;
      this.logger.debug('kafka: some topics already existed', { topics: missing.map((s) => s.topic) });
    }
    return missing.map((s) => s.topic);
  }

  deleteTopics(topics: readonly string[]): Promise<void> {
    return this.admin.deleteTopics({ topics: [...topics] });
  }

  listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  async describeTopics(topics: readonly string[]): Promise<TopicDescription[]> {
    const { topics: meta } = await this.admin.fetchTopicMetadata({ topics: [...topics] });
    return meta.map((t) => ({
      topic: t.name,
      partitions: t.partitions
        .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: [...p.replicas], isr: [...p.isr] }))
        .sort(byPartition),
    }));
  }

  async fetchOffsets(topic: string): Promise<PartitionOffsets[]> {
    // Metadata of a topic created a moment ago can lag on the broker we ask; that is "not yet", not a failure.
    const offsets = await retryTransient('fetchOffsets', () => this.admin.fetchTopicOffsets(topic), this.logger);
    return offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high })).sort(byPartition);
  }

  async fetchCommitted(groupId: string, topic: string): Promise<TopicPartitionOffset[]> {
    const res = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    const out: TopicPartitionOffset[] = [];
    for (const t of res)
      for (const p of t.partitions)
        out.push({ topic: t.topic, partition: p.partition, offset: p.offset, metadata: p.metadata ?? null });
    return out.sort(byPartition);
  }

  async listGroups(): Promise<string[]> {
    const { groups } = await this.admin.listGroups();
    return groups.map((g) => g.groupId).sort();
  }

  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    if (groupIds.length === 0) return;
    try {
      await this.admin.deleteGroups([...groupIds]);
    } catch (e) {
      // KafkaJSDeleteGroupsError carries one result per refused group
      const groups = (e as { groups?: { groupId: string; error?: { message?: string } }[] }).groups;
      if (groups === undefined) throw e;
      const refused = groups.map((g) => `${g.groupId}: ${g.error?.message ?? 'refused'}`).join('; ');
      throw new Error(`deleting consumer groups failed: ${refused}`);
    }
  }

  close(): Promise<void> {
    return this.admin.disconnect();
  }
}
