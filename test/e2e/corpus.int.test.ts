/**
 * Issue 5, proof 1, on real captures: for corpus captures of WMI in clear (sharpwmi, Empire ExecMethod), WMI at
 * packet privacy (impacket wmiexec), DCOM (Empire ShellWindows) and a negative (Zerologon: DCE/RPC to netlogon, no
 * WMI/DCOM), `wmidetect up --replay CAPTURE --exit` prints the alerts `wmidetect analyze` gives offline — field for
 * field (sids, identities, command lines, sessions), only `capture` (file vs sensor id) and `enrichment` differ.
 *
 * Runs `up --brokers` against the test broker with fresh topics and groups per capture. The captures are read from
 * ../shared/corpus/pcaps; without them the suite is skipped with a warning.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kafkaBrokers, uniqueName } from '../kafka/brokers.js';
import { repoRoot, wmidetect } from './run-bin.js';

const pcaps = resolve(repoRoot, '../shared/corpus/pcaps');

const CAPTURES: { what: string; file: string }[] = [
  {
    what: 'WMI in clear (SharpWMI create)',
    file: 'OTRF__Security-Datasets/datasets__atomic__windows__lateral_movement__network__covenant_sharpwmi_create_dcerpc_wmi.zip__covenant_sharpwmi_create_dcerpc_wmi_2020-08-06035621.cap',
  },
  {
    what: 'WMI in clear (Empire IWbemServices::ExecMethod)',
    file: 'OTRF__Security-Datasets/datasets__atomic__windows__lateral_movement__network__empire_wmi_dcerpc_wmi_IWbemServices_ExecMethod.zip__empire_wmi_dcerpc_wmi_IWbemServices_ExecMethod_WORKSTATION5_2020-09-21001437.cap',
  },
  { what: 'WMI sealed (impacket wmiexec)', file: 'hangchuanin__Intranet_penetration_history/pcapng__wmiexec.pcapng' },
  {
    what: 'DCOM (Empire ShellWindows)',
    file: 'OTRF__Security-Datasets/datasets__atomic__windows__lateral_movement__network__empire_dcom_shellwindows.zip__empire_dcom_shellwindows_WORKSTATION5_2020-09-18130751.cap',
  },
  {
    what: 'negative (Zerologon, no WMI)',
    file: 'corelight__zerologon/testing__Traces__CVE-2020-1472_exploit_win2019.pcap',
  },
];

const present = existsSync(pcaps);
if (!present) console.warn(`SKIPPING the corpus end-to-end tests: ${pcaps} is missing (../shared is not checked out)`);

const alertsOf = (s: string) =>
  s
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r.event_type === 'alert')
    .map((r) => ({ ...r, capture: undefined, enrichment: undefined }))
    .sort((a, b) => String(a.alert_id).localeCompare(String(b.alert_id)));

describe.skipIf(!present)('pipeline = analyze on corpus captures', () => {
  for (const c of CAPTURES) {
    it(c.what, async () => {
      const file = join(pcaps, c.file);
      const offline = await wmidetect(['analyze', file]);
      // 3: a damaged capture (analyze reads up to the damage); the pipeline must then give the same alerts too.
      expect([0, 3], offline.stderr).toContain(offline.code);
      const env: Record<string, string> = {
        DETECT_GROUP_ID: uniqueName('corpus-detect'),
        ENRICH_GROUP_ID: uniqueName('corpus-enrich'),
      };
      for (const t of [
        'PACKETS',
        'DETECTIONS',
        'DLQ',
        'ALERTS',
        'SUPPRESSED',
        'REF_ASSETS',
        'REF_WHITELIST',
        'DETECT_STATE',
      ])
        env[`TOPIC_${t}`] = uniqueName(`corpus-${t.toLowerCase().replace('_', '-')}`);
      const up = await wmidetect(['up', '--brokers', kafkaBrokers().join(','), '--replay', file, '--exit'], env);
      expect(up.code, up.stderr).toBe(0);
      const expected = alertsOf(offline.stdout);
      if (c.what.startsWith('negative')) expect(expected).toEqual([]);
      else expect(expected.length).toBeGreaterThan(0);
      expect(alertsOf(up.stdout)).toEqual(expected);
    });
  }
});
