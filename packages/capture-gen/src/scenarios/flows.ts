/**
 * DCOM/WMI call flows built on DceConnection, each recording its ground-truth facts:
 * activation on 135 (RemoteCreateInstance / RemoteGetClassObject) with the OXID reply, IOXIDResolver calls,
 * IWbemLevel1Login::NTLMLogin, IWbemServices::ExecQuery / ExecMethod(Win32_Process.Create), IDispatch
 * GetIDsOfNames / Invoke.
 */
import { AUTH_LEVEL, NDR, type SyntaxId } from '../dcerpc/constants.js';
import {
  type ActivationRequest,
  activationPropertiesIn,
  activationPropertiesOut,
  activationResponse,
  remoteCreateInstanceRequest,
  remoteGetClassObjectRequest,
} from '../dcom/activation.js';
import { CLSID_NAMES, IID, INTERFACE_NAMES, operationName } from '../dcom/guids.js';
import {
  DISPATCH_METHOD,
  DISPATCH_PROPERTYGET,
  getIdsOfNamesRequest,
  getIdsOfNamesResponse,
  invokeRequest,
  invokeResponse,
  VT_BSTR,
  VT_DISPATCH,
  VT_EMPTY,
} from '../dcom/idispatch.js';
import {
  type DualStringArray,
  type Orpc,
  objrefStandard,
  scmSecurityBindings,
  WINDOWS_OBJREF_SECURITY,
} from '../dcom/orpc.js';
import { resolveOxid2Request, serverAlive2Request, serverAlive2Response } from '../dcom/oxid-resolver.js';
import type { Call, DceConnection } from '../session/dce-connection.js';
import type { FactRecorder } from '../session/facts.js';
import type { SendOptions } from '../tcp/conversation.js';
import {
  execMethodRequest,
  execMethodResponse,
  execQueryRequest,
  interfaceReply,
  ntlmLoginRequest,
} from '../wmi/wbem.js';
import { type InstanceEncodingOptions, WIN32_PROCESS_CREATE_IN, WIN32_PROCESS_CREATE_OUT } from '../wmi/wmio.js';
import { DOMAIN, HOSTS } from './world.js';

export const syntax = (uuid: string, major = 0, minor = 0): SyntaxId => ({ uuid, major, minor });

export const IF = {
  ISystemActivator: syntax(IID.IRemoteSCMActivator),
  IOXIDResolver: syntax(IID.IObjectExporter),
  IWbemLevel1Login: syntax(IID.IWbemLevel1Login),
  IWbemServices: syntax(IID.IWbemServices),
  IRemUnknown2: syntax(IID.IRemUnknown2),
  IDispatch: syntax(IID.IDispatch),
};

export const ctxNdr = (contextId: number, iface: SyntaxId) => ({ contextId, iface, transfer: [NDR] });

/** The object exporter a successful activation points to. */
export interface ExporterInfo {
  port: number;
  oxid: bigint;
  /** IPID of the activated interface (object UUID of later calls on the dynamic port). */
  ipid: string;
  oid: bigint;
  ipidRemUnknown: string;
  authnHint: number;
}

export function oxidBindings(port: number): DualStringArray {
  return {
    strings: [{ networkAddr: `${HOSTS.server.name}[${port}]` }, { networkAddr: `${HOSTS.server.ip}[${port}]` }],
    security: scmSecurityBindings(DOMAIN.serverDns),
  };
}

const RESOLVER: DualStringArray = {
  strings: [{ networkAddr: HOSTS.server.name }, { networkAddr: HOSTS.server.ip }],
  security: WINDOWS_OBJREF_SECURITY,
};

/** OBJREF_STANDARD for an interface exported by SERVER's object exporter. */
export function serverObjref(iid: string, e: { oxid: bigint; oid: bigint; ipid: string }): Uint8Array {
  return objrefStandard(iid, { oxid: e.oxid, oid: e.oid, ipid: e.ipid, publicRefs: 5 }, RESOLVER);
}

const hex64 = (v: bigint): string => `0x${v.toString(16).padStart(16, '0')}`;

export interface ActivationSpec {
  contextId: number;
  opnum: 3 | 4;
  clsid: string;
  iid: string;
  style: ActivationRequest['style'];
  orpc: Orpc;
  send?: SendOptions;
}

