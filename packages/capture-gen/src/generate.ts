/**
 * File-level API: write a scenario as a pcap (or pcapng) file.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { encodePcap, encodePcapng } from './capture/pcap.js';
import { buildScenario, scenarioNames } from './scenarios/index.js';
import type { ScenarioDescription } from './session/facts.js';

export type CaptureFormat = 'pcap' | 'pcapng';

export interface WriteOptions {
  /** Default: pcapng when the path ends in .pcapng, else classic pcap. */
  format?: CaptureFormat;
}

export function formatFor(path: string, o: WriteOptions = {}): CaptureFormat {
  return o.format ?? (path.toLowerCase().endsWith('.pcapng') ? 'pcapng' : 'pcap');
}

/** Encodes a scenario into capture-file bytes. */
export function scenarioBytes(
  name: string,
  format: CaptureFormat = 'pcap',
): { bytes: Uint8Array; description: ScenarioDescription } {
  const s = buildScenario(name);
  const description = s.describe();
  const bytes =
    format === 'pcapng' ? encodePcapng(s.frames, { comment: `${s.name}: ${s.title}` }) : encodePcap(s.frames);
  return { bytes, description };
}

/** Writes scenario `name` to `path` and returns its ground-truth description. */
export async function writeScenario(name: string, path: string, o: WriteOptions = {}): Promise<ScenarioDescription> {
  const { bytes, description } = scenarioBytes(name, formatFor(path, o));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return description;
}

/**
 * `generate(name, outPath)`: one scenario to a file, or `name === 'all'` to a directory (one
 * `<scenario>.pcap` per scenario plus `<scenario>.json` with its description).
 */
export async function generate(name: string, outPath: string, o: WriteOptions = {}): Promise<string[]> {
  if (name !== 'all') {
    await writeScenario(name, outPath, o);
    return [outPath];
  }
  const ext = o.format === 'pcapng' ? 'pcapng' : 'pcap';
  const written: string[] = [];
  for (const n of scenarioNames()) {
    const file = join(outPath, `${n}.${ext}`);
    const d = await writeScenario(n, file, o);
    await writeFile(join(outPath, `${n}.json`), `${JSON.stringify(d, null, 2)}\n`);
    written.push(file);
  }
  return written;
}
