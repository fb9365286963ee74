import { describe, expect, it } from 'vitest';
import { PcreError, parsePcreOption } from '../../src/rules/index.js';

/** Run a translated Snort pcre against a byte string (latin1), as the engine does. */
function test(option: string, subject: string | number[]): boolean {
  const t = parsePcreOption(option);
  const s = typeof subject === 'string' ? subject : String.fromCharCode(...subject);
  const re = new RegExp(t.source, t.flags);
  re.lastIndex = 0;
  return re.exec(s) !== null;
}

function error(option: string): [number, string] {
  try {
    parsePcreOption(option);
  } catch (e) {
    if (e instanceof PcreError) return [e.at, e.message];
    throw e;
  }
  throw new Error(`no error for ${option}`);
}

describe('pcre option syntax', () => {
  it('quoted, unquoted, negated, m-delimited; flags R and A recorded', () => {
    expect(parsePcreOption('"/abc/R"')).toMatchObject({ negated: false, relative: true, anchored: false });
    expect(parsePcreOption('/abc/')).toMatchObject({ relative: false });
    expect(parsePcreOption('!"/abc/i"')).toMatchObject({ negated: true, flags: 'ig' });
    expect(parsePcreOption('"m#a/b#"')).toMatchObject({ display: '/a/b/' });
    expect(parsePcreOption('"/abc/A"')).toMatchObject({ anchored: true, flags: 'y' });
    expect(test('"m#a/b#"', 'xa/b')).toBe(true);
  });

  it('errors name the flag or construct and where it is', () => {
    expect(error('"/a/Q"')).toEqual([4, "unknown pcre flag 'Q'"]);
    expect(error('"abc"')).toEqual([1, `pcre must be written "/pattern/flags", found 'abc'`]);
    expect(error('"/a(b/"')).toEqual([5, "pcre pattern /a(b/: missing ')'"]);
    expect(error('"/\\p{L}/"')).toEqual([
      2,
      "pcre pattern /\\p{L}/: Unicode property '\\p' is not supported on byte buffers",
    ]);
    expect(error('"/(?R)/"')[1]).toBe("pcre pattern /(?R)/: recursion '(?R)' is not supported in JavaScript");
    expect(error('"/(?(1)a|b)/"')[1]).toBe(
      "pcre pattern /(?(1)a|b)/: conditional group '(?(' is not supported in JavaScript",
    );
    expect(error('"/a\\Kb/"')[1]).toBe(
      "pcre pattern /a\\Kb/: '\\K' (reset match start) is not supported in JavaScript",
    );
    expect(error('"/x{2}+/"')[1]).toBe(
      "pcre pattern /x{2}+/: possessive quantifier '}+' is not supported in JavaScript",
    );
  });
});