/** Sends the activation request; the reply is sent by `activationOk` or `activationFault`. */
export function activationRequest(conn: DceConnection, s: ActivationSpec): Call {
  const props = activationPropertiesIn({
    style: s.style,
    clsid: s.clsid,
    iids: [s.iid],
    serverName: s.style === 'windows' ? HOSTS.server.name : undefined,
    clientContextId: s.style === 'windows' ? s.orpc.cid : undefined,
  });
  const stub =
    s.opnum === 4
      ? remoteCreateInstanceRequest(conn.le, s.orpc, props)
      : remoteGetClassObjectRequest(conn.le, s.orpc, props);
  return conn.request({ contextId: s.contextId, opnum: s.opnum, stub, send: s.send });
}

function activationFact(_rec: FactRecorder, conn: DceConnection, call: Call, s: ActivationSpec) {
  const f = {
    connection: conn.id,
    callId: call.callId,
    opnum: s.opnum,
    method: s.opnum === 4 ? ('RemoteCreateInstance' as const) : ('RemoteGetClassObject' as const),
    clsid: s.clsid,
    clsidName: CLSID_NAMES[s.clsid],
    iids: [s.iid],
    sealed: call.security?.level === AUTH_LEVEL.privacy,
  };
  return f;
}

export function activationOk(
  rec: FactRecorder,
  conn: DceConnection,
  call: Call,
  s: ActivationSpec,
  e: ExporterInfo,
  send?: SendOptions,
): void {
  const props = activationPropertiesOut({
    interfaces: [{ iid: s.iid, objref: serverObjref(s.iid, e) }],
    oxid: e.oxid,
    oxidBindings: oxidBindings(e.port),
    ipidRemUnknown: e.ipidRemUnknown,
    authnHint: e.authnHint,
  });
  conn.respond(call, activationResponse(conn.le, props), { send });
  const base = activationFact(rec, conn, call, s);
  rec.activations.push(
    base.sealed
      ? { ...base, outcome: 'ok', dynamicPort: e.port }
      : {
          ...base,
          outcome: 'ok',
          oxid: hex64(e.oxid),
          oxidBindings: oxidBindings(e.port).strings.map((x) => x.networkAddr),
          ipid: e.ipid,
          ipidRemUnknown: e.ipidRemUnknown,
          authnHint: e.authnHint,
          dynamicPort: e.port,
        },
  );
}

export function activationFault(
  rec: FactRecorder,
  conn: DceConnection,
  call: Call,
  s: ActivationSpec,
  status: number,
  o: { otherCallInFlight?: number; send?: SendOptions } = {},
): void {
  conn.fault(call, status, { otherCallInFlight: o.otherCallInFlight, send: o.send });
  rec.activations.push({ ...activationFact(rec, conn, call, s), outcome: 'fault', faultStatus: status });
}

export function serverAlive2(conn: DceConnection, contextId: number): Call {
  return conn.request({ contextId, opnum: 5, stub: serverAlive2Request() });
}

export function serverAlive2Reply(conn: DceConnection, call: Call): void {
  conn.respond(call, serverAlive2Response(conn.le, RESOLVER));
}

export function resolveOxid2(conn: DceConnection, contextId: number, oxid: bigint): Call {
  return conn.request({ contextId, opnum: 4, stub: resolveOxid2Request(conn.le, oxid) });
}

function wmiFact(rec: FactRecorder, conn: DceConnection, call: Call, extra: Record<string, string | undefined>): void {
  rec.wmi.push({
    connection: conn.id,
    callId: call.callId,
    interface: call.iface,
    interfaceName: INTERFACE_NAMES[call.iface] ?? call.iface,
    opnum: call.opnum,
    operation: operationName(call.iface, call.opnum),
    objectUuid: call.objectUuid,
    sealed: call.security?.level === AUTH_LEVEL.privacy,
    ...Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined)),
  });
}

export interface CallOptions {
  orpc: Orpc;
  send?: SendOptions;
  replySend?: SendOptions;
  fragments?: number;
  replyFragments?: number;
}

/** IWbemLevel1Login::NTLMLogin; the reply hands out IWbemServices with `services.ipid`. */
export function ntlmLogin(
  rec: FactRecorder,
  conn: DceConnection,
  contextId: number,
  loginIpid: string,
  namespace: string,
  services: { oxid: bigint; oid: bigint; ipid: string },
  o: CallOptions,
): Call {
  const call = conn.request({
    contextId,
    opnum: 6,
    objectUuid: loginIpid,
    stub: ntlmLoginRequest(conn.le, o.orpc, namespace),
    send: o.send,
    fragments: o.fragments,
  });
  wmiFact(rec, conn, call, { namespace });
  conn.respond(call, interfaceReply(conn.le, serverObjref(IID.IWbemServices, services)), {
    send: o.replySend,
    fragments: o.replyFragments,
  });
  return call;
}

