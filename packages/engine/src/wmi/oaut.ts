/**
 * IDispatch (MS-OAUT 3.1.4) stubs: the automation calls DCOM lateral-movement tools make once they hold an
 * object (MMC20.Application Document.ActiveView.ExecuteShellCommand, ShellWindows/ShellBrowserWindow
 * Document.Application.ShellExecute, Excel RegisterXLL / ExecuteExcel4Macro, …).
 *
 *   GetIDsOfNames (opnum 5)
 *     in:  ORPCTHIS | riid GUID | rgszNames: max_count, referent ids, then each [string] LPOLESTR
 *          | cNames u32 | lcid u32
 *     out: ORPCTHAT | rgDispId: max_count, i32[] | HRESULT
 *   Invoke (opnum 6)
 *     in:  ORPCTHIS | dispIdMember i32 | riid GUID | lcid u32 | dwFlags u32 (1 method, 2 propget, 4 propput,
 *          8 propputref) | DISPPARAMS { rgvarg ptr, rgdispidNamedArgs ptr, cArgs u32, cNamedArgs u32 }
 *          ; deferred rgvarg: max_count, cArgs VARIANT referents, the wireVARIANTs ; rgdispidNamedArgs
 *          | cVarRef u32 | rgVarRefIdx[] | rgVarRef[]
 *     out: ORPCTHAT | pVarResult VARIANT | EXCEPINFO | puArgErr | rgVarRef[] | HRESULT
 *   wireVARIANT (8-aligned): clSize u32 | rpcReserved u32 | vt u16 | wReserved1..3 u16
 *          | discriminant u32 (= vt) | arm (BSTR = wireBSTR pointer + FLAGGED_WORD_BLOB, I4, BOOL, …)
 *   EXCEPINFO: wCode u16 | wReserved u16 | bstrSource | bstrDescription | bstrHelpFile (referent ids)
 *          | dwHelpContext | pvReserved u32 | pfnDeferredFillIn u32 | scode HRESULT ; deferred: the three BSTRs
 *
 * rgvarg holds the arguments last-to-first (C706/OLE convention); `args` below are in call order.
 * SAFEARRAY and record arguments are not decoded: decoding stops there (with a problem) because the position
 * of the following arguments would be unknown.
 */

import type { ParseProblem } from '../util/parse-problem.js';
import type { NdrReader } from './ndr.js';
import { type ObjRef, parseObjRef, readInterfacePointerBody } from './orpc.js';

export const VT = {
  EMPTY: 0,
  NULL: 1,
  I2: 2,
  I4: 3,
  R4: 4,
  R8: 5,
  CY: 6,
  DATE: 7,
  BSTR: 8,
  DISPATCH: 9,
  ERROR: 10,
  BOOL: 11,
  VARIANT: 12,
  UNKNOWN: 13,
  DECIMAL: 14,
  I1: 16,
  UI1: 17,
  UI2: 18,
  UI4: 19,
  I8: 20,
  UI8: 21,
  INT: 22,
  UINT: 23,
  RECORD: 36,
  ARRAY: 0x2000,
  BYREF: 0x4000,
} as const;

const VT_NAMES: Record<number, string> = {
  0: 'empty',
  1: 'null',
  2: 'i2',
  3: 'i4',
  4: 'r4',
  5: 'r8',
  6: 'cy',
  7: 'date',
  8: 'bstr',
  9: 'dispatch',
  10: 'error',
  11: 'bool',
  12: 'variant',
  13: 'unknown',
  14: 'decimal',
  16: 'i1',
  17: 'ui1',
  18: 'ui2',
  19: 'ui4',
  20: 'i8',
  21: 'ui8',
  22: 'int',
  23: 'uint',
  36: 'record',
};

export function vtName(vt: number): string {
  const base = vt & 0x0fff;
  const name = VT_NAMES[base] ?? `vt_${base}`;
  return (vt & VT.ARRAY ? 'array:' : '') + (vt & VT.BYREF ? 'byref:' : '') + name;
}

export interface VariantValue {
  vt: number;
  type: string;
  /** Strings for BSTR, numbers/booleans for scalars, null for EMPTY/NULL, undefined when not decoded. */
  value?: string | number | boolean | null;
  /** VT_DISPATCH / VT_UNKNOWN: the object reference. */
  objref?: ObjRef;
}

export const DISPATCH_FLAGS: Record<number, string> = {
  1: 'method',
  2: 'propertyget',
  4: 'propertyput',
  8: 'propertyputref',
};

/** 'method', 'propertyget', 'method|propertyget', … from Invoke's dwFlags. */
export function invokeKind(flags: number): string {
  const parts: string[] = [];
  for (const [bit, name] of Object.entries(DISPATCH_FLAGS)) if (flags & Number(bit)) parts.push(name);
  return parts.length > 0 ? parts.join('|') : `0x${flags.toString(16)}`;
}

