import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { type CaptureFormatName, CaptureParser, type CaptureParserOptions } from './parser.js';
import { CaptureError, type RawFrame } from './types.js';

/**
 * Where capture bytes come from: a file (read in large chunks into one reused buffer), standard input (`-`), or any
 * async iterable of chunks (an HTTP request body). gzip-compressed input (magic 1f 8b) is recognised from its first
 * two bytes and decompressed on the fly with node:zlib, whatever the file name says.
 */
export interface CaptureOptions extends CaptureParserOptions {
  /** Read size for files (default 1 MiB). */
  chunkSize?: number;
  /** Called after each chunk with the reader's counters (cheap: no allocation per call). */
  onProgress?: (progress: CaptureProgress) => void;
  /** Standard input to use for `-` (default process.stdin; tests pass their own). */
  stdin?: AsyncIterable<Uint8Array>;
}

export interface CaptureProgress {
  readonly file: string;
  /** Bytes read from the source (compressed bytes for gzip input). */
  readonly bytesRead: number;
  /** Size of the source when known (regular files), else null. */
  readonly totalBytes: number | null;
  /** Bytes of the capture itself parsed so far (after decompression). */
  readonly captureBytes: number;
  readonly frames: number;
  readonly compressed: boolean;
}

export const DEFAULT_CHUNK_SIZE = 1 << 20;

/** Open a capture file, or standard input for `-`. Nothing is read until iteration starts. */
export function openCapture(path: string, opts: CaptureOptions = {}): CaptureReader {
  return new CaptureReader(path === '-' ? '<stdin>' : path, path === '-' ? null : path, null, opts);
}

/** Read a capture from any stream of chunks (an HTTP body, a socket). `name` is used in errors. */
export function readCaptureStream(
  name: string,
  source: AsyncIterable<Uint8Array>,
  opts: CaptureOptions = {},
): CaptureReader {
  return new CaptureReader(name, null, source, opts);
}

/**
 * One pass over one capture. Iterate it (`for await (const frame of reader)`) or, faster, hand it a callback
 * (`await reader.forEach(fn)`). Either way every frame before any damage is delivered, and then the CaptureError is
 * thrown. Counters (`bytesRead`, `totalBytes`, `frames`…) can be read at any time.
 *
 * VALIDITY OF FRAMES: a frame's `data` is a view into a buffer that the reader reuses; it stays valid until the
 * consumer asks for the next frame (iteration) or returns from the callback. Copy what you keep.
 */
export class CaptureReader implements AsyncIterable<RawFrame>, CaptureProgress {
  bytesRead = 0;
  totalBytes: number | null = null;
  compressed = false;
  private parser: CaptureParser | null = null;
  private started = false;
  private readonly chunkSize: number;

  constructor(
    readonly file: string,
    private readonly path: string | null,
    private readonly source: AsyncIterable<Uint8Array> | null,
    private readonly opts: CaptureOptions,
  ) {
    this.chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  }

  get frames(): number {
    return this.parser?.frames ?? 0;
  }

  get captureBytes(): number {
    return this.parser?.bytesIn ?? 0;
  }

  get format(): CaptureFormatName | null {
    return this.parser?.format ?? null;
  }

