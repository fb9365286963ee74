/**
 * Acceptance of `wmidetect analyze` and `wmidetect rules check` (issue 3, §5 and Acceptance 1, 3, 4):
 *
 * - every real capture in ../shared/corpus/pcaps: exit 0, or exit 3 for exactly the captures capinfos reports as cut
 *   short in the middle of a packet — with file, byte offset and reason on stderr, every frame before the cut
 *   analysed (as many as capinfos counts) and its alerts printed; the last stdout line is the stats record;
 * - corrupt captures made here from a generated scenario (truncated mid-record in pcap and pcapng, a garbage file
 *   header, an absurd record length): never a crash, exit 3, file + offset + reason, and exactly the alerts of the
 *   intact records before the damage (computed by analysing those records alone);
 * - `rules check` on the seed's verbatim rules: one precise diagnostic per defect, exit 2; on rules/wmi.rules: clean;
 * - usage errors exit 2.
 *
 * Most runs call the command in-process (the same function bin/wmidetect.mjs runs); a few spawn the real binary
 * after `npx tsc -b`, as a user would run it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { scenarioBytes } from '@wmi-detect/capture-gen';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../src/commands/analyze.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const pcapsDir = path.resolve(repoRoot, '../shared/corpus/pcaps');
const BIN = path.join(repoRoot, 'bin/wmidetect.mjs');
const haveCorpus = existsSync(pcapsDir);
const haveCapinfos = spawnSync('capinfos', ['-h'], { stdio: 'ignore' }).status === 0;
if (!haveCorpus || !haveCapinfos) {
  console.warn(
    `\n!!! [analyze acceptance] corpus part SKIPPED: ${haveCorpus ? 'capinfos is not installed' : `${pcapsDir} is not available`}\n`,
  );
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  lines: Array<Record<string, unknown>>;
}

class Collect extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** `wmidetect analyze ARGS` in-process. */
async function runAnalyze(args: string[]): Promise<Run> {
  const stdout = new Collect();
  const stderr = new Collect();
  const code = await analyze(['--no-progress', ...args], {
    stdout,
    stderr: stderr as unknown as NodeJS.WriteStream,
  });
  return { code, stdout: stdout.text, stderr: stderr.text, lines: jsonLines(stdout.text) };
}

/** The real binary as a child process. */
function runBin(args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 1 << 28 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, lines: [] };
}

function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function alertKeys(lines: Array<Record<string, unknown>>): string[] {
  return lines
    .filter((l) => l.event_type === 'alert')
    .map((l) => {
      const a = l.alert as { signature_id: number };
      return `${a.signature_id}|${l.timestamp}|${l.flow_id}|${l.alert_id}`;
    });
}

function statsOf(run: Run): Record<string, unknown> {
  const last = run.lines[run.lines.length - 1];
  expect(last?.event_type, 'the last line is the stats record').toBe('stats');
  return last.stats as Record<string, unknown>;
}

function corpusFiles(): string[] {
  if (!haveCorpus || !haveCapinfos) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const f = path.join(d, e);
      if (statSync(f).isDirectory()) walk(f);
      else out.push(f);
    }
  };
  walk(pcapsDir);
  return out;
}

/** capinfos' packet count, and whether it says the file was cut short in the middle of a packet. */
function capinfos(file: string): { packets: number; cutShort: boolean } {
  const r = spawnSync('capinfos', ['-M', '-c', file], { encoding: 'utf8' });
  const m = /Number of packets:\s+(\d+)/.exec(r.stdout);
  if (!m) throw new Error(`capinfos ${file}: ${r.stderr}`);
  return { packets: Number(m[1]), cutShort: /cut short in the middle of a packet/.test(r.stderr) };
}

