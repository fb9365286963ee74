/**
 * `wmidetect serve enrich`: the process entry. Configured only through the environment (docs/configuration.md §2, §5).
 *
 *   1. parse the environment and load ASSETS_FILE / WHITELIST_FILE — any problem: one error line, exit 2, before
 *      anything connects;
 *   2. ops endpoint up (/healthz at once; /readyz 503 until connected and the reference topics are read to end);
 *   3. EnrichService.start(): reference topics to their end, then the detections group;
 *   4. SIGTERM/SIGINT: graceful stop (batch in flight committed, group left), exit 0; a second signal exits at once.
 *
 * Returns the exit status: 0 after a graceful shutdown, 1 when Kafka failed for good, 2 for configuration errors.
 */
import { createKafkajsClient } from '@wmi-detect/kafka';
import { createLogger, Registry, startOpsServer } from '@wmi-detect/ops';
import { ConfigError, parseEnrichConfig } from './config.js';
import { ReferenceData, ReferenceFileError } from './reference.js';
import { EnrichService } from './service.js';

/** Below the chart's 30 s terminationGracePeriodSeconds for enrich. */
const SHUTDOWN_DEADLINE_MS = 25_000;

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const boot = createLogger('enrich', {
    base: env.POD_NAME ? { pod: env.POD_NAME } : undefined,
  });
  let config: ReturnType<typeof parseEnrichConfig>;
  let reference: ReferenceData;
  try {
    config = parseEnrichConfig(env);
    reference = ReferenceData.fromFiles(config);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof ReferenceFileError) {
      boot.error(`configuration error: ${e.message}`, { variable: e.variable });
      return 2;
    }
    throw e;
  }
  const logger = createLogger('enrich', {
    level: config.logLevel,
    base: config.podName ? { pod: config.podName, namespace: config.podNamespace } : undefined,
  });
  logger.info('reference files loaded', {
    assets: reference.assets.size,
    whitelist: reference.whitelist.size,
    assetsFile: config.assetsFile ?? null,
    whitelistFile: config.whitelistFile ?? null,
  });

  const registry = new Registry();
  const client = createKafkajsClient({ ...config.kafka, logger });
  const service = new EnrichService({
    client,
    groupId: config.groupId,
    topics: config.topics,
    reference,
    transactionalId: `${config.groupId}-${config.instanceId}`,
    logger,
    registry,
  });
  let ops: Awaited<ReturnType<typeof startOpsServer>>;
  try {
    ops = await startOpsServer({
      port: config.opsPort,
      registry,
      checks: [{ name: 'reference_files_loaded', ready: () => true }, ...service.readinessChecks()],
    });
  } catch (e) {
    logger.error('cannot open the ops endpoint', { variable: 'OPS_PORT', port: config.opsPort, error: e as Error });
    return 2;
  }
  logger.info('ops endpoint listening', { port: ops.port });

  let exitCode = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  let shuttingDown = false;
  const shutdown = (why: string, code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    exitCode = code;
    logger.info('shutting down', { reason: why });
    // The whole shutdown must fit in the pod's terminationGracePeriodSeconds (30 s): a broker that is gone can hold
    // a consumer's leave-group for longer, and then exiting without it is the lesser evil (the group expires us).
    const deadline = setTimeout(() => {
      logger.error('graceful shutdown took too long; exiting without it', { afterMs: SHUTDOWN_DEADLINE_MS });
      process.exit(code === 0 ? 1 : code);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    service.stop().finally(resolveDone);
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (shuttingDown) {
      logger.warn('second signal: exiting at once', { signal: sig });
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
    shutdown(sig, 0);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  service.onFatal((e) => shutdown(`kafka failed: ${e.message}`, 1));

  try {
    await service.start();
    if (!shuttingDown) logger.info('enrich ready', { groupId: config.groupId, topics: config.topics });
  } catch (e) {
    logger.error('start failed', { error: e as Error });
    shutdown('start failed', 1);
  }
  await done;
  await ops.close();
  process.removeListener('SIGTERM', onSignal);
  process.removeListener('SIGINT', onSignal);
  logger.info('stopped', { exitCode, ...service.stats() });
  return exitCode;
}
