/**
 * DCOM plumbing stubs that say what is being activated and where the client goes next:
 *
 *   ISystemActivator (IRemoteSCMActivator, native RPC, no ORPCTHIS object UUID)
 *     3 RemoteGetClassObject   in:  ORPCTHIS | pActProperties MInterfacePointer
 *     4 RemoteCreateInstance   in:  ORPCTHIS | pUnkOuter MInterfacePointer | pActProperties MInterfacePointer
 *                              out: ORPCTHAT | ppActProperties MInterfacePointer | HRESULT
 *       (pActProperties = OBJREF_CUSTOM CLSID_ActivationPropertiesIn/Out, activation.ts)
 *   IActivation 0 RemoteActivation
 *     in:  ORPCTHIS | Clsid GUID | pwszObjectName LPWSTR | pObjectStorage MInterfacePointer | ClientImpLevel
 *          | Mode | Interfaces u32 | pIIDs ptr → IID[] | cRequestedProtseqs u16 | aRequestedProtseqs u16[]
 *     out: ORPCTHAT | pOxid hyper | ppdsaOxidBindings ptr → DUALSTRINGARRAY | pipidRemUnknown | pAuthnHint
 *          | pServerVersion | phr | ppInterfaceData[] | pResults[] | error_status_t
 *   IObjectExporter (OXID resolver, no ORPCTHIS)
 *     0/4 ResolveOxid(2)       in:  pOxid hyper | cRequestedProtseqs | arRequestedProtseqs
 *                              out: ppdsaOxidBindings ptr → DUALSTRINGARRAY | pipidRemUnknown | pAuthnHint | …
 *     5 ServerAlive2           out: pComVersion | ppdsaOrBindings ptr → DUALSTRINGARRAY | pReserved | error
 *   IRemUnknown(2) 3 RemQueryInterface  in: ripid | cRefs | cIids u16 | iids[]
 *                              out: ppQIResults ptr → REMQIRESULT[] { hResult | STDOBJREF } | HRESULT
 *   IRemUnknown2 6 RemQueryInterface2   in: ripid | cIids u16 | iids[]
 *                                       out: phr[] | ppMIF[] (MInterfacePointer per IID) | HRESULT
 *   IClassFactory 3 CreateInstance      in: riid (RemoteCreateInstance: no pUnkOuter)
 *                                       out: ppvObject MInterfacePointer | HRESULT
 */

import type { ParseProblem } from '../util/parse-problem.js';
import {
  type ActivationOut,
  CLSID_ACTIVATION_PROPERTIES_IN,
  CLSID_ACTIVATION_PROPERTIES_OUT,
  parseActivationPropertiesIn,
  parseActivationPropertiesOut,
} from './activation.js';
import type { ClsidTable } from './clsids.js';
import type { DcomInsight, OxidBinding } from './insight.js';
import { IID } from './interfaces.js';
import type { NdrReader } from './ndr.js';
import {
  type DualStringArray,
  type ObjRef,
  parseObjRef,
  readDualStringArrayNdr,
  readInterfacePointer,
  readInterfacePointerBody,
} from './orpc.js';

const ACTIVATION_NAMES: Record<number, string> = { 3: 'RemoteGetClassObject', 4: 'RemoteCreateInstance' };

/** ISystemActivator request (after ORPCTHIS). */
export function activatorRequest(
  opnum: number,
  r: NdrReader,
  clsids: ClsidTable,
  problems: ParseProblem[],
): DcomInsight | undefined {
  if (opnum !== 3 && opnum !== 4) return undefined;
  const out: DcomInsight = { activation: ACTIVATION_NAMES[opnum] };
  if (opnum === 4) readInterfacePointer(r, 'remotecreateinstance.pUnkOuter');
  const data = readInterfacePointer(r, 'pActProperties');
  if (data === null) return r.ok ? out : undefined;
  const o = parseObjRef(data);
  problems.push(...o.problems);
  const ref = o.objref;
  if (!ref) return out;
  if (ref.kind !== 'custom' || ref.clsid !== CLSID_ACTIVATION_PROPERTIES_IN || !ref.objectData) {
    problems.push({
      code: 'unsupported',
      where: 'pActProperties',
      message: `OBJREF ${ref.kind} ${ref.clsid ?? ''} is not ActivationPropertiesIn`,
    });
    return out;
  }
  const a = parseActivationPropertiesIn(ref.objectData, problems);
  if (a.clsid !== undefined) {
    out.clsid = a.clsid;
    const name = clsids.name(a.clsid);
    if (name !== undefined) out.clsid_name = name;
  }
  if (a.iids.length > 0) out.iids = a.iids;
  if (a.serverName !== undefined) out.server_name = a.serverName;
  if (a.fileName !== undefined) out.file_name = a.fileName;
  return out;
}

