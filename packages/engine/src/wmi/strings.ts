/**
 * Fallback when a structured decode fails (truncated stub, an encoding variant the MS-WMIO decoder rejects):
 * pull the printable strings out of the bytes — one-byte runs and UTF-16LE runs, the two ways MS-WMIO stores
 * text — and pick the one that looks like a command line. Results produced this way are marked
 * `decoded_by: 'heuristic'` by the caller so nobody mistakes them for a parsed field.
 */

export interface ExtractedString {
  text: string;
  encoding: 'ascii' | 'utf16le';
  offset: number;
}

const MAX_STRINGS = 512;

function printable(c: number): boolean {
  return (c >= 0x20 && c < 0x7f) || c === 0x09;
}

/** Printable runs of at least `minLen` characters, in offset order (ASCII and UTF-16LE found independently). */
export function extractStrings(b: Uint8Array, minLen = 4): ExtractedString[] {
  const out: ExtractedString[] = [];
  // One byte per character.
  let start = -1;
  for (let i = 0; i <= b.length && out.length < MAX_STRINGS; i++) {
    const ok = i < b.length && printable(b[i]);
    if (ok && start < 0) start = i;
    else if (!ok && start >= 0) {
      if (i - start >= minLen) {
        let s = '';
        for (let k = start; k < i; k++) s += String.fromCharCode(b[k]);
        out.push({ text: s, encoding: 'ascii', offset: start });
      }
      start = -1;
    }
  }
  // UTF-16LE at both byte parities (an MS-WMIO string starts after a one-byte flag, so either parity occurs).
  for (let parity = 0; parity < 2; parity++) {
    let s = '';
    let from = -1;
    for (let i = parity; i + 1 <= b.length && out.length < MAX_STRINGS; i += 2) {
      const c = i + 1 < b.length ? b[i] | (b[i + 1] << 8) : -1;
      if (c >= 0 && (printable(c) || (c >= 0xa0 && c <= 0xff))) {
        if (from < 0) from = i;
        s += String.fromCharCode(c);
      } else {
        if (from >= 0 && s.length >= minLen) out.push({ text: s, encoding: 'utf16le', offset: from });
        s = '';
        from = -1;
      }
    }
    if (from >= 0 && s.length >= minLen) out.push({ text: s, encoding: 'utf16le', offset: from });
  }
  out.sort((x, y) => x.offset - y.offset);
  return out;
}

const EXEC_HINT =
  /(cmd(\.exe)?\s|cmd\.exe|powershell|pwsh|rundll32|regsvr32|mshta|wscript|cscript|msiexec|bitsadmin|certutil|\.exe\b|\.bat\b|\.cmd\b|\.ps1\b|\.vbs\b|\.dll\b|\s\/c\s|\s-enc\w*\s|\s-e\s)/i;

/** Strings from MS-WMIO class schemas that are never the command (qualifier names, type names, mapping strings). */
const SCHEMA_NOISE =
  /^(Win32API\||WMI\||MappingStrings|CIMTYPE|string|object(:.*)?|uint32|sint32|boolean|abstract|__PARAMETERS|In|Out|ID|Description|Win32_\w+)$/;

/**
 * The most command-like string: must contain an execution hint (an interpreter, an executable extension,
 * "/c", "-enc"), scored by hints and length; schema strings are excluded. Undefined when nothing qualifies.
 */
export function pickCommandLine(strings: readonly ExtractedString[]): string | undefined {
  let best: string | undefined;
  let bestScore = 0;
  for (const s of strings) {
    const t = s.text.trim();
    if (t.length < 4 || SCHEMA_NOISE.test(t) || t.includes('|Process and Thread Functions|')) continue;
    if (!EXEC_HINT.test(t)) continue;
    let score = 10;
    if (/\s/.test(t)) score += 5;
    if (/(cmd|powershell|pwsh)/i.test(t)) score += 10;
    if (s.encoding === 'utf16le') score += 1;
    score += Math.min(t.length, 200) / 20;
    if (score > bestScore) {
      bestScore = score;
      best = t;
    }
  }
  return best;
}
