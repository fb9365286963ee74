/**
 * Prometheus series of `wmidetect serve detect` (names listed in docs/operations.md). Labels stay small on purpose:
 * `partition` is bounded by the topic's partition count, `sid` by the rule set, `reason` by the wire schema's fields.
 */
import { type Counter, type Gauge, type Histogram, Registry } from '@wmi-detect/ops';

export class DetectMetrics {
  readonly registry: Registry;
  readonly records: Counter;
  readonly frames: Counter;
  readonly bytes: Counter;
  readonly alerts: Counter;
  readonly outputs: Counter;
  readonly dlq: Counter;
  readonly engineErrors: Counter;
  readonly replayRecords: Counter;
  readonly resentRecords: Counter;
  readonly suppressedOutputs: Counter;
  readonly replayCapped: Counter;
  readonly transactions: Counter;
  readonly restores: Counter;
  readonly lag: Gauge;
  readonly liveConnections: Gauge;
  readonly replayWindow: Gauge;
  readonly shards: Gauge;
  readonly restoring: Gauge;
  readonly paused: Gauge;
  readonly batchSeconds: Histogram;
  readonly commitSeconds: Histogram;
  readonly rulesLoaded: Gauge;
  readonly ruleErrors: Gauge;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const r = registry;
    this.records = r.counter('wmi_detect_records_total', 'Packet records consumed (including replayed ones)');
    this.frames = r.counter('wmi_detect_frames_total', 'Frames handed to the engine');
    this.bytes = r.counter('wmi_detect_bytes_total', 'Wire bytes of the frames handed to the engine');
    this.alerts = r.counter('wmi_detect_alerts_total', 'Alerts produced, by rule sid (replayed duplicates excluded)');
    this.outputs = r.counter('wmi_detect_outputs_total', 'Records produced to TOPIC_DETECTIONS, by event_type');
    this.dlq = r.counter('wmi_detect_dlq_total', 'Input records sent to TOPIC_DLQ, by failing field');
    this.engineErrors = r.counter('wmi_detect_engine_errors_total', 'Records whose processing threw in the engine');
    this.replayRecords = r.counter(
      'wmi_detect_replay_records_total',
      'Records re-processed after a restore with output suppressed (their output was produced before)',
    );
    this.resentRecords = r.counter(
      'wmi_detect_resent_records_total',
      'Packet records skipped because the same (sensor, seq, part) was just processed (a sensor retry)',
    );
    this.suppressedOutputs = r.counter(
      'wmi_detect_replay_suppressed_total',
      'Engine records not produced again because their input lies at or before the emitted-through position',
    );
    this.replayCapped = r.counter(
      'wmi_detect_replay_capped_total',
      'Commits whose replay start was moved forward to DETECT_MAX_REPLAY_RECORDS (old state not recoverable)',
    );
    this.transactions = r.counter('wmi_detect_transactions_total', 'Output transactions, by result');
    this.restores = r.counter('wmi_detect_restores_total', 'Partition shards built (assignment or reset), by cause');
    this.lag = r.gauge('wmi_detect_consumer_lag_records', 'High watermark minus processed position, per partition');
    this.liveConnections = r.gauge('wmi_detect_live_connections', 'Connections held in engine state, per partition');
    this.replayWindow = r.gauge(
      'wmi_detect_replay_window_records',
      'Records between the committed replay start and the processed position, per partition',
    );
    this.shards = r.gauge('wmi_detect_partitions_assigned', 'Partitions of TOPIC_PACKETS owned by this worker');
    this.restoring = r.gauge('wmi_detect_partitions_restoring', 'Owned partitions whose state is still being replayed');
    this.paused = r.gauge('wmi_detect_partitions_paused', 'Owned partitions paused for back-pressure');
    this.batchSeconds = r.histogram('wmi_detect_batch_seconds', 'Time to process one fetched batch (engine only)');
    this.commitSeconds = r.histogram('wmi_detect_commit_seconds', 'Time to produce and commit one batch transaction');
    this.rulesLoaded = r.gauge('wmi_detect_rules_loaded', 'Rules compiled and active');
    this.ruleErrors = r.gauge('wmi_detect_rule_errors', 'Rules rejected at load (diagnostics in the log)');
  }
}
