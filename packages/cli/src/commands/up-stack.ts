/**
 * The local pipeline behind `wmidetect up` and bench/pipeline: a Kafka broker (the same startLocalBroker the tests
 * use), the topics of docs/configuration.md §6, and the services as child processes — `wmidetect serve ingest`,
 * `serve detect` ×N, `serve enrich` — configured only through their environment, exactly as the Helm chart runs them.
 *
 *   start     broker → topics → children (each with its own OPS_PORT) → every /readyz answers 200
 *   replay    `wmidetect sensor` child against ingest with a generated sensor token, to completion
 *   drain     after the sensor: TOPIC_PACKETS end offsets E; detect's emitted-through positions (group
 *             `<DETECT_GROUP_ID>.emitted`, committed in the transaction with the detections) reach E; then
 *             TOPIC_DETECTIONS end offsets D; enrich's committed offsets (transactional: committed = processed) reach D.
 *             Every step waits on state Kafka or the services report — never on a guessed delay.
 *   read      TOPIC_ALERTS (read_committed) from the beginning up to its end offsets
 *   stop      SIGTERM to every child (graceful: commit, leave group), SIGKILL after the grace period, broker stop,
 *             temp dir removed. Children also end by themselves when `up` dies: up-child-guard.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { defaultRuleFiles } from '@wmi-detect/engine';
import {
  createKafkajsClient,
  DEFAULT_TOPICS,
  freePort,
  type KafkaClient,
  type KafkaLogger,
  type KafkaRecord,
  type LocalBroker,
  startLocalBroker,
  type TopicNames,
} from '@wmi-detect/kafka';
import { createTopics } from '../topics/plan.js';

/** Temp dirs of `up` start with this under os.tmpdir(). */
export const STACK_DIR_PREFIX = 'wmi-up-';

export const DEFAULT_DETECT_GROUP_ID = 'wmi-detect-detect';
export const DEFAULT_ENRICH_GROUP_ID = 'wmi-detect-enrich';
export const SENSOR_ID = 'up-sensor';

/** The repository's launcher; src/commands and dist/commands sit at the same depth. */
export const WMIDETECT_BIN = fileURLToPath(new URL('../../../../bin/wmidetect.mjs', import.meta.url));
const CHILD_GUARD = pathToFileURL(fileURLToPath(new URL('./up-child-guard.js', import.meta.url))).href;

export interface LocalStackOptions {
  /** Partitions of the data topics (default 4). */
  readonly partitions?: number;
  /** Detector processes (default 2). */
  readonly detectors?: number;
  readonly assetsFile?: string;
  readonly whitelistFile?: string;
  /** Use this cluster instead of starting a broker. */
  readonly brokers?: string;
  /** Forward the services' JSON logs to our stderr (default: only into files in the stack dir). */
  readonly verbose?: boolean;
  /** Topic names (default: configuration.md §2); passed to every service as TOPIC_*. */
  readonly topics?: TopicNames;
  readonly detectGroupId?: string;
  readonly enrichGroupId?: string;
  /** Extra environment for every service. */
  readonly env?: Readonly<Record<string, string>>;
  /** Progress lines (stderr). */
  readonly say?: (msg: string) => void;
  readonly readyTimeoutMs?: number;
}

export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  readonly opsPort: number;
  readonly logFile: string;
}

export class StackError extends Error {
  override name = 'StackError';
}

const quiet: KafkaLogger = { debug() {}, info() {}, warn() {}, error() {} };

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Records between a group's committed positions and the end offsets, summed over partitions. */
export function lagOf(
  ends: readonly { partition: number; low: string; high: string }[],
  committed: readonly { partition: number; offset: string }[],
): bigint {
  let lag = 0n;
  for (const e of ends) {
    const high = BigInt(e.high);
    const low = BigInt(e.low);
    if (high <= low) continue;
    const c = BigInt(committed.find((x) => x.partition === e.partition)?.offset ?? '-1');
    const at = c < low ? low : c;
    if (at < high) lag += high - at;
  }
  return lag;
}

interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly opsPort: number;
  readonly logFile: string;
  readonly graceMs: number;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  readonly exited: Promise<void>;
}

