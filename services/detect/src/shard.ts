/**
 * PartitionShard: the engine state of one partition of TOPIC_PACKETS and the bookkeeping that makes it survive a
 * crash or a rebalance by replay (docs/architecture.md, "Detect: state and delivery").
 *
 * Two positions per partition, both committed in the output transaction (as one offset of DETECT_GROUP_ID and its
 * metadata, positions.ts):
 *
 *   replayFrom   = engine.lowWaterMark() ?? next offset: the earliest record the live state depends on. A new owner
 *                  starts reading here.
 *   emittedNext  = next offset: every record before it has had its detections produced (committed in the same
 *                  transaction).
 *
 *   offsets:  ... replayFrom ............ emittedNext ............ →
 *                 └ replay: state only, output suppressed ┘└ live: state and output
 *
 * A record is the unit of suppression: the engine is synchronous, so every detection is attributed to the record
 * whose frame produced it, and a record below emittedNext produced its detections before.
 *
 * Pure bookkeeping: no Kafka I/O here (the service owns the consumer and the transactional producer), so the
 * replay logic is testable without a broker.
 */
import { Engine, type EngineOptions, type EngineStats, type EveRecord, type RawFrame } from '@wmi-detect/engine';
import type { KafkaRecord, OutgoingRecord } from '@wmi-detect/kafka';
import { decodePacketRecord, rawFrameOf, WireFormatError } from '@wmi-detect/wire';
import type { DetectMetrics } from './metrics.js';
import { deadLetter, detectionRecord } from './output.js';
import { ResendGuard } from './resend-guard.js';

/** Committed positions of a partition (null: nothing committed yet). */
export interface Checkpoint {
  readonly replayFrom: bigint | null;
  readonly emittedNext: bigint | null;
}

export interface ShardOptions {
  readonly topic: string;
  readonly partition: number;
  /** Engine options except onRecord (the shard routes records itself). */
  readonly engine: Omit<EngineOptions, 'onRecord'>;
  readonly detectionsTopic: string;
  readonly dlqTopic: string;
  readonly instanceId: string;
  readonly maxReplayRecords: number;
  readonly metrics: DetectMetrics;
}

/** What one batch produced and the positions to commit with it. */
export interface BatchOutcome {
  readonly outputs: OutgoingRecord[];
  readonly replayFrom: bigint;
  readonly emittedNext: bigint;
  readonly records: number;
  readonly replayed: number;
}

export class PartitionShard {
  readonly topic: string;
  readonly partition: number;
  private readonly opts: ShardOptions;
  private readonly m: DetectMetrics;
  private readonly labels: { partition: number };
  private engine!: Engine;
  /** Last positions committed for this partition (by us or, at assignment, by a predecessor). */
  private committed: Checkpoint;
  /** Records before this offset produce no output (their output exists). */
  private suppressBelow: bigint;
  /** Offset after the last record processed; records below it are re-deliveries and skipped. */
  private nextExpected: bigint | null;
  /** Where this shard's state began when nothing was committed yet (the first offset it saw). */
  private origin: bigint | null = null;
  private restoredFlag = false;
  // per-record context read by the engine's onRecord (set before each record, so no per-frame closure)
  private emitting = true;
  private current: KafkaRecord | null = null;
  private currentSensor = '';
  private outputs: OutgoingRecord[] = [];
  /** Rebuilt with the engine (replay re-reads the same records, so it learns the same keys). */
  private resends = new ResendGuard();

  constructor(opts: ShardOptions, committed: Checkpoint) {
    this.opts = opts;
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.m = opts.metrics;
    this.labels = { partition: opts.partition };
    this.committed = committed;
    this.suppressBelow = 0n;
    this.nextExpected = null;
    this.rebuild('assigned');
  }

  /** True once the state is rebuilt up to the emitted-through position (readiness). */
  get restored(): boolean {
    return this.restoredFlag;
  }

  /** Where the consumer must read from for this shard's state, or null to keep the group's position. */
  get startOffset(): bigint | null {
    return this.committed.replayFrom ?? this.origin;
  }

  get liveConnections(): number {
    return this.engine.liveConnections;
  }

  /** The engine's counters since this shard's state was (re)built. */
  engineStats(): EngineStats {
    return this.engine.stats();
  }

  get lastCommitted(): Checkpoint {
    return this.committed;
  }

  /** The positions of a transaction that committed. */
  markCommitted(c: Checkpoint): void {
    this.committed = c;
  }

  /**
   * Throws the engine state away and starts over from the last committed positions (after a failed transaction:
   * its outputs were aborted, so only what committed counts). The caller seeks the consumer to `startOffset`.
   */
  reset(): void {
    this.rebuild('reset');
  }

