/**
 * A real Apache Kafka broker (KRaft, combined broker+controller, one node) started from the Maven Central jars that
 * scripts/kafka/fetch.sh caches — for the integration tests and for `wmidetect up` on a machine without Docker.
 *
 * Lifecycle:
 *   temp dir  $TMPDIR/wmi-kafka-XXXXXX/{server.properties, log4j2.properties, owner.json, broker.log, data/}
 *   format    java kafka.tools.StorageTool format --standalone -t <cluster id> -c server.properties
 *   run       /bin/sh WATCHDOG … java -Xmx512m -cp '<libs>/*' kafka.Kafka server.properties   (own process group)
 *   ready     kafkajs answers metadata, then the group and transaction coordinators answer (see warmCoordinators)
 *   stop      SIGTERM (the watchdog forwards it to the JVM), SIGKILL to the whole group after stopTimeoutMs,
 *             then the temp dir is deleted
 *
 * The broker must never outlive its owner, whatever way the owner ends:
 *   - stop() — the normal path (vitest global teardown, `wmidetect up` shutdown);
 *   - process 'exit' and SIGINT/SIGTERM/SIGHUP hooks — synchronous SIGKILL of the group and rm of the dir (vitest
 *     calls process.exit() on Ctrl-C without running global teardown);
 *   - the watchdog shell — it holds a pipe from the owner on stdin; if the owner dies without a word (SIGKILL, OOM),
 *     the pipe reaches EOF and the watchdog stops the JVM and deletes the dir itself;
 *   - reapStaleBrokers() — at the next start, anything left behind by a dead owner is killed and removed.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import type { KafkaLogger } from './port.js';

/** The broker version scripts/kafka/pom.xml resolves (a unit test keeps the two equal). */
export const KAFKA_VERSION = '4.1.2';

/** Temp dirs of local brokers start with this, under os.tmpdir(). scripts/kafka/check-clean.sh looks for it. */
export const BROKER_DIR_PREFIX = 'wmi-kafka-';

const FETCH_HINT = 'run: bash scripts/kafka/fetch.sh   (needs Java 17+ and Maven; jars are cached per version)';
const JAVA_HINT = 'install Java 17+ (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless), or set JAVA_HOME';

/** A start failure with what to do about it. */
export class LocalBrokerError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(`${message}\n  fix: ${hint}`);
    this.name = 'LocalBrokerError';
  }
}

/** The broker version to run: $KAFKA_VERSION (as scripts/kafka/fetch.sh reads it), else KAFKA_VERSION. */
export function kafkaVersion(env: NodeJS.ProcessEnv = process.env): string {
  return env.KAFKA_VERSION || KAFKA_VERSION;
}

/** ${WMI_DETECT_CACHE:-${XDG_CACHE_HOME:-~/.cache}/wmi-detect}, as in scripts/kafka/fetch.sh. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.WMI_DETECT_CACHE) return env.WMI_DETECT_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'wmi-detect');
}

/** Where fetch.sh puts the jars of `version`; KAFKA_LIBS overrides. */
export function defaultKafkaLibsDir(version: string = kafkaVersion(), env: NodeJS.ProcessEnv = process.env): string {
  return env.KAFKA_LIBS || join(cacheRoot(env), `kafka-${version}`, 'libs');
}

export interface LocalBrokerOptions {
  /** Directory of the broker jars (default: defaultKafkaLibsDir(version)). */
  readonly libsDir?: string;
  /** Default: kafkaVersion() — $KAFKA_VERSION or KAFKA_VERSION. */
  readonly version?: string;
  /** java executable (default $JAVA_HOME/bin/java, else `java` on PATH). */
  readonly java?: string;
  /** Max heap, JVM syntax (default '512m'). */
  readonly heap?: string;
  /** Interface to bind (default 127.0.0.1: tests never listen beyond this machine). */
  readonly host?: string;
  /** Client port (default: a free one). */
  readonly port?: number;
  /** Controller port (default: a free one). */
  readonly controllerPort?: number;
  /** Extra or overriding server.properties entries. */
  readonly properties?: Readonly<Record<string, string>>;
  /** Wait for the group and transaction coordinators too (default true). */
  readonly warmCoordinators?: boolean;
  readonly startTimeoutMs?: number;
  readonly stopTimeoutMs?: number;
  readonly logger?: KafkaLogger;
}

