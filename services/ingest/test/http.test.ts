import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { encode } from '@msgpack/msgpack';
import { scenarioBytes } from '@wmi-detect/capture-gen';
import { createLogger, Registry } from '@wmi-detect/ops';
import { decodePacketRecord, encodePacketBatch } from '@wmi-detect/wire';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Admission } from '../src/admission.js';
import { createIngestHandler } from '../src/http-server.js';
import { IngestMetrics } from '../src/metrics.js';
import { Prefilter } from '../src/prefilter.js';
import { TokenStore } from '../src/tokens.js';
import { MemorySink, post, scenarioWireFrames } from './helpers.js';

const TOKEN_A = 'token-of-sensor-a-0123456789';
const TOKEN_B = 'token-of-sensor-b-0123456789';
const AUTH_A = { authorization: `Bearer ${TOKEN_A}`, 'content-type': 'application/x-msgpack' };
const MAX_BODY = 4 * 1024 * 1024;

interface Harness {
  server: Server;
  port: number;
  sink: MemorySink;
  metrics: IngestMetrics;
  admission: Admission;
  state: { unavailable: string | null; closing: boolean };
}

async function start(opts: { prefilter?: boolean; maxInflight?: number } = {}): Promise<Harness> {
  const sink = new MemorySink();
  const metrics = new IngestMetrics(new Registry());
  const admission = new Admission(opts.maxInflight ?? 64 * 1024 * 1024);
  const state = { unavailable: null as string | null, closing: false };
  const tokens = TokenStore.parse(`sensor-a:${TOKEN_A}\nsensor-b:${TOKEN_B}\n`);
  const handler = createIngestHandler({
    tokens: () => tokens,
    sink,
    topic: 'packets-test',
    admission,
    unavailable: () => state.unavailable,
    prefilter: opts.prefilter ? new Prefilter() : null,
    metrics,
    logger: createLogger('ingest-test', { level: 'silent' }),
    maxBodyBytes: MAX_BODY,
    closing: () => state.closing,
  });
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port, sink, metrics, admission, state };
}

let h: Harness;
afterEach(async () => {
  await new Promise<void>((r) => {
    h.server.closeAllConnections();
    h.server.close(() => r());
  });
});

