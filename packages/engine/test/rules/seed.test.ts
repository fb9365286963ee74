import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  compileRules,
  DEFAULT_CLASSIFICATION_CONFIG,
  formatDiagnostic,
  parseClassificationConfig,
} from '../../src/rules/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const verbatimPath = path.join(repoRoot, 'rules/seed/kpn-wmi-verbatim.rules');
const packPath = path.join(repoRoot, 'rules/wmi.rules');
const seedPath = path.resolve(repoRoot, '../shared/seed/000_4ab9c81fb0a0dc37.txt');

const verbatim = readFileSync(verbatimPath, 'utf8');
const lines = verbatim.split('\n');

/** 1-based line of the rule with this sid, and the line text. */
function ruleLine(sid: number): { line: number; text: string } {
  const i = lines.findIndex((l) => l.startsWith('alert') && l.includes(`sid:${sid};`));
  expect(i, `sid ${sid} in the verbatim file`).toBeGreaterThanOrEqual(0);
  return { line: i + 1, text: lines[i] };
}

/** 1-based column of the n-th occurrence of `needle` (plus `shift`). */
function col(text: string, needle: string, shift = 0, nth = 0): number {
  let at = -1;
  for (let k = 0; k <= nth; k++) at = text.indexOf(needle, at + 1);
  expect(at, `'${needle}' in '${text.slice(0, 60)}…'`).toBeGreaterThanOrEqual(0);
  return at + 1 + shift;
}

describe('rules/seed/kpn-wmi-verbatim.rules', () => {
  it('holds the seven rules exactly as the seed prints them', (ctx) => {
    if (!existsSync(seedPath)) {
      console.warn(`SKIPPED: seed not found at ${seedPath}; cannot compare the verbatim rules with it`);
      ctx.skip();
    }
    const seed = readFileSync(seedPath, 'utf8');
    const fromSeed = seed
      .split('\n')
      .filter((l) => l.startsWith('*alert'))
      .map((l) => l.slice(1, l.lastIndexOf('*')));
    expect(fromSeed).toHaveLength(7);
    const inFile = lines.filter((l) => l.startsWith('alert'));
    expect(inFile).toEqual(fromSeed);
  });

  it('credits the authors and the source', () => {
    for (const who of ['Jaco Blokker', 'Bouke van Laethem', 'Andre Oosterwijk', 'KPN-CERT']) {
      expect(verbatim).toContain(who);
    }
  });

  it('gives exactly one precise diagnostic per defect and loads nothing', () => {
    const r = compileRules({ file: 'rules/seed/kpn-wmi-verbatim.rules', text: verbatim });
    const missingDollar = "variable 'legitimate_sources' used without '$'";
    const extraToken = "unexpected token '135' after the source port; expected '->' or '<>'";
    const expected: [number, number, number, string][] = [];
    for (const sid of [4103022, 4103020, 4103023, 4103001]) {
      const { line, text } = ruleLine(sid);
      expected.push([sid, line, col(text, '!legitimate_sources', 1), missingDollar]);
    }
    for (const sid of [4103009, 4103005]) {
      const { line, text } = ruleLine(sid);
      expected.push([sid, line, col(text, ' 135 ', 1), extraToken]);
      expected.push([sid, line, col(text, '!legitimate_sources', 1), missingDollar]);
    }
    {
      const { line, text } = ruleLine(4103004);
      expected.push([4103004, line, col(text, ' 135 ', 1), extraToken]);
      expected.push([4103004, line, col(text, '!legitimate_sources', 1), missingDollar]);
      expected.push([4103004, line, col(text, '\u201d'), 'typographic quote \u201d in msg; use a plain double quote']);
      expected.push([
        4103004,
        line,
        col(text, 'to_server'),
        "header contradicts 'flow:to_server': its source is $your_protected_assets port 135 (a server port) and its " +
          'destination !$legitimate_sources port any, but to_server traffic goes from the client to the server; ' +
          "write '!$legitimate_sources any -> $your_protected_assets 135'",
      ]);
    }
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.sid, d.line, d.column, d.message])).toEqual(
      expected.sort((a, b) => a[1] - b[1] || a[2] - b[2]),
    );
    expect(errors.every((d) => d.file === 'rules/seed/kpn-wmi-verbatim.rules')).toBe(true);
    // nothing else at warning level: the two defaults are documented info notes
    expect(r.diagnostics.filter((d) => d.severity === 'warning')).toEqual([]);
    expect(r.diagnostics.filter((d) => d.severity === 'info').map((d) => d.code)).toEqual([
      'var.default',
      'var.default',
    ]);
    expect(r.rules).toHaveLength(0);
    expect(formatDiagnostic(errors[0])).toBe(
      `rules/seed/kpn-wmi-verbatim.rules:${expected[0][1]}:${expected[0][2]}: error: ${missingDollar} (sid 4103022)`,
    );
  });
});

