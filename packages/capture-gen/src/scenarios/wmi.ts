/**
 * WMI scenarios: activation on 135 followed (or not) by the object connection to the dynamic port.
 */
import { AUTH_LEVEL, btfn, NDR64, STATUS } from '../dcerpc/constants.js';
import type { Drep } from '../dcerpc/pdu.js';
import { CLSID, IID } from '../dcom/guids.js';
import type { Orpc } from '../dcom/orpc.js';
import type { SendOptions } from '../tcp/conversation.js';
import {
  activationFault,
  activationOk,
  activationRequest,
  ctxNdr,
  type ExporterInfo,
  execQuery,
  IF,
  ntlmLogin,
  resolveOxid2,
  serverAlive2,
  serverAlive2Reply,
  win32ProcessCreate,
} from './flows.js';
import { type ScenarioDefinition, WMI_NAMESPACE, WMIEXEC_COMMAND } from './types.js';
import { ALICE, HOSTS, IMPACKET_AUTH_CTX, MALLORY, type World } from './world.js';

export const EXPORTER: ExporterInfo = {
  port: 49154,
  oxid: 0xc73d9df2ad17aa43n,
  oid: 0xccb49bb3f95c9aaan,
  ipid: '0000c410-0a80-0000-ca84-a9226eec8843',
  ipidRemUnknown: '00006800-0a80-0000-9eb0-6cbfe06bc80e',
  authnHint: AUTH_LEVEL.integrity,
};

/** IWbemServices handed out by NTLMLogin (same object exporter, new IPID). */
export const SERVICES = { oxid: EXPORTER.oxid, oid: 0x1d5f3e2c4b6a7988n, ipid: '00009410-0a80-0000-5ac7-873409e6a8c5' };
export const ENUMERATOR = {
  oxid: EXPORTER.oxid,
  oid: 0x2e6f4f3d5c7b8a99n,
  ipid: '0000a814-0a80-0000-7bd1-2b9e44f0c3a1',
};

const THINK = 2_500;

export interface ImpacketSessionOptions {
  drep?: Drep;
  scmLevel: number;
  objectLevel: number;
  command?: string;
  /** Dynamic-port connection TCP overrides (ISNs, MSS). */
  objectTcp?: Parameters<World['connect']>[0]['tcp'];
  maxFrag?: number;
  execSend?: SendOptions;
  execReplySend?: SendOptions;
  execFragments?: number;
  execReplyFragments?: number;
  /** Coalesce auth3 with the following request (several PDUs in one segment). */
  coalesceAuth3?: boolean;
  /** Extra calls on the object connection after ExecMethod (e.g. to resynchronise after a gap). */
  afterExec?: (ctx: { conn: ReturnType<World['connect']>; orpc: Orpc }) => void;
  skipScm?: boolean;
  scmClientPort?: number;
  objectClientPort?: number;
}

/**
 * impacket wmiexec-shaped session: NTLM (0x0a), one context per bind, auth_context_id 79231 + n,
 * max frag 4280; CoCreateInstanceEx(CLSID_WbemLevel1Login, IID_IWbemLevel1Login) on 135, then on the
 * dynamic port bind IWbemLevel1Login, NTLMLogin, alter_context IWbemServices (new NTLM context),
 * ExecMethod Win32_Process.Create.
 */
