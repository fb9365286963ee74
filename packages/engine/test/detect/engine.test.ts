/** Engine glue on generated captures whose ground truth comes from the generator's own description. */
import { buildScenario } from '@wmi-detect/capture-gen';
import { compileRules } from '@wmi-detect/engine';
import { describe, expect, it } from 'vitest';
import { alertIds, run, scenarioFrames } from './helpers.js';

describe('Engine', () => {
  it('packet rules see every TCP packet with per-connection flowbits (SYN to :80 then SYN-ACK from :80)', async () => {
    const ruleSet = compileRules({
      file: 'test.rules',
      text: [
        'alert tcp any any -> any 80 (msg:"syn"; flags:S; flowbits:set,syn80; flowbits:noalert; sid:1;)',
        'alert tcp any 80 -> any any (msg:"synack after syn"; flags:SA; flowbits:isset,syn80; sid:2;)',
      ].join('\n'),
    }).ruleSet;
    const truth = buildScenario('not-dcerpc').describe();
    const expected = truth.connections.filter((c) => c.server.port === 80 && c.handshake).length;
    expect(expected).toBeGreaterThan(0);
    const { records, engine } = run(await scenarioFrames('not-dcerpc'), { ruleSet });
    const alerts = records
      .filter((r) => r.record.event_type === 'alert')
      .map((r) => r.record as Record<string, unknown>);
    expect(alerts.length).toBe(expected);
    for (const a of alerts) expect(a.src_port).toBe(80);
    expect(engine.stats().alerts_by_sid).toEqual({ '2': expected });
  });

  it('writes dcerpc_session records only for the connections that carry DCE/RPC', async () => {
    const truth = buildScenario('not-dcerpc').describe();
    const { records } = run(await scenarioFrames('not-dcerpc'), { sessionRecords: true });
    const sessions = records.filter((r) => r.record.event_type === 'dcerpc_session').map((r) => r.record);
    const ports = (l: { dest_port?: number }[]) => l.map((x) => x.dest_port).sort();
    expect(ports(sessions as { dest_port: number }[])).toEqual(
      truth.connections
        .filter((c) => c.dcerpc)
        .map((c) => c.server.port)
        .sort(),
    );
  });

  it('garbage frames are counted and lose none of the alerts around them', async () => {
    const frames = await scenarioFrames('wmi-activation-ok');
    const clean = alertIds(run(frames).records);
    const garbage = {
      tsUs: frames[0].tsUs,
      linkType: 1,
      data: new Uint8Array([1, 2, 3]),
      origLen: 3,
      ifIndex: 0,
      fileOffset: 0,
    };
    const mixed = frames.flatMap((f, i) => (i % 3 === 0 ? [garbage, f] : [f]));
    const { records, engine } = run(mixed);
    expect(alertIds(records)).toEqual(clean);
    expect(engine.stats().problems['packet.truncated_link']).toBe(Math.ceil(frames.length / 3));
  });

  it('tag:session: the follow-up of a tagging alert is one tag record joined by alert_id', async () => {
    const { records } = run(await scenarioFrames('wmi-activation-ok'));
    const tagging = records
      .map((r) => r.record as Record<string, unknown> & { alert?: { signature_id: number } })
      .filter((r) => r.event_type === 'alert' && r.alert?.signature_id === 4103022);
    const tags = records.map((r) => r.record as Record<string, unknown>).filter((r) => r.event_type === 'tag');
    expect(tagging.length).toBeGreaterThan(0);
    expect(tags.map((t) => t.alert_id)).toEqual(tagging.map((a) => a.alert_id));
    for (const t of tags) expect((t.tagged as { packets: number }).packets).toBeGreaterThan(0);
  });

  it('lowWaterMark is the first position of the oldest live connection, and nothing once all are closed', async () => {
    const frames = await scenarioFrames('wmi-activation-ok');
    const { engine } = run(frames, {}, 0, 2, false);
    expect(engine.lowWaterMark()).toBe(0);
    expect(engine.liveConnections).toBe(1);
    engine.finish();
    expect(engine.liveConnections).toBe(0);
  });
});
