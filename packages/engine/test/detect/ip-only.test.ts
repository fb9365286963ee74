/**
 * IP-only rules (addresses only: no ports, payload, flow, dsize, TCP-header or flowbit checks) run on the first
 * packet of each connection direction, as Suricata evaluates them (suricata-verify flowbits-prefilter-09/10), not
 * on every packet. Ground truth from the capture generator's description of the scenario.
 */
import { buildScenario } from '@wmi-detect/capture-gen';
import { compileRules } from '@wmi-detect/engine';
import { describe, expect, it } from 'vitest';
import { run, scenarioFrames } from './helpers.js';

describe('IP-only rules', () => {
  it('alert once per connection and direction; a rule with a port still alerts per packet', async () => {
    const truth = buildScenario('not-dcerpc').describe();
    const web = truth.connections.filter((c) => c.server.ip === '10.0.0.40');
    const http = web.filter((c) => c.server.port === 80);
    expect(web.length).toBeGreaterThan(1);
    expect(http.length).toBe(1);
    const compiled = compileRules({
      file: 'ip-only.rules',
      text: [
        'alert tcp any any -> 10.0.0.40 any (msg:"to web, ip-only"; sid:1;)',
        'alert tcp 10.0.0.40 any -> any any (msg:"from web, ip-only"; flowbits:set,seen; sid:2;)',
        'alert tcp any any -> 10.0.0.40 80 (msg:"to web port 80, not ip-only"; sid:3;)',
      ].join('\n'),
    });
    expect(compiled.rules.map((r) => r.ipOnly)).toEqual([true, true, false]);
    const frames = await scenarioFrames('not-dcerpc');
    const { records } = run(frames, { ruleSet: compiled.ruleSet });
    const alerts = records.filter((r) => r.record.event_type === 'alert');
    const bySid = (sid: number) =>
      alerts.filter((r) => (r.record as { alert: { signature_id: number } }).alert.signature_id === sid);

    // one alert per connection to 10.0.0.40 in each direction that has packets (every one has its handshake)
    expect(web.every((c) => c.handshake)).toBe(true);
    expect(bySid(1).length).toBe(web.length);
    expect(bySid(2).length).toBe(web.length);
    const ports = (l: typeof alerts, key: 'src_port' | 'dest_port') =>
      l.map((r) => (r.record as Record<string, number>)[key]).sort((a, b) => a - b);
    expect(ports(bySid(1), 'dest_port')).toEqual(web.map((c) => c.server.port).sort((a, b) => a - b));
    expect(ports(bySid(2), 'src_port')).toEqual(web.map((c) => c.server.port).sort((a, b) => a - b));
    // the to-server alert is on the connection's first packet (the SYN), before any from-server one
    for (const a of bySid(1)) {
      const port = (a.record as { dest_port: number }).dest_port;
      const back = bySid(2).find((b) => (b.record as { src_port: number }).src_port === port)!;
      expect(a.position).toBeLessThan(back.position);
    }
    // with a port the rule is an ordinary packet rule: every client packet of the HTTP connection
    expect(bySid(3).length).toBeGreaterThan(2);
  });
});