export function impacketWmiSession(w: World, o: ImpacketSessionOptions): void {
  const orpc = { cid: w.rng.uuid(), minor: 6 };
  const sealed135 = o.scmLevel === AUTH_LEVEL.privacy;
  if (!o.skipScm) {
    const scm = w.connect({
      id: 'scm',
      client: HOSTS.ws01,
      server: HOSTS.server,
      clientPort: o.scmClientPort ?? 49701,
      serverPort: 135,
      drep: o.drep,
      style: 'impacket',
      notes: 'DCOM activation on the endpoint mapper port',
    });
    scm.bind({
      contexts: [ctxNdr(0, IF.ISystemActivator)],
      security: w.ntlm(ALICE, { level: o.scmLevel, authContextId: IMPACKET_AUTH_CTX, style: 'impacket' }),
    });
    const spec = {
      contextId: 0,
      opnum: 4 as const,
      clsid: CLSID.WbemLevel1Login,
      iid: IID.IWbemLevel1Login,
      style: 'impacket' as const,
      orpc,
    };
    const call = activationRequest(scm, spec);
    w.net.advance(THINK);
    activationOk(w.rec, scm, call, spec, { ...EXPORTER, authnHint: o.objectLevel });
    scm.close();
    w.net.advance(THINK);
  }

  const wmi = w.connect({
    id: 'wmi',
    client: HOSTS.ws01,
    server: HOSTS.server,
    clientPort: o.objectClientPort ?? 49702,
    serverPort: EXPORTER.port,
    drep: o.drep,
    style: 'impacket',
    maxFrag: o.maxFrag,
    tcp: o.objectTcp,
    notes: 'DCOM object connection to the OXID binding port',
  });
  const login = () =>
    ntlmLogin(w.rec, wmi, 0, EXPORTER.ipid, WMI_NAMESPACE, SERVICES, {
      orpc,
    });
  wmi.bind({
    contexts: [ctxNdr(0, IF.IWbemLevel1Login)],
    security: w.ntlm(ALICE, { level: o.objectLevel, authContextId: IMPACKET_AUTH_CTX + 2, style: 'impacket' }),
    afterAuth3: o.coalesceAuth3 ? login : undefined,
  });
  if (!o.coalesceAuth3) login();
  w.net.advance(THINK);
  wmi.bind({
    alter: true,
    contexts: [ctxNdr(1, IF.IWbemServices)],
    security: w.ntlm(ALICE, { level: o.objectLevel, authContextId: IMPACKET_AUTH_CTX + 3, style: 'impacket' }),
  });
  w.net.advance(THINK);
  win32ProcessCreate(w.rec, wmi, 1, SERVICES.ipid, o.command ?? WMIEXEC_COMMAND, {
    orpc,
    send: o.execSend,
    replySend: o.execReplySend,
    fragments: o.execFragments,
    replyFragments: o.execReplyFragments,
  });
  o.afterExec?.({ conn: wmi, orpc });
  wmi.close();

  if (!o.skipScm) {
    w.rec.sessionLinks.push({
      activationConnection: 'scm',
      objectConnection: 'wmi',
      by: sealed135 ? 'host_pair_time' : 'oxid',
      ipid: sealed135 ? undefined : EXPORTER.ipid,
      port: EXPORTER.port,
    });
  }
}

export const wmiActivationOk: ScenarioDefinition = {
  name: 'wmi-activation-ok',
  title: 'WMI remote process creation: activation on 135, NTLMLogin and Win32_Process.Create on the dynamic port',
  summary:
    'WS01 (10.0.0.10) activates CLSID_WbemLevel1Login 8bc3f05e-d86b-11d0-a075-00c04fb68820 on SERVER (10.0.0.20):135 with ' +
    'NTLM (CORP\\alice from WS01) at packet integrity; the clear reply carries OXID bindings SERVER[49154] / 10.0.0.20[49154] ' +
    'and the IWbemLevel1Login IPID. A second connection to 49154 binds IWbemLevel1Login, calls NTLMLogin("//./root/cimv2") ' +
    'on that IPID, alters to IWbemServices under a new NTLM context and runs Win32_Process.Create with a wmiexec command line.',
  proves: [
    'ISystemActivator bind, RemoteCreateInstance (opnum 4) and the WMI CLSID in a clear activation stub',
    'OXID string bindings and IPID in the activation reply; the dynamic-port connection uses that IPID as object UUID (session link by oxid)',
    'NTLMSSP NEGOTIATE/CHALLENGE/AUTHENTICATE in bind, bind_ack and auth3: domain CORP, user alice, workstation WS01, NTLMv2',
    'two security contexts on one connection (auth_context_id 79233 and 79234)',
    'IWbemLevel1Login::NTLMLogin namespace and IWbemServices::ExecMethod Win32_Process.Create CommandLine at level 5',
  ],
  build(w) {
    impacketWmiSession(w, { scmLevel: AUTH_LEVEL.integrity, objectLevel: AUTH_LEVEL.integrity });
  },
};

