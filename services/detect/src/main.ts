/**
 * `wmidetect serve detect`: the process entry. Configured only through the environment (docs/configuration.md §2, §4).
 *
 *   1. parse the environment and load the rules — a bad value, an unreadable rule file or no usable rule: one error
 *      line, exit 2, before anything connects (a detector without rules must not look healthy);
 *   2. startDetect(): ops endpoint, consumer group, per-partition shards (service.ts);
 *   3. SIGTERM/SIGINT: graceful stop (batch in flight committed, group left), exit 0; a second signal exits at once.
 *
 * Returns the exit status: 0 after a graceful shutdown, 1 when Kafka failed for good, 2 for configuration errors.
 */
import { type EngineOptions, formatDiagnostic, loadRules } from '@wmi-detect/engine';
import { ConfigError } from '@wmi-detect/kafka';
import { createLogger, type Logger } from '@wmi-detect/ops';
import { type DetectConfig, detectConfigFromEnv } from './config.js';
import type { DetectMetrics } from './metrics.js';
import { startDetect } from './service.js';

/** Rules that cannot be used at all (as opposed to single rules that were rejected). */
export class RulesUnusableError extends Error {
  override name = 'RulesUnusableError';
}

/**
 * RULES_FILES + RULE_VARS_FILE → engine options. Rejected rules are logged with file:line and counted; an
 * unreadable file, a broken variables file or an empty result throws RulesUnusableError.
 */
export function detectEngineOptions(
  config: DetectConfig,
  logger: Logger,
  metrics?: DetectMetrics,
): Omit<EngineOptions, 'onRecord'> {
  const loaded = loadRules({
    ruleFiles: config.rulesFiles,
    varsFiles: config.ruleVarsFile !== undefined ? [config.ruleVarsFile] : [],
  });
  for (const d of loaded.all) {
    const line = formatDiagnostic(d);
    if (d.severity === 'error') logger.error('rule rejected', { diagnostic: line, file: d.file, line: d.line });
    else logger.warn('rule diagnostic', { diagnostic: line, file: d.file, line: d.line });
  }
  metrics?.ruleErrors.set(loaded.errorCount);
  const unreadable = loaded.all.find((d) => d.code === 'file.unreadable' || d.code === 'var.syntax');
  if (unreadable !== undefined) throw new RulesUnusableError(formatDiagnostic(unreadable));
  if (loaded.rules.length === 0)
    throw new RulesUnusableError(`no rule loaded from ${config.rulesFiles.join(', ')} (${loaded.errorCount} errors)`);
  logger.info('rules loaded', { rules: loaded.rules.length, errors: loaded.errorCount, files: loaded.files });
  return {
    ruleSet: loaded.ruleSet,
    sessionRecords: true,
    sessionWindowUs: config.sessionWindowS * 1_000_000,
    // Every assigned partition has its own engine, so the engine-wide bounds are per partition here.
    stubMemoryBytes: config.shardMemoryMiB * 524_288,
    reassembly: {
      // as `wmidetect analyze` does by default, so the pipeline and the offline run agree
      midstreamEstablished: 'immediate',
      maxBufferedBytesTotal: config.shardMemoryMiB * 524_288,
      maxConnections: config.shardMaxConnections,
    },
  };
}

export interface MainOptions {
  /** Aborting it is the same as SIGTERM (for an in-process stack or a test that must not signal its own process). */
  readonly stop?: AbortSignal;
}

export async function main(env: NodeJS.ProcessEnv = process.env, opts: MainOptions = {}): Promise<number> {
  const boot = createLogger('detect', { base: env.POD_NAME ? { pod: env.POD_NAME } : undefined });
  let config: DetectConfig;
  try {
    config = detectConfigFromEnv(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      boot.error(`configuration error: ${e.message}`, { variable: e.variable });
      return 2;
    }
    throw e;
  }
  const logger = createLogger('detect', {
    level: config.logLevel,
    base: {
      instance: config.instanceId,
      ...(config.podName ? { pod: config.podName, namespace: config.podNamespace } : {}),
    },
  });
  let engine: Omit<EngineOptions, 'onRecord'>;
  try {
    engine = detectEngineOptions(config, logger);
  } catch (e) {
    if (e instanceof RulesUnusableError) {
      logger.error(`configuration error: ${e.message}`, { variable: 'RULES_FILES' });
      return 2;
    }
    throw e;
  }

  let signals = 0;
  let stopRequested: () => void = () => {};
  const stopSignal = new Promise<void>((resolve) => {
    stopRequested = resolve;
  });
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn('second signal: exiting at once', { signal: sig });
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
    logger.info('signal received: stopping gracefully', { signal: sig });
    stopRequested();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const onAbort = () => {
    logger.info('stop requested: stopping gracefully');
    stopRequested();
  };
  if (opts.stop?.aborted) stopRequested();
  else opts.stop?.addEventListener('abort', onAbort, { once: true });
  try {
    let handle: Awaited<ReturnType<typeof startDetect>>;
    try {
      handle = await startDetect(config, { engine, logger });
    } catch (e) {
      logger.error('cannot start: Kafka unreachable or refused', { error: e as Error });
      return 1;
    }
    const outcome = await Promise.race([
      stopSignal.then(() => 'stop' as const),
      handle.failed.catch(() => 'failed' as const),
    ]);
    if (outcome === 'failed') {
      await handle.kill();
      return 1;
    }
    await handle.stop();
    return 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    opts.stop?.removeEventListener('abort', onAbort);
  }
}
