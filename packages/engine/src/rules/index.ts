/**
 * Snort 2.9 rule language for wmi-detect: parser with precise diagnostics, variables, classification, and the
 * matcher that evaluates rules against InspectionContexts.
 *
 * Unit selection (which rules run on which InspectionContext):
 *   - DCE/RPC rules (`rule.unit === 'dcerpc'`) run on DCE/RPC PDU contexts (ctx.dce set): a rule is a DCE/RPC rule
 *     when its protocol is `dcerpc` or `smb`, or it has any dce_* / dcerpc.* option, `metadata:service dcerpc`, or a
 *     byte_test/byte_jump/byte_extract with `dce`. Their header ports are not checked (service-based evaluation:
 *     they apply to every connection recognised as DCE/RPC whatever its ports) unless CompileOptions.strictPorts.
 *     Content without dce_stub_data inspects ctx.payload, which for a PDU is the whole PDU from its first header
 *     byte — so `content:"|05 00 03|"; offset:0; depth:3;` finds a fault PDU wherever it sits in a segment.
 *   - Packet rules (`rule.unit === 'packet'`) run on packet contexts (no ctx.dce), grouped by IP protocol.
 *
 * Typical use:
 *   const { ruleSet, diagnostics } = compileRules({ file, text }, { vars });
 *   const out: RuleMatch[] = [];
 *   ruleSet.match(ctx, out);   // out = matching rules, flowbits applied to ctx.flow.bits
 */

export {
  type Classification,
  type ClassificationTable,
  DEFAULT_CLASSIFICATION_CONFIG,
  DEFAULT_PRIORITY,
  DEFAULT_REFERENCE_SYSTEMS,
  defaultClassification,
  parseClassificationConfig,
  type RuleReference,
  referenceUrl,
} from './classification.js';
export { type CompileOptions, type CompileResult, compileRules, type RuleSource } from './compile.js';
export { type Diagnostic, DiagnosticList, formatDiagnostic, RuleLoadError, type Severity } from './diagnostics.js';
export {
  defaultRuleFiles,
  defaultRulesPath,
  loadRules,
  type RuleLoadRequest,
  type RuleLoadResult,
  rulesDir,
} from './load.js';
export { PcreError, parsePcreOption, type TranslatedPcre } from './pcre.js';
export type {
  FlowbitCmd,
  FlowbitCommand,
  Rule,
  RuleAction,
  RuleMatch,
  RuleProtocol,
  RuleTag,
  RuleUnit,
} from './rule.js';
export { RuleSet, type RuleSetStats, type StubBuffer } from './ruleset.js';
export type * from './types.js';
export { defaultFor, parseVarAssignment, parseVarsFile, type VarDef, type VarKind } from './variables.js';
