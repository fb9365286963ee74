/**
 * MS-WMI method stubs (after ORPCTHIS / ORPCTHAT), NDR in the PDU's byte order:
 *
 *   IWbemLevel1Login::NTLMLogin (6)   in:  wszNetworkResource LPWSTR | wszPreferredLocale LPWSTR | lFlags | pCtx
 *                                     out: ppNamespace MInterfacePointer (IWbemServices OBJREF) | HRESULT
 *   IWbemLoginClientID::SetClientInfo (3)   in: wszClientMachine LPWSTR | lClientProcId i32 | lReserved i32
 *   IWbemLoginClientIDEx (3)          in: machine LPWSTR | DNS name LPWSTR | process id i32 | …  (not in MS-WMI;
 *                                         layout read from Windows 10 captures)
 *   IWbemServices                     in:
 *     3 OpenNamespace                 strNamespace BSTR | lFlags | pCtx | ppWorkingNamespace | ppResult
 *     6/7 GetObject(Async), 16/17 DeleteInstance(Async)   strObjectPath BSTR | lFlags | pCtx | …
 *     8/9 PutClass(Async), 14/15 PutInstance(Async)       pObject MInterfacePointer (MS-WMIO) | lFlags | pCtx | …
 *     10/11 DeleteClass(Async), 12/13 CreateClassEnum(Async), 18/19 CreateInstanceEnum(Async)
 *                                     strClass / strSuperClass / strFilter BSTR | lFlags | pCtx | …
 *     20-23 ExecQuery / ExecNotificationQuery (and Async)  strQueryLanguage BSTR | strQuery BSTR | lFlags | pCtx
 *     24/25 ExecMethod(Async)         strObjectPath BSTR | strMethodName BSTR | lFlags | pCtx | pInParams | …
 *                                     out (24): ppOutParams (ptr → ptr → MInterfacePointer) | ppCallResult | HRESULT
 *
 * Objects (pInParams, pInst, pObject, ppOutParams) are OBJREF_CUSTOM with CLSID_WbemClassObject wrapping an
 * MS-WMIO encoding unit (wmio.ts). When that decode fails, the command line is looked for heuristically in the
 * object's strings (strings.ts) and the result says so (decoded_by: 'heuristic').
 */

import type { ParseProblem } from '../util/parse-problem.js';
import type { WmiInsight } from './insight.js';
import { CLSID_WBEM_CLASS_OBJECT, IID } from './interfaces.js';
import type { NdrReader } from './ndr.js';
import { parseObjRef, readInterfacePointer, readInterfacePointerBody } from './orpc.js';
import { extractStrings, pickCommandLine } from './strings.js';
import { parseEncodingUnit, type WmiObject, wmiValueText } from './wmio.js';

const MAX_PROPERTY_TEXT = 8192;
const MAX_PROPERTIES = 64;

/**
 * Parameters that carry the program to run, per (class, method) of ExecMethod — lower-case keys. Win32_Process
 * Create is the classic; the others are the same technique through another provider.
 */
export const COMMAND_PARAMETERS: Readonly<Record<string, string>> = {
  'win32_process.create': 'CommandLine',
  'win32_scheduledjob.create': 'Command',
  'win32_service.create': 'PathName',
  'win32_service.change': 'PathName',
};

/** Properties that carry a command for instances being written (PutInstance), by lower-case class. */
export const COMMAND_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  commandlineeventconsumer: ['CommandLineTemplate', 'ExecutablePath'],
};

export function wbemRequest(
  iface: string,
  opnum: number,
  r: NdrReader,
  problems: ParseProblem[],
): WmiInsight | undefined {
  switch (iface) {
    case IID.IWbemLevel1Login:
      if (opnum === 6) {
        const ns = r.lpwstr('ntlmlogin.wszNetworkResource');
        const locale = r.lpwstr('ntlmlogin.wszPreferredLocale');
        const out: WmiInsight = { decoded_by: 'ndr' };
        if (ns !== null) out.namespace = ns;
        if (locale !== null && r.ok) out.locale = locale;
        return ns === null && !r.ok ? undefined : out;
      }
      return undefined;
    case IID.IWbemLoginClientID:
      if (opnum === 3) {
        const machine = r.lpwstr('setclientinfo.wszClientMachine');
        const pid = r.i32('setclientinfo.lClientProcId');
        const out: WmiInsight = { decoded_by: 'ndr' };
        if (machine !== null) out.client_machine = machine;
        if (r.ok) out.client_process_id = pid;
        return machine === null && !r.ok ? undefined : out;
      }
      return undefined;
    case IID.IWbemLoginClientIDEx:
      if (opnum === 3) {
        const machine = r.lpwstr('setclientinfoex.machine');
        const fqdn = r.lpwstr('setclientinfoex.fqdn');
        const pid = r.i32('setclientinfoex.process_id');
        const out: WmiInsight = { decoded_by: 'ndr' };
        if (machine !== null) out.client_machine = machine;
        if (fqdn !== null && r.ok) out.client_fqdn = fqdn;
        if (r.ok) out.client_process_id = pid;
        return machine === null && !r.ok ? undefined : out;
      }
      return undefined;
    case IID.IWbemServices:
      return servicesRequest(opnum, r, problems);
    default:
      return undefined;
  }
}

