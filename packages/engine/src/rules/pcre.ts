/**
 * Snort `pcre:` → JavaScript RegExp.
 *
 * Option grammar:  pcre: [!] ( '"' body '"' | body )     body := '/' pattern '/' flags | 'm' D pattern D flags
 * Flags (Snort 2.9): i s m x (Perl), A anchored, E dollar-end-only, G ungreedy, R relative to the cursor,
 * B raw bytes (no-op: we never normalise), O (match-limit override: ignored). The HTTP-buffer flags
 * U I P H D M C K S Y are rejected (no HTTP inspection here).
 *
 * PCRE runs on bytes; we run JavaScript on a latin1 string of the same bytes (one char per byte, no `u` flag), so
 * `\xHH` means a byte in both. What differs, and what this translator does about it:
 *   - `.`, `^`, `$`, `\s`, `\v`, `\h`, `\R`, `\A`, `\z`, `\Z`: rewritten to explicit byte classes/lookarounds with
 *     PCRE's meaning (e.g. `.` excludes only \n; `$` also matches before a final \n unless E). The JS `s`/`m` flags are
 *     never used: s/m/x are applied here, which also makes `(?s)`, `(?m)`, `(?x)` and `(?s:…)` inside a pattern work.
 *   - Characters ≥ 0x80 written literally in the rule file are UTF-8 in the file, so they become their UTF-8 bytes.
 *   - POSIX classes `[:alpha:]` … inside brackets, `\Q…\E`, `\e`, `\cX`, `\x{HH}`, `\o{…}`, `\g{N}`, `\g{-N}`,
 *     `(?P<name>…)`, `(?'name'…)`, `(?P=name)`, `\k{name}` and `(?#comment)` are rewritten.
 *   - `(?i)` at the very start becomes the `i` flag; `i` changes elsewhere cannot be expressed (Node 20 has no
 *     pattern modifiers) and are reported.
 *   - Not expressible in JavaScript and reported by name: possessive quantifiers (`*+`, `++`, `?+`, `{n}+`), atomic
 *     groups `(?>…)`, recursion `(?R)`/`(?1)`/`(?&name)`, conditionals `(?(…)…)`, `\K`, `\G` (except at the start),
 *     `\p`/`\P`/`\X`/`\C`, branch reset `(?|…)`, backtracking verbs `(*…)`, callouts.
 * Known residual difference: JS case-insensitive matching also folds latin1 letters (é/É); PCRE's C-locale tables
 * fold ASCII only.
 */

export interface TranslatedPcre {
  source: string;
  flags: string;
  negated: boolean;
  relative: boolean;
  anchored: boolean;
  /** The pattern text as written, for messages. */
  display: string;
  /** An unbounded quantifier on a group that contains one: may backtrack catastrophically on crafted input. */
  nestedQuantifier: boolean;
}

export class PcreError extends Error {
  constructor(
    message: string,
    /** Offset in the option value where the problem is. */
    readonly at: number,
  ) {
    super(message);
  }
}

const UNSUPPORTED_FLAGS: Record<string, string> = {
  U: 'HTTP URI buffer',
  I: 'raw HTTP URI buffer',
  P: 'HTTP request body',
  H: 'HTTP header buffer',
  D: 'raw HTTP header buffer',
  M: 'HTTP method buffer',
  C: 'HTTP cookie buffer',
  K: 'raw HTTP cookie buffer',
  S: 'HTTP status code buffer',
  Y: 'HTTP status message buffer',
};

