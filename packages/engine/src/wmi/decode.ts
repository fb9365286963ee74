/**
 * One entry point from a clear request/response stub to the `wmi{…}` / `dcom{…}` insight, dispatching on the
 * interface UUID (of the presentation context the call was made on), the opnum (the request's, also for its
 * response) and the direction. The DCE/RPC layer hands over the reassembled stub and the PDU's byte order.
 *
 *   ORPC interfaces (IRemUnknown*, IClassFactory, IWbem*, IDispatch): request = ORPCTHIS | params,
 *     response = ORPCTHAT | out params | HRESULT
 *   native RPC interfaces (ISystemActivator, IActivation): ORPCTHIS / ORPCTHAT are explicit first parameters,
 *     same layout; IObjectExporter has neither
 *   every response ends with the method's HRESULT / error_status_t (reported as `hresult`)
 *
 * Returns null when nothing is decoded for that (interface, opnum, direction) — the caller can use
 * `hasStubDecoder` first to avoid keeping stubs it will not need. Never throws: malformed stubs give problems
 * plus whatever was read before the damage.
 */

import { problem } from '../util/parse-problem.js';
import { ClsidTable } from './clsids.js';
import {
  activatorRequest,
  activatorResponse,
  classFactoryRequest,
  interfacePointerResponse,
  oxidResolverRequest,
  oxidResolverResponse,
  remoteActivationRequest,
  remoteActivationResponse,
  remUnknownRequest,
  remUnknownResponse,
} from './dcom.js';
import type { DcomInsight, StubInsight } from './insight.js';
import { IID } from './interfaces.js';
import { NdrReader } from './ndr.js';
import {
  readGetIdsOfNamesRequest,
  readGetIdsOfNamesResponse,
  readInvokeRequest,
  readInvokeResponse,
  type VariantValue,
} from './oaut.js';
import { readOrpcThat, readOrpcThis } from './orpc.js';
import { wbemRequest, wbemResponse } from './wbem.js';

export interface StubInput {
  /** Lower-case interface UUID of the call's presentation context. */
  iface: string;
  opnum: number;
  /** true for a request stub, false for the response to it. */
  request: boolean;
  /** The (reassembled) stub: PDU body after the request/response header, before auth padding/verifier. */
  stub: Uint8Array;
  /** From the PDU's drep (data representation) byte 0 & 0x10. */
  littleEndian: boolean;
}

export interface DecodeOptions {
  /** CLSID names (default: the built-in table). */
  clsids?: ClsidTable;
  /** Name of a DISPID on this connection, learned from an earlier GetIDsOfNames (request names + response ids). */
  dispIdName?: (dispid: number) => string | undefined;
}

/** Requests with something to decode, by interface → opnums. */
const REQUESTS: Record<string, readonly number[]> = {
  [IID.ISystemActivator]: [3, 4],
  [IID.IActivation]: [0],
  [IID.IObjectExporter]: [0, 4],
  [IID.IRemUnknown]: [3],
  [IID.IRemUnknown2]: [3, 6],
  [IID.IClassFactory]: [3],
  [IID.IWbemLevel1Login]: [6],
  [IID.IWbemLoginClientID]: [3],
  [IID.IWbemLoginClientIDEx]: [3],
  [IID.IWbemServices]: [3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25],
  [IID.IDispatch]: [5, 6],
};

/** Responses with something to decode beyond the HRESULT. */
const RESPONSES: Record<string, readonly number[]> = {
  [IID.ISystemActivator]: [3, 4],
  [IID.IActivation]: [0],
  [IID.IObjectExporter]: [0, 4, 5],
  [IID.IRemUnknown]: [3],
  [IID.IRemUnknown2]: [3, 6],
  [IID.IClassFactory]: [3],
  [IID.IWbemLevel1Login]: [6],
  [IID.IWbemServices]: [3, 24],
  [IID.IDispatch]: [5, 6],
};

/** Interfaces whose responses end with an HRESULT worth reporting even when nothing else is decoded. */
const KNOWN: ReadonlySet<string> = new Set<string>([
  ...Object.keys(REQUESTS),
  ...Object.keys(RESPONSES),
  IID.IWbemLoginHelper,
  IID.IEnumWbemClassObject,
  IID.IWbemCallResult,
  IID.IWbemFetchSmartEnum,
  IID.IWbemWCOSmartEnum,
  IID.IWbemObjectSink,
  IID.ITypeInfo,
  IID.IProvideClassInfo,
]);

/** True when decodeStub knows this interface (it returns null otherwise). */
export function isDecodedInterface(iface: string): boolean {
  return KNOWN.has(iface);
}

/** True when decodeStub reads more than the HRESULT for this call: worth keeping (and reassembling) the stub. */
export function hasStubDecoder(iface: string, opnum: number, request: boolean): boolean {
  const t = (request ? REQUESTS : RESPONSES)[iface];
  return t?.includes(opnum) === true;
}

