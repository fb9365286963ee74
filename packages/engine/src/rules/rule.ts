/**
 * A loaded rule as the rest of the engine sees it (output, counters, tagging). The matcher's compiled form lives in
 * compile.ts (CompiledRule extends Rule) and is not part of the public surface.
 */

import type { RuleReference } from './classification.js';

/** drop / reject / sdrop load as `alert` (an IDS cannot block) with a warning; `writtenAction` keeps the original. */
export type RuleAction = 'alert' | 'log' | 'pass';

/**
 * Which InspectionContexts a rule runs on:
 *   'dcerpc' — one per DCE/RPC PDU (rules with protocol dcerpc/smb, any dce_* option, `metadata:service dcerpc`, or a
 *              byte_test/byte_jump/byte_extract with `dce`);
 *   'packet' — one per packet (every other tcp/udp/ip rule).
 */
export type RuleUnit = 'packet' | 'dcerpc';

export type RuleProtocol = 'tcp' | 'udp' | 'ip' | 'dcerpc' | 'smb';

/** `tag:` as written. `tag:session` asks for the rest of the connection to be recorded/summarised after the alert. */
export interface RuleTag {
  type: 'session' | 'host';
  count?: number;
  metric?: 'packets' | 'seconds' | 'bytes';
  /** host tagging: which address of the alert to follow. */
  direction?: 'src' | 'dst';
  exclusive: boolean;
}

export type FlowbitCmd = 'set' | 'setx' | 'unset' | 'toggle' | 'isset' | 'isnotset' | 'reset' | 'noalert';

export interface FlowbitCommand {
  cmd: FlowbitCmd;
  names: readonly string[];
  /** `a&b` → and, `a|b` → or (only for isset/isnotset); a single name → and. */
  op: 'and' | 'or';
  group?: string;
}

export interface Rule {
  /** Load order across all sources (0-based). */
  readonly index: number;
  readonly gid: number;
  readonly sid: number;
  readonly rev: number;
  readonly action: RuleAction;
  readonly writtenAction: string;
  readonly protocol: RuleProtocol;
  readonly msg: string;
  readonly classtype?: string;
  /** Classification description ('' without classtype): EVE alert.category. */
  readonly category: string;
  /** Explicit priority, else the classtype's, else 3. */
  readonly priority: number;
  /** EVE alert.severity (= priority, as Suricata). */
  readonly severity: number;
  readonly references: readonly RuleReference[];
  /** metadata key → values, e.g. { service: ['dcerpc'] }. */
  readonly metadata: Readonly<Record<string, readonly string[]>>;
  readonly tag?: RuleTag;
  readonly unit: RuleUnit;
  /** flowbits:noalert (or Suricata `noalert`): side effects only, never reported. */
  readonly noalert: boolean;
  readonly flowbits: readonly FlowbitCommand[];
  /** DCE/RPC rule whose header ports are not checked (service-based evaluation; see CompileOptions.strictPorts). */
  readonly portsIgnored: boolean;
  /**
   * Only addresses (and protocol) constrain the rule: Suricata evaluates such "IP-only" rules once per flow and
   * direction, and so does this engine for TCP connections (the glue sets FlowView.ipOnlyEligible on the first
   * packet of each direction); packets outside a tracked connection evaluate them every time (Snort).
   */
  readonly ipOnly: boolean;
  /** `requires:` as written (recorded; this engine loads the rule regardless). */
  readonly requires?: string;
  readonly file: string;
  readonly line: number;
  /** The rule text as loaded (continuation lines joined). */
  readonly text: string;
  /** Times the rule matched (including noalert matches); maintained by the RuleSet. */
  matchCount: number;
}

/** One match reported by RuleSet.match. Preallocated per rule: reporting a match allocates nothing. */
export interface RuleMatch {
  readonly rule: Rule;
}