export class LocalStack {
  readonly dir: string;
  readonly topics: TopicNames;
  readonly detectGroupId: string;
  readonly enrichGroupId: string;
  readonly partitions: number;
  brokers = '';
  ingestUrl = '';
  /** ingest's INGEST_TOKENS_FILE (`sensor-id:token` lines). */
  readonly tokenFile: string;
  /** The sensor's --token-file (the bare token). */
  readonly sensorTokenFile: string;
  private readonly token = randomBytes(24).toString('hex');
  private broker: LocalBroker | null = null;
  private client: KafkaClient | null = null;
  private readonly children: Child[] = [];
  private stopping: Promise<void> | null = null;
  private readonly say: (msg: string) => void;
  /** Environment every service gets (set when the stack starts). */
  private common: Record<string, string> = {};

  private constructor(private readonly o: LocalStackOptions) {
    this.dir = mkdtempSync(join(tmpdir(), STACK_DIR_PREFIX));
    this.partitions = o.partitions ?? 4;
    this.topics = o.topics ?? DEFAULT_TOPICS;
    this.detectGroupId = o.detectGroupId ?? DEFAULT_DETECT_GROUP_ID;
    this.enrichGroupId = o.enrichGroupId ?? DEFAULT_ENRICH_GROUP_ID;
    this.tokenFile = join(this.dir, 'sensor-tokens');
    this.sensorTokenFile = join(this.dir, 'sensor-token');
    this.say = o.say ?? (() => {});
    process.on('exit', this.exitHook);
  }

  /**
   * Last resort when the process ends without stop() (an uncaught error, process.exit): the children get SIGTERM
   * (their own graceful shutdown; the broker goes with its own exit hook) and the stack dir is removed.
   */
  private readonly exitHook = (): void => {
    for (const c of this.children) {
      if (c.exit) continue;
      try {
        c.proc.kill('SIGTERM');
      } catch {
        // gone
      }
    }
    try {
      rmSync(this.dir, { recursive: true, force: true });
    } catch {
      // nothing more can be done while exiting
    }
  };

  /** Starts everything and resolves when every service is ready; on failure everything started is stopped. */
  static async start(o: LocalStackOptions = {}): Promise<LocalStack> {
    const s = new LocalStack(o);
    try {
      await s.startAll();
      return s;
    } catch (e) {
      await s.stop();
      throw e;
    }
  }

  /** The broker this stack started (undefined with `brokers`). */
  get localBroker(): LocalBroker | undefined {
    return this.broker ?? undefined;
  }

  get services(): ServiceProcess[] {
    return this.children.map((c) => ({ name: c.name, pid: c.proc.pid ?? -1, opsPort: c.opsPort, logFile: c.logFile }));
  }

  private async startAll(): Promise<void> {
    const t0 = Date.now();
    if (this.o.brokers) {
      this.brokers = this.o.brokers;
    } else {
      this.say('starting the local Kafka broker');
      this.broker = await startLocalBroker();
      this.brokers = this.broker.bootstrap;
    }
    this.say(
      `kafka at ${this.brokers}${this.broker ? ` (local broker in ${this.broker.dir})` : ''} (${Date.now() - t0} ms)`,
    );
    this.client = createKafkajsClient({ brokers: this.brokers.split(','), clientId: 'wmi-detect-up', logger: quiet });

    const admin = this.client.admin();
    await admin.connect();
    try {
      // The module behind `wmidetect topics create`: same topics, configs and co-partitioning check as production.
      const outcomes = await createTopics(admin, this.topics, { partitions: this.partitions, retentionMs: {} });
      const created = outcomes.filter((t) => t.action === 'created').length;
      this.say(`topics: ${created} created, ${outcomes.length - created} already there`);
    } finally {
      await admin.close();
    }

    writeFileSync(this.tokenFile, `# generated by wmidetect up\n${SENSOR_ID}:${this.token}\n`, { mode: 0o600 });
    writeFileSync(this.sensorTokenFile, `${this.token}\n`, { mode: 0o600 });
    const ingestPort = await freePort();
    this.ingestUrl = `http://127.0.0.1:${ingestPort}`;
    const common: Record<string, string> = {
      KAFKA_BROKERS: this.brokers,
      LOG_LEVEL: process.env.LOG_LEVEL || 'info',
      TOPIC_PACKETS: this.topics.packets,
      TOPIC_DETECTIONS: this.topics.detections,
      TOPIC_DLQ: this.topics.dlq,
      TOPIC_ALERTS: this.topics.alerts,
      TOPIC_SUPPRESSED: this.topics.suppressed,
      TOPIC_REF_ASSETS: this.topics.refAssets,
      TOPIC_REF_WHITELIST: this.topics.refWhitelist,
      TOPIC_DETECT_STATE: this.topics.detectState,
      ...this.o.env,
    };
    await this.spawnService('ingest', {
      ...common,
      INGEST_PORT: String(ingestPort),
      INGEST_TOKENS_FILE: this.tokenFile,
    });
    this.common = common;
    const detectors = this.o.detectors ?? 2;
    for (let i = 0; i < detectors; i++) await this.spawnDetector();
    const enrichEnv: Record<string, string> = { ...common, ENRICH_GROUP_ID: this.enrichGroupId };
    if (this.o.assetsFile) enrichEnv.ASSETS_FILE = this.o.assetsFile;
    if (this.o.whitelistFile) enrichEnv.WHITELIST_FILE = this.o.whitelistFile;
    await this.spawnService('enrich', enrichEnv);

    await Promise.all(this.children.map((c) => this.waitReady(c)));
    this.say(`all services ready (${Date.now() - t0} ms)`);
  }

