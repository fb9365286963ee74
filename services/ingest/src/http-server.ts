/**
 * The sensor API (docs/wire-format.md §1, §2):
 *
 *   POST /v1/batches   body: PacketBatch v1 (msgpack), Content-Encoding gzip or identity
 *   POST /v1/pcap      body: a pcap or pcapng capture (gzip-compressed allowed); sensor = the token's sensor,
 *                      X-Wmi-Seq: batch sequence number (default: the receive time in ms), X-Wmi-Sensor optional
 *
 * Checks, in this order, each with its own status and rejection counter:
 *   405 method / 404 path → 401 no or unknown bearer token → 503 not accepting (producer not connected, topic
 *   missing, shutting down; Retry-After) → 413 Content-Length over INGEST_MAX_BODY_BYTES (before reading) →
 *   429 in-flight bytes bound reached (Retry-After) → read body (413 if it grows past the limit, also after gzip) →
 *   415 wrong Content-Type → 400 malformed (schema, field, problem in the JSON body) → 403 batch names another
 *   sensor than the token's → split by host pair → produce (acks=all) → 202 only after Kafka acknowledged every
 *   record; 503 + Retry-After when producing failed (nothing was acknowledged as a whole: the sensor retries, and
 *   the (sensor, seq, part) triple lets consumers drop records a partial failure had already written).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzip } from 'node:zlib';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { CaptureError, readCaptureStream } from '@wmi-detect/engine';
import type { OutgoingRecord, RecordSink } from '@wmi-detect/kafka';
import type { Logger } from '@wmi-detect/ops';
import { decodePacketBatch, encodePacketRecord, WireFormatError, type WireFrame } from '@wmi-detect/wire';
import type { Admission } from './admission.js';
import { hostPairText } from './host-pair-key.js';
import type { IngestMetrics, RejectReason } from './metrics.js';
import type { Prefilter } from './prefilter.js';
import { BatchSplitter, cutRecords, DEFAULT_MAX_RECORD_BYTES } from './splitter.js';
import type { TokenStore } from './tokens.js';

/** Seconds a sensor should wait after 429 (in-flight bound) and after 503 (Kafka unavailable). */
export const RETRY_AFTER_BACKPRESSURE_S = 1;
export const RETRY_AFTER_UNAVAILABLE_S = 5;

export const RECORD_SCHEMA_HEADER = 'wmi-schema';
export const RECORD_SCHEMA = 'PacketRecord/1';
export const RECORD_SENSOR_HEADER = 'wmi-sensor';
export const RECORD_HOST_PAIR_HEADER = 'wmi-host-pair';

export interface IngestDeps {
  /** The current tokens (re-read when the file changes). */
  readonly tokens: () => TokenStore;
  readonly sink: RecordSink;
  readonly topic: string;
  readonly admission: Admission;
  /** null when requests can be accepted; otherwise why not (answered 503). */
  readonly unavailable: () => string | null;
  readonly prefilter: Prefilter | null;
  readonly metrics: IngestMetrics;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  readonly maxRecordBytes?: number;
  /** True once shutdown began: new requests get 503 and the connection is closed. */
  readonly closing: () => boolean;
  /** Told whether each produce was acknowledged (readiness drops for a while after a failure). */
  readonly onProduce?: (ok: boolean) => void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: RejectReason,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body.error ?? reason));
  }
}

const tracer = trace.getTracer('wmi-detect-ingest');