/** Parse the option value of `pcre:` and translate it. Throws PcreError with an offset into `value`. */
export function parsePcreOption(value: string): TranslatedPcre {
  let i = 0;
  let negated = false;
  while (value[i] === ' ') i++;
  if (value[i] === '!') {
    negated = true;
    i++;
    while (value[i] === ' ') i++;
  }
  let body = value.slice(i);
  let bodyAt = i;
  if (body.startsWith('"')) {
    if (body.length < 2 || !body.endsWith('"')) throw new PcreError('pcre value has no closing double quote', i);
    body = body.slice(1, -1);
    bodyAt++;
  }
  let delim = '/';
  let start = 0;
  if (body[0] === '/') start = 1;
  else if (body[0] === 'm' && body.length > 1 && !/[A-Za-z0-9\s\\]/.test(body[1])) {
    delim = body[1];
    start = 2;
  } else {
    throw new PcreError(`pcre must be written "/pattern/flags", found '${body}'`, bodyAt);
  }
  const close = delim === '{' ? '}' : delim === '(' ? ')' : delim === '[' ? ']' : delim === '<' ? '>' : delim;
  const end = body.lastIndexOf(close);
  if (end < start) throw new PcreError(`pcre pattern has no closing '${close}'`, bodyAt);
  const pattern = body.slice(start, end);
  const flagText = body.slice(end + 1);
  const opts: PcreOptions = { i: false, s: false, m: false, x: false, A: false, E: false, G: false };
  let relative = false;
  for (let k = 0; k < flagText.length; k++) {
    const f = flagText[k];
    const at = bodyAt + end + 1 + k;
    if (f === 'i' || f === 's' || f === 'm' || f === 'x' || f === 'A' || f === 'E' || f === 'G') opts[f] = true;
    else if (f === 'R') relative = true;
    else if (f === 'B' || f === 'O') {
      /* raw bytes / match-limit override: nothing to do */
    } else if (UNSUPPORTED_FLAGS[f]) {
      throw new PcreError(
        `pcre flag '${f}' (${UNSUPPORTED_FLAGS[f]}) is not supported: only raw payloads and DCE/RPC stubs are inspected`,
        at,
      );
    } else {
      throw new PcreError(`unknown pcre flag '${f}'`, at);
    }
  }
  const t = translatePattern(pattern, opts, bodyAt + start);
  const flags = `${t.ignoreCase ? 'i' : ''}${opts.A || t.anchoredG ? 'y' : 'g'}`;
  try {
    new RegExp(t.source, flags);
  } catch (e) {
    throw new PcreError(`pcre pattern /${pattern}/ cannot run in JavaScript: ${(e as Error).message}`, bodyAt + start);
  }
  return {
    source: t.source,
    flags,
    negated,
    relative,
    anchored: opts.A || t.anchoredG,
    display: `/${pattern}/${flagText}`,
    nestedQuantifier: t.nested,
  };
}

interface PcreOptions {
  i: boolean;
  s: boolean;
  m: boolean;
  x: boolean;
  A: boolean;
  E: boolean;
  G: boolean;
}

const hex2 = (n: number) => `\\x${n.toString(16).padStart(2, '0')}`;

const POSIX: Record<string, string> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: 'A-Za-z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\t\\n\\x0b\\f\\r ',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: 'A-Za-z0-9_',
  cntrl: '\\x00-\\x1f\\x7f',
  print: '\\x20-\\x7e',
  graph: '\\x21-\\x7e',
  ascii: '\\x00-\\x7f',
};

// PCRE character sets as JS class bodies (inside [ ]) over bytes 0x00-0xff.
const SET_S = '\\t\\n\\x0b\\f\\r ';
const SET_NOT_S = '\\x00-\\x08\\x0e-\\x1f\\x21-\\xff';
const SET_V = '\\n\\x0b\\f\\r\\x85';
const SET_NOT_V = '\\x00-\\x09\\x0e-\\x84\\x86-\\xff';
const SET_H = '\\t \\xa0';
const SET_NOT_H = '\\x00-\\x08\\x0a-\\x1f\\x21-\\x9f\\xa1-\\xff';

function utf8Escapes(ch: string): string {
  const bytes = new TextEncoder().encode(ch);
  let s = '';
  for (const b of bytes) s += hex2(b);
  return s;
}

interface Translated {
  source: string;
  ignoreCase: boolean;
  anchoredG: boolean;
  nested: boolean;
}

