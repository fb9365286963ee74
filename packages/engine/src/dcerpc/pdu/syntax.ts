/**
 * p_syntax_id_t (C706 12.6.3.1): { if_uuid[16] | if_version u32 } — 20 bytes, used for abstract and transfer
 * syntaxes in bind/alter_context and for the transfer syntax in each bind_ack result.
 *
 * if_version is one u32 in the PDU's byte order with the major version in the low 16 bits and the minor in the high
 * 16 bits (C706; the DCE runtime's RPC_IF_VERS_MAJOR/MINOR macros; Wireshark reads minor first in big-endian PDUs).
 * In a little-endian PDU this is the familiar `major u16, minor u16`; in a big-endian PDU the minor comes first.
 */
import { readU32 } from '../bytes.js';
import { readUuidString } from '../uuid.js';

export const SYNTAX_LENGTH = 20;

export interface SyntaxId {
  /** Canonical lower-case UUID string. */
  readonly uuid: string;
  readonly verMajor: number;
  readonly verMinor: number;
}

export function readSyntax(b: Uint8Array, off: number, le: boolean): SyntaxId {
  const v = readU32(b, off + 16, le);
  return { uuid: readUuidString(b, off, le), verMajor: v & 0xffff, verMinor: v >>> 16 };
}
