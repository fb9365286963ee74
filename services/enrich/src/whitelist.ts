import { ipToBytes } from '@wmi-detect/engine';
import { type Cidr, cidrContains, parseCidr } from './cidr.js';

/**
 * The whitelist: traffic the SOC expects (admin jump hosts, SCCM, monitoring). KPN-CERT's advice for the seed rules is
 * exactly this — whitelist known-good sources and pairs and work down the unknowns.
 *
 * Entry (JSON, in the whitelist file's array or as the value of a `wmi.reference.whitelist` record keyed by `id`):
 *   { "id": "sccm", "source": "10.5.0.0/24" }                                  legitimate source, every rule
 *   { "id": "jump-dc", "source": "10.9.0.4", "destination": "10.1.0.10/32",    allowed pair, only these rules,
 *     "sids": [4103023, 4103022], "expires": "2027-03-31T00:00:00Z",             until a date
 *     "comment": "change CHG-1234" }
 * A missing source or destination means any. Expired entries stop matching at their expiry (checked per alert).
 */
export interface WhitelistEntry {
  id: string;
  source?: string;
  destination?: string;
  sids?: number[];
  expires?: string;
  comment?: string;
}

interface CompiledEntry {
  entry: WhitelistEntry;
  source?: Cidr;
  destination?: Cidr;
  sids?: Set<number>;
  expiresMs?: number;
}

export function validateWhitelistEntry(raw: unknown): WhitelistEntry {
  const e = raw as Partial<WhitelistEntry> | null;
  if (!e || typeof e !== 'object') throw new Error('whitelist entry must be an object');
  if (typeof e.id !== 'string' || !e.id) throw new Error('whitelist entry needs an "id"');
  if (e.source === undefined && e.destination === undefined)
    throw new Error(`whitelist ${e.id}: give a "source", a "destination" or both`);
  for (const k of ['source', 'destination'] as const) {
    if (e[k] !== undefined && (typeof e[k] !== 'string' || !parseCidr(e[k] as string)))
      throw new Error(`whitelist ${e.id}: "${k}" must be an address or CIDR block`);
  }
  if (e.sids !== undefined && (!Array.isArray(e.sids) || e.sids.some((s) => !Number.isInteger(s))))
    throw new Error(`whitelist ${e.id}: "sids" must be a list of rule ids`);
  if (e.expires !== undefined && Number.isNaN(Date.parse(e.expires)))
    throw new Error(`whitelist ${e.id}: "expires" must be an ISO 8601 date`);
  return e as WhitelistEntry;
}

export class Whitelist {
  private readonly entries = new Map<string, CompiledEntry>();

  static from(entries: unknown[]): Whitelist {
    const w = new Whitelist();
    for (const e of entries) w.put(validateWhitelistEntry(e));
    return w;
  }

  put(entry: WhitelistEntry): void {
    this.entries.set(entry.id, {
      entry,
      source: entry.source ? parseCidr(entry.source)! : undefined,
      destination: entry.destination ? parseCidr(entry.destination)! : undefined,
      sids: entry.sids ? new Set(entry.sids) : undefined,
      expiresMs: entry.expires ? Date.parse(entry.expires) : undefined,
    });
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The first entry (by id order, for stable output) that covers this alert at wall time `nowMs`. */
  match(srcIp: string, destIp: string, sid: number, nowMs: number): WhitelistEntry | undefined {
    const src = ipToBytes(srcIp);
    const dst = ipToBytes(destIp);
    if (!src || !dst) return undefined;
    const ids = [...this.entries.keys()].sort();
    for (const id of ids) {
      const c = this.entries.get(id)!;
      if (c.expiresMs !== undefined && nowMs >= c.expiresMs) continue;
      if (c.sids && !c.sids.has(sid)) continue;
      if (c.source && !cidrContains(c.source, src)) continue;
      if (c.destination && !cidrContains(c.destination, dst)) continue;
      return c.entry;
    }
    return undefined;
  }
}
