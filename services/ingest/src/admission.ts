/**
 * Admission: the bound on request bytes ingest holds at once (INGEST_MAX_INFLIGHT_BYTES). A request reserves its
 * Content-Length (or INGEST_MAX_BODY_BYTES when the length is not announced) before its body is read and releases it
 * once answered; a reservation that does not fit is refused with 429 + Retry-After, so a slow Kafka pushes back on
 * the sensors (which spool) instead of growing ingest's heap until the pod is OOM-killed.
 */
export class Admission {
  private inflight = 0;

  constructor(readonly limit: number) {}

  get bytes(): number {
    return this.inflight;
  }

  /** True when less than a full-size request fits: the /readyz "not back-pressured" check. */
  saturated(fullRequest: number): boolean {
    return this.inflight + fullRequest > this.limit;
  }

  tryAcquire(n: number): boolean {
    // One request always fits on an idle server, so a body of exactly the limit is never refused for ever.
    if (this.inflight > 0 && this.inflight + n > this.limit) return false;
    this.inflight += n;
    return true;
  }

  release(n: number): void {
    this.inflight -= n;
    if (this.inflight < 0) this.inflight = 0;
  }
}
