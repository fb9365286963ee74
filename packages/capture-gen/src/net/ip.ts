/**
 * Address parsing and the IPv4/IPv6 headers.
 *
 * IPv4 (RFC 791), 20 bytes, no options:
 *   ver/ihl u8 (0x45) | tos u8 | total_length u16 | id u16 | flags/frag u16 (DF=0x4000)
 *   ttl u8 | protocol u8 | header_checksum u16 | src[4] | dst[4]
 * IPv6 (RFC 8200), 40 bytes, no extension headers:
 *   ver/tc/flow u32 (0x6 << 28) | payload_length u16 | next_header u8 | hop_limit u8 | src[16] | dst[16]
 */
import { internetChecksum, sum16 } from './checksum.js';

export type IpVersion = 4 | 6;

export function parseIpv4(text: string): Uint8Array {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${text}`);
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const v = Number(parts[i]);
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new Error(`not an IPv4 address: ${text}`);
    out[i] = v;
  }
  return out;
}

export function parseIpv6(text: string): Uint8Array {
  const halves = text.split('::');
  if (halves.length > 2) throw new Error(`not an IPv6 address: ${text}`);
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) throw new Error(`not an IPv6 address: ${text}`);
  const groups = [...head, ...new Array<string>(missing).fill('0'), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = Number.parseInt(g, 16);
    if (!/^[0-9a-fA-F]{1,4}$/.test(g) || Number.isNaN(v)) throw new Error(`not an IPv6 address: ${text}`);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

export function ipVersionOf(text: string): IpVersion {
  return text.includes(':') ? 6 : 4;
}

export function parseIp(text: string): Uint8Array {
  return ipVersionOf(text) === 6 ? parseIpv6(text) : parseIpv4(text);
}

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export interface Ipv4Options {
  id: number;
  ttl?: number;
  dontFragment?: boolean;
}

export function ipv4Packet(
  src: Uint8Array,
  dst: Uint8Array,
  protocol: number,
  payload: Uint8Array,
  o: Ipv4Options,
): Uint8Array {
  const total = 20 + payload.length;
  if (total > 0xffff) throw new Error(`IPv4 packet too large: ${total}`);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  out[0] = 0x45;
  out[1] = 0;
  v.setUint16(2, total);
  v.setUint16(4, o.id & 0xffff);
  v.setUint16(6, o.dontFragment === false ? 0 : 0x4000);
  out[8] = o.ttl ?? 128;
  out[9] = protocol;
  out.set(src, 12);
  out.set(dst, 16);
  v.setUint16(10, internetChecksum(out.subarray(0, 20)));
  out.set(payload, 20);
  return out;
}

export function ipv6Packet(
  src: Uint8Array,
  dst: Uint8Array,
  nextHeader: number,
  payload: Uint8Array,
  hopLimit = 128,
): Uint8Array {
  if (payload.length > 0xffff) throw new Error(`IPv6 payload too large: ${payload.length}`);
  const out = new Uint8Array(40 + payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x60000000);
  v.setUint16(4, payload.length);
  out[6] = nextHeader;
  out[7] = hopLimit;
  out.set(src, 8);
  out.set(dst, 24);
  out.set(payload, 40);
  return out;
}

/** Sum of the transport pseudo-header (RFC 793 §3.1 for IPv4, RFC 8200 §8.1 for IPv6). */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  let s = sum16(src);
  s = sum16(dst, s);
  if (src.length === 4) return s + protocol + length;
  return s + (length >>> 16) + (length & 0xffff) + protocol;
}
