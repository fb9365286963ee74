/**
 * ResendGuard: drops a PacketRecord that repeats one this partition just processed.
 *
 * Why: the sensor retries a batch ingest did not acknowledge, and ingest may have produced some of its records before
 * failing (docs/wire-format.md), so `(sensor, seq, part)` can reach a partition twice. TCP reassembly absorbs the
 * repeated segments for DCE/RPC, but packet rules would see the packets twice and number the connection's units
 * differently — renaming later packet-rule alerts. A resend follows its original closely (one request in flight per
 * sensor), so only the last few keys per sensor are remembered: a sensor whose spool was wiped and restarts its
 * sequence numbers loses nothing unless it repeats a key within that short window.
 */
const WINDOW = 64;
const MAX_SENSORS = 4096;

export class ResendGuard {
  private readonly recent = new Map<string, { keys: string[]; set: Set<string> }>();

  /** True when (sensor, seq, part) was among the last WINDOW records of that sensor here; else remembers it. */
  isRepeat(sensor: string, seq: number, part: number): boolean {
    const key = `${seq}:${part}`;
    let r = this.recent.get(sensor);
    if (r === undefined) {
      if (this.recent.size >= MAX_SENSORS) {
        const oldest = this.recent.keys().next().value;
        if (oldest !== undefined) this.recent.delete(oldest);
      }
      r = { keys: [], set: new Set() };
      this.recent.set(sensor, r);
    }
    if (r.set.has(key)) return true;
    r.keys.push(key);
    r.set.add(key);
    if (r.keys.length > WINDOW) r.set.delete(r.keys.shift()!);
    return false;
  }
}
