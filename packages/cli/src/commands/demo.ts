/**
 * `wmidetect demo [--out DIR] [analyze options]`: the README's first command. Generates every scenario of the
 * capture generator (WMI activation allowed and denied, a fault on another call, big-endian, fragments, TCP
 * impairments, midstream, sealed, DCOM MMC20, Kerberos, a gap, non-DCE/RPC traffic) and analyses them with the
 * shipped rules — no network, no Kafka.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '@wmi-detect/capture-gen';
import { analyze } from './analyze.js';

export async function demo(argv: readonly string[]): Promise<number> {
  const rest = [...argv];
  let dir: string | undefined;
  const i = rest.indexOf('--out');
  if (i >= 0) {
    dir = rest[i + 1];
    rest.splice(i, 2);
  }
  const temp = dir === undefined ? mkdtempSync(join(tmpdir(), 'wmidetect-demo-')) : undefined;
  const outDir = dir ?? temp!;
  try {
    const files = await generate('all', outDir);
    process.stderr.write(`wmidetect demo: generated ${files.length} captures in ${outDir}; analysing\n`);
    return await analyze(['--sessions', ...rest, ...files.sort()]);
  } finally {
    if (temp !== undefined) rmSync(temp, { recursive: true, force: true });
  }
}
