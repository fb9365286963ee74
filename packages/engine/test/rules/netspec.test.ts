import { describe, expect, it } from 'vitest';
import {
  IpCache,
  parseIp,
  parseIpv4,
  parseSpec,
  SpecEvaluator,
  type SpecIssue,
  toAddressSet,
  toPortSet,
} from '../../src/rules/netspec.js';
import { parseVarAssignment, parseVarsFile, type VarDef } from '../../src/rules/variables.js';

function addrSet(text: string, vars: Record<string, string> = {}) {
  const defs = new Map<string, VarDef>(
    Object.entries(vars).map(([name, value]) => [name, { name, value, kind: 'any' }]),
  );
  const ev = new SpecEvaluator(defs);
  const issues: SpecIssue[] = [];
  const node = parseSpec(text, 'addr', ev.isKnown, issues);
  expect(issues).toEqual([]);
  const r = ev.evalAddr(node!, []);
  return toAddressSet(r!);
}

function portSet(text: string) {
  const ev = new SpecEvaluator(new Map());
  const issues: SpecIssue[] = [];
  const node = parseSpec(text, 'port', ev.isKnown, issues);
  expect(issues).toEqual([]);
  return toPortSet(ev.evalPort(node!, [])!);
}

const ip = (s: string) => parseIp(s)!;

describe('addresses', () => {
  it('IPv4 CIDRs compile to u32 ranges, with host bits masked', () => {
    const s = addrSet('192.168.1.77/24');
    expect([...s.v4]).toEqual([0xc0a80100, 0xc0a801ff]);
    expect(s.has(ip('192.168.1.0'))).toBe(true);
    expect(s.has(ip('192.168.2.0'))).toBe(false);
    expect(s.has(ip('::1'))).toBe(false);
  });

  it('lists subtract negations; nested lists; lists of only negations are any minus them', () => {
    // (192.168/16 − 192.168.1/24) ∪ (10.2/16 − 10.2.3/24)
    const s = addrSet('[192.168.0.0/16,!192.168.1.0/24,[10.2.0.0/16,!10.2.3.0/24]]');
    expect(s.has(ip('192.168.2.1'))).toBe(true);
    expect(s.has(ip('192.168.1.1'))).toBe(false);
    expect(s.has(ip('10.2.9.9'))).toBe(true);
    expect(s.has(ip('10.2.3.4'))).toBe(false);
    expect(s.has(ip('8.8.8.8'))).toBe(false);
    // a nested list whose negation covers its positives is empty: [!10.2/16,10.2.3/24] adds nothing
    const empty = addrSet('[10.0.0.0/8,!10.1.0.0/16,[!10.2.0.0/16,10.2.3.0/24]]');
    expect(empty.has(ip('10.2.3.4'))).toBe(true); // still in 10/8
    expect(empty.has(ip('8.8.8.8'))).toBe(false);
    const neg = addrSet('[!10.0.0.1,!10.0.0.2]');
    expect(neg.has(ip('10.0.0.1'))).toBe(false);
    expect(neg.has(ip('10.0.0.3'))).toBe(true);
    expect(neg.has(ip('2001:db8::1'))).toBe(true);
  });

  it('IPv6 prefixes as bigint ranges; IPv4-mapped addresses match IPv4 sets', () => {
    const s = addrSet('[2001:db8::/32,fe80::1]');
    expect(s.has(ip('2001:db8:ffff::1'))).toBe(true);
    expect(s.has(ip('2001:db9::1'))).toBe(false);
    expect(s.has(ip('fe80::1'))).toBe(true);
    expect(s.has(ip('fe80::2'))).toBe(false);
    expect(addrSet('10.0.0.0/8').has(ip('::ffff:10.1.2.3'))).toBe(true);
  });

  it('variables, negated variables, dotted netmasks, any', () => {
    const vars = { HOME_NET: '[10.0.0.0/8,172.16.0.0/12]', EXTERNAL_NET: '!$HOME_NET' };
    const ext = addrSet('$EXTERNAL_NET', vars);
    expect(ext.has(ip('10.9.9.9'))).toBe(false);
    expect(ext.has(ip('172.31.0.1'))).toBe(false);
    expect(ext.has(ip('8.8.4.4'))).toBe(true);
    expect(addrSet('10.0.0.0/255.0.0.0').has(ip('10.200.0.1'))).toBe(true);
    expect(addrSet('any').any).toBe(true);
    expect(addrSet('[0.0.0.0/0,::/0]').any).toBe(true);
    expect(addrSet('0.0.0.0/0').any).toBe(false);
  });

  it('reports precise offsets for bad pieces inside lists', () => {
    const issues: SpecIssue[] = [];
    parseSpec('[10.0.0.1,10.0.0.0/33]', 'addr', () => false, issues);
    expect(issues.map((i) => [i.at, i.message])).toEqual([
      [10, "invalid address '10.0.0.0/33'; expected an IPv4/IPv6 address or CIDR, a [list], 'any' or a $VARIABLE"],
    ]);
    const missing: SpecIssue[] = [];
    parseSpec('[1.1.1.1,HOME_NET]', 'addr', (n) => n === 'HOME_NET', missing);
    expect(missing.map((i) => [i.at, i.code, i.message])).toEqual([
      [9, 'var.missing-dollar', "variable 'HOME_NET' used without '$'"],
    ]);
  });

  it('variable cycles and kind mismatches are errors at the use', () => {
    const defs = new Map<string, VarDef>([
      ['A', { name: 'A', value: '$B', kind: 'any' }],
      ['B', { name: 'B', value: '[$A,1.1.1.1]', kind: 'any' }],
      ['P', { name: 'P', value: '135', kind: 'port' }],
    ]);
    const ev = new SpecEvaluator(defs);
    const issues: { message: string }[] = [];
    ev.evalAddr({ k: 'var', name: 'A', at: 0, len: 2, missingDollar: false }, issues as never);
    expect(issues.map((i) => i.message)).toEqual([
      "variable '$A' has an invalid value '$B': variable '$B' has an invalid value '[$A,1.1.1.1]': variable '$A' refers to itself",
    ]);
    const kind: { message: string }[] = [];
    ev.evalAddr({ k: 'var', name: 'P', at: 0, len: 2, missingDollar: false }, kind as never);
    expect(kind.map((i) => i.message)).toEqual(["variable '$P' is a portvar and cannot be used as an address"]);
  });
});

