/**
 * Bounded retry for the few calls where kafkajs gives up on an answer that only means "not yet".
 *
 * Seen against a fresh Kafka 4.1 broker: TxnOffsetCommit answered NOT_COORDINATOR while __consumer_offsets was still
 * being loaded, and kafkajs's sendOffsets rejected with that retriable error instead of trying again. Retrying inside
 * the same open transaction is safe: AddOffsetsToTxn and TxnOffsetCommit for the same producer epoch are idempotent.
 */
import type { KafkaLogger } from '../port.js';

/** Protocol errors that mean "ask again shortly", beyond kafkajs's own `retriable` flag. */
const TRANSIENT_TYPES = new Set([
  'NOT_COORDINATOR',
  'NOT_COORDINATOR_FOR_GROUP',
  'COORDINATOR_NOT_AVAILABLE',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'GROUP_LOAD_IN_PROGRESS',
  'CONCURRENT_TRANSACTIONS',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
]);

export function isTransient(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { type?: unknown; retriable?: unknown; name?: unknown; cause?: unknown };
  if (typeof err.type === 'string' && TRANSIENT_TYPES.has(err.type)) return true;
  // kafkajs wraps the last error when its own retries run out; look through the wrapper.
  if (err.name === 'KafkaJSNumberOfRetriesExceeded' && err.cause) return isTransient(err.cause);
  return err.name === 'KafkaJSProtocolError' && err.retriable === true;
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, initialDelayMs: 100, maxDelayMs: 3000 };

export async function retryTransient<T>(
  what: string,
  fn: () => Promise<T>,
  logger: KafkaLogger,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<T> {
  let delay = policy.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= policy.attempts || !isTransient(e)) throw e;
      logger.debug(`${what}: transient error, retrying`, { attempt, error: e as Error });
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(policy.maxDelayMs, delay * 2);
    }
  }
}
