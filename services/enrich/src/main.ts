/**
 * `wmidetect serve enrich`: the process entry. Configured only through the environment (docs/configuration.md).
 * Returns the exit status: 0 after a graceful shutdown, 2 for configuration errors.
 */
export async function main(_env: NodeJS.ProcessEnv = process.env): Promise<number> {
  process.stderr.write('wmidetect serve enrich: not built yet\n');
  return 2;
}
