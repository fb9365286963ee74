#!/usr/bin/env node
/**
 * Pipeline throughput on the local broker: sensor → ingest → detect (×1, ×2) → enrich, the stack `wmidetect up`
 * runs (packages/cli/src/commands/up-stack.ts), fed with a prefix of the corpus-built replay bench/engine uses.
 *
 *   npm run bench:pipeline                          # 300k frames of the replay; configurations 1,2,2p,1u,1b,1ub
 *   npm run bench:pipeline -- --frames all          # the whole ~500 MB replay (minutes per configuration)
 *   npm run bench:pipeline -- --capture FILE        # any capture
 *   npm run bench:pipeline -- --configs 1,2p --json # pick configurations: N detectors, then any of
 *                                                     p  INGEST_PREFILTER=true
 *                                                     u  INGEST_COMPRESSION=none (uncompressed packet topic)
 *                                                     b  backlog: the capture is loaded into the packet topic with no
 *                                                        detector running, then the detectors start and drain it
 *   npm run bench:pipeline -- --no-write            # do not update docs/BENCHMARKS.md
 *   npm run bench:pipeline -- --from-json FILE      # render (and write) the results a --json run saved
 *
 * Per configuration, on one broker started for the run (fresh topics and groups each time):
 *   wall        from spawning the sensor until detect's emitted-through positions and enrich's committed offsets
 *               reach the end offsets (LocalStack.waitDrained) — the whole capture through to wmi.alerts.v1;
 *               backlog: from spawning the detectors (the sensor has finished) until the same drain
 *   Mbit/s      capture file bytes × 8 / wall;  packets/s = frames the sensor sent / wall
 *   detect CPU  user+system seconds of the detector processes during the run (/proc/<pid>/stat);
 *               "Gbit/s per detector core" = captured bits / detect CPU seconds: what one fully busy detector core
 *               gets through, independent of how the 2 cores of this machine are shared with the broker and the
 *               other services. Live configurations start counting once the detectors are ready; backlog ones
 *               count from spawn and subtract the start-up CPU (module load, rules, group join) the live
 *               configurations of the same run measured (spawn to ready on an empty topic)
 *   Kafka bytes the packet topic's log segment bytes on the broker's disk (record batches as produced) ÷
 *               capture bytes
 *   latency     per alert on wmi.alerts.v1: its CreateTime (enrich's produce) − the CreateTime of the packet record
 *               that produced it (ingest's produce; detect's `detect.source` header, kept by enrich). Measured
 *               under a full-speed replay, so it includes queueing behind the backlog.
 * Alerts are checked against `wmidetect analyze` on the same capture (same alert ids) — a fast wrong pipeline
 * does not get a row.
 *
 * Requires `npx tsc -b`, Java 17 and the Kafka jars (scripts/kafka/fetch.sh), editcap for --frames.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const cacheDir = path.join(os.homedir(), '.cache', 'wmi-detect', 'bench');
const replay = path.join(cacheDir, 'replay.pcap');
const benchmarksMd = path.join(repoRoot, 'docs', 'BENCHMARKS.md');

function parseArgs(argv) {
  const o = { capture: null, frames: '300000', configs: '1,2,2p,1u,1b,1ub', json: false, write: true, fromJson: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--capture') o.capture = path.resolve(next());
    else if (a === '--frames') o.frames = next();
    else if (a === '--configs') o.configs = next();
    else if (a === '--json') o.json = true;
    else if (a === '--no-write') o.write = false;
    else if (a === '--from-json') o.fromJson = path.resolve(next());
    else if (a === '-h' || a === '--help') {
      process.stdout.write(
        'usage: node bench/pipeline/run.mjs [--capture FILE] [--frames N|all] [--configs 1,2,2p] [--json] [--no-write]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (o.frames !== 'all' && !/^\d+$/.test(o.frames)) throw new Error(`--frames must be a number or all`);
  o.configList = o.configs.split(',').map((c) => {
    const m = /^(\d+)(p?)(u?)(b?)$/.exec(c.trim());
    if (!m || Number(m[1]) < 1)
      throw new Error(`--configs: '${c}' is not N followed by any of p, u, b (in that order)`);
    return { detectors: Number(m[1]), prefilter: m[2] === 'p', uncompressed: m[3] === 'u', backlog: m[4] === 'b' };
  });
  return o;
}

const say = (m) => process.stderr.write(`bench:pipeline: ${m}\n`);

function captureFor(o) {
  let src = o.capture;
  if (!src) {
    if (!existsSync(replay))
      throw new Error(`${replay} is missing: run \`npm run bench:engine\` once (it builds it), or pass --capture FILE`);
    src = replay;
  }
  if (o.frames === 'all') return src;
  const out = path.join(cacheDir, `pipeline-${path.basename(src, path.extname(src))}-${o.frames}.pcap`);
  if (existsSync(out)) return out;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${out}.tmp`;
  const r = spawnSync('editcap', ['-F', 'pcap', '-r', src, tmp, `1-${o.frames}`], { stdio: 'inherit' });
  if (r.status !== 0)
    throw new Error(`editcap failed (${r.error?.message ?? r.status}); install tshark or pass --frames all`);
  renameSync(tmp, out);
  return out;
}

function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks (USER_HZ 100)
  } catch {
    return 0;
  }
}

function segmentBytes(dataDir, topic) {
  let total = 0;
  for (const d of readdirSync(dataDir)) {
    if (!d.startsWith(`${topic}-`) || !/^\d+$/.test(d.slice(topic.length + 1))) continue;
    for (const f of readdirSync(path.join(dataDir, d)))
      if (f.endsWith('.log')) total += statSync(path.join(dataDir, d, f)).size;
  }
  return total;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function analyzeAlertIds(capture) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(repoRoot, 'bin', 'wmidetect.mjs'), 'analyze', capture], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let buf = '';
    const ids = [];
    p.stdout.setEncoding('utf8').on('data', (c) => {
      buf += c;
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.includes('"event_type":"alert"')) ids.push(JSON.parse(line).alert_id);
        nl = buf.indexOf('\n');
      }
    });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(ids.sort()) : reject(new Error(`analyze exited ${code}`))));
  });
}

async function runConfig(LocalStack, broker, capture, captureBytes, cfg, offlineIds, startupRef) {
  const name = `${cfg.detectors}${cfg.prefilter ? 'p' : ''}${cfg.uncompressed ? 'u' : ''}${cfg.backlog ? 'b' : ''}`;
  const tag = `${Date.now().toString(36)}-${name}`;
  const topics = {
    packets: `bench.packets.${tag}`,
    detections: `bench.detections.${tag}`,
    dlq: `bench.dlq.${tag}`,
    alerts: `bench.alerts.${tag}`,
    suppressed: `bench.suppressed.${tag}`,
    refAssets: `bench.ref-assets.${tag}`,
    refWhitelist: `bench.ref-whitelist.${tag}`,
    detectState: `bench.detect-state.${tag}`,
  };
  const stack = await LocalStack.start({
    brokers: broker.bootstrap,
    // backlog: no detector while the capture is loaded into the packet topic
    detectors: cfg.backlog ? 0 : cfg.detectors,
    partitions: 4,
    topics,
    detectGroupId: `bench-detect-${tag}`,
    enrichGroupId: `bench-enrich-${tag}`,
    env: {
      LOG_LEVEL: 'warn',
      INGEST_PREFILTER: String(cfg.prefilter),
      INGEST_COMPRESSION: cfg.uncompressed ? 'none' : 'gzip',
      // tuning under test, from the caller's environment (defaults otherwise)
      ...Object.fromEntries(
        ['DETECT_COMMIT_INTERVAL_MS', 'DETECT_COMMIT_MAX_OUTPUTS']
          .filter((k) => process.env[k])
          .map((k) => [k, process.env[k]]),
      ),
    },
    say: (m) => say(`[${name}] ${m}`),
  });
  try {
    const pids = Object.fromEntries(stack.services.map((s) => [s.name, s.pid]));
    const cpu0 = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, cpuSeconds(pid)]));
    // CPU a detector spent from spawn to ready (module load, rules, group join) on an empty topic: the fixed cost
    // the backlog configuration subtracts.
    const startup = Object.fromEntries(Object.entries(cpu0).filter(([n]) => n.startsWith('detect-')));
    let t0 = process.hrtime.bigint();
    const sensor = await stack.replay(capture);
    const tSensor = process.hrtime.bigint();
    const sensorSeconds = Number(tSensor - t0) / 1e9;
    if (cfg.backlog) {
      // The packet topic now holds the whole capture (the sensor finished: ingest answered 202 after acks=all).
      // The clock restarts with the detectors, which drain it with every core to themselves but the broker's.
      t0 = process.hrtime.bigint();
      for (const s of await stack.addDetectors(cfg.detectors)) {
        pids[s.name] = s.pid;
        cpu0[s.name] = 0;
        startup[s.name] = startupRef ?? cpuSeconds(s.pid);
      }
    }
    await stack.waitDrained();
    const t1 = process.hrtime.bigint();
    const cpu = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, cpuSeconds(pid) - cpu0[n]]));
    const wall = Number(t1 - t0) / 1e9;
    let detectCpu = Object.entries(cpu)
      .filter(([n]) => n.startsWith('detect-'))
      .reduce((a, [, v]) => a + v, 0);
    const startupCpu = cfg.backlog ? Object.values(startup).reduce((a, v) => a + v, 0) : 0;
    detectCpu -= startupCpu;

    // Alerts: same ids as analyze, and their latency from the packet record that produced them.
    const alerts = [];
    await stack.scanTopic(topics.alerts, (r) => {
      const rec = JSON.parse(r.value.toString('utf8'));
      if (rec.event_type === 'alert')
        alerts.push({ id: rec.alert_id, ts: r.timestamp, source: r.headers['detect.source']?.toString() });
    });
    const ids = alerts.map((a) => a.id).sort();
    const same = ids.length === offlineIds.length && ids.every((id, i) => id === offlineIds[i]);
    const wanted = new Map(alerts.filter((a) => a.source).map((a) => [a.source, null]));
    await stack.scanTopic(topics.packets, (r) => {
      const k = `${r.topic}/${r.partition}/${r.offset}`;
      if (wanted.has(k)) wanted.set(k, r.timestamp);
    });
    const latencies = alerts
      .map((a) => (a.source && wanted.get(a.source) != null ? a.ts - wanted.get(a.source) : null))
      .filter((x) => x !== null)
      .sort((a, b) => a - b);
    const kafkaBytes = segmentBytes(path.join(broker.dir, 'data'), topics.packets);
    const frames = Number(sensor?.framesSent ?? 0);
    const startupValues = Object.values(startup);
    return {
      config: `${cfg.detectors} detector${cfg.detectors > 1 ? 's' : ''}${cfg.prefilter ? ', pre-filter' : ''}${cfg.uncompressed ? ', uncompressed' : ''}${cfg.backlog ? ', backlog' : ''}`,
      detectors: cfg.detectors,
      prefilter: cfg.prefilter,
      uncompressed: cfg.uncompressed,
      backlog: cfg.backlog,
      frames,
      captureBytes,
      wallSeconds: wall,
      sensorSeconds,
      detectStartupCpuSeconds: startupValues.length
        ? startupValues.reduce((a, v) => a + v, 0) / startupValues.length
        : null,
      detectStartupSubtracted: startupCpu,
      packetsPerSecond: frames / wall,
      mbitPerSecond: (captureBytes * 8) / wall / 1e6,
      cpuSeconds: cpu,
      detectCpuSeconds: detectCpu,
      gbitPerDetectorCore: detectCpu > 0 ? (captureBytes * 8) / detectCpu / 1e9 : Number.NaN,
      kafkaBytesPerCapturedByte: kafkaBytes / captureBytes,
      alerts: ids.length,
      alertsMatchAnalyze: same,
      latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), n: latencies.length },
    };
  } finally {
    await stack.stop();
  }
}

function markdown(results, capture, captureBytes) {
  const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const lines = [
    '## Pipeline',
    '',
    `\`npm run bench:pipeline\` (bench/pipeline/run.mjs), ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores ` +
      `(${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, one local Kafka broker (KRaft, ` +
      'same machine), 4 partitions. Everything — broker, sensor, ingest, detectors, enrich — shares these cores.',
    '',
    `Capture: \`${path.basename(capture)}\`, ${(captureBytes / 1e6).toFixed(1)} MB, ${results[0]?.frames ?? 0} frames (a prefix ` +
      'of the corpus replay bench/engine uses). Wall time: sensor start until detect and enrich have committed the ' +
      'last record (drain measured on committed offsets, as `wmidetect up` does). Latency: alert on wmi.alerts.v1 ' +
      '(enrich produce time) minus the producing packet record (ingest produce time), under the full-speed replay. ' +
      '*Uncompressed*: `INGEST_COMPRESSION=none`. *Backlog*: the capture is loaded into the packet topic with no ' +
      'detector running, then the detectors start and drain it — wall time and detect CPU count from their start ' +
      '(minus the start-up CPU the live rows measured: module load, rules, group join), and latency includes the ' +
      'time the records waited for them.',
    '',
    '| Configuration | Wall s | packets/s | Mbit/s | detect CPU s | Gbit/s per detector core | Kafka bytes / captured byte | Alert latency p50 / p99 ms | Alerts = analyze |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of results)
    lines.push(
      `| ${r.config} | ${f(r.wallSeconds)} | ${f(r.packetsPerSecond, 0)} | ${f(r.mbitPerSecond)} | ${f(r.detectCpuSeconds)} | ` +
        `${f(r.gbitPerDetectorCore, 2)} | ${f(r.kafkaBytesPerCapturedByte, 3)} | ${f(r.latencyMs.p50, 0)} / ${f(r.latencyMs.p99, 0)} | ` +
        `${r.alertsMatchAnalyze ? `yes (${r.alerts})` : `NO (${r.alerts})`} |`,
    );
  lines.push(
    '',
    'Reading it: on a 2-core machine the pipeline is bound by the cores the broker, ingest and the sensor need, not ' +
      'by detect — adding a detector adds parallelism the machine does not have. "Gbit/s per detector core" is the ' +
      'figure that scales out: captured bits per CPU-second of detector processes, which includes the Kafka fetch, ' +
      'decompression, PacketRecord decoding and the output transactions around the engine (compare the engine ' +
      'alone above). The backlog rows show a detector that is never starved by the live sensor; the uncompressed ' +
      'rows what gzip on the packet topic costs ingest and detect. The pre-filter drops payload of connections ' +
      'already classified as not DCE/RPC at ingest, so the packet topic carries less than half the bytes and every ' +
      'stage after ingest does less work.',
  );
  lines.push('', 'CPU seconds per process in the run (JSON: `npm run bench:pipeline -- --json`):', '');
  for (const r of results)
    lines.push(
      `- ${r.config}: ${Object.entries(r.cpuSeconds)
        .map(([n, v]) => `${n} ${v.toFixed(1)}`)
        .join(', ')}`,
    );
  return `${lines.join('\n')}\n`;
}

/** Replaces our own "## Pipeline" section (always the last one we write) or appends it; re-reads the file first. */
function writeSection(md) {
  const current = existsSync(benchmarksMd) ? readFileSync(benchmarksMd, 'utf8') : '# Benchmarks\n';
  const start = current.search(/^## Pipeline\s*$/m);
  let next;
  if (start < 0) next = `${current.trimEnd()}\n\n${md}`;
  else {
    const rest = current.slice(start + 1);
    const end = rest.search(/^## /m);
    next = `${current.slice(0, start).trimEnd()}\n\n${md}${end < 0 ? '' : `\n${rest.slice(end)}`}`;
  }
  writeFileSync(benchmarksMd, next);
  say(`wrote the Pipeline section of ${path.relative(repoRoot, benchmarksMd)}`);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.fromJson) {
    const saved = JSON.parse(readFileSync(o.fromJson, 'utf8'));
    const md = markdown(saved.results, saved.capture, saved.captureBytes);
    process.stdout.write(md);
    if (o.write) writeSection(md);
    return;
  }
  const stackModule = path.join(repoRoot, 'packages/cli/dist/commands/up-stack.js');
  const kafkaModule = path.join(repoRoot, 'packages/kafka/dist/index.js');
  if (!existsSync(stackModule)) throw new Error('packages/cli/dist is missing: run `npx tsc -b` first');
  const { LocalStack } = await import(stackModule);
  const { startLocalBroker } = await import(kafkaModule);
  const capture = captureFor(o);
  const captureBytes = statSync(capture).size;
  say(`capture ${capture} (${(captureBytes / 1e6).toFixed(1)} MB); offline reference: wmidetect analyze`);
  const offlineIds = await analyzeAlertIds(capture);
  say(`analyze: ${offlineIds.length} alerts`);
  const broker = await startLocalBroker({ heap: '1g' });
  const results = [];
  try {
    // Live configurations first: their detectors reach ready on an empty topic, which measures start-up CPU.
    const ordered = [...o.configList].sort((a, b) => Number(a.backlog) - Number(b.backlog));
    for (const cfg of ordered) {
      const live = results.filter((r) => !r.backlog && r.detectStartupCpuSeconds !== null);
      const startupRef = live.length ? live.reduce((a, r) => a + r.detectStartupCpuSeconds, 0) / live.length : null;
      const r = await runConfig(LocalStack, broker, capture, captureBytes, cfg, offlineIds, startupRef);
      say(
        `${r.config}: ${r.wallSeconds.toFixed(1)} s, ${r.mbitPerSecond.toFixed(1)} Mbit/s, ${r.gbitPerDetectorCore.toFixed(2)} Gbit/s per detector core, alerts ${r.alertsMatchAnalyze ? 'match' : 'DIFFER'}`,
      );
      results.push(r);
    }
  } finally {
    await broker.stop();
  }
  if (o.json) process.stdout.write(`${JSON.stringify({ capture, captureBytes, results }, null, 2)}\n`);
  const md = markdown(results, capture, captureBytes);
  if (!o.json) process.stdout.write(md);
  if (o.write) writeSection(md);
  if (results.some((r) => !r.alertsMatchAnalyze)) {
    say('the pipeline did not give the alerts analyze gives: see above');
    process.exitCode = 1;
  }
}

main().catch((e) => {
  say(e?.stack ?? String(e));
  process.exitCode = 1;
});
