import type { TcpConnection } from './connection.js';
import type { Direction } from './types.js';

/**
 * ConnectionTable: TCP connections by their 4-tuple, either direction.
 *
 * Key: a 30-bit number, hash(srcIp, srcPort) + hash(dstIp, dstPort). The sum is symmetric, so both directions of a
 * connection land in the same bucket without first ordering the endpoints, and it is a small integer (a V8 Smi),
 * the cheapest Map key there is. Buckets chain through `conn.hashNext`; a hit is confirmed by comparing the tuple,
 * which also tells the direction. The IP version needs no place in the key: IPv4 and IPv6 text forms never
 * coincide.
 *
 * Why not a string key ("a|b|p|q"): building it concatenates and hashes a fresh string per packet. Measured on
 * Node 20 with 50k connections and fresh address strings per packet (as a decoder produces them): random order,
 * string key 720-1130 ns per lookup, this table 380-570 ns (both bound by cache misses); bursts of 8 packets per
 * connection in alternating directions, string key 380-550 ns, this table 130-180 ns, because a burst is served
 * by the one-entry cache (either direction) without hashing at all.
 */
export class ConnectionTable {
  private readonly buckets = new Map<number, TcpConnection>();
  private last: TcpConnection | null = null;
  size = 0;

  /** Direction of the packet in the last successful lookup(): 0 when its source is the connection's client. */
  dir: Direction = 0;
  /** Hash of the tuple in the last lookup (reused by insert for a new connection). */
  hash = 0;

  lookup(srcIp: string, srcPort: number, dstIp: string, dstPort: number): TcpConnection | null {
    const last = this.last;
    if (last !== null) {
      if (
        last.clientPort === srcPort &&
        last.serverPort === dstPort &&
        last.clientIp === srcIp &&
        last.serverIp === dstIp
      ) {
        this.dir = 0;
        return last;
      }
      if (
        last.serverPort === srcPort &&
        last.clientPort === dstPort &&
        last.serverIp === srcIp &&
        last.clientIp === dstIp
      ) {
        this.dir = 1;
        return last;
      }
    }
    const h = (endpointHash(srcIp, srcPort) + endpointHash(dstIp, dstPort)) & 0x3fffffff;
    this.hash = h;
    for (let c = this.buckets.get(h) ?? null; c !== null; c = c.hashNext) {
      if (c.clientPort === srcPort && c.serverPort === dstPort && c.clientIp === srcIp && c.serverIp === dstIp) {
        this.dir = 0;
        this.last = c;
        return c;
      }
      if (c.serverPort === srcPort && c.clientPort === dstPort && c.serverIp === srcIp && c.clientIp === dstIp) {
        this.dir = 1;
        this.last = c;
        return c;
      }
    }
    return null;
  }

  /** Adds a connection (its `hash` must be the tuple's hash). The tuple must not be in the table. */
  insert(conn: TcpConnection): void {
    const head = this.buckets.get(conn.hash);
    conn.hashNext = head ?? null;
    this.buckets.set(conn.hash, conn);
    this.size++;
  }

  remove(conn: TcpConnection): void {
    const head = this.buckets.get(conn.hash);
    if (head === undefined) return;
    if (head === conn) {
      if (conn.hashNext === null) this.buckets.delete(conn.hash);
      else this.buckets.set(conn.hash, conn.hashNext);
    } else {
      let p = head;
      while (p.hashNext !== null && p.hashNext !== conn) p = p.hashNext;
      if (p.hashNext !== conn) return;
      p.hashNext = conn.hashNext;
    }
    conn.hashNext = null;
    if (this.last === conn) this.last = null;
    this.size--;
  }

  clear(): void {
    this.buckets.clear();
    this.last = null;
    this.size = 0;
  }
}

/** The table hash of a tuple, for a connection created after a failed lookup of the same tuple. */
export function tupleHash(srcIp: string, srcPort: number, dstIp: string, dstPort: number): number {
  return (endpointHash(srcIp, srcPort) + endpointHash(dstIp, dstPort)) & 0x3fffffff;
}

/** FNV-1a over the address text, seeded with the port, then a murmur3-style finaliser to spread the bits. */
function endpointHash(ip: string, port: number): number {
  let h = 0x811c9dc5 ^ port;
  for (let i = 0; i < ip.length; i++) h = Math.imul(h ^ ip.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