  /** Deliver every frame to `onFrame`, synchronously per chunk; rejects with the CaptureError after the last good frame. */
  async forEach(onFrame: (frame: RawFrame) => void): Promise<void> {
    const parser = this.start(onFrame);
    for await (const chunk of this.chunks()) {
      if (!parser.push(chunk)) break;
      this.opts.onProgress?.(this);
    }
    this.finish(parser);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RawFrame> {
    const batch: RawFrame[] = [];
    const parser = this.start((f) => batch.push(f));
    for await (const chunk of this.chunks()) {
      const ok = parser.push(chunk);
      this.opts.onProgress?.(this);
      for (let i = 0; i < batch.length; i++) yield batch[i];
      batch.length = 0;
      if (!ok) break;
    }
    parser.end();
    for (let i = 0; i < batch.length; i++) yield batch[i];
    this.finish(parser);
  }

  private start(onFrame: (frame: RawFrame) => void): CaptureParser {
    if (this.started) throw new Error(`${this.file}: a CaptureReader can be read only once`);
    this.started = true;
    this.parser = new CaptureParser(this.file, onFrame, this.opts);
    return this.parser;
  }

  private finish(parser: CaptureParser): void {
    parser.end();
    if (parser.error !== null) throw parser.error;
  }

  /** The capture's bytes: raw chunks, or decompressed ones when the input starts with the gzip magic. */
  private async *chunks(): AsyncGenerator<Uint8Array> {
    const raw = this.rawChunks();
    const head: Uint8Array[] = [];
    let headLen = 0;
    // Enough bytes to see the gzip magic (stdin may deliver them one at a time).
    while (headLen < 2) {
      const r = await raw.next();
      if (r.done) break;
      if (r.value.length === 0) continue;
      head.push(r.value);
      headLen += r.value.length;
    }
    const gz = headLen >= 2 && byteAt(head, 0) === 0x1f && byteAt(head, 1) === 0x8b;
    if (!gz) {
      yield* head;
      yield* raw;
      return;
    }
    this.compressed = true;
    // zlib works on its own thread and keeps references to input chunks: rawChunks hands it fresh buffers.
    yield* this.gunzip(head, raw);
  }

  private async *gunzip(head: Uint8Array[], rest: AsyncGenerator<Uint8Array>): AsyncGenerator<Uint8Array> {
    const gunzip = createGunzip({ chunkSize: this.chunkSize });
    const input = Readable.from(
      (async function* () {
        yield* head;
        yield* rest;
      })(),
      { objectMode: false },
    );
    input.on('error', (e) => gunzip.destroy(e));
    input.pipe(gunzip);
    try {
      for await (const chunk of gunzip) yield chunk as Uint8Array;
    } catch (e) {
      if (e instanceof CaptureError) throw e;
      const parser = this.parser!;
      throw new CaptureError(
        this.file,
        parser.offset,
        `gzip-compressed input is damaged after ${this.bytesRead} compressed bytes: ${(e as Error).message} (the capture was read up to here)`,
      );
    } finally {
      input.destroy();
      gunzip.destroy();
    }
  }

  private async *rawChunks(): AsyncGenerator<Uint8Array> {
    if (this.path === null) {
      const src = this.source ?? this.opts.stdin ?? (process.stdin as AsyncIterable<Uint8Array>);
      try {
        for await (const chunk of src) {
          this.bytesRead += chunk.length;
          yield chunk;
        }
      } catch (e) {
        throw this.readError(e);
      }
      return;
    }
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(this.path, 'r');
    } catch (e) {
      throw new CaptureError(this.file, 0, `cannot open: ${(e as Error).message}`);
    }
    try {
      const st = await fh.stat();
      if (st.isFile()) this.totalBytes = st.size;
      // One buffer reused for every read while the data is plain (the parser copies straddling records into its
      // own carry buffer before push returns); fresh buffers once gzip is detected, because zlib holds on to them.
      let shared: Buffer | null = null;
      for (;;) {
        const buf: Buffer = this.compressed || shared === null ? Buffer.allocUnsafe(this.chunkSize) : shared;
        if (!this.compressed) shared = buf;
        let n: number;
        try {
          n = (await fh.read(buf, 0, buf.length, null)).bytesRead;
        } catch (e) {
          throw this.readError(e);
        }
        if (n === 0) return;
        this.bytesRead += n;
        yield new Uint8Array(buf.buffer, buf.byteOffset, n);
      }
    } finally {
      await fh.close();
    }
  }

  private readError(e: unknown): CaptureError {
    if (e instanceof CaptureError) return e;
    return new CaptureError(this.file, this.parser?.offset ?? 0, `read error: ${(e as Error).message}`);
  }
}

function byteAt(chunks: Uint8Array[], i: number): number {
  for (const c of chunks) {
    if (i < c.length) return c[i];
    i -= c.length;
  }
  return -1;
}