export type IngestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createIngestHandler(deps: IngestDeps): IngestHandler {
  const splitter = new BatchSplitter();
  const maxRecordBytes = deps.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;

  const answer = (res: ServerResponse, route: string, status: number, body: unknown, headers = {}): void => {
    deps.metrics.requests.inc({ route, status });
    if (res.headersSent || res.destroyed) return;
    const h: Record<string, string> = { 'content-type': 'application/json', ...headers };
    if (deps.closing()) h.connection = 'close';
    res.writeHead(status, h).end(`${JSON.stringify(body)}\n`);
  };

  const refuse = (res: ServerResponse, route: string, e: HttpError): void => {
    deps.metrics.reject(e.reason);
    // The body of a refused request may still be arriving: close the connection rather than read it.
    const headers =
      e.status === 413 || e.status === 401 || e.status === 429 ? { connection: 'close', ...e.headers } : e.headers;
    answer(res, route, e.status, e.body, headers);
  };

  return (req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const route = url === '/v1/batches' || url === '/v1/pcap' ? url : 'other';
    if (route === 'other') {
      refuse(
        res,
        route,
        new HttpError(404, 'not_found', { error: `no such endpoint ${url}; use POST /v1/batches or POST /v1/pcap` }),
      );
      req.resume();
      return;
    }
    if (req.method !== 'POST') {
      refuse(res, route, new HttpError(405, 'method_not_allowed', { error: `${route} takes POST` }, { allow: 'POST' }));
      req.resume();
      return;
    }
    handle(req, res, route).catch((e: unknown) => {
      if (e instanceof HttpError) refuse(res, route, e);
      else {
        deps.logger.error('request failed unexpectedly', { route, error: e as Error });
        deps.metrics.reject('kafka_error');
        answer(res, route, 500, { error: 'internal error' });
      }
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
    const sensor = deps.tokens().authenticate(req.headers.authorization);
    if (sensor === null)
      throw new HttpError(
        401,
        'unauthorized',
        { error: req.headers.authorization === undefined ? 'missing bearer token' : 'invalid bearer token' },
        { 'www-authenticate': 'Bearer realm="wmi-detect-ingest"' },
      );
    if (deps.closing())
      throw new HttpError(
        503,
        'shutting_down',
        { error: 'ingest is shutting down' },
        retryAfter(RETRY_AFTER_UNAVAILABLE_S),
      );
    const why = deps.unavailable();
    if (why !== null)
      throw new HttpError(
        503,
        'unavailable',
        { error: `not accepting: ${why}` },
        retryAfter(RETRY_AFTER_UNAVAILABLE_S),
      );
    const declared = contentLength(req);
    if (declared !== null && declared > deps.maxBodyBytes)
      throw new HttpError(413, 'too_large', { error: `body of ${declared} bytes exceeds ${deps.maxBodyBytes}` });
    const reserve = declared ?? deps.maxBodyBytes;
    if (!deps.admission.tryAcquire(reserve))
      throw new HttpError(
        429,
        'backpressure',
        { error: 'too many bytes in flight; retry later' },
        retryAfter(RETRY_AFTER_BACKPRESSURE_S),
      );
    deps.metrics.inflightBytes.set(deps.admission.bytes);
    try {
      await tracer.startActiveSpan(`POST ${route}`, async (span) => {
        try {
          span.setAttribute('wmi.sensor', sensor);
          const result = await processBody(req, route, sensor);
          span.setAttributes({
            'wmi.seq': result.seq,
            'wmi.frames': result.frames,
            'wmi.records': result.records,
          });
          answer(res, route, 202, result);
        } catch (e) {
          span.recordException(e as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
          throw e;
        } finally {
          span.end();
        }
      });
    } finally {
      deps.admission.release(reserve);
      deps.metrics.inflightBytes.set(deps.admission.bytes);
    }
  }

  async function processBody(req: IncomingMessage, route: string, sensor: string) {
    const body = await decodeContent(req, await readBody(req, deps.maxBodyBytes, deps.metrics), deps.maxBodyBytes);
    let frames: WireFrame[];
    let seq: number;
    if (route === '/v1/batches') {
      const ct = mediaType(req);
      if (
        ct !== null &&
        ct !== 'application/x-msgpack' &&
        ct !== 'application/msgpack' &&
        ct !== 'application/octet-stream'
      )
        throw new HttpError(415, 'unsupported_media_type', {
          error: `Content-Type ${ct} is not a PacketBatch; send application/x-msgpack`,
        });
      let batch: ReturnType<typeof decodePacketBatch>;
      try {
        batch = decodePacketBatch(body);
      } catch (e) {
        if (e instanceof WireFormatError) throw malformed(e.schema, e.field, e.problem);
        throw e;
      }
      if (batch.sensor !== sensor)
        throw new HttpError(403, 'forbidden', {
          error: `the token belongs to sensor '${sensor}', the batch names '${batch.sensor}'`,
        });
      frames = batch.frames;
      seq = batch.seq;
    } else {
      const named = headerValue(req, 'x-wmi-sensor');
      if (named !== undefined && named !== sensor)
        throw new HttpError(403, 'forbidden', {
          error: `the token belongs to sensor '${sensor}', X-Wmi-Sensor names '${named}'`,
        });
      const seqText = headerValue(req, 'x-wmi-seq');
      if (seqText !== undefined && !/^\d{1,15}$/.test(seqText))
        throw malformed('pcap', 'X-Wmi-Seq', 'expected a non-negative decimal integer');
      seq = seqText !== undefined ? Number(seqText) : Date.now();
      frames = await captureFrames(body);
    }

    const before = deps.prefilter?.stats;
    const dropped0 = before?.droppedFrames ?? 0;
    const saved0 = before?.savedBytes ?? 0;
    const { groups, fallbackFrames } = splitter.split(frames, deps.prefilter?.keep);
    const droppedFrames = (deps.prefilter?.stats.droppedFrames ?? 0) - dropped0;
    const savedBytes = (deps.prefilter?.stats.savedBytes ?? 0) - saved0;
    if (deps.prefilter) deps.metrics.prefilterConnections.set(deps.prefilter.tracked);
    const cuts = cutRecords(groups, maxRecordBytes);
    const records: OutgoingRecord[] = cuts.map((c) => {
      const value = encodePacketRecord({ sensor, seq, part: c.part, frames: c.frames });
      return {
        topic: deps.topic,
        key: Buffer.from(c.key.buffer, c.key.byteOffset, c.key.length),
        value: Buffer.from(value.buffer, value.byteOffset, value.length),
        headers: {
          [RECORD_SCHEMA_HEADER]: RECORD_SCHEMA,
          [RECORD_SENSOR_HEADER]: sensor,
          [RECORD_HOST_PAIR_HEADER]: hostPairText(c.key),
        },
      };
    });
    const t0 = performance.now();
    try {
      for (const chunk of produceChunks(records, MAX_PRODUCE_BYTES)) await deps.sink.send(chunk);
      deps.onProduce?.(true);
    } catch (e) {
      deps.onProduce?.(false);
      deps.logger.warn('produce failed; answering 503', {
        sensor,
        seq,
        records: records.length,
        error: e as Error,
      });
      throw new HttpError(
        503,
        'kafka_error',
        { error: `Kafka did not acknowledge the batch: ${(e as Error).message}` },
        retryAfter(RETRY_AFTER_UNAVAILABLE_S),
      );
    }
    deps.metrics.produceSeconds.observe((performance.now() - t0) / 1000);
    const kept = frames.length - droppedFrames;
    deps.metrics.accepted(kept, records.length);
    deps.metrics.fallbackFrames.inc(undefined, fallbackFrames);
    deps.metrics.prefiltered(droppedFrames, savedBytes);
    return {
      sensor,
      seq,
      frames: frames.length,
      records: records.length,
      host_pairs: groups.length,
      fallback_frames: fallbackFrames,
      prefilter_dropped_frames: droppedFrames,
      prefilter_saved_bytes: savedBytes,
    };
  }
}

function malformed(schema: string, field: string, problem: string): HttpError {
  return new HttpError(400, 'malformed', { error: `${schema}: ${field}: ${problem}`, schema, field, problem });
}

function retryAfter(s: number): Record<string, string> {
  return { 'retry-after': String(s) };
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v[0] : v).trim();
}

function mediaType(req: IncomingMessage): string | null {
  const ct = req.headers['content-type'];
  if (ct === undefined) return null;
  return ct.split(';')[0].trim().toLowerCase();
}

function contentLength(req: IncomingMessage): number | null {
  const v = req.headers['content-length'];
  if (v === undefined || !/^\d+$/.test(v)) return null;
  return Number(v);
}

/** The request body, refused with 413 once it grows past `limit` (a chunked body announces no length). */
function readBody(req: IncomingMessage, limit: number, metrics: IngestMetrics): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    let done = false;
    const fail = (e: HttpError) => {
      if (done) return;
      done = true;
      req.removeAllListeners('data');
      req.resume();
      reject(e);
    };
    req.on('data', (c: Buffer) => {
      if (done) return;
      n += c.length;
      metrics.bodyBytes.inc(undefined, c.length);
      if (n > limit) {
        fail(new HttpError(413, 'too_large', { error: `body exceeds ${limit} bytes` }));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, n));
    });
    req.on('error', (e) => fail(new HttpError(400, 'aborted', { error: `request body: ${e.message}` })));
    req.on('aborted', () => fail(new HttpError(400, 'aborted', { error: 'request aborted by the client' })));
  });
}