describe('ports', () => {
  it('single, open ranges, lists, negation', () => {
    const s = portSet('[135,139,445,49152:]');
    expect([135, 139, 445, 49152, 65535].every((p) => s.has(p))).toBe(true);
    expect([0, 136, 49151].some((p) => s.has(p))).toBe(false);
    expect(portSet(':1023').has(1023)).toBe(true);
    expect(portSet(':1023').has(1024)).toBe(false);
    const n = portSet('![0:1023,8080]');
    expect(n.has(80)).toBe(false);
    expect(n.has(8080)).toBe(false);
    expect(n.has(8081)).toBe(true);
    expect(portSet('any').any).toBe(true);
    expect(portSet('135').allBelow(1024)).toBe(true);
    expect(portSet('[135,1024]').allBelow(1024)).toBe(false);
  });
});

describe('runtime IP parsing', () => {
  it('parses dotted quads without allocation and rejects garbage', () => {
    expect(parseIpv4('10.0.0.255')).toBe(0x0a0000ff);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.0.0.1', '1..2.3', '1.2.3.', 'a.b.c.d', '']) {
      expect(parseIpv4(bad)).toBe(-1);
    }
    expect(parseIp('2001:db8::1')).toEqual({ v4: -1, v6: 0x20010db8000000000000000000000001n });
    expect(parseIp('not an ip')).toBeNull();
  });

  it('IpCache returns the same parsed object for the same string, and bounds its size', () => {
    const c = new IpCache(2);
    const a = c.get('10.0.0.1');
    expect(c.get('10.0.0.1')).toBe(a);
    c.get('10.0.0.2');
    c.get('10.0.0.3'); // clears
    expect(c.get('10.0.0.1')).not.toBe(a);
    expect(c.get('10.0.0.1')).toEqual(a);
    expect(c.get('garbage')).toBeNull();
  });
});

describe('variables', () => {
  it('--var assignments', () => {
    expect(parseVarAssignment('HOME_NET=[10.0.0.0/8, 192.168.0.0/16]')).toEqual({
      name: 'HOME_NET',
      value: '[10.0.0.0/8, 192.168.0.0/16]',
      kind: 'any',
      file: '--var',
    });
    expect(parseVarAssignment('$legitimate_sources=10.1.1.1')).toMatchObject({ name: 'legitimate_sources' });
    expect(parseVarAssignment('1BAD=x')).toBe("--var '1BAD=x': invalid variable name '1BAD'");
    expect(parseVarAssignment('EMPTY=')).toBe("--var 'EMPTY=': variable 'EMPTY' has an empty value");
  });

  it('vars files: ipvar, portvar, var, NAME=VALUE, comments; bad lines are diagnostics', () => {
    const text = [
      '# site variables',
      'ipvar HOME_NET [10.0.0.0/8,192.168.0.0/16]',
      '',
      'portvar RPC_PORTS [135,49152:65535]',
      '  var EXTERNAL_NET !$HOME_NET',
      'legitimate_sources=[10.5.5.5,10.5.5.6]',
      'ipvar $BAD 1.1.1.1',
      'this is not a definition',
    ].join('\n');
    const { vars, diagnostics } = parseVarsFile(text, 'site.vars');
    expect(vars.map((v) => [v.name, v.kind, v.value, v.line, v.column])).toEqual([
      ['HOME_NET', 'ip', '[10.0.0.0/8,192.168.0.0/16]', 2, 16],
      ['RPC_PORTS', 'port', '[135,49152:65535]', 4, 19],
      ['EXTERNAL_NET', 'any', '!$HOME_NET', 5, 20],
      ['legitimate_sources', 'any', '[10.5.5.5,10.5.5.6]', 6, 20],
    ]);
    expect(diagnostics.items.map((d) => [d.line, d.column, d.message])).toEqual([
      [7, 7, "variable 'BAD' is defined with a '$'; write 'ipvar BAD …'"],
      [
        8,
        1,
        "cannot read variable definition 'this is not a definition'; expected 'ipvar NAME VALUE', 'portvar NAME VALUE', 'var NAME VALUE' or 'NAME=VALUE'",
      ],
    ]);
  });
});
