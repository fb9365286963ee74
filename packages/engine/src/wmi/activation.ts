/**
 * DCOM activation (MS-DCOM 2.2.22, 3.1.2.5.2): the activation-properties BLOBs that IRemoteSCMActivator
 * RemoteCreateInstance (opnum 4) and RemoteGetClassObject (opnum 3) carry in an OBJREF_CUSTOM
 * (CLSID_ActivationPropertiesIn 00000338-… / CLSID_ActivationPropertiesOut 00000339-…), plus the legacy
 * IActivation::RemoteActivation (opnum 0).
 *
 *   Activation Properties BLOB (little-endian)
 *     dwSize u32 | dwReserved u32 | CustomHeader | Property[cIfs]
 *   CustomHeader (type serialization v1, see ndr.ts)
 *     totalSize u32 | headerSize u32 | dwReserved u32 | destCtx u32 | cIfs u32 | classInfoClsid GUID
 *     | pclsid ptr | pSizes ptr | pdwReserved ptr ; deferred: pclsid[cIfs] GUIDs, pSizes[cIfs] u32
 *   Property i = pSizes[i] bytes starting at 8 + headerSize + Σ pSizes[<i], its type named by pclsid[i]; each is
 *   its own type-serialized stream:
 *     000001ab InstantiationInfoData  classId GUID | classCtx | actvflags | fIsSurrogate | cIID | instFlag
 *                                     | pIID ptr | thisSize | clientCOMVersion ; deferred pIID[cIID] IIDs
 *     000001a6 SecurityInfoData       dwAuthnFlags | pServerInfo ptr → COSERVERINFO { dwReserved1,
 *                                     pwszName ptr → string (the server name the client used), … }
 *     000001aa ScmRequestInfoData     pdwReserved ptr | remoteRequest ptr → { ClientImpLevel, cRequestedProtseqs,
 *                                     pRequestedProtseqs ptr → u16[] }
 *     000001ad InstanceInfoData       fileName LPWSTR | mode | ifdROT | ifdStg   (persistent-file activation)
 *     00000339 PropsOutInfo           cIfs | piid ptr | phresults ptr | ppIntfData ptr ; deferred piid[cIfs],
 *                                     phresults[cIfs], ppIntfData[cIfs] ptrs → MInterfacePointer (OBJREFs)
 *     000001b6 ScmReplyInfoData       pdwReserved ptr | remoteReply ptr → customREMOTE_REPLY_SCM_INFO
 *                                     { Oxid hyper | pdsaOxidBindings ptr | ipidRemUnknown GUID | authnHint u32
 *                                       | serverVersion COMVERSION } ; deferred DUALSTRINGARRAY (NDR)
 *     (000001b9 SpecialSystemProperties, 000001a5 ActivationContextInfo, 000001a4 LocationInfo: skipped)
 *
 * The answer to "what was activated" is InstantiationInfoData.classId; the answer to "where does the client go
 * next" is the OXID, its string bindings (host[port]) and the IPIDs in the returned OBJREFs.
 */

import { type ParseProblem, problem } from '../util/parse-problem.js';
import { type NdrReader, typeSerialization1 } from './ndr.js';
import {
  type DualStringArray,
  type ObjRef,
  parseObjRef,
  readDualStringArrayNdr,
  readInterfacePointerBody,
} from './orpc.js';

export const CLSID_ACTIVATION_PROPERTIES_IN = '00000338-0000-0000-c000-000000000046';
export const CLSID_ACTIVATION_PROPERTIES_OUT = '00000339-0000-0000-c000-000000000046';

export const ACTIVATION_PROPERTY = {
  InstantiationInfo: '000001ab-0000-0000-c000-000000000046',
  ActivationContextInfo: '000001a5-0000-0000-c000-000000000046',
  ServerLocationInfo: '000001a4-0000-0000-c000-000000000046',
  ScmRequestInfo: '000001aa-0000-0000-c000-000000000046',
  SecurityInfo: '000001a6-0000-0000-c000-000000000046',
  SpecialSystemProperties: '000001b9-0000-0000-c000-000000000046',
  InstanceInfo: '000001ad-0000-0000-c000-000000000046',
  PropsOutInfo: '00000339-0000-0000-c000-000000000046',
  ScmReplyInfo: '000001b6-0000-0000-c000-000000000046',
} as const;

