/** A stand-in ingest for sensor tests: scripted statuses, records what it accepted. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodePacketBatch, type PacketBatchV1 } from '@wmi-detect/wire';
import { expect } from 'vitest';

export const TOKEN = 'sensor-test-token-0123456789';

/** A stand-in ingest: answers each POST with the next scripted status (then 202), records what it accepted. */
export class FakeIngest {
  readonly accepted: PacketBatchV1[] = [];
  readonly statuses: number[] = [];
  script: { status: number; headers?: Record<string, string> }[] = [];
  private server: Server | null = null;
  private waiters: { n: number; resolve: () => void }[] = [];
  private conditions: { check: () => boolean; resolve: () => void }[] = [];
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const next = this.script.shift() ?? { status: 202 };
        this.statuses.push(next.status);
        if (next.status === 202) {
          expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
          expect(req.headers['content-encoding']).toBe('gzip');
          this.accepted.push(decodePacketBatch(gunzipSync(Buffer.concat(chunks))));
        }
        res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
        res.end(JSON.stringify(next.status === 202 ? {} : { error: `scripted ${next.status}` }));
        const ready = this.waiters.filter((w) => this.accepted.length >= w.n);
        this.waiters = this.waiters.filter((w) => this.accepted.length < w.n);
        for (const w of ready) w.resolve();
        const met = this.conditions.filter((c) => c.check());
        this.conditions = this.conditions.filter((c) => !met.includes(c));
        for (const c of met) c.resolve();
      });
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  untilAccepted(n: number): Promise<void> {
    if (this.accepted.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  /** Resolves once `check` holds, re-evaluated after every accepted batch; rejects after `timeoutMs`. */
  until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.conditions = this.conditions.filter((c) => c.check !== check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`));
      }, timeoutMs);
      this.conditions.push({
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
