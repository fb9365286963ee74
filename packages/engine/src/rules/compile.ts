/**
 * Rule text → compiled rules + diagnostics.
 *
 * Rule grammar (Snort 2.9; Suricata spellings accepted where the conformance suite uses them):
 *   rule    := action proto addr port dir addr port '(' options ')'
 *   action  := alert | log | pass                 (drop | reject | sdrop: loaded as alert, with a warning)
 *   proto   := tcp | udp | ip | dcerpc | smb
 *   dir     := '->' | '<>'
 *   options := { name [ ':' value ] ';' }          split on unescaped ';' (quotes do not protect ';', as in Snort)
 * Addresses/ports: see netspec.ts. Option semantics: see docs/rules.md and inspect.ts.
 *
 * Loading policy: every problem becomes a Diagnostic with file/line/column. A rule with any error is not loaded; the
 * others are. Parsing continues after most errors (a missing '$', a typographic quote, an extra header token) so
 * that one pass reports every defect of a rule, each exactly once. In strict mode any error throws RuleLoadError.
 */

import { faultStatusByName } from '../dcerpc/names.js';
import { normalizeGuid } from '../util/guid.js';
import {
  type ClassificationTable,
  DEFAULT_PRIORITY,
  defaultClassification,
  parseClassificationLine,
  type RuleReference,
} from './classification.js';
import {
  type CompiledRule,
  F_ESTABLISHED,
  F_NO_STREAM,
  F_NOT_ESTABLISHED,
  F_ONLY_STREAM,
  F_TO_CLIENT,
  F_TO_SERVER,
  type IfaceCheck,
  type StatusCheck,
  TCP_ACK,
  TCP_FLAGS,
  TCP_SEQ,
  TCP_WINDOW,
  type TcpCheck,
} from './compiled.js';
import { type Diagnostic, DiagnosticList, RuleLoadError, type Severity } from './diagnostics.js';
import {
  buildSkip,
  CMP_AND,
  CMP_EQ,
  CMP_GE,
  CMP_GT,
  CMP_LE,
  CMP_LT,
  CMP_NE,
  CMP_RANGE_EXCL,
  CMP_RANGE_INCL,
  CMP_XOR,
  type ContentOp,
  ENDIAN_BIG,
  ENDIAN_DCE,
  ENDIAN_LITTLE,
  type InspectOp,
  isRelative,
  LOWER,
  OP_BSIZE,
  OP_BYTE_EXTRACT,
  OP_BYTE_JUMP,
  OP_BYTE_TEST,
  OP_CONTENT,
  OP_ISDATAAT,
  OP_PCRE,
  type Operand,
} from './inspect.js';
import { isTypographicQuote, LiteralError, parseContentLiteral, parseQuotedText } from './literals.js';
import {
  type AddressSet,
  type EvalIssue,
  type PortSet,
  parseSpec,
  SpecEvaluator,
  type SpecIssue,
  type SpecNode,
  toAddressSet,
  toPortSet,
} from './netspec.js';
import { PcreError, parsePcreOption } from './pcre.js';
import type { FlowbitCommand, Rule, RuleAction, RuleMatch, RuleProtocol, RuleTag, RuleUnit } from './rule.js';
import { RuleSet, type StubBuffer } from './ruleset.js';
import { type LineMap, type Statement, splitStatements } from './source.js';
import { parseVarLine, type VarDef } from './variables.js';

export interface RuleSource {
  /** Shown in diagnostics. */
  file: string;
  text: string;
}

export interface CompileOptions {
  /** Variables (override `var` lines in the rule files). A record is read as NAME → VALUE. */
  vars?: Iterable<VarDef> | Readonly<Record<string, string>>;
  /** Classification table; default: the standard Snort table (DEFAULT_CLASSIFICATION_CONFIG). */
  classification?: ClassificationTable;
  /**
   * Check header ports of DCE/RPC rules too. Default false: a DCE/RPC rule applies to every connection recognised as
   * DCE/RPC whatever its ports (Snort's service-based evaluation for `metadata:service` rules), which is what finds
   * WMI on the dynamic ports DCOM hands out.
   */
  strictPorts?: boolean;
  /** Throw RuleLoadError when any error was found (after collecting all of them). */
  strict?: boolean;
  /**
   * What `dce_stub_data` / `dcerpc.stub_data` inspect (RuleSet.stubBuffer). 'ndr' (default): the NDR stub data
   * (MS-RPCE; what Snort's dce_stub_data points at). 'suricata': Suricata's buffer, which also holds the object UUID,
   * the response header and the auth padding/trailer/verifier — for Suricata rule packs whose `bsize` or offsets
   * count those bytes (docs/conformance-suricata-verify.md).
   */
  stubBuffer?: StubBuffer;
}

export interface CompileResult {
  /** The loaded rules, in load order. */
  rules: Rule[];
  ruleSet: RuleSet;
  diagnostics: Diagnostic[];
  errorCount: number;
  warningCount: number;
}

const ACTIONS = new Set(['alert', 'log', 'pass', 'drop', 'reject', 'sdrop']);
const PROTOCOLS = new Set(['tcp', 'udp', 'ip', 'dcerpc', 'smb']);
const DIRECTIVES = new Set([
  'include',
  'preprocessor',
  'output',
  'dynamicpreprocessor',
  'dynamicengine',
  'dynamicdetection',
  'event_filter',
  'suppress',
  'threshold',
  'rate_filter',
  'ruletype',
]);

/** Options of Snort 2.9 / Suricata this engine knows but does not implement: named precisely instead of "unknown". */
const UNSUPPORTED_OPTIONS = new Set([
  'uricontent',
  'urilen',
  'http_uri',
  'http_raw_uri',
  'http_header',
  'http_raw_header',
  'http_cookie',
  'http_raw_cookie',
  'http_method',
  'http_client_body',
  'http_stat_code',
  'http_stat_msg',
  'http_encode',
  'http.uri',
  'http.header',
  'http.method',
  'http.host',
  'http.stat_code',
  'file_data',
  'file.data',
  'base64_decode',
  'base64_data',
  'byte_math',
  'threshold',
  'detection_filter',
  'ttl',
  'tos',
  'id',
  'ipopts',
  'fragbits',
  'fragoffset',
  'sameip',
  'ip_proto',
  'icode',
  'itype',
  'icmp_id',
  'icmp_seq',
  'rpc',
  'stream_size',
  'stream_reassemble',
  'asn1',
  'cvs',
  'ftpbounce',
  'ssl_version',
  'ssl_state',
  'sip_method',
  'sip_stat_code',
  'sip_header',
  'sip_body',
  'gtp_type',
  'gtp_info',
  'gtp_version',
  'modbus_func',
  'modbus_unit',
  'modbus_data',
  'dnp3_func',
  'dnp3_obj',
  'dnp3_ind',
  'dnp3_data',
  'react',
  'resp',
  'logto',
  'session',
  'activates',
  'activated_by',
  'count',
  'replace',
  'sd_pattern',
  'protected_content',
  'hash',
  'length',
  'app-layer-protocol',
  'app-layer-event',
  'decode-event',
  'stream-event',
  'flowint',
  'flowvar',
  'pktvar',
  'xbits',
  'hostbits',
  'frame',
  'dns.query',
  'tls.sni',
  'ja3.hash',
  'dcerpc.opnum_range',
]);

const CONTENT_MODIFIERS = new Set([
  'nocase',
  'offset',
  'depth',
  'distance',
  'within',
  'rawbytes',
  'fast_pattern',
  'startswith',
  'endswith',
]);

const UNSUPPORTED_MODIFIERS = new Set([
  'http_uri',
  'http_raw_uri',
  'http_header',
  'http_raw_header',
  'http_cookie',
  'http_raw_cookie',
  'http_method',
  'http_client_body',
  'http_stat_code',
  'http_stat_msg',
]);

interface OptionText {
  name: string;
  /** What follows the name when it is not ':' (a syntax error reported by option()). */
  junk?: string;
  /** Offset of the name in the statement text. */
  nameAt: number;
  value: string | null;
  valueAt: number;
}

interface Token {
  t: string;
  at: number;
}

/** Compile rule sources. See the module comment for the loading policy. */
export function compileRules(sources: RuleSource | readonly RuleSource[], opts: CompileOptions = {}): CompileResult {
  const list = Array.isArray(sources) ? (sources as readonly RuleSource[]) : [sources as RuleSource];
  const c = new Compiler(opts);
  const statements: Statement[] = [];
  for (const src of list) statements.push(...splitStatements(src.text, src.file));
  c.loadDirectives(statements);
  const rules: CompiledRule[] = [];
  for (const st of statements) {
    if (c.isDirective(st)) continue;
    const r = c.compileRule(st, rules.length);
    if (r) rules.push(r);
  }
  const loaded = c.crossRuleChecks(rules);
  const diagnostics = c.diags.items.slice().sort(compareDiagnostics);
  if (opts.strict && c.diags.errorCount > 0) throw new RuleLoadError(diagnostics);
  const ruleSet = new RuleSet(loaded, opts.stubBuffer ?? 'ndr');
  return {
    rules: loaded,
    ruleSet,
    diagnostics,
    errorCount: c.diags.errorCount,
    warningCount: c.diags.warningCount,
  };
}

function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.file !== b.file) return 0; // keep source order between files
  return a.line - b.line || a.column - b.column;
}

class Compiler {
  readonly diags = new DiagnosticList();
  private readonly vars = new Map<string, VarDef>();

  /** A variable's definition (rule options that take a `$NAME` list, e.g. dcom_clsid). */
  lookupVar(name: string): VarDef | undefined {
    return this.vars.get(name);
  }
  private readonly optionVars: VarDef[];
  private evaluator: SpecEvaluator | null = null;
  private readonly reportedOnce = new Set<string>();
  private classification: Map<string, { name: string; description: string; priority: number }>;
  private readonly strictPorts: boolean;
  private readonly seenSids = new Map<string, { file: string; line: number }>();
  /** flowbit read positions, for "checked but never set" */
  private readonly bitReads = new Map<CompiledRule, { name: string; file: string; line: number; column: number }[]>();

