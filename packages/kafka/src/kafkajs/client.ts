/**
 * The kafkajs adapter's entry point: one kafkajs `Kafka` instance per client, producing the port's sinks, sources and
 * admin. A composition root (a service's main, the CLI) calls createKafkajsClient; everything below it sees only
 * the KafkaClient interface.
 */
import type { ConnectionOptions } from 'node:tls';
import kafkajs from 'kafkajs';
import type {
  KafkaAdmin,
  KafkaClient,
  KafkaLogger,
  RecordSink,
  RecordSource,
  SinkOptions,
  SourceOptions,
  TransactionalSink,
  TransactionalSinkOptions,
} from '../port.js';
import { KafkajsAdmin } from './admin.js';
import { type KafkaLogLevel, kafkajsLogCreator, toKafkajsLevel } from './logging.js';
import { KafkajsSink, KafkajsTransactionalSink } from './sink.js';
import { KafkajsSource } from './source.js';

export interface KafkajsClientOptions {
  /** Bootstrap servers, host:port. */
  readonly brokers: readonly string[];
  readonly clientId?: string;
  /** Where kafkajs's own log lines go; default: JSON lines on stderr. */
  readonly logger?: KafkaLogger;
  /** Minimum kafkajs level passed on (default 'warn'; retriable connection errors are demoted to debug anyway). */
  readonly logLevel?: KafkaLogLevel;
  readonly ssl?: boolean | ConnectionOptions;
  readonly sasl?: kafkajs.SASLOptions;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** kafkajs's retry policy for its own requests. */
  readonly retry?: kafkajs.RetryOptions;
}

const stderrLogger: KafkaLogger = (() => {
  const write = (level: string, msg: string, fields?: Record<string, unknown>) => {
    const rec: Record<string, unknown> = { ts: new Date().toISOString(), level, service: 'kafka', msg, ...fields };
    for (const [k, v] of Object.entries(rec)) if (v instanceof Error) rec[k] = { name: v.name, message: v.message };
    process.stderr.write(`${JSON.stringify(rec)}\n`);
  };
  return {
    // Debug only when asked for: the demoted retriable-error lines are noise otherwise.
    debug: (m, f) => {
      if (process.env.LOG_LEVEL === 'debug') write('debug', m, f);
    },
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
})();

export class KafkajsClient implements KafkaClient {
  readonly brokers: readonly string[];
  /** The underlying kafkajs instance, for the rare need the port does not cover (tests, diagnostics). */
  readonly kafka: kafkajs.Kafka;
  private readonly logger: KafkaLogger;

  constructor(opts: KafkajsClientOptions) {
    if (opts.brokers.length === 0) throw new Error('kafka: no bootstrap brokers given');
    this.brokers = [...opts.brokers];
    this.logger = opts.logger ?? stderrLogger;
    this.kafka = new kafkajs.Kafka({
      brokers: [...opts.brokers],
      clientId: opts.clientId ?? 'wmi-detect',
      logLevel: toKafkajsLevel(opts.logLevel ?? 'warn'),
      logCreator: kafkajsLogCreator(this.logger),
      ssl: opts.ssl,
      sasl: opts.sasl,
      connectionTimeout: opts.connectionTimeoutMs ?? 3000,
      requestTimeout: opts.requestTimeoutMs ?? 30_000,
      retry: opts.retry,
    });
  }

  sink(opts?: SinkOptions): RecordSink {
    return new KafkajsSink(this.kafka, opts);
  }

  transactionalSink(opts: TransactionalSinkOptions): TransactionalSink {
    return new KafkajsTransactionalSink(this.kafka, opts, this.logger);
  }

  source(opts: SourceOptions): RecordSource {
    return new KafkajsSource(this.kafka, opts, this.logger);
  }

  admin(): KafkaAdmin {
    return new KafkajsAdmin(this.kafka, this.logger);
  }
}

export function createKafkajsClient(opts: KafkajsClientOptions): KafkaClient {
  return new KafkajsClient(opts);
}