/** ISystemActivator response (after ORPCTHAT). */
export function activatorResponse(opnum: number, r: NdrReader, problems: ParseProblem[]): DcomInsight | undefined {
  if (opnum !== 3 && opnum !== 4) return undefined;
  const out: DcomInsight = { activation: ACTIVATION_NAMES[opnum] };
  const data = readInterfacePointer(r, 'ppActProperties');
  if (data === null) return out; // NULL on failure: the HRESULT says why
  const o = parseObjRef(data);
  problems.push(...o.problems);
  const ref = o.objref;
  if (!ref) return out;
  if (ref.kind !== 'custom' || ref.clsid !== CLSID_ACTIVATION_PROPERTIES_OUT || !ref.objectData) {
    problems.push({
      code: 'unsupported',
      where: 'ppActProperties',
      message: `OBJREF ${ref.kind} ${ref.clsid ?? ''} is not ActivationPropertiesOut`,
    });
    return out;
  }
  applyActivationOut(out, parseActivationPropertiesOut(ref.objectData, problems));
  return out;
}

function applyActivationOut(out: DcomInsight, a: ActivationOut): void {
  if (a.iids.length > 0) out.iids = a.iids;
  if (a.hresults.length > 0) out.hresults = a.hresults;
  if (a.oxid !== undefined) out.oxid = a.oxid;
  if (a.bindings) applyBindings(out, a.bindings);
  if (a.ipidRemUnknown !== undefined) out.remunknown_ipid = a.ipidRemUnknown;
  if (a.authnHint !== undefined) out.authn_hint = a.authnHint;
  addIpids(out, a.interfaces);
}

function applyBindings(out: DcomInsight, d: DualStringArray): void {
  out.oxid_bindings = d.stringBindings.map(toBinding);
  if (d.securityBindings.length > 0) out.security_services = [...new Set(d.securityBindings.map((s) => s.authnSvc))];
}

function toBinding(sb: DualStringArray['stringBindings'][number]): OxidBinding {
  const b: OxidBinding = { host: sb.host, protocol: sb.protocol, network_addr: sb.networkAddr };
  if (sb.port !== undefined) b.port = sb.port;
  if (sb.endpoint !== undefined) b.endpoint = sb.endpoint;
  return b;
}

function pushIpid(out: DcomInsight, ipid: string): void {
  if (out.ipids) out.ipids.push(ipid);
  else out.ipids = [ipid];
}

function addIpids(out: DcomInsight, refs: readonly (ObjRef | undefined)[]): void {
  for (const ref of refs) {
    if (!ref?.std) continue;
    pushIpid(out, ref.std.ipid);
    if (out.oxid === undefined) out.oxid = ref.std.oxid;
  }
}

/** IActivation::RemoteActivation request (after ORPCTHIS). */
export function remoteActivationRequest(r: NdrReader, clsids: ClsidTable): DcomInsight | undefined {
  const clsid = r.guid('remoteactivation.Clsid');
  if (!r.ok) return undefined;
  const out: DcomInsight = { activation: 'RemoteActivation', clsid };
  const name = clsids.name(clsid);
  if (name !== undefined) out.clsid_name = name;
  const objName = r.lpwstr('remoteactivation.pwszObjectName');
  if (objName !== null && r.ok) out.file_name = objName;
  readInterfacePointer(r, 'remoteactivation.pObjectStorage');
  r.u32('remoteactivation.ClientImpLevel');
  r.u32('remoteactivation.Mode');
  r.u32('remoteactivation.Interfaces');
  if (r.pointer('remoteactivation.pIIDs') !== 0) {
    const n = r.count('remoteactivation.pIIDs.max_count', 0x8000);
    const iids: string[] = [];
    for (let i = 0; i < n && r.ok; i++) iids.push(r.guid('remoteactivation.pIIDs'));
    if (r.ok && iids.length > 0) out.iids = iids;
  }
  return out;
}

