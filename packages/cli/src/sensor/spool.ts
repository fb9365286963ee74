/**
 * Spool: the sensor's bounded on-disk queue of batches that ingest has not acknowledged yet.
 *
 *   <dir>/lock                       pid of the sensor using the dir (one sensor per spool; a dead owner's lock is taken over)
 *   <dir>/next-seq                   the next batch sequence number, so a restarted sensor never reuses one
 *   <dir>/<seq:16 digits>-<frames>.batch   one request body (gzip-compressed PacketBatch v1), written to a .tmp
 *                                    name and renamed, so a crash never leaves a half batch under a .batch name
 *
 * Files sort by name = by sequence number = capture order. The byte bound counts the batch files; a batch that does
 * not fit is refused (put returns false) and the caller counts it as dropped — the spool never evicts what it holds,
 * because the oldest data (a session's activation on port 135) is what the detector needs to make sense of the rest.
 * Batches left at exit are sent first at the next start.
 */
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

export interface SpooledBatch {
  readonly seq: number;
  readonly frames: number;
  readonly bytes: number;
  readonly file: string;
}

const NAME = /^(\d{16})-(\d+)\.batch$/;

export class SpoolLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`spool ${dir} is in use by process ${pid}; give each sensor its own --spool-dir`);
    this.name = 'SpoolLockedError';
  }
}

export class Spool {
  private readonly entries: SpooledBatch[] = [];
  private total = 0;
  private locked = false;

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  /** Creates the dir, takes the lock, and indexes the batches a previous run left. Returns the next free seq. */
  open(): number {
    mkdirSync(this.dir, { recursive: true });
    this.lock();
    let nextSeq = 0;
    try {
      const v = Number(readFileSync(join(this.dir, 'next-seq'), 'utf8').trim());
      if (Number.isSafeInteger(v) && v >= 0) nextSeq = v;
    } catch {
      // first run
    }
    for (const name of readdirSync(this.dir).sort()) {
      if (name.endsWith('.tmp')) {
        unlinkSync(join(this.dir, name)); // a write the previous run did not finish: never acknowledged, never renamed
        continue;
      }
      const m = NAME.exec(name);
      if (!m) continue;
      const file = join(this.dir, name);
      const bytes = statSync(file).size;
      this.entries.push({ seq: Number(m[1]), frames: Number(m[2]), bytes, file });
      this.total += bytes;
      nextSeq = Math.max(nextSeq, Number(m[1]) + 1);
    }
    return nextSeq;
  }

  private lock(): void {
    const path = join(this.dir, 'lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        this.locked = true;
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const pid = Number(readFileSync(path, 'utf8').trim());
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
          throw new SpoolLockedError(this.dir, pid);
        unlinkSync(path); // the owner is gone
      }
    }
    throw new Error(`cannot lock spool ${this.dir}`);
  }

  /** Remembers the next sequence number (atomically) so a restart continues after it. */
  saveNextSeq(seq: number): void {
    const tmp = join(this.dir, 'next-seq.tmp');
    writeFileSync(tmp, `${seq}\n`);
    renameSync(tmp, join(this.dir, 'next-seq'));
  }

  get bytes(): number {
    return this.total;
  }

  get count(): number {
    return this.entries.length;
  }

  get frames(): number {
    let n = 0;
    for (const e of this.entries) n += e.frames;
    return n;
  }

  fits(bytes: number): boolean {
    return this.total + bytes <= this.maxBytes;
  }

  /** Stores a batch; false (nothing written) when it would exceed the byte bound. */
  put(seq: number, frames: number, body: Uint8Array): boolean {
    if (!this.fits(body.length)) return false;
    const file = join(this.dir, `${String(seq).padStart(16, '0')}-${frames}.batch`);
    writeFileSync(`${file}.tmp`, body);
    renameSync(`${file}.tmp`, file);
    const entry = { seq, frames, bytes: body.length, file };
    // Usually appended at the end; a batch saved at shutdown may be older than spooled ones.
    let i = this.entries.length;
    while (i > 0 && this.entries[i - 1].seq > seq) i--;
    this.entries.splice(i, 0, entry);
    this.total += body.length;
    return true;
  }

  oldest(): SpooledBatch | undefined {
    return this.entries[0];
  }

  read(b: SpooledBatch): Buffer {
    return readFileSync(b.file);
  }

  /** Deletes an acknowledged (or rejected) batch. */
  remove(b: SpooledBatch): void {
    const i = this.entries.indexOf(b);
    if (i < 0) return;
    this.entries.splice(i, 1);
    this.total -= b.bytes;
    try {
      unlinkSync(b.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  close(): void {
    if (!this.locked) return;
    this.locked = false;
    try {
      unlinkSync(join(this.dir, 'lock'));
    } catch {
      // already gone
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
