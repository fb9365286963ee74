/**
 * IRemoteSCMActivator (ISystemActivator) stubs: RemoteGetClassObject (opnum 3), RemoteCreateInstance (opnum 4)
 * and their replies, with the activation-properties BLOB of MS-DCOM 2.2.22.
 *
 * Request stubs (NDR):
 *   RemoteCreateInstance: ORPCTHIS | pUnkOuter (unique ptr, NULL) | pActProperties (unique ptr -> MInterfacePointer)
 *   RemoteGetClassObject: ORPCTHIS | pActProperties (unique ptr -> MInterfacePointer)
 * Reply stubs: ORPCTHAT | ppActProperties (unique ptr -> MInterfacePointer) | ErrorCode HRESULT
 *
 * pActProperties is an OBJREF_CUSTOM (iid IActivationPropertiesIn/Out, clsid CLSID_ActivationProperties{In,Out})
 * whose pObjectData is the activation-properties BLOB:
 *   dwSize u32 (= blob length - 8) | dwReserved u32 | CustomHeader | properties[cIfs]
 * CustomHeader and every property are MS-RPCE 2.2.6 type-serialized (version 1, little-endian):
 *   CommonHeader { Version 1 | Endianness 0x10 | CommonHeaderLength 8 | Filler 0xcccccccc }
 *   PrivateHeader { ObjectBufferLength u32 (multiple of 8) | Filler u32 = 0 } | NDR body padded to 8
 *   CustomHeader body: totalSize | headerSize | dwReserved | destCtx (2 = MSHCTX_DIFFERENTMACHINE) | cIfs
 *                      | classInfoClsid GUID | pclsid ptr | pSizes ptr | pdwReserved (NULL) | clsid[] | sizes[]
 * Properties sent (in this order; Windows sends all six, impacket only the middle four without
 * SpecialSystemProperties and SecurityInfo):
 *   SpecialSystemProperties 000001b9, InstantiationInfo 000001ab (holds the CLSID being activated and the
 *   requested IIDs), ActivationContextInfo 000001a5, SecurityInfo 000001a6, ServerLocationInfo 000001a4,
 *   ScmRequestInfo 000001aa.
 * The reply carries PropsOutInfo 00000339 (IIDs, HRESULTs, interface OBJREFs whose STDOBJREF has the IPID)
 * and ScmReplyInfo 000001b6 (OXID, DUALSTRINGARRAY of string bindings "HOST[port]", IPID of IRemUnknown,
 * authnHint, server COM version).
 */
import { NdrWriter } from '../ndr/ndr-writer.js';
import { ByteWriter, concat } from '../util/bytes.js';
import { uuidBytes } from '../util/uuid.js';
import { CLSID, IID } from './guids.js';
import {
  type DualStringArray,
  type Orpc,
  objrefCustom,
  writeDualStringArray,
  writeMInterfacePointer,
  writeOrpcThat,
  writeOrpcThis,
  writePMInterfacePointer,
} from './orpc.js';

export type ClientStyle = 'windows' | 'impacket';

/** MS-RPCE 2.2.6 type serialization version 1 of an NDR body (always little-endian here). */
export function typeSerialize(body: (w: NdrWriter) => void, padByte = 0): Uint8Array {
  const w = new NdrWriter(true);
  body(w);
  w.align(8, padByte);
  const hdr = new ByteWriter(true);
  hdr.u8(1).u8(0x10).u16(8).u32(0xcccccccc);
  hdr.u32(w.length).u32(0);
  return concat([hdr.toBytes(), w.toBytes()]);
}

interface Property {
  clsid: string;
  data: Uint8Array;
}

function activationBlob(props: Property[], padByte: number): Uint8Array {
  const sizes = props.map((p) => p.data.length);
  const body = (totalSize: number, headerSize: number) =>
    typeSerialize((w) => {
      w.a32(totalSize).u32(headerSize).u32(0).u32(2).u32(props.length);
      w.guid(IID.NULL);
      w.pointer();
      w.pointer();
      w.nullPointer();
      w.a32(props.length);
      for (const p of props) w.guid(p.clsid);
      w.a32(props.length);
      for (const s of sizes) w.u32(s);
    }, padByte);
  const headerSize = body(0, 0).length;
  const totalSize = 8 + headerSize + sizes.reduce((a, b) => a + b, 0) - 8;
  const header = body(totalSize, headerSize);
  const w = new ByteWriter(true);
  w.u32(totalSize).u32(0).bytes(header);
  for (const p of props) w.bytes(p.data);
  return w.toBytes();
}

