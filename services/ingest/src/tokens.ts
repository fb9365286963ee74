/**
 * Sensor credentials: the INGEST_TOKENS_FILE (docs/configuration.md §3) and the constant-time check of a bearer token.
 *
 *   file   = *( line LF )
 *   line   = blank | "#" comment | sensor-id ":" token
 *   sensor-id = [A-Za-z0-9._-]{1,128}
 *   token  = everything after the first ":", surrounding whitespace trimmed, ≥ 16 characters
 *
 * A malformed line or a duplicate sensor id is an error naming the line number — never the token, which would end
 * up in a log. Tokens are kept only as SHA-256 digests; a presented token is hashed and compared against EVERY
 * entry with crypto.timingSafeEqual (no early exit), so neither the comparison nor the loop reveals how much of a
 * guess was right or which sensor it was close to.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';

export const SENSOR_ID = /^[A-Za-z0-9._-]{1,128}$/;
export const MIN_TOKEN_LENGTH = 16;

export class TokenFileError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
    this.name = 'TokenFileError';
  }
}

interface Entry {
  readonly sensor: string;
  readonly digest: Buffer;
}

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

export class TokenStore {
  private constructor(private readonly entries: readonly Entry[]) {}

  /** The file's text → store; throws TokenFileError. */
  static parse(text: string): TokenStore {
    const entries: Entry[] = [];
    const seen = new Set<string>();
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line === '' || line.startsWith('#')) continue;
      const colon = line.indexOf(':');
      if (colon < 0) throw new TokenFileError(i + 1, "expected 'sensor-id:token'");
      const sensor = line.slice(0, colon).trim();
      const token = line.slice(colon + 1).trim();
      if (!SENSOR_ID.test(sensor)) throw new TokenFileError(i + 1, 'sensor id must be 1..128 of [A-Za-z0-9._-]');
      if (token.length < MIN_TOKEN_LENGTH)
        throw new TokenFileError(i + 1, `token of sensor '${sensor}' is shorter than ${MIN_TOKEN_LENGTH} characters`);
      if (seen.has(sensor)) throw new TokenFileError(i + 1, `sensor id '${sensor}' appears twice`);
      seen.add(sensor);
      entries.push({ sensor, digest: digest(token) });
    }
    return new TokenStore(entries);
  }

  static empty(): TokenStore {
    return new TokenStore([]);
  }

  get size(): number {
    return this.entries.length;
  }

  /** The sensor a token belongs to, or null. Time does not depend on which entry (if any) matched. */
  sensorOf(token: string): string | null {
    const d = digest(token);
    let found: string | null = null;
    for (const e of this.entries) {
      // Evaluate every entry; `found` is assigned without branching on partial results.
      const eq = timingSafeEqual(e.digest, d);
      if (eq && found === null) found = e.sensor;
    }
    return found;
  }

  /** Sensor of an `Authorization: Bearer <token>` header value, or null (missing, other scheme, unknown token). */
  authenticate(authorization: string | undefined): string | null {
    if (authorization === undefined) return null;
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (m === null) return null;
    return this.sensorOf(m[1]);
  }
}

/**
 * The current TokenStore of a file, re-read when the file changes. Kubernetes updates a mounted Secret by swapping a
 * symlink, which inotify-based fs.watch misses once the old inode is gone; fs.watchFile polls stat() of the path and
 * sees every swap. A file that no longer parses keeps the previous tokens (a half-written edit must not lock every
 * sensor out) and is reported through `onReload`.
 */
export class TokenFile {
  private current: TokenStore;

  constructor(
    readonly path: string,
    private readonly onReload: (result: { ok: true; sensors: number } | { ok: false; error: Error }) => void,
    private readonly intervalMs = 1000,
  ) {
    this.current = TokenStore.parse(readFileSync(path, 'utf8'));
  }

  get store(): TokenStore {
    return this.current;
  }

  watch(): void {
    watchFile(this.path, { interval: this.intervalMs, persistent: false }, (cur, prev) => {
      if (cur.mtimeMs === prev.mtimeMs && cur.ino === prev.ino && cur.size === prev.size) return;
      this.reload();
    });
  }

  /** Re-reads the file now. */
  reload(): void {
    try {
      this.current = TokenStore.parse(readFileSync(this.path, 'utf8'));
      this.onReload({ ok: true, sensors: this.current.size });
    } catch (e) {
      this.onReload({ ok: false, error: e as Error });
    }
  }

  close(): void {
    unwatchFile(this.path);
  }
}
