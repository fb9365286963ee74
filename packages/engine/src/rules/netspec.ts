/**
 * Address and port expressions of the rule header, and the compiled sets they become.
 *
 * Grammar (Snort 2.9, also used for variable values):
 *   spec  := '!' spec | '[' spec { ',' spec } ']' | atom          (blanks allowed around ',' and inside [ ])
 *   atom  := '$' NAME | 'any'
 *          | address:  IPv4 ['/' prefix | '/' dotted-mask] | IPv6 ['/' prefix]
 *          | port:     N | N ':' | ':' N | N ':' M                (0..65535, lo <= hi)
 * List semantics are Snort's: `[a,b,!c]` = (a ∪ b) − c; a list of only negations is any − (those); `!x` is the
 * complement of x. Nested lists follow the same rules. `!any` is an error (it can never match).
 *
 * Compiled form: AddressSet keeps IPv4 as sorted u32 ranges (numbers) and IPv6 as sorted bigint ranges; PortSet keeps
 * u16 ranges. `any` short-circuits. Runtime IPs are strings in InspectionContext; IpCache turns each distinct string
 * into a ParsedIp once (bounded map), so a flow's packets pay a Map lookup, not a parse.
 */

import { ipToBytes } from '../flow/ip.js';
import { BIG, complement, hasBig, hasNum, isFull, NUM, normalize, PORTS, subtract, union } from './intervals.js';
import { defaultFor, type VarDef } from './variables.js';

export type SpecMode = 'addr' | 'port';

export type SpecNode =
  | { k: 'any'; at: number; len: number }
  | { k: 'v4'; lo: number; hi: number; at: number; len: number }
  | { k: 'v6'; lo: bigint; hi: bigint; at: number; len: number }
  | { k: 'port'; lo: number; hi: number; at: number; len: number }
  | { k: 'var'; name: string; at: number; len: number; missingDollar: boolean }
  | { k: 'not'; inner: SpecNode; at: number; len: number }
  | { k: 'list'; items: SpecNode[]; at: number; len: number };

export interface SpecIssue {
  /** Offset in the parsed text. */
  at: number;
  code: string;
  message: string;
  severity: 'error' | 'warning' | 'info';
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

export function parseSpec(
  text: string,
  mode: SpecMode,
  isKnownVar: (name: string) => boolean,
  issues: SpecIssue[],
): SpecNode | null {
  const p = new SpecParser(text, mode, isKnownVar, issues);
  const node = p.spec();
  if (node === null) return null;
  p.skipWs();
  if (p.pos < text.length) {
    issues.push({
      at: p.pos,
      code: mode === 'addr' ? 'address.syntax' : 'port.syntax',
      message: `unexpected '${text.slice(p.pos)}' in ${mode === 'addr' ? 'address' : 'port'} '${text}'`,
      severity: 'error',
    });
    return null;
  }
  return node;
}

class SpecParser {
  pos = 0;
  constructor(
    readonly text: string,
    readonly mode: SpecMode,
    readonly isKnownVar: (name: string) => boolean,
    readonly issues: SpecIssue[],
  ) {}

  private err(at: number, code: string, message: string): null {
    this.issues.push({ at, code, message, severity: 'error' });
    return null;
  }

  private get what(): string {
    return this.mode === 'addr' ? 'address' : 'port';
  }

  skipWs(): void {
    while (this.pos < this.text.length && (this.text[this.pos] === ' ' || this.text[this.pos] === '\t')) this.pos++;
  }

