/**
 * ORPC building blocks (MS-DCOM 2.2).
 *
 * ORPCTHIS (2.2.13.3), NDR: version { MajorVersion u16, MinorVersion u16 } | flags u32 | reserved1 u32
 *                           | cid GUID | extensions (unique ptr, NULL here)                    = 32 bytes
 * ORPCTHAT (2.2.13.4), NDR: flags u32 | extensions (unique ptr, NULL)                             = 8 bytes
 * MInterfacePointer (2.2.14), NDR conformant struct: max_count u32 | ulCntData u32 | abData[ulCntData]
 * OBJREF (2.2.18), a byte blob inside abData, always little-endian:
 *   signature 'MEOW' 0x574f454d | flags u32 | iid GUID | <flavour>
 *   OBJREF_STANDARD (flags 1): STDOBJREF { flags u32 | cPublicRefs u32 | oxid u64 | oid u64 | ipid GUID }
 *                              | saResAddr DUALSTRINGARRAY
 *   OBJREF_CUSTOM (flags 4):   clsid GUID | cbExtension u32 | ObjectReferenceSize u32 | pObjectData
 * DUALSTRINGARRAY (2.2.19): wNumEntries u16 | wSecurityOffset u16 | aStringArray u16[wNumEntries]
 *   STRINGBINDING   { wTowerId u16 | aNetworkAddr UTF-16, NUL-terminated }*, then 0x0000
 *   SECURITYBINDING { wAuthnSvc u16 | Reserved u16 (0xffff) | aPrincName UTF-16, NUL-terminated }*, then 0x0000
 */
import type { NdrWriter } from '../ndr/ndr-writer.js';
import { ByteWriter } from '../util/bytes.js';
import { uuidBytes } from '../util/uuid.js';
import { TOWER } from './guids.js';

export const OBJREF_SIGNATURE = 0x574f454d;
export const FLAGS_OBJREF_STANDARD = 1;
export const FLAGS_OBJREF_CUSTOM = 4;

/**
 * Causality and COM version carried in ORPCTHIS. Windows sends COM version 5.7; impacket sends 5.6
 * (seen in its wmiexec traffic) and reuses one causality id for every call of an activated object.
 */
export interface Orpc {
  cid: string;
  minor?: number;
}

export function writeOrpcThis(w: NdrWriter, o: Orpc & { flags?: number }): void {
  w.a16(5)
    .a16(o.minor ?? 7)
    .a32(o.flags ?? 0)
    .a32(0)
    .guid(o.cid);
  w.nullPointer();
}

export function writeOrpcThat(w: NdrWriter, flags = 0): void {
  w.a32(flags);
  w.nullPointer();
}

export interface StringBinding {
  towerId?: number;
  /** e.g. "SERVER[49154]" or "10.0.0.20[49154]" */
  networkAddr: string;
}

export interface SecurityBinding {
  authnSvc: number;
  authzSvc?: number;
  principal?: string;
}

export interface DualStringArray {
  strings: StringBinding[];
  security: SecurityBinding[];
}

/** aStringArray as 16-bit code units plus wSecurityOffset. */
export function dualStringArrayUnits(d: DualStringArray): { units: number[]; securityOffset: number } {
  const units: number[] = [];
  const str = (s: string): void => {
    for (let i = 0; i < s.length; i++) units.push(s.charCodeAt(i));
    units.push(0);
  };
  for (const s of d.strings) {
    units.push(s.towerId ?? TOWER.ncacn_ip_tcp);
    str(s.networkAddr);
  }
  units.push(0);
  const securityOffset = units.length;
  for (const s of d.security) {
    units.push(s.authnSvc, s.authzSvc ?? 0xffff);
    str(s.principal ?? '');
  }
  units.push(0);
  return { units, securityOffset };
}

/** DUALSTRINGARRAY as it appears inline in an OBJREF (little-endian). */
export function dualStringArrayBytes(d: DualStringArray): Uint8Array {
  const { units, securityOffset } = dualStringArrayUnits(d);
  const w = new ByteWriter(true);
  w.u16(units.length).u16(securityOffset);
  for (const u of units) w.u16(u);
  return w.toBytes();
}

/** NDR form (as referent of a pdsaOxidBindings/ppdsaOrBindings pointer): conformant struct. */
export function writeDualStringArray(w: NdrWriter, d: DualStringArray): void {
  const { units, securityOffset } = dualStringArrayUnits(d);
  w.a32(units.length);
  w.a16(units.length).a16(securityOffset);
  for (const u of units) w.u16(u);
}

export interface StdObjRef {
  flags?: number;
  publicRefs?: number;
  oxid: bigint;
  oid: bigint;
  ipid: string;
}

export function objrefStandard(iid: string, std: StdObjRef, resolver: DualStringArray): Uint8Array {
  const w = new ByteWriter(true);
  w.u32(OBJREF_SIGNATURE).u32(FLAGS_OBJREF_STANDARD).bytes(uuidBytes(iid));
  w.u32(std.flags ?? 0)
    .u32(std.publicRefs ?? 5)
    .u64(std.oxid)
    .u64(std.oid)
    .bytes(uuidBytes(std.ipid));
  w.bytes(dualStringArrayBytes(resolver));
  return w.toBytes();
}

/**
 * OBJREF_CUSTOM. Windows (and impacket) put pObjectData length + 8 in ObjectReferenceSize for the
 * activation property blobs; WMI objects use the exact length. `sizeAdjust` selects which.
 */
export function objrefCustom(iid: string, clsid: string, data: Uint8Array, sizeAdjust = 0): Uint8Array {
  const w = new ByteWriter(true);
  w.u32(OBJREF_SIGNATURE).u32(FLAGS_OBJREF_CUSTOM).bytes(uuidBytes(iid)).bytes(uuidBytes(clsid));
  w.u32(0)
    .u32(data.length + sizeAdjust)
    .bytes(data);
  return w.toBytes();
}

/** MInterfacePointer referent (conformance first, as NDR places it for a conformant struct). */
export function writeMInterfacePointer(w: NdrWriter, objref: Uint8Array): void {
  w.a32(objref.length).u32(objref.length).bytes(objref);
}

/** Unique pointer to MInterfacePointer; NULL when objref is undefined. */
export function writePMInterfacePointer(w: NdrWriter, objref: Uint8Array | undefined): void {
  if (!objref) {
    w.nullPointer();
    return;
  }
  w.pointer();
  writeMInterfacePointer(w, objref);
}

/** Security bindings a Windows server advertises for an object exporter (principal names blank in OBJREFs). */
export const WINDOWS_OBJREF_SECURITY: SecurityBinding[] = [
  { authnSvc: 0x09 },
  { authnSvc: 0x1e },
  { authnSvc: 0x10 },
  { authnSvc: 0x0a },
  { authnSvc: 0x16 },
  { authnSvc: 0x1f },
  { authnSvc: 0x0e },
];

export function scmSecurityBindings(dnsComputer: string): SecurityBinding[] {
  return [
    { authnSvc: 0x0a, principal: 'NT AUTHORITY\\SYSTEM' },
    { authnSvc: 0x10, principal: `host/${dnsComputer}` },
    { authnSvc: 0x09, principal: `host/${dnsComputer}` },
  ];
}
