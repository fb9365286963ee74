/** `wmidetect sensor` as a command: options, a capture file end to end against a stand-in ingest, exit codes. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scenarioBytes } from '@wmi-detect/capture-gen';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../src/args.js';
import { sensorCommand } from '../src/commands/sensor.js';
import { FakeIngest, TOKEN } from './fake-ingest.js';

let dir: string;
let ingest: FakeIngest;
let tokenFile: string;
let capture: string;
let frameCount: number;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sensor-cmd-'));
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  const { bytes, description } = scenarioBytes('wmi-activation-ok', 'pcapng');
  capture = join(dir, 'session.pcapng');
  writeFileSync(capture, bytes);
  frameCount = description.frameCount;
  ingest = new FakeIngest();
  await ingest.start();
});
afterEach(async () => {
  await ingest.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the command with stderr captured; returns the exit code and the parsed stats line. */
async function run(args: string[]): Promise<{ code: number; stats: Record<string, unknown>; stderr: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    lines.push(String(s));
    return true;
  });
  let code: number;
  try {
    code = await sensorCommand(args);
  } finally {
    spy.mockRestore();
  }
  const stderr = lines.join('');
  const statsLine = stderr.split('\n').find((l) => l.includes('"event_type":"sensor_stats"'));
  return { code, stats: statsLine ? JSON.parse(statsLine) : {}, stderr };
}

const base = () => [
  '--ingest',
  `http://127.0.0.1:${ingest.port}`,
  '--sensor-id',
  'sensor-1',
  '--token-file',
  tokenFile,
  '--spool-dir',
  join(dir, 'spool'),
];

describe('wmidetect sensor', () => {
  it('sends a capture file: exit 0, every frame delivered, the stats line says so', async () => {
    const r = await run([...base(), '--batch-bytes', '4096', capture]);
    expect(r.code).toBe(0);
    expect(ingest.accepted.reduce((n, b) => n + b.frames.length, 0)).toBe(frameCount);
    expect(ingest.accepted.every((b) => b.sensor === 'sensor-1')).toBe(true);
    expect(r.stats).toMatchObject({
      sensor: 'sensor-1',
      framesRead: frameCount,
      framesSent: frameCount,
      droppedFrames: 0,
      spool_batches_left: 0,
      exit: 0,
    });
  });

  it('a damaged capture: everything before the damage is delivered, exit 3', async () => {
    const { bytes } = scenarioBytes('wmi-activation-ok', 'pcap');
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    const r = await run([...base(), cut]);
    expect(r.code).toBe(3);
    expect(r.stats.framesSent).toBe(frameCount - 1);
    expect(String(r.stats.capture_error)).toContain('cut.pcap');
  });

  it('credentials refused: exit 6, the batch kept in the spool', async () => {
    ingest.script = [{ status: 403 }];
    const r = await run([...base(), capture]);
    expect(r.code).toBe(6);
    expect(r.stats.spool_frames_left).toBe(frameCount);
  });

  it('a live interface without a working tcpdump: exit 1 naming the problem', async () => {
    const r = await run([...base(), '--interface', 'wmi-test-no-such-if0']);
    expect(r.code).toBe(1);
    expect(String(r.stats.source_error)).toMatch(/tcpdump/);
  });

  it.each([
    [['--sensor-id', 's', '--token-file', 'x', 'f'], '--ingest'],
    [['--ingest', 'http://x', '--token-file', 'x', 'f'], '--sensor-id'],
    [['--ingest', 'http://x', '--sensor-id', 'bad id', '--token-file', 'x', 'f'], '--sensor-id'],
    [['--ingest', 'http://x', '--sensor-id', 's'], '--token-file'],
  ])('usage error for %j (%s)', async (args, what) => {
    await expect(sensorCommand(args)).rejects.toThrow(UsageError);
    await expect(sensorCommand(args)).rejects.toThrow(what);
  });

  it('usage errors: --filter on stdin, two inputs, TLS files on http, unreadable token file', async () => {
    await expect(sensorCommand([...base(), '--filter', 'tcp', '-'])).rejects.toThrow(/standard input/);
    await expect(sensorCommand([...base(), '--interface', 'eth0', capture])).rejects.toThrow(/either/);
    await expect(sensorCommand([...base(), '--ca', tokenFile, capture])).rejects.toThrow(/https/);
    await expect(
      sensorCommand(['--ingest', 'http://x', '--sensor-id', 's', '--token-file', join(dir, 'none'), capture]),
    ).rejects.toThrow(/cannot read token file/);
  });
});
