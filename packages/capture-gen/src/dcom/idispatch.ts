/**
 * IDispatch stubs (MS-OAUT 3.1.4), as used by DCOM lateral movement through MMC20.Application
 * (Document.ActiveView.ExecuteShellCommand) and ShellWindows.
 *
 * GetIDsOfNames (opnum 5)
 *   in:  ORPCTHIS | riid GUID (IID_NULL) | rgszNames: max_count u32, unique ptrs, then each conformant
 *        varying wstring | cNames u32 | lcid u32
 *   out: ORPCTHAT | rgDispId: max_count u32, i32[] | HRESULT
 * Invoke (opnum 6)
 *   in:  ORPCTHIS | dispIdMember i32 | riid GUID | lcid u32 | dwFlags u32
 *        | DISPPARAMS { rgvarg ptr | rgdispidNamedArgs ptr | cArgs u32 | cNamedArgs u32 }
 *          then rgvarg: max_count u32, unique ptr per VARIANT, then each wireVARIANT (depth first)
 *        | cVarRef u32 | rgVarRefIdx: max_count u32, u32[] | rgVarRef: max_count u32, ptrs, VARIANTs
 *   out: ORPCTHAT | pVarResult (ptr -> wireVARIANT) | EXCEPINFO | puArgErr u32 | rgVarRef (max_count 0) | HRESULT
 * wireVARIANT (2.2.29.2), 8-aligned: clSize u32 (size in 8-byte units) | rpcReserved u32 | vt u16
 *        | wReserved1..3 u16 | switch u32 (= vt) | arm (VT_BSTR: BSTR ptr + FLAGGED_WORD_BLOB; VT_I4: i32;
 *        VT_DISPATCH: ptr -> MInterfacePointer; VT_EMPTY: nothing)
 * Arguments are passed in reverse order (rgvarg[0] is the last parameter).
 */
import type { NdrWriter } from '../ndr/ndr-writer.js';
import { NdrWriter as Ndr } from '../ndr/ndr-writer.js';
import { IID } from './guids.js';
import { type Orpc, writeOrpcThat, writeOrpcThis, writePMInterfacePointer } from './orpc.js';

export const DISPATCH_METHOD = 0x1;
export const DISPATCH_PROPERTYGET = 0x2;
export const LOCALE_EN_US = 0x409;

export const VT_EMPTY = 0;
export const VT_I4 = 3;
export const VT_BSTR = 8;
export const VT_DISPATCH = 9;

export type VariantValue =
  | { vt: typeof VT_EMPTY }
  | { vt: typeof VT_I4; value: number }
  | { vt: typeof VT_BSTR; value: string }
  | { vt: typeof VT_DISPATCH; objref: Uint8Array };

export function writeVariant(w: NdrWriter, v: VariantValue): void {
  w.align(8);
  const start = w.length;
  w.u32(0).u32(0).u16(v.vt).u16(0).u16(0).u16(0);
  w.u32(v.vt);
  switch (v.vt) {
    case VT_I4:
      w.i32(v.value);
      break;
    case VT_BSTR:
      w.bstr(v.value);
      break;
    case VT_DISPATCH:
      writePMInterfacePointer(w, v.objref);
      break;
    default:
      break;
  }
  w.patchU32(start, Math.ceil((w.length - start) / 8));
}

export function getIdsOfNamesRequest(le: boolean, orpc: Orpc, names: string[]): Uint8Array {
  const w = new Ndr(le);
  writeOrpcThis(w, orpc);
  w.guid(IID.NULL);
  w.a32(names.length);
  for (const _ of names) w.pointer();
  for (const n of names) w.wstring(n);
  w.a32(names.length).u32(LOCALE_EN_US);
  return w.toBytes();
}

export function getIdsOfNamesResponse(le: boolean, dispIds: number[]): Uint8Array {
  const w = new Ndr(le);
  writeOrpcThat(w);
  w.a32(dispIds.length);
  for (const d of dispIds) w.i32(d);
  w.a32(0);
  return w.toBytes();
}

export interface InvokeCall {
  dispId: number;
  flags: number;
  /** Arguments in declaration order; they are marshaled reversed, as IDispatch::Invoke requires. */
  args: VariantValue[];
}

export function invokeRequest(le: boolean, orpc: Orpc, c: InvokeCall): Uint8Array {
  const w = new Ndr(le);
  writeOrpcThis(w, orpc);
  w.ai32(c.dispId);
  w.guid(IID.NULL);
  w.a32(LOCALE_EN_US).u32(c.flags);
  const rgvarg = [...c.args].reverse();
  if (rgvarg.length > 0) w.pointer();
  else w.nullPointer();
  w.nullPointer(); // rgdispidNamedArgs
  w.a32(rgvarg.length).u32(0);
  if (rgvarg.length > 0) {
    w.a32(rgvarg.length);
    for (const _ of rgvarg) w.pointer();
    for (const v of rgvarg) writeVariant(w, v);
  }
  w.a32(0); // cVarRef
  w.a32(0); // rgVarRefIdx max_count
  w.a32(0); // rgVarRef max_count
  return w.toBytes();
}

export function invokeResponse(le: boolean, result: VariantValue, hresult = 0): Uint8Array {
  const w = new Ndr(le);
  writeOrpcThat(w);
  w.pointer();
  writeVariant(w, result);
  // EXCEPINFO: wCode, wReserved, bstrSource, bstrDescription, bstrHelpFile, dwHelpContext, pvReserved,
  // pfnDeferredFillIn, scode.
  w.a16(0).u16(0);
  w.nullPointer().nullPointer().nullPointer();
  w.a32(0).u32(0).u32(0).u32(0);
  w.a32(0); // puArgErr
  w.a32(0); // rgVarRef max_count
  w.a32(hresult);
  return w.toBytes();
}
