/**
 * Integration harness for detect against the real broker: topics, workers, a producer of cut captures, committed
 * positions observed through the service's afterCommit hook, and a read_committed reader of the outputs that knows
 * it is complete (a sentinel on every partition, written after the workers committed the last input).
 */
import { request } from 'node:http';
import type { RawFrame } from '@wmi-detect/engine';
import {
  createKafkajsClient,
  type KafkaAdmin,
  type KafkaClient,
  type KafkaRecord,
  type RecordSink,
} from '@wmi-detect/kafka';
import { testKafkaLogger, uniqueName } from '../../../test/kafka/brokers.js';
import { Progress } from '../../../test/kafka/until.js';
import type { DetectConfig } from '../src/config.js';
import { type DetectHandle, type DetectHooks, type ShardEvent, startDetect } from '../src/service.js';
import { type CutRecord, serviceEngineOptions, testConfig } from './helpers.js';

/** Worker logs in tests: warnings and errors on the console (they explain a failure), the rest dropped. */
const quietLogger = {
  debug() {},
  info() {},
  warn: (msg: string, fields?: Record<string, unknown>) => console.warn(`detect: ${msg}`, fields ?? ''),
  error: (msg: string, fields?: Record<string, unknown>) => console.error(`detect: ${msg}`, fields ?? ''),
  child: () => quietLogger,
};

export interface Topics {
  packets: string;
  detections: string;
  dlq: string;
}

export class Harness {
  readonly progress = new Progress();
  readonly client: KafkaClient;
  readonly admin: KafkaAdmin;
  readonly topics: Topics;
  readonly groupId = uniqueName('detect-group');
  /** Highest emittedNext any worker committed, per partition. */
  readonly committed = new Map<number, bigint>();
  private sink: RecordSink | null = null;
  private readonly workers: DetectHandle[] = [];

  constructor(
    readonly brokers: string[],
    readonly partitions: number,
  ) {
    this.client = createKafkajsClient({ brokers, clientId: 'detect-int', logger: testKafkaLogger });
    this.admin = this.client.admin();
    this.topics = {
      packets: uniqueName('packets'),
      detections: uniqueName('detections'),
      dlq: uniqueName('dlq'),
    };
  }

  async setUp(): Promise<void> {
    await this.admin.connect();
    await this.admin.createTopics([
      { topic: this.topics.packets, partitions: this.partitions },
      { topic: this.topics.detections, partitions: this.partitions },
      { topic: this.topics.dlq, partitions: this.partitions },
    ]);
    this.sink = this.client.sink();
    await this.sink.connect();
  }