  private spawnDetector(): Promise<void> {
    const i = this.children.filter((c) => c.name.startsWith('detect-')).length;
    return this.spawnService(`detect-${i}`, {
      ...this.common,
      DETECT_GROUP_ID: this.detectGroupId,
      DETECT_INSTANCE_ID: `up-detect-${i}`,
      // What `wmidetect analyze` runs by default, so the two agree.
      RULES_FILES: defaultRuleFiles().join(','),
    });
  }

  /**
   * Starts `n` more detectors and resolves when they are ready (bench/pipeline's backlog configuration starts the
   * stack with none, loads the packet topic, then measures detectors draining it).
   */
  async addDetectors(n: number): Promise<ServiceProcess[]> {
    const before = this.children.length;
    for (let k = 0; k < n; k++) await this.spawnDetector();
    const added = this.children.slice(before);
    await Promise.all(added.map((c) => this.waitReady(c)));
    return this.services.slice(before);
  }

  private async spawnService(name: string, env: Record<string, string>): Promise<void> {
    const opsPort = await freePort();
    const service = name.replace(/-\d+$/, '');
    const logFile = join(this.dir, `${name}.log`);
    const child = this.spawnChild(name, ['serve', service], { ...env, OPS_PORT: String(opsPort) }, logFile);
    // Object.assign, not a spread: the exit handler writes `exit` on this very object.
    this.children.push(Object.assign(child, { opsPort, graceMs: service === 'detect' ? 60_000 : 30_000 }));
  }

