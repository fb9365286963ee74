/**
 * IngestService: the running gateway — sensor API server (HTTP or HTTPS/mTLS), Kafka producer, ops endpoint — built
 * from an IngestConfig. main.ts runs one per process; tests start it in-process against the test broker.
 *
 * Lifecycle: start() opens the ops endpoint and the sensor API at once (so probes answer while Kafka is still being
 * reached) and connects the producer in the background, retrying; requests get 503 + Retry-After until the producer
 * is connected and TOPIC_PACKETS exists. stop() is the graceful shutdown of configuration.md "Signals": stop
 * accepting, answer what is in flight once Kafka acknowledged it, close the producer.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import { createKafkajsClient, type KafkaClient, type RecordSink } from '@wmi-detect/kafka';
import { type Logger, type OpsServer, Registry, startOpsServer } from '@wmi-detect/ops';
import { Admission } from './admission.js';
import type { IngestConfig } from './config.js';
import { createIngestHandler, RETRY_AFTER_UNAVAILABLE_S } from './http-server.js';
import { IngestMetrics } from './metrics.js';
import { Prefilter } from './prefilter.js';
import { TokenFile, TokenStore } from './tokens.js';

export interface IngestServiceOptions {
  readonly logger: Logger;
  /** Default: a kafkajs client from config.kafka. Unit tests pass a fake of the port. */
  readonly kafka?: KafkaClient;
  /** Host to bind the sensor API and ops endpoint (default 0.0.0.0). */
  readonly host?: string;
  /** How often to retry connecting / look for the topic while not ready (default 2000 ms). */
  readonly retryMs?: number;
}

export class IngestService {
  readonly registry = new Registry();
  readonly metrics = new IngestMetrics(this.registry);
  readonly admission: Admission;
  readonly prefilter: Prefilter | null;
  private tokenFile: TokenFile | null = null;
  private tokens: TokenStore = TokenStore.empty();
  private server: Server | HttpsServer | null = null;
  private ops: OpsServer | null = null;
  private readonly kafka: KafkaClient;
  private readonly sink: RecordSink;
  private producerConnected = false;
  /** performance.now() of the last produce Kafka did not acknowledge (-Infinity: none since the last success). */
  private lastProduceFailure = Number.NEGATIVE_INFINITY;
  private topicExists = false;
  private closing = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly logger: Logger;
  private tlsFiles: string[] = [];
  private readyResolve: () => void = () => {};
  private readonly readyPromise = new Promise<void>((resolve) => {
    this.readyResolve = resolve;
  });

