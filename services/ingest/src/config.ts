/**
 * IngestConfig: the environment of `wmidetect serve ingest` (docs/configuration.md §2 and §3), validated before the
 * process connects anywhere. Every problem is a ConfigError naming the variable (main logs it, exits 2).
 */
import {
  ConfigError,
  envBool,
  envInt,
  envString,
  type KafkajsClientOptions,
  kafkaClientOptionsFromEnv,
  type TopicNames,
  topicNamesFromEnv,
} from '@wmi-detect/kafka';
import type { LogLevel } from '@wmi-detect/ops';

export interface IngestConfig {
  readonly kafka: KafkajsClientOptions;
  readonly topics: TopicNames;
  readonly port: number;
  readonly opsPort: number;
  readonly logLevel: LogLevel;
  /** Path of the sensor tokens file; undefined = every request is refused with 401. */
  readonly tokensFile: string | undefined;
  readonly tls:
    | { readonly certFile: string; readonly keyFile: string; readonly clientCaFile: string | undefined }
    | undefined;
  readonly maxBodyBytes: number;
  /** Bound on request bytes being processed at once; beyond it new requests get 429. */
  readonly maxInflightBytes: number;
  readonly prefilter: boolean;
  /**
   * Batch compression of the packet topic. gzip (default) is about a third fewer Kafka bytes for capture data and
   * costs ingest about half its CPU and detect its decompression (docs/BENCHMARKS.md); `none` for a broker network
   * with bandwidth to spare.
   */
  readonly compression: 'gzip' | 'none';
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

export const DEFAULT_INGEST_PORT = 8080;
export const DEFAULT_OPS_PORT = 9464;
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_INFLIGHT_BYTES = 64 * 1024 * 1024;

export function logLevelFromEnv(env: NodeJS.ProcessEnv): LogLevel {
  const v = envString(env, 'LOG_LEVEL')?.toLowerCase() ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(v))
    throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got '${v}'`);
  return v as LogLevel;
}

export function ingestConfigFromEnv(env: NodeJS.ProcessEnv): IngestConfig {
  const logLevel = logLevelFromEnv(env);
  const kafka = kafkaClientOptionsFromEnv(env, 'ingest');
  const topics = topicNamesFromEnv(env);
  const port = envInt(env, 'INGEST_PORT', DEFAULT_INGEST_PORT, 0, 65535);
  const opsPort = envInt(env, 'OPS_PORT', DEFAULT_OPS_PORT, 0, 65535);
  const maxBodyBytes = envInt(env, 'INGEST_MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES, 1024, 1024 * 1024 * 1024);
  const maxInflightBytes = envInt(env, 'INGEST_MAX_INFLIGHT_BYTES', DEFAULT_MAX_INFLIGHT_BYTES, 1024, 2 ** 40);
  if (maxInflightBytes < maxBodyBytes)
    throw new ConfigError(
      'INGEST_MAX_INFLIGHT_BYTES',
      `${maxInflightBytes} is below INGEST_MAX_BODY_BYTES (${maxBodyBytes}): no request of the largest size could ever be admitted`,
    );
  const prefilter = envBool(env, 'INGEST_PREFILTER', false);
  const compression = (envString(env, 'INGEST_COMPRESSION') ?? 'gzip').toLowerCase();
  if (compression !== 'gzip' && compression !== 'none')
    throw new ConfigError('INGEST_COMPRESSION', `expected gzip or none, got '${compression}'`);
  const tokensFile = envString(env, 'INGEST_TOKENS_FILE');
  const certFile = envString(env, 'INGEST_TLS_CERT_FILE');
  const keyFile = envString(env, 'INGEST_TLS_KEY_FILE');
  const clientCaFile = envString(env, 'INGEST_TLS_CLIENT_CA_FILE');
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new ConfigError(
      certFile === undefined ? 'INGEST_TLS_CERT_FILE' : 'INGEST_TLS_KEY_FILE',
      'HTTPS needs both INGEST_TLS_CERT_FILE and INGEST_TLS_KEY_FILE',
    );
  if (clientCaFile !== undefined && certFile === undefined)
    throw new ConfigError('INGEST_TLS_CLIENT_CA_FILE', 'mTLS needs INGEST_TLS_CERT_FILE and INGEST_TLS_KEY_FILE too');
  const tls = certFile !== undefined && keyFile !== undefined ? { certFile, keyFile, clientCaFile } : undefined;
  return {
    kafka,
    topics,
    port,
    opsPort,
    logLevel,
    tokensFile,
    tls,
    maxBodyBytes,
    maxInflightBytes,
    prefilter,
    compression,
  };
}