export interface ActivationIn {
  /** InstantiationInfoData.classId: the class being activated. */
  clsid?: string;
  /** Requested interface IDs. */
  iids: string[];
  classCtx?: number;
  /** SecurityInfo COSERVERINFO pwszName: the server name as the client addressed it. */
  serverName?: string;
  /** InstanceInfo fileName (persistent-object activation). */
  fileName?: string;
  clientImpLevel?: number;
  requestedProtseqs?: number[];
  /** Property type CLSIDs present, in order. */
  propertyTypes: string[];
}

export interface ActivationOut {
  iids: string[];
  hresults: number[];
  /** The returned interface pointers (parsed OBJREFs; undefined where malformed or NULL). */
  interfaces: (ObjRef | undefined)[];
  oxid?: string;
  bindings?: DualStringArray;
  ipidRemUnknown?: string;
  authnHint?: number;
  serverVersion?: string;
  propertyTypes: string[];
}

interface Blob {
  propertyTypes: string[];
  /** [start, end) of each property, in the order of propertyTypes. */
  ranges: [number, number][];
}

/** Splits an activation properties BLOB into its typed properties. */
function splitBlob(b: Uint8Array, where: string, problems: ParseProblem[]): Blob | undefined {
  if (b.length < 8) {
    problems.push(problem('truncated', where, 'BLOB header (8 bytes) cut short', 0));
    return undefined;
  }
  const ts = typeSerialization1(b, 8, b.length, `${where}.custom_header`);
  if ('problem' in ts) {
    problems.push(ts.problem);
    return undefined;
  }
  const r = ts.reader;
  r.u32('custom_header.totalSize');
  const headerSize = r.u32('custom_header.headerSize');
  r.u32('custom_header.dwReserved');
  r.u32('custom_header.destCtx');
  const cIfs = r.u32('custom_header.cIfs');
  r.guid('custom_header.classInfoClsid');
  const pclsid = r.pointer('custom_header.pclsid');
  const psizes = r.pointer('custom_header.pSizes');
  const pres = r.pointer('custom_header.pdwReserved');
  if (r.ok && (cIfs > 10 || cIfs === 0)) {
    // MS-DCOM 2.2.28.1: MIN_ACTPROP_LIMIT 1, MAX_ACTPROP_LIMIT 10.
    problems.push(problem('bad_value', `${where}.custom_header.cIfs`, `cIfs ${cIfs} outside 1..10`));
    return undefined;
  }
  const types: string[] = [];
  const sizes: number[] = [];
  if (pclsid !== 0) {
    const n = r.count('custom_header.pclsid.max_count', 10);
    for (let i = 0; i < n && r.ok; i++) types.push(r.guid('custom_header.pclsid'));
  }
  if (psizes !== 0) {
    const n = r.count('custom_header.pSizes.max_count', 10);
    for (let i = 0; i < n && r.ok; i++) sizes.push(r.u32('custom_header.pSizes'));
  }
  if (pres !== 0) r.u32('custom_header.dwReserved');
  if (!r.ok) {
    problems.push(r.problem as ParseProblem);
    return undefined;
  }
  if (types.length !== cIfs || sizes.length !== cIfs) {
    problems.push(
      problem(
        'bad_value',
        `${where}.custom_header`,
        `cIfs ${cIfs} but ${types.length} CLSIDs and ${sizes.length} sizes`,
      ),
    );
    return undefined;
  }
  const ranges: [number, number][] = [];
  let p = 8 + headerSize;
  for (let i = 0; i < cIfs; i++) {
    if (p + sizes[i] > b.length || p < 0) {
      problems.push(
        problem('out_of_bounds', `${where}.property`, `property ${i} (${sizes[i]} bytes) runs past the BLOB`, p),
      );
      break;
    }
    ranges.push([p, p + sizes[i]]);
    p += sizes[i];
  }
  return { propertyTypes: types, ranges };
}