  constructor(
    readonly config: IngestConfig,
    private readonly opts: IngestServiceOptions,
  ) {
    this.logger = opts.logger;
    this.admission = new Admission(config.maxInflightBytes);
    this.prefilter = config.prefilter ? new Prefilter() : null;
    this.kafka = opts.kafka ?? createKafkajsClient({ ...config.kafka, logger: opts.logger });
    this.sink = this.kafka.sink({ idempotent: true, compression: config.compression });
    // Read the files now: a missing or malformed file is a start-up error (exit 2), not a runtime surprise.
    if (config.tokensFile !== undefined) {
      this.tokenFile = new TokenFile(config.tokensFile, (r) => {
        this.metrics.tokenReloads.inc({ result: r.ok ? 'ok' : 'error' });
        if (r.ok) this.logger.info('sensor tokens reloaded', { sensors: r.sensors });
        else this.logger.error('sensor tokens file invalid; keeping the previous tokens', { error: r.error.message });
      });
      this.tokens = this.tokenFile.store;
    }
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  get opsPort(): number {
    return this.ops?.port ?? 0;
  }

  /** Why requests are refused with 503 right now, or null. */
  unavailable(): string | null {
    if (!this.producerConnected) return 'Kafka producer not connected';
    if (!this.topicExists) return `topic ${this.config.topics.packets} not found`;
    return null;
  }

  async start(): Promise<void> {
    const cfg = this.config;
    if (this.tokenFile === null)
      this.logger.warn('INGEST_TOKENS_FILE is not set: every request will be refused with 401');
    else {
      if (this.tokenFile.store.size === 0)
        this.logger.warn('INGEST_TOKENS_FILE holds no tokens: every request gets 401');
      this.tokenFile.watch();
    }
    const handler = createIngestHandler({
      tokens: () => this.tokenFile?.store ?? this.tokens,
      sink: this.sink,
      topic: cfg.topics.packets,
      admission: this.admission,
      unavailable: () => this.unavailable(),
      prefilter: this.prefilter,
      metrics: this.metrics,
      logger: this.logger,
      maxBodyBytes: cfg.maxBodyBytes,
      closing: () => this.closing,
      onProduce: (ok) => {
        this.lastProduceFailure = ok ? Number.NEGATIVE_INFINITY : performance.now();
      },
    });
    if (cfg.tls) {
      const server = createHttpsServer(this.tlsOptions(), handler);
      this.tlsFiles = [cfg.tls.certFile, cfg.tls.keyFile, ...(cfg.tls.clientCaFile ? [cfg.tls.clientCaFile] : [])];
      // cert-manager rotates certificates in place: reload the secure context when any of the files changes.
      for (const f of this.tlsFiles)
        watchFile(f, { interval: 1000, persistent: false }, (cur, prev) => {
          if (cur.mtimeMs === prev.mtimeMs && cur.ino === prev.ino && cur.size === prev.size) return;
          try {
            server.setSecureContext(this.tlsOptions());
            this.logger.info('TLS certificate reloaded', { file: f });
          } catch (e) {
            this.logger.error('TLS files invalid; keeping the previous certificate', { file: f, error: e as Error });
          }
        });
      this.server = server;
    } else {
      this.server = createHttpServer(handler);
    }
    // Bodies of up to INGEST_MAX_BODY_BYTES over slow links: no 5-minute default cut, but no idle sockets for ever.
    this.server.requestTimeout = 120_000;
    this.server.headersTimeout = 30_000;
    this.server.keepAliveTimeout = 65_000;
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(cfg.port, this.opts.host ?? '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.ops = await startOpsServer({
      port: cfg.opsPort,
      host: this.opts.host,
      registry: this.registry,
      checks: [
        { name: 'kafka_producer_connected', ready: () => this.producerConnected },
        { name: 'topic_exists', ready: () => this.topicExists },
        { name: 'not_back_pressured', ready: () => !this.admission.saturated(cfg.maxBodyBytes) },
        // A produce Kafka did not acknowledge takes the pod out of rotation for the Retry-After it answered with, so
        // a load balancer prefers replicas that still reach the brokers; the next request decides again.
        {
          name: 'kafka_acknowledging',
          ready: () => performance.now() - this.lastProduceFailure > RETRY_AFTER_UNAVAILABLE_S * 1000,
        },
        { name: 'not_shutting_down', ready: () => !this.closing },
      ],
    });
    this.logger.info('ingest listening', {
      port: this.port,
      opsPort: this.opsPort,
      tls: cfg.tls ? (cfg.tls.clientCaFile ? 'mtls' : 'tls') : 'off',
      topic: cfg.topics.packets,
      prefilter: cfg.prefilter,
    });
    void this.connectLoop();
  }

  private tlsOptions(): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } {
    const t = this.config.tls!;
    const ca = t.clientCaFile ? readFileSync(t.clientCaFile) : undefined;
    return {
      cert: readFileSync(t.certFile),
      key: readFileSync(t.keyFile),
      ...(ca ? { ca } : {}),
      // mTLS: a client certificate signed by INGEST_TLS_CLIENT_CA_FILE is required in addition to the token.
      requestCert: ca !== undefined,
      rejectUnauthorized: ca !== undefined,
    };
  }

  /** Connects the producer and waits for TOPIC_PACKETS, retrying until both hold or the service stops. */
  private async connectLoop(): Promise<void> {
    const retryMs = this.opts.retryMs ?? 2000;
    while (!this.stopped && !(this.producerConnected && this.topicExists)) {
      try {
        if (!this.producerConnected) {
          await this.sink.connect();
          this.producerConnected = true;
          this.logger.info('Kafka producer connected', { brokers: this.kafka.brokers });
        }
        if (!this.topicExists) {
          const admin = this.kafka.admin();
          await admin.connect();
          try {
            this.topicExists = (await admin.listTopics()).includes(this.config.topics.packets);
          } finally {
            await admin.close();
          }
          if (!this.topicExists)
            this.logger.warn('topic not found; run `wmidetect topics create`', { topic: this.config.topics.packets });
        }
      } catch (e) {
        this.logger.warn('Kafka not reachable yet; retrying', { error: e as Error, retryMs });
      }
      if (this.producerConnected && this.topicExists) {
        this.logger.info('ingest ready', { topic: this.config.topics.packets });
        this.readyResolve();
        break;
      }
      await new Promise<void>((resolve) => {
        this.retryTimer = setTimeout(resolve, retryMs);
      });
    }
  }

  /** Resolves once the producer is connected and TOPIC_PACKETS exists (never, if the service stops first). */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  /** Graceful shutdown: no new requests, in-flight ones answered after their Kafka ack, then the producer closes. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.closing = true;
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.tokenFile?.close();
    for (const f of this.tlsFiles) unwatchFile(f);
    const server = this.server;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
    }
    try {
      await this.sink.close();
    } catch (e) {
      this.logger.warn('closing the producer failed', { error: e as Error });
    }
    await this.ops?.close();
    this.logger.info('ingest stopped');
  }
}
