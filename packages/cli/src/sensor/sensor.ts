/**
 * Sensor: frames in, acknowledged PacketBatch v1 requests out — batching, compression, ordered delivery with retries,
 * and the spool while ingest is unreachable.
 *
 *   add(frame) → current batch ──(batchBytes reached | batchMs since its first frame)──▶ seal: seq = next, msgpack,
 *   gzip ──▶ memory queue (≤ maxQueued) ──▶ sender ──POST──▶ ingest
 *                 │ full, or spool not empty (order!)                     ▲
 *                 └──────────────▶ spool on disk (≤ spool-max-bytes) ─────┘ oldest first
 *
 * Delivery order is sequence order: the sender takes the memory queue first and then the spool, and a batch goes to
 * memory only while the spool is empty, so nothing in memory is ever newer than something spooled.
 *
 * When both are full: a live source (interface, stdin) cannot be paused without the kernel dropping packets
 * uncounted, so the batch is dropped here and counted (droppedBatches/droppedFrames, the exit status says so); a
 * file source waits for room instead — nothing is ever dropped from a file.
 */
import { gzipSync, constants as zlibConstants } from 'node:zlib';
import { encodePacketBatch, type WireFrame } from '@wmi-detect/wire';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import type { PostOutcome } from './ingest-client.js';
import type { Spool, SpooledBatch } from './spool.js';

export interface BatchPoster {
  post(body: Uint8Array): Promise<PostOutcome>;
}

export interface SensorOptions {
  readonly sensorId: string;
  readonly client: BatchPoster;
  readonly spool: Spool;
  /** Seal a batch once its frames hold this many bytes. */
  readonly batchBytes: number;
  /** Seal a batch this long after its first frame, full or not. */
  readonly batchMs: number;
  /** Sealed batches kept in memory before spooling (default 4). */
  readonly maxQueued?: number;
  /** Live source: drop (and count) when memory and spool are full, instead of waiting. */
  readonly live: boolean;
  readonly backoff?: BackoffOptions;
  /** Progress and problems, one line each (stderr in the CLI). */
  readonly log?: (line: string) => void;
  /** Called after ingest acknowledged a batch (202). */
  readonly onSent?: (seq: number, frames: number) => void;
}

export interface SensorStats {
  framesRead: number;
  batchesSealed: number;
  batchesSent: number;
  framesSent: number;
  bodyBytesSent: number;
  retries: number;
  /** Batches that went through the spool (because ingest was slow or unreachable). */
  batchesSpooled: number;
  droppedBatches: number;
  droppedFrames: number;
  /** Batches ingest refused for good (400/413/415…): lost, counted. */
  rejectedBatches: number;
  rejectedFrames: number;
  /** Set when ingest refused the credentials (401/403). */
  authFailure: string | null;
}

interface MemBatch {
  readonly seq: number;
  readonly frames: number;
  readonly body: Uint8Array;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, capMs: 30_000 };

export class Sensor {
  readonly stats: SensorStats = {
    framesRead: 0,
    batchesSealed: 0,
    batchesSent: 0,
    framesSent: 0,
    bodyBytesSent: 0,
    retries: 0,
    batchesSpooled: 0,
    droppedBatches: 0,
    droppedFrames: 0,
    rejectedBatches: 0,
    rejectedFrames: 0,
    authFailure: null,
  };
  private cur: WireFrame[] = [];
  private curBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly mem: MemBatch[] = [];
  private nextSeq: number;
  private ended = false;
  private stopped = false;
  private wakeSender: (() => void) | null = null;
  private roomWaiters: (() => void)[] = [];
  private sleepCancel: (() => void) | null = null;
  private readonly loop: Promise<void>;
  private readonly maxQueued: number;
  private readonly backoff: BackoffOptions;

  constructor(private readonly o: SensorOptions) {
    this.nextSeq = o.spool.open();
    this.maxQueued = o.maxQueued ?? 4;
    this.backoff = o.backoff ?? DEFAULT_BACKOFF;
    if (o.spool.count > 0)
      this.log(`resuming: ${o.spool.count} batch(es), ${o.spool.bytes} bytes left in the spool by an earlier run`);
    this.loop = this.sendLoop();
  }

  get spool(): Spool {
    return this.o.spool;
  }

  /** The next sequence number (for tests and the stats line). */
  get seq(): number {
    return this.nextSeq;
  }

  /**
   * Adds one frame (the caller hands over `frame.d`; copy reader-owned views first). Returns a promise only when
   * a file source must wait for room; await it before the next add.
   */
  add(frame: WireFrame): Promise<void> | undefined {
    this.stats.framesRead++;
    this.cur.push(frame);
    this.curBytes += frame.d.length;
    if (this.cur.length === 1 && this.o.batchMs > 0) this.timer = setTimeout(() => this.seal(), this.o.batchMs);
    if (this.curBytes >= this.o.batchBytes) this.seal();
    if (!this.o.live && this.full()) return this.waitForRoom();
    return undefined;
  }