function servicesRequest(opnum: number, r: NdrReader, problems: ParseProblem[]): WmiInsight | undefined {
  switch (opnum) {
    case 3: {
      const ns = r.bstr('opennamespace.strNamespace');
      return ns === null ? undefined : { namespace: ns, decoded_by: 'ndr' };
    }
    case 6:
    case 7:
    case 16:
    case 17: {
      const path = r.bstr('strObjectPath');
      return path === null ? undefined : withPath({ decoded_by: 'ndr' }, path);
    }
    case 10:
    case 11:
    case 12:
    case 13:
    case 18:
    case 19: {
      const cls = r.bstr('strClass');
      return cls === null ? undefined : { class: cls, decoded_by: 'ndr' };
    }
    case 20:
    case 21:
    case 22:
    case 23: {
      const lang = r.bstr('strQueryLanguage');
      const query = r.bstr('strQuery');
      const out: WmiInsight = { decoded_by: 'ndr' };
      if (lang !== null) out.query_language = lang;
      if (query !== null) {
        out.query = query;
        const cls = wqlClass(query);
        if (cls) out.class = cls;
      }
      return lang === null && query === null ? undefined : out;
    }
    case 24:
    case 25: {
      const path = r.bstr('execmethod.strObjectPath');
      const method = r.bstr('execmethod.strMethodName');
      if (path === null && method === null) return undefined;
      const out: WmiInsight = withPath({ decoded_by: 'ndr' }, path ?? '');
      if (path === null) delete out.object_path;
      if (method !== null) out.method = method;
      r.i32('execmethod.lFlags');
      readInterfacePointer(r, 'execmethod.pCtx');
      const inParams = readWbemObject(r, 'execmethod.pInParams', problems);
      applyObject(out, inParams, 'params');
      return out;
    }
    case 8:
    case 9:
    case 14:
    case 15: {
      const obj = readWbemObject(r, opnum >= 14 ? 'putinstance.pInst' : 'putclass.pObject', problems);
      if (!obj.object && !obj.raw) return undefined;
      const out: WmiInsight = {};
      applyObject(out, obj, 'put');
      return out;
    }
    default:
      return undefined;
  }
}

export function wbemResponse(
  iface: string,
  opnum: number,
  r: NdrReader,
  problems: ParseProblem[],
): WmiInsight | undefined {
  if (iface === IID.IWbemServices && opnum === 24) {
    // ppOutParams: [in, out, unique] IWbemClassObject** — outer referent, inner referent, MInterfacePointer.
    if (r.pointer('execmethod.ppOutParams') === 0) return undefined;
    if (r.pointer('execmethod.ppOutParams.inner') === 0) return undefined;
    const body = readInterfacePointerBody(r, 'execmethod.ppOutParams');
    if (body === null) return undefined;
    const obj = objectFromObjRef(body, problems);
    if (!obj.object) return undefined;
    const out: WmiInsight = { decoded_by: 'wmio' };
    const props = propertyTexts(obj.object);
    if (props) out.properties = props;
    const rv = obj.object.properties.find((p) => p.name === 'ReturnValue');
    if (rv && typeof rv.value === 'number') out.return_value = rv.value;
    return out;
  }
  return undefined;
}

interface WbemObjectParam {
  object?: WmiObject;
  /** The OBJREF bytes (for the heuristic fallback). */
  raw?: Uint8Array;
  /** The MS-WMIO decode reported problems. */
  damaged: boolean;
}

function readWbemObject(r: NdrReader, where: string, problems: ParseProblem[]): WbemObjectParam {
  const start = r.pos;
  const data = readInterfacePointer(r, where);
  if (data !== null) return objectFromObjRef(data, problems);
  // NULL pointer, or a stub cut inside the object (capture loss): keep what is there for the string fallback.
  return r.ok ? { damaged: false } : { damaged: true, raw: r.buf.subarray(start, r.end) };
}

function objectFromObjRef(data: Uint8Array, problems: ParseProblem[]): WbemObjectParam {
  const o = parseObjRef(data);
  problems.push(...o.problems);
  const ref = o.objref;
  if (ref?.kind !== 'custom' || !ref.objectData) return { raw: data, damaged: true };
  if (ref.clsid !== CLSID_WBEM_CLASS_OBJECT) {
    problems.push({
      code: 'unsupported',
      where: 'wbem.object',
      message: `object marshaled by ${ref.clsid}, not CLSID_WbemClassObject`,
    });
    return { raw: data, damaged: true };
  }
  const w = parseEncodingUnit(ref.objectData);
  problems.push(...w.problems);
  return { raw: data, damaged: w.problems.length > 0, ...(w.object ? { object: w.object } : {}) };
}

