/**
 * The common environment of every `serve` process and `topics create` (docs/configuration.md §2), parsed once, in
 * one place, so that ingest, detect, enrich and the CLI agree on what KAFKA_SSL=TRUE or an empty KAFKA_BROKERS means.
 *
 * Conventions (configuration.md "Values"): an empty variable is the same as an unset one; booleans are true/false
 * (case-insensitive); integers are decimal. Anything that does not parse, a *_FILE that cannot be read, or a
 * combination that makes no sense throws a ConfigError naming the variable — callers log it and exit 2 before they
 * connect anywhere. Secrets are only ever read from files; their contents never appear in an error message.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type kafkajs from 'kafkajs';
import type { KafkajsClientOptions } from './kafkajs/client.js';

/** A configuration problem: `variable` is the environment variable to fix. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** The value, or undefined when unset or empty. */
export function envString(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

export function envBool(env: Env, name: string, dflt: boolean): boolean {
  const v = envString(env, name);
  if (v === undefined) return dflt;
  const l = v.toLowerCase();
  if (l === 'true') return true;
  if (l === 'false') return false;
  throw new ConfigError(name, `expected true or false, got '${v}'`);
}

export function envInt(env: Env, name: string, dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = envString(env, name);
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new ConfigError(name, `expected a decimal integer, got '${v}'`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(name, `expected ${min}..${max}, got ${n}`);
  return n;
}

/** Reads the file a *_FILE variable names (undefined when the variable is unset). */
export function envFile(env: Env, name: string): Buffer | undefined {
  const path = envString(env, name);
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigError(name, `cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Topic names (TOPIC_*), defaults from configuration.md §2. */
export interface TopicNames {
  readonly packets: string;
  readonly detections: string;
  readonly dlq: string;
  readonly alerts: string;
  readonly suppressed: string;
  readonly refAssets: string;
  readonly refWhitelist: string;
  readonly detectState: string;
}

export const DEFAULT_TOPICS: TopicNames = {
  packets: 'wmi.packets.v1',
  detections: 'wmi.detections.v1',
  dlq: 'wmi.dlq.v1',
  alerts: 'wmi.alerts.v1',
  suppressed: 'wmi.alerts.suppressed.v1',
  refAssets: 'wmi.reference.assets',
  refWhitelist: 'wmi.reference.whitelist',
  detectState: 'wmi.detect.state.v1',
};

const TOPIC_VARS: Record<keyof TopicNames, string> = {
  packets: 'TOPIC_PACKETS',
  detections: 'TOPIC_DETECTIONS',
  dlq: 'TOPIC_DLQ',
  alerts: 'TOPIC_ALERTS',
  suppressed: 'TOPIC_SUPPRESSED',
  refAssets: 'TOPIC_REF_ASSETS',
  refWhitelist: 'TOPIC_REF_WHITELIST',
  detectState: 'TOPIC_DETECT_STATE',
};

/** Kafka's legal topic names: 1..249 of [a-zA-Z0-9._-], not '.' or '..'. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export function topicNamesFromEnv(env: Env): TopicNames {
  const out = {} as Record<keyof TopicNames, string>;
  for (const [k, variable] of Object.entries(TOPIC_VARS) as [keyof TopicNames, string][]) {
    const v = envString(env, variable) ?? DEFAULT_TOPICS[k];
    if (!TOPIC_NAME.test(v) || v === '.' || v === '..')
      throw new ConfigError(variable, `'${v}' is not a legal Kafka topic name ([a-zA-Z0-9._-], 1..249 characters)`);
    out[k] = v;
  }
  return out;
}

const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

/**
 * KAFKA_* → options for createKafkajsClient. `component` names the default client id (`wmi-detect-<component>`).
 * Reads the TLS and SASL files now (start-up), so a missing Secret stops the process before it connects.
 */
export function kafkaClientOptionsFromEnv(env: Env, component: string): KafkajsClientOptions {
  const brokersText = envString(env, 'KAFKA_BROKERS') ?? 'localhost:9092';
  const brokers = brokersText
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (brokers.length === 0) throw new ConfigError('KAFKA_BROKERS', 'no broker address given');
  for (const b of brokers) {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(b);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535)
      throw new ConfigError('KAFKA_BROKERS', `'${b}' is not host:port`);
  }
  const clientId = envString(env, 'KAFKA_CLIENT_ID') ?? `wmi-detect-${component}`;

  const sslOn = envBool(env, 'KAFKA_SSL', false);
  const ca = envFile(env, 'KAFKA_SSL_CA_FILE');
  const cert = envFile(env, 'KAFKA_SSL_CERT_FILE');
  const key = envFile(env, 'KAFKA_SSL_KEY_FILE');
  if (!sslOn) {
    for (const v of ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'])
      if (envString(env, v) !== undefined) throw new ConfigError(v, 'set, but KAFKA_SSL is not true');
  }
  if ((cert === undefined) !== (key === undefined))
    throw new ConfigError(
      cert === undefined ? 'KAFKA_SSL_CERT_FILE' : 'KAFKA_SSL_KEY_FILE',
      'a client certificate needs both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE',
    );
  let ssl: boolean | ConnectionOptions = false;
  if (sslOn) {
    const tls: ConnectionOptions = {};
    if (ca) tls.ca = ca;
    if (cert && key) {
      tls.cert = cert;
      tls.key = key;
    }
    ssl = Object.keys(tls).length > 0 ? tls : true;
  }

  let sasl: kafkajs.SASLOptions | undefined;
  const mech = envString(env, 'KAFKA_SASL_MECHANISM')?.toLowerCase();
  if (mech !== undefined) {
    if (!(SASL_MECHANISMS as readonly string[]).includes(mech))
      throw new ConfigError('KAFKA_SASL_MECHANISM', `expected one of ${SASL_MECHANISMS.join(', ')}, got '${mech}'`);
    const username = envString(env, 'KAFKA_SASL_USERNAME');
    if (username === undefined) throw new ConfigError('KAFKA_SASL_USERNAME', `required with KAFKA_SASL_MECHANISM`);
    const pw = envFile(env, 'KAFKA_SASL_PASSWORD_FILE');
    if (pw === undefined) throw new ConfigError('KAFKA_SASL_PASSWORD_FILE', 'required with KAFKA_SASL_MECHANISM');
    const password = pw.toString('utf8').replace(/\r?\n$/, '');
    sasl = { mechanism: mech, username, password } as kafkajs.SASLOptions;
  } else {
    for (const v of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD_FILE'])
      if (envString(env, v) !== undefined) throw new ConfigError(v, 'set, but KAFKA_SASL_MECHANISM is not');
  }
  return { brokers, clientId, ssl, sasl };
}
