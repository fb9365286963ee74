/**
 * `wmidetect serve ingest|detect|enrich`: runs one service. No flags — services read only the environment
 * (docs/configuration.md), so the same command runs under Kubernetes, `docker run` and `wmidetect up`.
 *
 * Before the service starts, the OpenTelemetry SDK is started if the standard OTEL_* variables ask for export
 * (packages/ops telemetry.ts; nothing is loaded otherwise), so the spans and metrics the services record through
 * @opentelemetry/api are exported. After the service returned (graceful stop, failure or configuration error) the
 * SDK flushes within a deadline, then the exit status is the service's.
 */
import { createLogger, startTelemetry } from '@wmi-detect/ops';
import { UsageError } from '../args.js';

export const SERVE_USAGE =
  'usage: wmidetect serve ingest|detect|enrich   (configured by environment: docs/configuration.md)';

type ServiceMain = (env: NodeJS.ProcessEnv) => Promise<number>;

const SERVICES: Record<string, () => Promise<ServiceMain>> = {
  ingest: async () => (await import('@wmi-detect/ingest')).main,
  detect: async () => (await import('@wmi-detect/detect')).main,
  enrich: async () => (await import('@wmi-detect/enrich')).main,
};

export async function serve(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (rest.length > 0)
    throw new UsageError(`serve takes no options (got '${rest.join(' ')}'); use environment variables`);
  const load = name !== undefined && Object.hasOwn(SERVICES, name) ? SERVICES[name] : undefined;
  if (load === undefined) throw new UsageError(`unknown service '${name ?? ''}'; expected ingest, detect or enrich`);

  const env = process.env;
  const logger = createLogger(name, { base: env.POD_NAME ? { pod: env.POD_NAME } : undefined });
  // Started before the service's modules run, so that every tracer and meter they obtain is backed by the SDK.
  const telemetry = await startTelemetry(`wmi-detect-${name}`, { env, logger });
  try {
    const main = await load();
    return await main(env);
  } finally {
    await telemetry.shutdown();
  }
}