  spec(): SpecNode | null {
    this.skipWs();
    const at = this.pos;
    const c = this.text[at];
    if (c === undefined) return this.err(at, `${this.mode}.empty`, `missing ${this.what}`);
    if (c === '!') {
      this.pos++;
      const inner = this.spec();
      if (inner === null) return null;
      if (inner.k === 'any') {
        return this.err(at, `${this.mode}.not-any`, `'!any' matches no ${this.what}`);
      }
      return { k: 'not', inner, at, len: this.pos - at };
    }
    if (c === '[') {
      this.pos++;
      const items: SpecNode[] = [];
      for (;;) {
        this.skipWs();
        if (this.text[this.pos] === ']') {
          if (items.length === 0) return this.err(at, `${this.mode}.empty-list`, `empty ${this.what} list '[]'`);
          this.pos++;
          break;
        }
        const item = this.spec();
        if (item === null) return null;
        items.push(item);
        this.skipWs();
        const d = this.text[this.pos];
        if (d === ',') {
          this.pos++;
          continue;
        }
        if (d === ']') continue;
        if (d === undefined) return this.err(at, `${this.mode}.unclosed-list`, `missing ']' in ${this.what} list`);
        return this.err(this.pos, `${this.mode}.syntax`, `expected ',' or ']' in ${this.what} list, found '${d}'`);
      }
      return { k: 'list', items, at, len: this.pos - at };
    }
    // atom: up to a delimiter
    let end = at;
    while (end < this.text.length && !' \t,[]!'.includes(this.text[end])) end++;
    const word = this.text.slice(at, end);
    this.pos = end;
    if (word === '') return this.err(at, `${this.mode}.syntax`, `unexpected '${c}' in ${this.what}`);
    return this.atom(word, at);
  }

  private atom(word: string, at: number): SpecNode | null {
    const len = word.length;
    if (word[0] === '$') {
      const name = word.slice(1);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        return this.err(at, 'var.bad-name', `invalid variable name '${word}'`);
      }
      return { k: 'var', name, at, len, missingDollar: false };
    }
    if (word.toLowerCase() === 'any') return { k: 'any', at, len };
    if (this.mode === 'addr') {
      const r = parseAddressLiteral(word);
      if (r) return { ...r, at, len };
    } else {
      const r = parsePortLiteral(word);
      if (typeof r === 'string') return this.err(at, 'port.invalid', r);
      if (r) return { k: 'port', lo: r[0], hi: r[1], at, len };
    }
    // a bare name where a variable fits: a known variable (addresses), or any name at all (ports are digits)
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(word) && (this.mode === 'port' || this.isKnownVar(word))) {
      this.issues.push({
        at,
        code: 'var.missing-dollar',
        message: `variable '${word}' used without '$'`,
        severity: 'error',
      });
      return { k: 'var', name: word, at, len, missingDollar: true };
    }
    if (this.mode === 'addr') {
      return this.err(
        at,
        'address.invalid',
        `invalid address '${word}'; expected an IPv4/IPv6 address or CIDR, a [list], 'any' or a $VARIABLE`,
      );
    }
    return this.err(
      at,
      'port.invalid',
      `invalid port '${word}'; expected N, N:M, N:, :M, a [list], 'any' or a $VARIABLE`,
    );
  }
}

function parseAddressLiteral(
  word: string,
): { k: 'v4'; lo: number; hi: number } | { k: 'v6'; lo: bigint; hi: bigint } | null {
  const slash = word.indexOf('/');
  const ipText = slash >= 0 ? word.slice(0, slash) : word;
  const bytes = ipToBytes(ipText);
  if (!bytes) return null;
  const bits = bytes.length * 8;
  let prefix = bits;
  if (slash >= 0) {
    const m = word.slice(slash + 1);
    if (/^\d{1,3}$/.test(m)) {
      prefix = Number(m);
      if (prefix > bits) return null;
    } else if (bits === 32) {
      const mask = ipToBytes(m);
      if (mask?.length !== 4) return null;
      const mv = ((mask[0] << 24) | (mask[1] << 16) | (mask[2] << 8) | mask[3]) >>> 0;
      // a dotted netmask must be contiguous ones
      const inv = ~mv >>> 0;
      if ((inv & (inv + 1)) !== 0) return null;
      prefix = 32 - Math.log2(inv + 1);
    } else {
      return null;
    }
  }
  if (bits === 32) {
    const v = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
    const hostBits = 32 - prefix;
    const size = 2 ** hostBits;
    const lo = v - (v % size);
    return { k: 'v4', lo, hi: lo + size - 1 };
  }
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  const hostBits = BigInt(128 - prefix);
  const mask = (1n << hostBits) - 1n;
  const lo = v & ~mask;
  return { k: 'v6', lo, hi: lo | mask };
}