  private rebuild(cause: string): void {
    this.engine = new Engine({ ...this.opts.engine, onRecord: (r) => this.onEngineRecord(r) });
    this.resends = new ResendGuard();
    const { replayFrom, emittedNext } = this.committed;
    this.nextExpected = replayFrom ?? this.origin;
    this.suppressBelow = emittedNext ?? 0n;
    this.restoredFlag =
      this.nextExpected !== null ? this.nextExpected >= this.suppressBelow : this.suppressBelow === 0n;
    this.m.restores.inc({ cause });
  }

  /**
   * Runs a batch of this partition through the engine. `batchNext` is the position after the batch (it can be past
   * the last record when the batch ended in transaction markers).
   */
  process(records: readonly KafkaRecord[], batchNext: bigint): BatchOutcome {
    const m = this.m;
    this.outputs = [];
    let processed = 0;
    let replayed = 0;
    for (const rec of records) {
      const offset = BigInt(rec.offset);
      if (this.nextExpected !== null && offset < this.nextExpected) continue; // delivered again after a seek
      if (this.origin === null) this.origin = offset;
      this.nextExpected = offset + 1n;
      processed++;
      this.emitting = offset >= this.suppressBelow;
      if (!this.emitting) replayed++;
      this.current = rec;
      this.processRecord(rec);
    }
    this.current = null;
    if (this.nextExpected === null || batchNext > this.nextExpected) this.nextExpected = batchNext;
    const next = this.nextExpected;
    if (!this.restoredFlag && next >= this.suppressBelow) this.restoredFlag = true;

    let replayFrom = BigInt(this.engine.lowWaterMark() ?? next);
    if (replayFrom > next) replayFrom = next;
    if (next - replayFrom > BigInt(this.opts.maxReplayRecords)) {
      replayFrom = next - BigInt(this.opts.maxReplayRecords);
      m.replayCapped.inc(this.labels);
    }
    // Never claim less was emitted than before: during a replay `next` is still below the old mark.
    let emittedNext = next;
    if (this.suppressBelow > emittedNext) emittedNext = this.suppressBelow;

    m.records.inc(this.labels, processed);
    if (replayed > 0) m.replayRecords.inc(this.labels, replayed);
    m.liveConnections.set(this.engine.liveConnections, this.labels);
    m.replayWindow.set(Number(next - replayFrom), this.labels);
    const outputs = this.outputs;
    this.outputs = [];
    return { outputs, replayFrom, emittedNext, records: processed, replayed };
  }

  private processRecord(rec: KafkaRecord): void {
    const m = this.m;
    if (rec.value === null) {
      this.deadLetter(rec, 'empty value (tombstone) on the packet topic', 'value');
      return;
    }
    let frames: ReturnType<typeof decodePacketRecord>['frames'];
    try {
      const pr = decodePacketRecord(rec.value);
      if (this.resends.isRepeat(pr.sensor, pr.seq, pr.part)) {
        m.resentRecords.inc(this.labels);
        return;
      }
      frames = pr.frames;
      this.currentSensor = pr.sensor;
    } catch (e) {
      if (e instanceof WireFormatError) this.deadLetter(rec, e.message, e.field);
      else this.deadLetter(rec, `undecodable: ${(e as Error).message}`, 'value');
      return;
    }
    const position = Number(rec.offset);
    let bytes = 0;
    try {
      for (const f of frames) {
        const frame: RawFrame = rawFrameOf(f);
        bytes += frame.origLen;
        this.engine.processFrame(frame, position);
      }
    } catch (e) {
      // An engine bug must not stop the partition: the record goes to the DLQ with the reason, the rest continues.
      m.engineErrors.inc(this.labels);
      this.deadLetter(rec, `engine error: ${(e as Error).message}`, 'frames');
    }
    m.frames.inc(this.labels, frames.length);
    m.bytes.inc(this.labels, bytes);
  }

  private deadLetter(rec: KafkaRecord, reason: string, field: string): void {
    // A record below the emitted mark was dead-lettered before; replay must not do it twice.
    if (!this.emitting) return;
    this.m.dlq.inc({ field: field.replace(/\[\d+\]/g, '[]') });
    this.outputs.push(deadLetter(this.opts.dlqTopic, rec, reason, field));
  }

  private onEngineRecord(r: EveRecord): void {
    const rec = this.current;
    if (rec === null) return; // cannot happen: the engine writes only inside processFrame
    if (!this.emitting) {
      this.m.suppressedOutputs.inc(this.labels);
      return;
    }
    if (r.event_type === 'stats') return;
    if (r.event_type === 'alert')
      this.m.alerts.inc({ sid: (r as { alert: { signature_id: number } }).alert.signature_id });
    this.m.outputs.inc({ event_type: r.event_type });
    this.outputs.push(detectionRecord(this.opts.detectionsTopic, r, this.currentSensor, this.opts.instanceId, rec));
  }
}
