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

/**
 * dce_fault / dce_hresult: the status values accepted (sorted u32), or null for any fault (dce_fault without a list)
 * / any failure (dce_hresult:failed, i.e. bit 31 set — a failing HRESULT).
 */
export interface StatusCheck {
  values: Uint32Array | null;
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
  /** dce_call_iface: the interface of the call a response/fault answers (call table only, never p_cont_id). */
  readonly callIface: IfaceCheck | null;
  /** dce_call_opnum: the opnum of the call a response/fault answers. */
  readonly callOpnums: Uint32Array | null;
  /** dce_fault: the PDU is a fault (with one of these statuses). */
  readonly fault: StatusCheck | null;
  /** dce_hresult: a clear, complete response whose stub ends with one of these return values. */
  readonly hresult: StatusCheck | null;
  /** dcom_clsid: the activation request instantiates one of these classes (canonical lower-case GUIDs). */
  readonly clsids: ReadonlySet<string> | null;
  /** dce_auth_level: bit n set = auth level n accepted (0 no authentication … 6 packet privacy); 0 = no check. */
  readonly authLevels: number;
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