export interface LocalBroker {
  /** host:port for clients. */
  readonly bootstrap: string;
  readonly brokers: string[];
  readonly host: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly version: string;
  /** The temp dir (deleted by stop()). */
  readonly dir: string;
  /** Process group of the watchdog shell and the JVM. */
  readonly pgid: number;
  /** Stops the broker and deletes its dir; safe to call more than once. */
  stop(): Promise<void>;
}

const quietLogger: KafkaLogger = { debug() {}, info() {}, warn() {}, error() {} };

// ---------------------------------------------------------------------------------------------------------------
// Preflight

function javaPath(opts: LocalBrokerOptions): string {
  if (opts.java) return opts.java;
  if (process.env.JAVA_HOME) return join(process.env.JAVA_HOME, 'bin', 'java');
  return 'java';
}

/** Major version of `java`, or a LocalBrokerError saying why it cannot run the broker. */
export function checkJava(java: string): number {
  const r = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new LocalBrokerError(
      `cannot run '${java}' (${code ?? r.error.message}): Java is needed for the test broker`,
      JAVA_HINT,
    );
  }
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr}${r.stdout}`);
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : Number.NaN;
  if (!(major >= 17)) {
    throw new LocalBrokerError(
      `Kafka 4 needs Java 17+, '${java}' is ${m ? `Java ${major}` : 'of unknown version'}`,
      JAVA_HINT,
    );
  }
  return major;
}

/** Throws a LocalBrokerError when `libsDir` does not hold a complete fetch of `version`. */
export function checkLibs(libsDir: string, version: string): void {
  if (!existsSync(libsDir)) throw new LocalBrokerError(`Kafka ${version} jars not found in ${libsDir}`, FETCH_HINT);
  const jars = readdirSync(libsDir);
  if (!jars.includes(`kafka_2.13-${version}.jar`) || !existsSync(join(libsDir, '.complete'))) {
    throw new LocalBrokerError(`incomplete Kafka ${version} jar set in ${libsDir}`, FETCH_HINT);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Config files

/** A free TCP port on `host` (the OS picks; the small race until Kafka binds it is handled by a retry). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A KRaft cluster id: 16 random bytes, base64url without padding (Kafka's Uuid), never starting with '-'. */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export function serverProperties(p: {
  host: string;
  port: number;
  controllerPort: number;
  dataDir: string;
  extra?: Readonly<Record<string, string>>;
}): string {
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    // Dynamic quorum (KIP-853) with this node as the only voter; matches `format --standalone`.
    'controller.quorum.bootstrap.servers': `${p.host}:${p.controllerPort}`,
    listeners: `PLAINTEXT://${p.host}:${p.port},CONTROLLER://${p.host}:${p.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${p.host}:${p.port}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': p.dataDir,
    // One node: every replication factor and min ISR is 1, or the internal topics never come up.
    'num.partitions': '1',
    'default.replication.factor': '1',
    'min.insync.replicas': '1',
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    // One partition each for the internal topics: the coordinators load in well under a second instead of
    // loading 50 partitions on the first group or transaction.
    'offsets.topic.num.partitions': '1',
    'transaction.state.log.num.partitions': '1',
    // A group forms as soon as its members join instead of waiting 3 s for more.
    'group.initial.rebalance.delay.ms': '0',
    // Tests create their topics with explicit partition counts; a typo'd topic should fail, not appear.
    'auto.create.topics.enable': 'false',
    // Small files: tests write little, and compaction tests need segments that roll.
    'log.segment.bytes': String(1024 * 1024),
    'offsets.topic.segment.bytes': String(1024 * 1024),
    'transaction.state.log.segment.bytes': String(1024 * 1024),
    'log.cleaner.dedupe.buffer.size': String(8 * 1024 * 1024),
    'log.cleaner.backoff.ms': '1000',
    'num.network.threads': '2',
    'num.io.threads': '4',
    ...p.extra,
  };
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

