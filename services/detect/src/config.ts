/**
 * The environment of `wmidetect serve detect`, parsed and checked before anything connects (docs/configuration.md
 * §1, §2, §4). Every problem is a ConfigError naming the variable; main() logs it and exits with status 2.
 */
import { hostname } from 'node:os';
import {
  ConfigError,
  envInt,
  envString,
  type KafkajsClientOptions,
  kafkaClientOptionsFromEnv,
  type TopicNames,
  topicNamesFromEnv,
} from '@wmi-detect/kafka';
import type { LogLevel } from '@wmi-detect/ops';

export interface DetectConfig {
  readonly kafka: KafkajsClientOptions;
  readonly topics: Pick<TopicNames, 'packets' | 'detections' | 'dlq'>;
  readonly opsPort: number;
  readonly logLevel: LogLevel;
  /** Consumer group on TOPIC_PACKETS; its committed offsets hold both positions of each partition (positions.ts). */
  readonly groupId: string;
  /** Names this worker in logs, metrics and the `detect.instance` header of its outputs. */
  readonly instanceId: string;
  readonly rulesFiles: readonly string[];
  readonly ruleVarsFile?: string;
  readonly sessionWindowS: number;
  /**
   * Upper bound on how far (in records of a partition) the committed replay start may lag the processing position.
   * A connection older than that loses its state on a crash or rebalance (see architecture.md, "Detect: state and
   * delivery").
   */
  readonly maxReplayRecords: number;
  /** Buffer memory of one partition's engine: half for TCP out-of-order data, half for DCE/RPC stub reassembly. */
  readonly shardMemoryMiB: number;
  /** Connections one partition's engine tracks at once (least recently used evicted beyond it). */
  readonly shardMaxConnections: number;
  /**
   * How long processed work of a partition may wait for its output transaction (0: one transaction per fetched
   * batch). A transaction costs kafkajs about twenty requests (coordinator look-ups, AddOffsetsToTxn and
   * TxnOffsetCommit for two groups, EndTxn, retries while the previous commit's markers are written), so grouping
   * batches is most of what a detector core can gain; alerts wait at most this long more.
   */
  readonly commitIntervalMs: number;
  /** A partition's outputs waiting for their transaction beyond which it commits at once (bounds memory). */
  readonly commitMaxOutputs: number;
  readonly podName?: string;
  readonly podNamespace?: string;
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** Both shipped packs, as `wmidetect analyze` and the chart's rules ConfigMap load them. */
export const DEFAULT_RULES_FILES = '/etc/wmi-detect/rules/wmi.rules,/etc/wmi-detect/rules/wmi-extended.rules';
export const DEFAULT_MAX_REPLAY_RECORDS = 100_000;
export const DEFAULT_SHARD_MEMORY_MIB = 64;
export const DEFAULT_SHARD_MAX_CONNECTIONS = 65_536;
export const DEFAULT_COMMIT_INTERVAL_MS = 200;
export const DEFAULT_COMMIT_MAX_OUTPUTS = 10_000;

export function detectConfigFromEnv(env: NodeJS.ProcessEnv): DetectConfig {
  const topics = topicNamesFromEnv(env);
  const kafka = kafkaClientOptionsFromEnv(env, 'detect');
  const opsPort = envInt(env, 'OPS_PORT', 9464, 0, 65535);
  const level = (envString(env, 'LOG_LEVEL') ?? 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(level))
    throw new ConfigError(
      'LOG_LEVEL',
      `expected one of ${LOG_LEVELS.join(', ')}, got '${envString(env, 'LOG_LEVEL')}'`,
    );
  const groupId = envString(env, 'DETECT_GROUP_ID') ?? 'wmi-detect-detect';
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(groupId))
    throw new ConfigError('DETECT_GROUP_ID', `'${groupId}' must be 1..200 characters of [A-Za-z0-9._-]`);
  const instanceId = envString(env, 'DETECT_INSTANCE_ID') ?? hostname();
  const rulesFiles = (envString(env, 'RULES_FILES') ?? DEFAULT_RULES_FILES)
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  if (rulesFiles.length === 0) throw new ConfigError('RULES_FILES', 'no rule file named');
  return {
    kafka,
    topics: { packets: topics.packets, detections: topics.detections, dlq: topics.dlq },
    opsPort,
    logLevel: level,
    groupId,
    instanceId,
    rulesFiles,
    ruleVarsFile: envString(env, 'RULE_VARS_FILE'),
    sessionWindowS: envInt(env, 'DETECT_SESSION_WINDOW_S', 300, 1, 86_400),
    maxReplayRecords: envInt(env, 'DETECT_MAX_REPLAY_RECORDS', DEFAULT_MAX_REPLAY_RECORDS, 1, 1_000_000_000),
    shardMemoryMiB: envInt(env, 'DETECT_SHARD_MEMORY_MIB', DEFAULT_SHARD_MEMORY_MIB, 2, 65_536),
    shardMaxConnections: envInt(env, 'DETECT_SHARD_MAX_CONNECTIONS', DEFAULT_SHARD_MAX_CONNECTIONS, 16, 16_777_216),
    commitIntervalMs: envInt(env, 'DETECT_COMMIT_INTERVAL_MS', DEFAULT_COMMIT_INTERVAL_MS, 0, 60_000),
    commitMaxOutputs: envInt(env, 'DETECT_COMMIT_MAX_OUTPUTS', DEFAULT_COMMIT_MAX_OUTPUTS, 1, 1_000_000),
    podName: envString(env, 'POD_NAME'),
    podNamespace: envString(env, 'POD_NAMESPACE'),
  };
}
