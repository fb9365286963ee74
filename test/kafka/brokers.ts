/**
 * How an integration test gets the Kafka that test/kafka/global-setup.ts provided.
 *
 *   const brokers = kafkaBrokers();   // in beforeAll: throws (the test fails) with the reason when there is none
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated bootstrap servers; '' when no broker could be had. */
    kafkaBrokers: string;
    /** Why there is no broker, with how to fix it; '' when there is one. */
    kafkaUnavailable: string;
  }
}

export function kafkaBrokers(): string[] {
  const reason = inject('kafkaUnavailable');
  if (reason) throw new Error(`integration test needs Kafka, and none could be started:\n${reason}`);
  const brokers = inject('kafkaBrokers');
  if (!brokers) throw new Error('integration test needs Kafka: test/kafka/global-setup.ts provided no brokers');
  return brokers.split(',');
}

/** A topic/group/transactional-id name no other test (or earlier run on a shared KAFKA_BROKERS cluster) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Adapter logger for tests: warnings and errors on the console (they explain a failure), the rest dropped. */
export const testKafkaLogger = {
  debug() {},
  info() {},
  warn: (msg: string, fields?: Record<string, unknown>) => console.warn(msg, fields ?? ''),
  error: (msg: string, fields?: Record<string, unknown>) => console.error(msg, fields ?? ''),
};
