/**
 * The seven seed sids (rules/wmi.rules) on every capture-gen scenario. The expected alerts are derived from the
 * scenario's ground truth (buildScenario(name).describe(): what the generator put on the wire, recorded as it
 * emitted the PDUs, never by decoding) and from what each rule's text says, not from the engine's output:
 *
 *   4103004  dce_iface ISystemActivator, flow:to_server,established — a request on a context the server ACCEPTED
 *            for ISystemActivator; sealed or not (the header is clear); on a fragmented request the first and the
 *            last fragment (Snort's "first fragment or full request"; docs/rules.md), never a middle one;
 *   4103022 / 4103023 / 4103020  the same for IWbemLevel1Login / IWbemServices / IEnumWbemClassObject;
 *   4103001  4103004's condition AND dce_stub_data content = the WMI CLSID: an activation whose clear stub carries
 *            CLSID 8bc3f05e-…; sets flowbit wmi_remoteactivation_attempt on the connection;
 *   4103009  flow:to_client, flowbits:isset (per CONNECTION, not per call), a fault PDU (05 00 03 at offset 0) with
 *            status 5 read in that PDU's own byte order (byte_test …,dce);
 *   4103005  the same with flowbits:isnotset.
 *
 * A PDU the sensor never saw (captured: false) and a request on a context whose bind precedes the capture
 * (contextVisible: false) cannot match. Default variables: every host is a source and a protected asset.
 */
import { buildScenario, scenarioNames } from '@wmi-detect/capture-gen';
import type { EveAlert } from '@wmi-detect/engine';
import { describe, expect, it } from 'vitest';
import { run, scenarioFrames } from './helpers.js';

const WMI_CLSID = '8bc3f05e-d86b-11d0-a075-00c04fb68820';
const IFACE_SIDS = new Map<string, number>([
  ['000001a0-0000-0000-c000-000000000046', 4103004], // ISystemActivator
  ['f309ad18-d86a-11d0-a075-00c04fb68820', 4103022], // IWbemLevel1Login
  ['9556dc99-828c-11cf-a37e-00aa003240c7', 4103023], // IWbemServices
  ['027947e1-d731-11ce-a357-000000000001', 4103020], // IEnumWbemClassObject
]);

/** `<sid> <connection id> call <call_id>` for every alert the seed rules must raise on the scenario. */
function expectedAlerts(name: string): string[] {
  const d = buildScenario(name).describe();
  const out: string[] = [];
  const offered = new Map<string, Map<number, string>>(); // connection → (callId|ctx) → interface
  const accepted = new Map<string, Map<number, string>>(); // connection → ctx → interface
  const flowbit = new Set<string>();
  const wmiActivation = new Set(
    d.activations
      .filter((a) => a.clsid.toLowerCase() === WMI_CLSID && !a.sealed)
      .map((a) => `${a.connection}/${a.callId}`),
  );
  for (const p of d.pdus) {
    if (!p.captured) continue;
    const c = p.connection;
    if ((p.ptype === 'bind' || p.ptype === 'alter_context') && p.contexts) {
      const m = offered.get(c) ?? new Map<number, string>();
      for (const x of p.contexts) m.set(p.callId * 65536 + x.contextId, x.interface.toLowerCase());
      offered.set(c, m);
    }
    if ((p.ptype === 'bind_ack' || p.ptype === 'alter_context_resp') && p.results) {
      const acc = accepted.get(c) ?? new Map<number, string>();
      for (const r of p.results) {
        const iface = offered.get(c)?.get(p.callId * 65536 + r.contextId);
        if (iface === undefined) continue;
        if (r.result === 0) acc.set(r.contextId, iface);
        else acc.delete(r.contextId);
      }
      accepted.set(c, acc);
    }
    if (p.ptype === 'request' && p.direction === 'to_server' && p.fragment !== 'middle') {
      if (p.contextVisible === false || p.contextId === undefined) continue;
      const iface = accepted.get(c)?.get(p.contextId);
      const sid = iface === undefined ? undefined : IFACE_SIDS.get(iface);
      if (sid === undefined) continue;
      out.push(`${sid} ${c} call ${p.callId}`);
      if (sid === 4103004 && !p.sealed && wmiActivation.has(`${c}/${p.callId}`)) {
        expect(p.fragment, 'activation requests are not fragmented in the scenarios').toBe('single');
        out.push(`4103001 ${c} call ${p.callId}`);
        flowbit.add(c);
      }
    }
    if (p.ptype === 'fault' && p.direction === 'to_client' && p.status === 5) {
      out.push(`${flowbit.has(c) ? 4103009 : 4103005} ${c} call ${p.callId}`);
    }
  }
  return out.sort();
}

