/**
 * OpenTelemetry SDK wiring, driven only by the standard `OTEL_*` environment variables
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/).
 *
 * The services record spans and metrics through `@opentelemetry/api` alone; without a registered SDK those calls
 * are no-ops. This module decides whether an SDK is wanted and, only then, loads `@opentelemetry/sdk-node` (a
 * dynamic import: a process that exports nothing never loads the SDK, its exporters or gRPC) and registers it
 * globally, so the API calls the services already make start producing data.
 *
 * Decision, per signal (traces, metrics):
 *
 *   OTEL_SDK_DISABLED=true                      → nothing at all (the spec's kill switch)
 *   OTEL_{TRACES,METRICS}_EXPORTER contains none → that signal off
 *   exporter list unset (spec default "otlp")    → on only if an OTLP endpoint is set for it:
 *                                                  OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_{TRACES,METRICS}_ENDPOINT
 *   exporter list set explicitly (otlp, console, prometheus, zipkin …) → on, as the SDK reads it
 *
 * WHY the endpoint condition: the spec's defaults (exporter "otlp", endpoint localhost:4318) would make every pod
 * without a collector retry exports to a port nobody listens on, and log about it, forever. An unset list therefore
 * means "not configured"; whoever names an exporter explicitly (e.g. a node-local agent on localhost) gets it.
 *
 * Everything else — protocol (OTEL_EXPORTER_OTLP_PROTOCOL, default http/protobuf), headers, timeouts, sampler
 * (OTEL_TRACES_SAMPLER[_ARG]), propagators, resource attributes, export intervals, batch sizes — is read by the SDK
 * itself with its specified meaning. OTEL_SERVICE_NAME wins over the service's default name. Logs stay JSON lines
 * on stderr (createLogger); no OTel log records are emitted unless OTEL_LOGS_EXPORTER is set.
 */
