/**
 * IngestClient: one POST of one batch body to ingest, and what the answer means for the sensor.
 *
 *   202               delivered (Kafka acknowledged)
 *   429, 5xx, network error, timeout     retry later (Retry-After honoured)
 *   401, 403          credentials refused: stop, keep the data spooled (retrying cannot help; an operator must act)
 *   400, 413, 415, other 4xx             this batch will never be accepted: drop it and count it as rejected
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { parseRetryAfter } from './backoff.js';

export type PostOutcome =
  | { kind: 'ok' }
  | { kind: 'retry'; retryAfterMs: number; detail: string }
  | { kind: 'auth'; status: number; detail: string }
  | { kind: 'rejected'; status: number; detail: string };

export interface IngestClientOptions {
  readonly url: string;
  readonly sensorId: string;
  readonly token: string;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly timeoutMs?: number;
}

export class IngestClient {
  private readonly url: URL;
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly https: boolean;

  constructor(private readonly o: IngestClientOptions) {
    const base = o.url.endsWith('/') ? o.url : `${o.url}/`;
    this.url = new URL('v1/batches', base);
    this.https = this.url.protocol === 'https:';
    if (!this.https && this.url.protocol !== 'http:') throw new Error(`--ingest must be an http(s) URL, got ${o.url}`);
    if (!this.https && (o.ca || o.cert || o.key)) throw new Error('--ca/--cert/--key need an https:// ingest URL');
    this.agent = this.https
      ? new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: o.ca, cert: o.cert, key: o.key })
      : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  }

  post(body: Uint8Array): Promise<PostOutcome> {
    const request = this.https ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      let settled = false;
      const done = (o: PostOutcome) => {
        if (!settled) {
          settled = true;
          resolve(o);
        }
      };
      const req = request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.o.token}`,
            'content-type': 'application/x-msgpack',
            'content-encoding': 'gzip',
            'content-length': String(body.length),
          },
          timeout: this.o.timeoutMs ?? 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(classify(res, Buffer.concat(chunks).toString('utf8'))));
          res.on('error', (e) => done({ kind: 'retry', retryAfterMs: 0, detail: `response: ${e.message}` }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('request timed out')));
      req.on('error', (e) => done({ kind: 'retry', retryAfterMs: 0, detail: e.message }));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function classify(res: IncomingMessage, text: string): PostOutcome {
  const status = res.statusCode ?? 0;
  let detail = text.trim();
  try {
    const j = JSON.parse(text) as { error?: string };
    if (typeof j.error === 'string') detail = j.error;
  } catch {
    // not JSON: keep the text
  }
  if (status >= 200 && status < 300) return { kind: 'ok' };
  if (status === 429 || status >= 500)
    return { kind: 'retry', retryAfterMs: parseRetryAfter(res.headers['retry-after']), detail: `${status} ${detail}` };
  if (status === 401 || status === 403) return { kind: 'auth', status, detail };
  return { kind: 'rejected', status, detail };
}
