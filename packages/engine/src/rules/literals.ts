/**
 * Quoted option values: `msg:"…"`, `content:"…"`.
 *
 *   quoted  := '"' { char | '\' escapable } '"'          escapable (Snort): '"'  ';'  '\'  (also ':' and '|')
 *   content := [ '!' ] quoted   where the text alternates literal and '|' hex-bytes '|' parts: "abc|0d 0a|def"
 * A `;` must be escaped because option values are split on unescaped `;` before they get here. Characters
 * outside ASCII are matched as their UTF-8 bytes (the rule file is UTF-8).
 *
 * Typographic quotes (“ ” „ — word processors and web pages produce them) are reported by name, because "missing
 * closing quote" would not tell the user what is wrong: the seed's rule 4103004 has exactly this defect.
 */

export class LiteralError extends Error {
  constructor(
    message: string,
    /** Offset in the value string. */
    readonly at: number,
    readonly code: string,
  ) {
    super(message);
  }
}

const TYPOGRAPHIC = new Set(['\u201c', '\u201d', '\u201e', '\u201f', '\u2033', '\u00ab', '\u00bb']);

export function isTypographicQuote(ch: string | undefined): boolean {
  return ch !== undefined && TYPOGRAPHIC.has(ch);
}

const typo = (ch: string, opt: string, at: number) =>
  new LiteralError(`typographic quote ${ch} in ${opt}; use a plain double quote`, at, 'literal.typographic-quote');

export interface QuotedText {
  text: string;
  /** Problems that were recovered from (the text is still usable for further checks). */
  recovered: LiteralError[];
}

/**
 * A quoted text value such as msg. Unquoted text is accepted as it is (Snort does). Throws LiteralError for
 * unrecoverable problems; typographic closing/opening quotes are recovered from (so later checks on the rule still
 * run) and reported in `recovered`.
 */
export function parseQuotedText(value: string, opt: string): QuotedText {
  const recovered: LiteralError[] = [];
  if (value === '') throw new LiteralError(`${opt} is empty`, 0, 'literal.empty');
  const first = value[0];
  if (first !== '"' && !isTypographicQuote(first)) return { text: unescapeText(value), recovered };
  if (first !== '"') recovered.push(typo(first, opt, 0));
  let text = '';
  for (let i = 1; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && i + 1 < value.length) {
      text += value[++i];
      continue;
    }
    const last = value.slice(i + 1).trim() === '';
    if (c === '"' || (isTypographicQuote(c) && last)) {
      if (c !== '"') recovered.push(typo(c, opt, i));
      const rest = value.slice(i + 1);
      if (rest.trim() !== '') {
        throw new LiteralError(
          `unexpected text '${rest.trim()}' after the closing quote of ${opt}`,
          i + 1 + (rest.length - rest.trimStart().length),
          'literal.trailing-text',
        );
      }
      return { text, recovered };
    }
    text += c;
  }
  throw new LiteralError(`${opt} has no closing double quote`, value.length, 'literal.unterminated');
}

function unescapeText(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

export interface ContentLiteral {
  bytes: Uint8Array;
  negated: boolean;
  recovered: LiteralError[];
}

const utf8 = new TextEncoder();

/** `content:` / `uricontent:`-style value: optional `!`, quoted text with |hex| parts. */
export function parseContentLiteral(value: string, opt = 'content'): ContentLiteral {
  const recovered: LiteralError[] = [];
  let i = 0;
  let negated = false;
  if (value[i] === '!') {
    negated = true;
    i++;
    while (value[i] === ' ' || value[i] === '\t') i++;
  }
  let end = value.length;
  const open = value[i];
  if (open === '"' || isTypographicQuote(open)) {
    if (open !== '"') recovered.push(typo(open, opt, i));
    i++;
    // closing quote: the last character (after trimming), plain or typographic
    const lastCh = value[end - 1];
    let escapes = 0; // backslashes right before the closing quote: an odd count escapes it
    for (let k = end - 2; k >= i && value[k] === '\\'; k--) escapes++;
    if (end - 1 < i || (lastCh !== '"' && !isTypographicQuote(lastCh)) || escapes % 2 === 1) {
      throw new LiteralError(`${opt} has no closing double quote`, value.length, 'literal.unterminated');
    }
    if (lastCh !== '"') recovered.push(typo(lastCh, opt, end - 1));
    end--;
  }
  const out: number[] = [];
  let hex = false;
  let hexStart = 0;
  let nibble = -1;
  for (; i < end; i++) {
    const c = value[i];
    if (hex) {
      if (c === '|') {
        if (nibble >= 0) throw new LiteralError(`odd number of hex digits in ${opt} |…|`, i, 'content.hex-odd');
        hex = false;
        continue;
      }
      if (c === ' ' || c === '\t') {
        if (nibble >= 0) throw new LiteralError(`odd number of hex digits in ${opt} |…|`, i, 'content.hex-odd');
        continue;
      }
      const v = Number.parseInt(c, 16);
      if (Number.isNaN(v)) {
        throw new LiteralError(`invalid character '${c}' in the hex part of ${opt}`, i, 'content.hex-invalid');
      }
      if (nibble < 0) nibble = v;
      else {
        out.push((nibble << 4) | v);
        nibble = -1;
      }
      continue;
    }
    if (c === '|') {
      hex = true;
      hexStart = i;
      continue;
    }
    if (c === '\\') {
      const n = value[i + 1];
      if (n === '"' || n === ';' || n === '\\' || n === ':' || n === '|') {
        out.push(n.charCodeAt(0));
        i++;
        continue;
      }
      throw new LiteralError(
        `invalid escape '\\${n ?? ''}' in ${opt}; only \\" \\; \\\\ are allowed (write other bytes as |hex|)`,
        i,
        'content.bad-escape',
      );
    }
    if (c === '"') {
      throw new LiteralError(`unescaped '"' inside ${opt}; write it as \\" or |22|`, i, 'content.bare-quote');
    }
    const code = c.charCodeAt(0);
    if (code < 0x80) out.push(code);
    else {
      const cp = value.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      for (const b of utf8.encode(ch)) out.push(b);
      i += ch.length - 1;
    }
  }
  if (hex) throw new LiteralError(`unterminated hex part '|' in ${opt}`, hexStart, 'content.hex-unterminated');
  if (out.length === 0) throw new LiteralError(`${opt} is empty`, 0, 'content.empty');
  return { bytes: Uint8Array.from(out), negated, recovered };
}