/** Opens property i as a type-serialized NDR stream. */
function propertyReader(
  b: Uint8Array,
  range: [number, number],
  where: string,
  problems: ParseProblem[],
): NdrReader | undefined {
  const ts = typeSerialization1(b, range[0], range[1], where);
  if ('problem' in ts) {
    problems.push(ts.problem);
    return undefined;
  }
  return ts.reader;
}

/** Decodes an ActivationPropertiesIn BLOB (the OBJREF_CUSTOM pObjectData of an activation request). */
export function parseActivationPropertiesIn(b: Uint8Array, problems: ParseProblem[]): ActivationIn {
  const out: ActivationIn = { iids: [], propertyTypes: [] };
  const blob = splitBlob(b, 'activation_in', problems);
  if (!blob) return out;
  out.propertyTypes = blob.propertyTypes;
  for (let i = 0; i < blob.ranges.length; i++) {
    const type = blob.propertyTypes[i];
    const where = `activation_in.${propertyName(type)}`;
    switch (type) {
      case ACTIVATION_PROPERTY.InstantiationInfo: {
        const r = propertyReader(b, blob.ranges[i], where, problems);
        if (!r) break;
        const clsid = r.guid(`${where}.classId`);
        const classCtx = r.u32(`${where}.classCtx`);
        r.u32(`${where}.actvflags`);
        r.u32(`${where}.fIsSurrogate`);
        r.u32(`${where}.cIID`);
        r.u32(`${where}.instFlag`);
        const piid = r.pointer(`${where}.pIID`);
        r.u32(`${where}.thisSize`);
        r.u16(`${where}.clientCOMVersion`);
        r.u16(`${where}.clientCOMVersion`);
        if (r.ok) {
          out.clsid = clsid;
          out.classCtx = classCtx;
        }
        if (piid !== 0) {
          const n = r.count(`${where}.pIID.max_count`, 0x8000);
          for (let k = 0; k < n && r.ok; k++) {
            const iid = r.guid(`${where}.pIID`);
            if (r.ok) out.iids.push(iid);
          }
        }
        if (!r.ok) problems.push(r.problem as ParseProblem);
        break;
      }
      case ACTIVATION_PROPERTY.SecurityInfo: {
        const r = propertyReader(b, blob.ranges[i], where, problems);
        if (!r) break;
        r.u32(`${where}.dwAuthnFlags`);
        const psi = r.pointer(`${where}.pServerInfo`);
        const pres = r.pointer(`${where}.pdwReserved`);
        if (psi !== 0) {
          r.u32(`${where}.serverinfo.dwReserved1`);
          const pname = r.pointer(`${where}.serverinfo.pwszName`);
          const pres2 = r.pointer(`${where}.serverinfo.pdwReserved`);
          r.u32(`${where}.serverinfo.dwReserved2`);
          if (pname !== 0) {
            const name = r.varyingWString(`${where}.serverinfo.pwszName`);
            if (r.ok) out.serverName = name;
          }
          if (pres2 !== 0) r.u32(`${where}.serverinfo.reserved`);
        }
        if (pres !== 0) r.u32(`${where}.reserved`);
        if (!r.ok) problems.push(r.problem as ParseProblem);
        break;
      }
      case ACTIVATION_PROPERTY.ScmRequestInfo: {
        const r = propertyReader(b, blob.ranges[i], where, problems);
        if (!r) break;
        const pres = r.pointer(`${where}.pdwReserved`);
        const preq = r.pointer(`${where}.remoteRequest`);
        if (pres !== 0) r.u32(`${where}.reserved`);
        if (preq !== 0) {
          const imp = r.u32(`${where}.ClientImpLevel`);
          r.u16(`${where}.cRequestedProtseqs`);
          const pps = r.pointer(`${where}.pRequestedProtseqs`);
          const seqs: number[] = [];
          if (pps !== 0) {
            const n = r.count(`${where}.pRequestedProtseqs.max_count`, 0x8000);
            for (let k = 0; k < n && r.ok; k++) seqs.push(r.u16(`${where}.pRequestedProtseqs`));
          }
          if (r.ok) {
            out.clientImpLevel = imp;
            out.requestedProtseqs = seqs;
          }
        }
        if (!r.ok) problems.push(r.problem as ParseProblem);
        break;
      }
      case ACTIVATION_PROPERTY.InstanceInfo: {
        const r = propertyReader(b, blob.ranges[i], where, problems);
        if (!r) break;
        const name = r.lpwstr(`${where}.fileName`);
        if (r.ok && name !== null) out.fileName = name;
        if (!r.ok) problems.push(r.problem as ParseProblem);
        break;
      }
      default:
        break;
    }
  }
  if (out.clsid === undefined && !blob.propertyTypes.includes(ACTIVATION_PROPERTY.InstantiationInfo)) {
    problems.push(problem('bad_value', 'activation_in', 'no InstantiationInfo property (it is required)'));
  }
  return out;
}

