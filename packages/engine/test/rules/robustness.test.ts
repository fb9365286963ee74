import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileRules, type RuleMatch } from '../../src/rules/index.js';
import { bytes, hex, packet, pdu } from './helpers.js';

function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const pack = readFileSync(new URL('../../../../rules/wmi.rules', import.meta.url), 'utf8');
const seeds = [
  ...pack.split('\n').filter((l) => l.startsWith('alert')),
  'alert tcp [10.0.0.0/8,!10.1.0.0/16] 1024: <> $HOME_NET [135,445] (msg:"x"; content:"|05 00|"; depth:2; pcre:"/a(b|c)+d/Ri"; byte_jump:2,0,relative,little,align; byte_extract:1,0,v,relative; isdataat:v,relative; flowbits:set,a&b; sid:9;)',
  'alert dcerpc any any -> any any (dcerpc.iface:12345678-1234-abcd-ef00-0123456789ab,=1,any_frag; dcerpc.opnum:1-3,7; dcerpc.stub_data; content:"x"; distance:-2; within:9; sid:10;)',
];
const PIECES = [
  '"',
  ';',
  '(',
  ')',
  '[',
  ']',
  '!',
  '$',
  '|',
  '\\',
  ':',
  ',',
  '->',
  '<>',
  ' ',
  '\u201d',
  'any',
  '0',
  '-1',
  '99999999999',
  'content:',
  'pcre:"/(?>',
  '\n',
  '#',
];

describe('garbage in, diagnostics out', () => {
  it('mutated rules never throw, and every diagnostic points inside the text', () => {
    const next = rng(12345);
    for (let round = 0; round < 3000; round++) {
      let t = seeds[next() % seeds.length];
      const edits = 1 + (next() % 4);
      for (let e = 0; e < edits; e++) {
        const at = next() % (t.length + 1);
        const op = next() % 3;
        if (op === 0) t = t.slice(0, at) + t.slice(at + 1 + (next() % 5));
        else if (op === 1) t = t.slice(0, at) + PIECES[next() % PIECES.length] + t.slice(at);
        else t = t.slice(0, at) + t.slice(at).split('').reverse().join('').slice(0, 3) + t.slice(at + 3);
      }
      const lines = t.split('\n');
      const r = compileRules({ file: 'fuzz.rules', text: t }, { vars: { HOME_NET: 'any' } });
      for (const d of r.diagnostics) {
        expect(d.line, t).toBeGreaterThanOrEqual(1);
        expect(d.line, t).toBeLessThanOrEqual(lines.length);
        expect(d.column, t).toBeGreaterThanOrEqual(1);
        expect(d.column, t).toBeLessThanOrEqual(lines[d.line - 1].length + 1);
        expect(d.message.length).toBeGreaterThan(0);
        expect(d.code, `${d.message}\n${t}`).not.toBe('internal'); // the safety net must never be needed
      }
      // whatever loaded must evaluate without throwing
      const out: RuleMatch[] = [];
      r.ruleSet.match(packet(bytes('xx', [5, 0, 3, 0, 0, 0, 0, 0], 'abcd')), out);
      r.ruleSet.match(pdu(hex('05 00 00 03 10 00 00 00 18 00'), { stub: hex('00 01 02 78') }), out);
    }
  });

  it('statements that are not rules at all', () => {
    for (const text of [
      '(',
      ')',
      'alert',
      'alert tcp',
      '->',
      '((((',
      'alert tcp any any -> any any',
      '\\',
      'x'.repeat(10000),
    ]) {
      const r = compileRules({ file: 'g.rules', text });
      expect(r.rules).toEqual([]);
      expect(r.errorCount, text).toBeGreaterThan(0);
      expect(r.diagnostics.some((d) => d.code === 'internal')).toBe(false);
    }
  });
});
