/**
 * DCOM ORPC framing and object references (MS-DCOM 2.2.13 – 2.2.19).
 *
 *   ORPCTHIS        version COMVERSION (u16 major, u16 minor) | flags u32 | reserved1 u32 | cid GUID
 *                   | extensions unique ptr → ORPC_EXTENT_ARRAY
 *   ORPCTHAT        flags u32 | extensions unique ptr → ORPC_EXTENT_ARRAY
 *   ORPC_EXTENT_ARRAY  size u32 | reserved u32 | extent unique ptr → conformant array of unique ptrs → ORPC_EXTENT
 *   ORPC_EXTENT     (conformant struct) max_count u32 | id GUID | size u32 | data[max_count]
 *   MInterfacePointer (conformant struct) max_count u32 | ulCntData u32 | abData[ulCntData] = an OBJREF
 *
 * The OBJREF inside abData is NOT NDR: its fields are little-endian whatever the PDU's drep (MS-DCOM 2.2.18):
 *
 *   OBJREF          signature u32 "MEOW" 0x574F454D | flags u32 | iid GUID | one of:
 *     STANDARD (1)  std STDOBJREF | saResAddr DUALSTRINGARRAY (the OXID resolver's addresses)
 *     HANDLER (2)   std STDOBJREF | clsid GUID | saResAddr DUALSTRINGARRAY
 *     CUSTOM (4)    clsid GUID | cbExtension u32 | reserved u32 (size) | pObjectData (marshaler's bytes)
 *     EXTENDED (8)  std STDOBJREF | Signature1 u32 | saResAddr | nElms u32 | Signature2 u32 | DATAELEMENT[]
 *   STDOBJREF       flags u32 | cPublicRefs u32 | oxid u64 | oid u64 | ipid GUID
 *   DUALSTRINGARRAY wNumEntries u16 | wSecurityOffset u16 | aStringArray[wNumEntries] u16:
 *                   STRINGBINDING* 0 SECURITYBINDING* 0, with
 *     STRINGBINDING   wTowerId u16 | aNetworkAddr UTF-16 NUL-terminated, "host" or "host[port]"
 *     SECURITYBINDING wAuthnSvc u16 | Reserved u16 | aPrincName UTF-16 NUL-terminated
 *
 * The IPID in a STDOBJREF is the object UUID the client later puts in its requests to that object (on the
 * port named by the OXID's string bindings): the key that ties the object connection to the activation.
 */

import { guidAt, hexAt } from '../util/guid.js';
import { type ParseProblem, problem } from '../util/parse-problem.js';
import type { NdrReader } from './ndr.js';

export const OBJREF_SIGNATURE = 0x574f454d; // 'MEOW'
export const FLAGS_OBJREF_STANDARD = 1;
export const FLAGS_OBJREF_HANDLER = 2;
export const FLAGS_OBJREF_CUSTOM = 4;
export const FLAGS_OBJREF_EXTENDED = 8;

/** Tower ids of STRINGBINDING (MS-DCOM 2.2.19.3, C706 appendix I). */
export const TOWER_NAMES: Record<number, string> = {
  4: 'ncacn_dnet_nsp',
  7: 'ncacn_ip_tcp',
  8: 'ncadg_ip_udp',
  9: 'ncacn_nb_tcp',
  12: 'ncacn_spx',
  13: 'ncacn_nb_ipx',
  14: 'ncadg_ipx',
  15: 'ncacn_np',
  16: 'ncalrpc',
  31: 'ncacn_http',
};

export interface OrpcThis {
  versionMajor: number;
  versionMinor: number;
  flags: number;
  cid: string;
  /** ids (GUIDs) of the extents present. */
  extensions: string[];
}

export interface OrpcThat {
  flags: number;
  extensions: string[];
}