describe('PCRE semantics on bytes', () => {
  it('. excludes only \\n (not \\r), s makes it match \\n', () => {
    expect(test('"/a.b/"', 'a\rb')).toBe(true);
    expect(test('"/a.b/"', 'a\nb')).toBe(false);
    expect(test('"/a.b/s"', 'a\nb')).toBe(true);
  });

  it('$ also matches before a final newline unless E; m mode uses \\n only', () => {
    expect(test('"/x$/"', 'x\n')).toBe(true);
    expect(test('"/x$/E"', 'x\n')).toBe(false);
    expect(test('"/x$/"', 'x\ny')).toBe(false);
    expect(test('"/x$/m"', 'x\ny')).toBe(true);
    expect(test('"/^y/m"', 'x\ny')).toBe(true);
    expect(test('"/x$/m"', 'x\ry')).toBe(false);
    expect(test('"/^y/"', 'x\ny')).toBe(false);
  });

  it('\\s is PCRE whitespace (no 0xa0); \\h, \\v, \\R, \\A, \\z, \\Z', () => {
    expect(test('"/a\\sb/"', [0x61, 0xa0, 0x62])).toBe(false);
    expect(test('"/a\\sb/"', 'a\x0bb')).toBe(true);
    expect(test('"/a\\Sb/"', [0x61, 0xa0, 0x62])).toBe(true);
    expect(test('"/a\\hb/"', [0x61, 0xa0, 0x62])).toBe(true);
    expect(test('"/a\\vb/"', 'a\rb')).toBe(true);
    expect(test('"/a\\Rb/"', 'a\r\nb')).toBe(true);
    expect(test('"/\\Aab/"', 'xab')).toBe(false);
    expect(test('"/ab\\z/"', 'ab\n')).toBe(false);
    expect(test('"/ab\\Z/"', 'ab\n')).toBe(true);
    expect(test('"/[\\s]x/"', [0xa0, 0x78])).toBe(false);
  });

  it('escapes: \\xHH, \\x{HH}, octal, \\e, \\cX, \\Q…\\E, POSIX classes, literal UTF-8 as bytes', () => {
    expect(test('"/\\xff\\x{41}\\101/"', [0xff, 0x41, 0x41])).toBe(true);
    expect(test('"/\\e\\cA/"', [0x1b, 0x01])).toBe(true);
    expect(test('"/\\Qa.b*\\E/"', 'a.b*')).toBe(true);
    expect(test('"/\\Qa.b*\\E/"', 'axbb')).toBe(false);
    expect(test('"/[[:digit:][:upper:]]{3}/"', 'x1A2')).toBe(true);
    expect(test('"/[[:digit:]]{3}/"', 'a1b2')).toBe(false);
    // é written in the rule file is C3 A9 on the wire
    expect(test('"/caf\u00e9/"', [0x63, 0x61, 0x66, 0xc3, 0xa9])).toBe(true);
  });

  it('x mode drops blanks and comments; inline (?s)/(?m)/(?x) scoped to their group; leading (?i)', () => {
    expect(test('"/ a  b # comment/x"', 'ab')).toBe(true);
    expect(test('"/a\\ b/x"', 'a b')).toBe(true);
    expect(test('"/(?s:a.b)|c.d/"', 'a\nb')).toBe(true);
    expect(test('"/(?s:a.b)|c.d/"', 'c\nd')).toBe(false);
    expect(test('"/(?i)abc/"', 'ABC')).toBe(true);
    expect(test('"/(?x) a b /"', 'ab')).toBe(true);
  });

  it('groups and backreferences: named, (?P<..>), \\g{N}, \\g{-1}, (?P=name), \\k{name}', () => {
    expect(test('"/(?P<w>ab)(?P=w)/"', 'abab')).toBe(true);
    expect(test('"/(ab)\\g{1}/"', 'abab')).toBe(true);
    expect(test('"/(a)(b)\\g{-1}/"', 'abb')).toBe(true);
    expect(test('"/(?\'n\'x)\\k{n}/"', 'xx')).toBe(true);
    expect(test('"/(a)\\1/"', 'aa')).toBe(true);
  });

  it('G makes quantifiers lazy (and lazy ones greedy)', () => {
    const g = parsePcreOption('"/a.+b/G"');
    const m = new RegExp(g.source, g.flags).exec('axxbyyb');
    expect(m?.[0]).toBe('axxb');
    const n = parsePcreOption('"/a.+?b/G"');
    expect(new RegExp(n.source, n.flags).exec('axxbyyb')?.[0]).toBe('axxbyyb');
  });
});

describe('catastrophic backtracking shape', () => {
  it('flags an unbounded quantifier on a group that contains one, and nothing else', () => {
    for (const p of ['"/(a+)+b/"', '"/(?:x*y)*z/"', '"/((ab)*c)+/"', '"/(a|b+){2,}/"', '"/(a+) +/x"']) {
      expect(parsePcreOption(p).nestedQuantifier, p).toBe(true);
    }
    for (const p of ['"/(a+)b*/"', '"/(ab)+/"', '"/a+b+/"', '"/(a+)?/"', '"/(a+){2}/"', '"/[(]+x*/"']) {
      expect(parsePcreOption(p).nestedQuantifier, p).toBe(false);
    }
  });
});

describe('unbalanced groups', () => {
  it('an extra ) is a load error', () => {
    expect(error('"/a)b/"')[1]).toMatch(/^pcre pattern \/a\)b\/ cannot run in JavaScript: .*Unmatched '\)'/);
  });
});