function translatePattern(p: string, opts: PcreOptions, base: number): Translated {
  const fail = (msg: string, at: number): never => {
    throw new PcreError(`pcre pattern /${p}/: ${msg}`, base + at);
  };
  const totalGroups = countGroups(p);
  let out = '';
  let i = 0;
  let groups = 0;
  let ignoreCase = opts.i;
  let anchoredG = false;
  let lastWasAtom = false; // a quantifier may follow
  // option state per group: s, m, x (handled here); i is global in JS
  let cur = { s: opts.s, m: opts.m, x: opts.x };
  const stack: { s: boolean; m: boolean; x: boolean }[] = [];
  // Catastrophic-backtracking shape: an unbounded quantifier applied to a group that itself contains one, e.g.
  // (a+)+ or (?:x*y)*. JavaScript has no match limit, so such a pattern is reported (PCRE would stop at its limit).
  const unboundedIn: boolean[] = [false];
  let closedGroupUnbounded = false;
  let nested = false;
  const unboundedQuantifier = (afterUnboundedGroup: boolean) => {
    if (afterUnboundedGroup) nested = true;
    unboundedIn[unboundedIn.length - 1] = true;
  };

  const quantifierFollowUp = () => {
    // after a quantifier: possessive '+', lazy '?', and the G (ungreedy) inversion
    if (p[i] === '+') fail(`possessive quantifier '${p.slice(i - 1, i + 1)}' is not supported in JavaScript`, i);
    let lazy = false;
    if (p[i] === '?') {
      lazy = true;
      i++;
    }
    if (opts.G) lazy = !lazy;
    if (lazy) out += '?';
  };

  while (i < p.length) {
    const c = p[i];
    if (cur.x && (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v')) {
      i++;
      continue;
    }
    if (cur.x && c === '#') {
      while (i < p.length && p[i] !== '\n') i++;
      continue;
    }
    // did the previous token close a group containing an unbounded quantifier? (only a quantifier right after counts)
    const afterUnboundedGroup = closedGroupUnbounded;
    closedGroupUnbounded = false;
    if (c === '\\') {
      const r = translateEscape(p, i, false, totalGroups, groups, fail);
      if (r.anchorStart) {
        if (out !== '') fail("'\\G' is only supported at the start of the pattern", i);
        anchoredG = true;
      }
      out += r.text;
      i = r.next;
      lastWasAtom = r.atom;
      continue;
    }
    if (c === '[') {
      const r = translateClass(p, i, fail);
      out += r.text;
      i = r.next;
      lastWasAtom = true;
      continue;
    }
    if (c === '(') {
      if (p[i + 1] === '*') fail(`backtracking verb '${p.slice(i, p.indexOf(')', i) + 1)}' is not supported`, i);
      if (p[i + 1] !== '?') {
        stack.push(cur);
        unboundedIn.push(false);
        cur = { ...cur };
        groups++;
        out += '(';
        i++;
        lastWasAtom = false;
        continue;
      }
      const rest = p.slice(i + 2);
      if (rest.startsWith('#')) {
        const close = p.indexOf(')', i);
        if (close < 0) fail('unterminated (?# comment', i);
        i = close + 1;
        continue;
      }
      if (
        rest.startsWith(':') ||
        rest.startsWith('=') ||
        rest.startsWith('!') ||
        rest.startsWith('<=') ||
        rest.startsWith('<!')
      ) {
        const len = rest.startsWith('<') ? 4 : 3;
        stack.push(cur);
        unboundedIn.push(false);
        cur = { ...cur };
        out += p.slice(i, i + len);
        i += len;
        lastWasAtom = false;
        continue;
      }
      const named = /^(?:P?<([A-Za-z_][A-Za-z0-9_]*)>|'([A-Za-z_][A-Za-z0-9_]*)')/.exec(rest);
      if (named) {
        stack.push(cur);
        unboundedIn.push(false);
        cur = { ...cur };
        groups++;
        out += `(?<${named[1] ?? named[2]}>`;
        i += 2 + named[0].length;
        lastWasAtom = false;
        continue;
      }
      const backref = /^P=([A-Za-z_][A-Za-z0-9_]*)\)/.exec(rest);
      if (backref) {
        out += `\\k<${backref[1]}>`;
        i += 2 + backref[0].length;
        lastWasAtom = true;
        continue;
      }
      if (rest.startsWith('>')) fail("atomic group '(?>' is not supported in JavaScript", i);
      if (rest.startsWith('|')) fail("branch reset group '(?|' is not supported in JavaScript", i);
      if (rest.startsWith('(')) fail("conditional group '(?(' is not supported in JavaScript", i);
      if (rest.startsWith('C')) fail("callout '(?C' is not supported", i);
      if (/^(?:R|[+-]?\d|&|P>)/.test(rest))
        fail(`recursion '${p.slice(i, p.indexOf(')', i) + 1)}' is not supported in JavaScript`, i);
      const flagsM = /^([imsxJUn]*)(?:-([imsxJUn]*))?([:)])/.exec(rest);
      if (flagsM) {
        const [whole, on, off = '', end] = flagsM;
        const next = { ...cur };
        for (const f of on) applyInline(f, true, next);
        for (const f of off) applyInline(f, false, next);
        const wantI = on.includes('i') ? true : off.includes('i') ? false : ignoreCase;
        if (wantI !== ignoreCase) {
          if (out === '' && end === ')' && stack.length === 0) ignoreCase = wantI;
          else
            fail(
              `inline option '(?${on}${off ? `-${off}` : ''}${end === ':' ? ':' : ')'}' changes case sensitivity inside the pattern, which JavaScript cannot express`,
              i,
            );
        }
        if (on.includes('U') || off.includes('U') || on.includes('J') || on.includes('n')) {
          fail(`inline option '(?${whole}' is not supported`, i);
        }
        if (end === ')') {
          cur = next; // applies to the rest of the enclosing group
        } else {
          stack.push(cur);
          unboundedIn.push(false);
          unboundedIn.push(false);
          cur = next;
          out += '(?:';
        }
        i += 2 + whole.length;
        lastWasAtom = false;
        continue;
      }
      fail(`unknown group syntax '${p.slice(i, i + 4)}'`, i);
    }
    if (c === ')') {
      cur = stack.pop() ?? cur;
      const had = unboundedIn.length > 1 ? unboundedIn.pop()! : false;
      if (had) unboundedIn[unboundedIn.length - 1] = true;
      out += ')';
      i++;
      lastWasAtom = true;
      closedGroupUnbounded = had;
      continue;
    }
    if (c === '*' || c === '+' || c === '?') {
      if (!lastWasAtom) fail(`quantifier '${c}' does not follow anything`, i);
      if (c !== '?') unboundedQuantifier(afterUnboundedGroup);
      out += c;
      i++;
      quantifierFollowUp();
      lastWasAtom = false;
      continue;
    }
    if (c === '{') {
      const q = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i));
      if (q && lastWasAtom) {
        if (q[2] !== undefined && q[3] === '') unboundedQuantifier(afterUnboundedGroup);
        out += q[0];
        i += q[0].length;
        quantifierFollowUp();
        lastWasAtom = false;
        continue;
      }
      out += '\\{';
      i++;
      lastWasAtom = true;
      continue;
    }
    if (c === '}') {
      out += '\\}';
      i++;
      lastWasAtom = true;
      continue;
    }
    if (c === '.') {
      out += cur.s ? '[\\s\\S]' : '[^\\n]';
      i++;
      lastWasAtom = true;
      continue;
    }
    if (c === '^') {
      out += cur.m ? '(?:(?<![\\s\\S])|(?<=\\n)(?=[\\s\\S]))' : '^';
      i++;
      lastWasAtom = false;
      continue;
    }
    if (c === '$') {
      out += cur.m ? '(?=\\n|(?![\\s\\S]))' : opts.E ? '(?![\\s\\S])' : '(?=\\n?(?![\\s\\S]))';
      i++;
      lastWasAtom = false;
      continue;
    }
    if (c === '|') {
      out += '|';
      i++;
      lastWasAtom = false;
      continue;
    }
    const code = c.codePointAt(0)!;
    if (code >= 0x80) {
      const ch = String.fromCodePoint(code);
      const esc = utf8Escapes(ch);
      // a quantifier after a multi-byte literal applies to its last byte, as in PCRE's byte mode
      out += esc;
      i += ch.length;
      lastWasAtom = true;
      continue;
    }
    out += c === '/' ? '\\/' : c;
    i++;
    lastWasAtom = true;
  }
  if (stack.length > 0) fail("missing ')'", p.length);
  return { source: out, ignoreCase, anchoredG, nested };
}

