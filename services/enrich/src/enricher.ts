import type { AssetInfo, AssetInventory } from './assets.js';
import type { AlertDedup } from './dedup.js';
import type { Whitelist } from './whitelist.js';

/**
 * Decides what happens to one detection record from `wmi.detections.v1`:
 *   alert, not seen before, not whitelisted → `alerts` (the SIEM topic), with enrichment{}
 *   alert, whitelisted                     → `suppressed` (audit topic), with enrichment{whitelisted, whitelist_rule}
 *   alert already forwarded (same alert_id) → `duplicate` (dropped, counted)
 *   other records (dcerpc_session …)       → `alerts` with enrichment{} (sessions are context the SIEM wants too)
 */
export interface Enrichment {
  src_asset?: AssetInfo;
  dest_asset?: AssetInfo;
  whitelisted: boolean;
  whitelist_rule?: string;
}

export type Route = 'alerts' | 'suppressed' | 'duplicate';

export interface EnrichResult {
  route: Route;
  record: Record<string, unknown>;
}

export class Enricher {
  constructor(private readonly ctx: { assets: () => AssetInventory; whitelist: () => Whitelist; dedup: AlertDedup }) {}

  enrich(record: Record<string, unknown>, nowMs: number): EnrichResult {
    const src = typeof record.src_ip === 'string' ? record.src_ip : undefined;
    const dst = typeof record.dest_ip === 'string' ? record.dest_ip : undefined;
    const assets = this.ctx.assets();
    const enrichment: Enrichment = {
      src_asset: src ? assets.lookup(src) : undefined,
      dest_asset: dst ? assets.lookup(dst) : undefined,
      whitelisted: false,
    };
    const out = { ...record, enrichment };
    if (record.event_type !== 'alert') return { route: 'alerts', record: out };
    const id = typeof record.alert_id === 'string' ? record.alert_id : undefined;
    if (id && !this.ctx.dedup.firstTime(id)) return { route: 'duplicate', record: out };
    const sid = (record.alert as { signature_id?: number } | undefined)?.signature_id;
    const hit = src && dst && typeof sid === 'number' ? this.ctx.whitelist().match(src, dst, sid, nowMs) : undefined;
    if (hit) {
      enrichment.whitelisted = true;
      enrichment.whitelist_rule = hit.id;
      return { route: 'suppressed', record: out };
    }
    return { route: 'alerts', record: out };
  }
}
