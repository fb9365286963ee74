import { describe, expect, it } from 'vitest';
import { compileRules, RuleLoadError } from '../../src/rules/index.js';
import { diagnose, load, problems } from './helpers.js';

/** 1-based column of `needle` in `line` (plus shift). */
const col = (line: string, needle: string, shift = 0) => {
  const i = line.indexOf(needle);
  if (i < 0) throw new Error(`'${needle}' not in '${line}'`);
  return i + 1 + shift;
};

/** A single-line rule must give exactly this one error at `needle`. */
function expectOneError(rule: string, needle: string, message: string, shift = 0) {
  const r = diagnose(rule);
  expect(problems(r)).toEqual([['error', 1, col(rule, needle, shift), message]]);
  expect(r.rules).toEqual([]);
}

describe('header', () => {
  it('accepts every action, protocol, address and port form', () => {
    const r = load(
      [
        'alert tcp any any -> any any (sid:1;)',
        'log udp 10.0.0.1 53 -> 10.0.0.0/24 1024: (sid:2;)',
        'pass ip [10.0.0.0/8,!10.1.0.0/16] :1023 <> ![192.168.1.1,192.168.1.2] 1:2 (sid:3;)',
        'alert dcerpc any any -> any any (sid:4;)',
        'alert tcp [2001:db8::/32,::1] [135,[139,445]] -> fe80::1 !135 (sid:5;)',
        'alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (sid:6;)',
      ].join('\n'),
      { vars: { HOME_NET: '10.0.0.0/8', EXTERNAL_NET: '!$HOME_NET', HTTP_PORTS: '[80,8080]' } },
    );
    expect(r.rules.map((x) => [x.sid, x.action, x.protocol])).toEqual([
      [1, 'alert', 'tcp'],
      [2, 'log', 'udp'],
      [3, 'pass', 'ip'],
      [4, 'alert', 'dcerpc'],
      [5, 'alert', 'tcp'],
      [6, 'alert', 'tcp'],
    ]);
    expect(r.rules[3].unit).toBe('dcerpc');
    expect(r.rules[0].ipOnly).toBe(true);
  });

  it('three tokens before ->', () => {
    const rule = 'alert tcp $HOME_NET any 135 -> any any (sid:1;)';
    const r = diagnose(rule, { vars: { HOME_NET: 'any' } });
    expect(problems(r)).toEqual([
      ['error', 1, col(rule, '135'), "unexpected token '135' after the source port; expected '->' or '<>'"],
    ]);
  });

  it('extra token after the destination port', () => {
    expectOneError(
      'alert tcp any any -> any 135 445 (sid:1;)',
      '445',
      "unexpected token '445' after the destination port; expected '('",
    );
  });

  it('missing source port, missing direction, <-', () => {
    expectOneError('alert tcp any -> any any (sid:1;)', '->', "missing source port before '->'");
    expectOneError(
      'alert tcp any any any any (sid:1;)',
      'any any (',
      "unexpected token 'any' after the source port; expected '->' or '<>'",
    );
    expectOneError(
      'alert tcp any any <- any any (sid:1;)',
      '<-',
      "'<-' is not a direction; write '->' and swap source and destination",
    );
  });

  it('variable used without $ (once per use), and undefined variables', () => {
    expectOneError(
      'alert tcp !legitimate_sources any -> any any (sid:1;)',
      'legitimate_sources',
      "variable 'legitimate_sources' used without '$'",
    );
    expectOneError(
      'alert tcp any any -> $NOPE any (sid:1;)',
      '$NOPE',
      "undefined variable '$NOPE'; set it with --var NOPE=VALUE or in a --vars file",
    );
    expectOneError(
      'alert tcp any any -> foo any (sid:1;)',
      'foo',
      "invalid address 'foo'; expected an IPv4/IPv6 address or CIDR, a [list], 'any' or a $VARIABLE",
    );
  });

  it('unknown action and protocol; drop loads as alert with a warning', () => {
    expectOneError(
      'alrt tcp any any -> any any (sid:1;)',
      'alrt',
      "unknown action 'alrt'; expected alert, log or pass",
    );
    expectOneError(
      'alert dns any any -> any any (dce_stub_data; content:"0"; sid:1;)',
      'dns',
      "unsupported protocol 'dns'; expected tcp, udp, ip, dcerpc or smb",
    );
    const rule = 'drop tcp any any -> any any (sid:1;)';
    const r = diagnose(rule);
    expect(problems(r)).toEqual([
      ['warning', 1, 1, "action 'drop' cannot block in a passive detector; the rule is loaded as 'alert'"],
    ]);
    expect(r.rules[0].action).toBe('alert');
    expect(r.rules[0].writtenAction).toBe('drop');
  });

  it('bad addresses and ports', () => {
    expectOneError(
      'alert tcp 10.0.0.300 any -> any any (sid:1;)',
      '10.0.0.300',
      "invalid address '10.0.0.300'; expected an IPv4/IPv6 address or CIDR, a [list], 'any' or a $VARIABLE",
    );
    expectOneError('alert tcp any 70000 -> any any (sid:1;)', '70000', "port '70000' is out of range 0-65535");
    expectOneError(
      'alert tcp any 9:3 -> any any (sid:1;)',
      '9:3',
      "port range '9:3' has its low end above its high end",
    );
    expectOneError('alert tcp !any any -> any any (sid:1;)', '!any', "'!any' matches no address");
    const rule = 'alert tcp any HTTP_PORTS -> any any (sid:1;)';
    expect(problems(diagnose(rule))).toEqual([
      ['error', 1, col(rule, 'HTTP_PORTS'), "variable 'HTTP_PORTS' used without '$'"],
      ['warning', 1, col(rule, 'HTTP_PORTS'), "port variable 'HTTP_PORTS' is not set; using 'any'"],
    ]);
    expectOneError('alert tcp [10.0.0.1 any -> any any (sid:1;)', '[10', "missing ']' in address list");
  });

  it('an address that can never match is a warning', () => {
    const rule = 'alert tcp !$HOME_NET any -> any any (sid:1;)';
    const r = diagnose(rule, { vars: { HOME_NET: 'any' } });
    expect(problems(r)).toEqual([
      [
        'warning',
        1,
        col(rule, '!$HOME_NET'),
        "source address '!$HOME_NET' matches no address; the rule can never match",
      ],
    ]);
  });

  it('unset HOME_NET/EXTERNAL_NET and port variables default to any, warned once each', () => {
    const text = [
      'alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (sid:1;)',
      'alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (sid:2;)',
    ].join('\n');
    const r = diagnose(text);
    const line = text.split('\n')[0];
    expect(problems(r)).toEqual([
      ['warning', 1, col(line, '$HOME_NET'), "variable 'HOME_NET' is not set; using 'any'"],
      ['warning', 1, col(line, '$EXTERNAL_NET'), "variable 'EXTERNAL_NET' is not set; using 'any'"],
      ['warning', 1, col(line, '$HTTP_PORTS'), "port variable 'HTTP_PORTS' is not set; using 'any'"],
    ]);
    expect(r.rules).toHaveLength(2);
  });
});

