/**
 * `wmidetect serve ingest`: the process entry. Configured only through the environment (docs/configuration.md).
 * Returns the exit status: 0 after a graceful shutdown, 2 for configuration errors. A second SIGTERM/SIGINT during
 * the shutdown exits at once (143/130).
 */
import { ConfigError } from '@wmi-detect/kafka';
import { createLogger } from '@wmi-detect/ops';
import { type IngestConfig, ingestConfigFromEnv, logLevelFromEnv } from './config.js';
import { IngestService } from './service.js';
import { TokenFileError } from './tokens.js';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const base = { pod: env.POD_NAME || undefined, namespace: env.POD_NAMESPACE || undefined };
  let logger = createLogger('ingest', { base });
  let config: IngestConfig;
  let service: IngestService;
  try {
    logger = createLogger('ingest', { level: logLevelFromEnv(env), base });
    config = ingestConfigFromEnv(env);
    service = new IngestService(config, { logger });
  } catch (e) {
    if (e instanceof ConfigError) {
      logger.error('invalid configuration', { variable: e.variable, problem: e.problem });
      return 2;
    }
    if (e instanceof TokenFileError) {
      logger.error('invalid configuration', { variable: 'INGEST_TOKENS_FILE', problem: e.message });
      return 2;
    }
    if ((e as NodeJS.ErrnoException).code !== undefined && (e as NodeJS.ErrnoException).syscall !== undefined) {
      logger.error('invalid configuration: a configured file cannot be read', { error: e as Error });
      return 2;
    }
    throw e;
  }
  try {
    await service.start();
  } catch (e) {
    logger.error('ingest failed to start', { error: e as Error });
    await service.stop();
    return 1;
  }
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        logger.warn('second signal: exiting at once', { signal: sig });
        process.exit(sig === 'SIGINT' ? 130 : 143);
      }
      logger.info('shutting down', { signal: sig });
      service.stop().then(
        () => resolve(0),
        (e) => {
          logger.error('shutdown failed', { error: e as Error });
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
