/**
 * `wmidetect generate <scenario|all|list> OUT [--pcapng]`: writes protocol-exact captures from the repository's
 * generator (packages/capture-gen) — the committed fixtures' source, and the README's demo input.
 */
import { generate, SCENARIOS } from '@wmi-detect/capture-gen';
import { parseArgs, UsageError } from '../args.js';

export const GENERATE_USAGE = 'usage: wmidetect generate <scenario|all|list> OUT [--pcapng]';

export async function generateCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { pcapng: {} });
  const [name, out] = args.positionals;
  if (name === 'list') {
    for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(24)}${s.title}\n`);
    return 0;
  }
  if (name === undefined || out === undefined)
    throw new UsageError('generate needs a scenario (or all) and an output path');
  const files = await generate(name, out, { format: args.flags.has('pcapng') ? 'pcapng' : undefined });
  for (const f of files) process.stdout.write(`${f}\n`);
  return 0;
}