describe('options', () => {
  it('msg, sid, rev, gid, classtype, priority, reference, metadata, tag', () => {
    const r = load(
      'alert tcp any any -> any any (msg:"a \\"quoted\\" \\; msg"; sid:7; rev:3; gid:2; classtype:attempted-admin; ' +
        'reference:url, example.com/x; reference:cve,2020-1472; metadata:service dcerpc, policy balanced-ips drop, created_at 2020; ' +
        'tag:session,10,packets,exclusive;)',
    );
    const x = r.rules[0];
    expect([x.msg, x.sid, x.rev, x.gid, x.classtype, x.category, x.priority, x.severity]).toEqual([
      'a "quoted" ; msg',
      7,
      3,
      2,
      'attempted-admin',
      'Attempted Administrator Privilege Gain',
      1,
      1,
    ]);
    expect(x.references).toEqual([
      { system: 'url', id: 'example.com/x' },
      { system: 'cve', id: '2020-1472' },
    ]);
    expect(x.metadata).toEqual({ service: ['dcerpc'], policy: ['balanced-ips drop'], created_at: ['2020'] });
    expect(x.tag).toEqual({ type: 'session', count: 10, metric: 'packets', exclusive: true });
    const p = load('alert tcp any any -> any any (classtype:attempted-admin; priority:4; sid:1;)');
    expect(p.rules[0].severity).toBe(4);
    expect(load('alert tcp any any -> any any (sid:1;)').rules[0].priority).toBe(3);
    expect(load('alert tcp any any -> any any (tag:host,30,seconds,src; sid:1;)').rules[0].tag).toEqual({
      type: 'host',
      count: 30,
      metric: 'seconds',
      direction: 'src',
      exclusive: false,
    });
  });

  it('unknown and unsupported options', () => {
    expectOneError('alert tcp any any -> any any (foo:1; sid:1;)', 'foo', "unknown rule option 'foo'");
    expectOneError(
      'alert tcp any any -> any any (content:"a"; http_uri; sid:1;)',
      'http_uri',
      "content modifier 'http_uri' is not supported: only raw payloads and DCE/RPC stubs are inspected",
    );
    expectOneError(
      'alert tcp any any -> any any (threshold:type limit, track by_src, count 1, seconds 60; sid:1;)',
      'threshold',
      "rule option 'threshold' is not supported by wmi-detect",
    );
    expectOneError(
      'alert tcp any any -> any any (msg "x"; sid:1;)',
      '"x"',
      "expected ':' after rule option 'msg', found '\"x\"'",
    );
  });

  it('typographic quotes are named', () => {
    expectOneError(
      'alert tcp any any -> any any (msg:"hello\u201d; sid:1;)',
      '\u201d',
      'typographic quote \u201d in msg; use a plain double quote',
    );
    expectOneError(
      'alert tcp any any -> any any (msg:\u201chello"; sid:1;)',
      '\u201c',
      'typographic quote \u201c in msg; use a plain double quote',
    );
    expectOneError(
      'alert tcp any any -> any any (content:"abc\u201d; sid:1;)',
      '\u201d',
      'typographic quote \u201d in content; use a plain double quote',
    );
  });

  it('structure: missing sid, duplicate sid, missing ), trailing text, repeated option', () => {
    expectOneError('alert tcp any any -> any any (msg:"x";)', 'alert', "rule has no 'sid' option");
    expectOneError('alert tcp any any -> any any (sid:1;', 'sid:1;', "missing ')' at the end of the rule options", 6);
    expectOneError('alert tcp any any -> any any (sid:1;) x', ') x', "unexpected text 'x' after the closing ')'", 2);
    expectOneError('alert tcp any any -> any any (sid:1; sid:2;)', 'sid:2', "option 'sid' appears twice");
    const text = 'alert tcp any any -> any any (sid:5;)\nalert tcp any any -> any any (sid:5;)';
    const r = diagnose(text);
    expect(problems(r)).toEqual([['error', 2, 1, 'duplicate sid 5; first defined at test.rules:1']]);
    expect(r.rules).toHaveLength(1);
  });

  it('content errors', () => {
    expectOneError(
      'alert tcp any any -> any any (content:"|0 1|"; sid:1;)',
      '|0 1|',
      'odd number of hex digits in content |…|',
      2,
    );
    expectOneError(
      'alert tcp any any -> any any (content:"a\\x"; sid:1;)',
      '\\x',
      "invalid escape '\\x' in content; only \\\" \\; \\\\ are allowed (write other bytes as |hex|)",
    );
    expectOneError(
      'alert tcp any any -> any any (content:"|41"; sid:1;)',
      '|41',
      "unterminated hex part '|' in content",
    );
    expectOneError(
      'alert tcp any any -> any any (content:"a;b"; sid:1;)',
      ';b',
      "unescaped ';' inside the quoted value of 'content'; write '\\;'",
    );
  });

  it('content modifier errors', () => {
    expectOneError(
      'alert tcp any any -> any any (nocase; sid:1;)',
      'nocase',
      "'nocase' must follow a 'content' option in the same buffer",
    );
    expectOneError(
      'alert tcp any any -> any any (content:"ab"; distance:1; offset:2; sid:1;)',
      'offset',
      "'offset' cannot be combined with 'distance'/'within' on the same content",
    );
    expectOneError(
      'alert tcp any any -> any any (content:"abcd"; depth:2; sid:1;)',
      '2;',
      'depth 2 is shorter than the content (4 bytes)',
    );
    expectOneError(
      'alert tcp any any -> any any (content:"ab"; within:x; sid:1;)',
      'x;',
      "within 'x' is not a number or a byte_extract variable defined earlier in the rule",
    );
    expectOneError(
      'alert tcp any any -> any any (content:"ab"; nocase; nocase; sid:1;)',
      'nocase; sid',
      "'nocase' given twice for the same content",
    );
  });

  it('pcre the engine cannot run is named', () => {
    expectOneError(
      'alert tcp any any -> any any (pcre:"/a++b/"; sid:1;)',
      '+b/',
      "pcre pattern /a++b/: possessive quantifier '++' is not supported in JavaScript",
    );
    expectOneError(
      'alert tcp any any -> any any (pcre:"/(?>ab)c/"; sid:1;)',
      '(?>',
      "pcre pattern /(?>ab)c/: atomic group '(?>' is not supported in JavaScript",
    );
    expectOneError(
      'alert tcp any any -> any any (pcre:"/a(?i)b/"; sid:1;)',
      '(?i)',
      "pcre pattern /a(?i)b/: inline option '(?i)' changes case sensitivity inside the pattern, which JavaScript cannot express",
    );
    expectOneError(
      'alert tcp any any -> any any (pcre:"/a/U"; sid:1;)',
      'U"',
      "pcre flag 'U' (HTTP URI buffer) is not supported: only raw payloads and DCE/RPC stubs are inspected",
    );
  });

  it('byte_* option errors', () => {
    expectOneError(
      'alert tcp any any -> any any (byte_test:4,=,5,24,little,dce; sid:1;)',
      '4,=',
      "byte_test: 'dce' takes the byte order from the DCE/RPC PDU and cannot be combined with big, little or string",
    );
    expectOneError(
      'alert tcp any any -> any any (byte_jump:2,0,from_beginning,dce; sid:1;)',
      '2,0',
      "byte_jump: 'dce' cannot be combined with from_beginning/from_end",
    );
    expectOneError(
      'alert tcp any any -> any any (byte_test:5,=,1,0; sid:1;)',
      '5,=',
      "byte_test: reads 1 to 4 bytes (up to 10 with 'string'), not 5",
    );
    expectOneError(
      'alert tcp any any -> any any (byte_test:1,~,1,0; sid:1;)',
      '1,~',
      "byte_test: invalid operator '~'; expected <, >, =, <=, >=, &, ^ or ! (optionally prefixed by !)",
    );
  });

  it('flow and flowbits errors and warnings', () => {
    expectOneError(
      'alert tcp any any -> any any (flow:to_server,to_client; sid:1;)',
      'to_client',
      "flow 'to_client' contradicts 'to_server' in the same option",
    );
    expectOneError(
      'alert tcp any any -> any any (flow:sideways; sid:1;)',
      'sideways',
      "unknown flow option 'sideways'",
    );
    expectOneError(
      'alert tcp any any -> any any (flowbits:set,a|b; sid:1;)',
      'a|b',
      "'flowbits:set' cannot use '|'; use '&' to act on several bits",
    );
    expectOneError(
      'alert tcp any any -> any any (flowbits:isset,x; flowbits:isnotset,x; flowbits:set,x; sid:1;)',
      'x; flowbits:isnotset',
      "flowbits isset and isnotset on the same bit 'x' can never both hold",
    );
    const rule = 'alert tcp any any -> any any (flowbits:isset,never_set; sid:1;)';
    expect(problems(diagnose(rule))).toEqual([
      ['warning', 1, col(rule, 'never_set'), "flowbit 'never_set' is checked but never set by any loaded rule"],
    ]);
  });

  it('header contradicting flow direction is named precisely, both ways', () => {
    const a = 'alert tcp 10.0.0.1 135 -> any any (flow:to_server; sid:1;)';
    expect(problems(diagnose(a))).toEqual([
      [
        'error',
        1,
        col(a, 'to_server'),
        "header contradicts 'flow:to_server': its source is 10.0.0.1 port 135 (a server port) and its destination any port any, " +
          "but to_server traffic goes from the client to the server; write 'any any -> 10.0.0.1 135'",
      ],
    ]);
    const b = 'alert tcp any any -> 10.0.0.1 135 (flow:established,from_server; sid:1;)';
    expect(problems(diagnose(b))).toEqual([
      [
        'error',
        1,
        col(b, 'from_server'),
        "header contradicts 'flow:from_server': its destination is 10.0.0.1 port 135 (a server port) and its source any port any, " +
          "but from_server traffic goes from the server to the client; write '10.0.0.1 135 -> any any'",
      ],
    ]);
    // the usual forms are fine
    load(
      'alert tcp any any -> 10.0.0.1 135 (flow:to_server; sid:1;)\nalert tcp 10.0.0.1 135 -> any any (flow:to_client; sid:2;)',
    );
  });

  it('DCE/RPC option errors', () => {
    expectOneError(
      'alert tcp any any -> any any (dce_iface:1234; sid:1;)',
      '1234',
      "invalid interface UUID '1234'; expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
    );
    expectOneError(
      'alert tcp any any -> any any (dce_iface:000001a0-0000-0000-c000-000000000046,>=1; sid:1;)',
      '>=1',
      "dce_iface: expected '<op><major version>' (op one of < > = !) or 'any_frag', found '>=1'",
    );
    expectOneError(
      'alert tcp any any -> any any (dce_opnum:5-3; sid:1;)',
      '5-3',
      "dce_opnum: range '5-3' has its low end above its high end",
    );
    const udp = 'alert udp any any -> any any (dce_opnum:1; sid:1;)';
    expect(problems(diagnose(udp))).toEqual([
      [
        'warning',
        1,
        col(udp, 'udp'),
        'DCE/RPC over UDP (connectionless) is not decoded; this udp rule with DCE/RPC options never matches',
      ],
    ]);
  });

  it('decides the unit from the options', () => {
    const r = diagnose(
      [
        'alert tcp any any -> any any (content:"x"; sid:1;)',
        'alert tcp any any -> any any (content:"x"; metadata:service dcerpc; sid:2;)',
        'alert tcp any any -> any any (byte_test:1,=,1,0,dce; sid:3;)',
        'alert tcp any any -> any any (dce_opnum:1; sid:4;)',
        'alert smb any any -> any any (sid:5;)',
      ].join('\n'),
    );
    expect(problems(r)).toEqual([
      [
        'warning',
        5,
        7,
        "protocol 'smb': DCE/RPC carried in SMB named pipes is not decoded; the rule is evaluated on DCE/RPC over TCP",
      ],
    ]);
    expect(r.rules.map((x) => x.unit)).toEqual(['packet', 'dcerpc', 'dcerpc', 'dcerpc', 'dcerpc']);
  });
});