import { type DiagLogger, DiagLogLevel, diag, trace } from '@opentelemetry/api';
import type { NodeSDK, NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import type { Logger } from './logger.js';

export type TelemetrySignal = 'traces' | 'metrics';

export interface TelemetryDecision {
  /** True when at least one signal is exported, i.e. the SDK is loaded. */
  readonly enabled: boolean;
  /** Per signal: exported or not. */
  readonly traces: boolean;
  readonly metrics: boolean;
  /** Why, in words, for the start-up log line. */
  readonly reason: string;
}

export interface Telemetry extends TelemetryDecision {
  /** Flushes what is buffered and stops the exporters; resolves within `deadlineMs` even if a collector hangs. */
  shutdown(deadlineMs?: number): Promise<void>;
}

export interface TelemetryOptions {
  /** Environment the decision is made from (default process.env). The SDK itself reads process.env. */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Replace the span processors the environment would configure (turns traces on): embedding and tests. */
  spanProcessors?: NodeSDKConfiguration['spanProcessors'];
  /** Replace the metric readers the environment would configure (turns metrics on). */
  metricReaders?: NodeSDKConfiguration['metricReaders'];
  /** How the SDK module is loaded (default: a dynamic import of @opentelemetry/sdk-node). */
  load?: () => Promise<{ NodeSDK: typeof NodeSDK }>;
}

const DEFAULT_SHUTDOWN_DEADLINE_MS = 5_000;

/**
 * NodeSDK.shutdown() shuts span processors down without flushing them first; a SimpleSpanProcessor whose export
 * waits for the resource's asynchronous attributes (host.id) would then drop its last spans. Flush the registered
 * tracer provider (behind the API's ProxyTracerProvider) first.
 */
async function flushThenShutdown(sdk: NodeSDK): Promise<void> {
  const proxy = trace.getTracerProvider() as { getDelegate?: () => { forceFlush?: () => Promise<void> } };
  await proxy.getDelegate?.().forceFlush?.();
  await sdk.shutdown();
}

function list(env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const items = raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  return items.length > 0 ? items : undefined;
}

function signalWanted(env: NodeJS.ProcessEnv, signal: TelemetrySignal): { on: boolean; why: string } {
  const upper = signal.toUpperCase();
  const exportersVar = `OTEL_${upper}_EXPORTER`;
  const exporters = list(env, exportersVar);
  if (exporters?.includes('none')) return { on: false, why: `${exportersVar}=none` };
  if (exporters !== undefined) return { on: true, why: `${exportersVar}=${exporters.join(',')}` };
  const endpointVar = env[`OTEL_EXPORTER_OTLP_${upper}_ENDPOINT`]?.trim()
    ? `OTEL_EXPORTER_OTLP_${upper}_ENDPOINT`
    : env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()
      ? 'OTEL_EXPORTER_OTLP_ENDPOINT'
      : undefined;
  if (endpointVar === undefined) return { on: false, why: `no OTLP endpoint for ${signal}` };
  return { on: true, why: `otlp to ${endpointVar}` };
}

/** What startTelemetry would do with this environment, without loading anything. */
export function telemetryDecision(env: NodeJS.ProcessEnv = process.env): TelemetryDecision {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true')
    return { enabled: false, traces: false, metrics: false, reason: 'OTEL_SDK_DISABLED=true' };
  const t = signalWanted(env, 'traces');
  const m = signalWanted(env, 'metrics');
  return {
    enabled: t.on || m.on,
    traces: t.on,
    metrics: m.on,
    reason: `traces: ${t.on ? 'on' : 'off'} (${t.why}); metrics: ${m.on ? 'on' : 'off'} (${m.why})`,
  };
}

/** The SDK's own diagnostics (export failures, bad OTEL_* values) as JSON log lines instead of console output. */
function diagToLogger(logger: Logger): DiagLogger {
  const fields = (args: unknown[]) => (args.length > 0 ? { detail: args.map((a) => String(a)).join(' ') } : undefined);
  return {
    error: (m, ...a) => logger.error(`otel: ${m}`, fields(a)),
    warn: (m, ...a) => logger.warn(`otel: ${m}`, fields(a)),
    info: (m, ...a) => logger.info(`otel: ${m}`, fields(a)),
    debug: (m, ...a) => logger.debug(`otel: ${m}`, fields(a)),
    verbose: (m, ...a) => logger.debug(`otel: ${m}`, fields(a)),
  };
}

const DIAG_LEVELS: Record<string, DiagLogLevel> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

/**
 * Starts the OpenTelemetry SDK if the environment asks for it (see the top of this file) and registers it as the
 * global tracer/meter provider. `serviceName` is the default `service.name` (OTEL_SERVICE_NAME overrides it).
 * Never throws: an SDK that cannot be loaded or started is logged and the process runs without exporting.
 */
export async function startTelemetry(serviceName: string, opts: TelemetryOptions = {}): Promise<Telemetry> {
  const env = opts.env ?? process.env;
  const fromEnv = telemetryDecision(env);
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
  const traces = !disabled && (opts.spanProcessors !== undefined || fromEnv.traces);
  const metrics = !disabled && (opts.metricReaders !== undefined || fromEnv.metrics);
  const reason =
    opts.spanProcessors || opts.metricReaders ? `${fromEnv.reason}; exporters given in code` : fromEnv.reason;
  const off = (why: string): Telemetry => ({
    enabled: false,
    traces: false,
    metrics: false,
    reason: why,
    shutdown: async () => {},
  });
  if (!traces && !metrics) {
    opts.logger?.debug('telemetry export off', { reason });
    return off(reason);
  }

  let sdk: NodeSDK;
  try {
    if (opts.logger !== undefined) {
      const level = DIAG_LEVELS[env.OTEL_LOG_LEVEL?.trim().toLowerCase() ?? ''] ?? DiagLogLevel.WARN;
      diag.setLogger(diagToLogger(opts.logger), { logLevel: level, suppressOverrideMessage: true });
    }
    const { NodeSDK } = await (opts.load ?? (() => import('@opentelemetry/sdk-node')))();
    const config: Partial<NodeSDKConfiguration> = {
      // An explicit empty list tells the SDK "not this signal"; undefined lets it build the exporters from OTEL_*.
      spanProcessors: opts.spanProcessors ?? (traces ? undefined : []),
      metricReaders: opts.metricReaders ?? (metrics ? undefined : []),
    };
    if (!env.OTEL_SERVICE_NAME?.trim()) config.serviceName = serviceName;
    if (!env.OTEL_LOGS_EXPORTER?.trim()) config.logRecordProcessors = [];
    sdk = new NodeSDK(config);
    sdk.start();
  } catch (e) {
    opts.logger?.error('telemetry: cannot start the OpenTelemetry SDK; running without export', {
      error: e as Error,
      reason,
    });
    return off(`SDK failed to start: ${(e as Error).message}`);
  }
  opts.logger?.info('telemetry export on', {
    reason,
    serviceName: env.OTEL_SERVICE_NAME?.trim() || serviceName,
    traces,
    metrics,
  });

  let stopped: Promise<void> | undefined;
  return {
    enabled: true,
    traces,
    metrics,
    reason,
    shutdown: (deadlineMs = DEFAULT_SHUTDOWN_DEADLINE_MS) => {
      // A collector that does not answer must not hold the pod past its termination grace period.
      stopped ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          opts.logger?.warn('telemetry: flush did not finish in time; exiting without it', { deadlineMs });
          resolve();
        }, deadlineMs);
        timer.unref();
        flushThenShutdown(sdk).then(
          () => {
            clearTimeout(timer);
            resolve();
          },
          (e: unknown) => {
            clearTimeout(timer);
            opts.logger?.warn('telemetry: flush failed', { error: e as Error });
            resolve();
          },
        );
      });
      return stopped;
    },
  };
}
