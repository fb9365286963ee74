#!/usr/bin/env node
/**
 * Engine throughput on one core: the ~500 MB replay built from ../shared/corpus/pcaps by
 * ../shared/tools/make-bench-capture.sh (the file the Snort 3 comparison in docs/BENCHMARKS.md uses).
 *
 *   npm run bench:engine                      # build the replay once (cached), 3 engine runs + 1 CLI run, markdown
 *   npm run bench:engine -- --runs 5 --json   # machine-readable
 *   npm run bench:engine -- --mode engine     # engine only (in-process); --mode cli: `wmidetect analyze` end to end
 *   npm run bench:engine -- --capture FILE    # any other capture instead of the replay
 *   npm run bench:engine -- --sessions        # also write dcerpc_session records (analyze --sessions)
 *
 * Engine mode: each run is a fresh child process (so peak RSS and the JIT start cold, as a sensor's would) that reads
 * the capture with openCapture(...).forEach, feeds Engine.processFrame with rules/wmi.rules and serialises every
 * record with JSON.stringify the way the CLI does (lines counted, then dropped: the /dev/null of the CLI mode).
 * CLI mode: `node bin/wmidetect.mjs analyze CAPTURE > /dev/null`, timed from spawn to exit (includes
 * Node start-up, module loading and rule compilation), peak RSS from the child's resource usage.
 *
 * Mbit/s = capture file bytes × 8 / wall time of the run (what "reads a 496 MB file in N s" means for Snort);
 * packets/s = frames / wall time. Requires the engine built (`npx tsc -b`) and, for the replay, mergecap/editcap/
 * capinfos (Debian: apt-get install tshark).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const shared = path.resolve(repoRoot, '../shared');
const cacheDir = path.join(os.homedir(), '.cache', 'wmi-detect', 'bench');

// Snort 3 on the same replay, same machines (one packet thread, the seven seed rules): from the project's bar.
const SNORT = { seconds: [2, 3], gbps: [1.3, 1.9], peakMiB: 54 };

function parseArgs(argv) {
  const o = { runs: 3, cliRuns: 1, mode: 'both', json: false, capture: null, sessions: false, child: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--runs') o.runs = Number.parseInt(next(), 10);
    else if (a === '--cli-runs') o.cliRuns = Number.parseInt(next(), 10);
    else if (a === '--mode') o.mode = next();
    else if (a === '--json') o.json = true;
    else if (a === '--capture') o.capture = path.resolve(next());
    else if (a === '--sessions') o.sessions = true;
    else if (a === '--child') o.child = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(
        'usage: node bench/engine/run.mjs [--runs N] [--cli-runs N] [--mode engine|cli|both] [--capture FILE] [--sessions] [--json]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!['engine', 'cli', 'both'].includes(o.mode)) throw new Error(`--mode must be engine, cli or both, got ${o.mode}`);
  if (!(o.runs >= 0) || !(o.cliRuns >= 0)) throw new Error('--runs/--cli-runs must be non-negative integers');
  return o;
}

// --- the replay --------------------------------------------------------------------------------------------------

function have(tool) {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

function ensureReplay() {
  const out = path.join(cacheDir, 'replay.pcap');
  if (existsSync(out)) return out;
  const script = path.join(shared, 'tools', 'make-bench-capture.sh');
  const pcaps = path.join(shared, 'corpus', 'pcaps');
  if (!existsSync(script) || !existsSync(pcaps)) {
    throw new Error(`cannot build the replay: ${script} or ${pcaps} is missing (pass --capture FILE instead)`);
  }
  for (const t of ['mergecap', 'editcap', 'capinfos']) {
    if (!have(t)) throw new Error(`cannot build the replay: ${t} not found (Debian: apt-get install tshark)`);
  }
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  process.stderr.write(`bench: building the replay ${out} (once) …\n`);
  const r = spawnSync('bash', [script, pcaps, tmp], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`make-bench-capture.sh failed with exit ${r.status}`);
  renameSync(tmp, out);
  return out;
}

// --- one engine run (child process) ------------------------------------------------------------------------------

async function childRun(capture, sessions) {
  const engineLib = path.join(repoRoot, 'packages', 'engine', 'dist', 'index.js');
  if (!existsSync(engineLib)) throw new Error(`${engineLib} missing: run npx tsc -b first`);
  const { Engine, loadRules, openCapture } = await import(engineLib);
  const t0 = process.hrtime.bigint();
  const loaded = loadRules({ ruleFiles: [path.join(repoRoot, 'rules', 'wmi.rules')] });
  if (loaded.errorCount > 0) throw new Error(`rules/wmi.rules has ${loaded.errorCount} error(s)`);
  let lines = 0;
  let outBytes = 0;
  const engine = new Engine({
    ruleSet: loaded.ruleSet,
    capture,
    sessionRecords: sessions,
    onRecord: (rec) => {
      // what the CLI does with a record, minus the write
      outBytes += JSON.stringify(rec).length + 1;
      lines++;
    },
  });
  const t1 = process.hrtime.bigint();
  let frameNo = 0;
  let error = null;
  try {
    await openCapture(capture).forEach((frame) => {
      engine.processFrame(frame, frameNo++);
    });
  } catch (e) {
    error = String(e?.message ?? e);
  }
  engine.finish();
  const t2 = process.hrtime.bigint();
  const stats = engine.stats();
  const ru = process.resourceUsage();
  const mem = process.memoryUsage();
  return {
    setupMs: Number(t1 - t0) / 1e6,
    elapsedMs: Number(t2 - t1) / 1e6,
    cpuUserMs: ru.userCPUTime / 1000,
    cpuSystemMs: ru.systemCPUTime / 1000,
    maxRssKiB: ru.maxRSS,
    heapUsedMiB: mem.heapUsed / 2 ** 20,
    heapTotalMiB: mem.heapTotal / 2 ** 20,
    frames: stats.frames,
    packets: stats.packets,
    connections: stats.connections,
    dcerpcConnections: stats.dcerpc_connections,
    pdus: stats.dcerpc_pdus,
    alerts: stats.alerts,
    alertsBySid: stats.alerts_by_sid,
    records: lines,
    outputBytes: outBytes,
    error,
  };
}

function spawnJson(args, env = process.env) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
    let out = '';
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) reject(new Error(`bench child exited with ${code}`));
      else resolve(JSON.parse(out));
    });
  });
}

// --- one CLI run ---------------------------------------------------------------------------------------------------

/**
 * `node bin/wmidetect.mjs analyze [--sessions] CAPTURE > /dev/null`, wall time from spawn to exit. The child's peak RSS
 * comes from GNU time (`%M`, the child's getrusage) when /usr/bin/time exists; its own cost is a fork/exec.
 */
