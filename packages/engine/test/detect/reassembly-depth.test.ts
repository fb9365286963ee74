/**
 * EngineOptions.reassemblyDepth (Suricata's stream.reassembly.depth): only the first N stream bytes of each direction
 * reach DCE/RPC decoding. Ground truth: the generator's PDU list (frag lengths in stream order per connection and
 * direction), so the PDUs expected are exactly those that end within the depth.
 */
import { buildScenario } from '@wmi-detect/capture-gen';
import { compileRules } from '@wmi-detect/engine';
import { describe, expect, it } from 'vitest';
import { run, scenarioFrames } from './helpers.js';

const SCENARIO = 'wmi-activation-ok';

function expectedPdus(depth: number): number {
  const used = new Map<string, number>();
  let n = 0;
  for (const p of buildScenario(SCENARIO).describe().pdus) {
    const key = `${p.connection}/${p.direction}`;
    const end = (used.get(key) ?? 0) + p.fragLength;
    used.set(key, end);
    if (p.captured && end <= depth) n++;
  }
  return n;
}

describe('reassemblyDepth', () => {
  it('decodes exactly the PDUs that end within the first N bytes of each direction', async () => {
    const frames = await scenarioFrames(SCENARIO);
    const all = run(frames).engine.stats().dcerpc_pdus;
    expect(all).toBe(expectedPdus(Number.POSITIVE_INFINITY));
    for (const depth of [1, 112, 374, 1000, 4096, 1 << 20]) {
      const { engine } = run(frames, { reassemblyDepth: depth });
      expect(engine.stats().dcerpc_pdus, `depth ${depth}`).toBe(expectedPdus(depth));
    }
    expect(expectedPdus(1)).toBe(0);
    expect(expectedPdus(1000)).toBeGreaterThan(0);
    expect(expectedPdus(1000)).toBeLessThan(all);
  });

  it('0 means unlimited; the DCE/RPC alerts past the depth are not raised, packet rules are unaffected', async () => {
    const frames = await scenarioFrames(SCENARIO);
    const alerts = (depth?: number) =>
      run(frames, depth === undefined ? {} : { reassemblyDepth: depth }).records.filter(
        (r) => r.record.event_type === 'alert',
      ).length;
    const unlimited = alerts();
    expect(unlimited).toBeGreaterThan(0);
    expect(alerts(0)).toBe(unlimited);
    expect(alerts(1)).toBe(0);
    const packetRule = compileRules({
      file: 'p.rules',
      text: 'alert tcp any any -> any any (msg:"client data"; flow:to_server; dsize:>0; sid:9;)',
    }).ruleSet;
    const packetAlerts = (depth?: number) =>
      run(frames, { ruleSet: packetRule, ...(depth === undefined ? {} : { reassemblyDepth: depth }) }).records.length;
    expect(packetAlerts()).toBeGreaterThan(0);
    expect(packetAlerts(1)).toBe(packetAlerts());
  });
});