describe('POST /v1/batches', () => {
  beforeEach(async () => {
    h = await start();
  });

  it('202 with one record per host pair, values PacketRecord v1 carrying the batch identity', async () => {
    const frames = await scenarioWireFrames('wmi-activation-ok');
    const body = encodePacketBatch({ sensor: 'sensor-a', seq: 41, frames });
    const r = await post(h.port, '/v1/batches', body, AUTH_A);
    expect(r.status).toBe(202);
    expect(r.json()).toMatchObject({ sensor: 'sensor-a', seq: 41, frames: frames.length });
    const recs = h.sink.sent.map((x) => ({ key: x.key, headers: x.headers, value: decodePacketRecord(x.value!) }));
    expect(recs.length).toBe(r.json().records);
    expect(recs.reduce((n, x) => n + x.value.frames.length, 0)).toBe(frames.length);
    expect(recs.map((x) => x.value.part)).toEqual(recs.map((_, i) => i));
    for (const x of recs) {
      expect(x.value).toMatchObject({ v: 1, sensor: 'sensor-a', seq: 41 });
      expect(x.headers).toMatchObject({ 'wmi-schema': 'PacketRecord/1', 'wmi-sensor': 'sensor-a' });
      expect([8, 32, 1]).toContain(x.key!.length);
    }
    expect(h.metrics.frames.get()).toBe(frames.length);
  });

  it('accepts a gzip Content-Encoding', async () => {
    const frames = await scenarioWireFrames('wmi-activation-ok');
    const body = gzipSync(encodePacketBatch({ sensor: 'sensor-a', seq: 1, frames }));
    const r = await post(h.port, '/v1/batches', body, { ...AUTH_A, 'content-encoding': 'gzip' });
    expect(r.status).toBe(202);
    expect(h.sink.sent.length).toBeGreaterThan(0);
  });

  it('401 without a token and with an unknown one, nothing produced, counted', async () => {
    const body = encodePacketBatch({ sensor: 'sensor-a', seq: 1, frames: [] });
    const r1 = await post(h.port, '/v1/batches', body, {});
    const r2 = await post(h.port, '/v1/batches', body, { authorization: 'Bearer not-a-valid-token-at-all' });
    expect([r1.status, r2.status]).toEqual([401, 401]);
    expect(r1.headers['www-authenticate']).toContain('Bearer');
    expect(r1.json().error).toBe('missing bearer token');
    expect(r2.json().error).toBe('invalid bearer token');
    expect(h.sink.sent).toHaveLength(0);
    expect(h.metrics.rejected.get({ reason: 'unauthorized' })).toBe(2);
  });

  it("403 when a valid token sends another sensor's batch", async () => {
    const body = encodePacketBatch({ sensor: 'sensor-b', seq: 1, frames: [] });
    const r = await post(h.port, '/v1/batches', body, AUTH_A);
    expect(r.status).toBe(403);
    expect(r.json().error).toContain("'sensor-a'");
    expect(h.metrics.rejected.get({ reason: 'forbidden' })).toBe(1);
    expect(h.sink.sent).toHaveLength(0);
  });

  it.each([
    ['garbage bytes', Uint8Array.from([0xc1, 0xc1, 0xc1]), 'body'],
    ['a msgpack array', encode([1, 2, 3]), 'body'],
    ['version 2', encode({ v: 2, sensor: 'sensor-a', seq: 1, frames: [] }), 'v'],
    ['a negative seq', encode({ v: 1, sensor: 'sensor-a', seq: -1, frames: [] }), 'seq'],
    ['a frame without bytes', encode({ v: 1, sensor: 'sensor-a', seq: 1, frames: [{ t: 1, l: 1 }] }), 'frames[0].d'],
  ])('400 naming the field for %s, nothing produced, counted', async (_what, body, field) => {
    const r = await post(h.port, '/v1/batches', body, AUTH_A);
    expect(r.status).toBe(400);
    expect(r.json()).toMatchObject({ schema: 'PacketBatch', field });
    expect(h.sink.sent).toHaveLength(0);
    expect(h.metrics.rejected.get({ reason: 'malformed' })).toBe(1);
  });

  it('400 for a body that claims gzip but is not', async () => {
    const r = await post(h.port, '/v1/batches', Uint8Array.from([1, 2, 3, 4]), {
      ...AUTH_A,
      'content-encoding': 'gzip',
    });
    expect(r.status).toBe(400);
    expect(r.json().error).toContain('not valid gzip');
  });

  it('415 for another Content-Type', async () => {
    const r = await post(h.port, '/v1/batches', encode({}), { ...AUTH_A, 'content-type': 'application/json' });
    expect(r.status).toBe(415);
  });

  it('413 for a Content-Length over the limit, before reading the body', async () => {
    const r = await post(h.port, '/v1/batches', Uint8Array.of(0), {
      ...AUTH_A,
      'content-length': String(MAX_BODY + 1),
    }).catch((e: Error) => ({ status: -1, error: e }));
    // The server answers and closes without reading: the client either sees 413 or a reset after it.
    if (r.status !== -1) expect(r.status).toBe(413);
    expect(h.metrics.rejected.get({ reason: 'too_large' })).toBe(1);
  });

  it('413 for a chunked body that grows past the limit, and for a gzip bomb', async () => {
    const big = new Uint8Array(MAX_BODY + 100);
    const r1 = await post(h.port, '/v1/batches', big, AUTH_A, { chunked: true }).catch(() => null);
    if (r1 !== null) expect(r1.status).toBe(413);
    const bomb = gzipSync(new Uint8Array(MAX_BODY * 2));
    const r2 = await post(h.port, '/v1/batches', bomb, { ...AUTH_A, 'content-encoding': 'gzip' });
    expect(r2.status).toBe(413);
    expect(r2.json().error).toContain('decompressed');
    expect(h.metrics.rejected.get({ reason: 'too_large' })).toBe(2);
  });

  it('503 with Retry-After while Kafka is not available, and 503 while shutting down', async () => {
    h.state.unavailable = 'Kafka producer not connected';
    const body = encodePacketBatch({ sensor: 'sensor-a', seq: 1, frames: [] });
    const r = await post(h.port, '/v1/batches', body, AUTH_A);
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('5');
    expect(r.json().error).toContain('Kafka producer not connected');
    h.state.unavailable = null;
    h.state.closing = true;
    const r2 = await post(h.port, '/v1/batches', body, AUTH_A);
    expect(r2.status).toBe(503);
    expect(r2.headers.connection).toBe('close');
    expect(h.metrics.rejected.get({ reason: 'unavailable' })).toBe(1);
    expect(h.metrics.rejected.get({ reason: 'shutting_down' })).toBe(1);
  });

  it('answers 202 only once Kafka acknowledged, and 503 + Retry-After when the produce fails', async () => {
    const frames = await scenarioWireFrames('wmi-activation-ok');
    h.sink.hold = true;
    let answered = false;
    const pending = post(h.port, '/v1/batches', encodePacketBatch({ sensor: 'sensor-a', seq: 7, frames }), AUTH_A).then(
      (r) => {
        answered = true;
        return r;
      },
    );
    await h.sink.whenPending();
    // The produce request is out and unacknowledged: no answer can have been written.
    expect(answered).toBe(false);
    expect(h.admission.bytes).toBeGreaterThan(0);
    h.sink.release();
    expect((await pending).status).toBe(202);
    expect(h.admission.bytes).toBe(0);

    const failing = post(h.port, '/v1/batches', encodePacketBatch({ sensor: 'sensor-a', seq: 8, frames }), AUTH_A);
    await h.sink.whenPending();
    h.sink.fail('NOT_ENOUGH_REPLICAS');
    const r = await failing;
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('5');
    expect(r.json().error).toContain('NOT_ENOUGH_REPLICAS');
    expect(h.metrics.rejected.get({ reason: 'kafka_error' })).toBe(1);
  });

  it('404 and 405 for other paths and methods', async () => {
    expect((await post(h.port, '/v2/batches', null, AUTH_A)).status).toBe(404);
    expect((await post(h.port, '/v1/batches', null, AUTH_A, { method: 'GET' })).status).toBe(405);
  });
});

