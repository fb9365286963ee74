import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileRules } from '../../src/rules/index.js';

// The suricata-verify peer tests' rule files must load as the suite expects (the conformance runner then checks
// the alerts on the captures). Read from ../shared, never copied into the repo.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const base = path.resolve(repoRoot, '../shared/conformance/suricata-verify');
const present = existsSync(path.join(base, 'manifest.json'));
if (!present) console.warn(`SKIPPED: suricata-verify conformance data not found at ${base}`);

interface ManifestTest {
  name: string;
  category: string;
  rules: string | null;
  sids: number[];
  exit_code: number;
}

const manifest: ManifestTest[] = present ? JSON.parse(readFileSync(path.join(base, 'manifest.json'), 'utf8')) : [];
const vars = { HOME_NET: '[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]', EXTERNAL_NET: '!$HOME_NET' };

describe.skipIf(!present)('suricata-verify rule files', () => {
  const withRules = manifest.filter(
    (t) => (t.category === 'dce-keywords' || t.category === 'flowbits-control') && t.rules !== null,
  );

  it('has the dce-keywords and flowbits-control tests', () => {
    expect(withRules.length).toBeGreaterThanOrEqual(30);
  });

  for (const t of withRules) {
    it(`${t.category}/${t.name}: every rule loads without error`, () => {
      const text = readFileSync(path.join(base, t.rules!), 'utf8');
      const r = compileRules({ file: t.rules!, text }, { vars });
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const loaded = new Set(r.rules.map((x) => x.sid));
      for (const sid of t.sids) expect(loaded.has(sid), `sid ${sid}`).toBe(true);
    });
  }

  it('dcerpc-dce-stub-data-06: a dns rule with dce_stub_data fails to load (exit 1 in strict mode)', () => {
    const t = manifest.find((x) => x.name === 'dcerpc-dce-stub-data-06')!;
    expect(t.exit_code).toBe(1);
    const text = readFileSync(path.join(base, t.rules!), 'utf8');
    expect(() => compileRules({ file: t.rules!, text }, { strict: true })).toThrow(/unsupported protocol 'dns'/);
  });

  it('dce_stub_data engine-analysis rules all load, with the units Suricata gives them', () => {
    const text = readFileSync(path.join(base, 'dce_stub_data/test.rules'), 'utf8');
    const r = compileRules({ file: 'dce_stub_data/test.rules', text });
    expect(r.errorCount).toBe(0);
    const unit = new Map(r.rules.map((x) => [x.sid, x.unit]));
    // sid 9: pcre/content only → a stream/packet rule; sid 12: byte_jump dce → DCE/RPC
    expect(unit.get(9)).toBe('packet');
    expect(unit.get(12)).toBe('dcerpc');
    expect(unit.get(1)).toBe('dcerpc');
  });

  it('zerologon: classtype gives the category and severity the suite expects', () => {
    const text = readFileSync(path.join(base, 'zerologon/test.rules'), 'utf8');
    const r = compileRules({ file: 'zerologon/test.rules', text });
    const x = r.rules.find((y) => y.sid === 20166330)!;
    expect([x.gid, x.rev, x.msg, x.category, x.severity]).toEqual([
      1,
      2,
      'Possible Zerologon Attempt',
      'Attempted Administrator Privilege Gain',
      1,
    ]);
  });
});