/** The engine's alerts in the same form, the connection found by its ports in the ground truth. */
async function engineAlerts(name: string): Promise<string[]> {
  const conns = buildScenario(name).describe().connections;
  const { records } = run(await scenarioFrames(name));
  return records
    .map((r) => r.record)
    .filter((r): r is EveAlert => r.event_type === 'alert')
    .map((a) => {
      const conn = conns.find(
        (c) =>
          (c.client.port === a.src_port && c.server.port === a.dest_port) ||
          (c.client.port === a.dest_port && c.server.port === a.src_port),
      );
      return `${a.alert.signature_id} ${conn?.id ?? `?${a.src_port}-${a.dest_port}`} call ${a.dcerpc?.call_id}`;
    })
    .sort();
}

describe('seed rules on the generated scenarios, as the rule texts say', () => {
  it.each(scenarioNames())('%s', async (name) => {
    expect(await engineAlerts(name)).toEqual(expectedAlerts(name));
  });

  // The derivation above, spelled out where the seed's semantics are the point of the scenario.
  it('wmi-activation-denied: the fault 5 on the WMI activation (call 2, while call 3 is in flight) is 4103009', () => {
    expect(expectedAlerts('wmi-activation-denied')).toEqual([
      '4103001 scm call 2',
      '4103004 scm call 2',
      '4103009 scm call 2',
    ]);
  });

  it("fault-other-call: 4103009 still fires on another call's fault 5 — the flowbit is per connection (seed limit)", () => {
    expect(expectedAlerts('fault-other-call')).toContain('4103009 scm call 3');
    expect(expectedAlerts('fault-other-call')).not.toContain('4103005 scm call 3');
  });

  it('big-endian: the big-endian fault 5 matches byte_test …,dce (status read with the fault’s own drep)', () => {
    expect(expectedAlerts('big-endian')).toContain('4103009 scm-denied call 2');
  });

  it('sealed: interface rules fire on the clear headers, the CLSID rule never on a sealed stub', () => {
    const e = expectedAlerts('sealed');
    expect(e).toEqual(['4103004 scm call 2', '4103022 wmi call 2', '4103023 wmi call 4']);
  });

  it('midstream: no alert for a call whose bind precedes the capture; later contexts alert normally', () => {
    expect(expectedAlerts('midstream')).toEqual(['4103023 wmi call 4']);
  });

  it('multi-fragment: the ExecMethod request alerts on its first and its last fragment, not the middle one', () => {
    expect(expectedAlerts('multi-fragment').filter((a) => a === '4103023 wmi call 4')).toHaveLength(2);
  });

  it('gap: the request that lost a segment cannot match, the next one does', () => {
    expect(expectedAlerts('gap')).toContain('4103023 wmi call 5');
    expect(expectedAlerts('gap')).not.toContain('4103023 wmi call 4');
  });

  it('not-dcerpc: only the unauthenticated activation on port 8080 (DCE/RPC recognised by content)', () => {
    expect(expectedAlerts('not-dcerpc')).toEqual(['4103001 dcerpc-8080 call 2', '4103004 dcerpc-8080 call 2']);
  });
});