describe('files', () => {
  it('multi-line rules, comments and blank lines; positions point at the physical line', () => {
    const text = [
      '# a comment',
      '',
      'alert dcerpc any any -> any any (\\',
      'msg:"multi";\\',
      '   dcerpc.iface:00020400-0000-0000-c000-000000000046;\\',
      'bogus:1;\\',
      'sid:1;\\',
      ')',
      '   # indented comment',
      'alert tcp any any -> any any (msg:"ok"; sid:2;)',
    ].join('\n');
    const r = diagnose(text);
    expect(problems(r)).toEqual([['error', 6, 1, "unknown rule option 'bogus'"]]);
    expect(r.diagnostics[0].sid).toBe(1);
    expect(r.rules.map((x) => [x.sid, x.line])).toEqual([[2, 10]]);
  });

  it('reports all problems and loads the good rules; strict mode throws with all of them', () => {
    const text = [
      'alert tcp any any -> any any (sid:1;)',
      'alert tcp any any -> any any (foo; sid:2;)',
      'alert tcp any any -> any any (sid:3;)',
      'alert tcp any any -> any any (bar; sid:4;)',
    ].join('\n');
    const r = diagnose(text);
    expect(r.errorCount).toBe(2);
    expect(r.rules.map((x) => x.sid)).toEqual([1, 3]);
    let thrown: unknown;
    try {
      compileRules({ file: 'test.rules', text }, { strict: true });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(RuleLoadError);
    expect((thrown as RuleLoadError).diagnostics.filter((d) => d.severity === 'error').map((d) => d.line)).toEqual([
      2, 4,
    ]);
  });

  it('var/ipvar/portvar lines in rule files; options override them', () => {
    const text = [
      'ipvar SERVERS [10.0.0.1,10.0.0.2]',
      'portvar RPC [135,49152:]',
      'alert tcp any any -> $SERVERS $RPC (sid:1;)',
    ].join('\n');
    const r = load(text);
    expect(r.rules).toHaveLength(1);
    const bad = diagnose('portvar RPC [135\nalert tcp any any -> any $RPC (sid:1;)');
    expect(problems(bad)).toEqual([
      ['error', 2, 26, "variable '$RPC' (test.rules:1) has an invalid value '[135': missing ']' in port list"],
    ]);
    const both = load('ipvar SERVERS 10.0.0.1\nalert tcp any any -> $SERVERS any (sid:1;)', {
      vars: { SERVERS: '10.9.9.9' },
    });
    expect(both.rules[0]).toBeDefined();
  });

  it('several sources keep their own file names and positions', () => {
    const r = compileRules([
      { file: 'a.rules', text: 'alert tcp any any -> any any (sid:1;)' },
      { file: 'b.rules', text: '\nalert tcp any any -> any any (nope; sid:2;)' },
    ]);
    expect(r.diagnostics.map((d) => [d.file, d.line, d.column, d.message])).toEqual([
      ['b.rules', 2, 31, "unknown rule option 'nope'"],
    ]);
  });

  it('the conformance suite spellings parse: dcerpc.* aliases, requires, prefilter, bsize, pkt_data, unquoted pcre', () => {
    const r = load(
      [
        'alert dcerpc any any -> any any (msg:"DCERPC"; requires: version >= 9.0.0; dcerpc.opnum: >3; sid:3;)',
        'alert tcp any any -> any any (flowbits:isset,x; prefilter; dsize:259; sid:22;)',
        'alert tcp any any -> any any (flowbits:set,x; sid:23;)',
        'alert dcerpc any any -> any any (flow:established,to_client; dcerpc.stub_data; bsize:2124; sid:1;)',
        'alert tcp any any -> any any (dcerpc.stub_data; content:"one"; pcre:/two/R; pkt_data; content:"x"; sid:4;)',
      ].join('\n'),
    );
    expect(r.rules.find((x) => x.sid === 3)!.requires).toBe('version >= 9.0.0');
  });
});