/** Decodes an ActivationPropertiesOut BLOB (the OBJREF_CUSTOM pObjectData of an activation response). */
export function parseActivationPropertiesOut(b: Uint8Array, problems: ParseProblem[]): ActivationOut {
  const out: ActivationOut = { iids: [], hresults: [], interfaces: [], propertyTypes: [] };
  const blob = splitBlob(b, 'activation_out', problems);
  if (!blob) return out;
  out.propertyTypes = blob.propertyTypes;
  for (let i = 0; i < blob.ranges.length; i++) {
    const type = blob.propertyTypes[i];
    const where = `activation_out.${propertyName(type)}`;
    if (type === ACTIVATION_PROPERTY.PropsOutInfo) {
      const r = propertyReader(b, blob.ranges[i], where, problems);
      if (!r) continue;
      r.u32(`${where}.cIfs`);
      const piid = r.pointer(`${where}.piid`);
      const phr = r.pointer(`${where}.phresults`);
      const pintf = r.pointer(`${where}.ppIntfData`);
      if (piid !== 0) {
        const n = r.count(`${where}.piid.max_count`, 0x8000);
        for (let k = 0; k < n && r.ok; k++) {
          const iid = r.guid(`${where}.piid`);
          if (r.ok) out.iids.push(iid);
        }
      }
      if (phr !== 0) {
        const n = r.count(`${where}.phresults.max_count`, 0x8000);
        for (let k = 0; k < n && r.ok; k++) {
          const hr = r.u32(`${where}.phresults`);
          if (r.ok) out.hresults.push(hr);
        }
      }
      if (pintf !== 0) {
        const n = r.count(`${where}.ppIntfData.max_count`, 0x8000);
        const refs: number[] = [];
        for (let k = 0; k < n && r.ok; k++) refs.push(r.pointer(`${where}.ppIntfData`));
        for (const ref of refs) {
          if (!r.ok) break;
          if (ref === 0) {
            out.interfaces.push(undefined);
            continue;
          }
          const data = readInterfacePointerBody(r, `${where}.ppIntfData`);
          if (data === null) break;
          const o = parseObjRef(data);
          problems.push(...o.problems);
          out.interfaces.push(o.objref);
        }
      }
      if (!r.ok) problems.push(r.problem as ParseProblem);
    } else if (type === ACTIVATION_PROPERTY.ScmReplyInfo) {
      const r = propertyReader(b, blob.ranges[i], where, problems);
      if (!r) continue;
      r.pointer(`${where}.pdwReserved`);
      const prep = r.pointer(`${where}.remoteReply`);
      if (prep !== 0) {
        const oxid = r.hyperHex(`${where}.Oxid`);
        const pdsa = r.pointer(`${where}.pdsaOxidBindings`);
        const ipid = r.guid(`${where}.ipidRemUnknown`);
        const hint = r.u32(`${where}.authnHint`);
        const major = r.u16(`${where}.serverVersion`);
        const minor = r.u16(`${where}.serverVersion`);
        if (r.ok) {
          out.oxid = oxid;
          out.ipidRemUnknown = ipid;
          out.authnHint = hint;
          out.serverVersion = `${major}.${minor}`;
        }
        if (pdsa !== 0) {
          const dsa = readDualStringArrayNdr(r, `${where}.pdsaOxidBindings`, problems);
          if (dsa) out.bindings = dsa;
        }
      }
      if (!r.ok) problems.push(r.problem as ParseProblem);
    }
  }
  return out;
}

function propertyName(clsid: string): string {
  for (const [name, id] of Object.entries(ACTIVATION_PROPERTY)) if (id === clsid) return name;
  return clsid;
}
