/**
 * `wmidetect rules check [--var NAME=VALUE]... [--vars FILE]... [--strict-ports] FILE...`
 * Prints every diagnostic as `file:line:column: severity: message (sid N)` and a summary; exit 2 when any error.
 */
import { formatDiagnostic, loadRules } from '@wmi-detect/engine';
import { all, parseArgs, UsageError } from '../args.js';

export const RULES_CHECK_USAGE =
  'usage: wmidetect rules check [--var NAME=VALUE]... [--vars FILE]... [--classification FILE] FILE...';

export function rulesCheck(argv: readonly string[]): number {
  const args = parseArgs(argv, {
    var: { value: true, repeat: true },
    vars: { value: true, repeat: true },
    classification: { value: true },
    'strict-ports': {},
  });
  if (args.positionals.length === 0) throw new UsageError('rules check needs at least one rule file');
  const r = loadRules({
    ruleFiles: args.positionals,
    varArgs: all(args, 'var'),
    varsFiles: all(args, 'vars'),
    classificationFile: args.options.get('classification')?.[0],
    strictPorts: args.flags.has('strict-ports'),
  });
  for (const d of r.all) process.stdout.write(`${formatDiagnostic(d)}\n`);
  process.stdout.write(
    `${r.rules.length} rules loaded from ${r.files.length} file(s): ${r.errorCount} error(s), ${r.warningCount} warning(s)\n`,
  );
  return r.errorCount > 0 ? 2 : 0;
}