/** Log4j2: WARN and above to the console (which is broker.log), so a failed start explains itself. */
export const LOG4J2_PROPERTIES = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = warn
logger.apache.name = org.apache.kafka
logger.apache.level = warn
`;

// ---------------------------------------------------------------------------------------------------------------
// Process watchdog

/**
 * Runs the JVM and stops it when its owner disappears. Args: $1 = broker dir, rest = the java command.
 *   - SIGTERM/SIGINT to this shell are forwarded to the JVM; the shell exits when the JVM has.
 *   - A background reader waits on fd 3 (the owner's pipe). EOF there means the owner is gone: it marks the dir
 *     orphaned, stops the JVM (SIGTERM, then SIGKILL after ~15 s) and the main shell removes the dir.
 * POSIX sh (dash): background jobs get stdin from /dev/null, hence the explicit fd 3.
 */
const WATCHDOG = `
dir=$1; shift
exec 3<&0
"$@" </dev/null 3<&- &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
{
  read -r _ <&3 || :
  : >"$dir/.orphaned"
  kill -TERM "$child" 2>/dev/null
  i=0
  while kill -0 "$child" 2>/dev/null && [ "$i" -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$child" 2>/dev/null
} &
watcher=$!
exec 3<&-
rc=0
wait "$child" || rc=$?
while kill -0 "$child" 2>/dev/null; do wait "$child" || rc=$?; done
if [ -e "$dir/.orphaned" ]; then rm -rf "$dir"; else kill "$watcher" 2>/dev/null; fi
exit "$rc"
`;

interface LiveBroker {
  readonly dir: string;
  readonly pgid: number;
}

const live = new Set<LiveBroker>();
let hooksInstalled = false;

function logSync(line: string): void {
  try {
    writeSync(2, `${line}\n`);
  } catch {
    // stderr closed: nothing to tell anyone
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}

/** Synchronous last resort: SIGKILL every live broker group and delete its dir. */
function killAllSync(reason: string): void {
  for (const b of live) {
    killGroup(b.pgid, 'SIGKILL');
    try {
      removeDir(b.dir);
    } catch {
      // the watchdog or the next reapStaleBrokers() removes it
    }
    logSync(`kafka: stopped broker (SIGKILL on ${reason}), removed ${b.dir}`);
  }
  live.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => killAllSync('process exit'));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAllSync(sig);
      // If we were the only listener, Node would otherwise not terminate: restore the default and re-raise.
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Leftovers

/** Processes whose command line contains `needle` (Linux /proc; empty elsewhere). */
export function processesMentioning(needle: string): { pid: number; cmd: string }[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: { pid: number; cmd: string }[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      continue;
    }
    if (cmd.includes(needle)) out.push({ pid: Number(e), cmd });
  }
  return out;
}

/** Broker dirs and processes that exist now; with `dir`, only those of that one broker. */
export function findBrokerLeftovers(dir?: string): { dirs: string[]; processes: { pid: number; cmd: string }[] } {
  const base = tmpdir();
  const dirs = dir
    ? existsSync(dir)
      ? [dir]
      : []
    : readdirSync(base)
        .filter((n) => n.startsWith(BROKER_DIR_PREFIX))
        .map((n) => join(base, n));
  const processes = processesMentioning(dir ?? join(base, BROKER_DIR_PREFIX));
  return { dirs, processes };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Kills and removes brokers whose owner process is gone (a crashed test run on this machine). Brokers of owners that
 * are still alive — another test run going on right now — are left alone. Returns how many it reaped.
 */
export function reapStaleBrokers(logger: KafkaLogger = quietLogger): number {
  const base = tmpdir();
  let reaped = 0;
  let names: string[];
  try {
    names = readdirSync(base).filter((n) => n.startsWith(BROKER_DIR_PREFIX));
  } catch {
    return 0;
  }
  for (const name of names) {
    const dir = join(base, name);
    let owner: { ownerPid?: number; pgid?: number };
    try {
      owner = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8'));
    } catch {
      continue; // not ours, or being created right now
    }
    if (typeof owner.ownerPid !== 'number' || pidAlive(owner.ownerPid)) continue;
    for (const p of processesMentioning(dir)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    removeDir(dir);
    reaped++;
    logger.warn('kafka: removed a broker left behind by a dead test run', { dir, ownerPid: owner.ownerPid });
  }
  return reaped;
}

// ---------------------------------------------------------------------------------------------------------------
// Readiness

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WaitForKafkaOptions {
  readonly timeoutMs?: number;
  /** Also wait until a consumer group and a transactional producer can use the broker (default true). */
  readonly warmCoordinators?: boolean;
  /** Called between attempts; return a reason to give up early (e.g. the broker process exited). */
  readonly abortReason?: () => string | null;
}

/**
 * Resolves when `brokers` answer a metadata request and (by default) the group and transaction coordinators are
 * loaded. A fresh broker answers metadata before its coordinators are ready; kafkajs then rejects a transaction's
 * sendOffsets with NOT_COORDINATOR instead of retrying, so "ready" includes both coordinators.
 */
export async function waitForKafka(brokers: readonly string[], opts: WaitForKafkaOptions = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const kafka = new kafkajs.Kafka({
    brokers: [...brokers],
    clientId: 'wmi-detect-readiness',
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 5000,
    // A few quick retries inside kafkajs: some of its calls need one to load metadata first (KafkaJSBrokerNotFound).
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  let lastError = 'no attempt yet';
  const attempt = async (step: string, fn: () => Promise<void>) => {
    for (;;) {
      const reason = opts.abortReason?.();
      if (reason) throw new Error(reason);
      if (Date.now() > deadline) throw new Error(`Kafka at ${brokers.join(',')} not ready (${step}): ${lastError}`);
      try {
        await fn();
        return;
      } catch (e) {
        lastError = (e as Error).message;
        await delay(200);
      }
    }
  };

  await attempt('metadata', async () => {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('no brokers in metadata');
    } finally {
      await admin.disconnect();
    }
  });
  if (opts.warmCoordinators === false) return;

  await attempt('group coordinator', async () => {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.fetchOffsets({ groupId: 'wmi-detect-readiness', topics: [] });
    } finally {
      await admin.disconnect();
    }
  });
  await attempt('transaction coordinator', async () => {
    const producer = kafka.producer({
      transactionalId: 'wmi-detect-readiness',
      idempotent: true,
      maxInFlightRequests: 1,
    });
    try {
      await producer.connect();
      // kafkajs registers the transactional.id at the first transaction (InitProducerId to the transaction
      // coordinator, answered only once __transaction_state is loaded); an empty one ends without a broker call.
      const txn = await producer.transaction();
      await txn.abort();
    } finally {
      await producer.disconnect();
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Start / stop

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no broker log)';
  }
}

/** Formats storage; synchronous because nothing else can happen before it is done. */
function formatStorage(java: string, libsDir: string, dir: string, log4j: string): void {
  const r = spawnSync(
    java,
    [
      '-Xmx256m',
      `-Dlog4j2.configurationFile=${log4j}`,
      '-cp',
      join(libsDir, '*'),
      'kafka.tools.StorageTool',
      'format',
      '--standalone',
      '-t',
      newClusterId(),
      '-c',
      join(dir, 'server.properties'),
    ],
    { cwd: dir, encoding: 'utf8', timeout: 120_000 },
  );
  if (r.error || r.status !== 0) {
    throw new LocalBrokerError(
      `kafka.tools.StorageTool format failed (exit ${r.status ?? r.error?.message}):\n${r.stderr}${r.stdout}`,
      `check the jar set in ${libsDir}; ${FETCH_HINT}`,
    );
  }
}

/** Starts a broker and resolves once it is ready. The caller owns it: call stop(). */
export async function startLocalBroker(opts: LocalBrokerOptions = {}): Promise<LocalBroker> {
  const logger = opts.logger ?? quietLogger;
  const version = opts.version ?? kafkaVersion();
  const libsDir = opts.libsDir ?? defaultKafkaLibsDir(version);
  const java = javaPath(opts);
  const host = opts.host ?? '127.0.0.1';
  checkJava(java);
  checkLibs(libsDir, version);
  reapStaleBrokers(logger);
  installHooks();

  // A port the OS called free can be taken before Kafka binds it; try again with new ports then.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce({ ...opts, host, version, libsDir, java, logger });
    } catch (e) {
      if (!(e instanceof PortInUse) || attempt >= 3 || opts.port || opts.controllerPort) throw e;
      logger.warn('kafka: port taken before the broker bound it, retrying', { attempt });
    }
  }
}

class PortInUse extends Error {}

async function startOnce(
  o: LocalBrokerOptions & { host: string; version: string; libsDir: string; java: string; logger: KafkaLogger },
): Promise<LocalBroker> {
  const port = o.port ?? (await freePort(o.host));
  let controllerPort = o.controllerPort ?? (await freePort(o.host));
  while (controllerPort === port) controllerPort = await freePort(o.host);

  const dir = mkdtempSync(join(tmpdir(), BROKER_DIR_PREFIX));
  writeFileSync(join(dir, 'owner.json'), JSON.stringify({ ownerPid: process.pid }));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const log4j = join(dir, 'log4j2.properties');
  const logFile = join(dir, 'broker.log');
  writeFileSync(log4j, LOG4J2_PROPERTIES);
  writeFileSync(
    join(dir, 'server.properties'),
    serverProperties({ host: o.host, port, controllerPort, dataDir, extra: o.properties }),
  );

  let child: ChildProcess | undefined;
  let entry: LiveBroker | undefined;
  let cleaned = false;
  const cleanupFailedStart = async () => {
    if (cleaned) return;
    cleaned = true;
    if (entry) live.delete(entry);
    if (child?.pid) {
      killGroup(child.pid, 'SIGKILL');
      await waitGroupGone(child.pid, 5000);
    }
    removeDir(dir);
  };

  try {
    formatStorage(o.java, o.libsDir, dir, log4j);
    const logFd = openSync(logFile, 'a');
    const javaArgs = [
      `-Xmx${o.heap ?? '512m'}`,
      '-Xms128m',
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${log4j}`,
      `-Dkafka.logs.dir=${join(dir, 'logs')}`,
      '-cp',
      join(o.libsDir, '*'),
      'kafka.Kafka',
      join(dir, 'server.properties'),
    ];
    try {
      child = spawn('/bin/sh', ['-c', WATCHDOG, 'wmi-kafka-watchdog', dir, o.java, ...javaArgs], {
        cwd: dir,
        detached: true, // own process group: one kill(-pgid) reaches the shell, its watcher and the JVM
        stdio: ['pipe', logFd, logFd],
      });
    } finally {
      closeSync(logFd);
    }
    const pid = child.pid;
    if (pid === undefined) throw new LocalBrokerError('could not spawn /bin/sh for the broker', JAVA_HINT);
    entry = { dir, pgid: pid };
    live.add(entry);
    writeFileSync(join(dir, 'owner.json'), JSON.stringify({ ownerPid: process.pid, pgid: pid }));
    // Neither the child nor the pipe keeps the owner alive: when the owner is done, the exit hook ends the broker.
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();

    let exitInfo: string | null = null;
    const exited = new Promise<void>((resolve) => {
      child?.once('exit', (code, signal) => {
        exitInfo = `broker process exited (code ${code}, signal ${signal})`;
        resolve();
      });
    });

    const bootstrap = `${o.host}:${port}`;
    const started = Date.now();
    try {
      await waitForKafka([bootstrap], {
        timeoutMs: o.startTimeoutMs ?? 90_000,
        warmCoordinators: o.warmCoordinators ?? true,
        abortReason: () => exitInfo,
      });
    } catch (e) {
      const log = tail(logFile);
      await cleanupFailedStart();
      if (/Address already in use|BindException/.test(log)) throw new PortInUse(log);
      throw new LocalBrokerError(
        `Kafka ${o.version} did not become ready on ${bootstrap}: ${(e as Error).message}\n--- broker log (tail) ---\n${log}`,
        `check Java and the jars in ${o.libsDir}; ${FETCH_HINT}`,
      );
    }
    o.logger.info('kafka: local broker ready', { bootstrap, version: o.version, ms: Date.now() - started, dir });

    let stopping: Promise<void> | null = null;
    const liveEntry = entry;
    const proc = child;
    const stop = (): Promise<void> => {
      if (stopping) return stopping;
      stopping = (async () => {
        const t0 = Date.now();
        // SIGTERM to the watchdog shell only: it forwards to the JVM, which shuts down cleanly, then exits itself.
        try {
          proc.kill('SIGTERM');
        } catch {
          // already gone
        }
        const timeout = o.stopTimeoutMs ?? 15_000;
        let timer: NodeJS.Timeout | undefined;
        const clean = await Promise.race([
          exited.then(() => true),
          new Promise<boolean>((r) => {
            timer = setTimeout(() => r(false), timeout);
          }),
        ]);
        clearTimeout(timer);
        if (!clean) o.logger.warn('kafka: broker did not stop in time, SIGKILL', { timeoutMs: timeout });
        killGroup(pid, 'SIGKILL'); // whatever is left of the group (the watcher, a JVM that ignored SIGTERM)
        await waitGroupGone(pid, 10_000);
        live.delete(liveEntry);
        removeDir(dir);
        o.logger.info('kafka: local broker stopped', { bootstrap, ms: Date.now() - t0, graceful: clean });
      })();
      return stopping;
    };

    return {
      bootstrap,
      brokers: [bootstrap],
      host: o.host,
      port,
      controllerPort,
      version: o.version,
      dir,
      pgid: pid,
      stop,
    };
  } catch (e) {
    await cleanupFailedStart();
    throw e;
  }
}

/** Polls until no process of the group is left (after SIGKILL this takes milliseconds). */
async function waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) return false;
    await delay(50);
  }
  return true;
}