/** Undoes Content-Encoding (gzip; identity), bounding the decoded size by the same limit. */
function decodeContent(req: IncomingMessage, body: Buffer, limit: number): Promise<Buffer> {
  const enc = (headerValue(req, 'content-encoding') ?? 'identity').toLowerCase();
  if (enc === 'identity' || enc === '') return Promise.resolve(body);
  if (enc !== 'gzip' && enc !== 'x-gzip')
    return Promise.reject(
      new HttpError(415, 'unsupported_media_type', { error: `Content-Encoding ${enc} is not supported; use gzip` }),
    );
  return new Promise((resolve, reject) => {
    gunzip(body, { maxOutputLength: limit }, (err, out) => {
      if (err === null) resolve(out);
      else if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
        reject(new HttpError(413, 'too_large', { error: `decompressed body exceeds ${limit} bytes` }));
      else reject(malformed('Content-Encoding', 'body', `not valid gzip: ${err.message}`));
    });
  });
}

/** Frames of a pcap/pcapng body. All or nothing: a damaged capture is a 400 and nothing is produced. */
async function captureFrames(body: Buffer): Promise<WireFrame[]> {
  const frames: WireFrame[] = [];
  try {
    await readCaptureStream('request body', oneChunk(body)).forEach((f) => {
      const w: WireFrame = { t: f.tsUs, l: f.linkType, d: f.data.slice() };
      if (f.origLen > f.data.length) w.o = f.origLen;
      frames.push(w);
    });
  } catch (e) {
    if (e instanceof CaptureError) throw malformed('pcap', `byte ${e.offset}`, e.reason);
    throw e;
  }
  return frames;
}

async function* oneChunk(b: Uint8Array): AsyncGenerator<Uint8Array> {
  yield b;
}

/**
 * Values per produce request. kafkajs puts every record of a partition in one request into one record batch, and the
 * broker refuses a batch above message.max.bytes (1 MiB by default): a large sensor batch of one host pair would be
 * refused for ever (503, retried by the sensor, refused again). Sequential requests of at most this many value bytes
 * keep each batch below the limit and keep the order of a host pair's records.
 */
export const MAX_PRODUCE_BYTES = 512 * 1024;

/** Consecutive runs of records whose values add up to at most `limit` bytes (a larger single record goes alone). */
export function produceChunks(records: readonly OutgoingRecord[], limit: number): OutgoingRecord[][] {
  const out: OutgoingRecord[][] = [];
  let cur: OutgoingRecord[] = [];
  let bytes = 0;
  for (const r of records) {
    const n = r.value?.length ?? 0;
    if (cur.length > 0 && bytes + n > limit) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(r);
    bytes += n;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