/** IActivation::RemoteActivation response (after ORPCTHAT). */
export function remoteActivationResponse(r: NdrReader, problems: ParseProblem[]): DcomInsight | undefined {
  const oxid = r.hyperHex('remoteactivation.pOxid');
  if (!r.ok) return undefined;
  const out: DcomInsight = { activation: 'RemoteActivation', oxid };
  if (r.pointer('remoteactivation.ppdsaOxidBindings') !== 0) {
    const d = readDualStringArrayNdr(r, 'remoteactivation.ppdsaOxidBindings', problems);
    if (d) applyBindings(out, d);
  }
  const ipid = r.guid('remoteactivation.pipidRemUnknown');
  const hint = r.u32('remoteactivation.pAuthnHint');
  r.u16('remoteactivation.pServerVersion');
  r.u16('remoteactivation.pServerVersion');
  r.u32('remoteactivation.phr');
  if (r.ok) {
    out.remunknown_ipid = ipid;
    out.authn_hint = hint;
  }
  // ppInterfaceData: conformant array of MInterfacePointer pointers.
  const n = r.count('remoteactivation.ppInterfaceData.max_count', 0x8000);
  const refs: number[] = [];
  for (let i = 0; i < n && r.ok; i++) refs.push(r.pointer('remoteactivation.ppInterfaceData'));
  const objs: (ObjRef | undefined)[] = [];
  for (const ref of refs) {
    if (!r.ok) break;
    if (ref === 0) continue;
    const data = readInterfacePointerBody(r, 'remoteactivation.ppInterfaceData');
    if (data === null) break;
    const o = parseObjRef(data);
    problems.push(...o.problems);
    objs.push(o.objref);
  }
  addIpids(out, objs);
  return out;
}

/** IObjectExporter request (no ORPCTHIS). */
export function oxidResolverRequest(opnum: number, r: NdrReader): DcomInsight | undefined {
  if (opnum !== 0 && opnum !== 4) return undefined;
  const oxid = r.hyperHex('resolveoxid.pOxid');
  return r.ok ? { oxid } : undefined;
}

/** IObjectExporter response (no ORPCTHAT). */
export function oxidResolverResponse(opnum: number, r: NdrReader, problems: ParseProblem[]): DcomInsight | undefined {
  if (opnum === 0 || opnum === 4) {
    const out: DcomInsight = {};
    if (r.pointer('resolveoxid.ppdsaOxidBindings') !== 0) {
      const d = readDualStringArrayNdr(r, 'resolveoxid.ppdsaOxidBindings', problems);
      if (d) applyBindings(out, d);
    }
    const ipid = r.guid('resolveoxid.pipidRemUnknown');
    const hint = r.u32('resolveoxid.pAuthnHint');
    if (r.ok) {
      out.remunknown_ipid = ipid;
      out.authn_hint = hint;
    }
    return out.oxid_bindings || r.ok ? out : undefined;
  }
  if (opnum === 5) {
    r.u16('serveralive2.pComVersion');
    r.u16('serveralive2.pComVersion');
    if (r.pointer('serveralive2.ppdsaOrBindings') === 0) return undefined;
    const d = readDualStringArrayNdr(r, 'serveralive2.ppdsaOrBindings', problems);
    if (!d) return undefined;
    const out: DcomInsight = {};
    applyBindings(out, d);
    return out;
  }
  return undefined;
}

/** IRemUnknown / IRemUnknown2 request (after ORPCTHIS). */
export function remUnknownRequest(iface: string, opnum: number, r: NdrReader): DcomInsight | undefined {
  if (opnum === 3 || (opnum === 6 && iface === IID.IRemUnknown2)) {
    r.guid('remqueryinterface.ripid');
    if (opnum === 3) r.u32('remqueryinterface.cRefs');
    r.u16('remqueryinterface.cIids');
    const n = r.count('remqueryinterface.iids.max_count', 0x8000);
    const iids: string[] = [];
    for (let i = 0; i < n && r.ok; i++) iids.push(r.guid('remqueryinterface.iids'));
    return r.ok ? { iids } : undefined;
  }
  return undefined;
}

