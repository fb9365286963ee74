/**
 * What detect writes: detections (EVE JSON) and dead letters.
 *
 *   TOPIC_DETECTIONS record
 *     key      HostPairKey bytes of (src_ip, dest_ip) — the same unordered host pair the packets were keyed by, so a
 *              detection lands on the partition number of its input and enrich sees a host pair in order
 *     value    UTF-8 JSON of one EVE record: event_type alert | dcerpc_session | tag; `capture` = the sensor id of the
 *              packet record that produced it
 *     headers  content-type: application/json
 *              event_type:   alert | dcerpc_session | tag
 *              alert_id:     alerts and tag records (a tag record joins its alert by alert_id)
 *              session_id:   when the record belongs to a WMI/DCOM session
 *              detect.instance, detect.source: worker name and `topic/partition/offset` of the packet record
 *
 *   TOPIC_DLQ record (same header names as enrich, docs/configuration.md)
 *     key, value  the undecodable input record, byte for byte
 *     headers     dlq.reason, dlq.service (detect), dlq.source.topic, dlq.source.partition, dlq.source.offset,
 *                 dlq.field (the first offending field of a WireFormatError)
 */

import { type EveRecord, HostPairKey } from '@wmi-detect/engine';
import type { KafkaRecord, OutgoingRecord } from '@wmi-detect/kafka';
import { DLQ_HEADERS } from '@wmi-detect/wire';

export { DLQ_HEADERS };

export const DETECTION_HEADERS = {
  contentType: 'content-type',
  eventType: 'event_type',
  alertId: 'alert_id',
  sessionId: 'session_id',
  instance: 'detect.instance',
  source: 'detect.source',
} as const;

/** The key of records with no parseable addresses (cannot happen for engine output; kept total). */
const FALLBACK_KEY = Buffer.of(0);

export function detectionRecord(
  topic: string,
  rec: EveRecord,
  sensor: string,
  instance: string,
  source: KafkaRecord,
): OutgoingRecord {
  const r = rec as EveRecord & {
    src_ip?: string;
    dest_ip?: string;
    alert_id?: unknown;
    session_id?: unknown;
    capture?: string;
  };
  r.capture = sensor;
  const pair =
    typeof r.src_ip === 'string' && typeof r.dest_ip === 'string' ? HostPairKey.of(r.src_ip, r.dest_ip) : null;
  const headers: Record<string, string> = {
    [DETECTION_HEADERS.contentType]: 'application/json',
    [DETECTION_HEADERS.eventType]: r.event_type,
    [DETECTION_HEADERS.instance]: instance,
    [DETECTION_HEADERS.source]: `${source.topic}/${source.partition}/${source.offset}`,
  };
  if (typeof r.alert_id === 'string') headers[DETECTION_HEADERS.alertId] = r.alert_id;
  if (typeof r.session_id === 'string') headers[DETECTION_HEADERS.sessionId] = r.session_id;
  return {
    topic,
    key: pair !== null ? Buffer.from(pair.bytes) : FALLBACK_KEY,
    value: Buffer.from(JSON.stringify(r)),
    headers,
  };
}

export function deadLetter(topic: string, source: KafkaRecord, reason: string, field?: string): OutgoingRecord {
  const headers: Record<string, string> = {
    [DLQ_HEADERS.reason]: reason,
    [DLQ_HEADERS.service]: 'detect',
    [DLQ_HEADERS.topic]: source.topic,
    [DLQ_HEADERS.partition]: String(source.partition),
    [DLQ_HEADERS.offset]: source.offset,
  };
  if (field !== undefined) headers[DLQ_HEADERS.field] = field;
  return { topic, key: source.key, value: source.value, headers, timestamp: source.timestamp };
}
