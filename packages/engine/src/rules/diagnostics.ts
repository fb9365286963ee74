/**
 * Rule-loading diagnostics. Every problem found while reading rules, variables or the classification table carries
 * the file, the 1-based line and column (in characters of the physical line, after continuation lines are joined
 * back to where they came from), a severity and a message that names the problem in the user's own words
 * ("variable 'legitimate_sources' used without '$'"), plus a stable `code` for tooling and tests.
 *
 * Severity policy:
 *   error   — the rule (or variable, or classification line) is not loaded; `--strict` turns any error into a failure.
 *   warning — the rule is loaded but probably does not do what its author meant (defaults, ignored directives).
 *   info    — a documented default was applied (e.g. `$legitimate_sources` is empty); "checks clean" ignores these.
 */

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  severity: Severity;
  file: string;
  line: number;
  column: number;
  message: string;
  /** Stable machine-readable kind, e.g. 'header.extra-token', 'address.missing-dollar'. */
  code: string;
  /** The rule's sid when it was known at the time of the diagnostic. */
  sid?: number;
}

/** `file:line:column: severity: message (sid N)` — the format compilers use, so editors can jump to it. */
export function formatDiagnostic(d: Diagnostic): string {
  const sid = d.sid !== undefined ? ` (sid ${d.sid})` : '';
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}${sid}`;
}

/** Collects diagnostics; `sid` is stamped on later when the rule's sid becomes known. */
export class DiagnosticList {
  readonly items: Diagnostic[] = [];

  add(severity: Severity, file: string, line: number, column: number, code: string, message: string): Diagnostic {
    const d: Diagnostic = { severity, file, line, column, message, code };
    this.items.push(d);
    return d;
  }

  get errorCount(): number {
    let n = 0;
    for (const d of this.items) if (d.severity === 'error') n++;
    return n;
  }

  get warningCount(): number {
    let n = 0;
    for (const d of this.items) if (d.severity === 'warning') n++;
    return n;
  }
}

/** Thrown by `compileRules` in strict mode when any error was found; carries every diagnostic. */
export class RuleLoadError extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(`${errors.length} rule error(s)${errors.length > 0 ? `; first: ${formatDiagnostic(errors[0])}` : ''}`);
    this.name = 'RuleLoadError';
  }
}
