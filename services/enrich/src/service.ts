/**
 * The enrich service: detections in, enriched alerts out, exactly once per input record.
 *
 *   TOPIC_REF_ASSETS ─┐  own throw-away group, from the beginning, never committed: every instance needs all of it
 *   TOPIC_REF_WHITELIST ┴→ ReferenceData (hot: applied as records arrive, also after readiness)
 *
 *   TOPIC_DETECTIONS ──(group ENRICH_GROUP_ID, read_committed)──→ Enricher ──→ one transaction per fetched batch:
 *        alerts not whitelisted, dcerpc_session and other records → TOPIC_ALERTS     (key = the input key: host pair)
 *        whitelisted alerts                                        → TOPIC_SUPPRESSED
 *        undecodable records                                       → TOPIC_DLQ (reason + source in headers)
 *        + sendOffsets(batch end)                                   so output and progress commit together
 *
 * Order of start: the reference topics are read up to the end offsets they had at start BEFORE the detections
 * source joins its group — an alert processed with half a whitelist would reach the SIEM although an entry covers
 * it. /readyz reports the same three facts (connected, files loaded, topics read to end).
 *
 * Duplicates: a detector replaying from its safe offset re-emits alerts with the same deterministic alert_id; the
 * AlertDedup window drops them. Ids first seen in a batch whose transaction did not commit are forgotten again
 * (Kafka redelivers that batch, and it must not be mistaken for its own duplicate). The window lives in memory but
 * is rebuilt at start from the committed tail of the output topics, and then follows them, so it survives restarts
 * and also learns what other replicas forwarded (docs/architecture.md).
 */

import { randomBytes } from 'node:crypto';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { KafkaClient, OutgoingRecord, RecordBatch, RecordSource, TransactionalSink } from '@wmi-detect/kafka';
import { type Logger, Registry } from '@wmi-detect/ops';
import { DLQ_HEADERS } from '@wmi-detect/wire';
import type { EnrichTopics } from './config.js';
import { AlertDedup } from './dedup.js';
import { Enricher } from './enricher.js';
import type { ApplyOutcome, ReferenceData, ReferenceKind } from './reference.js';

/** DLQ headers (docs/configuration.md §5), shared with detect. */
export { DLQ_HEADERS };

export interface EnrichServiceOptions {
  readonly client: KafkaClient;
  readonly groupId: string;
  readonly topics: EnrichTopics;
  readonly reference: ReferenceData;
  /** transactional.id of the output producer; unique among live enrich workers. */
  readonly transactionalId: string;
  readonly logger: Logger;
  readonly registry?: Registry;
  /** Alert ids remembered for de-duplication (default 200 000). */
  readonly dedupCapacity?: number;
  /** Wall clock for whitelist expiry (default Date.now). */
  readonly now?: () => number;
}

export interface EnrichStats {
  readonly in: number;
  readonly alerts: number;
  readonly suppressed: number;
  readonly duplicates: number;
  readonly dlq: number;
  readonly referenceApplied: Record<ReferenceKind, number>;
  readonly referenceRejected: Record<ReferenceKind, number>;
}

export type EnrichEvent =
  | { type: 'reference'; outcome: ApplyOutcome }
  | { type: 'reference-caught-up' }
  | { type: 'dedup-seeded'; ids: number }
  | { type: 'batch'; topic: string; partition: number; nextOffset: string; records: number };

interface Decoded {
  ok: true;
  record: Record<string, unknown>;
}
interface Undecodable {
  ok: false;
  reason: string;
}

