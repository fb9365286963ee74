/**
 * IWbemLevel1Login / IWbemServices stubs (MS-WMI 3.1.4), NDR in the PDU's byte order, shaped like
 * impacket's wmi.py requests (checked against an impacket wmiexec capture: BSTRs carry a trailing NUL,
 * ORPCTHIS flags 0, referents allocated Windows-style here).
 *
 * IWbemLevel1Login::NTLMLogin (opnum 6)
 *   in:  ORPCTHIS | wszNetworkResource LPWSTR | wszPreferredLocale LPWSTR (NULL) | lFlags i32 | pCtx (NULL)
 *   out: ORPCTHAT | ppNamespace (ptr -> MInterfacePointer: OBJREF_STANDARD IWbemServices) | HRESULT
 * IWbemServices::ExecQuery (opnum 20)
 *   in:  ORPCTHIS | strQueryLanguage BSTR | strQuery BSTR | lFlags i32 | pCtx (NULL)
 *   out: ORPCTHAT | ppEnum (ptr -> MInterfacePointer: IEnumWbemClassObject) | HRESULT
 * IWbemServices::ExecMethod (opnum 24)
 *   in:  ORPCTHIS | strObjectPath BSTR | strMethodName BSTR | lFlags i32 | pCtx (NULL)
 *        | pInParams (ptr -> MInterfacePointer: OBJREF_CUSTOM(IWbemClassObject, CLSID_WbemClassObject, EncodingUnit))
 *        | ppOutParams (ptr -> NULL) | ppCallResult (NULL)
 *   out: ORPCTHAT | ppOutParams (ptr -> ptr -> MInterfacePointer) | ppCallResult (NULL) | HRESULT
 */
import { CLSID, IID } from '../dcom/guids.js';
import {
  type Orpc,
  objrefCustom,
  writeMInterfacePointer,
  writeOrpcThat,
  writeOrpcThis,
  writePMInterfacePointer,
} from '../dcom/orpc.js';
import { NdrWriter } from '../ndr/ndr-writer.js';
import { encodeInstance, type InstanceEncodingOptions, type WmiClassDef, type WmiValue } from './wmio.js';

export const WBEM_FLAG_RETURN_IMMEDIATELY = 0x10;
export const WBEM_FLAG_FORWARD_ONLY = 0x20;

export function ntlmLoginRequest(le: boolean, orpc: Orpc, namespace: string): Uint8Array {
  const w = new NdrWriter(le);
  writeOrpcThis(w, { ...orpc, flags: 0 });
  w.lpwstr(namespace);
  w.lpwstr(undefined);
  w.ai32(0);
  w.nullPointer();
  return w.toBytes();
}

/** Reply carrying an interface pointer (NTLMLogin's ppNamespace, ExecQuery's ppEnum, …). */
export function interfaceReply(le: boolean, objref: Uint8Array, hresult = 0): Uint8Array {
  const w = new NdrWriter(le);
  writeOrpcThat(w);
  writePMInterfacePointer(w, objref);
  w.a32(hresult);
  return w.toBytes();
}

export function execQueryRequest(le: boolean, orpc: Orpc, query: string, language = 'WQL'): Uint8Array {
  const w = new NdrWriter(le);
  writeOrpcThis(w, { ...orpc, flags: 0 });
  w.bstr(language, true);
  w.bstr(query, true);
  w.ai32(WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_FORWARD_ONLY);
  w.nullPointer();
  return w.toBytes();
}

/** OBJREF_CUSTOM wrapping an MS-WMIO encoding unit (MS-WMI 2.2.4.1). */
export function wbemObjectRef(encodingUnit: Uint8Array): Uint8Array {
  return objrefCustom(IID.IWbemClassObject, CLSID.WbemClassObject, encodingUnit, 0);
}

export interface ExecMethodCall {
  objectPath: string;
  method: string;
  inClass: WmiClassDef;
  inValues: Record<string, WmiValue>;
  encoding?: InstanceEncodingOptions;
}

export function execMethodRequest(le: boolean, orpc: Orpc, c: ExecMethodCall): Uint8Array {
  const w = new NdrWriter(le);
  writeOrpcThis(w, { ...orpc, flags: 0 });
  w.bstr(c.objectPath, true);
  w.bstr(c.method, true);
  w.ai32(0);
  w.nullPointer(); // pCtx
  writePMInterfacePointer(w, wbemObjectRef(encodeInstance(c.inClass, c.inValues, c.encoding)));
  w.pointer(); // ppOutParams ->
  w.nullPointer(); //   NULL
  w.nullPointer(); // ppCallResult
  return w.toBytes();
}

export function execMethodResponse(
  le: boolean,
  outClass: WmiClassDef,
  outValues: Record<string, WmiValue>,
  encoding?: InstanceEncodingOptions,
  hresult = 0,
): Uint8Array {
  const w = new NdrWriter(le);
  writeOrpcThat(w);
  w.pointer();
  w.pointer();
  writeMInterfacePointer(w, wbemObjectRef(encodeInstance(outClass, outValues, encoding)));
  w.nullPointer(); // ppCallResult
  w.a32(hresult);
  return w.toBytes();
}
