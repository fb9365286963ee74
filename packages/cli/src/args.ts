/**
 * A small argv parser: `--name value`, `--name=value`, repeatable options, boolean flags, positionals, and `--`.
 * Unknown options are usage errors (exit 2), named precisely.
 */
export interface OptionSpec {
  /** Takes a value (else a boolean flag). */
  value?: boolean;
  /** May be given several times (values collected in order). */
  repeat?: boolean;
}

export interface ParsedArgs {
  options: Map<string, string[]>;
  flags: Set<string>;
  positionals: string[];
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseArgs(argv: readonly string[], spec: Readonly<Record<string, OptionSpec>>): ParsedArgs {
  const out: ParsedArgs = { options: new Map(), flags: new Set(), positionals: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '-') {
      out.positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    const s = spec[name];
    if (s === undefined) throw new UsageError(`unknown option '--${name}'`);
    if (!s.value) {
      if (eq >= 0) throw new UsageError(`option '--${name}' takes no value`);
      out.flags.add(name);
      continue;
    }
    let v: string;
    if (eq >= 0) v = a.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new UsageError(`option '--${name}' needs a value`);
      v = argv[++i];
    }
    const list = out.options.get(name) ?? [];
    if (list.length > 0 && !s.repeat) throw new UsageError(`option '--${name}' given twice`);
    list.push(v);
    out.options.set(name, list);
  }
  return out;
}

export function one(args: ParsedArgs, name: string): string | undefined {
  return args.options.get(name)?.[0];
}

export function all(args: ParsedArgs, name: string): string[] {
  return args.options.get(name) ?? [];
}

export function intOption(args: ParsedArgs, name: string, min: number): number | undefined {
  const v = one(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`option '--${name}' needs an integer >= ${min}, got '${v}'`);
  return n;
}