  constructor(opts: CompileOptions) {
    this.classification = new Map(opts.classification ?? defaultClassification());
    this.strictPorts = opts.strictPorts ?? false;
    const v = opts.vars;
    this.optionVars = [];
    if (v) {
      if (Symbol.iterator in Object(v)) this.optionVars.push(...(v as Iterable<VarDef>));
      else
        for (const [name, value] of Object.entries(v as Record<string, string>)) {
          this.optionVars.push({ name, value, kind: 'any', file: '--var' });
        }
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Directives (var/ipvar/portvar/config lines in rule files)

  isDirective(st: Statement): boolean {
    const w = /^\S+/.exec(st.text)?.[0] ?? '';
    const lw = w.toLowerCase();
    return lw === 'var' || lw === 'ipvar' || lw === 'portvar' || lw === 'config' || DIRECTIVES.has(lw);
  }

  loadDirectives(statements: Statement[]): void {
    for (const st of statements) {
      const w = (/^\S+/.exec(st.text)?.[0] ?? '').toLowerCase();
      const pos = st.map.at(0);
      if (w === 'var' || w === 'ipvar' || w === 'portvar') {
        const def = parseVarLine(st.text.trim(), st.file, pos.line, pos.column, this.diags);
        if (def) this.vars.set(def.name, def);
      } else if (w === 'config') {
        const m = /^config\s+(\w+)\s*:/i.exec(st.text);
        if (m && m[1].toLowerCase() === 'classification') {
          const cl = parseClassificationLine(st.text);
          if (typeof cl === 'string')
            this.diags.add('error', st.file, pos.line, pos.column, 'classification.syntax', cl);
          else this.classification.set(cl.name, cl);
        } else {
          this.diags.add(
            'warning',
            st.file,
            pos.line,
            pos.column,
            'directive.ignored',
            `configuration line '${st.text.slice(0, 40)}' is not a rule; ignored`,
          );
        }
      } else if (DIRECTIVES.has(w)) {
        this.diags.add(
          'warning',
          st.file,
          pos.line,
          pos.column,
          'directive.ignored',
          `snort.conf directive '${w}' is not a rule; ignored`,
        );
      }
    }
    for (const d of this.optionVars) this.vars.set(d.name, d);
    this.evaluator = new SpecEvaluator(this.vars);
  }

  // -------------------------------------------------------------------------------------------------------------
  // One rule

  compileRule(st: Statement, index: number): CompiledRule | null {
    try {
      return new RuleParser(this, st, index).parse();
    } catch (e) {
      // a bug here must cost one rule, not the whole load
      const p = st.map.at(0);
      this.diags.add(
        'error',
        st.file,
        p.line,
        p.column,
        'internal',
        `internal error while reading this rule: ${(e as Error).message}`,
      );
      return null;
    }
  }

  get spec(): SpecEvaluator {
    return this.evaluator!;
  }

  reportOnce(key: string): boolean {
    if (this.reportedOnce.has(key)) return false;
    this.reportedOnce.add(key);
    return true;
  }

  classtype(name: string) {
    return this.classification.get(name);
  }

  get strictPortsOn(): boolean {
    return this.strictPorts;
  }

  noteBitReads(rule: CompiledRule, reads: { name: string; file: string; line: number; column: number }[]): void {
    if (reads.length) this.bitReads.set(rule, reads);
  }

  /** Duplicate sids, flowbits read but never set. Returns the rules that stay loaded. */
  crossRuleChecks(rules: CompiledRule[]): CompiledRule[] {
    const loaded: CompiledRule[] = [];
    for (const r of rules) {
      const key = `${r.gid}:${r.sid}`;
      const prev = this.seenSids.get(key);
      if (prev) {
        const pos = { line: r.line, column: 1 };
        this.diags.add(
          'error',
          r.file,
          pos.line,
          pos.column,
          'rule.duplicate-sid',
          `duplicate sid ${r.sid}${r.gid !== 1 ? ` (gid ${r.gid})` : ''}; first defined at ${prev.file}:${prev.line}`,
        ).sid = r.sid;
        continue;
      }
      this.seenSids.set(key, { file: r.file, line: r.line });
      loaded.push(r);
    }
    const setBits = new Set<string>();
    for (const r of loaded) {
      for (const f of r.flowbits) {
        if (f.cmd === 'set' || f.cmd === 'setx' || f.cmd === 'toggle') for (const n of f.names) setBits.add(n);
      }
    }
    for (const r of loaded) {
      for (const read of this.bitReads.get(r) ?? []) {
        if (!setBits.has(read.name)) {
          this.diags.add(
            'warning',
            read.file,
            read.line,
            read.column,
            'flowbits.never-set',
            `flowbit '${read.name}' is checked but never set by any loaded rule`,
          ).sid = r.sid;
        }
      }
    }
    // indexes are dense over the loaded rules (the RuleSet uses them for its per-rule arrays)
    loaded.forEach((r, i) => {
      (r as { index: number }).index = i;
    });
    return loaded;
  }
}

/** Parses one rule statement. Errors are counted so that a rule with any error is dropped. */
class RuleParser {
  private readonly text: string;
  private readonly map: LineMap;
  private readonly mine: Diagnostic[] = [];
  private errors = 0;

  // header
  private action: RuleAction = 'alert';
  private writtenAction = 'alert';
  private protocol: RuleProtocol = 'tcp';
  private src: AddressSet | null = null;
  private dst: AddressSet | null = null;
  private sp: PortSet | null = null;
  private dp: PortSet | null = null;
  private bidi = false;
  private headerText = { sa: '', sp: '', da: '', dp: '' };

  // options
  private msg = '';
  private sid: number | undefined;
  private rev = 0;
  private gid = 1;
  private classtype: string | undefined;
  private priority: number | undefined;
  private readonly references: RuleReference[] = [];
  private readonly metadata: Record<string, string[]> = {};
  private tag: RuleTag | undefined;
  private flowFlags = 0;
  private flowDirAt = -1;
  private flowDirText = '';
  private readonly flowbits: FlowbitCommand[] = [];
  private readonly bitReadPos: { name: string; at: number }[] = [];
  private noalert = false;
  private readonly payloadOps: InspectOp[] = [];
  private stubOps: InspectOp[] | null = null;
  private cur: InspectOp[] = this.payloadOps;
  private lastContent: ContentOp | null = null;
  private readonly contentSeen = new Map<ContentOp, Set<string>>();
  private fastPatternCount = 0;
  private iface: IfaceCheck | null = null;
  private opnums: number[] | null = null;
  private callIface: IfaceCheck | null = null;
  private callOpnums: number[] | null = null;
  private fault: StatusCheck | null = null;
  private hresult: StatusCheck | null = null;
  private clsids: Set<string> | null = null;
  private authLevels = 0;
  /** Where the first call-level option (dce_call_*, dce_fault, dce_hresult) was written, for diagnostics. */
  private callLevelAt = -1;
  private dsize: { cmp: number; a: number; b: number } | null = null;
  private readonly tcpChecks: TcpCheck[] = [];
  private readonly extractVars = new Map<string, number>();
  private usesDceByte = false;
  private requires: string | undefined;
  private readonly seenSingle = new Set<string>();

  constructor(
    private readonly c: Compiler,
    private readonly st: Statement,
    private readonly index: number,
  ) {
    this.text = st.text;
    this.map = st.map;
  }

  private report(severity: Severity, at: number, code: string, message: string): void {
    const p = this.map.at(at);
    const d = this.c.diags.add(severity, this.st.file, p.line, p.column, code, message);
    this.mine.push(d);
    if (severity === 'error') this.errors++;
  }

  private err(at: number, code: string, message: string): void {
    this.report('error', at, code, message);
  }

  parse(): CompiledRule | null {
    const optsStart = this.parseHeader();
    if (optsStart >= 0) this.parseOptions(optsStart);
    this.finishChecks();
    const sid = this.sid;
    for (const d of this.mine) if (sid !== undefined) d.sid = sid;
    if (this.errors > 0 || sid === undefined) return null;
    return this.build(sid);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Header

  /** Returns the offset of '(' or -1. */
  private parseHeader(): number {
    const text = this.text;
    const tokens: Token[] = [];
    let i = 0;
    let optsStart = -1;
    while (i < text.length) {
      while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
      if (i >= text.length) break;
      if (text[i] === '(') {
        optsStart = i;
        break;
      }
      const start = i;
      let depth = 0;
      while (i < text.length) {
        const ch = text[i];
        if (ch === '(') break;
        if (ch === '[') depth++;
        else if (ch === ']') depth--;
        else if (ch === ' ' || ch === '\t') {
          // blanks may sit inside a [list], but an unclosed '[' must not swallow the rest of the header
          if (depth <= 0 || !closesBeforeHeaderEnd(text, i, depth)) break;
        }
        i++;
      }
      tokens.push({ t: text.slice(start, i), at: start });
    }

    // action
    const act = tokens[0];
    if (!act) {
      this.err(Math.max(optsStart, 0), 'header.incomplete', "missing rule header before '('");
      return optsStart;
    }
    const a = act.t.toLowerCase();
    if (!ACTIONS.has(a)) {
      if (a === 'activate' || a === 'dynamic') {
        this.err(act.at, 'header.action', `action '${act.t}' (Snort activate/dynamic rules) is not supported`);
      } else this.err(act.at, 'header.action', `unknown action '${act.t}'; expected alert, log or pass`);
    } else {
      this.writtenAction = a;
      if (a === 'drop' || a === 'reject' || a === 'sdrop') {
        this.action = 'alert';
        this.report(
          'warning',
          act.at,
          'header.action-ids',
          `action '${a}' cannot block in a passive detector; the rule is loaded as 'alert'`,
        );
      } else this.action = a as RuleAction;
    }

    // protocol
    const proto = tokens[1];
    if (!proto) {
      this.err(
        text.length,
        'header.incomplete',
        'incomplete rule header; expected: action protocol src_addr src_port -> dst_addr dst_port (options)',
      );
      return optsStart;
    }
    const p = proto.t.toLowerCase();
    if (PROTOCOLS.has(p)) {
      this.protocol = p as RuleProtocol;
      if (p === 'smb') {
        this.report(
          'warning',
          proto.at,
          'header.smb',
          "protocol 'smb': DCE/RPC carried in SMB named pipes is not decoded; the rule is evaluated on DCE/RPC over TCP",
        );
      }
    } else if (p === 'icmp') {
      this.err(proto.at, 'header.protocol', "protocol 'icmp' is not inspected; expected tcp, udp, ip, dcerpc or smb");
    } else {
      this.err(proto.at, 'header.protocol', `unsupported protocol '${proto.t}'; expected tcp, udp, ip, dcerpc or smb`);
    }

    // direction
    let dirIdx = -1;
    for (let k = 2; k < tokens.length; k++) {
      if (tokens[k].t === '->' || tokens[k].t === '<>' || tokens[k].t === '<-') {
        dirIdx = k;
        break;
      }
    }
    let saTok: Token | undefined;
    let spTok: Token | undefined;
    let daTok: Token | undefined;
    let dpTok: Token | undefined;
    if (dirIdx < 0) {
      if (tokens.length >= 5) {
        this.err(
          tokens[4].at,
          'header.direction',
          `unexpected token '${tokens[4].t}' after the source port; expected '->' or '<>'`,
        );
      } else {
        this.err(
          tokens[tokens.length - 1].at + tokens[tokens.length - 1].t.length,
          'header.incomplete',
          'incomplete rule header; expected: action protocol src_addr src_port -> dst_addr dst_port (options)',
        );
      }
      if (optsStart < 0) this.err(text.length, 'rule.no-options', "missing '(' and the rule options");
      return optsStart;
    }
    const dir = tokens[dirIdx];
    if (dir.t === '<-') {
      this.err(dir.at, 'header.direction', "'<-' is not a direction; write '->' and swap source and destination");
    }
    this.bidi = dir.t === '<>';
    if (dirIdx === 4) {
      saTok = tokens[2];
      spTok = tokens[3];
    } else if (dirIdx > 4) {
      this.err(
        tokens[4].at,
        'header.extra-token',
        `unexpected token '${tokens[4].t}' after the source port; expected '->' or '<>'`,
      );
      // recover with the token written last as the source port (the usual slip: a port added, 'any' not removed)
      saTok = tokens[2];
      spTok = tokens[dirIdx - 1];
    } else if (dirIdx === 3) {
      this.err(dir.at, 'header.missing-port', `missing source port before '${dir.t}'`);
    } else {
      this.err(dir.at, 'header.missing-address', `missing source address and port before '${dir.t}'`);
    }
    const rest = tokens.slice(dirIdx + 1);
    if (rest.length >= 2) {
      daTok = rest[0];
      dpTok = rest[1];
      if (rest.length > 2) {
        this.err(
          rest[2].at,
          'header.extra-token',
          `unexpected token '${rest[2].t}' after the destination port; expected '('`,
        );
      }
    } else if (rest.length === 1) {
      this.err(rest[0].at + rest[0].t.length, 'header.missing-port', `missing destination port after '${rest[0].t}'`);
    } else {
      this.err(
        dir.at + dir.t.length,
        'header.missing-address',
        `missing destination address and port after '${dir.t}'`,
      );
    }
    if (saTok) {
      this.src = this.address(saTok, 'source');
      this.headerText.sa = this.display(saTok);
    }
    if (spTok) {
      this.sp = this.port(spTok, 'source');
      this.headerText.sp = spTok.t;
    }
    if (daTok) {
      this.dst = this.address(daTok, 'destination');
      this.headerText.da = this.display(daTok);
    }
    if (dpTok) {
      this.dp = this.port(dpTok, 'destination');
      this.headerText.dp = dpTok.t;
    }
    if (optsStart < 0) this.err(text.length, 'rule.no-options', "missing '(' and the rule options");
    return optsStart;
  }

  /** The token as the user meant it (a missing '$' restored), for suggestions. */
  private display(tok: Token): string {
    const issues: SpecIssue[] = [];
    parseSpec(tok.t, 'addr', this.c.spec.isKnown, issues);
    let s = tok.t;
    const fixes = issues.filter((i) => i.code === 'var.missing-dollar').map((i) => i.at);
    for (const at of fixes.sort((x, y) => y - x)) s = `${s.slice(0, at)}$${s.slice(at)}`;
    return s;
  }

  private specIssues(tok: Token, issues: SpecIssue[]): boolean {
    let ok = true;
    for (const i of issues) {
      this.report(i.severity, tok.at + i.at, i.code, i.message);
      if (i.severity === 'error' && i.code !== 'var.missing-dollar') ok = false;
    }
    return ok;
  }

  private evalIssues(tok: Token, issues: EvalIssue[]): boolean {
    let ok = true;
    for (const i of issues) {
      if (i.onceKey && !this.c.reportOnce(i.onceKey)) continue;
      this.report(i.severity, tok.at + i.at, i.code, i.message);
      if (i.severity === 'error') ok = false;
    }
    return ok;
  }

  private address(tok: Token, side: string): AddressSet | null {
    const issues: SpecIssue[] = [];
    const node = parseSpec(tok.t, 'addr', this.c.spec.isKnown, issues);
    if (!this.specIssues(tok, issues) || !node) return null;
    const ev: EvalIssue[] = [];
    const r = this.c.spec.evalAddr(node, ev);
    if (!this.evalIssues(tok, ev) || !r) {
      if (!r && ev.length === 0) this.err(tok.at, 'address.invalid', `invalid ${side} address '${tok.t}'`);
      return null;
    }
    const set = toAddressSet(r);
    if (set.empty && !isDefaultEmpty(node)) {
      this.report(
        'warning',
        tok.at,
        'address.empty',
        `${side} address '${tok.t}' matches no address; the rule can never match`,
      );
    }
    return set;
  }

  private port(tok: Token, side: string): PortSet | null {
    const issues: SpecIssue[] = [];
    const node = parseSpec(tok.t, 'port', this.c.spec.isKnown, issues);
    if (!this.specIssues(tok, issues) || !node) return null;
    const ev: EvalIssue[] = [];
    const r = this.c.spec.evalPort(node, ev);
    if (!this.evalIssues(tok, ev) || !r) {
      if (!r && ev.length === 0) this.err(tok.at, 'port.invalid', `invalid ${side} port '${tok.t}'`);
      return null;
    }
    const set = toPortSet(r);
    if (set.empty) {
      this.report('warning', tok.at, 'port.empty', `${side} port '${tok.t}' matches no port; the rule can never match`);
    }
    return set;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Options

  private parseOptions(open: number): void {
    const text = this.text;
    let close = text.lastIndexOf(')');
    if (close < open) {
      this.err(text.length, 'rule.unclosed', "missing ')' at the end of the rule options");
      close = text.length;
    } else {
      const trailing = text.slice(close + 1);
      if (trailing.trim() !== '') {
        const at = close + 1 + (trailing.length - trailing.trimStart().length);
        this.err(at, 'rule.trailing-text', `unexpected text '${trailing.trim()}' after the closing ')'`);
      }
    }
    // split on unescaped ';' (Snort: quotes do not protect ';')
    const pieces: [number, number][] = [];
    let start = open + 1;
    for (let i = open + 1; i <= close; i++) {
      const ch = text[i];
      if (ch === '\\') {
        i++;
        continue;
      }
      if (ch === ';' || i === close) {
        pieces.push([start, i]);
        start = i + 1;
      }
    }
    const options: OptionText[] = [];
    for (let k = 0; k < pieces.length; k++) {
      let [a, b] = pieces[k];
      // a quoted value cut by an unescaped ';': report that once and glue the value back together
      if (opensQuote(text.slice(a, b))) {
        let q = k + 1;
        while (q < pieces.length && !hasPlainQuote(text.slice(pieces[q][0], pieces[q][1]))) q++;
        if (q < pieces.length) {
          const name = /^\s*([A-Za-z_][\w.-]*)/.exec(text.slice(a, b))?.[1] ?? 'option';
          this.err(b, 'option.unescaped-semicolon', `unescaped ';' inside the quoted value of '${name}'; write '\\;'`);
          b = pieces[q][1];
          k = q;
        }
      }
      const piece = text.slice(a, b);
      const lead = piece.length - piece.trimStart().length;
      const body = piece.trim();
      if (body !== '') options.push(this.splitOption(body, a + lead));
    }
    for (const o of options) this.option(o);
  }

  private splitOption(body: string, at: number): OptionText {
    const m = /^[A-Za-z_][A-Za-z0-9_.-]*/.exec(body);
    const name = m ? m[0] : body.split(/[\s:]/)[0];
    let rest = body.slice(name.length);
    const ws = rest.length - rest.trimStart().length;
    rest = rest.trimStart();
    if (rest === '') return { name, nameAt: at, value: null, valueAt: at + body.length };
    if (rest[0] !== ':') {
      return { name, junk: rest, nameAt: at, value: null, valueAt: at + name.length + ws };
    }
    const v = rest.slice(1);
    const vlead = v.length - v.trimStart().length;
    return { name, nameAt: at, value: v.trim(), valueAt: at + name.length + ws + 1 + vlead };
  }

  private needValue(o: OptionText): string | null {
    if (o.value === null || o.value === '') {
      this.err(o.valueAt, 'option.missing-value', `option '${o.name}' needs a value`);
      return null;
    }
    return o.value;
  }

  private noValue(o: OptionText): void {
    if (o.value !== null) this.err(o.valueAt, 'option.unexpected-value', `option '${o.name}' takes no value`);
  }

  private single(o: OptionText): boolean {
    if (this.seenSingle.has(o.name)) {
      this.err(o.nameAt, 'option.repeated', `option '${o.name}' appears twice`);
      return false;
    }
    this.seenSingle.add(o.name);
    return true;
  }

  private option(o: OptionText): void {
    if (o.junk !== undefined) {
      this.err(o.valueAt, 'option.syntax', `expected ':' after rule option '${o.name}', found '${o.junk}'`);
      return;
    }
    const name = o.name.toLowerCase();
    const display = { ...o, name };
    switch (name) {
      case 'msg': {
        this.optMsg(display);
        return;
      }
      case 'sid':
      case 'rev':
      case 'gid':
      case 'priority': {
        this.optNumber(display);
        return;
      }
      case 'classtype': {
        this.optClasstype(display);
        return;
      }
      case 'reference': {
        this.optReference(display);
        return;
      }
      case 'metadata': {
        this.optMetadata(display);
        return;
      }
      case 'tag': {
        this.optTag(display);
        return;
      }
      case 'flow': {
        this.optFlow(display);
        return;
      }
      case 'flowbits': {
        this.optFlowbits(display);
        return;
      }
      case 'noalert':
        this.noValue(display);
        this.noalert = true;
        return;
      case 'content': {
        this.optContent(display);
        return;
      }
      case 'pcre': {
        this.optPcre(display);
        return;
      }
      case 'byte_test':
      case 'byte_jump':
      case 'byte_extract': {
        this.optByte(display);
        return;
      }
      case 'isdataat': {
        this.optIsDataAt(display);
        return;
      }
      case 'dsize':
      case 'bsize': {
        this.optSize(display);
        return;
      }
      case 'dce_iface':
      case 'dcerpc.iface': {
        this.optIface(display);
        return;
      }
      case 'dce_opnum':
      case 'dcerpc.opnum': {
        this.optOpnum(display);
        return;
      }
      case 'dce_call_iface': {
        this.optCallIface(display);
        return;
      }
      case 'dce_call_opnum': {
        this.optCallOpnum(display);
        return;
      }
      case 'dce_fault': {
        this.optFault(display);
        return;
      }
      case 'dce_hresult': {
        this.optHresult(display);
        return;
      }
      case 'dce_auth_level': {
        this.optAuthLevel(display);
        return;
      }
      case 'dcom_clsid': {
        this.optClsid(display);
        return;
      }
      case 'dce_stub_data':
      case 'dcerpc.stub_data':
        this.noValue(display);
        if (this.stubOps === null) this.stubOps = [];
        this.cur = this.stubOps;
        this.lastContent = null;
        return;
      case 'pkt_data':
        this.noValue(display);
        this.cur = this.payloadOps;
        this.lastContent = null;
        return;
      case 'flags':
      case 'tcp.flags': {
        this.optFlags(display);
        return;
      }
      case 'seq':
      case 'ack':
      case 'window':
      case 'tcp.seq':
      case 'tcp.ack':
      case 'tcp.window': {
        this.optTcpNumber(display);
        return;
      }
      case 'prefilter':
        return; // a Suricata performance hint; the prefilter here picks fast patterns itself
      case 'requires':
        this.requires = display.value ?? '';
        return;
      case 'target':
        return; // Suricata: which side is the target, for output only
      default:
        break;
    }
    if (CONTENT_MODIFIERS.has(name)) {
      this.optModifier(display);
      return;
    }
    if (UNSUPPORTED_MODIFIERS.has(name)) {
      this.err(
        o.nameAt,
        'option.unsupported',
        `content modifier '${name}' is not supported: only raw payloads and DCE/RPC stubs are inspected`,
      );
      return;
    }
    if (UNSUPPORTED_OPTIONS.has(name)) {
      this.err(o.nameAt, 'option.unsupported', `rule option '${name}' is not supported by wmi-detect`);
      return;
    }
    this.err(o.nameAt, 'option.unknown', `unknown rule option '${o.name}'`);
  }

  private optMsg(o: OptionText): void {
    if (!this.single(o)) return;
    const v = this.needValue(o);
    if (v === null) return;
    try {
      const q = parseQuotedText(v, 'msg');
      for (const e of q.recovered) this.err(o.valueAt + e.at, e.code, e.message);
      this.msg = q.text;
    } catch (e) {
      if (!(e instanceof LiteralError)) throw e;
      this.err(o.valueAt + e.at, e.code, e.message);
    }
  }

  private optNumber(o: OptionText): void {
    if (!this.single(o)) return;
    const v = this.needValue(o);
    if (v === null) return;
    if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) {
      this.err(o.valueAt, `option.${o.name}`, `${o.name} must be a positive integer, found '${v}'`);
      return;
    }
    const n = Number(v);
    if (o.name === 'sid') {
      if (n === 0) this.err(o.valueAt, 'option.sid', 'sid must be greater than 0');
      else this.sid = n;
    } else if (o.name === 'rev') this.rev = n;
    else if (o.name === 'gid') this.gid = n;
    else {
      if (n === 0) this.err(o.valueAt, 'option.priority', 'priority must be 1 or more');
      else this.priority = n;
    }
  }

  private optClasstype(o: OptionText): void {
    if (!this.single(o)) return;
    const v = this.needValue(o);
    if (v === null) return;
    if (!this.c.classtype(v)) {
      this.err(o.valueAt, 'option.classtype', `unknown classtype '${v}' (not in the classification table)`);
      return;
    }
    this.classtype = v;
  }

  private optReference(o: OptionText): void {
    const v = this.needValue(o);
    if (v === null) return;
    const comma = v.indexOf(',');
    if (comma <= 0 || v.slice(comma + 1).trim() === '') {
      this.err(o.valueAt, 'option.reference', `reference must be 'system,id' (e.g. url,example.com/x), found '${v}'`);
      return;
    }
    this.references.push({ system: v.slice(0, comma).trim(), id: v.slice(comma + 1).trim() });
  }

  private optMetadata(o: OptionText): void {
    const v = this.needValue(o);
    if (v === null) return;
    for (const entry of v.split(',')) {
      const e = entry.trim();
      if (e === '') continue;
      const sp = e.search(/\s/);
      const key = sp < 0 ? e : e.slice(0, sp);
      const val = sp < 0 ? '' : e.slice(sp).trim();
      const values = this.metadata[key] ?? [];
      values.push(val);
      this.metadata[key] = values;
    }
  }

  private optTag(o: OptionText): void {
    if (!this.single(o)) return;
    const v = this.needValue(o);
    if (v === null) return;
    const parts = v.split(',').map((s) => s.trim());
    const type = parts[0].toLowerCase();
    if (type !== 'session' && type !== 'host') {
      this.err(o.valueAt, 'option.tag', `tag type must be 'session' or 'host', found '${parts[0]}'`);
      return;
    }
    const tag: RuleTag = { type, exclusive: false };
    const rest = parts.slice(1);
    const ex = rest.findIndex((p) => p.toLowerCase() === 'exclusive');
    if (ex >= 0) {
      tag.exclusive = true;
      rest.splice(ex, 1);
    }
    if (rest.length > 0) {
      if (!/^\d+$/.test(rest[0]) || rest.length < 2) {
        this.err(
          o.valueAt,
          'option.tag',
          `tag:${type} expects '<count>,<packets|seconds|bytes>', found '${rest.join(',')}'`,
        );
        return;
      }
      tag.count = Number(rest[0]);
      const metric = rest[1].toLowerCase();
      if (metric !== 'packets' && metric !== 'seconds' && metric !== 'bytes') {
        this.err(o.valueAt, 'option.tag', `tag metric must be packets, seconds or bytes, found '${rest[1]}'`);
        return;
      }
      tag.metric = metric;
      if (rest.length > 2) {
        const dir = rest[2].toLowerCase();
        if (type !== 'host' || (dir !== 'src' && dir !== 'dst') || rest.length > 3) {
          this.err(o.valueAt, 'option.tag', `unexpected '${rest.slice(2).join(',')}' in tag`);
          return;
        }
        tag.direction = dir;
      }
    }
    if (type === 'host' && !tag.direction) {
      this.err(o.valueAt, 'option.tag', "tag:host needs '<count>,<metric>,<src|dst>'");
      return;
    }
    this.tag = tag;
  }

  private optFlow(o: OptionText): void {
    if (!this.single(o)) return;
    const v = this.needValue(o);
    if (v === null) return;
    let off = 0;
    for (const raw of v.split(',')) {
      const lead = raw.length - raw.trimStart().length;
      const at = o.valueAt + off + lead;
      off += raw.length + 1;
      const t = raw.trim().toLowerCase();
      let bit = 0;
      switch (t) {
        case 'to_server':
        case 'from_client':
          bit = F_TO_SERVER;
          break;
        case 'to_client':
        case 'from_server':
          bit = F_TO_CLIENT;
          break;
        case 'established':
          bit = F_ESTABLISHED;
          break;
        case 'not_established':
          bit = F_NOT_ESTABLISHED;
          break;
        case 'stateless':
          continue;
        case 'only_stream':
          bit = F_ONLY_STREAM;
          break;
        case 'no_stream':
          bit = F_NO_STREAM;
          break;
        default:
          this.err(at, 'flow.unknown', `unknown flow option '${raw.trim()}'`);
          continue;
      }
      if (bit === F_TO_SERVER || bit === F_TO_CLIENT) {
        const other = bit === F_TO_SERVER ? F_TO_CLIENT : F_TO_SERVER;
        if (this.flowFlags & other) {
          this.err(at, 'flow.conflict', `flow '${raw.trim()}' contradicts '${this.flowDirText}' in the same option`);
          continue;
        }
        this.flowDirAt = at;
        this.flowDirText = raw.trim();
      }
      if (
        (bit === F_ESTABLISHED && this.flowFlags & F_NOT_ESTABLISHED) ||
        (bit === F_NOT_ESTABLISHED && this.flowFlags & F_ESTABLISHED) ||
        (bit === F_ONLY_STREAM && this.flowFlags & F_NO_STREAM) ||
        (bit === F_NO_STREAM && this.flowFlags & F_ONLY_STREAM)
      ) {
        this.err(at, 'flow.conflict', `flow '${raw.trim()}' contradicts another flow option in the same rule`);
        continue;
      }
      this.flowFlags |= bit;
    }
  }

  private optFlowbits(o: OptionText): void {
    const v = this.needValue(o);
    if (v === null) return;
    const parts = v.split(',').map((s) => s.trim());
    const cmd = parts[0].toLowerCase();
    const valid = ['set', 'setx', 'unset', 'toggle', 'isset', 'isnotset', 'reset', 'noalert'];
    if (!valid.includes(cmd)) {
      this.err(o.valueAt, 'flowbits.command', `unknown flowbits command '${parts[0]}'; expected ${valid.join(', ')}`);
      return;
    }
    if (cmd === 'noalert') {
      if (parts.length > 1) this.err(o.valueAt, 'flowbits.syntax', "'flowbits:noalert' takes no bit name");
      this.noalert = true;
      this.flowbits.push({ cmd: 'noalert', names: [], op: 'and' });
      return;
    }
    if (cmd === 'reset') {
      if (parts.length > 2) this.err(o.valueAt, 'flowbits.syntax', "'flowbits:reset' takes at most a group name");
      this.flowbits.push({ cmd: 'reset', names: [], op: 'and', group: parts[1] || undefined });
      return;
    }
    const namesText = parts[1];
    const comma = v.indexOf(',');
    const afterComma = v.slice(comma + 1);
    const namesAt = o.valueAt + comma + 1 + (afterComma.length - afterComma.trimStart().length);
    if (!namesText) {
      this.err(o.valueAt + v.length, 'flowbits.syntax', `'flowbits:${cmd}' needs a bit name`);
      return;
    }
    if (parts.length > 3) {
      this.err(o.valueAt, 'flowbits.syntax', `too many arguments in 'flowbits:${v}'`);
      return;
    }
    const hasOr = namesText.includes('|');
    const hasAnd = namesText.includes('&');
    if (hasOr && hasAnd) {
      this.err(namesAt, 'flowbits.syntax', `flowbits cannot mix '|' and '&' in '${namesText}'`);
      return;
    }
    const names = namesText.split(/[|&]/).map((s) => s.trim());
    for (const n of names) {
      if (!/^[A-Za-z0-9_.-]+$/.test(n)) {
        this.err(namesAt, 'flowbits.name', `invalid flowbit name '${n}'`);
        return;
      }
    }
    const isRead = cmd === 'isset' || cmd === 'isnotset';
    if (hasOr && !isRead) {
      this.err(namesAt, 'flowbits.syntax', `'flowbits:${cmd}' cannot use '|'; use '&' to act on several bits`);
      return;
    }
    const group = parts[2] || undefined;
    if (group && (isRead || cmd === 'unset')) {
      this.err(o.valueAt, 'flowbits.syntax', `'flowbits:${cmd}' does not take a group name`);
      return;
    }
    if (cmd === 'setx' && !group) {
      this.err(o.valueAt, 'flowbits.syntax', "'flowbits:setx' needs a group name");
      return;
    }
    this.flowbits.push({ cmd: cmd as FlowbitCommand['cmd'], names, op: hasOr ? 'or' : 'and', group });
    if (isRead) for (const n of names) this.bitReadPos.push({ name: n, at: namesAt });
  }

  // --- content and modifiers ---------------------------------------------------------------------------------

  private optContent(o: OptionText): void {
    const v = this.needValue(o);
    if (v === null) return;
    let lit: ReturnType<typeof parseContentLiteral>;
    try {
      lit = parseContentLiteral(v, 'content');
    } catch (e) {
      if (!(e instanceof LiteralError)) throw e;
      this.err(o.valueAt + e.at, e.code, e.message);
      return;
    }
    for (const e of lit.recovered) this.err(o.valueAt + e.at, e.code, e.message);
    const op: ContentOp = {
      op: OP_CONTENT,
      pat: lit.bytes,
      raw: lit.bytes,
      nocase: false,
      negated: lit.negated,
      relative: false,
      offset: null,
      depth: null,
      distance: null,
      within: null,
      startswith: false,
      endswith: false,
      rawbytes: false,
      fastPattern: false,
      fpOnly: false,
      fpOffset: 0,
      fpLength: lit.bytes.length,
      retry: false,
      skip: new Int32Array(0),
    };
    this.cur.push(op);
    this.lastContent = op;
    this.contentSeen.set(op, new Set());
  }

  private optModifier(o: OptionText): void {
    const c = this.lastContent;
    if (!c) {
      this.err(
        o.nameAt,
        'content.modifier-without-content',
        `'${o.name}' must follow a 'content' option in the same buffer`,
      );
      return;
    }
    const seen = this.contentSeen.get(c)!;
    if (seen.has(o.name)) {
      this.err(o.nameAt, 'content.modifier-repeated', `'${o.name}' given twice for the same content`);
      return;
    }
    seen.add(o.name);
    const len = c.raw.length;
    switch (o.name) {
      case 'nocase':
        this.noValue(o);
        c.nocase = true;
        return;
      case 'rawbytes':
        this.noValue(o);
        c.rawbytes = true;
        return;
      case 'startswith':
      case 'endswith':
        this.noValue(o);
        if (o.name === 'startswith') {
          if (c.offset || c.depth || c.distance || c.within) {
            this.err(
              o.nameAt,
              'content.modifier-conflict',
              "'startswith' cannot be combined with offset/depth/distance/within",
            );
            return;
          }
          c.startswith = true;
          c.offset = { c: 0, v: -1 };
          c.depth = { c: len, v: -1 };
        } else c.endswith = true;
        return;
      case 'fast_pattern': {
        this.fastPatternCount++;
        if (this.fastPatternCount > 1) {
          this.err(o.nameAt, 'content.fast-pattern-repeated', 'only one fast_pattern per rule');
          return;
        }
        if (c.negated) {
          this.report(
            'warning',
            o.nameAt,
            'content.fast-pattern-negated',
            'fast_pattern on a negated content is ignored',
          );
          return;
        }
        c.fastPattern = true;
        const v = o.value;
        if (v === null || v === '') return;
        if (v === 'only') {
          c.fpOnly = true;
          return;
        }
        const m = /^(\d+)\s*,\s*(\d+)$/.exec(v);
        if (!m || Number(m[1]) + Number(m[2]) > len || Number(m[2]) === 0) {
          this.err(
            o.valueAt,
            'content.fast-pattern',
            `fast_pattern must be 'only' or '<offset>,<length>' within the content, found '${v}'`,
          );
          return;
        }
        c.fpOffset = Number(m[1]);
        c.fpLength = Number(m[2]);
        return;
      }
      default:
        break;
    }
    // offset / depth / distance / within
    const v = this.needValue(o);
    if (v === null) return;
    const absolute = o.name === 'offset' || o.name === 'depth';
    if (c.startswith && absolute) {
      this.err(o.nameAt, 'content.modifier-conflict', `'${o.name}' cannot be combined with 'startswith'`);
      return;
    }
    if (absolute && c.relative) {
      this.err(
        o.nameAt,
        'content.modifier-conflict',
        `'${o.name}' cannot be combined with 'distance'/'within' on the same content`,
      );
      return;
    }
    if (!absolute && (c.offset || c.depth)) {
      this.err(
        o.nameAt,
        'content.modifier-conflict',
        `'${o.name}' cannot be combined with 'offset'/'depth' on the same content`,
      );
      return;
    }
    const allowNegative = o.name === 'distance' || o.name === 'offset';
    const operand = this.operand(v, o.valueAt, o.name, allowNegative);
    if (!operand) return;
    if (operand.v < 0) {
      if (o.name === 'offset' && operand.c < 0) {
        this.err(o.valueAt, 'content.offset', `offset must be 0 or more, found ${operand.c}`);
        return;
      }
      if ((o.name === 'depth' || o.name === 'within') && operand.c < len) {
        this.err(o.valueAt, `content.${o.name}`, `${o.name} ${operand.c} is shorter than the content (${len} bytes)`);
        return;
      }
    }
    if (o.name === 'offset') c.offset = operand;
    else if (o.name === 'depth') c.depth = operand;
    else if (o.name === 'distance') c.distance = operand;
    else c.within = operand;
    if (!absolute) c.relative = true;
  }

  /** A number (decimal, 0x hex) or the name of a byte_extract variable defined earlier in the rule. */
  private operand(v: string, at: number, what: string, allowNegative: boolean): Operand | null {
    const t = v.trim();
    const code = `option.${what.replace(/\s+/g, '-')}`;
    if (/^[+-]?\d+$/.test(t) || /^0x[0-9a-f]+$/i.test(t)) {
      const n = Number(t);
      if (n < 0 && !allowNegative) {
        this.err(at, code, `${what} must be 0 or more, found ${t}`);
        return null;
      }
      if (Math.abs(n) > 0xffffffff) {
        this.err(at, code, `${what} ${t} is out of range`);
        return null;
      }
      return { c: n, v: -1 };
    }
    const slot = this.extractVars.get(t);
    if (slot !== undefined) return { c: 0, v: slot };
    this.err(at, code, `${what} '${t}' is not a number or a byte_extract variable defined earlier in the rule`);
    return null;
  }

  private optPcre(o: OptionText): void {
    const v = this.needValue(o);
    if (v === null) return;
    try {
      const t = parsePcreOption(v);
      if (t.nestedQuantifier) {
        this.report(
          'warning',
          o.valueAt,
          'pcre.nested-quantifier',
          `pcre ${t.display} repeats a group that itself repeats without bound; crafted input can make it backtrack for a very long time (JavaScript has no match limit)`,
        );
      }
      this.cur.push({
        op: OP_PCRE,
        re: new RegExp(t.source, t.flags),
        negated: t.negated,
        relative: t.relative,
        anchored: t.anchored,
        retry: false,
        display: t.display,
      });
    } catch (e) {
      if (!(e instanceof PcreError)) throw e;
      this.err(o.valueAt + e.at, 'pcre.unsupported', e.message);
    }
  }

  // --- byte_test / byte_jump / byte_extract ------------------------------------------------------------------

  private optByte(o: OptionText): void {
    const v = this.needValue(o);
    if (v === null) return;
    const kind = o.name;
    const parts = v.split(',').map((s) => s.trim());
    const nbText = parts[0];
    const fail = (msg: string) => this.err(o.valueAt, `${kind}.syntax`, `${kind}: ${msg}`);
    if (!/^\d+$/.test(nbText)) {
      fail(`number of bytes must be an integer, found '${nbText}'`);
      return;
    }
    const nbytes = Number(nbText);
    let idx = 1;
    let cmp = CMP_EQ;
    let not = false;
    let value: Operand = { c: 0, v: -1 };
    if (kind === 'byte_test') {
      const opText = parts[1] ?? '';
      const m = /^(!)?(<=|>=|<|>|=|&|\^|!)?$/.exec(opText.replace(/\s+/g, ''));
      if (!m || opText === '') {
        fail(`invalid operator '${opText}'; expected <, >, =, <=, >=, &, ^ or ! (optionally prefixed by !)`);
        return;
      }
      not = m[1] === '!' || m[2] === '!';
      const ops: Record<string, number> = {
        '<': CMP_LT,
        '>': CMP_GT,
        '=': CMP_EQ,
        '&': CMP_AND,
        '^': CMP_XOR,
        '<=': CMP_LE,
        '>=': CMP_GE,
        '!': CMP_EQ,
      };
      cmp = m[2] === undefined ? CMP_EQ : ops[m[2]];
      if (m[1] === '!' && m[2] === '!') {
        fail(`invalid operator '${opText}'`);
        return;
      }
      const val = this.operand(parts[2] ?? '', o.valueAt, 'byte_test value', false);
      if (!val) return;
      if (val.v < 0 && val.c > 0xffffffff) {
        fail(`value ${parts[2]} is out of range`);
        return;
      }
      value = val;
      idx = 3;
    }
    const offset = this.operand(parts[idx] ?? '', o.valueAt, `${kind} offset`, true);
    if (!offset) return;
    idx++;
    let name = '';
    if (kind === 'byte_extract') {
      name = parts[idx] ?? '';
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        fail(`variable name expected, found '${name}'`);
        return;
      }
      idx++;
    }
    let relative = false;
    let endian = -1;
    let base = 0;
    let stringSeen = false;
    let dce = false;
    let align = 0;
    let multiplier = 1;
    let postOffset = 0;
    let fromBeginning = false;
    let fromEnd = false;
    let bitmask = 0;
    for (; idx < parts.length; idx++) {
      const p = parts[idx];
      const lp = p.toLowerCase();
      const kv = /^(\w+)\s+(\S+)$/.exec(p);
      if (lp === 'relative') relative = true;
      else if (lp === 'big' || lp === 'little') {
        if (endian >= 0) {
          fail('byte order given twice');
          return;
        }
        endian = lp === 'big' ? ENDIAN_BIG : ENDIAN_LITTLE;
      } else if (lp === 'string') stringSeen = true;
      else if (lp === 'hex' || lp === 'dec' || lp === 'oct') {
        if (!stringSeen) {
          fail(`'${lp}' must follow 'string'`);
          return;
        }
        base = lp === 'hex' ? 16 : lp === 'dec' ? 10 : 8;
      } else if (lp === 'dce') dce = true;
      else if (lp === 'align' && kind === 'byte_jump') align = 4;
      else if (lp === 'from_beginning' && kind === 'byte_jump') fromBeginning = true;
      else if (lp === 'from_end' && kind === 'byte_jump') fromEnd = true;
      else if (kv && kv[1].toLowerCase() === 'multiplier' && kind !== 'byte_test') {
        multiplier = Number(kv[2]);
        if (!Number.isInteger(multiplier) || multiplier < 1 || multiplier > 65535) {
          fail(`invalid multiplier '${kv[2]}'`);
          return;
        }
      } else if (kv && kv[1].toLowerCase() === 'post_offset' && kind === 'byte_jump') {
        postOffset = Number(kv[2]);
        if (!Number.isInteger(postOffset)) {
          fail(`invalid post_offset '${kv[2]}'`);
          return;
        }
      } else if (kv && kv[1].toLowerCase() === 'align' && kind === 'byte_extract') {
        align = Number(kv[2]);
        if (align !== 2 && align !== 4) {
          fail(`align must be 2 or 4, found '${kv[2]}'`);
          return;
        }
      } else if (kv && kv[1].toLowerCase() === 'bitmask') {
        const b = Number(kv[2]);
        if (!Number.isInteger(b) || b <= 0 || b > 0xffffffff) {
          fail(`invalid bitmask '${kv[2]}'`);
          return;
        }
        bitmask = b;
      } else {
        fail(`unknown argument '${p}'`);
        return;
      }
    }
    if (stringSeen && base === 0) base = 10;
    if (dce) {
      if (endian >= 0 || stringSeen) {
        fail("'dce' takes the byte order from the DCE/RPC PDU and cannot be combined with big, little or string");
        return;
      }
      if (fromBeginning || fromEnd) {
        fail("'dce' cannot be combined with from_beginning/from_end");
        return;
      }
      endian = ENDIAN_DCE;
      this.usesDceByte = true;
    }
    if (endian < 0) endian = ENDIAN_BIG;
    if (fromBeginning && fromEnd) {
      fail("'from_beginning' and 'from_end' exclude each other");
      return;
    }
    if (base === 0 && (nbytes < 1 || nbytes > 4)) {
      fail(`reads 1 to 4 bytes (up to 10 with 'string'), not ${nbytes}`);
      return;
    }
    if (base !== 0 && (nbytes < 1 || nbytes > 10)) {
      fail(`reads 1 to 10 characters with 'string', not ${nbytes}`);
      return;
    }
    let shift = 0;
    if (bitmask) while (((bitmask >>> shift) & 1) === 0) shift++;
    if (kind === 'byte_test') {
      this.cur.push({ op: OP_BYTE_TEST, nbytes, cmp, not, value, offset, relative, endian, base, bitmask, shift });
    } else if (kind === 'byte_jump') {
      this.cur.push({
        op: OP_BYTE_JUMP,
        nbytes,
        offset,
        relative,
        multiplier,
        endian,
        base,
        align: align === 4,
        fromBeginning,
        fromEnd,
        postOffset,
        bitmask,
        shift,
      });
    } else {
      if (this.extractVars.has(name)) {
        fail(`variable '${name}' is already defined in this rule`);
        return;
      }
      if (this.extractVars.size >= 8) {
        fail('at most 8 byte_extract variables per rule');
        return;
      }
      const slot = this.extractVars.size;
      this.extractVars.set(name, slot);
      this.cur.push({
        op: OP_BYTE_EXTRACT,
        nbytes,
        offset,
        relative,
        multiplier,
        endian,
        base,
        align,
        slot,
        name,
        bitmask,
        shift,
      });
    }
  }

  private optIsDataAt(o: OptionText): void {
    const v = this.needValue(o);
    if (v === null) return;
    const parts = v.split(',').map((s) => s.trim());
    let first = parts[0];
    let negated = false;
    if (first.startsWith('!')) {
      negated = true;
      first = first.slice(1).trim();
    }
    const n = this.operand(first, o.valueAt, 'isdataat', false);
    if (!n) return;
    let relative = false;
    for (const p of parts.slice(1)) {
      const lp = p.toLowerCase();
      if (lp === 'relative') relative = true;
      else if (lp === 'rawbytes') continue;
      else {
        this.err(o.valueAt, 'isdataat.syntax', `isdataat: unknown argument '${p}'`);
        return;
      }
    }
    this.cur.push({ op: OP_ISDATAAT, n, relative, negated });
  }

  private optSize(o: OptionText): void {
    const v = this.needValue(o);
    if (v === null) return;
    const t = v.replace(/\s+/g, '');
    let r: { cmp: number; a: number; b: number } | null = null;
    const m = /^(\d+)<>(\d+)$/.exec(t);
    const single = /^(<=|>=|<|>|=|!)?(\d+)$/.exec(t);
    if (m) {
      const a = Number(m[1]);
      const b = Number(m[2]);
      if (a >= b) {
        this.err(o.valueAt, `${o.name}.syntax`, `${o.name} range '${v}' must have its low end below its high end`);
        return;
      }
      // Snort's dsize range is inclusive; Suricata's bsize range is exclusive
      r = { cmp: o.name === 'dsize' ? CMP_RANGE_INCL : CMP_RANGE_EXCL, a, b };
    } else if (single) {
      const ops: Record<string, number> = {
        '<': CMP_LT,
        '>': CMP_GT,
        '=': CMP_EQ,
        '<=': CMP_LE,
        '>=': CMP_GE,
        '!': CMP_NE,
      };
      r = { cmp: single[1] ? ops[single[1]] : CMP_EQ, a: Number(single[2]), b: 0 };
    }
    if (!r) {
      this.err(o.valueAt, `${o.name}.syntax`, `${o.name} must be N, <N, >N, <=N, >=N, !N or N<>M, found '${v}'`);
      return;
    }
    if (o.name === 'dsize') {
      if (!this.single(o)) return;
      this.dsize = r;
    } else {
      this.cur.push({ op: OP_BSIZE, cmp: r.cmp, a: r.a, b: r.b });
    }
  }

  // --- DCE/RPC ------------------------------------------------------------------------------------------------

  private optIface(o: OptionText): void {
    if (this.iface) {
      this.err(o.nameAt, 'dce.iface-repeated', `'${o.name}' appears twice`);
      return;
    }
    this.iface = this.parseIface(o, true);
  }

  /** `<uuid>[,<op><major>][,any_frag]` (any_frag only where `allowAnyFrag`). Null after reporting an error. */
  private parseIface(o: OptionText, allowAnyFrag: boolean): IfaceCheck | null {
    const v = this.needValue(o);
    if (v === null) return null;
    const parts = v.split(',').map((s) => s.trim());
    let uuidText = parts[0];
    if (/^uuid\s+/i.test(uuidText)) uuidText = uuidText.replace(/^uuid\s+/i, ''); // Snort 3 spelling
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuidText)) {
      this.err(
        o.valueAt,
        'dce.iface-uuid',
        `invalid interface UUID '${uuidText}'; expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`,
      );
      return null;
    }
    const check: IfaceCheck = { uuid: uuidText.toLowerCase(), op: '', version: 0, anyFrag: false };
    for (const p of parts.slice(1)) {
      const at = o.valueAt + v.indexOf(p);
      if (allowAnyFrag && p.toLowerCase() === 'any_frag') {
        check.anyFrag = true;
        continue;
      }
      const m = /^(?:version\s+)?([<>=!])?\s*(\d+)$/i.exec(p);
      if (!m || check.op !== '') {
        this.err(
          at,
          'dce.iface-arg',
          `${o.name}: expected '<op><major version>' (op one of < > = !)${allowAnyFrag ? " or 'any_frag'" : ''}, found '${p}'`,
        );
        return null;
      }
      const ver = Number(m[2]);
      if (ver > 65535) {
        this.err(at, 'dce.iface-version', `${o.name}: version ${ver} is above 65535`);
        return null;
      }
      check.op = m[1] ?? '=';
      check.version = ver;
      if ((check.op === '<' && ver === 0) || (check.op === '>' && ver === 65535)) {
        this.err(at, 'dce.iface-version', `${o.name}: version '${p}' can never match`);
        return null;
      }
    }
    return check;
  }