function applyInline(f: string, on: boolean, st: { s: boolean; m: boolean; x: boolean }): void {
  if (f === 's') st.s = on;
  else if (f === 'm') st.m = on;
  else if (f === 'x') st.x = on;
}

/** Count capturing groups (for `\g{-N}` and to tell `\12` backreferences from octal escapes). */
function countGroups(p: string): number {
  let n = 0;
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (p[i + 1] === '^') i++;
      if (p[i + 1] === ']') i++;
      continue;
    }
    if (c === '(') {
      if (p[i + 1] !== '?' && p[i + 1] !== '*') n++;
      else if (/^\(\?(?:P?<[A-Za-z_]|')/.test(p.slice(i))) n++;
    }
  }
  return n;
}

interface EscapeResult {
  text: string;
  next: number;
  atom: boolean;
  anchorStart?: boolean;
}

function translateEscape(
  p: string,
  i: number,
  inClass: boolean,
  totalGroups: number,
  groupsSoFar: number,
  fail: (m: string, at: number) => never,
): EscapeResult {
  const c = p[i + 1];
  if (c === undefined) fail('pattern ends with a lone backslash', i);
  const atom = (text: string, next: number): EscapeResult => ({ text, next, atom: true });
  const assertion = (text: string, next: number): EscapeResult => ({ text, next, atom: false });
  switch (c) {
    case 's':
      return inClass ? atom(SET_S, i + 2) : atom(`[${SET_S}]`, i + 2);
    case 'S':
      return inClass ? atom(SET_NOT_S, i + 2) : atom(`[${SET_NOT_S}]`, i + 2);
    case 'v':
      return inClass ? atom(SET_V, i + 2) : atom(`[${SET_V}]`, i + 2);
    case 'V':
      return inClass ? atom(SET_NOT_V, i + 2) : atom(`[${SET_NOT_V}]`, i + 2);
    case 'h':
      return inClass ? atom(SET_H, i + 2) : atom(`[${SET_H}]`, i + 2);
    case 'H':
      return inClass ? atom(SET_NOT_H, i + 2) : atom(`[${SET_NOT_H}]`, i + 2);
    case 'd':
    case 'D':
    case 'w':
    case 'W':
    case 'n':
    case 'r':
    case 't':
    case 'f':
      return atom(`\\${c}`, i + 2);
    case 'b':
      return inClass ? atom('\\x08', i + 2) : assertion('\\b', i + 2);
    case 'B':
      if (inClass) fail("'\\B' is not allowed in a character class", i);
      return assertion('\\B', i + 2);
    case 'a':
      return atom('\\x07', i + 2);
    case 'e':
      return atom('\\x1b', i + 2);
    case 'N':
      if (inClass) fail("'\\N' is not allowed in a character class", i);
      return atom('[^\\n]', i + 2);
    case 'R':
      if (inClass) fail("'\\R' is not allowed in a character class", i);
      return atom('(?:\\r\\n|[\\n\\x0b\\f\\r\\x85])', i + 2);
    case 'A':
      return assertion('(?<![\\s\\S])', i + 2);
    case 'z':
      return assertion('(?![\\s\\S])', i + 2);
    case 'Z':
      return assertion('(?=\\n?(?![\\s\\S]))', i + 2);
    case 'G':
      return { text: '', next: i + 2, atom: false, anchorStart: true };
    case 'K':
      return fail("'\\K' (reset match start) is not supported in JavaScript", i);
    case 'p':
    case 'P':
    case 'X':
      return fail(`Unicode property '\\${c}' is not supported on byte buffers`, i);
    case 'C':
      return fail("'\\C' (single code unit) is not supported", i);
    case 'Q': {
      const end = p.indexOf('\\E', i + 2);
      const lit = p.slice(i + 2, end < 0 ? p.length : end);
      let text = '';
      for (const ch of lit) {
        const code = ch.codePointAt(0)!;
        text += code >= 0x80 ? utf8Escapes(ch) : /[A-Za-z0-9 ]/.test(ch) ? ch : hex2(code);
      }
      if (!inClass && lit.length > 1) text = `(?:${text})`;
      return atom(text, end < 0 ? p.length : end + 2);
    }
    case 'E':
      return { text: '', next: i + 2, atom: false };
    case 'x': {
      const br = /^\{([0-9A-Fa-f]+)\}/.exec(p.slice(i + 2));
      if (br) {
        const v = Number.parseInt(br[1], 16);
        if (v > 0xff) fail(`'\\x{${br[1]}}' is above 0xff, which a byte buffer cannot contain`, i);
        return atom(hex2(v), i + 2 + br[0].length);
      }
      const h = /^[0-9A-Fa-f]{0,2}/.exec(p.slice(i + 2))![0];
      return atom(hex2(h === '' ? 0 : Number.parseInt(h, 16)), i + 2 + h.length);
    }
    case 'o': {
      const br = /^\{([0-7]+)\}/.exec(p.slice(i + 2));
      if (!br) fail("'\\o' must be followed by {octal digits}", i);
      const v = Number.parseInt(br![1], 8);
      if (v > 0xff) fail(`'\\o{${br![1]}}' is above 0xff`, i);
      return atom(hex2(v), i + 2 + br![0].length);
    }
    case 'c': {
      const x = p[i + 2];
      if (x === undefined || x.charCodeAt(0) > 0x7f) fail("'\\c' must be followed by an ASCII character", i);
      return atom(hex2(x.toUpperCase().charCodeAt(0) ^ 0x40), i + 3);
    }
    case 'g': {
      if (inClass) fail("'\\g' is not allowed in a character class", i);
      const m = /^(?:\{(-?\d+)\}|(-?\d+)|\{([A-Za-z_][A-Za-z0-9_]*)\}|<([A-Za-z_][A-Za-z0-9_]*)>)/.exec(p.slice(i + 2));
      if (!m) fail("malformed '\\g' reference", i);
      const num = m![1] ?? m![2];
      if (num !== undefined) {
        let n = Number(num);
        if (n < 0) n = groupsSoFar + 1 + n;
        if (n < 1) fail(`'\\g${m![0]}' refers to a group that does not exist`, i);
        return atom(`(?:\\${n})`, i + 2 + m![0].length);
      }
      if (m![4] !== undefined) fail("subroutine call '\\g<name>' is not supported in JavaScript", i);
      return atom(`\\k<${m![3]}>`, i + 2 + m![0].length);
    }
    case 'k': {
      if (inClass) fail("'\\k' is not allowed in a character class", i);
      const m = /^(?:<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)'|\{([A-Za-z_]\w*)\})/.exec(p.slice(i + 2));
      if (!m) fail("malformed '\\k' reference", i);
      return atom(`\\k<${m![1] ?? m![2] ?? m![3]}>`, i + 2 + m![0].length);
    }
    default:
      break;
  }
  if (c >= '0' && c <= '9') {
    const digits = /^\d+/.exec(p.slice(i + 1))![0];
    if (c === '0' || inClass) {
      const oct = /^[0-7]{1,3}/.exec(p.slice(i + 1));
      if (!oct) fail(`invalid octal escape '\\${digits}'`, i);
      return atom(hex2(Number.parseInt(oct![0], 8) & 0xff), i + 1 + oct![0].length);
    }
    // PCRE: \1..\9 are always backreferences; \10 and up are backreferences if that many groups exist, else octal
    if (digits.length === 1 || Number(digits) <= totalGroups) return atom(`(?:\\${digits})`, i + 1 + digits.length);
    const oct = /^[0-7]{1,3}/.exec(digits);
    if (!oct) fail(`'\\${digits}' refers to a group that does not exist`, i);
    return atom(hex2(Number.parseInt(oct![0], 8) & 0xff), i + 1 + oct![0].length);
  }
  if (/[A-Za-z]/.test(c)) fail(`unrecognized escape '\\${c}'`, i);
  // escaped punctuation / literal
  const code = c.codePointAt(0)!;
  if (code >= 0x80) {
    const ch = String.fromCodePoint(code);
    return atom(utf8Escapes(ch), i + 1 + ch.length);
  }
  return atom(`\\${c}`, i + 2);
}

function translateClass(p: string, i: number, fail: (m: string, at: number) => never): { text: string; next: number } {
  let out = '[';
  let j = i + 1;
  if (p[j] === '^') {
    out += '^';
    j++;
  }
  if (p[j] === ']') {
    out += '\\]';
    j++;
  }
  for (;;) {
    const c = p[j];
    if (c === undefined) fail("missing ']' for a character class", i);
    if (c === ']') {
      out += ']';
      return { text: out, next: j + 1 };
    }
    if (c === '[' && p[j + 1] === ':') {
      const m = /^\[:(\^?)([a-z]+):\]/.exec(p.slice(j));
      if (m) {
        if (m[1]) fail(`negated POSIX class '[:^${m[2]}:]' is not supported`, j);
        const body = POSIX[m[2]];
        if (!body) fail(`unknown POSIX class '[:${m[2]}:]'`, j);
        out += body;
        j += m[0].length;
        continue;
      }
    }
    if (c === '\\') {
      const r = translateEscape(p, j, true, 0, 0, fail);
      out += r.text;
      j = r.next;
      continue;
    }
    const code = c.codePointAt(0)!;
    if (code >= 0x80) {
      const ch = String.fromCodePoint(code);
      out += utf8Escapes(ch);
      j += ch.length;
      continue;
    }
    out += c === '[' ? '\\[' : c === '/' ? '\\/' : c;
    j++;
  }
}
