import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { type CaptureProgress, openCapture, readCaptureStream } from '../../src/capture/source.js';
import { CaptureError, type RawFrame } from '../../src/capture/types.js';
import { body, concat, epb, idb, pcapHeader, pcapRecord, shb } from './bytes.js';

const dir = mkdtempSync(join(tmpdir(), 'wmidetect-capture-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

// 40 records of varied sizes: enough to cross many small read chunks.
const sizes = Array.from({ length: 40 }, (_, i) => 40 + ((i * 397) % 1500));
const records = sizes.map((n, i) => pcapRecord(true, 1000 + i, i, body(n, i)));
const PCAP = concat(pcapHeader(), ...records);
const expected = sizes.map((n, i) => ({ tsUs: (1000 + i) * 1e6 + i, data: Array.from(body(n, i)) }));

const snap = (f: RawFrame) => ({ tsUs: f.tsUs, data: Array.from(f.data) });

async function iterate(
  r: AsyncIterable<RawFrame>,
): Promise<{ frames: { tsUs: number; data: number[] }[]; error: unknown }> {
  const frames: { tsUs: number; data: number[] }[] = [];
  try {
    for await (const f of r) frames.push(snap(f));
  } catch (e) {
    return { frames, error: e };
  }
  return { frames, error: null };
}

describe('openCapture', () => {
  it('reads a file by iteration and by callback, with small reads that split records', async () => {
    const path = write('a.pcap', PCAP);
    for (const chunkSize of [1 << 20, 1000, 7]) {
      const it1 = await iterate(openCapture(path, { chunkSize }));
      expect(it1.error).toBeNull();
      expect(it1.frames).toEqual(expected);
      const got: { tsUs: number; data: number[] }[] = [];
      const reader = openCapture(path, { chunkSize });
      await reader.forEach((f) => {
        got.push(snap(f));
      });
      expect(got).toEqual(expected);
      expect(reader.frames).toBe(40);
      expect(reader.format).toBe('pcap');
      expect(reader.bytesRead).toBe(PCAP.length);
      expect(reader.totalBytes).toBe(PCAP.length);
    }
  });

  it('reports progress after every chunk', async () => {
    const path = write('p.pcap', PCAP);
    const seen: [number, number | null, number][] = [];
    const onProgress = (p: CaptureProgress) => seen.push([p.bytesRead, p.totalBytes, p.frames]);
    await openCapture(path, { chunkSize: 4096, onProgress }).forEach(() => {});
    expect(seen.length).toBe(Math.ceil(PCAP.length / 4096));
    expect(seen.at(-1)).toEqual([PCAP.length, PCAP.length, 40]);
    for (let i = 1; i < seen.length; i++) expect(seen[i][0]).toBeGreaterThan(seen[i - 1][0]);
  });

  it('decompresses gzip input whatever the name, including pcapng', async () => {
    const ng = concat(shb(true), idb(true, 1), epb(true, 0, 5n, body(70, 1)), epb(true, 0, 6n, body(80, 2)));
    const gzPcap = write('a.pcap', gzipSync(PCAP)); // no .gz suffix: recognised by magic
    const gzNg = write('b.pcapng.gz', gzipSync(ng));
    const r = openCapture(gzPcap, { chunkSize: 333 });
    const a = await iterate(r);
    expect(a.error).toBeNull();
    expect(a.frames).toEqual(expected);
    expect(r.compressed).toBe(true);
    expect(r.captureBytes).toBe(PCAP.length);
    expect(r.bytesRead).toBe(gzipSync(PCAP).length);
    const b = await iterate(openCapture(gzNg));
    expect(b.frames.map((f) => f.data.length)).toEqual([70, 80]);
  });

  it('a truncated gzip stream: the frames decompressed before the damage, then a CaptureError', async () => {
    const gz = gzipSync(PCAP);
    const path = write('cut.pcap.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));
    const { frames, error } = await iterate(openCapture(path, { chunkSize: 512 }));
    expect(error).toBeInstanceOf(CaptureError);
    const e = error as CaptureError;
    expect(e.file).toBe(path);
    expect(e.reason).toMatch(/^gzip-compressed input is damaged after \d+ compressed bytes: unexpected end of file/);
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.length).toBeLessThan(40);
    expect(frames).toEqual(expected.slice(0, frames.length));
    // The offset is where the first record not delivered starts.
    const starts = [24];
    for (const n of sizes) starts.push(starts.at(-1)! + 16 + n);
    expect(e.offset).toBe(starts[frames.length]);
  });

  it('a truncated plain file: the good frames, then the CaptureError from the parser', async () => {
    const path = write('cut.pcap', PCAP.subarray(0, PCAP.length - 10));
    const { frames, error } = await iterate(openCapture(path, { chunkSize: 100 }));
    expect(frames).toEqual(expected.slice(0, 39));
    expect((error as CaptureError).reason).toBe(
      `file ends inside a record of ${sizes[39]} captured bytes (only ${sizes[39] - 10} of them present)`,
    );
    await expect(openCapture(path).forEach(() => {})).rejects.toThrow(CaptureError);
  });

  it('missing file, empty file', async () => {
    const missing = join(dir, 'nope.pcap');
    await expect(openCapture(missing).forEach(() => {})).rejects.toMatchObject({
      name: 'CaptureError',
      file: missing,
      offset: 0,
      reason: expect.stringMatching(/^cannot open: ENOENT/),
    });
    const empty = write('empty.pcap', new Uint8Array(0));
    await expect(openCapture(empty).forEach(() => {})).rejects.toMatchObject({
      reason: 'empty input: no capture file header',
    });
  });

  it('reads standard input for "-", gzip or not, in chunks of any size', async () => {
    const pieces = (b: Uint8Array, n: number) =>
      Array.from({ length: Math.ceil(b.length / n) }, (_, i) => b.slice(i * n, i * n + n));
    for (const bytes of [PCAP, gzipSync(PCAP)]) {
      for (const n of [1, 100, 100000]) {
        const r = openCapture('-', { stdin: Readable.from(pieces(bytes, n)) });
        const { frames, error } = await iterate(r);
        expect(error).toBeNull();
        expect(frames).toEqual(expected);
        expect(r.file).toBe('<stdin>');
        expect(r.totalBytes).toBeNull();
      }
    }
  });

  it('readCaptureStream names its source in errors', async () => {
    const r = readCaptureStream('POST /v1/pcap', Readable.from([PCAP.subarray(0, 30)]));
    const { frames, error } = await iterate(r);
    expect(frames).toEqual([]);
    expect(error).toMatchObject({ file: 'POST /v1/pcap', offset: 24 });
  });

  it('a reader is single-use', async () => {
    const r = openCapture(write('once.pcap', PCAP));
    await r.forEach(() => {});
    await expect(r.forEach(() => {})).rejects.toThrow(/can be read only once/);
  });
});