/** [lo, hi], a message naming the problem, or null when the word is not a port literal at all. */
function parsePortLiteral(word: string): [number, number] | string | null {
  const m = /^(\d*)(:?)(\d*)$/.exec(word);
  if (!m) return null;
  const [, a, colon, b] = m;
  if (a === '' && b === '') return colon ? `invalid port range ':'` : null;
  if (!colon && b !== '') return null;
  const lo = a === '' ? 0 : Number(a);
  const hi = colon ? (b === '' ? 65535 : Number(b)) : lo;
  if (lo > 65535 || hi > 65535) return `port '${word}' is out of range 0-65535`;
  if (lo > hi) return `port range '${word}' has its low end above its high end`;
  return [lo, hi];
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation to sets, with variables

export class AddressSet {
  readonly any: boolean;
  readonly empty: boolean;
  readonly v4: Float64Array;
  constructor(
    v4: number[],
    readonly v6: readonly bigint[],
  ) {
    this.v4 = Float64Array.from(v4);
    this.any = isFull(NUM, v4) && isFull(BIG, v6 as bigint[]);
    this.empty = v4.length === 0 && v6.length === 0;
  }
  has(ip: ParsedIp): boolean {
    if (this.any) return true;
    return ip.v4 >= 0 ? hasNum(this.v4, ip.v4) : hasBig(this.v6, ip.v6);
  }
}

export class PortSet {
  readonly any: boolean;
  readonly empty: boolean;
  readonly ranges: Uint32Array;
  constructor(ranges: number[]) {
    this.ranges = Uint32Array.from(ranges);
    this.any = isFull(PORTS, ranges);
    this.empty = ranges.length === 0;
  }
  has(port: number): boolean {
    return this.any || hasNum(this.ranges, port);
  }
  /** True when every port in the set is below `limit` (used to spot server ports). */
  allBelow(limit: number): boolean {
    return !this.empty && this.ranges[this.ranges.length - 1] < limit;
  }
}

interface AddrRanges {
  v4: number[];
  v6: bigint[];
}

/** One evaluation problem, attached to the node (and so to the text position) it came from. */
export interface EvalIssue {
  at: number;
  code: string;
  message: string;
  severity: 'error' | 'warning' | 'info';
  /** Report once per compile (defaults of a variable), not once per use. */
  onceKey?: string;
}

type VarValue = { ok: true; addr?: AddrRanges; port?: number[] } | { ok: false; message: string };

/**
 * Resolves variables and evaluates spec trees. One instance per compile: variable values are parsed and evaluated
 * once per (name, position) and shared by every rule that uses them.
 */
export class SpecEvaluator {
  private readonly cache = new Map<string, VarValue>();
  private readonly resolving = new Set<string>();
  /** Problems inside variable values, reported at the variable's definition. */
  readonly definitionIssues: { def: VarDef; issue: SpecIssue | { at: number; code: string; message: string } }[] = [];

  constructor(private readonly vars: ReadonlyMap<string, VarDef>) {}

  isKnown = (name: string): boolean => this.vars.has(name) || defaultFor(name, 'addr') !== null;

  evalAddr(node: SpecNode, issues: EvalIssue[]): AddrRanges | null {
    switch (node.k) {
      case 'any':
        return { v4: [0, NUM.max], v6: [0n, BIG.max] };
      case 'v4':
        return { v4: [node.lo, node.hi], v6: [] };
      case 'v6':
        return { v4: [], v6: [node.lo, node.hi] };
      case 'port':
        return null;
      case 'var': {
        const v = this.resolveVar(node, 'addr', issues);
        return v?.addr ?? null;
      }
      case 'not': {
        const inner = this.evalAddr(node.inner, issues);
        if (!inner) return null;
        return { v4: complement(NUM, inner.v4), v6: complement(BIG, inner.v6) };
      }
      case 'list': {
        let pos4: number[] = [];
        let pos6: bigint[] = [];
        let neg4: number[] = [];
        let neg6: bigint[] = [];
        let anyPositive = false;
        for (const item of node.items) {
          if (item.k === 'not') {
            const r = this.evalAddr(item.inner, issues);
            if (!r) return null;
            neg4 = union(NUM, neg4, r.v4);
            neg6 = union(BIG, neg6, r.v6);
          } else {
            const r = this.evalAddr(item, issues);
            if (!r) return null;
            anyPositive = true;
            pos4 = union(NUM, pos4, r.v4);
            pos6 = union(BIG, pos6, r.v6);
          }
        }
        if (!anyPositive) {
          pos4 = [0, NUM.max];
          pos6 = [0n, BIG.max];
        }
        return { v4: subtract(NUM, pos4, neg4), v6: subtract(BIG, pos6, neg6) };
      }
    }
  }

  evalPort(node: SpecNode, issues: EvalIssue[]): number[] | null {
    switch (node.k) {
      case 'any':
        return [0, PORTS.max];
      case 'port':
        return [node.lo, node.hi];
      case 'v4':
      case 'v6':
        return null;
      case 'var':
        return this.resolveVar(node, 'port', issues)?.port ?? null;
      case 'not': {
        const inner = this.evalPort(node.inner, issues);
        return inner ? complement(PORTS, inner) : null;
      }
      case 'list': {
        let pos: number[] = [];
        let neg: number[] = [];
        let anyPositive = false;
        for (const item of node.items) {
          if (item.k === 'not') {
            const r = this.evalPort(item.inner, issues);
            if (!r) return null;
            neg = union(PORTS, neg, r);
          } else {
            const r = this.evalPort(item, issues);
            if (!r) return null;
            anyPositive = true;
            pos = union(PORTS, pos, r);
          }
        }
        if (!anyPositive) pos = [0, PORTS.max];
        return subtract(PORTS, pos, neg);
      }
    }
  }

  private resolveVar(
    node: { name: string; at: number },
    mode: SpecMode,
    issues: EvalIssue[],
  ): { addr?: AddrRanges; port?: number[] } | null {
    const key = `${mode}:${node.name}`;
    const def = this.vars.get(node.name);
    if (!def) {
      const dflt = defaultFor(node.name, mode);
      if (!dflt) {
        issues.push({
          at: node.at,
          code: 'var.undefined',
          message: `undefined variable '$${node.name}'; set it with --var ${node.name}=VALUE or in a --vars file`,
          severity: 'error',
        });
        return null;
      }
      issues.push({ at: node.at, code: 'var.default', message: dflt.why, severity: dflt.severity, onceKey: key });
      if (mode === 'port') return { port: [0, PORTS.max] };
      return dflt.value === 'any' ? { addr: { v4: [0, NUM.max], v6: [0n, BIG.max] } } : { addr: { v4: [], v6: [] } };
    }
    const cached = this.cache.get(key);
    if (cached) {
      if (!cached.ok) {
        issues.push({ at: node.at, code: 'var.invalid', message: cached.message, severity: 'error' });
        return null;
      }
      return cached;
    }
    if (this.resolving.has(key)) {
      issues.push({
        at: node.at,
        code: 'var.cycle',
        message: `variable '$${node.name}' refers to itself`,
        severity: 'error',
      });
      return null;
    }
    if ((def.kind === 'ip' && mode === 'port') || (def.kind === 'port' && mode === 'addr')) {
      const message = `variable '$${node.name}' is a ${def.kind === 'ip' ? 'ipvar' : 'portvar'} and cannot be used as ${mode === 'addr' ? 'an address' : 'a port'}`;
      issues.push({ at: node.at, code: 'var.kind', message, severity: 'error' });
      return null;
    }
    this.resolving.add(key);
    try {
      const specIssues: SpecIssue[] = [];
      const tree = parseSpec(def.value, mode, this.isKnown, specIssues);
      const innerIssues: EvalIssue[] = [];
      let value: VarValue;
      const where = def.line !== undefined ? ` (${def.file}:${def.line})` : def.file ? ` (${def.file})` : '';
      const firstError = specIssues.find((i) => i.severity === 'error');
      if (!tree || firstError) {
        const msg = firstError?.message ?? 'invalid value';
        value = { ok: false, message: `variable '$${node.name}'${where} has an invalid value '${def.value}': ${msg}` };
      } else {
        const r = mode === 'addr' ? this.evalAddr(tree, innerIssues) : this.evalPort(tree, innerIssues);
        const innerErr = innerIssues.find((i) => i.severity === 'error');
        if (!r || innerErr) {
          value = {
            ok: false,
            message: `variable '$${node.name}'${where} has an invalid value '${def.value}': ${innerErr?.message ?? `not ${mode === 'addr' ? 'an address' : 'a port'} expression`}`,
          };
        } else {
          value = mode === 'addr' ? { ok: true, addr: r as AddrRanges } : { ok: true, port: r as number[] };
          // defaults used inside a variable's value are still worth one report each
          for (const i of innerIssues) if (i.onceKey) issues.push({ ...i, at: node.at });
        }
      }
      this.cache.set(key, value);
      if (!value.ok) {
        issues.push({ at: node.at, code: 'var.invalid', message: value.message, severity: 'error' });
        return null;
      }
      return value;
    } finally {
      this.resolving.delete(key);
    }
  }
}

export function toAddressSet(r: AddrRanges): AddressSet {
  return new AddressSet(normalize(NUM, r.v4), normalize(BIG, r.v6));
}

export function toPortSet(r: number[]): PortSet {
  return new PortSet(normalize(PORTS, r));
}

// ---------------------------------------------------------------------------------------------------------------
// Runtime IPs

export interface ParsedIp {
  /** IPv4 (also IPv4-mapped IPv6) as an unsigned 32-bit number; -1 for IPv6. */
  v4: number;
  /** IPv6 as a 128-bit bigint (0n for IPv4). */
  v6: bigint;
}

/** Fast dotted-quad parse without allocation; -1 when not a dotted quad. */
export function parseIpv4(s: string): number {
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      v = v * 256 + part;
      part = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return v * 256 + part;
}

export function parseIp(s: string): ParsedIp | null {
  const v4 = parseIpv4(s);
  if (v4 >= 0) return { v4, v6: 0n };
  const b = ipToBytes(s);
  if (b?.length !== 16) return null;
  // IPv4-mapped (::ffff:a.b.c.d) matches IPv4 rules
  let mapped = b[10] === 0xff && b[11] === 0xff;
  for (let i = 0; mapped && i < 10; i++) if (b[i] !== 0) mapped = false;
  if (mapped) return { v4: ((b[12] << 24) | (b[13] << 16) | (b[14] << 8) | b[15]) >>> 0, v6: 0n };
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return { v4: -1, v6: v };
}

/**
 * String → ParsedIp, remembered. Bounded: when full it is cleared (a capture point sees a working set of hosts, and
 * re-parsing after a clear is cheap). Unparseable strings are remembered as null so garbage costs one parse.
 */
export class IpCache {
  private readonly map = new Map<string, ParsedIp | null>();
  constructor(private readonly limit = 65536) {}
  get(s: string): ParsedIp | null {
    const hit = this.map.get(s);
    if (hit !== undefined) return hit;
    if (this.map.size >= this.limit) this.map.clear();
    const p = parseIp(s);
    this.map.set(s, p);
    return p;
  }
}