/** Reads ORPCTHIS (as the first, implicit parameter of an ORPC request or an activator call). */
export function readOrpcThis(r: NdrReader): OrpcThis {
  const versionMajor = r.u16('orpcthis.version');
  const versionMinor = r.u16('orpcthis.version');
  const flags = r.u32('orpcthis.flags');
  r.u32('orpcthis.reserved1');
  const cid = r.guid('orpcthis.cid');
  const extensions = readExtentArrayPointer(r, 'orpcthis.extensions');
  return { versionMajor, versionMinor, flags, cid, extensions };
}

/** Reads ORPCTHAT (the first, implicit out-parameter of an ORPC response). */
export function readOrpcThat(r: NdrReader): OrpcThat {
  const flags = r.u32('orpcthat.flags');
  const extensions = readExtentArrayPointer(r, 'orpcthat.extensions');
  return { flags, extensions };
}

function readExtentArrayPointer(r: NdrReader, where: string): string[] {
  const ids: string[] = [];
  if (r.pointer(where) === 0) return ids;
  r.u32(`${where}.size`);
  r.u32(`${where}.reserved`);
  const extentRef = r.pointer(`${where}.extent`);
  if (extentRef === 0) return ids;
  const n = r.count(`${where}.extent.max_count`, 64);
  const refs: number[] = [];
  for (let i = 0; i < n && r.ok; i++) refs.push(r.pointer(`${where}.extent.referent`));
  for (const ref of refs) {
    if (ref === 0 || !r.ok) continue;
    const max = r.count(`${where}.extent.data.max_count`, 1 << 16);
    ids.push(r.guid(`${where}.extent.id`));
    r.u32(`${where}.extent.size`);
    r.skip(max, `${where}.extent.data`);
  }
  return ids;
}

/**
 * A [unique] MInterfacePointer* parameter: referent id, then the conformant struct. Returns the OBJREF bytes
 * (a view), or null for a NULL pointer.
 */
export function readInterfacePointer(r: NdrReader, where: string): Uint8Array | null {
  if (r.pointer(`${where}.referent`) === 0) return null;
  return readInterfacePointerBody(r, where);
}

/** MInterfacePointer body (no referent id): max_count | ulCntData | abData. */
export function readInterfacePointerBody(r: NdrReader, where: string): Uint8Array | null {
  const max = r.count(`${where}.max_count`, 1 << 24);
  const cnt = r.u32(`${where}.ulCntData`);
  if (!r.ok) return null;
  if (cnt > max) {
    r.fail('bad_value', where, `ulCntData ${cnt} exceeds max_count ${max}`);
    return null;
  }
  const data = r.bytes(max, `${where}.abData`);
  return r.ok ? data.subarray(0, cnt) : null;
}

export interface StdObjRef {
  flags: number;
  publicRefs: number;
  /** u64 as 16 hex digits. */
  oxid: string;
  oid: string;
  ipid: string;
}

export interface StringBinding {
  towerId: number;
  /** e.g. 'ncacn_ip_tcp'. */
  protocol: string;
  /** aNetworkAddr as sent: "host", "host[port]" or "\\\\host[\\PIPE\\name]". */
  networkAddr: string;
  host: string;
  /** Numeric endpoint (TCP/UDP/HTTP port) when the binding carries one. */
  port?: number;
  /** Non-numeric endpoint (pipe name, …). */
  endpoint?: string;
}

export interface SecurityBinding {
  authnSvc: number;
  authzSvc: number;
  principal: string;
}

export interface DualStringArray {
  stringBindings: StringBinding[];
  securityBindings: SecurityBinding[];
}

export interface ObjRef {
  kind: 'standard' | 'handler' | 'custom' | 'extended';
  flags: number;
  iid: string;
  std?: StdObjRef;
  /** OBJREF_HANDLER / OBJREF_CUSTOM: the CLSID of the handler or unmarshaler. */
  clsid?: string;
  /** STANDARD/HANDLER/EXTENDED: the object exporter's resolver addresses. */
  resolver?: DualStringArray;
  /** CUSTOM: the marshaled object data (activation blob, MS-WMIO encoding unit, …), a view. */
  objectData?: Uint8Array;
}