describe('back-pressure', () => {
  it('429 with Retry-After when the in-flight byte bound is reached', async () => {
    h = await start({ maxInflight: 1024 * 1024 });
    const frames = await scenarioWireFrames('wmi-activation-ok');
    const body = encodePacketBatch({ sensor: 'sensor-a', seq: 1, frames });
    h.sink.hold = true;
    const first = post(h.port, '/v1/batches', body, AUTH_A);
    await h.sink.whenPending();
    // A request announcing no length reserves the full body limit, which cannot fit beside the first.
    const second = await post(h.port, '/v1/batches', body, AUTH_A, { chunked: true }).catch(() => null);
    if (second !== null) {
      expect(second.status).toBe(429);
      expect(second.headers['retry-after']).toBe('1');
    }
    expect(h.metrics.rejected.get({ reason: 'backpressure' })).toBe(1);
    h.sink.release();
    expect((await first).status).toBe(202);
  });
});

describe('POST /v1/pcap', () => {
  beforeEach(async () => {
    h = await start();
  });

  it('takes a pcap and a pcapng body for the token sensor, seq from X-Wmi-Seq', async () => {
    for (const format of ['pcap', 'pcapng'] as const) {
      h.sink.sent.length = 0;
      const { bytes, description } = scenarioBytes('wmi-activation-ok', format);
      const r = await post(h.port, '/v1/pcap', bytes, { authorization: `Bearer ${TOKEN_B}`, 'x-wmi-seq': '9' });
      expect(r.status).toBe(202);
      expect(r.json()).toMatchObject({ sensor: 'sensor-b', seq: 9, frames: description.frameCount });
      const values = h.sink.sent.map((x) => decodePacketRecord(x.value!));
      expect(values.reduce((n, v) => n + v.frames.length, 0)).toBe(description.frameCount);
      expect(values.every((v) => v.sensor === 'sensor-b' && v.seq === 9)).toBe(true);
    }
  });

  it('400 for a damaged capture with the byte offset; nothing produced', async () => {
    const { bytes } = scenarioBytes('wmi-activation-ok', 'pcap');
    const cut = bytes.subarray(0, bytes.length - 7);
    const r = await post(h.port, '/v1/pcap', cut, { authorization: `Bearer ${TOKEN_A}` });
    expect(r.status).toBe(400);
    expect(r.json().schema).toBe('pcap');
    expect(String(r.json().field)).toMatch(/^byte \d+$/);
    expect(h.sink.sent).toHaveLength(0);
  });

  it('403 when X-Wmi-Sensor names another sensor; 400 for a bad X-Wmi-Seq', async () => {
    const { bytes } = scenarioBytes('wmi-activation-ok', 'pcap');
    const auth = { authorization: `Bearer ${TOKEN_A}` };
    expect((await post(h.port, '/v1/pcap', bytes, { ...auth, 'x-wmi-sensor': 'sensor-b' })).status).toBe(403);
    const r = await post(h.port, '/v1/pcap', bytes, { ...auth, 'x-wmi-seq': '-3' });
    expect(r.status).toBe(400);
    expect(r.json().field).toBe('X-Wmi-Seq');
  });
});