let scratch = '';
beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'wmidetect-acceptance-'));
});
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe.skipIf(!haveCorpus || !haveCapinfos)('analyze over every real corpus capture', () => {
  const files = corpusFiles();
  const cut: string[] = [];

  it.each(files.map((f) => [path.relative(pcapsDir, f), f] as const))('%s', async (_name, file) => {
    const info = capinfos(file);
    const run = await runAnalyze([file]);
    const stats = statsOf(run);
    // every record capinfos can read was read (before the cut, for a cut-short file)
    expect(stats.frames).toBe(info.packets);
    expect(typeof stats.packets).toBe('number');
    expect(typeof stats.bytes).toBe('number');
    expect(typeof stats.connections).toBe('number');
    expect(stats.dcerpc_pdus_by_type).toBeTypeOf('object');
    expect(stats.problems).toBeTypeOf('object');
    expect(typeof stats.elapsed_ms).toBe('number');
    // alerts_by_sid counts exactly the alert lines printed
    const bySid: Record<string, number> = {};
    for (const l of run.lines.filter((x) => x.event_type === 'alert')) {
      const sid = String((l.alert as { signature_id: number }).signature_id);
      bySid[sid] = (bySid[sid] ?? 0) + 1;
    }
    expect(stats.alerts_by_sid).toEqual(bySid);
    if (info.cutShort) {
      cut.push(path.relative(pcapsDir, file));
      expect(run.code).toBe(3);
      const size = statSync(file).size;
      const m = /^wmidetect: (.+): at byte (\d+): (.+)$/m.exec(run.stderr);
      expect(m, run.stderr).not.toBeNull();
      expect(m?.[1]).toBe(file);
      expect(Number(m?.[2])).toBeGreaterThan(24);
      expect(Number(m?.[2])).toBeLessThan(size);
      expect(m?.[3]).toMatch(/file ends inside a record/);
      const entry = (stats.captures as Array<{ file: string; error?: string }>)[0];
      expect(entry.error).toContain(`at byte ${m?.[2]}`);
    } else {
      expect(run.code, run.stderr).toBe(0);
    }
  });

  it('exit 3 for exactly the eight OTRF captures capinfos reports as cut short', () => {
    expect(cut.length).toBe(8);
    for (const c of cut) expect(c.startsWith('OTRF__Security-Datasets/')).toBe(true);
  });
});

// --- corrupt captures generated here ----------------------------------------------------------------------------

/** Byte offsets of the record headers of a classic pcap (24-byte file header, 16-byte record headers). */
function pcapRecords(b: Uint8Array): number[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  expect(dv.getUint32(0, true)).toBe(0xa1b2c3d4); // the generator writes little-endian µs pcap
  const out: number[] = [];
  for (let o = 24; o + 16 <= b.length; o += 16 + dv.getUint32(o + 8, true)) out.push(o);
  return out;
}

/** Byte offsets of the blocks of a pcapng file (type u32, total length u32 at +4), with their types. */
function pcapngBlocks(b: Uint8Array): Array<{ offset: number; type: number }> {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Array<{ offset: number; type: number }> = [];
  for (let o = 0; o + 12 <= b.length; o += dv.getUint32(o + 4, true))
    out.push({ offset: o, type: dv.getUint32(o, true) });
  return out;
}

function write(name: string, bytes: Uint8Array): string {
  const f = path.join(scratch, name);
  writeFileSync(f, bytes);
  return f;
}

