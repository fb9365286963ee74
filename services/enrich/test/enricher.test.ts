import { describe, expect, it } from 'vitest';
import { AssetInventory } from '../src/assets.js';
import { AlertDedup } from '../src/dedup.js';
import { Enricher } from '../src/enricher.js';
import { Whitelist } from '../src/whitelist.js';

const alert = (over: Record<string, unknown> = {}) => ({
  event_type: 'alert',
  alert_id: 'a1',
  src_ip: '10.9.0.4',
  dest_ip: '10.1.0.10',
  alert: { signature_id: 4103023 },
  ...over,
});

describe('AssetInventory', () => {
  it('picks the most specific block', () => {
    const inv = AssetInventory.from([
      { id: 'site', cidr: '10.1.0.0/16', owner: 'site ops', criticality: 'medium' },
      { id: 'dc01', cidr: '10.1.0.10', hostname: 'dc01.corp.local', criticality: 'critical', tags: ['dc'] },
      { id: 'v6', cidr: '2001:db8::/32', hostname: 'lab' },
    ]);
    expect(inv.lookup('10.1.0.10')).toEqual({
      id: 'dc01',
      hostname: 'dc01.corp.local',
      owner: undefined,
      criticality: 'critical',
      tags: ['dc'],
    });
    expect(inv.lookup('10.1.7.7')?.id).toBe('site');
    expect(inv.lookup('2001:db8::5')?.hostname).toBe('lab');
    expect(inv.lookup('192.168.1.1')).toBeUndefined();
  });

  it('names what is wrong with a bad entry', () => {
    expect(() => AssetInventory.from([{ id: 'x', cidr: '10.0.0.0/33' }])).toThrow('asset x: "cidr" must be');
    expect(() => AssetInventory.from([{ id: 'x', cidr: '10.0.0.1', criticality: 'urgent' }])).toThrow(/criticality/);
    expect(() => AssetInventory.from([{ cidr: '10.0.0.1' }])).toThrow(/needs an "id"/);
  });
});

describe('Whitelist', () => {
  const now = Date.parse('2026-06-01T00:00:00Z');
  it('matches legitimate sources, pairs, per-rule entries and honours expiry', () => {
    const w = Whitelist.from([
      { id: 'b-pair', source: '10.9.0.4', destination: '10.1.0.0/24', sids: [4103022] },
      { id: 'c-expired', source: '10.9.0.0/16', expires: '2026-01-01T00:00:00Z' },
      { id: 'a-sccm', source: '10.5.0.0/24' },
    ]);
    expect(w.match('10.5.0.9', '10.1.0.10', 4103023, now)?.id).toBe('a-sccm');
    expect(w.match('10.9.0.4', '10.1.0.10', 4103022, now)?.id).toBe('b-pair');
    expect(w.match('10.9.0.4', '10.1.0.10', 4103023, now)).toBeUndefined();
    expect(w.match('10.9.0.4', '10.2.0.10', 4103022, now)).toBeUndefined();
    expect(w.match('10.9.1.1', '10.1.0.10', 4103023, Date.parse('2025-12-31T00:00:00Z'))?.id).toBe('c-expired');
  });

  it('rejects entries that would whitelist everything or cannot be read', () => {
    expect(() => Whitelist.from([{ id: 'all' }])).toThrow(/give a "source", a "destination" or both/);
    expect(() => Whitelist.from([{ id: 'x', source: 'nope' }])).toThrow(/"source" must be/);
    expect(() => Whitelist.from([{ id: 'x', source: '10.0.0.1', expires: 'soon' }])).toThrow(/expires/);
  });
});

describe('Enricher', () => {
  const make = (wl: unknown[] = []) => {
    const assets = AssetInventory.from([{ id: 'dc01', cidr: '10.1.0.10', hostname: 'dc01' }]);
    const whitelist = Whitelist.from(wl);
    return new Enricher({ assets: () => assets, whitelist: () => whitelist, dedup: new AlertDedup(10) });
  };

  it('adds asset context and routes to the SIEM topic', () => {
    const r = make().enrich(alert(), 0);
    expect(r.route).toBe('alerts');
    expect(r.record.enrichment).toEqual({
      src_asset: undefined,
      dest_asset: expect.objectContaining({ id: 'dc01' }),
      whitelisted: false,
    });
  });

  it('moves whitelisted alerts to the suppressed route and names the entry', () => {
    const r = make([{ id: 'jump', source: '10.9.0.4' }]).enrich(alert(), 0);
    expect(r.route).toBe('suppressed');
    expect(r.record.enrichment).toMatchObject({ whitelisted: true, whitelist_rule: 'jump' });
  });

  it('drops a second alert with the same id, but not a different one', () => {
    const e = make();
    expect(e.enrich(alert(), 0).route).toBe('alerts');
    expect(e.enrich(alert(), 0).route).toBe('duplicate');
    expect(e.enrich(alert({ alert_id: 'a2' }), 0).route).toBe('alerts');
  });

  it('passes session records through with enrichment', () => {
    const r = make([{ id: 'jump', source: '10.9.0.4' }]).enrich(
      { event_type: 'dcerpc_session', src_ip: '10.9.0.4', dest_ip: '10.1.0.10' },
      0,
    );
    expect(r.route).toBe('alerts');
  });
});

describe('AlertDedup', () => {
  it('forgets the oldest ids beyond its capacity', () => {
    const d = new AlertDedup(2);
    expect(d.firstTime('a')).toBe(true);
    expect(d.firstTime('b')).toBe(true);
    expect(d.firstTime('c')).toBe(true);
    expect(d.size).toBe(2);
    expect(d.firstTime('a')).toBe(true);
    expect(d.firstTime('c')).toBe(false);
  });
});
