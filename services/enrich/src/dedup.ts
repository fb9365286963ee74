/**
 * Remembers the alert ids already forwarded, so that a detector replaying from its safe offset after a crash (which
 * re-emits the same alerts with the same deterministic ids) does not reach the SIEM twice. Bounded: the oldest ids are
 * forgotten first; the bound only needs to cover one replay window.
 */
export class AlertDedup {
  private readonly seen = new Set<string>();
  constructor(private readonly capacity = 200_000) {}

  /** True the first time an id is offered. */
  firstTime(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.values().next().value as string;
      this.seen.delete(oldest);
    }
    return true;
  }

  /**
   * Takes back ids offered by work that was not committed (an aborted transaction, a batch made stale by a
   * rebalance): Kafka delivers those records again, and they must not then be taken for duplicates of themselves.
   */
  forget(ids: Iterable<string>): void {
    for (const id of ids) this.seen.delete(id);
  }

  get size(): number {
    return this.seen.size;
  }
}