export const wmiActivationDenied: ScenarioDefinition = {
  name: 'wmi-activation-denied',
  title: 'WMI activation refused with fault 0x5 while an IOXIDResolver call is in flight',
  summary:
    'WS02 (10.0.0.11) binds ISystemActivator (NDR + BTFN) and IOXIDResolver in one bind with SPNEGO-wrapped NTLM ' +
    '(CORP\\mallory) at packet integrity, sends RemoteCreateInstance for the WMI CLSID (call 2, context 0) and, before any reply, ' +
    'ServerAlive2 (call 3, context 2). The server answers call 2 with a fault, status 0x00000005 (access denied), then ' +
    'answers call 3 normally.',
  proves: [
    'the fault is attributed to call 2 (the WMI activation) by call_id, not to the call still in flight',
    'a call-level "WMI activation denied" alert fires once; ServerAlive2 has a normal response',
    'SPNEGO (auth type 9) wrapping NTLMSSP: identity CORP\\mallory@WS02 from the alter_context leg',
    'bind with three context items and results accept / negotiate_ack / accept',
  ],
  build(w) {
    const orpc = { cid: w.rng.uuid(), minor: 7 };
    const scm = w.connect({
      id: 'scm',
      client: HOSTS.ws02,
      server: HOSTS.server,
      clientPort: 50112,
      serverPort: 135,
      style: 'windows',
      headerSign: true,
    });
    scm.bind({
      contexts: [
        ctxNdr(0, IF.ISystemActivator),
        { contextId: 1, iface: IF.ISystemActivator, transfer: [btfn()] },
        ctxNdr(2, IF.IOXIDResolver),
      ],
      security: w.ntlm(MALLORY, { level: AUTH_LEVEL.integrity, authContextId: 0, style: 'windows', spnego: true }),
    });
    const spec = {
      contextId: 0,
      opnum: 4 as const,
      clsid: CLSID.WbemLevel1Login,
      iid: IID.IWbemLevel1Login,
      style: 'windows' as const,
      orpc,
    };
    const activation = activationRequest(scm, spec);
    const ping = serverAlive2(scm, 2);
    w.net.advance(1_200);
    activationFault(w.rec, scm, activation, spec, STATUS.access_denied, { otherCallInFlight: ping.callId });
    w.net.advance(300);
    serverAlive2Reply(scm, ping);
    scm.close();
  },
};

export const faultOtherCall: ScenarioDefinition = {
  name: 'fault-other-call',
  title: 'Access-denied fault answering a non-activation call on a connection that carried a WMI activation',
  summary:
    'WS01 activates the WMI CLSID on SERVER:135 (call 2, succeeds with OXID bindings), then calls IOXIDResolver ResolveOxid2 ' +
    '(call 3, context 1), which the server refuses with fault 0x00000005. The seed rule 4103009 (fault 5 after a WMI activation ' +
    'on the same flow) fires here although the refused call is not the activation.',
  proves: [
    'fault status 5 is attributed to call 3 (IOXIDResolver opnum 4), not to the WMI activation',
    'the call-level activation-denied alert must not fire; 4103009 as written (flowbits) does — the seed false positive',
  ],
  build(w) {
    const orpc = { cid: w.rng.uuid(), minor: 7 };
    const scm = w.connect({
      id: 'scm',
      client: HOSTS.ws01,
      server: HOSTS.server,
      clientPort: 49811,
      serverPort: 135,
      style: 'windows',
    });
    scm.bind({
      contexts: [ctxNdr(0, IF.ISystemActivator), ctxNdr(1, IF.IOXIDResolver)],
      security: w.ntlm(ALICE, { level: AUTH_LEVEL.integrity, authContextId: 0, style: 'windows' }),
    });
    const spec = {
      contextId: 0,
      opnum: 4 as const,
      clsid: CLSID.WbemLevel1Login,
      iid: IID.IWbemLevel1Login,
      style: 'windows' as const,
      orpc,
    };
    const act = activationRequest(scm, spec);
    w.net.advance(1_800);
    activationOk(w.rec, scm, act, spec, { ...EXPORTER, port: 49155 });
    w.net.advance(900);
    const resolve = resolveOxid2(scm, 1, EXPORTER.oxid);
    w.net.advance(600);
    scm.fault(resolve, STATUS.access_denied);
    scm.close();
  },
};

