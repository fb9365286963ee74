/**
 * `wmidetect sensor --interface lo`: live capture through tcpdump, the way a sensor runs on a capture point.
 *
 * The WMI session of the generated corpus (capture-gen `wmi-activation-ok`: activation on 135, then NTLMLogin and
 * Win32_Process.Create on 49154) is replayed as real TCP connections over loopback — a server on 127.0.0.1:135 and
 * :49154, a client writing the client's PDUs and the server answering with the server's, turn by turn — while the
 * sensor captures `lo`. Then:
 *   - every byte of both directions of both connections reached ingest, in order (TCP streams rebuilt from the
 *     frames ingest accepted equal the scenario's streams);
 *   - `wmidetect analyze` on those frames finds the alerts it finds in the generated capture: same sids, same NTLM
 *     identity, same command line (addresses, ports and times are the live ones);
 *   - SIGTERM ends the sensor with exit 0 and a stats line that accounts for every captured frame.
 *
 * Needs tcpdump and the right to capture (root or CAP_NET_RAW) and to listen on port 135; skips loudly without them.
 * `.ci/run` installs tcpdump.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePcap, scenarioBytes } from '@wmi-detect/capture-gen';
import { PacketDecoder, type RawFrame, readCaptureStream, TCP_SYN } from '@wmi-detect/engine';
import { type PacketBatchV1, rawFrameOf } from '@wmi-detect/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeIngest, TOKEN } from './fake-ingest.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(repoRoot, 'bin/wmidetect.mjs');

/** Why this machine cannot run the test, or null. */
function cannotCapture(): string | null {
  if (spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status !== 0) return 'tcpdump is not installed';
  const probe = spawnSync('tcpdump', ['-i', 'lo', '-d', 'tcp'], { encoding: 'utf8' });
  if (probe.status !== 0) return `tcpdump cannot compile a filter for lo: ${probe.stderr.trim()}`;
  if (process.getuid?.() !== 0) return 'not root: capturing lo and listening on port 135 need it';
  return null;
}

const why = cannotCapture();
if (why !== null) console.warn(`\n!!! [sensor live capture] SKIPPED: ${why}\n`);

/** One direction's bytes of one turn of the conversation, in capture order. */
interface Turn {
  serverPort: number;
  fromClient: boolean;
  bytes: Uint8Array;
}

interface Conversation {
  turns: Turn[];
  /** Server ports in the order their connections open. */
  ports: number[];
  /** Concatenated payload per `${serverPort}/${c|s}`. */
  streams: Map<string, Buffer>;
}

/**
 * TCP streams of a capture, per connection (keyed by the server port, the SYN's destination) and direction, with
 * retransmitted bytes dropped by sequence number. `turns` keeps each payload segment in capture order.
 */
function conversation(frames: readonly RawFrame[], keep: (serverPort: number) => boolean): Conversation {
  const d = new PacketDecoder();
  const serverOf = new Map<string, number>(); // "lowport-highport" → server port
  const next = new Map<string, number>(); // direction → next expected seq
  const turns: Turn[] = [];
  const ports: number[] = [];
  const parts = new Map<string, Buffer[]>();
  for (const f of frames) {
    const p = d.decode(f);
    if (typeof p === 'string' || p.proto !== 6 || p.tcp === undefined) continue;
    const pair = [p.srcPort, p.dstPort].sort((a, b) => a - b).join('-');
    if ((p.tcp.flags & TCP_SYN) !== 0 && !serverOf.has(pair)) {
      serverOf.set(pair, p.dstPort);
      if (keep(p.dstPort)) ports.push(p.dstPort);
    }
    const server = serverOf.get(pair);
    if (server === undefined || !keep(server)) continue;
    const fromClient = p.dstPort === server;
    const dir = `${server}/${fromClient ? 'c' : 's'}`;
    const syn = (p.tcp.flags & TCP_SYN) !== 0 ? 1 : 0;
    if (syn) {
      next.set(dir, (p.tcp.seq + 1) >>> 0);
      continue;
    }
    if (p.payload.length === 0) continue;
    const expected = next.get(dir);
    if (expected !== undefined && p.tcp.seq !== expected) continue; // a retransmission (or a gap): not new bytes
    next.set(dir, (p.tcp.seq + p.payload.length) >>> 0);
    const bytes = Buffer.from(p.payload);
    turns.push({ serverPort: server, fromClient, bytes });
    parts.set(dir, [...(parts.get(dir) ?? []), bytes]);
  }
  const streams = new Map([...parts].map(([k, v]) => [k, Buffer.concat(v)]));
  return { turns, ports, streams };
}

