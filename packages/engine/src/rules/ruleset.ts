/**
 * The matcher: compiled rules grouped for the units they run on, evaluated against InspectionContexts.
 *
 * Units and groups. A context with `dce` is a DCE/RPC PDU unit and runs only the 'dcerpc' rules; a context without it
 * is a packet unit and runs the 'packet' rules of its IP protocol (tcp, udp, or other; `ip` rules are in all three).
 *
 * Order (documented in docs/rules.md): pass rules first, then alert/log rules; within each, rules that only
 * set/unset flowbits, then rules that set and read, then rules that only read, then rules without flowbits
 * (Suricata's ordering, which makes "set then isset on the same packet" work); then load order. Flowbit side effects
 * of a matching rule are applied immediately, so later rules of the same unit see them (Snort applies them as each
 * rule matches). When a pass rule matches, evaluation of the unit stops: nothing after it can alert.
 *
 * Per-unit work: one prefilter scan of the payload (and of the stub for DCE/RPC units) marks the rules whose fast
 * pattern occurs; only those, plus rules with no usable fast pattern, are evaluated. Cheap checks (header,
 * flow, dce_iface/dce_opnum, dsize, flowbits) run before any payload inspection. Nothing is allocated per unit
 * except when a pcre needs the buffer as a string (cached per buffer and unit).
 */

import {
  type CompiledRule,
  F_ESTABLISHED,
  F_NO_STREAM,
  F_NOT_ESTABLISHED,
  F_ONLY_STREAM,
  F_TO_CLIENT,
  F_TO_SERVER,
  TCP_ACK,
  TCP_FLAGS,
  TCP_SEQ,
} from './compiled.js';
import { compare, InspectState, inspect } from './inspect.js';
import { hasNum } from './intervals.js';
import { IpCache, type ParsedIp } from './netspec.js';
import { MultiPatternMatcher } from './prefilter.js';
import type { Rule, RuleMatch } from './rule.js';
import type { DceView, InspectionContext } from './types.js';

class RuleGroup {
  readonly rules: CompiledRule[];
  readonly payloadFp: MultiPatternMatcher | null;
  readonly stubFp: MultiPatternMatcher | null;
  constructor(rules: CompiledRule[]) {
    this.rules = rules;
    const p = rules
      .filter((r) => r.fpBuffer === 1)
      .map((r) => ({ bytes: r.fpBytes!, nocase: r.fpNocase, id: r.index }));
    const s = rules
      .filter((r) => r.fpBuffer === 2)
      .map((r) => ({ bytes: r.fpBytes!, nocase: r.fpNocase, id: r.index }));
    this.payloadFp = p.length ? new MultiPatternMatcher(p) : null;
    this.stubFp = s.length ? new MultiPatternMatcher(s) : null;
  }
}

export interface RuleSetStats {
  /** Units (InspectionContexts) given to match(). */
  units: number;
  /** Rules fully evaluated (passed the prefilter). */
  evaluated: number;
  /** Rule evaluations skipped because their fast pattern was absent. */
  prefilterSkipped: number;
  /** Rule matches, including noalert and pass rules. */
  matches: number;
  /** Matches reported in `out`. */
  reported: number;
  /** Evaluations abandoned at the backtracking bound. */
  recursionLimitHits: number;
}

const ACTION_ORDER = { pass: 0, alert: 1, log: 1 } as const;

/**
 * The buffer `dce_stub_data` / `dcerpc.stub_data` inspect: 'ndr' = DceView.stub (the NDR stub data, MS-RPCE and
 * Snort), 'suricata' = DceView.suricataStub (Suricata's buffer; the glue fills it only for such rule sets).
 */
export type StubBuffer = 'ndr' | 'suricata';

export class RuleSet {
  readonly rules: readonly Rule[];
  private readonly packetTcp: RuleGroup;
  private readonly packetUdp: RuleGroup;
  private readonly packetOther: RuleGroup;
  private readonly dcerpc: RuleGroup;
  private readonly st: InspectState;
  private readonly ips = new IpCache();
  private readonly stamp: Uint32Array;
  private mark = 0;
  /** setx/reset groups: group name → the bits rules declared in it. */
  private readonly bitGroups = new Map<string, Set<string>>();
  private srcIp: ParsedIp | null = null;
  private dstIp: ParsedIp | null = null;
  private ipsParsed = false;
  private readonly counters: RuleSetStats = {
    units: 0,
    evaluated: 0,
    prefilterSkipped: 0,
    matches: 0,
    reported: 0,
    recursionLimitHits: 0,
  };