const MAX_ARGS = 64;

/**
 * Reads one wireVARIANT whose referent id was already consumed (struct + its deferred pointees).
 * Returns undefined when the reader failed or the type cannot be skipped.
 */
export function readWireVariant(
  r: NdrReader,
  where: string,
  problems: ParseProblem[],
  depth = 0,
): VariantValue | undefined {
  r.align(8, where);
  r.u32(`${where}.clSize`);
  r.u32(`${where}.rpcReserved`);
  const vt = r.u16(`${where}.vt`);
  r.u16(where);
  r.u16(where);
  r.u16(where);
  const disc = r.u32(`${where}.discriminant`);
  if (!r.ok) return undefined;
  if (disc !== vt) {
    r.fail('bad_value', where, `union discriminant ${disc} differs from vt ${vt}`);
    return undefined;
  }
  const out: VariantValue = { vt, type: vtName(vt) };
  if (vt & VT.ARRAY || (vt & 0x0fff) === VT.RECORD) {
    problems.push({ code: 'unsupported', where, message: `${vtName(vt)} arguments are not decoded`, offset: r.pos });
    return undefined;
  }
  if (vt & VT.BYREF) {
    if (r.pointer(`${where}.byref`) === 0) {
      out.value = null;
      return out;
    }
    const base = vt & ~VT.BYREF;
    if (base === VT.VARIANT) {
      if (depth > 2 || r.pointer(`${where}.variant`) === 0)
        return depth > 2 ? undefined : { vt, type: out.type, value: null };
      const inner = readWireVariant(r, `${where}.variant`, problems, depth + 1);
      return inner && r.ok ? { ...inner, vt, type: out.type } : undefined;
    }
    const v = readArm(r, base, where, problems);
    if (v === undefined || !r.ok) return undefined;
    return { ...out, ...v };
  }
  const v = readArm(r, vt, where, problems);
  // A cut stub leaves neutral values in the arm: drop the argument rather than report a wrong one.
  if (v === undefined || !r.ok) return undefined;
  return { ...out, ...v };
}

function readArm(
  r: NdrReader,
  vt: number,
  where: string,
  problems: ParseProblem[],
): Pick<VariantValue, 'value' | 'objref'> | undefined {
  switch (vt) {
    case VT.EMPTY:
    case VT.NULL:
      return { value: null };
    case VT.I1:
      return { value: (r.u8(where) << 24) >> 24 };
    case VT.UI1:
      return { value: r.u8(where) };
    case VT.I2:
      return { value: (r.u16(where) << 16) >> 16 };
    case VT.UI2:
      return { value: r.u16(where) };
    case VT.BOOL:
      return { value: r.u16(where) !== 0 };
    case VT.I4:
    case VT.INT:
    case VT.ERROR:
      return { value: r.i32(where) };
    case VT.UI4:
    case VT.UINT:
      return { value: r.u32(where) };
    case VT.R4:
      return { value: r.f32(where) };
    case VT.R8:
    case VT.DATE:
      return { value: r.f64(where) };
    case VT.I8:
    case VT.UI8:
    case VT.CY:
      return { value: r.hyperNumber(where) };
    case VT.DECIMAL:
      r.align(8, where);
      r.skip(16, where);
      return {};
    case VT.BSTR:
      return { value: r.bstr(`${where}.bstr`) };
    case VT.DISPATCH:
    case VT.UNKNOWN: {
      if (r.pointer(`${where}.interface`) === 0) return { value: null };
      const data = readInterfacePointerBody(r, `${where}.interface`);
      if (data === null) return undefined;
      const o = parseObjRef(data);
      problems.push(...o.problems);
      return o.objref ? { objref: o.objref } : {};
    }
    default:
      problems.push({ code: 'unsupported', where, message: `variant type ${vtName(vt)}`, offset: r.pos });
      return undefined;
  }
}

export interface InvokeRequest {
  dispid: number;
  lcid: number;
  flags: number;
  kind: string;
  /** DISPPARAMS.cArgs. */
  argCount: number;
  /**
   * The arguments decoded, in call order (first parameter first). When decoding stopped early these are the
   * *last* argCount - n parameters: rgvarg is marshaled last-first.
   */
  argValues: VariantValue[];
  namedArgs: number[];
  /** False when decoding stopped early (unsupported argument type or malformed stub). */
  complete: boolean;
}

