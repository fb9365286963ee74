/**
 * The seven seed sids (rules/wmi.rules, default variables) on every real capture in ../shared/corpus/pcaps, against
 * what tshark's facts say they must do (corpus.ts: expectedSeedSids — derived from tshark's decoding, never from our
 * output). Compared per (capture, sid) pair: recall and precision must both be ≥ 0.95, and every miss or extra must be
 * in ALLOWED below with its reason AND in docs/CONFORMANCE.md ("Corpus: seed rules"), which also carries the table.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EveAlert } from '@wmi-detect/engine';
import { describe, expect, it } from 'vitest';
import {
  alertSids,
  type CorpusCapture,
  corpusAvailable,
  corpusCaptures,
  expectedSeedSids,
  repoRoot,
  runEngine,
  SEED_SIDS,
  warnSkipped,
} from './corpus.js';

if (!corpusAvailable) warnSkipped('seed rules on the corpus');

/**
 * (capture, sid) pairs where the engine may disagree with the facts, each with the reason (found by hand with
 * tshark). Key: `<capture>#<sid>`, value: `miss` or `extra` and why. Empty: on this corpus the engine agrees with
 * tshark on every pair. An entry that no longer disagrees fails the test, so this list cannot go stale.
 */
const ALLOWED: Record<string, { kind: 'miss' | 'extra'; reason: string }> = {};

interface Row {
  name: string;
  expected: number[];
  found: Map<number, number>;
  excluded: string[];
  error?: string;
  /** Alerts on a PDU whose stub is sealed (Snort skips those PDUs), and alerts on a server port other than 135. */
  sealedAlerts: number;
  dynamicPortAlerts: number;
}

describe.skipIf(!corpusAvailable)('seed rules (rules/wmi.rules) on the real corpus, against tshark', () => {
  const captures: CorpusCapture[] = corpusCaptures();
  const rows: Row[] = [];

  it('reads the whole corpus: every capture has its facts', () => {
    expect(captures.length).toBeGreaterThanOrEqual(92);
  });

  it.each(captures.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const run = await runEngine(c.pcap);
    const { sids, excluded } = expectedSeedSids(c.facts);
    const found = alertSids(run.records);
    for (const sid of found.keys()) expect(SEED_SIDS, `only seed sids are loaded`).toContain(sid);
    let sealedAlerts = 0;
    let dynamicPortAlerts = 0;
    for (const r of run.records) {
      if (r.event_type !== 'alert') continue;
      const a = r as EveAlert;
      if (a.dcerpc?.stub_sealed) sealedAlerts++;
      const serverPort =
        a.alert.signature_id === 4103009 || a.alert.signature_id === 4103005 ? a.src_port : a.dest_port;
      if (serverPort !== 135) dynamicPortAlerts++;
    }
    rows.push({
      name: c.name,
      expected: [...sids].sort(),
      found,
      excluded,
      error: run.error,
      sealedAlerts,
      dynamicPortAlerts,
    });
  });

  it('recall and precision over all (capture, sid) pairs are both ≥ 0.95, and every disagreement is explained', () => {
    expect(rows.length).toBe(captures.length);
    let tp = 0;
    const disagreements: string[] = [];
    for (const r of rows) {
      const foundSids = new Set(r.found.keys());
      for (const sid of r.expected) {
        if (foundSids.has(sid)) tp++;
        else disagreements.push(`${r.name}#${sid} miss`);
      }
      for (const sid of foundSids) if (!r.expected.includes(sid)) disagreements.push(`${r.name}#${sid} extra`);
    }
    const expectedPairs = rows.reduce((n, r) => n + r.expected.length, 0);
    const foundPairs = rows.reduce((n, r) => n + r.found.size, 0);
    const recall = tp / expectedPairs;
    const precision = tp / foundPairs;
    console.log(
      `seed rules on the corpus: ${expectedPairs} expected (capture, sid) pairs, ${foundPairs} found, ${tp} agree; ` +
        `recall ${recall.toFixed(3)}, precision ${precision.toFixed(3)}`,
    );
    for (const r of rows.filter((x) => x.expected.length > 0 || x.found.size > 0)) {
      const found = [...r.found].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
      console.log(`  ${r.name}: expected [${r.expected.join(', ')}] found [${found.join(', ')}]`);
    }
    for (const r of rows.filter((x) => x.excluded.length > 0)) console.log(`  excluded ${r.name}: ${r.excluded}`);

    // the corpus has WMI: the figures are not vacuous
    expect(expectedPairs).toBeGreaterThanOrEqual(50);
    expect(recall).toBeGreaterThanOrEqual(0.95);
    expect(precision).toBeGreaterThanOrEqual(0.95);
    const allowed = Object.entries(ALLOWED).map(([k, v]) => `${k} ${v.kind}`);
    expect(disagreements.sort()).toEqual(allowed.sort());
  });

  it('docs/CONFORMANCE.md mirrors the table and every allowed disagreement', () => {
    const doc = readFileSync(path.join(repoRoot, 'docs/CONFORMANCE.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Corpus: seed rules'), doc.indexOf('## Corpus: decoding vs tshark'));
    expect(section.length).toBeGreaterThan(100);
    for (const r of rows.filter((x) => x.expected.length > 0 || x.found.size > 0)) {
      const file = r.name.slice(r.name.indexOf('/') + 1);
      const line = section.split('\n').find((l) => l.includes(file));
      expect(line, `a table row for ${r.name}`).toBeDefined();
      expect(line).toContain(r.expected.join(', '));
    }
    // the Snort estimate's inputs: alerts in all, on sealed PDUs, on a port other than 135
    const total = rows.reduce((n, r) => n + [...r.found.values()].reduce((a, b) => a + b, 0), 0);
    const sealed = rows.reduce((n, r) => n + r.sealedAlerts, 0);
    const dynamic = rows.reduce((n, r) => n + r.dynamicPortAlerts, 0);
    expect(section).toContain(`**${sealed} of our ${total} alerts on the corpus are on sealed PDUs**`);
    expect(section).toContain(`**${dynamic} of the ${total} alerts are on a port other than 135**`);
    for (const key of Object.keys(ALLOWED)) {
      const [capture, sid] = key.split('#');
      expect(section).toContain(capture.slice(capture.indexOf('/') + 1));
      expect(section).toContain(sid);
    }
  });
});