  constructor(
    rules: readonly CompiledRule[],
    readonly stubBuffer: StubBuffer = 'ndr',
  ) {
    this.rules = rules;
    const ordered = [...rules].sort(
      (a, b) => ACTION_ORDER[a.action] - ACTION_ORDER[b.action] || a.flowbitRole - b.flowbitRole || a.index - b.index,
    );
    const packet = ordered.filter((r) => r.unit === 'packet');
    this.packetTcp = new RuleGroup(packet.filter((r) => r.protoMask & 1));
    this.packetUdp = new RuleGroup(packet.filter((r) => r.protoMask & 2));
    this.packetOther = new RuleGroup(packet.filter((r) => r.protoMask & 4));
    // DCE/RPC is decoded over TCP only: udp rules with DCE/RPC options never run (a load warning says so)
    this.dcerpc = new RuleGroup(ordered.filter((r) => r.unit === 'dcerpc' && r.protoMask & 1));
    this.stamp = new Uint32Array(Math.max(1, rules.length));
    let slots = 1;
    for (const r of rules) slots = Math.max(slots, r.varSlots);
    this.st = new InspectState(slots);
    for (const r of rules) {
      for (const f of r.flowbits) {
        if (f.group && f.cmd !== 'reset') {
          const g = this.bitGroups.get(f.group) ?? new Set<string>();
          this.bitGroups.set(f.group, g);
          for (const n of f.names) g.add(n);
        }
      }
    }
  }

  /**
   * True when some rule runs on packet units of this IP protocol: the glue skips building packet contexts
   * otherwise (the seed's rules are all DCE/RPC rules, and most packets are not DCE/RPC).
   */
  hasPacketRules(proto: number): boolean {
    const g = proto === 6 ? this.packetTcp : proto === 17 ? this.packetUdp : this.packetOther;
    return g.rules.length > 0;
  }

  /** True when some rule runs on DCE/RPC PDU units. */
  hasDcerpcRules(): boolean {
    return this.dcerpc.rules.length > 0;
  }

