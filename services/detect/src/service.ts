/**
 * The detect worker: a consumer group member on TOPIC_PACKETS with one PartitionShard (one Engine) per assigned
 * partition, and one transactional producer per partition for its outputs and positions.
 *
 *   assigned(p)  producer `<group>-<topic>-<p>` connects (InitProducerId: fences the previous owner of p, aborts its
 *                open transaction) → committed positions read (positions.ts: emittedNext is the group's offset,
 *                replayFrom its metadata) → seek(p, replayFrom) → shard replays [replayFrom, emittedNext) with
 *                output suppressed, then goes live (readiness)
 *   batch(p)     records → shard.process → folded into p's pending work; every DETECT_COMMIT_INTERVAL_MS (or at
 *                DETECT_COMMIT_MAX_OUTPUTS, end of replay, revocation, stop) ONE transaction: detections + dead
 *                letters to their topics, sendOffsets(group, emittedNext + replayFrom in the metadata), commit
 *   failure      transaction aborted → shard state and pending work thrown away → partition paused, backoff, new
 *                producer, seek(p, last committed replayFrom), replay again (back-pressure on a struggling broker)
 *   fenced       another member owns p now → partition paused until the rebalance revokes it
 *   revoked(p)   wait for p's batch in flight, commit its pending work, close its producer, drop the shard (no
 *                finish(): the new owner replays)
 *   stop()       stop fetching, finish the batch in flight, commit all pending work, leave the group, exit
 *
 * Why a producer per partition and not per member: kafkajs cannot pass the consumer group generation with
 * sendOffsets (KIP-447), so the only fencing it has is the transactional.id; deriving it from the input partition
 * makes the new owner of a partition fence the old one, whichever member that was (docs/architecture.md).
 */
import { type Link, propagation, ROOT_CONTEXT, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import type { EngineOptions } from '@wmi-detect/engine';
import {
  createKafkajsClient,
  type KafkaAdmin,
  type KafkaClient,
  type OutgoingRecord,
  type RecordBatch,
  type RecordSource,
  type SourceOptions,
  type TopicPartition,
  type TransactionalSink,
} from '@wmi-detect/kafka';
import { createLogger, type Logger, type OpsServer, type Registry, startOpsServer } from '@wmi-detect/ops';
import type { DetectConfig } from './config.js';
import { DetectMetrics } from './metrics.js';
import { decodePositions, encodePositions } from './positions.js';
import { type Checkpoint, PartitionShard } from './shard.js';

export type ShardEvent =
  | { type: 'assigned'; partition: number; replayFrom: string | null; emittedNext: string | null }
  | { type: 'restored'; partition: number; replayed: number }
  | { type: 'revoked'; partition: number }
  | { type: 'reset'; partition: number; error: string }
  | { type: 'resumed'; partition: number }
  | { type: 'fenced'; partition: number };

/** Seams for tests and the in-process `up` stack; none is needed in production. */
export interface DetectHooks {
  /** Awaited before each output transaction is committed; holding it keeps processed work uncommitted. */
  beforeCommit?(partition: number, pending: { replayFrom: string; emittedNext: string; outputs: number }): unknown;
  /** Awaited inside the open transaction, after its records and offsets were sent and before it commits. */
  beforeTxnCommit?(partition: number): unknown;
  /** After a batch was processed: its records, the outputs now waiting, and whether they are committed right away. */
  afterProcess?(partition: number, info: { records: number; pendingOutputs: number; committingNow: boolean }): void;
  /** After a transaction committed (or positions were already current). */
  afterCommit?(partition: number, committed: { replayFrom: string; emittedNext: string }): void;
  /** `ready`: the worker's readiness right after the event took effect. */
  onShardEvent?(event: ShardEvent, ready: boolean): void;
  /** After each group join, with this member's partitions of the packet topic (maybe none) and its readiness. */
  onJoined?(partitions: readonly number[], ready: boolean): void;
}

export interface DetectDeps {
  /** Kafka client (default: kafkajs from config.kafka). */
  readonly client?: KafkaClient;
  readonly logger?: Logger;
  readonly registry?: Registry;
  /** Engine options (ruleSet required); main() builds them from RULES_FILES / RULE_VARS_FILE. */
  readonly engine: Omit<EngineOptions, 'onRecord'>;
  /** Consumer tuning (session timeout, fetch wait …). */
  readonly source?: Partial<Omit<SourceOptions, 'groupId'>>;
  /** Start the ops endpoint (default true; OPS_PORT 0 picks a free port). */
  readonly ops?: boolean;
  readonly hooks?: DetectHooks;
}

export interface DetectHandle {
  /** Port of /healthz /readyz /metrics, or -1 when not started. */
  readonly opsPort: number;
  readonly metrics: DetectMetrics;
  readonly instanceId: string;
  /** Member of the group, every assigned partition restored, not stopping. */
  ready(): boolean;
  /** Graceful: stop fetching, finish and commit the batch in flight, leave the group. */
  stop(): Promise<void>;
  /**
   * Like a crash, for tests: the batch in flight is not committed. Open transactions are aborted, or with
   * `abandonTransactions` left open on the broker as a dead process leaves them (the next owner's producer aborts
   * them); stop() afterwards releases the abandoned producers.
   */
  kill(opts?: { abandonTransactions?: boolean }): Promise<void>;
  /** Rejects when the consumer failed for good (the process should exit non-zero). */
  readonly failed: Promise<never>;
}

/** At most this many producer traces linked from one batch span. */
const MAX_SPAN_LINKS = 16;

const headerGetter = {
  keys: (carrier: Record<string, Buffer>) => Object.keys(carrier),
  get: (carrier: Record<string, Buffer>, key: string) => carrier[key]?.toString('latin1'),
};

/** Links to the traces of the producers of a batch's records (W3C traceparent headers, when ingest sets them). */
function producerLinks(batch: RecordBatch): Link[] {
  const links: Link[] = [];
  const seen = new Set<string>();
  for (const r of batch.records) {
    const tp = r.headers.traceparent;
    if (tp === undefined) continue;
    const key = tp.toString('latin1');
    if (seen.has(key)) continue;
    seen.add(key);
    const sc = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, r.headers, headerGetter));
    if (sc !== undefined) links.push({ context: sc });
    if (links.length >= MAX_SPAN_LINKS) break;
  }
  return links;
}

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;