/** Decodes a clear stub of a known DCOM/WMI interface; null for interfaces this module does not know. */
export function decodeStub(input: StubInput, opts: DecodeOptions = {}): StubInsight | null {
  if (!KNOWN.has(input.iface)) return null;
  const insight: StubInsight = { problems: [] };
  const { stub, littleEndian } = input;
  if (!input.request && stub.length >= 4) {
    const p = stub.length - 4;
    insight.hresult = littleEndian
      ? (stub[p] | (stub[p + 1] << 8) | (stub[p + 2] << 16) | (stub[p + 3] << 24)) >>> 0
      : ((stub[p] << 24) | (stub[p + 1] << 16) | (stub[p + 2] << 8) | stub[p + 3]) >>> 0;
  }
  if (!hasStubDecoder(input.iface, input.opnum, input.request)) return insight;
  const r = new NdrReader(stub, { littleEndian });
  try {
    decodeBody(input, r, insight, opts);
  } catch (e) {
    // A decoder bug must not take the sensor down; report it like malformed input.
    insight.problems.push(problem('bad_value', 'decoder.internal', `decoder error: ${(e as Error).message}`));
  }
  if (r.problem) insight.problems.push(r.problem);
  return insight;
}

function decodeBody(input: StubInput, r: NdrReader, insight: StubInsight, opts: DecodeOptions): void {
  const { iface, opnum, request } = input;
  const problems = insight.problems;
  const clsids = opts.clsids ?? ClsidTable.DEFAULT;
  // Everything except the OXID resolver starts with ORPCTHIS / ORPCTHAT.
  if (iface !== IID.IObjectExporter) {
    if (request) readOrpcThis(r);
    else readOrpcThat(r);
    if (!r.ok) return;
  }
  let dcom: DcomInsight | undefined;
  switch (iface) {
    case IID.ISystemActivator:
      dcom = request ? activatorRequest(opnum, r, clsids, problems) : activatorResponse(opnum, r, problems);
      break;
    case IID.IActivation:
      dcom = request ? remoteActivationRequest(r, clsids) : remoteActivationResponse(r, problems);
      break;
    case IID.IObjectExporter:
      dcom = request ? oxidResolverRequest(opnum, r) : oxidResolverResponse(opnum, r, problems);
      break;
    case IID.IRemUnknown:
    case IID.IRemUnknown2:
      dcom = request ? remUnknownRequest(iface, opnum, r) : remUnknownResponse(iface, opnum, r, problems);
      break;
    case IID.IClassFactory:
      dcom = request
        ? classFactoryRequest(opnum, r)
        : interfacePointerResponse(r, 'createinstance.ppvObject', problems);
      break;
    case IID.IDispatch:
      dcom = request ? dispatchRequest(opnum, r, problems, opts) : dispatchResponse(opnum, r, problems);
      break;
    case IID.IWbemLevel1Login:
      if (!request) {
        // NTLMLogin's ppNamespace: the IWbemServices object the client calls next (its IPID).
        dcom = interfacePointerResponse(r, 'ntlmlogin.ppNamespace', problems);
        break;
      }
      insight.wmi = wbemRequest(iface, opnum, r, problems);
      break;
    default: {
      const wmi = request ? wbemRequest(iface, opnum, r, problems) : wbemResponse(iface, opnum, r, problems);
      if (wmi) insight.wmi = wmi;
      if (!request && iface === IID.IWbemServices && opnum === 3 && r.ok) {
        dcom = interfacePointerResponse(r, 'opennamespace.ppWorkingNamespace', problems, true);
      }
    }
  }
  if (insight.wmi === undefined) delete insight.wmi;
  if (dcom) insight.dcom = dcom;
}

function dispatchRequest(
  opnum: number,
  r: NdrReader,
  problems: StubInsight['problems'],
  opts: DecodeOptions,
): DcomInsight | undefined {
  if (opnum === 5) {
    const g = readGetIdsOfNamesRequest(r);
    if (g.names.length === 0) return undefined;
    return { method: g.names[0], names: g.names };
  }
  if (opnum === 6) {
    const inv = readInvokeRequest(r, problems);
    if (!inv) return undefined;
    const out: DcomInsight = { dispid: inv.dispid, invoke_kind: inv.kind };
    const name = opts.dispIdName?.(inv.dispid);
    if (name !== undefined) out.method = name;
    const args: string[] = [];
    // Arguments that could not be decoded are the first ones (rgvarg is last-first): keep positions honest.
    const values: string[] = new Array(Math.max(0, inv.argCount - inv.argValues.length)).fill('undecoded');
    for (const v of inv.argValues) {
      if (v.vt === 8 && typeof v.value === 'string') args.push(v.value);
      values.push(variantText(v));
    }
    if (inv.argCount > 0) {
      out.args = args;
      out.arg_values = values;
      if (!inv.complete) out.args_truncated = true;
    }
    return out;
  }
  return undefined;
}

function dispatchResponse(opnum: number, r: NdrReader, problems: StubInsight['problems']): DcomInsight | undefined {
  if (opnum === 5) {
    const ids = readGetIdsOfNamesResponse(r);
    return ids.length > 0 ? { dispids: ids } : undefined;
  }
  if (opnum === 6) {
    const res = readInvokeResponse(r, problems);
    const out: DcomInsight = {};
    const v = res.result;
    if (v?.objref?.std) {
      out.ipids = [v.objref.std.ipid];
      out.iids = [v.objref.iid];
    } else if (v && typeof v.value === 'string') out.result = v.value;
    if (res.exceptionDescription !== undefined) out.exception = res.exceptionDescription;
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return undefined;
}

function variantText(v: VariantValue): string {
  if (v.objref) return `${v.type}:${v.objref.std?.ipid ?? v.objref.iid}`;
  if (v.value === undefined || v.value === null) return v.type;
  return `${v.type}:${String(v.value)}`;
}