describe('analyze on corrupt captures: exit 3, file + offset + reason, the good part analysed', () => {
  const { bytes } = scenarioBytes('wmi-activation-ok');
  const records = pcapRecords(bytes);

  /** Alerts of the intact records [0, k) alone. */
  async function goodPartAlerts(k: number): Promise<string[]> {
    const prefix = write(`prefix-${k}.pcap`, bytes.subarray(0, records[k]));
    const run = await runAnalyze([prefix]);
    expect(run.code).toBe(0);
    return alertKeys(run.lines);
  }

  it('the intact capture alerts (so the cases below have alerts before and after the damage)', async () => {
    const run = await runAnalyze([write('intact.pcap', bytes)]);
    expect(run.code).toBe(0);
    expect(alertKeys(run.lines).length).toBeGreaterThan(2);
  });

  it('truncated in the middle of a record', async () => {
    const k = Math.floor(records.length * 0.7);
    const len = records[k + 1] - records[k];
    const file = write('truncated.pcap', bytes.subarray(0, records[k] + 16 + Math.floor((len - 16) / 2)));
    const run = await runAnalyze([file]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`^wmidetect: ${reEscape(file)}: at byte ${records[k]}: .*record`, 'm'));
    const good = await goodPartAlerts(k);
    expect(good.length).toBeGreaterThan(0);
    expect(alertKeys(run.lines)).toEqual(good);
    expect(statsOf(run).frames).toBe(k);
  });

  it('an absurd record length (incl_len 0x7ffffff0)', async () => {
    const k = Math.floor(records.length * 0.5);
    const damaged = bytes.slice();
    new DataView(damaged.buffer).setUint32(records[k] + 8, 0x7ffffff0, true);
    const file = write('absurd.pcap', damaged);
    const run = await runAnalyze([file]);
    expect(run.code).toBe(3);
    const m = new RegExp(`^wmidetect: ${reEscape(file)}: at byte (\\d+): (.+)$`, 'm').exec(run.stderr);
    expect(m, run.stderr).not.toBeNull();
    expect(Number(m?.[1])).toBe(records[k]);
    expect(m?.[2]).toMatch(/2147483632|length/);
    expect(alertKeys(run.lines)).toEqual(await goodPartAlerts(k));
    expect(statsOf(run).frames).toBe(k);
  });

  it('a garbage file header', async () => {
    const damaged = bytes.slice();
    damaged.set(new TextEncoder().encode('this is not a capture!!!'), 0);
    const file = write('garbage.pcap', damaged);
    const run = await runAnalyze([file]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`^wmidetect: ${reEscape(file)}: at byte 0: .+`, 'm'));
    expect(alertKeys(run.lines)).toEqual([]);
    expect(statsOf(run).frames).toBe(0);
  });

  it('pcapng truncated in the middle of an enhanced packet block', async () => {
    const ng = scenarioBytes('wmi-activation-ok', 'pcapng').bytes;
    const epbs = pcapngBlocks(ng).filter((b) => b.type === 6);
    const k = Math.floor(epbs.length * 0.7);
    const file = write('truncated.pcapng', ng.subarray(0, epbs[k].offset + 40));
    const run = await runAnalyze([file]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`^wmidetect: ${reEscape(file)}: at byte ${epbs[k].offset}: .+`, 'm'));
    const prefix = await runAnalyze([write('prefix.pcapng', ng.subarray(0, epbs[k].offset))]);
    expect(prefix.code).toBe(0);
    expect(alertKeys(prefix.lines).length).toBeGreaterThan(0);
    expect(alertKeys(run.lines)).toEqual(alertKeys(prefix.lines));
  });

  it('a damaged capture among good ones: the others are analysed, exit 3', async () => {
    const good = write('good.pcap', bytes);
    const bad = write('bad.pcap', bytes.subarray(0, records[3] + 20));
    const run = await runAnalyze([bad, good]);
    expect(run.code).toBe(3);
    const captures = statsOf(run).captures as Array<{ file: string; error?: string }>;
    expect(captures.map((c) => [c.file, c.error !== undefined])).toEqual([
      [bad, true],
      [good, false],
    ]);
    expect(alertKeys(run.lines).length).toBeGreaterThan(2);
  });
});

function reEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// --- the real binary -------------------------------------------------------------------------------------------