export interface ActivationRequest {
  style: ClientStyle;
  /** CLSID of the class to activate (e.g. CLSID.WbemLevel1Login). */
  clsid: string;
  /** IIDs requested (InstantiationInfo.pIID). */
  iids: string[];
  /** Server name the client targets (SecurityInfo COSERVERINFO.pwszName; Windows only). */
  serverName?: string;
  /** Client context id for ActivationContextInfo (Windows only). */
  clientContextId?: string;
  /** Default authentication level recorded in SpecialSystemProperties (Windows only). */
  defaultAuthnLevel?: number;
}

export function activationPropertiesIn(a: ActivationRequest): Uint8Array {
  const windows = a.style === 'windows';
  const pad = windows ? 0 : 0xfa;
  const props: Property[] = [];

  if (windows) {
    props.push({
      clsid: CLSID.SpecialSystemProperties,
      data: typeSerialize((w) => {
        w.a32(0xffffffff)
          .u32(0)
          .u32(1)
          .u32(0)
          .u32(a.defaultAuthnLevel ?? 2);
        w.guid(IID.NULL);
        w.a32(0).u32(0x14).u32(2);
        w.a32(0); // Reserved1
        w.a64(0n); // Reserved2
        for (let i = 0; i < 5; i++) w.a32(0); // Reserved3[5]
      }, pad),
    });
  }

  // InstantiationInfo: thisSize is the serialized size of this property (header included), which depends on
  // nothing it contains, so compute the body once to learn it.
  const instantiation = (thisSize: number) =>
    typeSerialize((w) => {
      w.guid(a.clsid);
      w.a32(windows ? 0x14 : 0) // classCtx: CLSCTX_LOCAL_SERVER | CLSCTX_REMOTE_SERVER
        .u32(0) // actvflags
        .u32(0) // fIsSurrogate
        .u32(a.iids.length)
        .u32(0); // instFlag
      w.pointer();
      w.a32(thisSize);
      w.a16(5).a16(7); // clientCOMVersion 5.7
      w.a32(a.iids.length);
      for (const iid of a.iids) w.guid(iid);
    }, pad);
  const instSize = instantiation(0).length;
  // impacket computes thisSize after marshaling, so its wire image carries 0 (dcomrt.py RemoteCreateInstance).
  props.push({ clsid: CLSID.InstantiationInfo, data: instantiation(windows ? instSize : 0) });

  props.push({
    clsid: CLSID.ActivationContextInfo,
    data: typeSerialize((w) => {
      w.a32(0).u32(0).u32(0).u32(0);
      if (windows) {
        w.pointer();
        w.nullPointer();
        // Client context: OBJREF_CUSTOM(IContext, ContextMarshaler) carrying a by-value Context (MS-DCOM 2.2.20).
        const ctxData = new ByteWriter(true);
        ctxData
          .u16(1)
          .u16(1)
          .bytes(uuidBytes(a.clientContextId ?? IID.NULL));
        ctxData.u32(2).u32(0).u32(0).u32(0).u32(0).u32(0).u32(1);
        writeMInterfacePointer(w, objrefCustom(IID.IContext, CLSID.ContextMarshaler, ctxData.toBytes()));
      } else {
        w.nullPointer();
        w.nullPointer();
      }
    }, pad),
  });

  if (windows) {
    props.push({
      clsid: CLSID.SecurityInfo,
      data: typeSerialize((w) => {
        w.a32(0);
        w.pointer(); // pServerInfo
        w.nullPointer(); // pdwReserved
        w.a32(0);
        if (a.serverName) w.pointer();
        else w.nullPointer();
        w.nullPointer(); // pAuthInfo
        w.a32(0);
        if (a.serverName) w.wstring(a.serverName);
      }, pad),
    });
  }

  props.push({
    clsid: CLSID.ServerLocationInfo,
    data: typeSerialize((w) => {
      w.nullPointer(); // machineName
      w.a32(0).u32(0).u32(0);
    }, pad),
  });

  props.push({
    clsid: CLSID.ScmRequestInfo,
    data: typeSerialize((w) => {
      w.nullPointer(); // pdwReserved
      w.pointer(); // remoteRequest
      w.a32(windows ? 2 : 0); // ClientImpLevel (RPC_C_IMP_LEVEL_IDENTIFY); impacket leaves it 0
      w.a16(1); // cRequestedProtseqs
      w.pointer();
      w.a32(1).u16(7); // [ncacn_ip_tcp]
    }, pad),
  });

  return objrefCustom(IID.IActivationPropertiesIn, CLSID.ActivationPropertiesIn, activationBlob(props, pad), 8);
}