  async tearDown(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop().catch(() => {})));
    await this.sink?.close();
    await this.admin.deleteTopics(Object.values(this.topics)).catch(() => {});
    await this.admin.close();
  }

  config(instanceId: string, over: Partial<DetectConfig> = {}): DetectConfig {
    return testConfig({
      kafka: { brokers: this.brokers },
      topics: this.topics,
      groupId: this.groupId,
      instanceId,
      ...over,
    });
  }

  /** Starts a worker; its commits feed `committed`, its events go to `events` (with readiness after each). */
  async worker(
    instanceId: string,
    opts: {
      hooks?: DetectHooks;
      events?: { event: ShardEvent; ready: boolean }[];
      /** Each group join: this worker's partitions and its readiness right after. */
      joins?: { partitions: readonly number[]; ready: boolean }[];
      config?: Partial<DetectConfig>;
      /** Wraps the worker's Kafka client (fault injection). */
      wrap?: (client: KafkaClient) => KafkaClient;
    } = {},
  ): Promise<DetectHandle> {
    const hooks: DetectHooks = {
      beforeCommit: opts.hooks?.beforeCommit,
      beforeTxnCommit: opts.hooks?.beforeTxnCommit,
      afterProcess: (p, info) => {
        opts.hooks?.afterProcess?.(p, info);
        this.progress.notify();
      },
      afterCommit: (p, c) => {
        const n = BigInt(c.emittedNext);
        if ((this.committed.get(p) ?? -1n) < n) this.committed.set(p, n);
        opts.hooks?.afterCommit?.(p, c);
        this.progress.notify();
      },
      onJoined: (partitions, ready) => {
        opts.joins?.push({ partitions, ready });
        this.progress.notify();
      },
      onShardEvent: (ev, ready) => {
        opts.events?.push({ event: ev, ready });
        opts.hooks?.onShardEvent?.(ev, ready);
        this.progress.notify();
      },
    };
    const handle = await startDetect(this.config(instanceId, opts.config), {
      engine: serviceEngineOptions(),
      client: (opts.wrap ?? ((c) => c))(
        createKafkajsClient({ brokers: this.brokers, clientId: instanceId, logger: testKafkaLogger }),
      ),
      logger: quietLogger,
      source: { maxWaitTimeMs: 100, heartbeatIntervalMs: 300, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 20_000 },
      hooks,
    });
    this.workers.push(handle);
    return handle;
  }

  async produce(records: readonly { key: Buffer; value: Buffer | null }[]): Promise<void> {
    if (records.length === 0) return;
    await this.sink!.send(records.map((r) => ({ topic: this.topics.packets, key: r.key, value: r.value })));
  }

  /** End offsets of the packet topic, per partition with data. */
  async packetEnds(): Promise<Map<number, bigint>> {
    const ends = new Map<number, bigint>();
    for (const p of await this.admin.fetchOffsets(this.topics.packets))
      if (p.high !== '0') ends.set(p.partition, BigInt(p.high));
    return ends;
  }

  /** Resolves once the workers committed every record produced so far. */
  async untilCommittedToEnd(what: string): Promise<void> {
    const ends = await this.packetEnds();
    await this.progress.until(
      () => [...ends].every(([p, end]) => (this.committed.get(p) ?? -1n) >= end),
      what,
      120_000,
      () =>
        `ends ${JSON.stringify([...ends].map(([p, e]) => [p, String(e)]))}, committed ${JSON.stringify([...this.committed].map(([p, e]) => [p, String(e)]))}`,
    );
  }

  /**
   * Everything on the detections and DLQ topics (read_committed). Call after untilCommittedToEnd: a sentinel then
   * goes to every partition of both topics, and the reader is complete when it has seen them all.
   */
  async readOutputs(): Promise<{ detections: KafkaRecord[]; dlq: KafkaRecord[] }> {
    const out = { detections: [] as KafkaRecord[], dlq: [] as KafkaRecord[] };
    const seen = new Set<string>();
    const reader = this.client.source({
      groupId: uniqueName('detect-reader'),
      readCommitted: true,
      maxWaitTimeMs: 100,
    });
    await reader.connect();
    await reader.subscribe([this.topics.detections, this.topics.dlq], { fromBeginning: true });
    await reader.run(
      async (batch) => {
        for (const r of batch.records) {
          if (r.key?.toString() === 'sentinel') seen.add(`${r.topic}/${r.partition}`);
          else if (r.topic === this.topics.dlq) out.dlq.push(r);
          else out.detections.push(r);
        }
        this.progress.notify();
      },
      { autoCommit: true },
    );
    const sentinels = [];
    for (const topic of [this.topics.detections, this.topics.dlq])
      for (let p = 0; p < this.partitions; p++)
        sentinels.push({ topic, partition: p, key: Buffer.from('sentinel'), value: null });
    await this.sink!.send(sentinels);
    try {
      await this.progress.until(
        () => seen.size === 2 * this.partitions,
        'a sentinel on every output partition',
        120_000,
        () => `${seen.size} seen`,
      );
    } finally {
      await reader.close();
    }
    return out;
  }
}

/** Frames of several captures in one time order (a sensor sees them interleaved). */
export function mergeByTime(captures: readonly RawFrame[][]): RawFrame[] {
  const all: { f: RawFrame; c: number; i: number }[] = [];
  captures.forEach((frames, c) => {
    frames.forEach((f, i) => {
      all.push({ f, c, i });
    });
  });
  all.sort((a, b) => a.f.tsUs - b.f.tsUs || a.c - b.c || a.i - b.i);
  return all.map((x) => x.f);
}

export function parseDetection(r: KafkaRecord): Record<string, unknown> {
  return JSON.parse((r.value as Buffer).toString('utf8')) as Record<string, unknown>;
}

/** An EVE record without the `capture` field (offline: nothing or the file; pipeline: the sensor id). */
export function comparable(r: Record<string, unknown>): Record<string, unknown> {
  const { capture: _c, ...rest } = r;
  return rest;
}

export function httpStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

export type { CutRecord };
