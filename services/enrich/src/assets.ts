import { ipToBytes } from '@wmi-detect/engine';
import { type Cidr, cidrContains, parseCidr } from './cidr.js';

/**
 * The asset inventory: address blocks → what the SOC knows about the hosts in them. Lookups pick the most specific
 * block (longest prefix), so a /32 entry for a domain controller wins over the /16 of its site.
 *
 * Entry (JSON, in the inventory file's array or as the value of a `wmi.reference.assets` record keyed by `id`):
 *   { "id": "dc01", "cidr": "10.1.0.10/32", "hostname": "dc01.corp.local", "owner": "AD team",
 *     "criticality": "critical", "tags": ["domain-controller"] }
 */
export interface AssetEntry {
  id: string;
  cidr: string;
  hostname?: string;
  owner?: string;
  criticality?: 'low' | 'medium' | 'high' | 'critical';
  tags?: string[];
}

export interface AssetInfo {
  id: string;
  hostname?: string;
  owner?: string;
  criticality?: string;
  tags?: string[];
}

const CRITICALITY = new Set(['low', 'medium', 'high', 'critical']);

export function validateAsset(raw: unknown): AssetEntry {
  const e = raw as Partial<AssetEntry> | null;
  if (!e || typeof e !== 'object') throw new Error('asset entry must be an object');
  if (typeof e.id !== 'string' || !e.id) throw new Error('asset entry needs an "id"');
  if (typeof e.cidr !== 'string' || !parseCidr(e.cidr))
    throw new Error(`asset ${e.id}: "cidr" must be an address or CIDR block`);
  if (e.criticality !== undefined && !CRITICALITY.has(e.criticality))
    throw new Error(`asset ${e.id}: "criticality" must be one of low, medium, high, critical`);
  if (e.tags !== undefined && (!Array.isArray(e.tags) || e.tags.some((t) => typeof t !== 'string')))
    throw new Error(`asset ${e.id}: "tags" must be a list of strings`);
  return e as AssetEntry;
}

export class AssetInventory {
  private readonly entries = new Map<string, { entry: AssetEntry; cidr: Cidr }>();

  static from(entries: unknown[]): AssetInventory {
    const inv = new AssetInventory();
    for (const e of entries) inv.put(validateAsset(e));
    return inv;
  }

  put(entry: AssetEntry): void {
    this.entries.set(entry.id, { entry, cidr: parseCidr(entry.cidr)! });
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }

  lookup(ip: string): AssetInfo | undefined {
    const bytes = ipToBytes(ip);
    if (!bytes) return undefined;
    let best: { entry: AssetEntry; cidr: Cidr } | undefined;
    for (const cand of this.entries.values()) {
      if (cidrContains(cand.cidr, bytes) && (!best || cand.cidr.prefix > best.cidr.prefix)) best = cand;
    }
    if (!best) return undefined;
    const { id, hostname, owner, criticality, tags } = best.entry;
    return { id, hostname, owner, criticality, tags };
  }
}
