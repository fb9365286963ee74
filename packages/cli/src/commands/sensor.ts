/**
 * `wmidetect sensor`: captures (file, stdin, or a live interface through tcpdump) → PacketBatch v1 → ingest, with
 * batching, gzip, retries with backoff, and a bounded on-disk spool. The work is in ../sensor/; this file parses the
 * options, wires the pieces, handles signals and prints the stats line (JSON, stderr) at exit.
 * Exit status: see sensorExitCode (../sensor/sensor.ts) — 0 delivered, 3 damaged input, 4 left in spool,
 * 5 data lost (counted), 6 credentials refused, 2 usage, 1 unexpected.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureError } from '@wmi-detect/engine';
import type { WireFrame } from '@wmi-detect/wire';
import { intOption, one, parseArgs, UsageError } from '../args.js';
import { IngestClient } from '../sensor/ingest-client.js';
import { Sensor, sensorExitCode } from '../sensor/sensor.js';
import { openSource } from '../sensor/source.js';
import { Spool, SpoolLockedError } from '../sensor/spool.js';

export const SENSOR_USAGE = `usage: wmidetect sensor --ingest URL --sensor-id ID --token-file FILE [options] (CAPTURE | - | --interface IF)
  CAPTURE               pcap/pcapng file (gzip allowed); '-' reads standard input (tcpdump -i eth0 -U -w - | wmidetect sensor -)
  --interface IF        capture live through tcpdump (needs tcpdump and capture rights)
  --filter EXPR         BPF filter, passed to tcpdump (with a CAPTURE file: tcpdump -r CAPTURE -w - EXPR)
  --ingest URL          ingest base URL, e.g. https://ingest.example:8080 (batches go to URL/v1/batches)
  --sensor-id ID        this sensor's id, as in ingest's tokens file ([A-Za-z0-9._-]{1,128})
  --token-file FILE     file holding the bearer token (one line)
  --batch-bytes N       seal a batch at N bytes of frames (default 1048576)
  --batch-ms N          seal a batch N ms after its first frame (default 200)
  --spool-dir DIR       on-disk queue while ingest is unreachable (default $TMPDIR/wmidetect-sensor-<ID>)
  --spool-max-bytes N   spool bound (default 268435456); beyond it live input is dropped and counted
  --ca FILE --cert FILE --key FILE   TLS: CA bundle for ingest's certificate; client certificate + key for mTLS
exit: 0 all delivered, 3 damaged input, 4 undelivered batches left in the spool, 5 data lost (counted),
      6 ingest refused the credentials, 2 usage, 1 unexpected failure`;

const SENSOR_ID = /^[A-Za-z0-9._-]{1,128}$/;

function readOpt(path: string | undefined, what: string): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export async function sensorCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, {
    ingest: { value: true },
    'sensor-id': { value: true },
    'token-file': { value: true },
    'batch-bytes': { value: true },
    'batch-ms': { value: true },
    'spool-dir': { value: true },
    'spool-max-bytes': { value: true },
    interface: { value: true },
    filter: { value: true },
    ca: { value: true },
    cert: { value: true },
    key: { value: true },
  });
  const url = one(args, 'ingest');
  const sensorId = one(args, 'sensor-id');
  const tokenFile = one(args, 'token-file');
  if (url === undefined) throw new UsageError('--ingest URL is required');
  if (sensorId === undefined || !SENSOR_ID.test(sensorId))
    throw new UsageError('--sensor-id is required: 1..128 of [A-Za-z0-9._-]');
  if (tokenFile === undefined) throw new UsageError('--token-file is required');
  const token = readOpt(tokenFile, 'token file')!.toString('utf8').trim();
  if (token === '' || /\s/.test(token))
    throw new UsageError(`token file '${tokenFile}' must hold one token on one line`);
  const iface = one(args, 'interface');
  const filter = one(args, 'filter');
  if (iface !== undefined && args.positionals.length > 0)
    throw new UsageError('give either --interface or a CAPTURE/-, not both');
  if (iface === undefined && args.positionals.length !== 1)
    throw new UsageError('one input is required: a CAPTURE file, - for standard input, or --interface IF');
  const input = args.positionals[0];
  if (input === '-' && filter !== undefined)
    throw new UsageError(
      '--filter cannot apply to standard input; put the filter in the tcpdump command that writes it',
    );
  const cert = readOpt(one(args, 'cert'), 'certificate');
  const key = readOpt(one(args, 'key'), 'key');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert and --key go together');
  const batchBytes = intOption(args, 'batch-bytes', 1024) ?? 1024 * 1024;
  const batchMs = intOption(args, 'batch-ms', 1) ?? 200;
  const spoolMax = intOption(args, 'spool-max-bytes', 0) ?? 256 * 1024 * 1024;
  const spoolDir = one(args, 'spool-dir') ?? join(tmpdir(), `wmidetect-sensor-${sensorId}`);

  let client: IngestClient;
  try {
    client = new IngestClient({ url, sensorId, token, ca: readOpt(one(args, 'ca'), 'CA bundle'), cert, key });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const log = (line: string) => process.stderr.write(`wmidetect sensor: ${line}\n`);
  let sensor: Sensor;
  const source = openSource({ input, iface, filter });
  try {
    sensor = new Sensor({
      sensorId,
      client,
      spool: new Spool(spoolDir, spoolMax),
      batchBytes,
      batchMs,
      live: source.live,
      log,
    });
  } catch (e) {
    source.child?.kill('SIGTERM');
    client.close();
    if (e instanceof SpoolLockedError) throw new UsageError(e.message);
    throw e;
  }

  let signals = 0;
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) process.exit(sig === 'SIGINT' ? 130 : 143);
    interrupted = true;
    log(`${sig}: stopping; undelivered batches stay in ${spoolDir}`);
    source.child?.kill('SIGTERM');
    // Standard input may stay silent for ever: end the read instead of waiting for the next frame.
    if (input === '-') process.stdin.destroy();
    void sensor.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let captureError: string | null = null;
  try {
    for await (const f of source.reader) {
      if (interrupted) break;
      const w: WireFrame = { t: f.tsUs, l: f.linkType, d: f.data.slice() };
      if (f.origLen > f.data.length) w.o = f.origLen;
      const wait = sensor.add(w);
      if (wait !== undefined) await wait;
    }
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    // A read cut short by the signal is not damaged input.
    if (!interrupted) {
      captureError = e.message;
      log(`capture input damaged: ${e.message} (every frame before it is sent)`);
    }
  }
  const stats = interrupted ? await sensor.stop() : await sensor.finish();
  await source.ended();
  const sourceFailure = interrupted ? null : source.failure();
  if (sourceFailure !== null) log(sourceFailure);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  client.close();
  const spoolLeft = sensor.spool.count;
  const code = sourceFailure !== null ? 1 : sensorExitCode(stats, spoolLeft, captureError !== null);
  process.stderr.write(
    `${JSON.stringify({
      event_type: 'sensor_stats',
      sensor: sensorId,
      input: source.description,
      ...stats,
      spool_batches_left: spoolLeft,
      spool_bytes_left: sensor.spool.bytes,
      spool_frames_left: sensor.spool.frames,
      next_seq: sensor.seq,
      capture_error: captureError,
      source_error: sourceFailure,
      exit: code,
    })}\n`,
  );
  return code;
}
