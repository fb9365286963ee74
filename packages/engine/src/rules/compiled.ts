/**
 * The compiled form of a rule: what the matcher (ruleset.ts) evaluates. Produced by compile.ts.
 */

import type { InspectOp } from './inspect.js';
import type { AddressSet, PortSet } from './netspec.js';
import type { FlowbitCommand, Rule, RuleMatch } from './rule.js';

// flow flags
export const F_TO_SERVER = 1;
export const F_TO_CLIENT = 2;
export const F_ESTABLISHED = 4;
export const F_NOT_ESTABLISHED = 8;
export const F_ONLY_STREAM = 16;
export const F_NO_STREAM = 32;

export const TCP_FLAGS = 0;
export const TCP_SEQ = 1;
export const TCP_ACK = 2;
export const TCP_WINDOW = 3;

export interface TcpCheck {
  kind: number;
  /** flags: wanted bits; seq/ack/window: the value. */
  value: number;
  /** flags: bits to ignore (the ',mask' part). */
  ignore: number;
  /** flags: '' exact, '+' all of these and maybe others, '*' any of these, '!' none of these. window: '!' negation. */
  mod: string;
}

export interface IfaceCheck {
  uuid: string;
  /** '' none, or one of < > = ! applied to the major version. */
  op: string;
  version: number;
  anyFrag: boolean;
}

export interface CompiledRule extends Rule {
  readonly matchRef: RuleMatch;
  /** 1 tcp, 2 udp, 4 other IP protocols. */
  readonly protoMask: number;
  readonly src: AddressSet;
  readonly dst: AddressSet;
  readonly sp: PortSet;
  readonly dp: PortSet;
  readonly bidi: boolean;
  /** Nothing in the header can fail (addresses any and ports any or ignored). */
  readonly headerAny: boolean;
  readonly flowFlags: number;
  readonly tcpChecks: readonly TcpCheck[] | null;
  readonly iface: IfaceCheck | null;
  readonly opnums: Uint32Array | null;
  readonly dsize: { cmp: number; a: number; b: number } | null;
  readonly bitChecks: readonly FlowbitCommand[] | null;
  readonly bitActions: readonly FlowbitCommand[] | null;
  readonly payloadOps: readonly InspectOp[] | null;
  /** Non-null when the rule inspects the stub (dce_stub_data), even with no option after it. */
  readonly stubOps: readonly InspectOp[] | null;
  /** Prefilter: 0 none, 1 payload, 2 stub; with the (case-folded) bytes to look for. */
  readonly fpBuffer: number;
  readonly fpBytes: Uint8Array | null;
  /** The fast pattern's content is nocase (else the prefilter may compare exactly). */
  readonly fpNocase: boolean;
  /** 0 set-only, 1 set+read, 2 read-only, 3 no flowbits (evaluation order within an action class). */
  readonly flowbitRole: number;
  readonly varSlots: number;
}
