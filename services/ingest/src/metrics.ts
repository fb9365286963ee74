/**
 * What ingest counts, twice: Prometheus series on /metrics (packages/ops Registry) for the ServiceMonitor, and the
 * same counts through the OpenTelemetry meter (a no-op until the SDK is wired) for OTLP users.
 *
 *   wmi_ingest_requests_total{route,status}      every answered request
 *   wmi_ingest_rejected_total{reason}            every refusal: unauthorized, forbidden, malformed, too_large,
 *                                                backpressure, unavailable, kafka_error, unsupported_media_type,
 *                                                method_not_allowed, not_found, shutting_down, aborted
 *   wmi_ingest_frames_total                      frames accepted (acknowledged by Kafka)
 *   wmi_ingest_records_total                     PacketRecords produced
 *   wmi_ingest_body_bytes_total                  request body bytes read (as sent, i.e. compressed)
 *   wmi_ingest_fallback_key_frames_total         frames without an IP header, sent under the fallback key
 *   wmi_ingest_prefilter_dropped_frames_total    frames the pre-filter dropped
 *   wmi_ingest_prefilter_saved_bytes_total       their captured bytes: what the pre-filter kept off Kafka
 *   wmi_ingest_prefilter_connections             connections the pre-filter tracks
 *   wmi_ingest_inflight_bytes                    request bytes admitted and not yet answered
 *   wmi_ingest_produce_seconds                   time from produce request to Kafka acknowledgement
 *   wmi_ingest_token_reloads_total{result}       INGEST_TOKENS_FILE re-reads: ok / error (old tokens kept)
 */
import { type Counter as OtelCounter, metrics as otelMetrics } from '@opentelemetry/api';
import type { Counter, Gauge, Histogram, Registry } from '@wmi-detect/ops';

export type RejectReason =
  | 'unauthorized'
  | 'forbidden'
  | 'malformed'
  | 'too_large'
  | 'backpressure'
  | 'unavailable'
  | 'kafka_error'
  | 'unsupported_media_type'
  | 'method_not_allowed'
  | 'not_found'
  | 'shutting_down'
  | 'aborted';

export class IngestMetrics {
  readonly requests: Counter;
  readonly rejected: Counter;
  readonly frames: Counter;
  readonly records: Counter;
  readonly bodyBytes: Counter;
  readonly fallbackFrames: Counter;
  readonly prefilterDropped: Counter;
  readonly prefilterSaved: Counter;
  readonly prefilterConnections: Gauge;
  readonly inflightBytes: Gauge;
  readonly produceSeconds: Histogram;
  readonly tokenReloads: Counter;
  private readonly otel: {
    frames: OtelCounter;
    records: OtelCounter;
    rejected: OtelCounter;
    prefilterSaved: OtelCounter;
  };

  constructor(readonly registry: Registry) {
    this.requests = registry.counter('wmi_ingest_requests_total', 'Requests answered, by route and HTTP status');
    this.rejected = registry.counter('wmi_ingest_rejected_total', 'Requests refused, by reason');
    this.frames = registry.counter('wmi_ingest_frames_total', 'Frames accepted and acknowledged by Kafka');
    this.records = registry.counter('wmi_ingest_records_total', 'PacketRecords produced to TOPIC_PACKETS');
    this.bodyBytes = registry.counter('wmi_ingest_body_bytes_total', 'Request body bytes read (as sent)');
    this.fallbackFrames = registry.counter(
      'wmi_ingest_fallback_key_frames_total',
      'Frames without an IP header, produced under the fallback key',
    );
    this.prefilterDropped = registry.counter(
      'wmi_ingest_prefilter_dropped_frames_total',
      'Payload frames of connections decided not DCE/RPC, dropped by the pre-filter',
    );
    this.prefilterSaved = registry.counter(
      'wmi_ingest_prefilter_saved_bytes_total',
      'Captured bytes the pre-filter kept off Kafka',
    );
    this.prefilterConnections = registry.gauge(
      'wmi_ingest_prefilter_connections',
      'TCP connections the pre-filter tracks',
    );
    this.inflightBytes = registry.gauge('wmi_ingest_inflight_bytes', 'Request bytes admitted and not yet answered');
    this.produceSeconds = registry.histogram(
      'wmi_ingest_produce_seconds',
      'Time from produce request to acknowledgement by all in-sync replicas',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
    this.tokenReloads = registry.counter('wmi_ingest_token_reloads_total', 'Re-reads of INGEST_TOKENS_FILE, by result');
    const meter = otelMetrics.getMeter('wmi-detect-ingest');
    this.otel = {
      frames: meter.createCounter('wmi.ingest.frames', { description: 'frames accepted' }),
      records: meter.createCounter('wmi.ingest.records', { description: 'PacketRecords produced' }),
      rejected: meter.createCounter('wmi.ingest.rejected', { description: 'requests refused, by reason' }),
      prefilterSaved: meter.createCounter('wmi.ingest.prefilter.saved_bytes', {
        description: 'captured bytes kept off Kafka by the pre-filter',
        unit: 'By',
      }),
    };
  }

  reject(reason: RejectReason): void {
    this.rejected.inc({ reason });
    this.otel.rejected.add(1, { reason });
  }

  accepted(frames: number, records: number): void {
    this.frames.inc(undefined, frames);
    this.records.inc(undefined, records);
    this.otel.frames.add(frames);
    this.otel.records.add(records);
  }

  prefiltered(frames: number, bytes: number): void {
    if (frames === 0) return;
    this.prefilterDropped.inc(undefined, frames);
    this.prefilterSaved.inc(undefined, bytes);
    this.otel.prefilterSaved.add(bytes);
  }
}