/** Processed batches of a partition whose outputs and positions wait for one transaction. */
interface Pending {
  outputs: OutgoingRecord[];
  /** Positions after the last batch folded in. */
  replayFrom: bigint;
  emittedNext: bigint;
  /** performance.now() when the first batch was folded in. */
  since: number;
  replayed: number;
  /** The shard finished its replay in one of these batches (reported once they commit). */
  restoredIn: boolean;
}

interface Owned {
  shard: PartitionShard;
  sink: TransactionalSink;
  /** The partition's work chain: batches and timer flushes run one after another (revocation waits for it). */
  busy: Promise<void>;
  fenced: boolean;
  resetting: boolean;
  failures: number;
  pending: Pending | null;
  flushTimer: NodeJS.Timeout | null;
}

/** The transactional.id of the producer for input partition `p` (stable across members and restarts). */
export function transactionalIdFor(groupId: string, topic: string, partition: number): string {
  return `${groupId}-${topic}-${partition}`;
}

/**
 * Where releases before positions.ts kept the emitted-through positions (read once when a partition's commit is in
 * that layout; never written any more).
 */
export function emittedGroupFor(groupId: string): string {
  return `${groupId}.emitted`;
}

function isFencing(e: unknown): boolean {
  const err = e as { type?: string; name?: string; message?: string; cause?: unknown } | null;
  if (err === null || typeof err !== 'object') return false;
  const t = err.type ?? '';
  if (t === 'INVALID_PRODUCER_EPOCH' || t === 'PRODUCER_FENCED' || t === 'TRANSACTION_COORDINATOR_FENCED') return true;
  if (/fenced|producer epoch/i.test(err.message ?? '')) return true;
  return err.cause !== undefined && err.cause !== e ? isFencing(err.cause) : false;
}

function toBigOrNull(offset: string | undefined): bigint | null {
  if (offset === undefined) return null;
  const v = BigInt(offset);
  return v < 0n ? null : v;
}

