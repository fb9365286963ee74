/**
 * A detector fed one Kafka partition sees the capture cut into records per host pair (ingest splits each sensor batch
 * by host pair), so frames of different host pairs arrive out of time order. Alerts must not depend on that cut:
 * same ids, same content, same timestamps as the capture read in order.
 */
import { HostPairKey, PacketDecoder, type RawFrame } from '@wmi-detect/engine';
import { describe, expect, it } from 'vitest';
import { run, scenarioFrames } from './helpers.js';

function hostPair(decoder: PacketDecoder, f: RawFrame): string {
  const p = decoder.decode(f);
  return typeof p === 'string' ? 'none' : (HostPairKey.of(p.srcIp, p.dstIp)?.toString() ?? 'none');
}

/** What a partition sees: batches of `size` frames, each split by host pair, records one after the other. */
function cutByHostPair(frames: readonly RawFrame[], size: number): RawFrame[] {
  const decoder = new PacketDecoder();
  const out: RawFrame[] = [];
  for (let i = 0; i < frames.length; i += size) {
    const groups = new Map<string, RawFrame[]>();
    for (const f of frames.slice(i, i + size)) {
      const k = hostPair(decoder, f);
      const g = groups.get(k) ?? [];
      g.push(f);
      groups.set(k, g);
    }
    // the group seen first goes last: later frames of other host pairs reach the engine before it
    for (const g of [...groups.values()].reverse()) out.push(...g);
  }
  return out;
}

function alertsById(records: { record: { event_type: string } }[]): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const r of records) {
    if (r.record.event_type === 'alert') m.set((r.record as unknown as { alert_id: string }).alert_id, r.record);
  }
  return m;
}

describe('alerts do not depend on how host pairs are interleaved', () => {
  it('two scenarios on different host pairs, merged by time, then cut like ingest cuts batches', async () => {
    const merged = [...(await scenarioFrames('wmi-activation-ok')), ...(await scenarioFrames('not-dcerpc'))].sort(
      (a, b) => a.tsUs - b.tsUs,
    );
    const inOrder = alertsById(run(merged).records);
    expect(inOrder.size).toBeGreaterThan(0);
    for (const size of [7, 20, 64]) {
      const cut = cutByHostPair(merged, size);
      expect(cut.map((f) => f.tsUs)).not.toEqual(merged.map((f) => f.tsUs));
      expect(alertsById(run(cut).records), `batches of ${size}`).toEqual(inOrder);
    }
  });
});