export interface ObjRefResult {
  objref?: ObjRef;
  problems: ParseProblem[];
}

/** Parses an OBJREF (the abData of an MInterfacePointer). Little-endian by definition. */
export function parseObjRef(b: Uint8Array): ObjRefResult {
  const problems: ParseProblem[] = [];
  if (b.length < 24)
    return { problems: [problem('truncated', 'objref', `${b.length} bytes, less than the 24-byte header`, 0)] };
  const sig = u32(b, 0);
  if (sig !== OBJREF_SIGNATURE) {
    return { problems: [problem('bad_signature', 'objref', `signature 0x${sig.toString(16)} is not MEOW`, 0)] };
  }
  const flags = u32(b, 4);
  const iid = guidAt(b, 8);
  const at = 24;
  switch (flags) {
    case FLAGS_OBJREF_STANDARD:
    case FLAGS_OBJREF_HANDLER:
    case FLAGS_OBJREF_EXTENDED: {
      const kind =
        flags === FLAGS_OBJREF_STANDARD ? 'standard' : flags === FLAGS_OBJREF_HANDLER ? 'handler' : 'extended';
      if (b.length < at + 40) return { problems: [problem('truncated', `objref.${kind}`, 'STDOBJREF cut short', at)] };
      const objref: ObjRef = { kind, flags, iid, std: stdObjRef(b, at) };
      let p = at + 40;
      if (kind === 'handler') {
        if (b.length < p + 16)
          return { objref, problems: [problem('truncated', 'objref.handler', 'clsid cut short', p)] };
        objref.clsid = guidAt(b, p);
        p += 16;
      }
      if (kind === 'extended') p += 4; // Signature1
      const dsa = parseDualStringArrayPacked(b, p, 'objref.resolver', problems);
      if (dsa) objref.resolver = dsa.value;
      return { objref, problems };
    }
    case FLAGS_OBJREF_CUSTOM: {
      if (b.length < at + 24) return { problems: [problem('truncated', 'objref.custom', 'header cut short', at)] };
      const clsid = guidAt(b, at);
      const cbExtension = u32(b, at + 16);
      const start = at + 24 + cbExtension;
      if (start > b.length) {
        return {
          problems: [
            problem('out_of_bounds', 'objref.custom', `cbExtension ${cbExtension} runs past the OBJREF`, at + 16),
          ],
        };
      }
      return { objref: { kind: 'custom', flags, iid, clsid, objectData: b.subarray(start) }, problems };
    }
    default:
      return { problems: [problem('bad_value', 'objref.flags', `OBJREF flags ${flags}`, 4)] };
  }
}

function stdObjRef(b: Uint8Array, at: number): StdObjRef {
  return {
    flags: u32(b, at),
    publicRefs: u32(b, at + 4),
    oxid: hexLe64(b, at + 8),
    oid: hexLe64(b, at + 16),
    ipid: guidAt(b, at + 24),
  };
}

/** DUALSTRINGARRAY laid out as raw little-endian bytes (inside an OBJREF): wNumEntries | wSecurityOffset | units. */
export function parseDualStringArrayPacked(
  b: Uint8Array,
  at: number,
  where: string,
  problems: ParseProblem[],
): { value: DualStringArray; next: number } | undefined {
  if (at + 4 > b.length) {
    problems.push(problem('truncated', where, 'DUALSTRINGARRAY header cut short', at));
    return undefined;
  }
  const n = b[at] | (b[at + 1] << 8);
  const sec = b[at + 2] | (b[at + 3] << 8);
  const unitsStart = at + 4;
  if (unitsStart + n * 2 > b.length) {
    problems.push(problem('out_of_bounds', where, `${n} entries run past the buffer`, at));
    return undefined;
  }
  const units = new Uint16Array(n);
  for (let i = 0; i < n; i++) units[i] = b[unitsStart + 2 * i] | (b[unitsStart + 2 * i + 1] << 8);
  const value = decodeDualStringUnits(units, sec, where, problems);
  return { value, next: unitsStart + n * 2 };
}

