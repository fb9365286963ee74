/**
 * The environment of `wmidetect serve enrich`, parsed and checked before anything connects (docs/configuration.md
 * §1, §2, §5). Every problem is a ConfigError naming the variable; main() logs it and exits with status 2.
 *
 * Secrets come only from `*_FILE` variables; their contents never appear in an error message.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ConnectionOptions } from 'node:tls';
import type { KafkajsClientOptions } from '@wmi-detect/kafka';
import type { LogLevel } from '@wmi-detect/ops';

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

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

/** An empty variable is the same as an unset one (§1). */
function get(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function bool(env: NodeJS.ProcessEnv, name: string, dflt: boolean): boolean {
  const v = get(env, name);
  if (v === undefined) return dflt;
  const l = v.toLowerCase();
  if (l === 'true') return true;
  if (l === 'false') return false;
  throw new ConfigError(name, `must be true or false, got '${v}'`);
}

function port(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const v = get(env, name);
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new ConfigError(name, `must be a port number 0-65535, got '${v}'`);
  return Number(v);
}

function readSecretFile(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const path = get(env, name);
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(name, `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function readableFile(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const path = get(env, name);
  if (path === undefined) return undefined;
  try {
    readFileSync(path);
  } catch (e) {
    throw new ConfigError(name, `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return path;
}

const LEVELS = new Set(['debug', 'info', 'warn', 'error', 'silent']);

/** The common Kafka variables of §2 as adapter options. */
export function kafkaOptionsFromEnv(env: NodeJS.ProcessEnv, component: string): KafkajsClientOptions {
  const brokersText = get(env, 'KAFKA_BROKERS') ?? 'localhost:9092';
  const brokers = brokersText
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  for (const b of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(b) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(b))
      throw new ConfigError('KAFKA_BROKERS', `'${b}' is not host:port`);
  }
  if (brokers.length === 0) throw new ConfigError('KAFKA_BROKERS', 'names no broker');

  const sslOn = bool(env, 'KAFKA_SSL', false);
  const ca = readSecretFile(env, 'KAFKA_SSL_CA_FILE');
  const cert = readSecretFile(env, 'KAFKA_SSL_CERT_FILE');
  const key = readSecretFile(env, 'KAFKA_SSL_KEY_FILE');
  if (!sslOn) {
    for (const [n, v] of [
      ['KAFKA_SSL_CA_FILE', ca],
      ['KAFKA_SSL_CERT_FILE', cert],
      ['KAFKA_SSL_KEY_FILE', key],
    ] as const)
      if (v !== undefined) throw new ConfigError(n, 'needs KAFKA_SSL=true');
  }
  if ((cert === undefined) !== (key === undefined))
    throw new ConfigError(
      cert === undefined ? 'KAFKA_SSL_CERT_FILE' : 'KAFKA_SSL_KEY_FILE',
      'a client certificate needs both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE',
    );
  let ssl: boolean | ConnectionOptions | undefined;
  if (sslOn) ssl = ca || cert ? { ca, cert, key } : true;

  let sasl: KafkajsClientOptions['sasl'];
  const mech = get(env, 'KAFKA_SASL_MECHANISM')?.toLowerCase();
  const user = get(env, 'KAFKA_SASL_USERNAME');
  const pwRaw = readSecretFile(env, 'KAFKA_SASL_PASSWORD_FILE');
  if (mech !== undefined) {
    if (mech !== 'plain' && mech !== 'scram-sha-256' && mech !== 'scram-sha-512')
      throw new ConfigError('KAFKA_SASL_MECHANISM', `must be plain, scram-sha-256 or scram-sha-512, got '${mech}'`);
    if (user === undefined) throw new ConfigError('KAFKA_SASL_USERNAME', `required with KAFKA_SASL_MECHANISM=${mech}`);
    if (pwRaw === undefined)
      throw new ConfigError('KAFKA_SASL_PASSWORD_FILE', `required with KAFKA_SASL_MECHANISM=${mech}`);
    const password = pwRaw.endsWith('\n') ? pwRaw.slice(0, pwRaw.endsWith('\r\n') ? -2 : -1) : pwRaw;
    sasl = { mechanism: mech, username: user, password } as KafkajsClientOptions['sasl'];
  } else if (user !== undefined || pwRaw !== undefined) {
    throw new ConfigError(
      user !== undefined ? 'KAFKA_SASL_USERNAME' : 'KAFKA_SASL_PASSWORD_FILE',
      'set KAFKA_SASL_MECHANISM too',
    );
  }
  return { brokers, clientId: get(env, 'KAFKA_CLIENT_ID') ?? `wmi-detect-${component}`, ssl, sasl };
}

export function parseEnrichConfig(env: NodeJS.ProcessEnv = process.env): EnrichConfig {
  const level = (get(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LEVELS.has(level))
    throw new ConfigError('LOG_LEVEL', `must be debug, info, warn, error or silent, got '${level}'`);
  const topic = (name: string, dflt: string) => {
    const v = get(env, name) ?? dflt;
    if (!/^[a-zA-Z0-9._-]{1,249}$/.test(v)) throw new ConfigError(name, `'${v}' is not a valid Kafka topic name`);
    return v;
  };
  const topics: EnrichTopics = {
    detections: topic('TOPIC_DETECTIONS', 'wmi.detections.v1'),
    alerts: topic('TOPIC_ALERTS', 'wmi.alerts.v1'),
    suppressed: topic('TOPIC_SUPPRESSED', 'wmi.alerts.suppressed.v1'),
    dlq: topic('TOPIC_DLQ', 'wmi.dlq.v1'),
    refAssets: topic('TOPIC_REF_ASSETS', 'wmi.reference.assets'),
    refWhitelist: topic('TOPIC_REF_WHITELIST', 'wmi.reference.whitelist'),
  };
  const outputs = [topics.alerts, topics.suppressed, topics.dlq];
  if (outputs.includes(topics.detections))
    throw new ConfigError('TOPIC_DETECTIONS', 'must differ from TOPIC_ALERTS, TOPIC_SUPPRESSED and TOPIC_DLQ');
  if (topics.alerts === topics.suppressed) throw new ConfigError('TOPIC_SUPPRESSED', 'must differ from TOPIC_ALERTS');
  const podName = get(env, 'POD_NAME');
  return {
    kafka: kafkaOptionsFromEnv(env, 'enrich'),
    opsPort: port(env, 'OPS_PORT', 9464),
    logLevel: level as LogLevel,
    groupId: get(env, 'ENRICH_GROUP_ID') ?? 'wmi-detect-enrich',
    topics,
    assetsFile: readableFile(env, 'ASSETS_FILE'),
    whitelistFile: readableFile(env, 'WHITELIST_FILE'),
    instanceId: podName ?? `${hostname()}-${process.pid}`,
    podName,
    podNamespace: get(env, 'POD_NAMESPACE'),
  };
}