  /** Seals the current batch (if any) and queues it. */
  seal(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.cur.length === 0) return;
    const frames = this.cur;
    this.cur = [];
    this.curBytes = 0;
    const seq = this.nextSeq++;
    const body = gzipSync(encodePacketBatch({ sensor: this.o.sensorId, seq, frames }), {
      level: zlibConstants.Z_BEST_SPEED,
    });
    this.o.spool.saveNextSeq(this.nextSeq);
    this.stats.batchesSealed++;
    this.enqueue({ seq, frames: frames.length, body });
  }

  private enqueue(b: MemBatch): void {
    if (this.o.spool.count === 0 && this.mem.length < this.maxQueued) this.mem.push(b);
    else if (this.o.spool.put(b.seq, b.frames, b.body)) this.stats.batchesSpooled++;
    else this.drop(b, 'spool full');
    this.wakeSender?.();
  }

  private drop(b: MemBatch, why: string): void {
    this.stats.droppedBatches++;
    this.stats.droppedFrames += b.frames;
    this.log(`dropped batch ${b.seq} (${b.frames} frames, ${b.body.length} bytes): ${why}`);
  }

  /** No room for one more batch of the current size in memory or in the spool. */
  private full(): boolean {
    if (this.o.spool.count === 0 && this.mem.length < this.maxQueued) return false;
    return !this.o.spool.fits(Math.max(this.o.batchBytes, 1));
  }

  private waitForRoom(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!this.full() || this.stopped) resolve();
        else this.roomWaiters.push(check);
      };
      check();
    });
  }

  private roomMade(): void {
    const w = this.roomWaiters;
    this.roomWaiters = [];
    for (const f of w) f();
  }

  /** End of input: seal the last batch and wait until everything is delivered (or stop() is called). */
  async finish(): Promise<SensorStats> {
    this.seal();
    this.ended = true;
    this.wakeSender?.();
    await this.loop;
    this.persistMemory();
    this.o.spool.close();
    return this.stats;
  }

  /** Stop now (SIGTERM): no more retries; what is not delivered stays in (or goes to) the spool. */
  async stop(): Promise<SensorStats> {
    this.seal();
    this.stopped = true;
    this.ended = true;
    this.sleepCancel?.();
    this.wakeSender?.();
    this.roomMade();
    await this.loop;
    this.persistMemory();
    this.o.spool.close();
    return this.stats;
  }

  /** Memory batches not delivered go to the spool (for the next run), or are counted as dropped. */
  private persistMemory(): void {
    for (const b of this.mem.splice(0)) {
      if (this.o.spool.put(b.seq, b.frames, b.body)) this.stats.batchesSpooled++;
      else this.drop(b, 'spool full at exit');
    }
  }

  private async sendLoop(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const fromMem = this.mem[0];
      const spooled: SpooledBatch | undefined = fromMem === undefined ? this.o.spool.oldest() : undefined;
      if (fromMem === undefined && spooled === undefined) {
        if (this.ended) return;
        await new Promise<void>((resolve) => {
          this.wakeSender = resolve;
        });
        this.wakeSender = null;
        continue;
      }
      const body = fromMem !== undefined ? fromMem.body : this.o.spool.read(spooled!);
      const frames = fromMem !== undefined ? fromMem.frames : spooled!.frames;
      const seq = fromMem !== undefined ? fromMem.seq : spooled!.seq;
      const outcome = await this.deliver(body, seq);
      if (outcome === 'stopped') return;
      if (outcome.kind === 'auth') {
        this.stats.authFailure = `${outcome.status} ${outcome.detail}`;
        this.log(
          `ingest refused the credentials (${outcome.status}: ${outcome.detail}); stopping, data kept in the spool`,
        );
        this.stopped = true;
        this.roomMade();
        return;
      }
      if (outcome.kind === 'ok') {
        this.stats.batchesSent++;
        this.stats.framesSent += frames;
        this.stats.bodyBytesSent += body.length;
        this.o.onSent?.(seq, frames);
      } else if (outcome.kind === 'rejected') {
        this.stats.rejectedBatches++;
        this.stats.rejectedFrames += frames;
        this.log(`ingest rejected batch ${seq} (${frames} frames) for good: ${outcome.status} ${outcome.detail}`);
      }
      if (fromMem !== undefined) this.mem.shift();
      else this.o.spool.remove(spooled!);
      this.roomMade();
    }
  }

  /** POSTs one body until it is accepted, refused for good, or the sensor stops. */
  private async deliver(body: Uint8Array, seq: number): Promise<PostOutcome | 'stopped'> {
    for (let attempt = 0; ; attempt++) {
      const r = await this.o.client.post(body);
      if (r.kind !== 'retry') return r;
      if (this.stopped) return 'stopped';
      this.stats.retries++;
      const wait = backoffDelay(attempt, r.retryAfterMs, this.backoff);
      if (attempt === 0 || attempt % 10 === 0)
        this.log(`batch ${seq}: ingest not accepting (${r.detail}); retry ${attempt + 1} in ${wait} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        this.sleepCancel = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.sleepCancel = null;
      if (this.stopped) return 'stopped';
    }
  }

  private log(line: string): void {
    this.o.log?.(line);
  }
}

/**
 * Exit status of `wmidetect sensor` (highest applicable wins):
 *   6 ingest refused the credentials · 5 data lost (dropped: spool full; or rejected by ingest) ·
 *   4 batches left undelivered in the spool (sent at the next start) · 3 the capture input was damaged (everything
 *   before the damage was delivered) · 0 every frame read was delivered. (1 unexpected failure, 2 usage, as for
 *   every wmidetect command.)
 */
export function sensorExitCode(s: SensorStats, spoolLeft: number, captureDamaged: boolean): number {
  if (s.authFailure !== null) return 6;
  if (s.droppedBatches > 0 || s.rejectedBatches > 0) return 5;
  if (spoolLeft > 0) return 4;
  if (captureDamaged) return 3;
  return 0;
}