describe('rules/wmi.rules', () => {
  const text = readFileSync(packPath, 'utf8');

  it('loads clean: the seven sids, no error or warning', () => {
    const r = compileRules({ file: 'rules/wmi.rules', text });
    expect(r.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    expect(r.rules.map((x) => x.sid)).toEqual([4103022, 4103020, 4103023, 4103001, 4103009, 4103005, 4103004]);
  });

  it('bumps rev on every rule and keeps msg/classtype/metadata/tag', () => {
    const r = compileRules({ file: 'rules/wmi.rules', text });
    const by = new Map(r.rules.map((x) => [x.sid, x]));
    expect([...by.values()].map((x) => [x.sid, x.rev])).toEqual([
      [4103022, 2],
      [4103020, 2],
      [4103023, 2],
      [4103001, 3],
      [4103009, 3],
      [4103005, 3],
      [4103004, 5],
    ]);
    for (const x of r.rules) {
      expect(x.unit).toBe('dcerpc');
      expect(x.classtype).toBe('policy-violation');
      expect(x.severity).toBe(1);
      expect(x.category).toBe('Potential Corporate Privacy Violation');
      expect(x.metadata.service).toEqual(['dcerpc']);
      expect(x.portsIgnored).toBe(true);
    }
    expect(by.get(4103022)!.tag).toEqual({ type: 'session', exclusive: true });
    expect(by.get(4103004)!.msg).toBe('RPC request generic remote activation');
    expect(by.get(4103022)!.references).toEqual([
      { system: 'url', id: 'https://msdn.microsoft.com/en-us/library/cc250739.aspx' },
    ]);
  });

  it('explains each changed rule in a comment right above it', () => {
    const ls = text.split('\n');
    for (const sid of [4103022, 4103020, 4103023, 4103001, 4103009, 4103005, 4103004]) {
      const i = ls.findIndex((l) => l.startsWith('alert') && l.includes(`sid:${sid};`));
      let j = i - 1;
      while (j >= 0 && ls[j].startsWith('#') && !ls[j].startsWith(`# ${sid} `)) j--;
      expect(ls[j], `comment for ${sid}`).toMatch(new RegExp(`^# ${sid} rev \\d+:`));
    }
  });
});

describe('rules/classification.config', () => {
  it('is the built-in default table, byte for byte, and has policy-violation at priority 1', () => {
    const file = readFileSync(path.join(repoRoot, 'rules/classification.config'), 'utf8');
    expect(file).toBe(DEFAULT_CLASSIFICATION_CONFIG);
    const { table, diagnostics } = parseClassificationConfig(file, 'rules/classification.config');
    expect(diagnostics.items).toEqual([]);
    expect(table.get('policy-violation')).toEqual({
      name: 'policy-violation',
      description: 'Potential Corporate Privacy Violation',
      priority: 1,
    });
    expect(table.get('attempted-admin')?.description).toBe('Attempted Administrator Privilege Gain');
    expect(table.get('tcp-connection')?.priority).toBe(4);
    expect(table.get('misc-activity')?.description).toBe('Misc activity');
    expect(table.get('shellcode-detect')?.description).toBe('Executable Code was Detected');
    expect(table.size).toBe(38);
  });
});
