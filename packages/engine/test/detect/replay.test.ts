/**
 * The property the Kafka pipeline's delivery guarantee rests on (docs/architecture.md): a worker that dies after
 * position k and is replaced by one that replays from the low-water mark it had committed produces every alert of
 * an uninterrupted run, and any alert produced twice carries the same alert_id (and session_id).
 */
import { describe, expect, it } from 'vitest';
import { alertIds, run, scenarioFrames } from './helpers.js';

const SCENARIOS = ['wmi-activation-ok', 'wmi-activation-denied', 'dcom-mmc20', 'sealed', 'tcp-impairments'];

describe('replay from the low-water mark', () => {
  for (const name of SCENARIOS) {
    it(`${name}: a crash at any packet loses no alert and renames none`, async () => {
      const frames = await scenarioFrames(name);
      const whole = run(frames);
      const reference = new Map<string, unknown>();
      for (const r of whole.records) {
        if (r.record.event_type === 'alert') reference.set((r.record as { alert_id: string }).alert_id, r.record);
      }
      expect(reference.size).toBeGreaterThan(0);

      for (let k = 1; k < frames.length; k++) {
        // the first worker processes [0, k) and commits its low-water mark (or k when it holds no state)
        const first = run(frames, {}, 0, k, false);
        const mark = first.engine.lowWaterMark() ?? k;
        expect(mark).toBeLessThanOrEqual(k);
        // the replacement replays from the mark; its output for positions < k is a duplicate the pipeline suppresses
        const second = run(frames, {}, mark, frames.length);
        const produced = new Map<string, unknown>();
        for (const r of first.records) {
          if (r.record.event_type === 'alert') produced.set((r.record as { alert_id: string }).alert_id, r.record);
        }
        for (const r of second.records) {
          if (r.record.event_type !== 'alert') continue;
          const id = (r.record as { alert_id: string }).alert_id;
          // a duplicate must be identical, never a renamed alert
          expect(reference.get(id), `${name} k=${k}: alert ${id} is not in the uninterrupted run`).toEqual(r.record);
          if (r.position >= k) produced.set(id, r.record);
        }
        expect([...produced.keys()].sort(), `${name} crash at ${k}`).toEqual([...reference.keys()].sort());
      }
    });
  }

  it('alert ids are a function of the packets: two runs agree, and differ across connections and rules', async () => {
    const frames = await scenarioFrames('wmi-activation-ok');
    const a = alertIds(run(frames).records);
    const b = alertIds(run(frames).records);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(a.length);
  });
});