/** Invoke request body, after ORPCTHIS; undefined when its fixed part (dispid … DISPPARAMS) is cut. */
export function readInvokeRequest(r: NdrReader, problems: ParseProblem[]): InvokeRequest | undefined {
  const dispid = r.i32('invoke.dispIdMember');
  r.guid('invoke.riid');
  const lcid = r.u32('invoke.lcid');
  const flags = r.u32('invoke.dwFlags');
  const pArgs = r.pointer('invoke.rgvarg');
  const pNamed = r.pointer('invoke.rgdispidNamedArgs');
  const cArgs = r.u32('invoke.cArgs');
  const cNamed = r.u32('invoke.cNamedArgs');
  if (!r.ok) return undefined;
  if (cArgs > MAX_ARGS || cNamed > MAX_ARGS) {
    // Bounded memory: a DISPPARAMS claiming thousands of arguments is malformed, not a call to report.
    r.fail('limit', 'invoke.dispparams', `${cArgs} arguments / ${cNamed} named`);
    return undefined;
  }
  const out: InvokeRequest = {
    dispid,
    lcid,
    flags,
    kind: invokeKind(flags),
    argCount: cArgs,
    argValues: [],
    namedArgs: [],
    complete: false,
  };
  const reversed: VariantValue[] = [];
  if (pArgs !== 0) {
    const n = r.count('invoke.rgvarg.max_count', MAX_ARGS);
    const refs: number[] = [];
    for (let i = 0; i < n && r.ok; i++) refs.push(r.pointer('invoke.rgvarg.referent'));
    for (let i = 0; i < refs.length && r.ok; i++) {
      if (refs[i] === 0) {
        reversed.push({ vt: VT.EMPTY, type: 'empty', value: null });
        continue;
      }
      const v = readWireVariant(r, `invoke.rgvarg[${i}]`, problems);
      if (!v) {
        out.argValues = reversed.slice().reverse();
        return out;
      }
      reversed.push(v);
    }
  }
  out.argValues = reversed.slice().reverse();
  if (pNamed !== 0 && r.ok) {
    const n = r.count('invoke.rgdispidNamedArgs.max_count', MAX_ARGS);
    for (let i = 0; i < n && r.ok; i++) out.namedArgs.push(r.i32('invoke.rgdispidNamedArgs'));
  }
  out.complete = r.ok;
  return out;
}

export interface InvokeResponse {
  result?: VariantValue;
  exceptionSource?: string;
  exceptionDescription?: string;
  exceptionScode?: number;
}

/** Invoke response body, after ORPCTHAT (the final HRESULT is read by the caller from the stub's end). */
export function readInvokeResponse(r: NdrReader, problems: ParseProblem[]): InvokeResponse {
  const out: InvokeResponse = {};
  if (r.pointer('invoke.pVarResult') !== 0) {
    const v = readWireVariant(r, 'invoke.pVarResult', problems);
    if (!v) return out;
    out.result = v;
  }
  // EXCEPINFO's three BSTRs are embedded pointers: referents inline, the strings after the struct.
  r.u16('invoke.excepinfo.wCode');
  r.u16('invoke.excepinfo.wReserved');
  const refSrc = r.pointer('invoke.excepinfo.bstrSource');
  const refDesc = r.pointer('invoke.excepinfo.bstrDescription');
  const refHelp = r.pointer('invoke.excepinfo.bstrHelpFile');
  r.u32('invoke.excepinfo.dwHelpContext');
  r.u32('invoke.excepinfo.pvReserved');
  r.u32('invoke.excepinfo.pfnDeferredFillIn');
  const scode = r.u32('invoke.excepinfo.scode');
  const src = refSrc !== 0 ? r.wordBlob('invoke.excepinfo.bstrSource') : null;
  const desc = refDesc !== 0 ? r.wordBlob('invoke.excepinfo.bstrDescription') : null;
  if (refHelp !== 0) r.wordBlob('invoke.excepinfo.bstrHelpFile');
  if (r.ok) {
    if (src) out.exceptionSource = src;
    if (desc) out.exceptionDescription = desc;
    if (scode !== 0) out.exceptionScode = scode;
  }
  return out;
}

/** GetIDsOfNames request body, after ORPCTHIS: the names asked for. */
export function readGetIdsOfNamesRequest(r: NdrReader): { names: string[]; lcid: number } {
  r.guid('getidsofnames.riid');
  const n = r.count('getidsofnames.rgszNames.max_count', 1024);
  const refs: number[] = [];
  for (let i = 0; i < n && r.ok; i++) refs.push(r.pointer('getidsofnames.rgszNames.referent'));
  const names: string[] = [];
  for (const ref of refs) {
    if (!r.ok) break;
    if (ref === 0) continue;
    const s = r.varyingWString('getidsofnames.rgszNames');
    if (r.ok) names.push(s);
  }
  r.u32('getidsofnames.cNames');
  const lcid = r.u32('getidsofnames.lcid');
  return { names, lcid };
}

/** GetIDsOfNames response body, after ORPCTHAT: the DISPIDs in the order of the names. */
export function readGetIdsOfNamesResponse(r: NdrReader): number[] {
  const n = r.count('getidsofnames.rgDispId.max_count', 1024);
  const ids: number[] = [];
  for (let i = 0; i < n && r.ok; i++) ids.push(r.i32('getidsofnames.rgDispId'));
  return r.ok ? ids : [];
}