export interface ActivatedInterface {
  iid: string;
  hresult?: number;
  /** OBJREF of the interface (usually OBJREF_STANDARD with the IPID); undefined when hresult is a failure. */
  objref?: Uint8Array;
}

export interface ActivationReply {
  interfaces: ActivatedInterface[];
  oxid: bigint;
  /** OXID string bindings, e.g. [{networkAddr: 'SERVER[49154]'}, {networkAddr: '10.0.0.20[49154]'}]. */
  oxidBindings: DualStringArray;
  ipidRemUnknown: string;
  /** Authentication level hint for the object exporter (impacket uses it for the dynamic-port connection). */
  authnHint: number;
}

export function activationPropertiesOut(r: ActivationReply): Uint8Array {
  const propsOut = typeSerialize((w) => {
    const n = r.interfaces.length;
    w.a32(n);
    w.pointer();
    w.pointer();
    w.pointer();
    w.a32(n);
    for (const i of r.interfaces) w.guid(i.iid);
    w.a32(n);
    for (const i of r.interfaces) w.u32(i.hresult ?? 0);
    w.a32(n);
    for (const i of r.interfaces) {
      if (i.objref) w.pointer();
      else w.nullPointer();
    }
    for (const i of r.interfaces) if (i.objref) writeMInterfacePointer(w, i.objref);
  });
  const scmReply = typeSerialize((w) => {
    w.nullPointer(); // pdwReserved
    w.pointer(); // remoteReply
    w.a64(r.oxid);
    w.pointer(); // pdsaOxidBindings
    w.guid(r.ipidRemUnknown);
    w.a32(r.authnHint);
    w.a16(5).a16(7);
    writeDualStringArray(w, r.oxidBindings);
  });
  const props: Property[] = [
    { clsid: CLSID.PropsOutInfo, data: propsOut },
    { clsid: CLSID.ScmReplyInfo, data: scmReply },
  ];
  return objrefCustom(IID.IActivationPropertiesOut, CLSID.ActivationPropertiesOut, activationBlob(props, 0), 8);
}

export function remoteCreateInstanceRequest(littleEndian: boolean, orpc: Orpc, actProperties: Uint8Array): Uint8Array {
  const w = new NdrWriter(littleEndian);
  writeOrpcThis(w, { ...orpc, flags: 1 });
  w.nullPointer(); // pUnkOuter
  writePMInterfacePointer(w, actProperties);
  return w.toBytes();
}

export function remoteGetClassObjectRequest(littleEndian: boolean, orpc: Orpc, actProperties: Uint8Array): Uint8Array {
  const w = new NdrWriter(littleEndian);
  writeOrpcThis(w, { ...orpc, flags: 1 });
  writePMInterfacePointer(w, actProperties);
  return w.toBytes();
}

/** Reply to either activation method; pass `actProperties` undefined with a failure HRESULT to refuse in-stub. */
export function activationResponse(
  littleEndian: boolean,
  actProperties: Uint8Array | undefined,
  hresult = 0,
): Uint8Array {
  const w = new NdrWriter(littleEndian);
  writeOrpcThat(w, 0);
  writePMInterfacePointer(w, actProperties);
  w.a32(hresult);
  return w.toBytes();
}