export const bigEndian: ScenarioDefinition = {
  name: 'big-endian',
  title: 'The WMI session with big-endian data representation everywhere, plus a big-endian access-denied fault',
  summary:
    'The wmi-activation-ok session with drep 00 00 00 00 (big-endian integers) on every PDU and in every NDR stub of both ' +
    'connections; OBJREF blobs, MS-WMIO objects and NTLMSSP stay little-endian as their specifications require. A second ' +
    'connection to 135 repeats the activation and is refused with a big-endian fault, status 0x00000005.',
  proves: [
    'frag_length, auth_length, call_id, context ids, opnums, UUIDs and fault status decoded with the PDU byte order',
    "byte_test ... dce on the fault reads the status as 5 using the fault PDU's own drep",
    'NDR stubs (LPWSTR namespace, BSTRs) decoded big-endian',
  ],
  build(w) {
    impacketWmiSession(w, { drep: 'be', scmLevel: AUTH_LEVEL.integrity, objectLevel: AUTH_LEVEL.integrity });
    w.net.advance(THINK);
    const orpc = { cid: w.rng.uuid(), minor: 6 };
    const scm2 = w.connect({
      id: 'scm-denied',
      client: HOSTS.ws01,
      server: HOSTS.server,
      clientPort: 49703,
      serverPort: 135,
      drep: 'be',
      style: 'impacket',
    });
    scm2.bind({
      contexts: [ctxNdr(0, IF.ISystemActivator)],
      security: w.ntlm(ALICE, { level: AUTH_LEVEL.integrity, authContextId: IMPACKET_AUTH_CTX, style: 'impacket' }),
    });
    const spec = {
      contextId: 0,
      opnum: 4 as const,
      clsid: CLSID.WbemLevel1Login,
      iid: IID.IWbemLevel1Login,
      style: 'impacket' as const,
      orpc,
    };
    const call = activationRequest(scm2, spec);
    w.net.advance(900);
    activationFault(w.rec, scm2, call, spec, STATUS.access_denied);
    scm2.close();
  },
};

export const multiFragment: ScenarioDefinition = {
  name: 'multi-fragment',
  title: 'ExecMethod request and response each split into three DCE/RPC fragments',
  summary:
    'An impacket-style object connection to SERVER:49154 negotiated with max_xmit_frag 1024: the IWbemServices::ExecMethod ' +
    'request (Win32_Process.Create) is sent as three request PDUs with the same call_id (flags FIRST|OBJECT, OBJECT, ' +
    'LAST|OBJECT), each with its own NTLM verifier, and the reply as three response fragments (FIRST, none, LAST).',
  proves: [
    'multi-fragment stub reassembly by call_id; alloc_hint counts down',
    'the command line is only readable after reassembly (it spans a fragment boundary)',
    'dce_iface/dce_opnum evaluate the first fragment (and every fragment with any_frag)',
  ],
  build(w) {
    impacketWmiSession(w, {
      scmLevel: AUTH_LEVEL.integrity,
      objectLevel: AUTH_LEVEL.integrity,
      maxFrag: 1024,
      execFragments: 3,
      execReplyFragments: 3,
    });
  },
};

