/**
 * `wmidetect up`: the whole pipeline on this machine with one command (up-stack.ts does the work).
 *
 *   wmidetect up                                  broker, topics, ingest, 2 detectors, enrich; prints the endpoints
 *                                                 and runs until Ctrl-C / SIGTERM
 *   wmidetect up --replay CAPTURE --exit          the same, then the capture through `wmidetect sensor`, waits until
 *                                                 the replay has drained through detect and enrich, prints every
 *                                                 record of TOPIC_ALERTS as one JSON line on stdout, stops, exit 0
 *
 * stdout carries only those records; progress goes to stderr. Exit: 0 ok, 1 a service or the drain failed,
 * 2 usage, 130/143 interrupted. Everything started is stopped and the temp dir removed on every path.
 */
import { existsSync } from 'node:fs';
import { ConfigError, envString, topicNamesFromEnv } from '@wmi-detect/kafka';
import { parseArgs, UsageError } from '../args.js';
import { LocalStack } from './up-stack.js';

export const UP_USAGE = `usage: wmidetect up [--replay CAPTURE [--exit]] [--partitions N] [--detectors N]
                   [--assets FILE] [--whitelist FILE] [--brokers HOST:PORT] [--verbose]
  --replay CAPTURE   feed CAPTURE (pcap/pcapng) through a sensor once everything is ready
  --exit             after the replay has drained: print every record of wmi.alerts.v1 (one JSON line each), stop
  --partitions N     partitions of the data topics (default 4)
  --detectors N      detector processes (default 2)
  --assets FILE      ASSETS_FILE for enrich      --whitelist FILE   WHITELIST_FILE for enrich
  --brokers LIST     use this Kafka instead of starting the local broker
  --verbose          services' JSON logs on stderr (default: only into the stack's temp dir)
  Environment: TOPIC_*, DETECT_GROUP_ID, ENRICH_GROUP_ID and LOG_LEVEL (docs/configuration.md) are passed on to
  the services; every other service variable is set by up itself.`;

function positiveInt(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 1000)
    throw new UsageError(`--${name} must be an integer 1..1000, got '${v}'`);
  return Number(v);
}

export async function upCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, {
    replay: { value: true },
    exit: {},
    partitions: { value: true },
    detectors: { value: true },
    assets: { value: true },
    whitelist: { value: true },
    brokers: { value: true },
    verbose: {},
  });
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const one = (n: string) => args.options.get(n)?.[0];
  const replay = one('replay');
  const exitAfter = args.flags.has('exit');
  for (const [flag, file] of [
    ['replay', replay],
    ['assets', one('assets')],
    ['whitelist', one('whitelist')],
  ] as const)
    if (file !== undefined && !existsSync(file)) throw new UsageError(`--${flag}: no such file '${file}'`);
  const partitions = positiveInt(one('partitions'), 'partitions', 4);
  let topics: ReturnType<typeof topicNamesFromEnv>;
  try {
    topics = topicNamesFromEnv(process.env);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
  const detectors = positiveInt(one('detectors'), 'detectors', 2);

  const say = (msg: string) => process.stderr.write(`wmidetect up: ${msg}\n`);
  let stack: LocalStack | null = null;
  let interrupted: NodeJS.Signals | null = null;
  let wake: (() => void) | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) {
      say(`second ${sig}: exiting now`);
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
    interrupted = sig;
    say(`${sig}: stopping`);
    wake?.();
    // The local broker's own signal hook has already killed it (it must never outlive us), so the services cannot
    // commit anything more: a short grace, then SIGKILL.
    void stack?.stop({ graceMs: 10_000 });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const interruptedCode = () => (interrupted === 'SIGINT' ? 130 : 143);
  try {
    stack = await LocalStack.start({
      partitions,
      detectors,
      topics,
      detectGroupId: envString(process.env, 'DETECT_GROUP_ID'),
      enrichGroupId: envString(process.env, 'ENRICH_GROUP_ID'),
      assetsFile: one('assets'),
      whitelistFile: one('whitelist'),
      brokers: one('brokers'),
      verbose: args.flags.has('verbose'),
      say,
    });
    if (interrupted) return interruptedCode();
    say(`kafka ${stack.brokers}`);
    say(`ingest ${stack.ingestUrl}  (sensor id up-sensor, token file ${stack.tokenFile})`);
    for (const s of stack.services)
      say(`${s.name.padEnd(9)} pid ${s.pid}  ops http://127.0.0.1:${s.opsPort}  log ${s.logFile}`);

    if (replay !== undefined) {
      say(`replaying ${replay}`);
      await stack.replay(replay);
      const drained = await stack.waitDrained();
      say(`drained: packets ${drained.packets.join(',')} detections ${drained.detections.join(',')}`);
    }
    if (exitAfter) {
      if (replay !== undefined) {
        const records = await stack.readTopic(stack.topics.alerts);
        const out = records.map((r) => `${r.value?.toString('utf8') ?? 'null'}\n`).join('');
        await new Promise<void>((resolve, reject) => process.stdout.write(out, (e) => (e ? reject(e) : resolve())));
        say(`${records.length} record(s) on ${stack.topics.alerts}`);
      }
      return 0;
    }
    say('up; Ctrl-C stops everything');
    // The children and their lifelines are unref'd (they must not keep a finished `up` alive), so something has
    // to hold the event loop open while we wait for the signal.
    const keepAlive = setInterval(() => {}, 1 << 30);
    await new Promise<void>((resolve) => {
      wake = resolve;
      if (interrupted) resolve();
    });
    clearInterval(keepAlive);
    return interruptedCode();
  } catch (e) {
    if (interrupted) return interruptedCode();
    say(`failed: ${(e as Error).message}`);
    return 1;
  } finally {
    await stack?.stop();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
