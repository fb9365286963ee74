/**
 * Rule variables: `$HOME_NET`, `$your_protected_assets`, `$HTTP_PORTS`, …
 *
 * Sources, later ones overriding earlier ones:
 *   1. `var` / `ipvar` / `portvar` lines inside the rule files themselves;
 *   2. a vars file (`--vars FILE`): lines `ipvar NAME value`, `portvar NAME value`, `var NAME value` or `NAME=VALUE`,
 *      `#` comments and blank lines;
 *   3. `--var NAME=VALUE` on the command line.
 * Values are address or port expressions in rule syntax (`[10.0.0.0/8,!10.1.0.0/16]`, `!$HOME_NET`, `1024:`) and may
 * reference other variables. Names are case-sensitive, as in Snort.
 *
 * Defaults for variables nobody set (see `defaultFor`):
 *   HOME_NET, EXTERNAL_NET      → any, with a warning (Snort's shipped snort.conf has HOME_NET any too, but a
 *                                 detector running on defaults should say so);
 *   any variable used as a port → any, with a warning ($HTTP_PORTS, $SHELLCODE_PORTS, …);
 *   legitimate_sources          → the EMPTY set (the KPN rules' whitelist: nothing is whitelisted until the operator
 *                                 says so, so `!$legitimate_sources` matches every host), reported as info;
 *   your_protected_assets       → any, reported as info.
 * Any other unset address variable is an error: silently matching everything would hide a typo.
 */

import { DiagnosticList } from './diagnostics.js';

export type VarKind = 'ip' | 'port' | 'any';

export interface VarDef {
  name: string;
  value: string;
  /** `ipvar` → ip, `portvar` → port, `var` / NAME=VALUE → any (decided by where it is used). */
  kind: VarKind;
  file?: string;
  line?: number;
  /** Column of the value's first character. */
  column?: number;
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isVarName(s: string): boolean {
  return NAME_RE.test(s);
}

/**
 * Parse one `--var NAME=VALUE` argument (also accepts `NAME VALUE`). Returns the definition, or a message naming
 * what is wrong.
 */
export function parseVarAssignment(arg: string, origin = '--var'): VarDef | string {
  const m = /^\s*\$?([^\s=]+)\s*(?:=|\s)\s*(.*?)\s*$/.exec(arg);
  if (!m) return `${origin} '${arg}': expected NAME=VALUE`;
  const [, name, value] = m;
  if (!isVarName(name)) return `${origin} '${arg}': invalid variable name '${name}'`;
  if (value === '') return `${origin} '${arg}': variable '${name}' has an empty value`;
  return { name, value, kind: 'any', file: origin };
}

/** Parse a vars file. Bad lines become diagnostics; good lines are kept. */
export function parseVarsFile(text: string, file: string): { vars: VarDef[]; diagnostics: DiagnosticList } {
  const diagnostics = new DiagnosticList();
  const vars: VarDef[] = [];
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) continue;
    const lead = raw.length - raw.trimStart().length;
    const def = parseVarLine(t, file, i + 1, lead + 1, diagnostics);
    if (def) vars.push(def);
  }
  return { vars, diagnostics };
}

/**
 * One definition line: `ipvar NAME value`, `portvar NAME value`, `var NAME value` or `NAME=VALUE`.
 * `col` is the 1-based column of `t`'s first character.
 */
export function parseVarLine(t: string, file: string, line: number, col: number, diags: DiagnosticList): VarDef | null {
  const kw = /^(ipvar|portvar|var)\s+(\S+)\s+(\S.*)$/.exec(t);
  if (kw) {
    const [, k, name, value] = kw;
    const valueCol = col + t.length - value.length;
    if (!isVarName(name.replace(/^\$/, ''))) {
      diags.add(
        'error',
        file,
        line,
        col + t.indexOf(name, k.length),
        'var.bad-name',
        `invalid variable name '${name}'`,
      );
      return null;
    }
    if (name.startsWith('$')) {
      diags.add(
        'error',
        file,
        line,
        col + t.indexOf(name, k.length),
        'var.dollar-in-definition',
        `variable '${name.slice(1)}' is defined with a '$'; write '${k} ${name.slice(1)} …'`,
      );
      return null;
    }
    const kind: VarKind = k === 'ipvar' ? 'ip' : k === 'portvar' ? 'port' : 'any';
    return { name, value: value.trim(), kind, file, line, column: valueCol };
  }
  const eq = /^\$?([^\s=]+)\s*=\s*(.*)$/.exec(t);
  if (eq) {
    const [, name, value] = eq;
    if (!isVarName(name)) {
      diags.add('error', file, line, col, 'var.bad-name', `invalid variable name '${name}'`);
      return null;
    }
    if (value.trim() === '') {
      diags.add('error', file, line, col + t.indexOf('=') + 1, 'var.empty', `variable '${name}' has an empty value`);
      return null;
    }
    const valueCol = col + t.length - value.length;
    return { name, value: value.trim(), kind: 'any', file, line, column: valueCol };
  }
  if (/^(ipvar|portvar|var)\b/.test(t)) {
    diags.add('error', file, line, col, 'var.syntax', `expected '${t.split(/\s/)[0]} NAME VALUE'`);
  } else {
    diags.add(
      'error',
      file,
      line,
      col,
      'var.syntax',
      `cannot read variable definition '${t}'; expected 'ipvar NAME VALUE', 'portvar NAME VALUE', 'var NAME VALUE' or 'NAME=VALUE'`,
    );
  }
  return null;
}

export type DefaultPolicy =
  | { value: 'any'; severity: 'warning' | 'info'; why: string }
  | { value: 'empty'; severity: 'info'; why: string };

/**
 * What an unset variable means, by name and by where it is used (address or port position); null = no default
 * (an error).
 */
export function defaultFor(name: string, position: 'addr' | 'port'): DefaultPolicy | null {
  if (name === 'legitimate_sources') {
    return {
      value: 'empty',
      severity: 'info',
      why: "variable 'legitimate_sources' is not set: no source is whitelisted (an empty set; '!$legitimate_sources' matches every host)",
    };
  }
  if (name === 'your_protected_assets') {
    return {
      value: 'any',
      severity: 'info',
      why: "variable 'your_protected_assets' is not set: every host is protected (any)",
    };
  }
  if (name === 'HOME_NET' || name === 'EXTERNAL_NET') {
    return { value: 'any', severity: 'warning', why: `variable '${name}' is not set; using 'any'` };
  }
  if (position === 'port') {
    return { value: 'any', severity: 'warning', why: `port variable '${name}' is not set; using 'any'` };
  }
  return null;
}

/** Names that have a default, i.e. that a bare word in an address position most likely meant. */
export function hasDefault(name: string): boolean {
  return defaultFor(name, 'addr') !== null;
}
