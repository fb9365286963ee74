/**
 * `wmidetect analyze [--rules FILE]... [--var NAME=VALUE]... [--vars FILE]... [--strict] CAPTURE...`
 *
 * One JSON object per line on stdout: alerts, dcerpc_session records (unless --no-sessions) and tag records (for
 * tag:session rules) as the engine writes them, then one `stats` record. Each capture gets its own engine (their
 * timelines are unrelated). Exit 0 ok; 2 usage or rule errors (rule errors only with --strict; a rule file that
 * cannot be read always); 3 when a capture could not be read completely — after everything before the damage was
 * analysed and printed.
 */
import {
  CaptureError,
  Engine,
  type EngineStats,
  type EveRecord,
  eveTimestamp,
  formatDiagnostic,
  loadRules,
  openCapture,
  type RuleSet,
} from '@wmi-detect/engine';
import { all, intOption, one, parseArgs, UsageError } from '../args.js';
import { ProgressLine } from '../progress.js';
import { sumInto } from '../sum.js';

export const ANALYZE_USAGE = `usage: wmidetect analyze [options] CAPTURE...   (CAPTURE '-' reads standard input)
  --rules FILE            rule file (repeatable; default rules/wmi.rules and rules/wmi-extended.rules)
  --var NAME=VALUE        rule variable (repeatable), e.g. --var HOME_NET=[10.0.0.0/8]
  --vars FILE             variables file (ipvar/portvar/var lines or NAME=VALUE)
  --classification FILE   classification.config instead of Snort's standard table
  --strict                exit 2 when any rule has an error (default: report, load the good ones)
  --strict-ports          check header ports of DCE/RPC rules too (default: any port recognised as DCE/RPC)
  --stub-buffer ndr|suricata
                          what dce_stub_data inspects: the NDR stub (default, Snort) or Suricata's buffer
  --reassembly-depth BYTES
                          decode only the first BYTES of each direction as DCE/RPC (default: all)
  --no-sessions           do not write the dcerpc_session record of each DCE/RPC connection (written by default
                          when the connection ends or idles out; --sessions is accepted for compatibility)
  --session-window SECS   how long after an activation a new connection may tie to it (default 120)
  --midstream-established immediate|both
                          when a connection picked up midstream counts as established (default immediate)
  --no-insight            do not decode clear WMI/DCOM stubs
  --no-stats              do not write the closing stats record
  --progress / --no-progress   force progress on stderr on or off (default: on when stderr is a terminal)`;

export interface AnalyzeIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
}