  private spawnChild(
    name: string,
    args: string[],
    env: Record<string, string>,
    logFile: string,
  ): Omit<Child, 'opsPort' | 'graceMs'> {
    const fd = openSync(logFile, 'a');
    let proc: ChildProcess;
    try {
      // Only the variables the stack sets plus the basics a Node process needs: the child sees exactly the
      // contract of configuration.md, not whatever KAFKA_*/TOPIC_* the caller's shell happens to export.
      const base: Record<string, string> = {};
      for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'NODE_OPTIONS', 'JAVA_HOME']) {
        const v = process.env[k];
        if (v !== undefined) base[k] = v;
      }
      for (const [k, v] of Object.entries(process.env)) if (k.startsWith('OTEL_') && v !== undefined) base[k] = v;
      proc = spawn(process.execPath, ['--import', CHILD_GUARD, WMIDETECT_BIN, ...args], {
        env: { ...base, ...env },
        stdio: ['ignore', this.o.verbose ? 'inherit' : fd, this.o.verbose ? 'inherit' : fd, 'ipc'],
      });
    } finally {
      closeSync(fd);
    }
    const entry = { name, proc, logFile, exit: null as Child['exit'] } as Omit<Child, 'opsPort' | 'graceMs'> & {
      exit: Child['exit'];
    };
    const exited = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        entry.exit = { code, signal };
        resolve();
      });
      proc.once('error', (e) => {
        entry.exit = { code: -1, signal: null };
        this.say(`${name}: ${e.message}`);
        resolve();
      });
    });
    // The IPC channel is only a lifeline (see up-child-guard.ts); it must not keep `up` alive.
    proc.channel?.unref();
    proc.unref();
    return Object.assign(entry, { exited });
  }

  private deadChild(): Child | undefined {
    return this.children.find((c) => c.exit !== null);
  }

  private failure(c: Child, what: string): StackError {
    return new StackError(
      `${c.name} ${what} (exit ${c.exit?.code ?? '-'}${c.exit?.signal ? `, ${c.exit.signal}` : ''}); last lines of ${c.logFile}:\n${tail(c.logFile)}`,
    );
  }

  /** Polls /readyz (what a Kubernetes readiness probe does) until 200; fails when the child exits. */
  private async waitReady(c: Child): Promise<void> {
    const deadline = Date.now() + (this.o.readyTimeoutMs ?? 180_000);
    let last = 'no answer yet';
    for (;;) {
      if (c.exit) throw this.failure(c, 'exited before it was ready');
      try {
        const r = await httpGet(c.opsPort, '/readyz');
        if (r.status === 200) {
          this.say(`${c.name} ready (ops :${c.opsPort})`);
          return;
        }
        last = `${r.status} ${r.body}`;
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() > deadline) throw new StackError(`${c.name} not ready: ${last}\n${tail(c.logFile)}`);
      await pause(100);
    }
  }

  /** Runs `wmidetect sensor` on a capture against ingest, to completion. */
  async replay(capture: string, extraArgs: readonly string[] = []): Promise<Record<string, unknown> | null> {
    const logFile = join(this.dir, 'sensor.log');
    const args = [
      'sensor',
      '--ingest',
      this.ingestUrl,
      '--sensor-id',
      SENSOR_ID,
      '--token-file',
      this.sensorTokenFile,
      // Inside the stack dir, so it goes with the stack (the default is a dir of its own under $TMPDIR).
      '--spool-dir',
      join(this.dir, 'sensor-spool'),
      // Half the sensor's default: a batch of one host pair becomes one record on TOPIC_PACKETS, and at 1 MiB of
      // frames plus framing it passes the broker's default message.max.bytes (1 MiB), which ingest answers with 503
      // for ever. Until ingest splits records under that limit, stay well below it.
      '--batch-bytes',
      String(512 * 1024),
    ];
    const child = this.spawnChild('sensor', [...args, ...extraArgs, capture], {}, logFile);
    const sensor: Child = Object.assign(child, { opsPort: 0, graceMs: 10_000 });
    this.children.push(sensor);
    await Promise.race([
      sensor.exited,
      (async () => {
        // A service dying mid-replay fails the run at once instead of after a drain timeout.
        while (!sensor.exit) {
          const dead = this.deadChild();
          if (dead && dead !== sensor) throw this.failure(dead, 'exited during the replay');
          await Promise.race([sensor.exited, pause(250)]);
        }
      })(),
    ]);
    // 3: the capture is damaged (truncated, corrupt block) — every readable frame was delivered, as analyze reads
    // up to the damage and exits 3 too. Anything else means frames did not reach Kafka.
    if (sensor.exit?.code === 3)
      this.say(`sensor: the capture is damaged; the frames before the damage were delivered`);
    else if (sensor.exit?.code !== 0) throw this.failure(sensor, 'failed');
    const last = tail(logFile, 1);
    this.say(`sensor done: ${last}`);
    try {
      return JSON.parse(last) as Record<string, unknown>;
    } catch {
      return null;
    }
  }

  private kafka(): KafkaClient {
    if (!this.client) throw new StackError('stack not started');
    return this.client;
  }

  /**
   * Waits until everything the sensor delivered has gone through detect and enrich. Returns the offsets it waited
   * for. Fails when a service exits or nothing moves for `stallMs`.
   */
  async waitDrained(stallMs = 120_000): Promise<{ packets: string[]; detections: string[] }> {
    const admin = this.kafka().admin();
    await admin.connect();
    try {
      const packetEnds = await admin.fetchOffsets(this.topics.packets);
      // detect commits, in the transaction that carries the detections, the position it has emitted through as its
      // group's offset (the replay start rides along in the commit metadata).
      await this.until(
        'detect processed every packet record',
        async () => lagOf(packetEnds, await admin.fetchCommitted(this.detectGroupId, this.topics.packets)),
        stallMs,
      );
      const detEnds = await admin.fetchOffsets(this.topics.detections);
      await this.until(
        'enrich processed every detection',
        async () => lagOf(detEnds, await admin.fetchCommitted(this.enrichGroupId, this.topics.detections)),
        stallMs,
      );
      return { packets: packetEnds.map((e) => e.high), detections: detEnds.map((e) => e.high) };
    } finally {
      await admin.close();
    }
  }

  /** Re-checks `lag` until 0; a lag that does not shrink for stallMs, or a dead service, is a failure. */
  private async until(what: string, lag: () => Promise<bigint>, stallMs: number): Promise<void> {
    let best: bigint | null = null;
    let movedAt = Date.now();
    for (;;) {
      const dead = this.deadChild();
      if (dead && dead.name !== 'sensor') throw this.failure(dead, `exited while waiting until ${what}`);
      const l = await lag();
      if (l === 0n) {
        this.say(`${what}`);
        return;
      }
      if (best === null || l < best) {
        best = l;
        movedAt = Date.now();
      } else if (Date.now() - movedAt > stallMs) {
        throw new StackError(`stuck waiting until ${what}: ${l} records behind for ${stallMs} ms`);
      }
      await pause(100);
    }
  }

  /** Every committed record of `topic` up to its current end offsets, in partition and offset order. */
  async readTopic(topic: string): Promise<KafkaRecord[]> {
    const byPartition = new Map<number, KafkaRecord[]>();
    await this.scanTopic(topic, (r) => {
      const list = byPartition.get(r.partition) ?? [];
      list.push(r);
      byPartition.set(r.partition, list);
    });
    return [...byPartition.keys()].sort((a, b) => a - b).flatMap((p) => byPartition.get(p) ?? []);
  }

  /** Hands every committed record of `topic` up to its current end offsets to `onRecord` (per partition in order). */
  async scanTopic(topic: string, onRecord: (r: KafkaRecord) => void): Promise<void> {
    const client = this.kafka();
    const admin = client.admin();
    await admin.connect();
    let ends: Map<number, bigint>;
    try {
      ends = new Map(
        (await admin.fetchOffsets(topic))
          .filter((e) => BigInt(e.high) > BigInt(e.low))
          .map((e) => [e.partition, BigInt(e.high)]),
      );
    } finally {
      await admin.close();
    }
    if (ends.size === 0) return;
    const source = client.source({
      groupId: `wmi-detect-up-reader-${randomBytes(6).toString('hex')}`,
      readCommitted: true,
      maxWaitTimeMs: 100,
      maxBytesPerPartition: 8 << 20,
    });
    let done!: () => void;
    const finished = new Promise<void>((r) => {
      done = r;
    });
    await source.connect();
    try {
      await source.subscribe([topic], { fromBeginning: true });
      await source.run(async (batch) => {
        const end = ends.get(batch.partition);
        if (end === undefined) return;
        for (const r of batch.records) if (BigInt(r.offset) < end) onRecord(r);
        if (BigInt(batch.nextOffset) >= end) {
          ends.delete(batch.partition);
          if (ends.size === 0) done();
        }
      });
      await finished;
    } finally {
      await source.close();
    }
  }

  /** Stops every child gracefully (SIGKILL after its grace period), then the broker; removes the stack dir. */
  stop(opts: { graceMs?: number } = {}): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      await Promise.all(
        this.children.map(async (c) => {
          if (c.exit) return;
          // Waiting for its exit must keep us alive (children are unref'd while they run).
          c.proc.ref();
          try {
            c.proc.kill('SIGTERM');
          } catch {
            // gone
          }
          let timer: NodeJS.Timeout | undefined;
          const graceful = await Promise.race([
            c.exited.then(() => true),
            new Promise<boolean>((r) => {
              timer = setTimeout(() => r(false), opts.graceMs ?? c.graceMs);
            }),
          ]);
          clearTimeout(timer);
          if (!graceful) {
            this.say(`${c.name} did not stop within ${opts.graceMs ?? c.graceMs} ms: SIGKILL`);
            c.proc.kill('SIGKILL');
            await c.exited;
            return;
          }
          const ex = c.exit as Child['exit']; // set by the exit handler meanwhile
          if (ex && ex.code !== 0 && c.name !== 'sensor') {
            this.say(`${c.name} exited with ${ex.code ?? ex.signal} on shutdown; log: ${tail(c.logFile, 5)}`);
          }
        }),
      );
      try {
        if (this.broker) await this.broker.stop();
      } catch (e) {
        this.say(`broker stop: ${(e as Error).message}`);
      } finally {
        rmSync(this.dir, { recursive: true, force: true });
        process.removeListener('exit', this.exitHook);
      }
    })();
    return this.stopping;
  }
}
