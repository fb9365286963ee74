import { expect } from 'vitest';
import {
  type CompileOptions,
  type CompileResult,
  compileRules,
  type DceView,
  type Diagnostic,
  type FlowView,
  type InspectionContext,
  type RuleMatch,
} from '../../src/rules/index.js';

export function bytes(...parts: (string | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'string') for (const c of p) out.push(c.charCodeAt(0));
    else out.push(...p);
  }
  return Uint8Array.from(out);
}

/** Hex with optional blanks: '05 00 03' → bytes. */
export function hex(h: string): Uint8Array {
  const clean = h.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function flow(over: Partial<FlowView> = {}): FlowView {
  return { id: 1, toServer: true, established: true, isDcerpc: false, bits: new Set(), ...over };
}

export function packet(payload: Uint8Array, over: Partial<InspectionContext> = {}): InspectionContext {
  return {
    tsUs: 0,
    srcIp: '10.0.0.1',
    dstIp: '10.0.0.2',
    srcPort: 50000,
    dstPort: 80,
    proto: 6,
    flow: flow(),
    payload,
    ...over,
  };
}

export function dceView(over: Partial<DceView> = {}): DceView {
  return {
    ptype: 0,
    pfcFlags: 0x03,
    littleEndian: true,
    callId: 1,
    contextId: 0,
    opnum: 0,
    stub: null,
    sealed: false,
    firstFrag: true,
    lastFrag: true,
    ...over,
  };
}

export function pdu(
  payload: Uint8Array,
  dce: Partial<DceView>,
  over: Partial<InspectionContext> = {},
): InspectionContext {
  return packet(payload, {
    srcPort: 50000,
    dstPort: 49667,
    flow: flow({ isDcerpc: true }),
    dce: dceView(dce),
    ...over,
  });
}

/** Compile and insist that nothing at error or warning level was reported. */
export function load(text: string, opts: CompileOptions = {}): CompileResult {
  const r = compileRules({ file: 'test.rules', text }, opts);
  const loud = r.diagnostics.filter((d) => d.severity !== 'info');
  expect(loud, loud.map((d) => `${d.line}:${d.column} ${d.message}`).join('\n')).toEqual([]);
  return r;
}

/** sids reported for one unit. */
export function sids(r: CompileResult, ctx: InspectionContext): number[] {
  const out: RuleMatch[] = [];
  r.ruleSet.match(ctx, out);
  return out.map((m) => m.rule.sid);
}

/** The diagnostics without info notes, as compact tuples. */
export function problems(r: CompileResult): [Diagnostic['severity'], number, number, string][] {
  return r.diagnostics
    .filter((d) => d.severity !== 'info')
    .map((d) => [d.severity, d.line, d.column, d.message] as [Diagnostic['severity'], number, number, string]);
}

export function diagnose(text: string, opts: CompileOptions = {}): CompileResult {
  return compileRules({ file: 'test.rules', text }, opts);
}
