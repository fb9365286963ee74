import { compareBytes, ipToBytes } from './ip.js';

/**
 * The Kafka partition key of the pipeline: the UNORDERED pair of host addresses. Both directions of a connection,
 * and a port-135 activation together with the dynamic-port WMI connection it leads to (same two hosts, other ports),
 * hash to the same key and therefore reach the same detector, which is what lets one worker tie them into one session.
 *
 * Key bytes: the two addresses as raw bytes, smaller first (4+4 or 16+16). Text form "a|b" for logs and headers.
 */
export class HostPairKey {
  private constructor(
    readonly low: string,
    readonly high: string,
    readonly bytes: Uint8Array,
  ) {}

  static of(ipA: string, ipB: string): HostPairKey | null {
    const a = ipToBytes(ipA);
    const b = ipToBytes(ipB);
    if (!a || !b) return null;
    const swap = compareBytes(a, b) > 0;
    const lo = swap ? b : a;
    const hi = swap ? a : b;
    const bytes = new Uint8Array(lo.length + hi.length);
    bytes.set(lo, 0);
    bytes.set(hi, lo.length);
    return new HostPairKey(swap ? ipB : ipA, swap ? ipA : ipB, bytes);
  }

  toString(): string {
    return `${this.low}|${this.high}`;
  }
}
