/**
 * The ground truth each scenario publishes through describe() — what engine tests will assert against —
 * states exactly the design written in the brief (literal expectations, not values read back from the encoder).
 */
import { describe, expect, it } from 'vitest';
import { buildScenario } from '../src/scenarios/index.js';

const WMI = '8bc3f05e-d86b-11d0-a075-00c04fb68820';
const MMC20 = '49b2791a-b1ae-4c90-9b8e-e860ba07f889';
const LOGIN_IPID = '0000c410-0a80-0000-ca84-a9226eec8843';
const SERVICES_IPID = '00009410-0a80-0000-5ac7-873409e6a8c5';
const CMD = 'cmd.exe /Q /c whoami 1> \\\\127.0.0.1\\ADMIN$\\__1 2>&1';

describe('scenario ground truth', () => {
  it('wmi-activation-ok: activation with OXID bindings, three NTLM contexts for CORP\\alice, NTLMLogin and Win32_Process.Create', () => {
    const d = buildScenario('wmi-activation-ok').describe();
    expect(d.connections.map((c) => [c.id, c.client.ip, c.server.ip, c.server.port])).toEqual([
      ['scm', '10.0.0.10', '10.0.0.20', 135],
      ['wmi', '10.0.0.10', '10.0.0.20', 49154],
    ]);
    expect(d.activations).toEqual([
      expect.objectContaining({
        connection: 'scm',
        callId: 2,
        opnum: 4,
        method: 'RemoteCreateInstance',
        clsid: WMI,
        clsidName: 'WbemLevel1Login',
        outcome: 'ok',
        sealed: false,
        oxidBindings: ['SERVER[49154]', '10.0.0.20[49154]'],
        ipid: LOGIN_IPID,
        dynamicPort: 49154,
      }),
    ]);
    expect(
      d.identities.map((i) => [
        i.connection,
        i.authType,
        i.authLevel,
        i.authContextId,
        i.domain,
        i.user,
        i.workstation,
        i.ntlmVersion,
      ]),
    ).toEqual([
      ['scm', 10, 5, 79231, 'CORP', 'alice', 'WS01', 'v2'],
      ['wmi', 10, 5, 79233, 'CORP', 'alice', 'WS01', 'v2'],
      ['wmi', 10, 5, 79234, 'CORP', 'alice', 'WS01', 'v2'],
    ]);
    expect(
      d.wmi.map((w) => [w.callId, w.interfaceName, w.operation, w.objectUuid, w.namespace, w.commandLine]),
    ).toEqual([
      [2, 'IWbemLevel1Login', 'NTLMLogin', LOGIN_IPID, '//./root/cimv2', undefined],
      [4, 'IWbemServices', 'ExecMethod', SERVICES_IPID, undefined, CMD],
    ]);
    expect(d.wmi[1]).toMatchObject({ class: 'Win32_Process', method: 'Create', sealed: false });
    expect(d.sessionLinks).toEqual([
      { activationConnection: 'scm', objectConnection: 'wmi', by: 'oxid', ipid: LOGIN_IPID, port: 49154 },
    ]);
    expect(d.faults).toEqual([]);
  });

  it('wmi-activation-denied: fault 5 answers the activation (call 2) while ServerAlive2 (call 3) is in flight', () => {
    const d = buildScenario('wmi-activation-denied').describe();
    expect(d.pdus.map((p) => `${p.direction}:${p.ptype}:${p.callId}`)).toEqual([
      'to_server:bind:1',
      'to_client:bind_ack:1',
      'to_server:alter_context:1',
      'to_client:alter_context_resp:1',
      'to_server:request:2',
      'to_server:request:3',
      'to_client:fault:2',
      'to_client:response:3',
    ]);
    expect(d.faults).toEqual([
      {
        connection: 'scm',
        callId: 2,
        contextId: 0,
        status: 5,
        drep: 'le',
        answersInterface: '000001a0-0000-0000-c000-000000000046',
        answersOpnum: 4,
        answersOperation: 'RemoteCreateInstance',
        otherCallInFlight: 3,
      },
    ]);
    expect(d.activations).toEqual([
      expect.objectContaining({ callId: 2, clsid: WMI, outcome: 'fault', faultStatus: 5 }),
    ]);
    expect(d.identities).toEqual([
      expect.objectContaining({ authType: 9, spnego: true, mechanism: 'ntlm', user: 'mallory', workstation: 'WS02' }),
    ]);
    // Native Windows establishes the NTLM context with PFC_SUPPORT_HEADER_SIGN set (flags 0x07).
    expect(d.pdus.filter((p) => p.ptype === 'bind' || p.ptype === 'alter_context').map((p) => p.flags)).toEqual([
      0x07, 0x07,
    ]);
  });

  it('fault-other-call: the fault answers IOXIDResolver ResolveOxid2 after a successful WMI activation', () => {
    const d = buildScenario('fault-other-call').describe();
    expect(d.activations.map((a) => [a.callId, a.clsid, a.outcome])).toEqual([[2, WMI, 'ok']]);
    expect(d.faults.map((f) => [f.callId, f.contextId, f.status, f.answersInterface, f.answersOperation])).toEqual([
      [3, 1, 5, '99fcfec4-5260-101b-bbcb-00aa0021347a', 'ResolveOxid2'],
    ]);
  });

  it('big-endian: every connection is big-endian and the refused activation faults with status 5', () => {
    const d = buildScenario('big-endian').describe();
    expect(d.connections.map((c) => [c.id, c.drep])).toEqual([
      ['scm', 'be'],
      ['wmi', 'be'],
      ['scm-denied', 'be'],
    ]);
    expect(d.faults.map((f) => [f.connection, f.callId, f.status, f.drep, f.answersOperation])).toEqual([
      ['scm-denied', 2, 5, 'be', 'RemoteCreateInstance'],
    ]);
    expect(d.wmi.find((w) => w.operation === 'ExecMethod')?.commandLine).toBe(CMD);
  });

  it('multi-fragment: request fragments FIRST|OBJECT, OBJECT, LAST|OBJECT; response FIRST, none, LAST', () => {
    const d = buildScenario('multi-fragment').describe();
    const frags = d.pdus.filter((p) => p.callId === 4 && p.connection === 'wmi');
    expect(frags.map((p) => [p.ptype, p.fragment, p.flags])).toEqual([
      ['request', 'first', 0x81],
      ['request', 'middle', 0x80],
      ['request', 'last', 0x82],
      ['response', 'first', 0x01],
      ['response', 'middle', 0x00],
      ['response', 'last', 0x02],
    ]);
    for (const p of frags) expect(p.fragLength).toBeLessThanOrEqual(1024);
  });

  it('tcp-impairments: wrap, coalescing, retransmission, identical and conflicting overlap, reordering are all declared', () => {
    const d = buildScenario('tcp-impairments').describe();
    const kinds = new Set(d.tcp.map((t) => t.kind));
    for (const k of ['seq_wrap', 'coalesced', 'split', 'retransmit', 'overlap', 'overlap_conflicting', 'reorder'])
      expect(kinds.has(k as never), k).toBe(true);
    expect(d.pdus.every((p) => p.captured)).toBe(true);
  });

  it('midstream: no handshake, the first PDU is call 2 on a context whose bind was not captured', () => {
    const d = buildScenario('midstream').describe();
    expect(d.connections).toEqual([expect.objectContaining({ id: 'wmi', handshake: false })]);
    expect(d.pdus[0]).toMatchObject({
      ptype: 'request',
      callId: 2,
      opnum: 6,
      contextVisible: false,
      objectUuid: LOGIN_IPID,
    });
    expect(d.identities.map((i) => i.authContextId)).toEqual([79234]);
    expect(d.tcp.map((t) => t.kind)).toContain('midstream');
  });

  it('sealed: every call stub is sealed, the reply reveals no OXID, the link is by host pair and time', () => {
    const d = buildScenario('sealed').describe();
    const calls = d.pdus.filter((p) => p.ptype === 'request' || p.ptype === 'response');
    expect(calls).toHaveLength(6);
    expect(calls.every((p) => p.sealed && p.authLevel === 6)).toBe(true);
    expect(d.activations[0]).toMatchObject({ sealed: true, outcome: 'ok', dynamicPort: 49154 });
    expect(d.activations[0].oxidBindings).toBeUndefined();
    expect(d.sessionLinks).toEqual([
      { activationConnection: 'scm', objectConnection: 'wmi', by: 'host_pair_time', ipid: undefined, port: 49154 },
    ]);
    expect(d.wmi.every((w) => w.sealed)).toBe(true);
  });

  it('dcom-mmc20: RemoteGetClassObject then RemoteCreateInstance for MMC20, ExecuteShellCommand with its arguments', () => {
    const d = buildScenario('dcom-mmc20').describe();
    expect(d.activations.map((a) => [a.opnum, a.method, a.clsid, a.clsidName, a.iids[0]])).toEqual([
      [3, 'RemoteGetClassObject', MMC20, 'MMC20.Application', '00000001-0000-0000-c000-000000000046'],
      [4, 'RemoteCreateInstance', MMC20, 'MMC20.Application', '00020400-0000-0000-c000-000000000046'],
    ]);
    const exec = d.dcom.find((c) => c.method === 'ExecuteShellCommand' && c.operation === 'Invoke');
    expect(exec?.args).toEqual(['cmd.exe', 'C:\\Windows\\System32', '/c whoami > C:\\Windows\\Temp\\mmc.txt', '7']);
    expect(d.dcom.filter((c) => c.operation === 'GetIDsOfNames').map((c) => c.names?.[0])).toEqual([
      'Document',
      'ActiveView',
      'ExecuteShellCommand',
    ]);
  });

  it('kerberos: SPNEGO-wrapped Kerberos on 135 and auth type 16 on the dynamic port; client name not visible', () => {
    const d = buildScenario('kerberos').describe();
    expect(d.identities.map((i) => [i.connection, i.authType, i.spnego, i.realm, i.spn, i.clientNameVisible])).toEqual([
      ['scm', 9, true, 'CORP.LOCAL', 'host/server.corp.local', false],
      ['wmi', 16, false, 'CORP.LOCAL', 'host/server.corp.local', false],
    ]);
    expect(d.wmi.map((w) => [w.operation, w.namespace ?? w.query])).toEqual([
      ['NTLMLogin', 'ROOT\\CIMV2'],
      ['ExecQuery', 'SELECT * FROM Win32_Process'],
    ]);
  });

  it('gap: only the ExecMethod request is lost; the next call (ExecQuery, call 5) is intact', () => {
    const d = buildScenario('gap').describe();
    expect(d.pdus.filter((p) => !p.captured).map((p) => [p.connection, p.ptype, p.callId, p.opnum])).toEqual([
      ['wmi', 'request', 4, 24],
    ]);
    expect(d.wmi.map((w) => [w.callId, w.operation])).toEqual([
      [2, 'NTLMLogin'],
      [4, 'ExecMethod'],
      [5, 'ExecQuery'],
    ]);
    expect(d.tcp.filter((t) => t.kind === 'drop')).toHaveLength(1);
  });

  it('not-dcerpc: only the 8080 connection carries DCE/RPC', () => {
    const d = buildScenario('not-dcerpc').describe();
    expect(d.connections.filter((c) => c.dcerpc).map((c) => [c.id, c.server.port])).toEqual([
      ['dcerpc-8080-nak', 8080],
      ['dcerpc-8080', 8080],
    ]);
    expect(d.connections.filter((c) => !c.dcerpc).map((c) => c.server.port)).toEqual([80, 80, 443, 53, 445, 9000]);
    expect(d.pdus.filter((p) => p.connection === 'dcerpc-8080-nak').map((p) => [p.ptype, p.rejectReason])).toEqual([
      ['bind', undefined],
      ['bind_nak', 8],
    ]);
    expect(d.pdus.filter((p) => p.connection === 'dcerpc-8080').map((p) => p.ptype)).toEqual([
      'bind',
      'bind_ack',
      'request',
      'response',
    ]);
  });
});
