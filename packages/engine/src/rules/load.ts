/**
 * Loading rules from files, the way the CLI and the detect service both do it: rule files, `--var NAME=VALUE`
 * assignments, variable files, an optional classification table. Every problem becomes a Diagnostic (with file,
 * line and column); nothing here throws for bad input — a missing file is a diagnostic too.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ClassificationTable, parseClassificationConfig } from './classification.js';
import { type CompileResult, compileRules, type RuleSource } from './compile.js';
import type { Diagnostic } from './diagnostics.js';
import type { StubBuffer } from './ruleset.js';
import { parseVarAssignment, parseVarsFile, type VarDef } from './variables.js';

export interface RuleLoadRequest {
  /** Rule files (default: the shipped packs, defaultRuleFiles()). */
  ruleFiles?: readonly string[];
  /** NAME=VALUE assignments (override files). */
  varArgs?: readonly string[];
  /** Variable files (`ipvar NAME VALUE` / `portvar` / `var` / NAME=VALUE lines). */
  varsFiles?: readonly string[];
  /** classification.config to use instead of Snort's standard table. */
  classificationFile?: string;
  strictPorts?: boolean;
  /** What dce_stub_data inspects (CompileOptions.stubBuffer; default 'ndr'). */
  stubBuffer?: StubBuffer;
}

export interface RuleLoadResult extends CompileResult {
  /** Diagnostics of the whole load (variables, files, rules), in order. */
  all: Diagnostic[];
  files: string[];
}

/** The repository's rule directory (WMIDETECT_RULES_DIR overrides it, e.g. in the container image). */
export function rulesDir(): string {
  const env = process.env.WMIDETECT_RULES_DIR;
  if (env !== undefined && env !== '') return env;
  // src/rules/load.ts and dist/rules/load.js sit at the same depth under packages/engine
  return fileURLToPath(new URL('../../../../rules/', import.meta.url));
}

/** rules/wmi.rules: the corrected seed pack. */
export function defaultRulesPath(): string {
  return `${rulesDir().replace(/\/$/, '')}/wmi.rules`;
}

/**
 * What runs when no rule file is named: the corrected seed pack and our extended pack (call-level faults, process
 * creation, persistence, DCOM lateral movement) — the same files the Helm chart ships in its rules ConfigMap.
 */
export function defaultRuleFiles(): string[] {
  const dir = rulesDir().replace(/\/$/, '');
  return [`${dir}/wmi.rules`, `${dir}/wmi-extended.rules`];
}

function fileDiagnostic(file: string, err: unknown): Diagnostic {
  const e = err as NodeJS.ErrnoException;
  const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : (e.message ?? String(e));
  return { severity: 'error', file, line: 0, column: 0, code: 'file.unreadable', message: `cannot read: ${why}` };
}

export function loadRules(req: RuleLoadRequest): RuleLoadResult {
  const pre: Diagnostic[] = [];
  const vars: VarDef[] = [];
  for (const f of req.varsFiles ?? []) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      pre.push(fileDiagnostic(f, e));
      continue;
    }
    const r = parseVarsFile(text, f);
    vars.push(...r.vars);
    pre.push(...r.diagnostics.items);
  }
  for (const a of req.varArgs ?? []) {
    const v = parseVarAssignment(a);
    if (typeof v === 'string') {
      pre.push({ severity: 'error', file: '--var', line: 0, column: 0, code: 'var.syntax', message: v });
    } else vars.push(v);
  }
  let classification: ClassificationTable | undefined;
  if (req.classificationFile !== undefined) {
    try {
      const r = parseClassificationConfig(readFileSync(req.classificationFile, 'utf8'), req.classificationFile);
      classification = r.table;
      pre.push(...r.diagnostics.items);
    } catch (e) {
      pre.push(fileDiagnostic(req.classificationFile, e));
    }
  }
  const files = req.ruleFiles !== undefined && req.ruleFiles.length > 0 ? [...req.ruleFiles] : defaultRuleFiles();
  const sources: RuleSource[] = [];
  for (const f of files) {
    try {
      sources.push({ file: f, text: readFileSync(f, 'utf8') });
    } catch (e) {
      pre.push(fileDiagnostic(f, e));
    }
  }
  const result = compileRules(sources, {
    vars,
    classification,
    strictPorts: req.strictPorts,
    stubBuffer: req.stubBuffer,
  });
  const all = [...pre, ...result.diagnostics];
  let errors = result.errorCount;
  let warnings = result.warningCount;
  for (const d of pre) {
    if (d.severity === 'error') errors++;
    else if (d.severity === 'warning') warnings++;
  }
  return { ...result, errorCount: errors, warningCount: warnings, all, files };
}
