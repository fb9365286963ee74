/**
 * Rule-file text → statements (one logical line each), keeping the way back to physical positions.
 *
 * File grammar (Snort 2.9 / Suricata):
 *   file       := { blank | comment | statement }
 *   comment    := WS* '#' ... EOL                      (only at the start of a statement, not inside one)
 *   statement  := physical-line { '\' EOL physical-line }   a trailing backslash (after trailing blanks are
 *                                                          dropped) joins the next line directly, as Snort does
 * A statement is a rule (`alert tcp … ( … )`) or a directive (`var`, `ipvar`, `portvar`, `config`, …).
 *
 * Diagnostics must point at the character the user wrote, so every statement keeps a LineMap from offsets in the
 * joined text to (line, column) of the physical line the character came from.
 */

export interface SourcePos {
  line: number;
  column: number;
}

export class LineMap {
  constructor(
    /** Offset in the joined text where each physical segment starts (ascending). */
    private readonly segStart: number[],
    private readonly segLine: number[],
    /** 1-based column of the segment's first character in its physical line. */
    private readonly segCol: number[],
  ) {}

  at(offset: number): SourcePos {
    const s = this.segStart;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: this.segLine[lo], column: this.segCol[lo] + (offset - s[lo]) };
  }
}

export interface Statement {
  file: string;
  /** The joined text (continuations removed), with leading blanks trimmed. */
  text: string;
  map: LineMap;
  /** Physical line of the statement's first character. */
  line: number;
}

export function splitStatements(text: string, file: string): Statement[] {
  if (text.charCodeAt(0) === 0xfeff) text = ` ${text.slice(1)}`; // BOM: keep columns stable
  const lines = text.split(/\r\n|\n|\r/);
  const out: Statement[] = [];
  let buf = '';
  let segStart: number[] = [];
  let segLine: number[] = [];
  let segCol: number[] = [];
  let open = false;
  let firstLine = 0;

  const flush = () => {
    if (open) out.push({ file, text: buf, map: new LineMap(segStart, segLine, segCol), line: firstLine });
    open = false;
    buf = '';
    segStart = [];
    segLine = [];
    segCol = [];
  };

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const lineNo = i + 1;
    let startCol = 0;
    if (!open) {
      while (startCol < raw.length && (raw[startCol] === ' ' || raw[startCol] === '\t')) startCol++;
      if (startCol === raw.length || raw[startCol] === '#') continue;
      open = true;
      firstLine = lineNo;
    }
    let end = raw.length;
    while (end > startCol && (raw[end - 1] === ' ' || raw[end - 1] === '\t')) end--;
    const continued = end > startCol && raw[end - 1] === '\\' && !isEscapedBackslash(raw, end - 1, startCol);
    const piece = raw.slice(startCol, continued ? end - 1 : raw.length);
    segStart.push(buf.length);
    segLine.push(lineNo);
    segCol.push(startCol + 1);
    buf += piece;
    if (!continued) flush();
  }
  flush();
  return out;
}

/** A trailing `\\` (escaped backslash) is not a continuation. */
function isEscapedBackslash(s: string, at: number, from: number): boolean {
  let n = 0;
  for (let j = at - 1; j >= from && s[j] === '\\'; j--) n++;
  return n % 2 === 1;
}
