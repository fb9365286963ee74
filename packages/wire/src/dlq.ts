/**
 * Dead-letter records (TOPIC_DLQ, docs/wire-format.md): the original key and value, unchanged, and these headers —
 * why the record was refused and where it came from, so it can be inspected and replayed. Shared by every service
 * that dead-letters, so one consumer reads them all alike.
 */
export const DLQ_HEADERS = {
  /** Human-readable reason (the WireFormatError message, or what failed). */
  reason: 'dlq.reason',
  /** The service that refused it: detect, enrich. */
  service: 'dlq.service',
  topic: 'dlq.source.topic',
  partition: 'dlq.source.partition',
  offset: 'dlq.source.offset',
  /** The schema field that was wrong, when known. */
  field: 'dlq.field',
} as const;
