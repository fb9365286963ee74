/**
 * `wmidetect serve ingest|detect|enrich`: runs one service. No flags — services read only the environment
 * (docs/configuration.md), so the same command runs under Kubernetes, `docker run` and `wmidetect up`.
 */
import { UsageError } from '../args.js';

export const SERVE_USAGE =
  'usage: wmidetect serve ingest|detect|enrich   (configured by environment: docs/configuration.md)';

export async function serve(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (rest.length > 0)
    throw new UsageError(`serve takes no options (got '${rest.join(' ')}'); use environment variables`);
  switch (name) {
    case 'ingest':
      return (await import('@wmi-detect/ingest')).main(process.env);
    case 'detect':
      return (await import('@wmi-detect/detect')).main(process.env);
    case 'enrich':
      return (await import('@wmi-detect/enrich')).main(process.env);
    default:
      throw new UsageError(`unknown service '${name ?? ''}'; expected ingest, detect or enrich`);
  }
}