  private optOpnum(o: OptionText): void {
    if (this.opnums) {
      this.err(o.nameAt, 'dce.opnum-repeated', `'${o.name}' appears twice`);
      return;
    }
    this.opnums = this.parseOpnums(o);
  }

  /** `4`, `0-3`, `1,5,7-9`, `>3`, `<3`, `>=3`, `<=3`, `!3`, `=3` → merged sorted [lo, hi] pairs; null after an error. */
  private parseOpnums(o: OptionText): number[] | null {
    const v = this.needValue(o);
    if (v === null) return null;
    const ranges: number[] = [];
    const t = v.replace(/\s+/g, '');
    const op = /^(<=|>=|<|>|=|!)(\d+)$/.exec(t);
    const bad = (what: string) => this.err(o.valueAt, 'dce.opnum', `${o.name}: ${what}`);
    if (op) {
      const n = Number(op[2]);
      if (n > 65535) {
        bad(`opnum ${n} is above 65535`);
        return null;
      }
      switch (op[1]) {
        case '<':
          if (n === 0) {
            bad("'<0' can never match");
            return null;
          }
          ranges.push(0, n - 1);
          break;
        case '<=':
          ranges.push(0, n);
          break;
        case '>':
          if (n === 65535) {
            bad("'>65535' can never match");
            return null;
          }
          ranges.push(n + 1, 65535);
          break;
        case '>=':
          ranges.push(n, 65535);
          break;
        case '=':
          ranges.push(n, n);
          break;
        case '!':
          if (n > 0) ranges.push(0, n - 1);
          if (n < 65535) ranges.push(n + 1, 65535);
          break;
      }
    } else {
      for (const item of t.split(',')) {
        const m = /^(\d+)(?:-(\d+))?$/.exec(item);
        if (!m) {
          bad(`expected opnums like '4', '0-3' or '1,5,7-9', found '${item}'`);
          return null;
        }
        const a = Number(m[1]);
        const b = m[2] !== undefined ? Number(m[2]) : a;
        if (a > 65535 || b > 65535) {
          bad(`opnum '${item}' is above 65535`);
          return null;
        }
        if (a > b) {
          bad(`range '${item}' has its low end above its high end`);
          return null;
        }
        ranges.push(a, b);
      }
    }
    const pairs: [number, number][] = [];
    for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i], ranges[i + 1]]);
    pairs.sort((x, y) => x[0] - y[0]);
    const merged: number[] = [];
    for (const [a, b] of pairs) {
      if (merged.length && a <= merged[merged.length - 1] + 1)
        merged[merged.length - 1] = Math.max(merged[merged.length - 1], b);
      else merged.push(a, b);
    }
    return merged;
  }

  // --- DCE/RPC call level ---------------------------------------------------------------------------------------
  //
  // dce_call_iface / dce_call_opnum / dce_fault / dce_hresult look at the call a response or fault answers, as the
  // DCE/RPC layer's call table attributes it by call_id (DceView.iface/opnum of a response/fault). They never fall
  // back on the PDU's p_cont_id: a fault whose request was not seen matches none of them but a bare dce_fault.

  private noteCallLevel(o: OptionText): void {
    if (this.callLevelAt < 0) this.callLevelAt = o.nameAt;
  }

  private optCallIface(o: OptionText): void {
    this.noteCallLevel(o);
    if (this.callIface) {
      this.err(o.nameAt, 'dce.call-iface-repeated', `'${o.name}' appears twice`);
      return;
    }
    this.callIface = this.parseIface(o, false);
  }

  private optCallOpnum(o: OptionText): void {
    this.noteCallLevel(o);
    if (this.callOpnums) {
      this.err(o.nameAt, 'dce.call-opnum-repeated', `'${o.name}' appears twice`);
      return;
    }
    this.callOpnums = this.parseOpnums(o);
  }

  private optFault(o: OptionText): void {
    this.noteCallLevel(o);
    if (this.fault) {
      this.err(o.nameAt, 'dce.fault-repeated', `'${o.name}' appears twice`);
      return;
    }
    if (o.value === null || o.value === '') {
      this.fault = { values: null };
      return;
    }
    const values = this.parseStatuses(o, false);
    if (values !== null) this.fault = { values };
  }

  /**
   * `dcom_clsid:<guid>[,<guid>…]` or `dcom_clsid:$NAME` (a variable holding `[guid,guid,…]`, possibly empty): the
   * PDU is an activation request whose clear stub instantiates one of these classes. The list lives in configuration
   * (`--var`/`--vars`, the chart's variables file), so a new class needs no rule edit.
   */
  private optClsid(o: OptionText): void {
    if (this.clsids !== null) {
      this.err(o.nameAt, 'dcom.clsid-repeated', `'${o.name}' appears twice`);
      return;
    }
    const v = this.needValue(o);
    if (v === null) return;
    let text = v.trim();
    if (text.startsWith('$')) {
      const name = text.slice(1);
      const def = this.c.lookupVar(name);
      if (def === undefined) {
        this.err(
          o.valueAt,
          'dcom.clsid-var',
          `${o.name}: variable '${name}' is not defined (--var ${name}=[guid,...])`,
        );
        return;
      }
      text = def.value.trim();
    }
    if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
    const set = new Set<string>();
    for (const item of text.split(',')) {
      if (item.trim() === '') continue;
      const g = normalizeGuid(item);
      if (g === null) {
        this.err(
          o.valueAt,
          'dcom.clsid',
          `${o.name}: '${item.trim()}' is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`,
        );
        return;
      }
      set.add(g);
    }
    this.clsids = set;
  }

  private optHresult(o: OptionText): void {
    this.noteCallLevel(o);
    if (this.hresult) {
      this.err(o.nameAt, 'dce.hresult-repeated', `'${o.name}' appears twice`);
      return;
    }
    const v = this.needValue(o);
    if (v === null) return;
    if (v.trim().toLowerCase() === 'failed') {
      this.hresult = { values: null };
      return;
    }
    const values = this.parseStatuses(o, true);
    if (values !== null) this.hresult = { values };
  }

  /**
   * A comma list of status values: decimal, 0x-hex, or a name from the DCE/RPC status table (nca_s_fault_access_denied,
   * rpc_s_access_denied, E_ACCESSDENIED, WBEM_E_ACCESS_DENIED, …; case-insensitive). Sorted, duplicates dropped.
   */
  private parseStatuses(o: OptionText, hresult: boolean): Uint32Array | null {
    const v = o.value ?? '';
    const out: number[] = [];
    let pos = 0;
    for (const raw of v.split(',')) {
      const item = raw.trim();
      const at = o.valueAt + v.indexOf(raw, pos) + (raw.length - raw.trimStart().length);
      pos += raw.length + 1;
      let n: number | undefined;
      if (/^\d+$/.test(item)) n = Number(item);
      else if (/^0x[0-9a-f]{1,8}$/i.test(item)) n = Number.parseInt(item.slice(2), 16);
      else if (/^[a-z_][a-z0-9_]*$/i.test(item)) n = faultStatusByName(item);
      if (item === '' || n === undefined || !Number.isSafeInteger(n) || n > 0xffffffff) {
        const what = /^[a-z_]/i.test(item) ? `unknown status name '${item}'` : `'${item}' is not a status`;
        this.err(
          at,
          hresult ? 'dce.hresult' : 'dce.fault',
          `${o.name}: ${what}; expected a number (5, 0x80070005) or a status name (nca_s_fault_access_denied, E_ACCESSDENIED, WBEM_E_ACCESS_DENIED, …)${hresult ? " or 'failed'" : ''}`,
        );
        return null;
      }
      if (!out.includes(n)) out.push(n);
    }
    out.sort((a, b) => a - b);
    return Uint32Array.from(out);
  }

  /**
   * `dce_auth_level:[op]<level>` — op one of = ! < > <= >= (default =); level 0-6 or a name: none (no
   * authentication: 0 and 1), connect 2, call 3, pkt/packet 4, integrity/pkt_integrity 5, privacy/pkt_privacy 6.
   * Compiled to a mask of accepted levels; "no authentication" (0) compares as 1 (none).
   */
  private optAuthLevel(o: OptionText): void {
    if (this.authLevels !== 0) {
      this.err(o.nameAt, 'dce.auth-level-repeated', `'${o.name}' appears twice`);
      return;
    }
    const v = this.needValue(o);
    if (v === null) return;
    const m = /^(<=|>=|<|>|=|!)?\s*([a-z_]+|\d+)$/i.exec(v.trim());
    const names: Record<string, number> = {
      none: 1,
      connect: 2,
      call: 3,
      pkt: 4,
      packet: 4,
      integrity: 5,
      pkt_integrity: 5,
      privacy: 6,
      pkt_privacy: 6,
    };
    const level = m ? (/^\d+$/.test(m[2]) ? Number(m[2]) : names[m[2].toLowerCase()]) : undefined;
    if (!m || level === undefined || level > 6) {
      this.err(
        o.valueAt,
        'dce.auth-level',
        `${o.name}: expected [=|!|<|>|<=|>=]<level>, level 0-6 or none, connect, call, pkt, integrity, privacy; found '${v}'`,
      );
      return;
    }
    const want = Math.max(level, 1);
    const op = m[1] ?? '=';
    let mask = 0;
    for (let l = 0; l <= 6; l++) {
      const x = Math.max(l, 1);
      const ok =
        op === '='
          ? x === want
          : op === '!'
            ? x !== want
            : op === '<'
              ? x < want
              : op === '>'
                ? x > want
                : op === '<='
                  ? x <= want
                  : x >= want;
      if (ok) mask |= 1 << l;
    }
    if (mask === 0) {
      this.err(o.valueAt, 'dce.auth-level', `${o.name}: '${v}' can never match`);
      return;
    }
    this.authLevels = mask;
  }

  // --- TCP header ---------------------------------------------------------------------------------------------

  private optFlags(o: OptionText): void {
    const v = this.needValue(o);
    if (v === null) return;
    // the modifier may be written before (Snort) or after (Suricata) the flags: !S, S+, *SA
    const m = /^([!+*])?([FSRPAUCE012]+)([!+*])?(?:,([FSRPAUCE012]+))?$/i.exec(v.replace(/\s+/g, ''));
    if (!m) {
      this.err(o.valueAt, 'flags.syntax', `${o.name}: expected [!|+|*]<FSRPAUCE0>[,<mask>], found '${v}'`);
      return;
    }
    const bits = (s: string) => {
      let b = 0;
      for (const ch of s.toUpperCase()) {
        b |= { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32, E: 64, C: 128, '2': 64, '1': 128, '0': 0 }[ch] ?? 0;
      }
      return b;
    };
    if (m[1] && m[3]) {
      this.err(o.valueAt, 'flags.syntax', `${o.name}: only one of ! + * may be given, found '${v}'`);
      return;
    }
    this.tcpChecks.push({ kind: TCP_FLAGS, value: bits(m[2]), ignore: m[4] ? bits(m[4]) : 0, mod: m[1] ?? m[3] ?? '' });
  }

  private optTcpNumber(o: OptionText): void {
    const v = this.needValue(o);
    if (v === null) return;
    const name = o.name.replace('tcp.', '');
    const m = /^(!)?\s*(\d+|0x[0-9a-f]+)$/i.exec(v);
    if (!m || Number(m[2]) > 0xffffffff || (name === 'window' && Number(m[2]) > 65535) || (m[1] && name !== 'window')) {
      this.err(
        o.valueAt,
        `${name}.syntax`,
        `${o.name}: expected ${name === 'window' ? '[!]' : ''}an unsigned number, found '${v}'`,
      );
      return;
    }
    const kind = name === 'seq' ? TCP_SEQ : name === 'ack' ? TCP_ACK : TCP_WINDOW;
    this.tcpChecks.push({ kind, value: Number(m[2]), ignore: 0, mod: m[1] ?? '' });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Whole-rule checks

  private get isDce(): boolean {
    return (
      this.protocol === 'dcerpc' ||
      this.protocol === 'smb' ||
      this.iface !== null ||
      this.opnums !== null ||
      this.callLevelAt >= 0 ||
      this.authLevels !== 0 ||
      this.clsids !== null ||
      this.stubOps !== null ||
      this.usesDceByte ||
      (this.metadata.service ?? []).some((s) => s.toLowerCase() === 'dcerpc')
    );
  }

  private finishChecks(): void {
    if (this.sid === undefined) this.err(0, 'rule.no-sid', "rule has no 'sid' option");

    // a rule that reads and denies the same bit can never match
    const isset = new Set<string>();
    for (const f of this.flowbits) if (f.cmd === 'isset' && f.op === 'and') for (const n of f.names) isset.add(n);
    for (const f of this.flowbits) {
      if (f.cmd === 'isnotset' && f.op === 'and') {
        for (const n of f.names) {
          if (isset.has(n)) {
            const pos = this.bitReadPos.find((b) => b.name === n);
            this.err(
              pos?.at ?? 0,
              'flowbits.contradiction',
              `flowbits isset and isnotset on the same bit '${n}' can never both hold`,
            );
          }
        }
      }
    }

    if (this.protocol === 'udp' && this.isDce) {
      this.report(
        'warning',
        this.text.indexOf(' ') + 1,
        'header.dce-udp',
        'DCE/RPC over UDP (connectionless) is not decoded; this udp rule with DCE/RPC options never matches',
      );
    }
    if (!this.isDce && this.flowFlags & F_ONLY_STREAM) {
      this.report(
        'warning',
        Math.max(this.flowDirAt, 0),
        'flow.only-stream',
        'flow:only_stream never matches a packet rule: packet rules see single packets; DCE/RPC rules see the reassembled stream',
      );
    }
    if (this.callLevelAt >= 0 && this.flowFlags & F_TO_SERVER) {
      this.report(
        'warning',
        this.flowDirAt >= 0 ? this.flowDirAt : this.callLevelAt,
        'dce.call-level-to-server',
        'dce_call_iface, dce_call_opnum, dce_fault and dce_hresult match responses and faults (server to client); with flow:to_server the rule never matches',
      );
    }
    if (this.fault !== null && this.hresult !== null) {
      this.report(
        'warning',
        this.callLevelAt,
        'dce.fault-and-hresult',
        'dce_fault matches fault PDUs and dce_hresult response PDUs: together the rule never matches',
      );
    }
    this.checkDirection();
  }

  /**
   * A header whose server side is on the wrong end of `flow:to_server` / `flow:to_client`: e.g. source port 135 with
   * to_server. A client's source port is ephemeral, so such a rule describes server→client traffic while the flow
   * option asks for client→server — it can never fire on real traffic.
   */
  private checkDirection(): void {
    if (this.bidi || this.flowDirAt < 0 || !this.sp || !this.dp) return;
    const toServer = (this.flowFlags & F_TO_SERVER) !== 0;
    const { sa, sp, da, dp } = this.headerText;
    if (toServer && this.sp.allBelow(1024) && this.dp.any) {
      this.err(
        this.flowDirAt,
        'flow.header-contradiction',
        `header contradicts 'flow:${this.flowDirText}': its source is ${sa} port ${sp} (a server port) and its destination ${da} port ${dp}, ` +
          `but ${this.flowDirText} traffic goes from the client to the server; write '${da} ${dp} -> ${sa} ${sp}'`,
      );
    } else if (!toServer && this.dp.allBelow(1024) && this.sp.any) {
      this.err(
        this.flowDirAt,
        'flow.header-contradiction',
        `header contradicts 'flow:${this.flowDirText}': its destination is ${da} port ${dp} (a server port) and its source ${sa} port ${sp}, ` +
          `but ${this.flowDirText} traffic goes from the server to the client; write '${da} ${dp} -> ${sa} ${sp}'`,
      );
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Build

  private build(sid: number): CompiledRule {
    const unit: RuleUnit = this.isDce ? 'dcerpc' : 'packet';
    const payloadOps = finalizeOps(this.payloadOps);
    // an empty stub list still means "needs stub data" (a bare dce_stub_data matches when there is a stub)
    const stubOps = this.stubOps ? (finalizeOps(this.stubOps) ?? []) : null;
    const cls = this.classtype ? this.c.classtype(this.classtype) : undefined;
    const priority = this.priority ?? cls?.priority ?? DEFAULT_PRIORITY;
    const src = this.src!;
    const dst = this.dst!;
    const sp = this.sp!;
    const dp = this.dp!;
    const portsIgnored = unit === 'dcerpc' && !this.c.strictPortsOn;
    const protoMask = this.protocol === 'tcp' ? 1 : this.protocol === 'udp' ? 2 : this.protocol === 'ip' ? 7 : 1;

    // prefilter: the fast_pattern content, else the longest positive content (payload first on a tie). A content
    // pinned to a small window (e.g. |05 00 03| offset:0 depth:3) is not worth a scan of the whole buffer: checking
    // it in place is cheaper, so it only serves when marked fast_pattern.
    const candidates: { op: ContentOp; buffer: number }[] = [];
    const usable = (o: ContentOp) => !o.negated && (o.fastPattern || !pinnedToSmallWindow(o));
    for (const o of payloadOps ?? []) if (o.op === OP_CONTENT && usable(o)) candidates.push({ op: o, buffer: 1 });
    for (const o of stubOps ?? []) if (o.op === OP_CONTENT && usable(o)) candidates.push({ op: o, buffer: 2 });
    let chosen = candidates.find((x) => x.op.fastPattern) ?? null;
    if (!chosen) for (const x of candidates) if (!chosen || x.op.fpLength > chosen.op.fpLength) chosen = x;
    const fpBytes = chosen ? chosen.op.raw.subarray(chosen.op.fpOffset, chosen.op.fpOffset + chosen.op.fpLength) : null;
    const fpNocase = chosen ? chosen.op.nocase : false;

    const bitChecks = this.flowbits.filter((f) => f.cmd === 'isset' || f.cmd === 'isnotset');
    const bitActions = this.flowbits.filter((f) => f.cmd !== 'isset' && f.cmd !== 'isnotset' && f.cmd !== 'noalert');
    const flowbitRole =
      bitActions.length > 0 && bitChecks.length === 0 ? 0 : bitActions.length > 0 ? 1 : bitChecks.length > 0 ? 2 : 3;
    const ipOnly =
      unit === 'packet' &&
      sp.any &&
      dp.any &&
      payloadOps === null &&
      this.flowFlags === 0 &&
      this.dsize === null &&
      this.tcpChecks.length === 0 &&
      bitChecks.length === 0;

    const pos = this.map.at(0);
    const rule: CompiledRule = {
      index: this.index,
      gid: this.gid,
      sid,
      rev: this.rev,
      action: this.action,
      writtenAction: this.writtenAction,
      protocol: this.protocol,
      msg: this.msg,
      classtype: this.classtype,
      category: cls?.description ?? '',
      priority,
      severity: priority,
      references: this.references,
      metadata: this.metadata,
      tag: this.tag,
      unit,
      noalert: this.noalert,
      flowbits: this.flowbits,
      portsIgnored,
      ipOnly,
      requires: this.requires,
      file: this.st.file,
      line: pos.line,
      text: this.text,
      matchCount: 0,
      matchRef: null as unknown as RuleMatch,
      protoMask,
      src,
      dst,
      sp,
      dp,
      bidi: this.bidi,
      headerAny: src.any && dst.any && (portsIgnored || (sp.any && dp.any)),
      flowFlags: this.flowFlags,
      tcpChecks: this.tcpChecks.length ? this.tcpChecks : null,
      iface: this.iface,
      opnums: this.opnums ? Uint32Array.from(this.opnums) : null,
      callIface: this.callIface,
      callOpnums: this.callOpnums ? Uint32Array.from(this.callOpnums) : null,
      fault: this.fault,
      hresult: this.hresult,
      clsids: this.clsids,
      authLevels: this.authLevels,
      dsize: this.dsize,
      bitChecks: bitChecks.length ? bitChecks : null,
      bitActions: bitActions.length ? bitActions : null,
      payloadOps,
      stubOps,
      fpBuffer: chosen ? chosen.buffer : 0,
      fpBytes,
      fpNocase,
      flowbitRole,
      varSlots: this.extractVars.size,
    };
    (rule as { matchRef: RuleMatch }).matchRef = { rule };
    this.c.noteBitReads(
      rule,
      this.bitReadPos.map((b) => ({ name: b.name, file: this.st.file, ...this.map.at(b.at) })),
    );
    return rule;
  }
}

/** An absolute content whose whole window (offset + depth, constants) lies within the first 64 bytes. */
function pinnedToSmallWindow(o: ContentOp): boolean {
  if (o.relative || o.depth === null || o.depth.v >= 0) return false;
  const off = o.offset === null ? 0 : o.offset.v >= 0 ? Number.POSITIVE_INFINITY : o.offset.c;
  return off + o.depth.c <= 64;
}

/** Does a '[' list opened before `at` close before the header ends ('->', '<>' or '(')? */
function closesBeforeHeaderEnd(text: string, at: number, depth: number): boolean {
  for (let i = at; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(' || (ch === '-' && text[i + 1] === '>') || (ch === '<' && text[i + 1] === '>')) return false;
    if (ch === '[') depth++;
    else if (ch === ']' && --depth === 0) return true;
  }
  return false;
}

/** `name: "…` with an odd number of unescaped plain quotes and no typographic closing quote. */
function opensQuote(piece: string): boolean {
  const colon = piece.indexOf(':');
  if (colon < 0) return false;
  const v = piece.slice(colon + 1).trim();
  if (!/^!?\s*"/.test(v) || isTypographicQuote(v[v.length - 1])) return false;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    if (v[i] === '\\') i++;
    else if (v[i] === '"') n++;
  }
  return n % 2 === 1;
}

function hasPlainQuote(piece: string): boolean {
  for (let i = 0; i < piece.length; i++) {
    if (piece[i] === '\\') i++;
    else if (piece[i] === '"') return true;
  }
  return false;
}

/** A var default that is empty by design (legitimate_sources) is not worth an "empty address" warning. */
function isDefaultEmpty(node: SpecNode): boolean {
  return node.k === 'var' && node.name === 'legitimate_sources';
}

/** Lower-case nocase patterns, build skip tables, decide retries. Returns null for an empty list. */
function finalizeOps(ops: InspectOp[]): InspectOp[] | null {
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i];
    if (o.op === OP_CONTENT) {
      if (o.nocase) o.pat = o.raw.map((b) => LOWER[b]);
      o.skip = buildSkip(o.pat, o.nocase);
    }
    if (o.op === OP_CONTENT || o.op === OP_PCRE) {
      // retry only pays when the next positional option depends on where this one matched
      let next: InspectOp | undefined;
      for (let j = i + 1; j < ops.length; j++) {
        if (ops[j].op !== OP_BSIZE) {
          next = ops[j];
          break;
        }
      }
      o.retry = !o.negated && next !== undefined && isRelative(next);
    }
  }
  return ops.length ? ops : null;
}