  /**
   * Evaluate the rules for one unit. `out` is cleared and receives the matching rules in evaluation order, except
   * noalert rules (their flowbit side effects still apply). Returns out.length. Flowbits live in ctx.flow.bits.
   */
  match(ctx: InspectionContext, out: RuleMatch[]): number {
    out.length = 0;
    this.counters.units++;
    const dce = ctx.dce;
    const g = dce
      ? this.dcerpc
      : ctx.proto === 6
        ? this.packetTcp
        : ctx.proto === 17
          ? this.packetUdp
          : this.packetOther;
    const rules = g.rules;
    if (rules.length === 0) return 0;
    const st = this.st;
    st.reset();
    st.dceLittle = dce ? dce.littleEndian : false;
    this.ipsParsed = false;
    let mark = ++this.mark;
    if (mark === 0xffffffff) {
      this.stamp.fill(0);
      this.mark = mark = 1;
    }
    const stub = dce && !dce.sealed ? (this.stubBuffer === 'ndr' ? dce.stub : (dce.suricataStub ?? null)) : null;
    if (g.payloadFp) g.payloadFp.scan(ctx.payload, this.stamp, mark);
    if (g.stubFp && stub) g.stubFp.scan(stub, this.stamp, mark);

    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      if (r.fpBuffer !== 0 && this.stamp[r.index] !== mark) {
        this.counters.prefilterSkipped++;
        continue;
      }
      this.counters.evaluated++;
      if (!this.evaluate(r, ctx, dce, stub)) continue;
      r.matchCount++;
      this.counters.matches++;
      if (r.bitActions) this.applyBits(r, ctx.flow.bits);
      if (!r.noalert) {
        out.push(r.matchRef);
        this.counters.reported++;
      }
      if (r.action === 'pass') break;
    }
    this.counters.recursionLimitHits = st.limitHits;
    return out.length;
  }

  private evaluate(
    r: CompiledRule,
    ctx: InspectionContext,
    dce: DceView | undefined,
    stub: Uint8Array | null,
  ): boolean {
    // IP-only rules run on the first packet of each connection direction only (Suricata); see FlowView
    if (r.ipOnly && ctx.flow.ipOnlyEligible === false) return false;
    if (!r.headerAny && !this.header(r, ctx)) return false;
    const ff = r.flowFlags;
    if (ff !== 0) {
      const flow = ctx.flow;
      if (ff & F_TO_SERVER && !flow.toServer) return false;
      if (ff & F_TO_CLIENT && flow.toServer) return false;
      if (ff & F_ESTABLISHED && !flow.established) return false;
      if (ff & F_NOT_ESTABLISHED && flow.established) return false;
      // DCE/RPC units come from the reassembled stream; packet units are single packets
      if (ff & F_ONLY_STREAM && !dce) return false;
      if (ff & F_NO_STREAM && dce) return false;
    }
    if (r.tcpChecks && !this.tcp(r, ctx)) return false;
    if (r.iface) {
      if (!dce) return false;
      const ifc = dce.iface;
      const c = r.iface;
      if (ifc === undefined || !ifc.accepted || ifc.uuid !== c.uuid) return false;
      if (dce.ptype !== 0 && dce.ptype !== 2 && dce.ptype !== 3) return false;
      if (!versionHolds(c, ifc.verMajor)) return false;
      // Without any_frag: the bind/alter_context that created the context had PFC_FIRST_FRAG (Suricata), and the PDU
      // is the call's first fragment or its last (which carries the reassembled request: Snort's "full request").
      if (!c.anyFrag && (!ifc.bindFirstFrag || (!dce.firstFrag && !dce.lastFrag))) return false;
    }
    if (r.opnums) {
      if (!dce || dce.opnum === undefined || !hasNum(r.opnums, dce.opnum)) return false;
    }
    if (r.authLevels !== 0) {
      if (!dce || ((r.authLevels >>> (dce.authLevel ?? 0)) & 1) === 0) return false;
    }
    if (r.fault) {
      if (!dce || dce.ptype !== 3 || dce.faultStatus === undefined) return false;
      if (r.fault.values !== null && !hasStatus(r.fault.values, dce.faultStatus >>> 0)) return false;
    }
    if (r.callIface || r.callOpnums) {
      // the call a response (2) or fault (3) answers; opnum is set only when the call table knew the call_id
      if (!dce || (dce.ptype !== 2 && dce.ptype !== 3) || dce.opnum === undefined) return false;
      if (r.callOpnums && !hasNum(r.callOpnums, dce.opnum)) return false;
      const c = r.callIface;
      if (c) {
        const ifc = dce.iface;
        if (ifc === undefined || ifc.uuid !== c.uuid) return false;
        if (!versionHolds(c, ifc.verMajor)) return false;
      }
    }
    if (r.hresult) {
      // the method's return value ends a response stub (HRESULT / error_status_t, MS-RPCE 2.2.2.x; MS-DCOM ORPC):
      // only a clear, complete last fragment holds it
      if (!dce || dce.ptype !== 2 || !dce.lastFrag || dce.sealed || dce.stubIncomplete || dce.stubTruncated) {
        return false;
      }
      const s = dce.stub;
      if (s === null || s.length < 4) return false;
      const p = s.length - 4;
      const hr = dce.littleEndian
        ? (s[p] | (s[p + 1] << 8) | (s[p + 2] << 16) | (s[p + 3] << 24)) >>> 0
        : ((s[p] << 24) | (s[p + 1] << 16) | (s[p + 2] << 8) | s[p + 3]) >>> 0;
      if (r.hresult.values === null ? hr < 0x80000000 : !hasStatus(r.hresult.values, hr)) return false;
    }
    if (r.clsids) {
      const c = dce?.activationClsid;
      if (c === undefined || !r.clsids.has(c)) return false;
    }
    if (r.dsize && !compare(r.dsize.cmp, ctx.payload.length, r.dsize.a, r.dsize.b)) return false;
    if (r.bitChecks && !this.bitsHold(r, ctx.flow.bits)) return false;
    const st = this.st;
    if (r.payloadOps) {
      st.steps = 0;
      if (!inspect(r.payloadOps, 0, ctx.payload, 0, st)) return false;
    }
    if (r.stubOps) {
      // sealed (packet privacy) stubs are ciphertext: never inspected
      if (stub === null || dce === undefined || dce.sealed) return false;
      st.steps = 0;
      if (!inspect(r.stubOps, 0, stub, 0, st)) return false;
    }
    return true;
  }

  private header(r: CompiledRule, ctx: InspectionContext): boolean {
    if (!this.ipsParsed) {
      this.srcIp = this.ips.get(ctx.srcIp);
      this.dstIp = this.ips.get(ctx.dstIp);
      this.ipsParsed = true;
    }
    const s = this.srcIp;
    const d = this.dstIp;
    const ports = !r.portsIgnored;
    if (
      (r.src.any || (s !== null && r.src.has(s))) &&
      (r.dst.any || (d !== null && r.dst.has(d))) &&
      (!ports || (r.sp.has(ctx.srcPort) && r.dp.has(ctx.dstPort)))
    ) {
      return true;
    }
    if (!r.bidi) return false;
    return (
      (r.src.any || (d !== null && r.src.has(d))) &&
      (r.dst.any || (s !== null && r.dst.has(s))) &&
      (!ports || (r.sp.has(ctx.dstPort) && r.dp.has(ctx.srcPort)))
    );
  }

  private tcp(r: CompiledRule, ctx: InspectionContext): boolean {
    for (const c of r.tcpChecks!) {
      if (c.kind === TCP_FLAGS) {
        if (ctx.tcpFlags === undefined) return false;
        const pf = ctx.tcpFlags & ~c.ignore & 0xff;
        const want = c.value;
        const ok =
          c.mod === ''
            ? pf === want
            : c.mod === '+'
              ? (pf & want) === want
              : c.mod === '*'
                ? (pf & want) !== 0
                : (pf & want) === 0;
        if (!ok) return false;
      } else {
        const v = c.kind === TCP_SEQ ? ctx.tcpSeq : c.kind === TCP_ACK ? ctx.tcpAck : ctx.tcpWindow;
        if (v === undefined || (v === c.value) === (c.mod === '!')) return false;
      }
    }
    return true;
  }

  private bitsHold(r: CompiledRule, bits: Set<string>): boolean {
    for (const f of r.bitChecks!) {
      const names = f.names;
      let ok: boolean;
      if (f.cmd === 'isset') {
        if (f.op === 'or') {
          ok = false;
          for (const n of names) if (bits.has(n)) ok = true;
        } else {
          ok = true;
          for (const n of names) if (!bits.has(n)) ok = false;
        }
      } else if (f.op === 'or') {
        ok = false;
        for (const n of names) if (!bits.has(n)) ok = true;
      } else {
        ok = true;
        for (const n of names) if (bits.has(n)) ok = false;
      }
      if (!ok) return false;
    }
    return true;
  }

  private applyBits(r: CompiledRule, bits: Set<string>): void {
    for (const f of r.bitActions!) {
      switch (f.cmd) {
        case 'set':
          for (const n of f.names) bits.add(n);
          break;
        case 'setx': {
          const g = this.bitGroups.get(f.group!);
          if (g) for (const n of g) bits.delete(n);
          for (const n of f.names) bits.add(n);
          break;
        }
        case 'unset':
          for (const n of f.names) bits.delete(n);
          break;
        case 'toggle':
          for (const n of f.names) {
            if (bits.has(n)) bits.delete(n);
            else bits.add(n);
          }
          break;
        case 'reset': {
          if (f.group === undefined) bits.clear();
          else {
            const g = this.bitGroups.get(f.group);
            if (g) for (const n of g) bits.delete(n);
          }
          break;
        }
        default:
          break;
      }
    }
  }

  stats(): RuleSetStats {
    return { ...this.counters };
  }

  /** Match counts per rule, keyed 'sid' for gid 1 and 'gid:sid' otherwise (rules that never matched are omitted). */
  matchesBySid(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.rules)
      if (r.matchCount > 0) out[r.gid === 1 ? String(r.sid) : `${r.gid}:${r.sid}`] = r.matchCount;
    return out;
  }

  resetCounters(): void {
    for (const k of Object.keys(this.counters) as (keyof RuleSetStats)[]) this.counters[k] = 0;
    this.st.limitHits = 0;
    for (const r of this.rules) r.matchCount = 0;
  }
}

/** dce_iface / dce_call_iface version operator on the interface's major version ('' = any version). */
function versionHolds(c: { op: string; version: number }, major: number): boolean {
  switch (c.op) {
    case '':
      return true;
    case '=':
      return major === c.version;
    case '<':
      return major < c.version;
    case '>':
      return major > c.version;
    default:
      return major !== c.version; // '!'
  }
}

/** Small sorted status lists (dce_fault / dce_hresult): a linear scan beats anything cleverer. */
function hasStatus(values: Uint32Array, v: number): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] === v) return true;
  return false;
}