/** IRemUnknown / IRemUnknown2 response (after ORPCTHAT): IPIDs of the interfaces granted. */
export function remUnknownResponse(
  iface: string,
  opnum: number,
  r: NdrReader,
  problems: ParseProblem[],
): DcomInsight | undefined {
  if (opnum === 3) {
    if (r.pointer('remqueryinterface.ppQIResults') === 0) return undefined;
    const n = r.count('remqueryinterface.ppQIResults.max_count', 0x8000);
    const out: DcomInsight = {};
    const hrs: number[] = [];
    for (let i = 0; i < n && r.ok; i++) {
      const hr = r.u32('remqiresult.hResult');
      r.u32('stdobjref.flags');
      r.u32('stdobjref.cPublicRefs');
      const oxid = r.hyperHex('stdobjref.oxid');
      r.hyperHex('stdobjref.oid');
      const ipid = r.guid('stdobjref.ipid');
      if (!r.ok) break;
      hrs.push(hr);
      if (hr === 0) {
        pushIpid(out, ipid);
        out.oxid ??= oxid;
      }
    }
    if (hrs.length > 0) out.hresults = hrs;
    return out;
  }
  if (opnum === 6 && iface === IID.IRemUnknown2) {
    // Top-level [out, size_is(cIids)] arrays travel without a referent id (their pointers are [ref]):
    //   phr: max_count | HRESULT[] ; ppMIF: max_count | referent ids | MInterfacePointer for each non-NULL one.
    const out: DcomInsight = {};
    const n = r.count('remqueryinterface2.phr.max_count', 0x8000);
    const hrs: number[] = [];
    for (let i = 0; i < n && r.ok; i++) hrs.push(r.u32('remqueryinterface2.phr'));
    if (!r.ok) return undefined;
    out.hresults = hrs;
    const m = r.count('remqueryinterface2.ppMIF.max_count', 0x8000);
    const refs: number[] = [];
    for (let i = 0; i < m && r.ok; i++) refs.push(r.pointer('remqueryinterface2.ppMIF'));
    const objs: (ObjRef | undefined)[] = [];
    for (const ref of refs) {
      if (!r.ok) break;
      if (ref === 0) continue;
      const data = readInterfacePointerBody(r, 'remqueryinterface2.ppMIF');
      if (data === null) break;
      const o = parseObjRef(data);
      problems.push(...o.problems);
      objs.push(o.objref);
    }
    addIpids(out, objs);
    return out;
  }
  return undefined;
}

/**
 * IClassFactory::CreateInstance request (after ORPCTHIS): the interface asked for. On the wire this is the
 * [call_as] RemoteCreateInstance(riid, ppvObject): pUnkOuter is not remoted.
 */
export function classFactoryRequest(opnum: number, r: NdrReader): DcomInsight | undefined {
  if (opnum !== 3) return undefined;
  const iid = r.guid('createinstance.riid');
  return r.ok ? { iids: [iid] } : undefined;
}

/**
 * A response whose first out-parameter is one interface pointer: its IPID. `[out] I** pp` (CreateInstance,
 * NTLMLogin) travels as one referent id + the MInterfacePointer; `[in, out, unique] I** pp` (OpenNamespace's
 * ppWorkingNamespace) as the outer pointer's referent, then the inner one's, then the MInterfacePointer.
 */
export function interfacePointerResponse(
  r: NdrReader,
  where: string,
  problems: ParseProblem[],
  inOut = false,
): DcomInsight | undefined {
  if (inOut && r.pointer(`${where}.outer`) === 0) return undefined;
  const data = readInterfacePointer(r, where);
  if (data === null) return undefined;
  const o = parseObjRef(data);
  problems.push(...o.problems);
  if (!o.objref) return undefined;
  const out: DcomInsight = { iids: [o.objref.iid] };
  addIpids(out, [o.objref]);
  return out;
}