function cliRun(capture, sessions) {
  const cli = [path.join(repoRoot, 'bin', 'wmidetect.mjs'), 'analyze', '--no-progress'];
  if (sessions) cli.push('--sessions');
  cli.push(capture);
  const gnuTime = existsSync('/usr/bin/time');
  const [cmd, args] = gnuTime ? ['/usr/bin/time', ['-f', '%M', process.execPath, ...cli]] : [process.execPath, cli];
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', gnuTime ? 'pipe' : 'inherit'] });
    let err = '';
    p.stderr?.setEncoding('utf8');
    p.stderr?.on('data', (d) => {
      err += d;
    });
    p.on('error', reject);
    p.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0 && code !== 3) return reject(new Error(`wmidetect analyze exited with ${code}: ${err}`));
      const m = /(\d+)\s*$/.exec(err);
      resolve({ elapsedMs: ms, exit: code, maxRssKiB: gnuTime && m ? Number(m[1]) : null });
    });
  });
}

// --- report --------------------------------------------------------------------------------------------------------

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? Number.NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    v8: process.versions.v8,
  };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.child) {
    process.stdout.write(JSON.stringify(await childRun(o.capture, o.sessions)));
    return;
  }
  const capture = o.capture ?? ensureReplay();
  let st;
  try {
    st = statSync(capture);
  } catch (e) {
    throw new Error(`cannot read the capture: ${e.message}`);
  }
  if (!st.isFile()) throw new Error(`${capture} is not a regular file`);
  const size = st.size;
  const results = { machine: machine(), capture: { file: capture, bytes: size }, snort3: SNORT, engine: [], cli: [] };
  const self = fileURLToPath(import.meta.url);

  if (o.mode !== 'cli') {
    for (let i = 0; i < o.runs; i++) {
      const args = [self, '--child', '--capture', capture];
      if (o.sessions) args.push('--sessions');
      const r = await spawnJson(args);
      r.mbps = (size * 8) / (r.elapsedMs / 1000) / 1e6;
      r.pps = r.frames / (r.elapsedMs / 1000);
      results.engine.push(r);
      if (!o.json) process.stderr.write(`bench: engine run ${i + 1}/${o.runs}: ${f2(r.elapsedMs / 1000)} s\n`);
    }
  }
  if (o.mode !== 'engine') {
    for (let i = 0; i < o.cliRuns; i++) {
      const r = await cliRun(capture, o.sessions);
      r.mbps = (size * 8) / (r.elapsedMs / 1000) / 1e6;
      results.cli.push(r);
      if (!o.json) process.stderr.write(`bench: cli run ${i + 1}/${o.cliRuns}: ${f2(r.elapsedMs / 1000)} s\n`);
    }
  }

  const e = results.engine;
  if (e.length > 0) {
    const ms = median(e.map((r) => r.elapsedMs));
    results.summary = {
      medianSeconds: ms / 1000,
      bestSeconds: Math.min(...e.map((r) => r.elapsedMs)) / 1000,
      medianGbps: (size * 8) / (ms / 1000) / 1e9,
      medianPps: e[0].frames / (ms / 1000),
      peakRssMiB: Math.max(...e.map((r) => r.maxRssKiB)) / 1024,
    };
  }

  if (o.json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return;
  }
  const m = results.machine;
  const lines = [];
  lines.push(`## Engine benchmark — ${path.basename(capture)} (${f1(size / 1e6)} MB)`);
  lines.push('');
  lines.push(`Machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, ${m.os}, Node ${m.node} (V8 ${m.v8}); one thread.`);
  if (e.length > 0) {
    const r0 = e[0];
    lines.push(
      `Capture: ${int(r0.frames)} frames, ${int(r0.connections)} TCP connections (${int(r0.dcerpcConnections)} DCE/RPC), ${int(r0.pdus)} DCE/RPC PDUs.`,
    );
  }
  lines.push('');
  lines.push(
    '| run | wall s | packets/s | Mbit/s | CPU user s | CPU sys s | peak RSS MiB | heap used MiB | alerts | records |',
  );
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  e.forEach((r, i) => {
    lines.push(
      `| engine #${i + 1} | ${f2(r.elapsedMs / 1000)} | ${int(r.pps)} | ${int(r.mbps)} | ${f2(r.cpuUserMs / 1000)} | ${f2(r.cpuSystemMs / 1000)} | ${f1(r.maxRssKiB / 1024)} | ${f1(r.heapUsedMiB)} | ${int(r.alerts)} | ${int(r.records)} |`,
    );
  });
  results.cli.forEach((r, i) => {
    const rss = r.maxRssKiB != null ? f1(r.maxRssKiB / 1024) : '–';
    lines.push(
      `| \`wmidetect analyze${o.sessions ? ' --sessions' : ''}\` #${i + 1} (end to end) | ${f2(r.elapsedMs / 1000)} | – | ${int(r.mbps)} | – | – | ${rss} | – | – | – |`,
    );
  });
  // Snort's figures are for the replay only
  if (o.capture === null)
    lines.push(
      `| Snort 3 (reference) | ${SNORT.seconds[0]}–${SNORT.seconds[1]} | – | ${SNORT.gbps[0] * 1000}–${SNORT.gbps[1] * 1000} | – | – | ${SNORT.peakMiB} | – | – | – |`,
    );
  if (results.summary) {
    const s = results.summary;
    lines.push('');
    lines.push(
      `Engine median: ${f2(s.medianSeconds)} s (best ${f2(s.bestSeconds)} s) = ${f2(s.medianGbps)} Gbit/s per core, ${int(s.medianPps)} packets/s; peak RSS ${f1(s.peakRssMiB)} MiB.`,
    );
    const bySid = e[0].alertsBySid ?? {};
    lines.push('');
    lines.push('| sid | alerts |');
    lines.push('| --- | ---: |');
    for (const sid of Object.keys(bySid).sort()) lines.push(`| ${sid} | ${int(bySid[sid])} |`);
    const errs = e.filter((r) => r.error !== null);
    if (errs.length > 0) lines.push('', `Capture error (everything before it was processed): ${errs[0].error}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err) => {
  // usage and environment errors are one line; BENCH_DEBUG=1 shows where
  process.stderr.write(`bench: ${process.env.BENCH_DEBUG ? (err?.stack ?? err) : (err?.message ?? err)}\n`);
  process.exitCode = 1;
});