export const sealed: ScenarioDefinition = {
  name: 'sealed',
  title: 'The WMI session at packet privacy (auth level 6) on both connections',
  summary:
    'impacket defaults: NTLM at RPC_C_AUTHN_LEVEL_PKT_PRIVACY on 135 and on the dynamic port. Binds, NTLMSSP tokens, request ' +
    'headers (context id, opnum, object UUID) and the sec_trailer are clear; every request/response stub is encrypted ' +
    '(random bytes here), including the activation reply, so the OXID bindings and IPIDs cannot be read.',
  proves: [
    'sealed stubs are marked stub_sealed and never matched by content, yet interface/opnum/operation are reported',
    'ISystemActivator RemoteCreateInstance and IWbemServices ExecMethod still identified from context + opnum',
    'the dynamic-port connection can only be tied to the activation by host pair and time',
    'NTLM identity still visible in the auth3 AUTHENTICATE message',
  ],
  build(w) {
    impacketWmiSession(w, { scmLevel: AUTH_LEVEL.privacy, objectLevel: AUTH_LEVEL.privacy });
  },
};

export const kerberos: ScenarioDefinition = {
  name: 'kerberos',
  title: 'WMI session authenticated with Kerberos: SPNEGO on 135, raw Kerberos (auth type 16) on the dynamic port',
  summary:
    'A Windows-style client activates the WMI CLSID on SERVER:135 with SPNEGO-wrapped Kerberos (auth type 9) at level connect: ' +
    'the AP-REQ for realm CORP.LOCAL and service host/server.corp.local is in the bind, the AP-REP legs in bind_ack and ' +
    'alter_context. The object connection to 49154 authenticates with auth type 16 (GSS Kerberos) at packet integrity and ' +
    'runs NTLMLogin("ROOT\\CIMV2") and ExecQuery("SELECT * FROM Win32_Process").',
  proves: [
    'Kerberos identity = realm + service principal; the client principal is not visible',
    'auth type 9 (SPNEGO) and 16 (Kerberos) both recognised, with four-leg binds',
    'WQL query readable at level 5 with Kerberos verifiers',
  ],
  build(w) {
    const orpc = { cid: w.rng.uuid(), minor: 7 };
    const scm = w.connect({
      id: 'scm',
      client: HOSTS.ws01,
      server: HOSTS.server,
      clientPort: 49920,
      serverPort: 135,
      style: 'windows',
    });
    scm.bind({
      contexts: [ctxNdr(0, IF.ISystemActivator), { contextId: 1, iface: IF.ISystemActivator, transfer: [btfn()] }],
      security: w.kerberos({ level: AUTH_LEVEL.connect, authContextId: 0, spnego: true }),
    });
    const spec = {
      contextId: 0,
      opnum: 4 as const,
      clsid: CLSID.WbemLevel1Login,
      iid: IID.IWbemLevel1Login,
      style: 'windows' as const,
      orpc,
    };
    const act = activationRequest(scm, spec);
    w.net.advance(THINK);
    activationOk(w.rec, scm, act, spec, EXPORTER);
    scm.close();
    w.net.advance(THINK);

    const wmi = w.connect({
      id: 'wmi',
      client: HOSTS.ws01,
      server: HOSTS.server,
      clientPort: 49921,
      serverPort: EXPORTER.port,
      style: 'windows',
    });
    wmi.bind({
      contexts: [ctxNdr(0, IF.IWbemLevel1Login), { contextId: 1, iface: IF.IWbemLevel1Login, transfer: [NDR64] }],
      security: w.kerberos({ level: AUTH_LEVEL.integrity, authContextId: 0, spnego: false }),
    });
    ntlmLogin(w.rec, wmi, 0, EXPORTER.ipid, 'ROOT\\CIMV2', SERVICES, { orpc });
    w.net.advance(THINK);
    wmi.bind({ alter: true, contexts: [ctxNdr(2, IF.IWbemServices)] });
    execQuery(w.rec, wmi, 2, SERVICES.ipid, 'SELECT * FROM Win32_Process', ENUMERATOR, { orpc });
    wmi.close();
    w.rec.sessionLinks.push({
      activationConnection: 'scm',
      objectConnection: 'wmi',
      by: 'oxid',
      ipid: EXPORTER.ipid,
      port: EXPORTER.port,
    });
  },
};
