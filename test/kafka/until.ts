/**
 * Event-driven waiting for integration tests: code that observes something (a record arrived, a partition was
 * assigned) calls `notify()`, and `until(condition)` resolves the first time the condition holds at a notify. No
 * polling and no sleeps; the timeout only turns a hang into a failure that says what never happened.
 */
export class Progress {
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  /** Re-evaluate every pending condition. */
  notify(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }

  until(check: () => boolean, what: string, timeoutMs = 120_000, detail?: () => string): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.check !== check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for: ${what}${detail ? ` (${detail()})` : ''}`));
      }, timeoutMs);
      this.waiters.push({
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}