/** Fills class/properties/command line/query from a decoded (or undecodable) object parameter. */
function applyObject(out: WmiInsight, p: WbemObjectParam, role: 'params' | 'put'): void {
  const obj = p.object;
  if (obj) {
    if (role === 'put') {
      if (obj.className !== undefined) out.class = obj.className;
      if (obj.superclass !== undefined) out.superclass = obj.superclass;
      if (obj.namespace !== undefined && obj.namespace !== '') out.namespace = obj.namespace;
    }
    const props = propertyTexts(obj);
    if (props) out.properties = props;
    const cmd = commandFrom(out, obj, role);
    if (cmd !== undefined) out.command_line = cmd;
    if (role === 'put' && obj.className?.toLowerCase() === '__eventfilter') {
      const q = stringProp(obj, 'Query');
      const lang = stringProp(obj, 'QueryLanguage');
      if (q !== undefined) out.query = q;
      if (lang !== undefined) out.query_language = lang;
    }
    out.decoded_by = 'wmio';
  }
  // Fall back to the strings of the bytes when the structured decode failed or found no command where one belongs.
  if ((!obj || p.damaged) && out.command_line === undefined && p.raw) {
    const cmd = pickCommandLine(extractStrings(p.raw));
    if (cmd !== undefined) {
      out.command_line = cmd;
      out.decoded_by = 'heuristic';
    }
  }
  if (out.decoded_by === undefined) out.decoded_by = 'ndr';
}

function commandFrom(out: WmiInsight, obj: WmiObject, role: 'params' | 'put'): string | undefined {
  if (role === 'params') {
    const key = `${(out.class ?? '').toLowerCase()}.${(out.method ?? '').toLowerCase()}`;
    const param = COMMAND_PARAMETERS[key];
    if (param !== undefined) return stringProp(obj, param);
    return undefined;
  }
  const names = COMMAND_PROPERTIES[(obj.className ?? '').toLowerCase()];
  if (!names) return undefined;
  for (const n of names) {
    const v = stringProp(obj, n);
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

function stringProp(obj: WmiObject, name: string): string | undefined {
  const p = obj.properties.find((x) => x.name === name);
  return p && typeof p.value === 'string' ? p.value : undefined;
}

/** Non-system properties that have a value, as text (bounded). */
function propertyTexts(obj: WmiObject): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let n = 0;
  for (const p of obj.properties) {
    if (p.name.startsWith('__') || p.source === 'null') continue;
    const t = wmiValueText(p.value);
    if (t === null) continue;
    out[p.name] = t.length > MAX_PROPERTY_TEXT ? `${t.slice(0, MAX_PROPERTY_TEXT)}…` : t;
    if (++n >= MAX_PROPERTIES) break;
  }
  return n > 0 ? out : undefined;
}

/**
 * Splits a WMI object path: "\\\\server\\root\\cimv2:Win32_Process.Handle=\"4\"" → namespace "root\\cimv2",
 * class "Win32_Process".
 */
export function parseObjectPath(path: string): { namespace?: string; class?: string } {
  const out: { namespace?: string; class?: string } = {};
  let rest = path.trim();
  const colon = rest.indexOf(':');
  // The namespace prefix ends at the first colon — unless that colon is inside a key value (DeviceID="C:"),
  // which shows as '=' or '"' before it. Dots are fine there: server names and "\\.\root" contain them.
  if (colon >= 0 && !/[="]/.test(rest.slice(0, colon))) {
    let ns = rest.slice(0, colon);
    if (ns.startsWith('\\\\') || ns.startsWith('//')) {
      const sep = ns.slice(2).search(/[\\/]/);
      ns = sep >= 0 ? ns.slice(2 + sep + 1) : '';
    }
    if (ns !== '') out.namespace = ns;
    rest = rest.slice(colon + 1);
  }
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
  if (m) out.class = m[0];
  return out;
}

function withPath(out: WmiInsight, path: string): WmiInsight {
  out.object_path = path;
  const p = parseObjectPath(path);
  if (p.class !== undefined) out.class = p.class;
  if (p.namespace !== undefined) out.namespace = p.namespace;
  return out;
}

/** The class after FROM in a WQL statement (SELECT … FROM Win32_Process …), if any. */
export function wqlClass(query: string): string | undefined {
  const m = /\bfrom\s+([A-Za-z_][A-Za-z0-9_]*)/i.exec(query);
  return m ? m[1] : undefined;
}