describe('the wmidetect binary', () => {
  beforeAll(() => {
    // bin/wmidetect.mjs runs dist/: build it as `npm ci` (prepare) does
    spawnSync('npx', ['tsc', '-b'], { cwd: repoRoot, stdio: 'ignore' });
  });

  it('rules check on the verbatim seed rules: one precise diagnostic per defect, exit 2', () => {
    const r = runBin(['rules', 'check', 'rules/seed/kpn-wmi-verbatim.rules']);
    expect(r.code).toBe(2);
    const errors = r.stdout.split('\n').filter((l) => / error: /.test(l));
    const at = (line: number, re: RegExp) =>
      errors.filter((e) => e.startsWith(`rules/seed/kpn-wmi-verbatim.rules:${line}:`) && re.test(e));
    // 'legitimate_sources' without '$': all seven rules (lines 17-19, 22-24, 27)
    for (const line of [17, 18, 19, 22, 23, 24, 27]) {
      expect(at(line, /variable 'legitimate_sources' used without '\$'/), `line ${line}`).toHaveLength(1);
    }
    // three tokens before '->' in 4103009, 4103005, 4103004
    for (const [line, sid] of [
      [23, 4103009],
      [24, 4103005],
      [27, 4103004],
    ]) {
      expect(
        at(
          line,
          new RegExp(
            `:38: error: unexpected token '135' after the source port; expected '->' or '<>' \\(sid ${sid}\\)`,
          ),
        ),
      ).toHaveLength(1);
    }
    expect(at(27, /typographic quote ” in msg; use a plain double quote \(sid 4103004\)/)).toHaveLength(1);
    expect(at(27, /header contradicts 'flow:to_server'.*\(sid 4103004\)/)).toHaveLength(1);
    // nothing else: 7 + 3 + 1 + 1 defects
    expect(errors).toHaveLength(12);
    expect(r.stdout).toMatch(/0 rules loaded from 1 file\(s\): 12 error\(s\)/);
  });

  it('rules check on rules/wmi.rules: clean, exit 0', () => {
    const r = runBin(['rules', 'check', 'rules/wmi.rules']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/ (error|warning): /);
    expect(r.stdout).toMatch(/7 rules loaded from 1 file\(s\): 0 error\(s\), 0 warning\(s\)/);
  });

  it('usage errors exit 2 with the usage text', () => {
    for (const args of [
      ['analyze'],
      ['analyze', '--bogus', 'x.pcap'],
      ['rules', 'frobnicate'],
      ['no-such-command'],
      [],
    ]) {
      const r = runBin(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout + r.stderr, args.join(' ')).toMatch(/usage: wmidetect/);
    }
  });

  it('analyze on a generated capture: EVE alert lines and the stats record, exit 0', () => {
    const file = write('bin.pcap', scenarioBytes('wmi-activation-ok').bytes);
    const r = runBin(['analyze', file]);
    expect(r.code, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    const alerts = lines.filter((l) => l.event_type === 'alert');
    expect(alerts.length).toBeGreaterThan(2);
    for (const a of alerts) {
      expect(a).toMatchObject({ proto: 'TCP', app_proto: 'dcerpc', alert: { action: 'allowed', gid: 1 } });
      expect(a.dcerpc).toBeTypeOf('object');
    }
    expect(lines[lines.length - 1].event_type).toBe('stats');
  });

  it.skipIf(!haveCorpus)('analyze on a cut-short corpus capture: exit 3, alerts before the cut on stdout', () => {
    const file = path.join(
      pcapsDir,
      'OTRF__Security-Datasets/datasets__small__windows__lateral_movement__covenant_sharpwmi_dcerpc_wmi_execquery_execmethod.cap',
    );
    const r = runBin(['analyze', '--rules', 'rules/wmi.rules', file]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`wmidetect: ${file}: at byte 73563: file ends inside a record header`);
    const sids = new Set(
      jsonLines(r.stdout)
        .filter((l) => l.event_type === 'alert')
        .map((l) => (l.alert as { signature_id: number }).signature_id),
    );
    // tshark's facts for this capture: ISystemActivator, IWbemLevel1Login, IWbemServices, IEnumWbemClassObject
    // requests and the WMI CLSID in a clear activation stub
    expect([...sids].sort()).toEqual([4103001, 4103004, 4103020, 4103022, 4103023]);
  });
});