export async function analyze(argv: readonly string[], io: AnalyzeIo = defaultIo()): Promise<number> {
  const args = parseArgs(argv, {
    rules: { value: true, repeat: true },
    var: { value: true, repeat: true },
    vars: { value: true, repeat: true },
    classification: { value: true },
    strict: {},
    'strict-ports': {},
    sessions: {},
    'no-sessions': {},
    'session-window': { value: true },
    'stub-buffer': { value: true },
    'reassembly-depth': { value: true },
    'midstream-established': { value: true },
    'no-insight': {},
    'no-stats': {},
    progress: {},
    'no-progress': {},
  });
  if (args.positionals.length === 0) throw new UsageError('analyze needs at least one capture file (or - for stdin)');
  const midstream = one(args, 'midstream-established') ?? 'immediate';
  if (midstream !== 'immediate' && midstream !== 'both') {
    throw new UsageError(`--midstream-established must be 'immediate' or 'both', got '${midstream}'`);
  }
  const windowSecs = intOption(args, 'session-window', 1);
  const reassemblyDepth = intOption(args, 'reassembly-depth', 1);
  const stubBuffer = one(args, 'stub-buffer') ?? 'ndr';
  if (stubBuffer !== 'ndr' && stubBuffer !== 'suricata') {
    throw new UsageError(`--stub-buffer must be 'ndr' or 'suricata', got '${stubBuffer}'`);
  }

  const loaded = loadRules({
    ruleFiles: all(args, 'rules'),
    varArgs: all(args, 'var'),
    varsFiles: all(args, 'vars'),
    classificationFile: one(args, 'classification'),
    strictPorts: args.flags.has('strict-ports'),
    stubBuffer,
  });
  for (const d of loaded.all) io.stderr.write(`wmidetect: ${formatDiagnostic(d)}\n`);
  const fatal = loaded.all.some(
    (d) => d.severity === 'error' && (d.code === 'file.unreadable' || d.code === 'var.syntax'),
  );
  if (fatal || (args.flags.has('strict') && loaded.errorCount > 0)) {
    io.stderr.write(`wmidetect: ${loaded.errorCount} rule error(s); nothing analysed\n`);
    return 2;
  }

  const started = Date.now();
  const showProgress = args.flags.has('progress') || (!args.flags.has('no-progress') && io.stderr.isTTY === true);
  const out = new LineWriter(io.stdout);
  const totals: Record<string, unknown> = {};
  const captures: Record<string, unknown>[] = [];
  let exit = 0;
  for (const file of args.positionals) {
    const r = await analyzeOne(file, loaded.ruleSet, {
      out,
      sessions: !args.flags.has('no-sessions'),
      insight: !args.flags.has('no-insight'),
      windowUs: windowSecs !== undefined ? windowSecs * 1_000_000 : undefined,
      reassemblyDepth,
      midstream: midstream === 'immediate' ? 'immediate' : 'both_directions',
      progress: new ProgressLine(io.stderr, showProgress),
    });
    const entry: Record<string, unknown> = { file, frames: r.stats.frames, alerts: r.stats.alerts };
    if (r.error !== undefined) {
      entry.error = r.error;
      exit = 3;
      io.stderr.write(`wmidetect: ${r.error}\n`);
    }
    captures.push(entry);
    sumInto(totals, r.stats as unknown as Record<string, unknown>);
    loaded.ruleSet.resetCounters();
  }
  if (!args.flags.has('no-stats')) {
    const stats: EveRecord = {
      event_type: 'stats',
      timestamp: eveTimestamp(Date.now() * 1000),
      stats: { ...totals, rules_loaded: loaded.rules.length, captures, elapsed_ms: Date.now() - started },
    };
    out.record(stats);
  }
  await out.flush();
  return exit;
}

interface OneRun {
  out: LineWriter;
  sessions: boolean;
  insight: boolean;
  windowUs: number | undefined;
  reassemblyDepth: number | undefined;
  midstream: 'immediate' | 'both_directions';
  progress: ProgressLine;
}

async function analyzeOne(file: string, ruleSet: RuleSet, o: OneRun): Promise<{ stats: EngineStats; error?: string }> {
  const engine = new Engine({
    ruleSet,
    capture: file === '-' ? 'stdin' : file,
    onRecord: (rec) => o.out.record(rec),
    sessionRecords: o.sessions,
    insight: o.insight,
    sessionWindowUs: o.windowUs,
    reassemblyDepth: o.reassemblyDepth,
    reassembly: { midstreamEstablished: o.midstream },
  });
  let alerts = 0;
  const reader = openCapture(file, {
    onProgress: (p) => {
      alerts = o.out.alerts;
      o.progress.update(p, alerts);
      o.out.flushSoon();
    },
  });
  let error: string | undefined;
  let frameNo = 0;
  try {
    await reader.forEach((frame) => {
      engine.processFrame(frame, frameNo++);
    });
  } catch (e) {
    error = e instanceof CaptureError ? e.message : `${file}: ${(e as Error).message}`;
  } finally {
    engine.finish();
    o.progress.done();
  }
  await o.out.flush();
  return error === undefined ? { stats: engine.stats() } : { stats: engine.stats(), error };
}

/**
 * Buffers JSON lines and writes them in large pieces. The engine calls back synchronously inside the capture
 * reader's per-chunk loop, so lines are collected there and handed to stdout between chunks (flushSoon) — at most
 * one chunk's worth of output is ever held.
 */
class LineWriter {
  private parts: string[] = [];
  private size = 0;
  alerts = 0;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  record(rec: EveRecord): void {
    if (rec.event_type === 'alert') this.alerts++;
    const line = `${JSON.stringify(rec)}\n`;
    this.parts.push(line);
    this.size += line.length;
    if (this.size >= 1 << 20) this.flushSoon();
  }

  flushSoon(): void {
    if (this.parts.length === 0) return;
    this.stream.write(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }

  async flush(): Promise<void> {
    this.flushSoon();
    await new Promise<void>((resolve) => {
      if (!this.stream.write('')) this.stream.once('drain', resolve);
      else resolve();
    });
  }
}

function defaultIo(): AnalyzeIo {
  return { stdout: process.stdout, stderr: process.stderr };
}
