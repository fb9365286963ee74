/**
 * Routes kafkajs's internal log lines into our logger.
 *
 * Quiet by default: kafkajs logs every retriable protocol answer (a coordinator still loading, a leader moving) at
 * ERROR from its `Connection` namespace, then retries and succeeds. Those lines are noise in the normal case and the
 * real failure surfaces anyway as the rejected promise. So `Connection` errors are demoted to debug, routine
 * rebalance warnings to info, and only WARN and above from the rest reach the logger unless the caller asks for more.
 */
import kafkajs from 'kafkajs';
import type { KafkaLogger } from '../port.js';

export type KafkaLogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const { logLevel: LEVEL } = kafkajs;

/** kafkajs numeric level for our level name. */
export function toKafkajsLevel(level: KafkaLogLevel): kafkajs.logLevel {
  switch (level) {
    case 'debug':
      return LEVEL.DEBUG;
    case 'info':
      return LEVEL.INFO;
    case 'warn':
      return LEVEL.WARN;
    case 'error':
      return LEVEL.ERROR;
    case 'silent':
      return LEVEL.NOTHING;
  }
}

/** A kafkajs logCreator writing to `logger`; the level filter itself is kafkajs's (`logLevel` on the client). */
export function kafkajsLogCreator(logger: KafkaLogger): kafkajs.logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _ts, logger: _l, ...fields } = log;
      const rec = { kafkajs: namespace, ...fields };
      if (level === LEVEL.ERROR && namespace === 'Connection') {
        logger.debug(`kafkajs: ${message}`, rec);
        return;
      }
      // Between two transactions of one producer the coordinator briefly answers CONCURRENT_TRANSACTIONS while it
      // writes the previous markers; kafkajs retries and logs an error each time.
      if (/another concurrent operation on the same transaction/.test(message)) {
        logger.debug(`kafkajs: ${message}`, rec);
        return;
      }
      // A rebalance is routine in a consumer group (a member joins, leaves, restarts); kafkajs warns about each one.
      if (level === LEVEL.WARN && /^The group is rebalancing/.test(message)) {
        logger.info(`kafkajs: ${message}`, rec);
        return;
      }
      switch (level) {
        case LEVEL.ERROR:
          logger.error(`kafkajs: ${message}`, rec);
          break;
        case LEVEL.WARN:
          logger.warn(`kafkajs: ${message}`, rec);
          break;
        case LEVEL.INFO:
          logger.info(`kafkajs: ${message}`, rec);
          break;
        default:
          logger.debug(`kafkajs: ${message}`, rec);
      }
    };
}

/** A logger that writes nothing (tests, or callers that pass none). */
export const silentLogger: KafkaLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
