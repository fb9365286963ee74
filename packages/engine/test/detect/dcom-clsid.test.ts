/** dcom_clsid: the CLSID list of a DCOM lateral-movement rule comes from configuration (a rule variable). */
import { buildScenario } from '@wmi-detect/capture-gen';
import { compileRules } from '@wmi-detect/engine';
import { describe, expect, it } from 'vitest';
import { run, scenarioFrames } from './helpers.js';

// MMC20.Application (issue 4's list; MS-DCOM lateral movement write-ups)
const MMC20 = '49b2791a-b1ae-4c90-9b8e-e860ba07f889';
const RULE =
  'alert tcp any any -> any any (msg:"listed class"; flow:to_server; dce_iface:000001a0-0000-0000-c000-000000000046; dce_opnum:3-4; dcom_clsid:$lateral; sid:10;)';

function sids(records: { record: { event_type: string } }[]): number[] {
  return records
    .filter((r) => r.record.event_type === 'alert')
    .map((r) => (r.record as unknown as { alert: { signature_id: number } }).alert.signature_id);
}

describe('dcom_clsid', () => {
  it('fires on the activation of a class named in the variable, once per activation request', async () => {
    const truth = buildScenario('dcom-mmc20').describe();
    const activations = truth.activations.filter((a) => a.clsid.toLowerCase() === MMC20);
    expect(activations.length).toBeGreaterThan(0);
    const ruleSet = compileRules(
      { file: 't.rules', text: RULE },
      { vars: { lateral: `[${MMC20.toUpperCase()}]` } },
    ).ruleSet;
    const { records } = run(await scenarioFrames('dcom-mmc20'), { ruleSet });
    expect(sids(records)).toEqual(activations.map(() => 10));
  });

  it('stays silent for classes not in the list, and for an empty list', async () => {
    const frames = await scenarioFrames('dcom-mmc20');
    for (const value of ['[]', '[8bc3f05e-d86b-11d0-a075-00c04fb68820]']) {
      const ruleSet = compileRules({ file: 't.rules', text: RULE }, { vars: { lateral: value } }).ruleSet;
      expect(sids(run(frames, { ruleSet }).records)).toEqual([]);
    }
  });

  it('names a bad GUID and an undefined variable precisely', () => {
    const bad = compileRules({ file: 't.rules', text: RULE.replace('$lateral', '1234') });
    expect(bad.diagnostics.map((d) => d.message)).toContain(
      "dcom_clsid: '1234' is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
    );
    const undef = compileRules({ file: 't.rules', text: RULE });
    expect(undef.errorCount).toBe(1);
    expect(undef.diagnostics[0].message).toContain("variable 'lateral' is not defined");
  });
});