/** A detection record's value: UTF-8 JSON of one EVE-style object with a string `event_type`. */
export function decodeDetection(value: Buffer | null): Decoded | Undecodable {
  if (value === null) return { ok: false, reason: 'record has no value' };
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (e) {
    return { ok: false, reason: `value is not JSON: ${(e as Error).message}` };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    return { ok: false, reason: 'value is not a JSON object' };
  const rec = json as Record<string, unknown>;
  if (typeof rec.event_type !== 'string') return { ok: false, reason: 'record has no string "event_type"' };
  if (rec.event_type === 'alert' && typeof rec.alert_id !== 'string')
    return { ok: false, reason: 'alert record has no string "alert_id"' };
  return { ok: true, record: rec };
}

/** The alert_id of a record on an output topic, or undefined for sessions, tags and anything unreadable. */
export function forwardedAlertId(headers: Readonly<Record<string, Buffer>>, value: Buffer | null): string | undefined {
  const type = headers.event_type?.toString();
  const id = headers.alert_id?.toString();
  if (type !== undefined && id !== undefined) return type === 'alert' ? id : undefined;
  // Without detect's headers (another producer): the value says it.
  const d = decodeDetection(value);
  return d.ok && d.record.event_type === 'alert' ? (d.record.alert_id as string) : undefined;
}

const tracer = trace.getTracer('wmi-detect-enrich');

export class EnrichService {
  private readonly o: EnrichServiceOptions;
  private readonly dedup: AlertDedup;
  private readonly enricher: Enricher;
  private readonly registry: Registry;
  private readonly listeners = new Set<(e: EnrichEvent) => void>();
  private readonly fatalListeners = new Set<(e: Error) => void>();

  private refSource: RecordSource | null = null;
  private source: RecordSource | null = null;
  private sink: TransactionalSink | null = null;

  private connected = false;
  private caughtUp = false;
  private consuming = false;
  private failed: Error | null = null;
  private stopping: Promise<void> | null = null;
  /** Reference partitions not yet read to the end offset they had at start: key → target offset. */
  private readonly refTargets = new Map<string, bigint>();
  private caughtUpResolve: (() => void) | null = null;
  private outSource: RecordSource | null = null;
  /** This process's own reader groups (reference topics, de-duplication window): deleted at stop. */
  private readonly throwAwayGroups: string[] = [];
  /** Output partitions not yet read up to the end offsets they had at start: key → target offset. */
  private readonly outTargets = new Map<string, bigint>();
  private dedupSeeded = false;
  private dedupSeededResolve: (() => void) | null = null;

  private readonly counts = { in: 0, alerts: 0, suppressed: 0, duplicates: 0, dlq: 0 };
  private readonly m;

  constructor(opts: EnrichServiceOptions) {
    this.o = opts;
    this.dedup = new AlertDedup(opts.dedupCapacity ?? 200_000);
    this.enricher = new Enricher({
      assets: () => opts.reference.assets,
      whitelist: () => opts.reference.whitelist,
      dedup: this.dedup,
    });
    const r = opts.registry ?? new Registry();
    this.registry = r;
    const ref = opts.reference;
    this.m = {
      in: r.counter('wmi_enrich_records_in_total', 'Detection records consumed (committed batches)'),
      out: r.counter('wmi_enrich_records_out_total', 'Records produced, by destination (alerts, suppressed, dlq)'),
      suppressed: r.counter('wmi_enrich_suppressed_total', 'Alerts moved to the suppressed topic by a whitelist entry'),
      duplicates: r.counter('wmi_enrich_duplicates_total', 'Alerts dropped because their alert_id was already seen'),
      dlq: r.counter('wmi_enrich_dlq_total', 'Detection records that could not be decoded, sent to the DLQ'),
      txAborts: r.counter('wmi_enrich_transaction_aborts_total', 'Output transactions aborted (batch redelivered)'),
      refApplied: r.counter('wmi_enrich_reference_reloads_total', 'Reference topic records applied, by kind'),
      refRejected: r.counter('wmi_enrich_reference_rejected_total', 'Invalid reference topic records, by kind'),
      refEntries: r.gauge('wmi_enrich_reference_entries', 'Reference entries in effect, by kind', (g) => {
        g.set(ref.assets.size, { kind: 'assets' });
        g.set(ref.whitelist.size, { kind: 'whitelist' });
      }),
      dedupIds: r.gauge('wmi_enrich_dedup_ids', 'Alert ids in the de-duplication window', (g) =>
        g.set(this.dedup.size),
      ),
      batch: r.histogram('wmi_enrich_batch_seconds', 'Time to enrich and commit one fetched batch'),
    };
  }

  /** Readiness checks for /readyz, named as the failing check is reported. */
  readinessChecks(): { name: string; ready(): boolean }[] {
    return [
      { name: 'kafka_connected', ready: () => this.connected && this.failed === null },
      { name: 'reference_topics_read_to_end', ready: () => this.caughtUp },
      { name: 'dedup_window_rebuilt', ready: () => this.dedupSeeded },
      { name: 'consuming_detections', ready: () => this.consuming && this.failed === null },
    ];
  }

  get metrics(): Registry {
    return this.registry;
  }

  get ready(): boolean {
    return this.readinessChecks().every((c) => c.ready());
  }

  stats(): EnrichStats {
    return {
      ...this.counts,
      referenceApplied: { ...this.o.reference.applied },
      referenceRejected: { ...this.o.reference.rejected },
    };
  }

  /** Observes what the service does (tests wait on these instead of sleeping). */
  on(listener: (e: EnrichEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called once if a Kafka client stops for good; the process should exit non-zero and be restarted. */
  onFatal(listener: (e: Error) => void): () => void {
    this.fatalListeners.add(listener);
    return () => this.fatalListeners.delete(listener);
  }

  private emit(e: EnrichEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.o.logger.error('event listener failed', { error: err as Error });
      }
    }
  }

  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = e;
    this.o.logger.error('kafka client stopped for good', { error: e });
    for (const l of this.fatalListeners) l(e);
  }

  /** Connects, reads the reference topics to their end, then joins the detections group. Resolves when consuming. */
  async start(): Promise<void> {
    const { client, topics, logger } = this.o;
    const admin = client.admin();
    await admin.connect();
    try {
      for (const topic of [topics.refAssets, topics.refWhitelist]) {
        for (const p of await admin.fetchOffsets(topic)) {
          const high = BigInt(p.high);
          if (high > BigInt(p.low)) this.refTargets.set(`${topic}:${p.partition}`, high);
        }
      }
    } finally {
      await admin.close();
    }

    this.sink = client.transactionalSink({ transactionalId: this.o.transactionalId });
    await this.sink.connect();

    // A group of its own per process: every instance must read every reference record, and nothing is committed,
    // so the next start reads the compacted topics from the beginning again.
    const refGroup = `${this.o.groupId}-reference-${randomBytes(6).toString('hex')}`;
    this.throwAwayGroups.push(refGroup);
    this.refSource = client.source({ groupId: refGroup, readCommitted: true, maxWaitTimeMs: 200 });
    this.refSource.onError((e, fatal) => {
      if (fatal) this.fail(e);
    });
    const caughtUp = new Promise<void>((resolve) => {
      this.caughtUpResolve = resolve;
    });
    this.checkCaughtUp();
    await this.refSource.connect();
    await this.refSource.subscribe([topics.refAssets, topics.refWhitelist], { fromBeginning: true });
    await this.refSource.run(async (batch) => this.onReferenceBatch(batch));
    this.connected = true;
    logger.info('reading reference topics', {
      topics: [topics.refAssets, topics.refWhitelist],
      partitionsToRead: this.refTargets.size,
    });
    await caughtUp;
    if (this.stopping) return;
    await this.seedDedup();
    if (this.stopping) return;

    this.source = client.source({ groupId: this.o.groupId, readCommitted: true });
    this.source.onError((e, fatal) => {
      if (fatal) this.fail(e);
      else logger.warn('detections consumer restarting', { error: e });
    });
    await this.source.connect();
    await this.source.subscribe([topics.detections], { fromBeginning: true });
    await this.source.run((batch, ctx) => this.onDetectionBatch(batch, ctx));
    this.consuming = true;
    logger.info('consuming detections', { topic: topics.detections, groupId: this.o.groupId });
  }

  /**
   * The de-duplication window outlives a restart or a rebalance by being rebuilt from what was actually forwarded:
   * the committed tail of TOPIC_ALERTS and TOPIC_SUPPRESSED (at most the window's capacity, spread over their
   * partitions) is read before the detections group is joined, and then followed, so ids forwarded by another
   * replica (a partition that moved) enter this replica's window too. Aborted output is invisible (read_committed).
   */
  private async seedDedup(): Promise<void> {
    const { client, topics, logger } = this.o;
    const capacity = this.o.dedupCapacity ?? 200_000;
    const admin = client.admin();
    const starts = new Map<string, string>();
    await admin.connect();
    try {
      const parts: { topic: string; low: bigint; high: bigint; partition: number }[] = [];
      for (const topic of [topics.alerts, topics.suppressed])
        for (const p of await admin.fetchOffsets(topic))
          parts.push({ topic, partition: p.partition, low: BigInt(p.low), high: BigInt(p.high) });
      const perPartition = BigInt(Math.max(1, Math.floor(capacity / Math.max(1, parts.length))));
      for (const p of parts) {
        if (p.high <= p.low) continue;
        const from = p.high - perPartition > p.low ? p.high - perPartition : p.low;
        starts.set(`${p.topic}:${p.partition}`, from.toString());
        this.outTargets.set(`${p.topic}:${p.partition}`, p.high);
      }
    } finally {
      await admin.close();
    }
    const seeded = new Promise<void>((resolve) => {
      this.dedupSeededResolve = resolve;
    });
    this.checkDedupSeeded();
    const dedupGroup = `${this.o.groupId}-dedup-${randomBytes(6).toString('hex')}`;
    this.throwAwayGroups.push(dedupGroup);
    const src = client.source({
      groupId: dedupGroup,
      readCommitted: true,
      maxWaitTimeMs: 200,
    });
    this.outSource = src;
    src.onError((e, fatal) => {
      if (fatal) this.fail(e);
    });
    // Start each partition at its window, not at the beginning of the topic's retention.
    src.onAssigned((tps) => {
      for (const tp of tps) {
        const offset = starts.get(`${tp.topic}:${tp.partition}`);
        if (offset !== undefined) src.seek({ ...tp, offset });
      }
    });
    await src.connect();
    await src.subscribe([topics.alerts, topics.suppressed], { fromBeginning: true });
    await src.run(async (batch) => {
      for (const rec of batch.records) {
        const id = forwardedAlertId(rec.headers, rec.value);
        if (id !== undefined) this.dedup.firstTime(id);
      }
      const key = `${batch.topic}:${batch.partition}`;
      const target = this.outTargets.get(key);
      if (target !== undefined && BigInt(batch.nextOffset) >= target) {
        this.outTargets.delete(key);
        this.checkDedupSeeded();
      }
    });
    await seeded;
    logger.info('de-duplication window rebuilt from the output topics', {
      ids: this.dedup.size,
      partitions: starts.size,
    });
  }

  private checkDedupSeeded(): void {
    if (this.dedupSeeded || this.outTargets.size > 0) return;
    this.dedupSeeded = true;
    this.dedupSeededResolve?.();
    this.emit({ type: 'dedup-seeded', ids: this.dedup.size });
  }

  private checkCaughtUp(): void {
    if (this.caughtUp || this.refTargets.size > 0) return;
    this.caughtUp = true;
    this.o.logger.info('reference topics read to their end offsets', {
      assets: this.o.reference.assets.size,
      whitelist: this.o.reference.whitelist.size,
    });
    this.caughtUpResolve?.();
    this.emit({ type: 'reference-caught-up' });
  }

  private async onReferenceBatch(batch: RecordBatch): Promise<void> {
    const { topics, reference, logger } = this.o;
    const kind: ReferenceKind = batch.topic === topics.refAssets ? 'assets' : 'whitelist';
    for (const rec of batch.records) {
      const outcome = reference.apply(kind, rec.key, rec.value);
      if (outcome.action === 'rejected') {
        this.m.refRejected.inc({ kind });
        logger.warn('reference record rejected; the previous state of the entry is kept', {
          kind,
          id: outcome.id,
          reason: outcome.reason,
          topic: rec.topic,
          partition: rec.partition,
          offset: rec.offset,
        });
      } else {
        this.m.refApplied.inc({ kind });
        logger.info('reference entry updated', { kind, id: outcome.id, action: outcome.action, offset: rec.offset });
      }
      this.emit({ type: 'reference', outcome });
    }
    const key = `${batch.topic}:${batch.partition}`;
    const target = this.refTargets.get(key);
    if (target !== undefined && BigInt(batch.nextOffset) >= target) {
      this.refTargets.delete(key);
      this.checkCaughtUp();
    }
  }

  private async onDetectionBatch(
    batch: RecordBatch,
    ctx: { isStale(): boolean; isRunning(): boolean; heartbeat(): Promise<void> },
  ): Promise<void> {
    const t0 = process.hrtime.bigint();
    const { topics, groupId, logger } = this.o;
    const span = tracer.startSpan('enrich batch', {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation': 'process',
        'messaging.destination.name': batch.topic,
        'messaging.kafka.destination.partition': batch.partition,
        'messaging.batch.message_count': batch.records.length,
        'messaging.kafka.consumer.group': groupId,
      },
    });
    const now = (this.o.now ?? Date.now)();
    const out: OutgoingRecord[] = [];
    const fresh: string[] = [];
    const c = { alerts: 0, suppressed: 0, duplicates: 0, dlq: 0 };
    for (const rec of batch.records) {
      const d = decodeDetection(rec.value);
      if (!d.ok) {
        c.dlq++;
        logger.warn('undecodable detection record sent to the DLQ', {
          reason: d.reason,
          topic: rec.topic,
          partition: rec.partition,
          offset: rec.offset,
        });
        out.push({
          topic: topics.dlq,
          key: rec.key,
          value: rec.value,
          headers: {
            [DLQ_HEADERS.reason]: d.reason,
            [DLQ_HEADERS.service]: 'enrich',
            [DLQ_HEADERS.topic]: rec.topic,
            [DLQ_HEADERS.partition]: String(rec.partition),
            [DLQ_HEADERS.offset]: rec.offset,
          },
        });
        continue;
      }
      const alertId = d.record.event_type === 'alert' ? (d.record.alert_id as string) : undefined;
      const r = this.enricher.enrich(d.record, now);
      if (r.route === 'duplicate') {
        c.duplicates++;
        continue;
      }
      if (alertId !== undefined) fresh.push(alertId);
      if (r.route === 'suppressed') c.suppressed++;
      else c.alerts++;
      out.push({
        topic: r.route === 'suppressed' ? topics.suppressed : topics.alerts,
        key: rec.key,
        value: Buffer.from(JSON.stringify(r.record)),
        // detect's headers (event_type, alert_id, session_id, detect.source …) stay: the audit trail back to the packets.
        headers: { ...rec.headers, 'content-type': 'application/json' },
      });
    }

    if (ctx.isStale()) {
      // The partition moved to another member during this batch; it will process these records itself.
      this.dedup.forget(fresh);
      span.setAttribute('wmi.stale', true);
      span.end();
      return;
    }
    const sink = this.sink;
    if (!sink) throw new Error('enrich: output producer not connected');
    const txn = await sink.begin();
    try {
      if (out.length > 0) await txn.send(out);
      await txn.sendOffsets(groupId, [{ topic: batch.topic, partition: batch.partition, offset: batch.nextOffset }]);
      await txn.commit();
    } catch (e) {
      this.dedup.forget(fresh);
      this.m.txAborts.inc();
      try {
        await txn.abort();
      } catch (abortError) {
        logger.warn('transaction abort failed', { error: abortError as Error });
      }
      span.recordException(e as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
      span.end();
      logger.warn('output transaction failed; the batch will be redelivered', {
        topic: batch.topic,
        partition: batch.partition,
        error: e as Error,
      });
      throw e;
    }

    const n = batch.records.length;
    this.counts.in += n;
    this.counts.alerts += c.alerts;
    this.counts.suppressed += c.suppressed;
    this.counts.duplicates += c.duplicates;
    this.counts.dlq += c.dlq;
    this.m.in.inc(undefined, n);
    if (c.alerts) this.m.out.inc({ topic: 'alerts' }, c.alerts);
    if (c.suppressed) {
      this.m.out.inc({ topic: 'suppressed' }, c.suppressed);
      this.m.suppressed.inc(undefined, c.suppressed);
    }
    if (c.dlq) {
      this.m.out.inc({ topic: 'dlq' }, c.dlq);
      this.m.dlq.inc(undefined, c.dlq);
    }
    if (c.duplicates) this.m.duplicates.inc(undefined, c.duplicates);
    this.m.batch.observe(Number(process.hrtime.bigint() - t0) / 1e9);
    span.setAttributes({
      'wmi.enrich.alerts': c.alerts,
      'wmi.enrich.suppressed': c.suppressed,
      'wmi.enrich.duplicates': c.duplicates,
      'wmi.enrich.dlq': c.dlq,
    });
    span.end();
    this.emit({
      type: 'batch',
      topic: batch.topic,
      partition: batch.partition,
      nextOffset: batch.nextOffset,
      records: n,
    });
  }

  /**
   * Graceful stop: the detections consumer finishes the batch in flight (its transaction commits output and offsets
   * together) and leaves the group, then the producer and the reference reader close. Safe to call more than once.
   */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      this.consuming = false;
      const errors: unknown[] = [];
      const step = async (what: string, fn: (() => Promise<void>) | undefined) => {
        if (!fn) return;
        try {
          await fn();
        } catch (e) {
          errors.push(e);
          this.o.logger.warn(`stop: ${what} failed`, { error: e as Error });
        }
      };
      await step('detections consumer', this.source ? () => this.source!.close() : undefined);
      await step('producer', this.sink ? () => this.sink!.close() : undefined);
      await step('reference consumer', this.refSource ? () => this.refSource!.close() : undefined);
      await step('output follower', this.outSource ? () => this.outSource!.close() : undefined);
      // Without this every start would leave two empty groups behind until the broker expires them (7 days),
      // cluttering group listings and lag alerts. A crash still leaves them to that expiry.
      await step(
        'deleting the reader groups',
        this.throwAwayGroups.length > 0
          ? async () => {
              const admin = this.o.client.admin();
              await admin.connect();
              try {
                await admin.deleteGroups(this.throwAwayGroups);
              } finally {
                await admin.close();
              }
            }
          : undefined,
      );
      this.connected = false;
      // A start() still waiting for the reference topics must not hang forever.
      this.caughtUpResolve?.();
      this.dedupSeededResolve?.();
    })();
    return this.stopping;
  }
}