export async function startDetect(config: DetectConfig, deps: DetectDeps): Promise<DetectHandle> {
  const logger =
    deps.logger ??
    createLogger('detect', {
      level: config.logLevel,
      base: { instance: config.instanceId, ...(config.podName ? { pod: config.podName } : {}) },
    });
  const metrics = new DetectMetrics(deps.registry);
  const hooks = deps.hooks ?? {};
  const tracer = trace.getTracer('wmi-detect-detect');
  const topic = config.topics.packets;
  const groupId = config.groupId;
  const emittedGroup = emittedGroupFor(groupId);
  metrics.rulesLoaded.set(deps.engine.ruleSet.rules.length);

  const client: KafkaClient = deps.client ?? createKafkajsClient({ ...config.kafka, logger });
  const owned = new Map<number, Owned>();
  const pendingAssign = new Set<number>();
  let joined = false;
  let stopping = false;
  let killed = false;
  let abandon = false;
  /** Producers a test kill left with open transactions (closed by a later stop()). */
  const abandoned: TransactionalSink[] = [];
  let failReason: Error | null = null;
  let rejectFailed!: (e: Error) => void;
  const failed = new Promise<never>((_, reject) => {
    rejectFailed = reject;
  });
  failed.catch(() => {}); // observed by main(); a test that never looks must not see an unhandled rejection
  const timers = new Set<NodeJS.Timeout>();

  const fail = (e: Error) => {
    if (failReason !== null) return;
    failReason = e;
    logger.error('detect failed; exiting', { error: e });
    rejectFailed(e);
  };

  const ready = () =>
    joined &&
    !stopping &&
    failReason === null &&
    pendingAssign.size === 0 &&
    [...owned.values()].every((o) => o.shard.restored && !o.fenced && !o.resetting);

  // Engine counters of the owned shards, read at scrape time. They restart with a shard (reassignment, reset), so
  // they are gauges: what the state held now has seen. Kinds once seen stay exported (0 when gone).
  const problemKinds = new Set<string>();
  metrics.registry.gauge(
    'wmi_detect_engine_problems',
    'Undecodable frames and PDUs by kind (packet.*, dcerpc.*, wmi.*), summed over the owned partitions since their state was built',
    (g) => {
      const sum = new Map<string, number>();
      for (const o of owned.values())
        for (const [k, v] of Object.entries(o.shard.engineStats().problems)) sum.set(k, (sum.get(k) ?? 0) + v);
      for (const k of sum.keys()) problemKinds.add(k);
      for (const k of problemKinds) g.set(sum.get(k) ?? 0, { kind: k });
    },
  );
  const stubMemory = metrics.registry.gauge(
    'wmi_detect_stub_memory_bytes',
    'DCE/RPC stub reassembly memory in use, per owned partition',
    (g) => {
      for (const o of owned.values()) g.set(o.shard.engineStats().stub_memory.used, { partition: o.shard.partition });
    },
  );

  const updateGauges = () => {
    metrics.shards.set(owned.size);
    let restoring = 0;
    for (const o of owned.values()) if (!o.shard.restored || o.resetting) restoring++;
    metrics.restoring.set(restoring + pendingAssign.size);
  };

  const ops: OpsServer | null =
    deps.ops === false
      ? null
      : await startOpsServer({
          port: config.opsPort,
          registry: metrics.registry,
          checks: [
            { name: 'group_member', ready: () => joined && failReason === null },
            {
              name: 'state_restored',
              ready: () =>
                pendingAssign.size === 0 && [...owned.values()].every((o) => o.shard.restored && !o.resetting),
            },
            { name: 'not_fenced', ready: () => [...owned.values()].every((o) => !o.fenced) },
            { name: 'not_stopping', ready: () => !stopping },
          ],
        });

  const admin: KafkaAdmin = client.admin();
  const source: RecordSource = client.source({ readCommitted: true, ...deps.source, groupId });

  const newSink = async (partition: number): Promise<TransactionalSink> => {
    const sink = client.transactionalSink({ transactionalId: transactionalIdFor(groupId, topic, partition) });
    await sink.connect();
    return sink;
  };

  const emit = (ev: ShardEvent) => {
    try {
      hooks.onShardEvent?.(ev, ready());
    } catch (e) {
      logger.warn('shard event hook threw', { error: e as Error });
    }
  };

  // --- rebalances --------------------------------------------------------------------------------------------------

  source.onAssigned(async (tps) => {
    // A rebalance while leaving the group (other members' partitions coming back to us) is not ours to serve.
    if (stopping) return;
    joined = true;
    const mine = tps.filter((tp) => tp.topic === topic);
    for (const tp of mine) pendingAssign.add(tp.partition);
    updateGauges();
    const sinks: TransactionalSink[] = [];
    try {
      // Fence first: once our producer for p is registered, the previous owner can neither commit nor produce for
      // p, so the positions read next are final.
      const settled = await Promise.allSettled(mine.map((tp) => newSink(tp.partition)));
      for (const r of settled) if (r.status === 'fulfilled') sinks.push(r.value);
      const refused = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (refused !== undefined) throw refused.reason;
      // Both positions of a partition are one committed offset (positions.ts), read atomically. A commit of an
      // earlier release keeps emitted-through in `<group>.emitted`, committed in the same transactions.
      const committed = await admin.fetchCommitted(groupId, topic);
      const read = mine.map((tp) => decodePositions(committed.find((s) => s.partition === tp.partition)));
      const marks = read.some((r) => r.kind === 'legacy') ? await admin.fetchCommitted(emittedGroup, topic) : [];
      mine.forEach((tp, i) => {
        const p = tp.partition;
        const r = read[i];
        const cp: Checkpoint =
          r.kind === 'positions'
            ? r.positions
            : r.kind === 'legacy'
              ? { replayFrom: r.replayFrom, emittedNext: toBigOrNull(marks.find((s) => s.partition === p)?.offset) }
              : { replayFrom: null, emittedNext: null };
        if (r.kind === 'legacy') logger.info('read positions in the layout of an earlier release', { partition: p });
        const shard = new PartitionShard(
          {
            topic,
            partition: p,
            engine: deps.engine,
            detectionsTopic: config.topics.detections,
            dlqTopic: config.topics.dlq,
            instanceId: config.instanceId,
            maxReplayRecords: config.maxReplayRecords,
            metrics,
          },
          cp,
        );
        if (cp.replayFrom !== null) source.seek({ topic, partition: p, offset: cp.replayFrom.toString() });
        owned.set(p, {
          shard,
          sink: sinks[i],
          busy: Promise.resolve(),
          fenced: false,
          resetting: false,
          failures: 0,
          pending: null,
          flushTimer: null,
        });
        pendingAssign.delete(p);
        logger.info('partition assigned', {
          partition: p,
          replayFrom: cp.replayFrom?.toString() ?? null,
          emittedNext: cp.emittedNext?.toString() ?? null,
          restored: shard.restored,
        });
        emit({
          type: 'assigned',
          partition: p,
          replayFrom: cp.replayFrom?.toString() ?? null,
          emittedNext: cp.emittedNext?.toString() ?? null,
        });
        if (shard.restored) emit({ type: 'restored', partition: p, replayed: 0 });
      });
    } catch (e) {
      for (const tp of mine) pendingAssign.delete(tp.partition);
      const adopted = new Set([...owned.values()].map((o) => o.sink));
      await Promise.all(sinks.filter((k) => !adopted.has(k)).map((k) => k.close().catch(() => {})));
      if (stopping) return;
      // Without a producer or the committed positions this member cannot process what it was given; a restart
      // (and the rebalance it causes) is the recovery.
      fail(new Error(`cannot take over partitions ${mine.map((t) => t.partition).join(',')}: ${(e as Error).message}`));
      throw e;
    } finally {
      updateGauges();
    }
  });

  source.onRevoked(async (tps) => {
    joined = true;
    for (const tp of tps) {
      if (tp.topic !== topic) continue;
      const o = owned.get(tp.partition);
      pendingAssign.delete(tp.partition);
      if (o === undefined) continue;
      owned.delete(tp.partition);
      if (o.fenced || o.resetting) {
        metrics.paused.dec();
        // Our own pause must not outlive the ownership (the adapter would re-apply it on re-assignment). When the
        // consumer is already stopped (revocation at close) there is nothing to resume.
        if (!stopping) {
          try {
            source.resume([tp]);
          } catch (e) {
            logger.warn('resuming a revoked partition failed', { partition: tp.partition, error: e as Error });
          }
        }
      }
      await o.busy;
      // Commit what waits (the new owner fenced us first if it got there, and then this fails harmlessly);
      // otherwise it would replay it. At stop() this already happened.
      if (!stopping && o.pending !== null) await flush(tp.partition, o);
      else dropPending(o);
      try {
        await o.sink.close();
      } catch (e) {
        logger.warn('closing the producer of a revoked partition failed', {
          partition: tp.partition,
          error: e as Error,
        });
      }
      metrics.liveConnections.set(0, { partition: tp.partition });
      stubMemory.set(0, { partition: tp.partition });
      logger.info('partition revoked', { partition: tp.partition });
      emit({ type: 'revoked', partition: tp.partition });
    }
    updateGauges();
  });

  // A member can get no partition at all (more members than partitions, or a rebalance in progress); onAssigned
  // then never runs, and without this it would never report itself a group member.
  source.onJoined((tps) => {
    if (stopping) return;
    joined = true;
    updateGauges();
    const mine = tps.filter((tp) => tp.topic === topic).map((tp) => tp.partition);
    if (mine.length === 0) logger.info('joined the group with no partition: idle until a rebalance assigns one');
    try {
      hooks.onJoined?.(mine, ready());
    } catch (e) {
      logger.warn('joined hook threw', { error: e as Error });
    }
  });

  source.onError((error, fatal) => {
    if (fatal) fail(error);
    else logger.warn('consumer error; the client rejoins', { error });
  });

  // --- failure → reset -----------------------------------------------------------------------------------------------

  const dropPending = (o: Owned) => {
    o.pending = null;
    if (o.flushTimer !== null) clearTimeout(o.flushTimer);
    o.flushTimer = null;
  };

  const scheduleReset = (p: number, o: Owned, error: Error) => {
    // The work waiting for a transaction is thrown away with the state: the replay produces it again.
    dropPending(o);
    o.resetting = true;
    o.failures++;
    const tp: TopicPartition = { topic, partition: p };
    source.pause([tp]);
    metrics.paused.inc();
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(o.failures - 1, 10));
    logger.warn('output transaction failed; replaying the partition from its last commit after a pause', {
      partition: p,
      delayMs: delay,
      error,
    });
    emit({ type: 'reset', partition: p, error: error.message });
    updateGauges();
    const timer = setTimeout(async () => {
      timers.delete(timer);
      if (owned.get(p) !== o || stopping) return;
      try {
        await o.sink.close().catch(() => {});
        o.sink = await newSink(p);
      } catch (e) {
        if (owned.get(p) === o) scheduleReset(p, o, e as Error);
        return;
      }
      if (owned.get(p) !== o || stopping) return;
      o.shard.reset();
      const start = o.shard.startOffset;
      if (start !== null) source.seek({ topic, partition: p, offset: start.toString() });
      o.resetting = false;
      metrics.paused.dec();
      source.resume([tp]);
      updateGauges();
      emit({ type: 'resumed', partition: p });
    }, delay);
    timers.add(timer);
  };

  /** A transaction that failed: fenced → paused until revoked; anything else → reset and replay. */
  const commitFailed = (p: number, o: Owned, e: unknown, span: Span) => {
    span.recordException(e as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
    if (killed || owned.get(p) !== o) return;
    metrics.transactions.inc({ result: 'failed' });
    if (isFencing(e)) {
      dropPending(o);
      o.fenced = true;
      source.pause([{ topic, partition: p }]);
      metrics.paused.inc();
      logger.warn('producer fenced: another member owns this partition now; paused until revoked', { partition: p });
      emit({ type: 'fenced', partition: p });
    } else {
      scheduleReset(p, o, e as Error);
    }
  };

  // --- the output transaction -------------------------------------------------------------------------------------

  /**
   * Commits what `o.pending` holds in ONE transaction: the detections and dead letters and both positions (one
   * offset of the group, positions.ts). Throws when the transaction failed (aborted).
   */
  const commitPending = async (p: number, o: Owned): Promise<void> => {
    const pend = o.pending;
    if (pend === null) return;
    dropPending(o);
    const prev = o.shard.lastCommitted;
    const next: Checkpoint = { replayFrom: pend.replayFrom, emittedNext: pend.emittedNext };
    const positions = {
      replayFrom: pend.replayFrom.toString(),
      emittedNext: pend.emittedNext.toString(),
      outputs: pend.outputs.length,
    };
    if (hooks.beforeCommit) await hooks.beforeCommit(p, positions);
    if (killed) return;
    const moved = prev.replayFrom !== next.replayFrom || prev.emittedNext !== next.emittedNext;
    if (pend.outputs.length > 0 || moved) {
      const t1 = performance.now();
      const txn = await o.sink.begin();
      try {
        await txn.send(pend.outputs);
        // Both positions in one offset of the group (positions.ts), sent only when they changed.
        if (moved) await txn.sendOffsets(groupId, [{ topic, partition: p, ...encodePositions(pend) }]);
        if (hooks.beforeTxnCommit) await hooks.beforeTxnCommit(p);
        if (killed) {
          if (!abandon) await txn.abort().catch(() => {});
          return;
        }
        await txn.commit();
      } catch (e) {
        await txn.abort().catch(() => {});
        throw e;
      }
      metrics.commitSeconds.observe((performance.now() - t1) / 1000);
      metrics.transactions.inc({ result: 'committed' });
    }
    o.shard.markCommitted(next);
    o.failures = 0;
    hooks.afterCommit?.(p, { replayFrom: positions.replayFrom, emittedNext: positions.emittedNext });
    if (pend.restoredIn) {
      logger.info('partition restored', { partition: p, emittedNext: positions.emittedNext });
      emit({ type: 'restored', partition: p, replayed: pend.replayed });
      updateGauges();
    }
  };

  /** Commits a partition's pending work outside a batch (commit interval elapsed, revocation, stop). */
  const flush = async (p: number, o: Owned): Promise<void> => {
    if (o.pending === null || o.fenced || o.resetting || killed) return;
    const span = tracer.startSpan('detect.commit', {
      attributes: { 'messaging.destination.partition.id': String(p), 'wmi.outputs': o.pending.outputs.length },
    });
    try {
      await commitPending(p, o);
    } catch (e) {
      commitFailed(p, o, e, span);
    } finally {
      span.end();
    }
  };

  const armFlush = (p: number, o: Owned, delayMs: number) => {
    if (o.flushTimer !== null) return;
    o.flushTimer = setTimeout(
      () => {
        o.flushTimer = null;
        if (owned.get(p) !== o || stopping) return; // stop() and revocation flush by themselves
        o.busy = o.busy.then(() => flush(p, o));
      },
      Math.max(0, delayMs),
    );
  };

  // --- the batch handler ----------------------------------------------------------------------------------------------

  /**
   * Runs a batch through the partition's shard and folds its outputs and positions into the pending transaction,
   * which commits when DETECT_COMMIT_INTERVAL_MS has passed since its first batch, when it holds
   * DETECT_COMMIT_MAX_OUTPUTS records, or when the shard just finished its replay — else a timer commits it.
   * Uncommitted work is never visible: a crash loses it and the replay from the committed start produces it again.
   */
  const handle = async (batch: RecordBatch, ctx: { heartbeat(): Promise<void>; isStale(): boolean }) => {
    const p = batch.partition;
    const o = owned.get(p);
    if (o === undefined || o.fenced || o.resetting || killed) return;
    const span: Span = tracer.startSpan('detect.batch', {
      links: producerLinks(batch),
      attributes: {
        'messaging.system': 'kafka',
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': String(p),
        'messaging.batch.message_count': batch.records.length,
      },
    });
    try {
      const wasRestored = o.shard.restored;
      const t0 = performance.now();
      const out = o.shard.process(batch.records, BigInt(batch.nextOffset));
      metrics.batchSeconds.observe((performance.now() - t0) / 1000);
      metrics.lag.set(Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(batch.nextOffset))), { partition: p });
      span.setAttribute('wmi.outputs', out.outputs.length);
      span.setAttribute('wmi.replayed', out.replayed);
      if (ctx.isStale()) {
        // The partition is being taken away or re-read: whatever the state became, it is not what was committed.
        span.setAttribute('wmi.stale', true);
        if (owned.get(p) === o && !killed) {
          dropPending(o);
          o.shard.reset();
          const start = o.shard.startOffset;
          if (start !== null) source.seek({ topic, partition: p, offset: start.toString() });
        }
        return;
      }
      const pend: Pending = o.pending ?? {
        outputs: [],
        replayFrom: out.replayFrom,
        emittedNext: out.emittedNext,
        since: t0,
        replayed: 0,
        restoredIn: false,
      };
      for (const r of out.outputs) pend.outputs.push(r);
      pend.replayFrom = out.replayFrom;
      pend.emittedNext = out.emittedNext;
      pend.replayed += out.replayed;
      if (!wasRestored && o.shard.restored) pend.restoredIn = true;
      o.pending = pend;
      const age = performance.now() - pend.since;
      const due =
        config.commitIntervalMs === 0 ||
        age >= config.commitIntervalMs ||
        pend.outputs.length >= config.commitMaxOutputs ||
        pend.restoredIn;
      hooks.afterProcess?.(p, { records: out.records, pendingOutputs: pend.outputs.length, committingNow: due });
      if (due) {
        await ctx.heartbeat();
        await commitPending(p, o);
      } else {
        armFlush(p, o, config.commitIntervalMs - age);
      }
    } catch (e) {
      commitFailed(p, o, e, span);
    } finally {
      span.end();
    }
  };

  let inFlight: Promise<void> = Promise.resolve();

  try {
    await admin.connect();
    await source.connect();
    await source.subscribe([topic], { fromBeginning: true });
    await source.run((batch, ctx) => {
      const o = owned.get(batch.partition);
      // After a timer flush of the same partition that may still be committing.
      const work = o === undefined ? handle(batch, ctx) : o.busy.then(() => handle(batch, ctx));
      inFlight = work;
      if (o !== undefined) o.busy = work;
      return work;
    });
  } catch (e) {
    await ops?.close();
    await source.close().catch(() => {});
    await admin.close().catch(() => {});
    throw e;
  }
  logger.info('detect running', { groupId, topic, rulesLoaded: deps.engine.ruleSet.rules.length });

  const shutdown = async (hard: boolean, abandonTransactions = false) => {
    if (stopping) {
      // a stop() after a kill that abandoned transactions releases those producers
      await Promise.all(abandoned.splice(0).map((k) => k.close().catch(() => {})));
      return;
    }
    stopping = true;
    killed = hard;
    abandon = hard && abandonTransactions;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    for (const o of owned.values()) if (o.flushTimer !== null) clearTimeout(o.flushTimer);
    const assigned = source.assignment();
    // Stop fetching first, so the batch in flight is the last one.
    if (!hard && assigned.length > 0) source.pause(assigned);
    if (abandon) {
      // A dead process: its producers neither commit nor abort; the revocation below must not close them either.
      for (const o of owned.values()) abandoned.push(o.sink);
      owned.clear();
    } else if (hard) {
      // A crash: nothing in flight gets committed; open transactions die with their producers.
      await Promise.all([...owned.values()].map((o) => o.sink.close().catch(() => {})));
    } else {
      await inFlight.catch(() => {});
      // Graceful: what waits for its transaction commits before the group is left.
      await Promise.all(
        [...owned].map(([p, o]) => {
          o.busy = o.busy.then(() => flush(p, o));
          return o.busy;
        }),
      );
    }
    await source.close().catch((e) => logger.warn('leaving the group failed', { error: e as Error }));
    await Promise.all([...owned.values()].map((o) => o.sink.close().catch(() => {})));
    owned.clear();
    await admin.close().catch(() => {});
    await ops?.close();
    logger.info(hard ? 'detect killed' : 'detect stopped');
  };

  return {
    opsPort: ops?.port ?? -1,
    metrics,
    instanceId: config.instanceId,
    ready,
    stop: () => shutdown(false),
    kill: (opts) => shutdown(true, opts?.abandonTransactions === true),
    failed,
  };
}
