/**
 * `wmidetect topics create`: creates the topics of docs/configuration.md §6, idempotently. Brokers, TLS/SASL and
 * topic names come from the same environment as the services (§2); the flags size the topics.
 * Exit: 0 every topic exists as specified, 1 any failure (including a co-partitioned topic with another partition
 * count), 2 usage or configuration error.
 */
import { ConfigError, createKafkajsClient, kafkaClientOptionsFromEnv, topicNamesFromEnv } from '@wmi-detect/kafka';
import { createLogger } from '@wmi-detect/ops';
import { all, intOption, parseArgs, UsageError } from '../args.js';
import {
  createTopics,
  DEFAULT_PARTITIONS,
  DEFAULT_RETENTION_MS,
  type RetentionTopic,
  TopicsError,
  type TopicsOptions,
} from '../topics/plan.js';

export const TOPICS_USAGE = `usage: wmidetect topics create [--partitions N] [--replication-factor N] [--min-insync-replicas N]
                              [--retention-ms TOPIC=MS]...
  --partitions N            partitions of every data topic (default ${DEFAULT_PARTITIONS}); the ceiling on detect/enrich replicas
  --replication-factor N    default 3, lowered to the number of brokers
  --min-insync-replicas N   default min(2, replication factor)
  --retention-ms TOPIC=MS   retention.ms of packets, detections, dlq, alerts or suppressed (repeatable; -1 = forever)
  Kafka connection and topic names: KAFKA_BROKERS, KAFKA_SSL*, KAFKA_SASL_*, TOPIC_* (docs/configuration.md §2)`;

export function parseTopicsArgs(argv: readonly string[]): TopicsOptions {
  const args = parseArgs(argv, {
    partitions: { value: true },
    'replication-factor': { value: true },
    'min-insync-replicas': { value: true },
    'retention-ms': { value: true, repeat: true },
  });
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const retentionMs: Partial<Record<RetentionTopic, number>> = {};
  for (const r of all(args, 'retention-ms')) {
    const m = /^([a-z]+)=(-1|\d+)$/.exec(r);
    if (!m || !(m[1] in DEFAULT_RETENTION_MS))
      throw new UsageError(
        `--retention-ms takes TOPIC=MS with TOPIC one of ${Object.keys(DEFAULT_RETENTION_MS).join(', ')}; got '${r}'`,
      );
    retentionMs[m[1] as RetentionTopic] = Number(m[2]);
  }
  return {
    partitions: intOption(args, 'partitions', 1) ?? DEFAULT_PARTITIONS,
    replicationFactor: intOption(args, 'replication-factor', 1),
    minInsyncReplicas: intOption(args, 'min-insync-replicas', 1),
    retentionMs,
  };
}

export async function topicsCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'create') throw new UsageError(`unknown topics subcommand '${sub ?? ''}'; expected 'create'`);
  const opts = parseTopicsArgs(rest);
  let client: ReturnType<typeof createKafkajsClient>;
  let names: ReturnType<typeof topicNamesFromEnv>;
  try {
    names = topicNamesFromEnv(env);
    client = createKafkajsClient({ ...kafkaClientOptionsFromEnv(env, 'topics'), logger: createLogger('topics') });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`wmidetect topics: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const admin = client.admin();
  try {
    await admin.connect();
    const outcomes = await createTopics(admin, names, opts);
    for (const o of outcomes) process.stdout.write(`${o.action.padEnd(7)} ${o.topic} (${o.partitions} partitions)\n`);
    return 0;
  } catch (e) {
    const msg = e instanceof TopicsError ? e.message : `${(e as Error).name}: ${(e as Error).message}`;
    process.stderr.write(`wmidetect topics create: ${msg}\n`);
    return 1;
  } finally {
    await admin.close().catch(() => {});
  }
}
