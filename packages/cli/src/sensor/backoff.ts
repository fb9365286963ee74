/**
 * Retry delays: exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"), so
 * a fleet of sensors that lost ingest at the same moment does not come back in lock-step; a server's Retry-After is
 * a floor (ingest sends it with 429 and 503).
 *
 *   delay(attempt) = max(retryAfterMs, random(0, min(capMs, baseMs · 2^attempt)))
 */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly capMs: number;
  /** Random source in [0, 1) (tests pass a fixed one). */
  readonly random?: () => number;
}

export function backoffDelay(attempt: number, retryAfterMs: number, o: BackoffOptions): number {
  const ceiling = Math.min(o.capMs, o.baseMs * 2 ** Math.min(attempt, 30));
  const jittered = Math.floor((o.random ?? Math.random)() * ceiling);
  return Math.max(retryAfterMs, jittered);
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; 0 when absent or unreadable. */
export function parseRetryAfter(v: string | string[] | undefined, now = Date.now()): number {
  if (v === undefined) return 0;
  const s = (Array.isArray(v) ? v[0] : v).trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? 0 : Math.max(0, t - now);
}
