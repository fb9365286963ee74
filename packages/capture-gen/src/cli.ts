/**
 * Small CLI entry: `node packages/capture-gen/dist/cli.js <scenario|all|list> [out] [--pcapng]`.
 * The product CLI exposes the same through `wmidetect generate`; this exists for direct use and scripts.
 */
import { generate } from './generate.js';
import { SCENARIOS } from './scenarios/index.js';

export async function main(argv: string[]): Promise<number> {
  const args = argv.filter((a) => !a.startsWith('--'));
  const pcapng = argv.includes('--pcapng');
  const [name, out] = args;
  if (!name || name === 'list' || name === '--help') {
    for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(24)}${s.title}\n`);
    if (!name || name === '--help')
      process.stdout.write('\nusage: capture-gen <scenario|all> <out-file|out-dir> [--pcapng]\n');
    return name === 'list' ? 0 : 2;
  }
  if (!out) {
    process.stderr.write('capture-gen: missing output path\n');
    return 2;
  }
  try {
    const files = await generate(name, out, { format: pcapng ? 'pcapng' : undefined });
    for (const f of files) process.stdout.write(`${f}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`capture-gen: ${(e as Error).message}\n`);
    return 2;
  }
}

const invoked = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invoked) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
