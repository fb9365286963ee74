/**
 * IObjectExporter (IOXIDResolver) stubs, MS-DCOM 3.1.2.5.1. This is a native RPC interface (no ORPCTHIS).
 *
 * ServerAlive2 (opnum 5)
 *   in:  (no parameters)
 *   out: pComVersion { u16, u16 } | ppdsaOrBindings (ptr -> DUALSTRINGARRAY) | pReserved u32 | error_status_t
 * ResolveOxid2 (opnum 4)
 *   in:  pOxid u64 | cRequestedProtseqs u16 | arRequestedProtseqs: max_count u32, u16[]
 *   out: ppdsaOxidBindings (ptr -> DUALSTRINGARRAY) | pipidRemUnknown GUID | pAuthnHint u32
 *        | pComVersion { u16, u16 } | error_status_t
 */
import { NdrWriter } from '../ndr/ndr-writer.js';
import { type DualStringArray, writeDualStringArray } from './orpc.js';

export function serverAlive2Request(): Uint8Array {
  return new Uint8Array(0);
}

export function serverAlive2Response(le: boolean, bindings: DualStringArray): Uint8Array {
  const w = new NdrWriter(le);
  w.a16(5).a16(7);
  w.pointer();
  writeDualStringArray(w, bindings);
  w.a32(0); // pReserved
  w.a32(0); // error_status_t
  return w.toBytes();
}

export function resolveOxid2Request(le: boolean, oxid: bigint, protseqs: number[] = [7]): Uint8Array {
  const w = new NdrWriter(le);
  w.a64(oxid);
  w.a16(protseqs.length);
  w.a32(protseqs.length);
  for (const p of protseqs) w.u16(p);
  return w.toBytes();
}

export function resolveOxid2Response(
  le: boolean,
  bindings: DualStringArray,
  ipidRemUnknown: string,
  authnHint: number,
): Uint8Array {
  const w = new NdrWriter(le);
  w.pointer();
  writeDualStringArray(w, bindings);
  w.guid(ipidRemUnknown);
  w.a32(authnHint);
  w.a16(5).a16(7);
  w.a32(0);
  return w.toBytes();
}