export function execQuery(
  rec: FactRecorder,
  conn: DceConnection,
  contextId: number,
  servicesIpid: string,
  query: string,
  enumerator: { oxid: bigint; oid: bigint; ipid: string },
  o: CallOptions,
): Call {
  const call = conn.request({
    contextId,
    opnum: 20,
    objectUuid: servicesIpid,
    stub: execQueryRequest(conn.le, o.orpc, query),
    send: o.send,
    fragments: o.fragments,
  });
  wmiFact(rec, conn, call, { query });
  conn.respond(call, interfaceReply(conn.le, serverObjref(IID.IEnumWbemClassObject, enumerator)), {
    send: o.replySend,
    fragments: o.replyFragments,
  });
  return call;
}

/** IWbemServices::ExecMethod("Win32_Process", "Create") with CommandLine (impacket wmiexec). */
export function win32ProcessCreate(
  rec: FactRecorder,
  conn: DceConnection,
  contextId: number,
  servicesIpid: string,
  commandLine: string,
  o: CallOptions & { encoding?: InstanceEncodingOptions; processId?: number; noReply?: boolean },
): Call {
  const call = conn.request({
    contextId,
    opnum: 24,
    objectUuid: servicesIpid,
    stub: execMethodRequest(conn.le, o.orpc, {
      objectPath: 'Win32_Process',
      method: 'Create',
      inClass: WIN32_PROCESS_CREATE_IN,
      inValues: { CommandLine: commandLine, CurrentDirectory: 'C:\\' },
      encoding: o.encoding ?? { classPartSlack: 500, stringEncoding: 'utf16' },
    }),
    send: o.send,
    fragments: o.fragments,
  });
  wmiFact(rec, conn, call, { class: 'Win32_Process', method: 'Create', commandLine });
  if (!o.noReply) {
    conn.respond(
      call,
      execMethodResponse(
        conn.le,
        WIN32_PROCESS_CREATE_OUT,
        { ProcessId: o.processId ?? 4242, ReturnValue: 0 },
        { classPartSlack: 96 },
      ),
      { send: o.replySend, fragments: o.replyFragments },
    );
  }
  return call;
}

function dcomFact(
  rec: FactRecorder,
  conn: DceConnection,
  call: Call,
  extra: { names?: string[]; dispId?: number; method?: string; args?: string[] },
): void {
  rec.dcom.push({
    connection: conn.id,
    callId: call.callId,
    interface: call.iface,
    opnum: call.opnum,
    operation: operationName(call.iface, call.opnum),
    objectUuid: call.objectUuid,
    sealed: call.security?.level === AUTH_LEVEL.privacy,
    ...extra,
  });
}

export function getIdsOfNames(
  rec: FactRecorder,
  conn: DceConnection,
  contextId: number,
  ipid: string,
  name: string,
  dispId: number,
  orpc: Orpc,
): void {
  const call = conn.request({
    contextId,
    opnum: 5,
    objectUuid: ipid,
    stub: getIdsOfNamesRequest(conn.le, orpc, [name]),
  });
  dcomFact(rec, conn, call, { names: [name], dispId });
  conn.respond(call, getIdsOfNamesResponse(conn.le, [dispId]));
}

/** IDispatch::Invoke(PROPERTYGET) returning another IDispatch (e.g. Document, ActiveView). */
export function invokeGetDispatch(
  rec: FactRecorder,
  conn: DceConnection,
  contextId: number,
  ipid: string,
  dispId: number,
  property: string,
  result: { oxid: bigint; oid: bigint; ipid: string },
  orpc: Orpc,
): void {
  const call = conn.request({
    contextId,
    opnum: 6,
    objectUuid: ipid,
    stub: invokeRequest(conn.le, orpc, { dispId, flags: DISPATCH_PROPERTYGET, args: [] }),
  });
  dcomFact(rec, conn, call, { dispId, method: property, args: [] });
  conn.respond(call, invokeResponse(conn.le, { vt: VT_DISPATCH, objref: serverObjref(IID.IDispatch, result) }));
}

export function invokeMethodStrings(
  rec: FactRecorder,
  conn: DceConnection,
  contextId: number,
  ipid: string,
  dispId: number,
  method: string,
  args: string[],
  orpc: Orpc,
): void {
  const call = conn.request({
    contextId,
    opnum: 6,
    objectUuid: ipid,
    stub: invokeRequest(conn.le, orpc, {
      dispId,
      flags: DISPATCH_METHOD,
      args: args.map((value) => ({ vt: VT_BSTR, value })),
    }),
  });
  dcomFact(rec, conn, call, { dispId, method, args });
  conn.respond(call, invokeResponse(conn.le, { vt: VT_EMPTY }));
}
