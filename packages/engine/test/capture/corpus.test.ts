import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/source.js';
import { CaptureError } from '../../src/capture/types.js';

// Every real capture in ../shared/corpus/pcaps must read to its end with as many frames as tshark counted (the
// `packets` field of its facts file). Read from ../shared, never copied into the repository.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const corpus = path.resolve(repoRoot, '../shared/corpus');
const present = existsSync(path.join(corpus, 'pcaps'));
if (!present) console.warn(`SKIPPED: capture corpus not found at ${corpus}/pcaps — the corpus reader test did not run`);

/**
 * The captures `capinfos` reports as "cut short in the middle of a packet" (checked by hand: capinfos -c on every
 * file; each of these ends one byte into a record header). tshark's `packets` for them counts the complete records.
 */
const CUT_SHORT = [
  'covenant_dcsync_dcerpc_drsuapi_DsGetNCChanges_2020-08-05020926.cap',
  'covenant_psremoting_command_2020-08-06115603.cap',
  'covenant_sc_query_dcerpc_smb_svcctl_2020-08-05034820.cap',
  'covenant_sharpsc_create_dcerpc_smb_svcctl_2020-08-06022635.cap',
  'covenant_sharpsc_start_dcerpc_smb_svcctl_2020-08-06030120.cap',
  'covenant_sharpsc_stop_dcerpc_smb_svcctl_2020-08-06031938.cap',
  'covenant_sharpwmi_create_dcerpc_wmi_2020-08-06035621.cap',
  'datasets__small__windows__lateral_movement__covenant_sharpwmi_dcerpc_wmi_execquery_execmethod.cap',
];

interface Capture {
  dir: string;
  name: string;
  file: string;
  facts: { packets: number; size_bytes: number; file_type: string };
}

function captures(): Capture[] {
  if (!present) return [];
  const out: Capture[] = [];
  for (const dir of readdirSync(path.join(corpus, 'pcaps')).sort()) {
    for (const name of readdirSync(path.join(corpus, 'pcaps', dir)).sort()) {
      const factsPath = path.join(corpus, 'facts', dir, `${name}.json`);
      out.push({
        dir,
        name,
        file: path.join(corpus, 'pcaps', dir, name),
        facts: JSON.parse(readFileSync(factsPath, 'utf8')),
      });
    }
  }
  return out;
}

/** Classic pcap, little-endian (as all cut-short captures are): caplen of the record header at `offset`, if whole. */
function caplenAt(file: string, offset: number): number | null {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(16);
    const n = readSync(fd, b, 0, 16, offset);
    return n < 16 ? null : b.readUInt32LE(8);
  } finally {
    closeSync(fd);
  }
}

describe.skipIf(!present)('capture corpus', () => {
  const all = captures();

  it('finds the corpus and every cut-short capture in it', () => {
    expect(all.length).toBeGreaterThan(80);
    for (const c of CUT_SHORT)
      expect(
        all.filter((x) => x.name.endsWith(c)),
        c,
      ).toHaveLength(1);
  });

  for (const c of all) {
    const cut = CUT_SHORT.some((s) => c.name.endsWith(s));
    it(`${c.dir}/${c.name}`, async () => {
      const reader = openCapture(c.file);
      let frames = 0;
      let lastOffset = -1;
      let lastLen = 0;
      let error: unknown = null;
      try {
        await reader.forEach((f) => {
          frames++;
          lastOffset = f.fileOffset;
          lastLen = f.data.length;
        });
      } catch (e) {
        error = e;
      }
      expect(frames).toBe(c.facts.packets);
      expect(reader.format).toBe(c.facts.file_type);
      expect(reader.bytesRead).toBe(c.facts.size_bytes);
      if (!cut) {
        expect(error).toBeNull();
        return;
      }
      expect(error).toBeInstanceOf(CaptureError);
      const e = error as CaptureError;
      expect(e.file).toBe(c.file);
      // The damaged record starts right after the last good one and runs past the end of the file.
      expect(e.offset).toBe(lastOffset + 16 + lastLen);
      expect(e.offset).toBeLessThan(c.facts.size_bytes);
      const caplen = caplenAt(c.file, e.offset);
      if (caplen === null)
        expect(e.reason).toMatch(/^file ends inside a record header \(only \d+ of its 16 bytes present\)$/);
      else expect(e.offset + 16 + caplen).toBeGreaterThan(statSync(c.file).size);
    });
  }
});