/** DUALSTRINGARRAY as an NDR conformant struct (max_count | wNumEntries | wSecurityOffset | units), drep order. */
export function readDualStringArrayNdr(
  r: NdrReader,
  where: string,
  problems: ParseProblem[],
): DualStringArray | undefined {
  const max = r.count(`${where}.max_count`, 1 << 16);
  const n = r.u16(`${where}.wNumEntries`);
  const sec = r.u16(`${where}.wSecurityOffset`);
  if (!r.ok) return undefined;
  if (n > max) {
    r.fail('bad_value', where, `wNumEntries ${n} exceeds max_count ${max}`);
    return undefined;
  }
  const units = new Uint16Array(max);
  for (let i = 0; i < max && r.ok; i++) units[i] = r.u16(where);
  if (!r.ok) return undefined;
  return decodeDualStringUnits(units.subarray(0, n), sec, where, problems);
}

function decodeDualStringUnits(
  units: Uint16Array,
  sec: number,
  where: string,
  problems: ParseProblem[],
): DualStringArray {
  const out: DualStringArray = { stringBindings: [], securityBindings: [] };
  if (sec > units.length) {
    problems.push(problem('bad_value', where, `wSecurityOffset ${sec} beyond ${units.length} entries`));
    sec = units.length;
  }
  let i = 0;
  while (i < sec) {
    const tower = units[i];
    if (tower === 0) break;
    const s = readUnits(units, i + 1, sec);
    if (!s) {
      problems.push(problem('truncated', `${where}.string_binding`, 'network address not terminated'));
      break;
    }
    out.stringBindings.push(stringBinding(tower, s.text));
    i = s.next;
    if (out.stringBindings.length > 64) break;
  }
  i = sec;
  while (i + 2 <= units.length) {
    const authn = units[i];
    if (authn === 0) break;
    const s = readUnits(units, i + 2, units.length);
    if (!s) {
      problems.push(problem('truncated', `${where}.security_binding`, 'principal name not terminated'));
      break;
    }
    out.securityBindings.push({ authnSvc: authn, authzSvc: units[i + 1], principal: s.text });
    i = s.next;
    if (out.securityBindings.length > 64) break;
  }
  return out;
}

function readUnits(units: Uint16Array, from: number, limit: number): { text: string; next: number } | undefined {
  let s = '';
  for (let i = from; i < limit; i++) {
    const c = units[i];
    if (c === 0) return { text: s, next: i + 1 };
    s += String.fromCharCode(c);
  }
  return undefined;
}

/** Splits "host[port]" (and the named-pipe "\\host[\pipe\x]" form). */
export function stringBinding(towerId: number, networkAddr: string): StringBinding {
  const protocol = TOWER_NAMES[towerId] ?? `tower_0x${towerId.toString(16)}`;
  const sb: StringBinding = { towerId, protocol, networkAddr, host: networkAddr };
  const open = networkAddr.indexOf('[');
  if (open >= 0 && networkAddr.endsWith(']')) {
    sb.host = networkAddr.slice(0, open);
    const ep = networkAddr.slice(open + 1, -1);
    if (/^[0-9]{1,5}$/.test(ep) && Number(ep) <= 65535) sb.port = Number(ep);
    else if (ep.length > 0) sb.endpoint = ep;
  }
  return sb;
}

function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

function hexLe64(b: Uint8Array, at: number): string {
  let s = '';
  for (let i = 7; i >= 0; i--) s += hexAt(b, at + i, 1);
  return s;
}

/** Convenience: parse an OBJREF from an MInterfacePointer read with `r`, collecting problems. */
export function readObjRefParam(r: NdrReader, where: string, problems: ParseProblem[]): ObjRef | null | undefined {
  const data = readInterfacePointer(r, where);
  if (data === null) return r.ok ? null : undefined;
  const res = parseObjRef(data);
  problems.push(...res.problems);
  return res.objref;
}
