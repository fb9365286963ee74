/**
 * IngestService and main() without a broker (the Kafka port faked; the real broker is in ingest.int.test.ts):
 * configuration errors exit 2 naming the variable, graceful shutdown answers in-flight requests after their ack,
 * HTTPS and mTLS.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { KafkaAdmin, KafkaClient } from '@wmi-detect/kafka';
import { createLogger } from '@wmi-detect/ops';
import { encodePacketBatch } from '@wmi-detect/wire';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IngestClient } from '../../../packages/cli/src/sensor/ingest-client.js';
import type { IngestConfig } from '../src/config.js';
import { main } from '../src/main.js';
import { IngestService } from '../src/service.js';
import { MemorySink, post, scenarioWireFrames, testIngestConfig } from './helpers.js';

const TOKEN = 'service-test-token-0123456789';
let dir: string;
let tokensFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ingest-svc-'));
  tokensFile = join(dir, 'tokens');
  writeFileSync(tokensFile, `s1:${TOKEN}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeKafka(sink: MemorySink, topics: string[]): KafkaClient {
  const admin = {
    connect: async () => {},
    close: async () => {},
    listTopics: async () => topics,
  } as unknown as KafkaAdmin;
  return {
    brokers: ['fake:9092'],
    sink: () => sink,
    admin: () => admin,
    transactionalSink: () => {
      throw new Error('not used');
    },
    source: () => {
      throw new Error('not used');
    },
  };
}

function config(over: Partial<IngestConfig> = {}): IngestConfig {
  return testIngestConfig({ kafka: { brokers: ['fake:9092'] }, tokensFile, ...over });
}

const silent = createLogger('t', { level: 'silent' });

describe('main: configuration errors exit 2 before connecting, naming the variable', () => {
  it.each([
    [{ INGEST_PORT: 'eighty' }, 'INGEST_PORT'],
    [{ INGEST_TLS_CERT_FILE: '/nonexistent/tls.crt' }, 'INGEST_TLS_KEY_FILE'],
    [{ INGEST_PREFILTER: 'yes' }, 'INGEST_PREFILTER'],
    [{ INGEST_COMPRESSION: 'zstd' }, 'INGEST_COMPRESSION'],
    [{ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: '/nonexistent' }, 'KAFKA_SSL_CERT_FILE'],
    [{ KAFKA_SASL_MECHANISM: 'plain' }, 'KAFKA_SASL_USERNAME'],
    [{ INGEST_MAX_INFLIGHT_BYTES: '2048', INGEST_MAX_BODY_BYTES: '4096' }, 'INGEST_MAX_INFLIGHT_BYTES'],
    [{ TOPIC_PACKETS: 'bad topic' }, 'TOPIC_PACKETS'],
    [{ LOG_LEVEL: 'chatty' }, 'LOG_LEVEL'],
  ])('%j → 2, %s', async (env, variable) => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      lines.push(String(s));
      return true;
    });
    try {
      expect(await main({ INGEST_TOKENS_FILE: tokensFile, ...env })).toBe(2);
    } finally {
      spy.mockRestore();
    }
    const rec = JSON.parse(lines.find((l) => l.includes('"level":"error"'))!);
    expect(rec).toMatchObject({ level: 'error', service: 'ingest', variable });
  });

  it('a malformed tokens file → 2 naming the line, never the token', async () => {
    const bad = join(dir, 'bad-tokens');
    writeFileSync(bad, 's1:short-secret\n');
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      lines.push(String(s));
      return true;
    });
    try {
      expect(await main({ INGEST_TOKENS_FILE: bad })).toBe(2);
    } finally {
      spy.mockRestore();
    }
    const text = lines.join('');
    expect(text).toContain('INGEST_TOKENS_FILE');
    expect(text).toContain('line 1');
    expect(text).not.toContain('short-secret');
  });
});

describe('IngestService', () => {
  it('graceful stop: refuses new requests, answers the one in flight after its ack', async () => {
    const sink = new MemorySink();
    sink.hold = true;
    const svc = new IngestService(config(), {
      logger: silent,
      kafka: fakeKafka(sink, ['wmi.packets.v1']),
      host: '127.0.0.1',
    });
    await svc.start();
    await svc.ready();
    const frames = await scenarioWireFrames('wmi-activation-ok');
    const inflight = post(svc.port, '/v1/batches', encodePacketBatch({ sensor: 's1', seq: 1, frames }), {
      authorization: `Bearer ${TOKEN}`,
    });
    await sink.whenPending();
    const stopping = svc.stop();
    // The listener is closed: a new connection is refused.
    await expect(post(svc.port, '/v1/batches', Uint8Array.of(1), { authorization: `Bearer ${TOKEN}` })).rejects.toThrow(
      /ECONNREFUSED/,
    );
    sink.release();
    const r = await inflight;
    expect(r.status).toBe(202);
    await stopping;
    expect(sink.sent.length).toBe(r.json().records);
  });

  it('a produce Kafka does not acknowledge: 503 to the sensor, and /readyz names kafka_acknowledging', async () => {
    const sink = new MemorySink();
    sink.hold = true;
    const svc = new IngestService(config(), {
      logger: silent,
      kafka: fakeKafka(sink, ['wmi.packets.v1']),
      host: '127.0.0.1',
    });
    await svc.start();
    await svc.ready();
    try {
      const before = await fetch(`http://127.0.0.1:${svc.opsPort}/readyz`);
      expect(before.status).toBe(200);
      const frames = await scenarioWireFrames('wmi-activation-ok');
      const pending = post(svc.port, '/v1/batches', encodePacketBatch({ sensor: 's1', seq: 1, frames }), {
        authorization: `Bearer ${TOKEN}`,
      });
      await sink.whenPending();
      sink.fail('REQUEST_TIMED_OUT');
      expect((await pending).status).toBe(503);
      const after = await fetch(`http://127.0.0.1:${svc.opsPort}/readyz`);
      expect(after.status).toBe(503);
      expect(await after.json()).toMatchObject({ failing: ['kafka_acknowledging'] });
    } finally {
      await svc.stop();
    }
  });

  it('is not ready, and answers 503, while the topic is missing', async () => {
    const svc = new IngestService(config(), {
      logger: silent,
      kafka: fakeKafka(new MemorySink(), []),
      host: '127.0.0.1',
    });
    await svc.start();
    try {
      const r = await post(svc.port, '/v1/batches', Uint8Array.of(1), { authorization: `Bearer ${TOKEN}` });
      expect(r.status).toBe(503);
      expect(svc.unavailable()).toContain('wmi.packets.v1');
    } finally {
      await svc.stop();
    }
  });
});

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
if (!haveOpenssl) console.warn('SKIPPED: TLS tests need the openssl command to make test certificates');

describe.skipIf(!haveOpenssl)('IngestService over TLS', () => {
  let pki: { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };

  beforeAll(() => {
    const p = (n: string) => join(dir, n);
    const run = (args: string[]) => {
      const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
    };
    run([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=test-ca',
      '-keyout',
      p('ca.key'),
      '-out',
      p('ca.crt'),
    ]);
    writeFileSync(p('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    for (const who of ['server', 'client']) {
      run([
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        `/CN=${who}`,
        '-keyout',
        p(`${who}.key`),
        '-out',
        p(`${who}.csr`),
      ]);
      run([
        'x509',
        '-req',
        '-in',
        p(`${who}.csr`),
        '-CA',
        p('ca.crt'),
        '-CAkey',
        p('ca.key'),
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        p('san.ext'),
        '-out',
        p(`${who}.crt`),
      ]);
    }
    pki = {
      ca: p('ca.crt'),
      serverCert: p('server.crt'),
      serverKey: p('server.key'),
      clientCert: p('client.crt'),
      clientKey: p('client.key'),
    };
  });

  async function tlsService(clientCa: boolean) {
    const sink = new MemorySink();
    const svc = new IngestService(
      config({
        tls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: clientCa ? pki.ca : undefined },
      }),
      { logger: silent, kafka: fakeKafka(sink, ['wmi.packets.v1']), host: '127.0.0.1' },
    );
    await svc.start();
    await svc.ready();
    return { svc, sink };
  }

  const body = async () =>
    gzipSync(encodePacketBatch({ sensor: 's1', seq: 1, frames: await scenarioWireFrames('wmi-activation-ok') }));

  it('HTTPS: the sensor client verifies the server with --ca', async () => {
    const { svc, sink } = await tlsService(false);
    try {
      const { readFileSync } = await import('node:fs');
      const c = new IngestClient({
        url: `https://127.0.0.1:${svc.port}`,
        sensorId: 's1',
        token: TOKEN,
        ca: readFileSync(pki.ca),
      });
      expect(await c.post(await body())).toEqual({ kind: 'ok' });
      c.close();
      // Without the CA the server is not trusted: a network-level failure, retried, nothing produced.
      const untrusting = new IngestClient({ url: `https://127.0.0.1:${svc.port}`, sensorId: 's1', token: TOKEN });
      const r = await untrusting.post(await body());
      untrusting.close();
      expect(r.kind).toBe('retry');
      expect(sink.sent.length).toBeGreaterThan(0);
    } finally {
      await svc.stop();
    }
  });

  it('mTLS: a client certificate signed by INGEST_TLS_CLIENT_CA_FILE is required in addition to the token', async () => {
    const { svc, sink } = await tlsService(true);
    try {
      const { readFileSync } = await import('node:fs');
      const ca = readFileSync(pki.ca);
      const noCert = new IngestClient({ url: `https://127.0.0.1:${svc.port}`, sensorId: 's1', token: TOKEN, ca });
      const refused = await noCert.post(await body());
      noCert.close();
      expect(refused.kind).toBe('retry'); // the handshake fails: no HTTP answer at all
      expect(sink.sent).toHaveLength(0);
      const withCert = new IngestClient({
        url: `https://127.0.0.1:${svc.port}`,
        sensorId: 's1',
        token: TOKEN,
        ca,
        cert: readFileSync(pki.clientCert),
        key: readFileSync(pki.clientKey),
      });
      expect(await withCert.post(await body())).toEqual({ kind: 'ok' });
      // The certificate does not replace the token.
      const wrongToken = new IngestClient({
        url: `https://127.0.0.1:${svc.port}`,
        sensorId: 's1',
        token: 'not-the-token-of-s1-at-all',
        ca,
        cert: readFileSync(pki.clientCert),
        key: readFileSync(pki.clientKey),
      });
      expect(await wrongToken.post(await body())).toMatchObject({ kind: 'auth', status: 401 });
      withCert.close();
      wrongToken.close();
    } finally {
      await svc.stop();
    }
  });
});