/** A socket's received byte count, with waiters (no polling). */
class Received {
  count = 0;
  private waiters: { n: number; resolve: () => void }[] = [];
  constructor(sock: Socket) {
    sock.on('data', (c: Buffer) => {
      this.count += c.length;
      const done = this.waiters.filter((w) => this.count >= w.n);
      this.waiters = this.waiters.filter((w) => this.count < w.n);
      for (const w of done) w.resolve();
    });
  }
  until(n: number): Promise<void> {
    if (this.count >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

/** Plays the conversation over real loopback connections: one server per port, one client connection each. */
async function replayOverLoopback(conv: Conversation): Promise<void> {
  const servers: Server[] = [];
  const conns = new Map<
    number,
    { client: Socket; server: Socket; atClient: Received; atServer: Received; sent: { c: number; s: number } }
  >();
  try {
    for (const port of conv.ports) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
    }
    const open = async (port: number) => {
      const server = servers[conv.ports.indexOf(port)];
      const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
      const client = connect(port, '127.0.0.1');
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
      });
      const serverSide = await accepted;
      const c = {
        client,
        server: serverSide,
        atClient: new Received(client),
        atServer: new Received(serverSide),
        sent: { c: 0, s: 0 },
      };
      conns.set(port, c);
      return c;
    };
    for (const t of conv.turns) {
      const c = conns.get(t.serverPort) ?? (await open(t.serverPort));
      // Each turn is written and read completely before the next: the capture keeps the conversation's order.
      if (t.fromClient) {
        c.sent.c += t.bytes.length;
        c.client.write(t.bytes);
        await c.atServer.until(c.sent.c);
      } else {
        c.sent.s += t.bytes.length;
        c.server.write(t.bytes);
        await c.atClient.until(c.sent.s);
      }
    }
    await Promise.all(
      [...conns.values()].map(
        (c) =>
          new Promise<void>((resolve) => {
            c.server.once('close', () => resolve());
            c.client.end();
            c.server.end();
          }),
      ),
    );
  } finally {
    for (const c of conns.values()) {
      c.client.destroy();
      c.server.destroy();
    }
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

async function framesOf(bytes: Uint8Array): Promise<RawFrame[]> {
  const frames: RawFrame[] = [];
  await readCaptureStream(
    'scenario',
    (async function* () {
      yield bytes;
    })(),
  ).forEach((f) => {
    frames.push({ ...f, data: Uint8Array.from(f.data) });
  });
  return frames;
}

/** What an alert says about the attack, without the capture's addresses, ports and times. */
function essence(lines: string): string[] {
  return lines
    .split('\n')
    .filter((l) => l.includes('"event_type":"alert"'))
    .map((l) => {
      const r = JSON.parse(l) as {
        alert: { signature_id: number };
        identity?: { domain?: string; user?: string; workstation?: string }[];
        wmi?: { command_line?: string; namespace?: string };
        dcerpc?: { interface?: string; opnum?: number };
      };
      const ids = (r.identity ?? []).map((i) => `${i.domain}\\${i.user}@${i.workstation}`).join(',');
      return `${r.alert.signature_id} ${ids} ${r.wmi?.namespace ?? ''} ${r.wmi?.command_line ?? ''}`;
    })
    .sort();
}

function analyzeFile(file: string): string {
  const r = spawnSync(process.execPath, [BIN, 'analyze', '--no-progress', file], {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe.skipIf(why !== null)('wmidetect sensor --interface (live capture through tcpdump)', () => {
  let dir: string;
  let ingest: FakeIngest;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sensor-live-'));
    ingest = new FakeIngest();
    await ingest.start();
  });
  afterAll(async () => {
    await ingest.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a WMI session replayed over loopback reaches ingest byte for byte, and analyze finds its alerts', async () => {
    const { bytes } = scenarioBytes('wmi-activation-ok', 'pcap');
    const scenarioFile = path.join(dir, 'scenario.pcap');
    writeFileSync(scenarioFile, bytes);
    const conv = conversation(await framesOf(bytes), () => true);
    expect(conv.ports).toEqual([135, 49154]);

    const tokenFile = path.join(dir, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    const filter = `tcp and host 127.0.0.1 and (${conv.ports.map((p) => `port ${p}`).join(' or ')})`;
    const sensor: ChildProcess = spawn(
      process.execPath,
      [
        BIN,
        'sensor',
        '--ingest',
        `http://127.0.0.1:${ingest.port}`,
        '--sensor-id',
        'live-1',
        '--token-file',
        tokenFile,
        '--spool-dir',
        path.join(dir, 'spool'),
        '--batch-ms',
        '50',
        '--interface',
        'lo',
        '--filter',
        filter,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => sensor.on('close', (code) => resolve(code)));
    // tcpdump says "listening on lo" once its capture is open: from then on, nothing we send is missed.
    await new Promise<void>((resolve, reject) => {
      sensor.stderr?.setEncoding('utf8').on('data', (c: string) => {
        stderr += c;
        if (/listening on lo/.test(stderr)) resolve();
      });
      exited.then((code) => reject(new Error(`sensor exited (${code}) before capturing: ${stderr}`)));
    });

    await replayOverLoopback(conv);

    // Every byte of every direction, as ingest received it.
    const live = (): Conversation =>
      conversation(
        ingest.accepted.flatMap((b: PacketBatchV1) => b.frames.map(rawFrameOf)),
        (port) => conv.ports.includes(port),
      );
    const complete = () =>
      [...conv.streams].every(([k, v]) => live().streams.get(k)?.length === v.length) &&
      live().ports.length === conv.ports.length;
    await ingest.until(complete, 'every replayed byte at ingest');

    sensor.kill('SIGTERM');
    expect(await exited).toBe(0);
    const stats = JSON.parse(stderr.split('\n').find((l) => l.includes('"event_type":"sensor_stats"')) ?? '{}');
    const accepted = ingest.accepted.reduce((n, b) => n + b.frames.length, 0);
    expect(stats.framesSent).toBe(accepted);
    expect(stats.droppedFrames).toBe(0);
    expect(stats.capture_error ?? null).toBeNull();

    const got = live();
    for (const [k, v] of conv.streams) expect(Buffer.compare(got.streams.get(k) ?? Buffer.alloc(0), v), k).toBe(0);

    // The engine on the live frames: the attack as the generated capture shows it.
    const linkTypes = new Set(ingest.accepted.flatMap((b) => b.frames.map((f) => f.l)));
    expect([...linkTypes]).toEqual([1]); // Linux loopback captures as Ethernet
    const liveFile = path.join(dir, 'live.pcap');
    writeFileSync(
      liveFile,
      encodePcap(ingest.accepted.flatMap((b) => b.frames.map((f) => ({ tsMicros: Math.floor(f.t), data: f.d })))),
    );
    const expected = essence(analyzeFile(scenarioFile));
    expect(expected.length).toBeGreaterThan(3);
    expect(essence(analyzeFile(liveFile))).toEqual(expected);
  });
});
