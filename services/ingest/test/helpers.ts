/** Test helpers for ingest: a test configuration, scenario captures as wire frames, an in-memory RecordSink (unit tests only), HTTP calls. */
import { request } from 'node:http';
import { scenarioBytes } from '@wmi-detect/capture-gen';
import { CaptureError, readCaptureStream } from '@wmi-detect/engine';
import { DEFAULT_TOPICS, type OutgoingRecord, type ProduceResult, type RecordSink } from '@wmi-detect/kafka';
import type { WireFrame } from '@wmi-detect/wire';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_INFLIGHT_BYTES, type IngestConfig } from '../src/config.js';

/** An ingest configuration for tests: the documented defaults, free ports, quiet, no TLS. */
export function testIngestConfig(over: Partial<IngestConfig> & Pick<IngestConfig, 'kafka'>): IngestConfig {
  return {
    topics: DEFAULT_TOPICS,
    port: 0,
    opsPort: 0,
    logLevel: 'silent',
    tokensFile: undefined,
    tls: undefined,
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    maxInflightBytes: DEFAULT_MAX_INFLIGHT_BYTES,
    prefilter: false,
    compression: 'gzip',
    ...over,
  };
}

/** Frames of a capture; a real capture cut mid-record (several corpus files are) yields the frames before the cut. */
export async function captureWireFrames(bytes: Uint8Array, allowTruncated = false): Promise<WireFrame[]> {
  const frames: WireFrame[] = [];
  const reading = readCaptureStream(
    'test',
    (async function* () {
      yield bytes;
    })(),
  ).forEach((f) => {
    const w: WireFrame = { t: f.tsUs, l: f.linkType, d: f.data.slice() };
    if (f.origLen > f.data.length) w.o = f.origLen;
    frames.push(w);
  });
  try {
    await reading;
  } catch (e) {
    if (!(allowTruncated && e instanceof CaptureError)) throw e;
  }
  return frames;
}

export async function scenarioWireFrames(name: string): Promise<WireFrame[]> {
  return captureWireFrames(scenarioBytes(name).bytes);
}

/**
 * A RecordSink that keeps what it was sent. With `hold`, each send waits until the test calls release() or fail(),
 * which is how a test observes that ingest answers only after the acknowledgement.
 */
export class MemorySink implements RecordSink {
  readonly sent: OutgoingRecord[] = [];
  hold = false;
  private pending: { records: readonly OutgoingRecord[]; resolve: () => void; reject: (e: Error) => void }[] = [];
  private waiters: (() => void)[] = [];

  async connect(): Promise<void> {}
  async close(): Promise<void> {}

  async send(records: readonly OutgoingRecord[]): Promise<ProduceResult[]> {
    if (this.hold) {
      await new Promise<void>((resolve, reject) => {
        this.pending.push({ records, resolve, reject });
        for (const w of this.waiters.splice(0)) w();
      });
    }
    this.sent.push(...records);
    return records.map((r) => ({ topic: r.topic, partition: 0, baseOffset: '0' }));
  }

  /** Resolves once a send is waiting for its acknowledgement. */
  whenPending(): Promise<void> {
    if (this.pending.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  release(): void {
    for (const p of this.pending.splice(0)) p.resolve();
  }

  fail(message: string): void {
    for (const p of this.pending.splice(0)) p.reject(new Error(message));
  }
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => Record<string, unknown>;
}

/** One HTTP request with node:http (full control over Content-Length, chunking and headers). */
export function post(
  port: number,
  path: string,
  body: Uint8Array | null,
  headers: Record<string, string> = {},
  opts: { method?: string; chunked?: boolean } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const h: Record<string, string> = { ...headers };
    if (body !== null && !opts.chunked && h['content-length'] === undefined) h['content-length'] = String(body.length);
    const req = request(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'POST', headers: h, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    // A server that answers before reading the whole body may reset the connection; the answer still counts.
    req.on('error', reject);
    if (body !== null) {
      if (opts.chunked) {
        const step = 64 * 1024;
        for (let i = 0; i < body.length; i += step) req.write(body.subarray(i, i + step));
      } else req.write(body);
    }
    req.end();
  });
}
