/**
 * The environment of `wmidetect serve enrich`, parsed and checked before anything connects (docs/configuration.md
 * §1, §2, §5). Every problem is a ConfigError naming the variable; main() logs it and exits with status 2.
 *
 * Secrets come only from `*_FILE` variables; their contents never appear in an error message.
 */
import { hostname } from 'node:os';
import {
  ConfigError,
  envFile,
  envInt,
  envString,
  type KafkajsClientOptions,
  kafkaClientOptionsFromEnv,
  topicNamesFromEnv,
} from '@wmi-detect/kafka';
import type { LogLevel } from '@wmi-detect/ops';

export { ConfigError };

export interface EnrichTopics {
  readonly detections: string;
  readonly alerts: string;
  readonly suppressed: string;
  readonly dlq: string;
  readonly refAssets: string;
  readonly refWhitelist: string;
}

export interface EnrichConfig {
  readonly kafka: KafkajsClientOptions;
  readonly opsPort: number;
  readonly logLevel: LogLevel;
  readonly groupId: string;
  readonly topics: EnrichTopics;
  /** ASSETS_FILE / WHITELIST_FILE, or undefined (empty baseline). */
  readonly assetsFile?: string;
  readonly whitelistFile?: string;
  /**
   * Name of this worker in its transactional.id: POD_NAME (stable across restarts, so a restarted pod fences its
   * predecessor's zombie producer), else host name and pid (two processes on one machine must not fence each other;
   * a predecessor on the same machine is dead anyway).
   */
  readonly instanceId: string;
  readonly podName?: string;
  readonly podNamespace?: string;
}

const LEVELS = new Set(['debug', 'info', 'warn', 'error', 'silent']);

/** The path a *_FILE variable names, checked readable now (ConfigError otherwise). */
function readable(env: NodeJS.ProcessEnv, name: string): string | undefined {
  envFile(env, name);
  return envString(env, name);
}

export function parseEnrichConfig(env: NodeJS.ProcessEnv = process.env): EnrichConfig {
  const level = (envString(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LEVELS.has(level))
    throw new ConfigError('LOG_LEVEL', `must be debug, info, warn, error or silent, got '${level}'`);
  const all = topicNamesFromEnv(env);
  const topics: EnrichTopics = {
    detections: all.detections,
    alerts: all.alerts,
    suppressed: all.suppressed,
    dlq: all.dlq,
    refAssets: all.refAssets,
    refWhitelist: all.refWhitelist,
  };
  const outputs = [topics.alerts, topics.suppressed, topics.dlq];
  if (outputs.includes(topics.detections))
    throw new ConfigError('TOPIC_DETECTIONS', 'must differ from TOPIC_ALERTS, TOPIC_SUPPRESSED and TOPIC_DLQ');
  if (topics.alerts === topics.suppressed) throw new ConfigError('TOPIC_SUPPRESSED', 'must differ from TOPIC_ALERTS');
  const podName = envString(env, 'POD_NAME');
  return {
    kafka: kafkaClientOptionsFromEnv(env, 'enrich'),
    opsPort: envInt(env, 'OPS_PORT', 9464, 0, 65535),
    logLevel: level as LogLevel,
    groupId: envString(env, 'ENRICH_GROUP_ID') ?? 'wmi-detect-enrich',
    topics,
    assetsFile: readable(env, 'ASSETS_FILE'),
    whitelistFile: readable(env, 'WHITELIST_FILE'),
    instanceId: podName ?? `${hostname()}-${process.pid}`,
    podName,
    podNamespace: envString(env, 'POD_NAMESPACE'),
  };
}
