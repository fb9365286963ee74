/**
 * The topics of docs/configuration.md §6 and how `wmidetect topics create` makes them exist: pure planning (which
 * topic, how many partitions, which configs) and the idempotent apply against the Kafka port's admin.
 *
 *   data topics (N partitions)            packets, detections, detect-state, dlq, alerts, suppressed
 *   reference topics (1 partition)        assets, whitelist
 *   compacted                             detect-state, assets, whitelist (the latest value per key is the state)
 *   co-partitioned (must all have N)      packets, detections, detect-state: the host-pair key → partition mapping
 *                                         and the detector state depend on the count, so it is never changed here
 */
import { type KafkaAdmin, retryTransient, type TopicNames, type TopicSpec } from '@wmi-detect/kafka';

export type RetentionTopic = 'packets' | 'detections' | 'dlq' | 'alerts' | 'suppressed';

export const DEFAULT_RETENTION_MS: Readonly<Record<RetentionTopic, number>> = {
  packets: 86_400_000,
  detections: 604_800_000,
  dlq: 1_209_600_000,
  alerts: 604_800_000,
  suppressed: 2_592_000_000,
};

export interface TopicsOptions {
  readonly partitions: number;
  /** Requested replication factor; undefined = 3 lowered to the broker count. */
  readonly replicationFactor?: number;
  /** undefined = min(2, replication factor). */
  readonly minInsyncReplicas?: number;
  readonly retentionMs?: Partial<Record<RetentionTopic, number>>;
}

export const DEFAULT_PARTITIONS = 12;
export const DEFAULT_REPLICATION_FACTOR = 3;

export class TopicsError extends Error {
  override name = 'TopicsError';
}

/** Replication factor and min ISR for a cluster of `brokers` brokers. */
export function replication(opts: TopicsOptions, brokers: number): { rf: number; minIsr: number } {
  const rf = opts.replicationFactor ?? Math.max(1, Math.min(DEFAULT_REPLICATION_FACTOR, brokers));
  if (rf > brokers)
    throw new TopicsError(`--replication-factor ${rf} needs at least ${rf} brokers; the cluster has ${brokers}`);
  const minIsr = opts.minInsyncReplicas ?? Math.min(2, rf);
  if (minIsr > rf)
    throw new TopicsError(
      `--min-insync-replicas ${minIsr} is above the replication factor ${rf}: no write could succeed`,
    );
  return { rf, minIsr };
}

/** The specs of every topic, in the order of configuration.md §6. */
export function planTopics(names: TopicNames, opts: TopicsOptions, brokers: number): TopicSpec[] {
  const { rf, minIsr } = replication(opts, brokers);
  const n = opts.partitions;
  const ret = { ...DEFAULT_RETENTION_MS, ...opts.retentionMs };
  const del = (topic: string, key: RetentionTopic): TopicSpec => ({
    topic,
    partitions: n,
    replicationFactor: rf,
    configs: { 'cleanup.policy': 'delete', 'retention.ms': String(ret[key]), 'min.insync.replicas': String(minIsr) },
  });
  const compact = (topic: string, partitions: number): TopicSpec => ({
    topic,
    partitions,
    replicationFactor: rf,
    configs: { 'cleanup.policy': 'compact', 'min.insync.replicas': String(minIsr) },
  });
  return [
    del(names.packets, 'packets'),
    del(names.detections, 'detections'),
    compact(names.detectState, n),
    del(names.dlq, 'dlq'),
    del(names.alerts, 'alerts'),
    del(names.suppressed, 'suppressed'),
    compact(names.refAssets, 1),
    compact(names.refWhitelist, 1),
  ];
}

export interface TopicOutcome {
  readonly topic: string;
  readonly action: 'created' | 'exists';
  readonly partitions: number;
}

/**
 * Creates the missing topics, then checks that the co-partitioned ones all have `opts.partitions` partitions.
 * Throws TopicsError naming the topic and both counts when they do not; never adds partitions.
 */
export async function createTopics(admin: KafkaAdmin, names: TopicNames, opts: TopicsOptions): Promise<TopicOutcome[]> {
  const cluster = await admin.describeCluster();
  const specs = planTopics(names, opts, cluster.brokers.length);
  // Metadata of a topic created a moment ago can lag on the broker asked (UNKNOWN_TOPIC_OR_PARTITION while the
  // create waits for leaders, or in the describe after it): that is "not yet", so both are retried. The create is
  // idempotent (it lists existing topics first), so a retry only creates what is still missing.
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const existing = new Set(await admin.listTopics());
  await retryTransient('createTopics', () => admin.createTopics(specs), quiet);
  const created = new Set(specs.map((s) => s.topic).filter((t) => !existing.has(t)));
  const descriptions = await retryTransient(
    'describeTopics',
    () => admin.describeTopics(specs.map((s) => s.topic)),
    quiet,
  );
  const described = new Map(descriptions.map((d) => [d.topic, d]));
  const out: TopicOutcome[] = [];
  const problems: string[] = [];
  for (const s of specs) {
    const d = described.get(s.topic);
    if (d === undefined || d.partitions.length === 0) {
      problems.push(`${s.topic}: not found after create`);
      continue;
    }
    out.push({ topic: s.topic, action: created.has(s.topic) ? 'created' : 'exists', partitions: d.partitions.length });
  }
  for (const t of [names.packets, names.detections, names.detectState]) {
    const got = described.get(t)?.partitions.length;
    if (got !== undefined && got !== opts.partitions)
      problems.push(
        `${t} has ${got} partitions, --partitions is ${opts.partitions}: co-partitioned topics must match, and partitions are never added (docs/deploy.md)`,
      );
  }
  if (problems.length > 0) throw new TopicsError(problems.join('\n'));
  return out;
}
