/**
 * TCP and UDP segments with valid checksums, plus Ethernet II framing.
 *
 * TCP (RFC 9293):
 *   src_port u16 | dst_port u16 | seq u32 | ack u32 | data_offset(4)/reserved(4) u8 | flags u8
 *   window u16 | checksum u16 | urgent u16 | options (padded to 4) | payload
 * Options emitted here: MSS (kind 2, len 4), NOP (1), window scale (kind 3, len 3),
 * SACK-permitted (kind 4, len 2) — the set Windows puts on a SYN.
 * UDP (RFC 768): src u16 | dst u16 | length u16 | checksum u16 | payload.
 * Ethernet II: dst[6] | src[6] | ethertype u16 (0x0800 IPv4, 0x86dd IPv6).
 */
import { finish, sum16 } from './checksum.js';
import { IPPROTO_TCP, IPPROTO_UDP, pseudoHeaderSum } from './ip.js';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

export interface TcpOptions {
  mss?: number;
  windowScale?: number;
  sackPermitted?: boolean;
}

export interface TcpSegmentFields {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  options?: TcpOptions;
  payload: Uint8Array;
}

function encodeOptions(o: TcpOptions | undefined): Uint8Array {
  if (!o) return new Uint8Array(0);
  const bytes: number[] = [];
  if (o.mss !== undefined) bytes.push(2, 4, (o.mss >> 8) & 0xff, o.mss & 0xff);
  if (o.windowScale !== undefined) bytes.push(1, 3, 3, o.windowScale & 0xff);
  if (o.sackPermitted) bytes.push(1, 1, 4, 2);
  while (bytes.length % 4 !== 0) bytes.push(0);
  return Uint8Array.from(bytes);
}

export function tcpSegment(src: Uint8Array, dst: Uint8Array, f: TcpSegmentFields): Uint8Array {
  const opts = encodeOptions(f.options);
  const hlen = 20 + opts.length;
  const out = new Uint8Array(hlen + f.payload.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, f.srcPort);
  v.setUint16(2, f.dstPort);
  v.setUint32(4, f.seq >>> 0);
  v.setUint32(8, f.ack >>> 0);
  out[12] = (hlen / 4) << 4;
  out[13] = f.flags;
  v.setUint16(14, f.window);
  out.set(opts, 20);
  out.set(f.payload, hlen);
  const ck = finish(sum16(out, pseudoHeaderSum(src, dst, IPPROTO_TCP, out.length)));
  v.setUint16(16, ck);
  return out;
}

export function udpDatagram(
  src: Uint8Array,
  dst: Uint8Array,
  srcPort: number,
  dstPort: number,
  payload: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, srcPort);
  v.setUint16(2, dstPort);
  v.setUint16(4, out.length);
  out.set(payload, 8);
  let ck = finish(sum16(out, pseudoHeaderSum(src, dst, IPPROTO_UDP, out.length)));
  if (ck === 0) ck = 0xffff; // RFC 768: a computed zero is sent as all ones
  v.setUint16(6, ck);
  return out;
}

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;

export function parseMac(text: string): Uint8Array {
  const parts = text.split(':');
  if (parts.length !== 6) throw new Error(`not a MAC address: ${text}`);
  return Uint8Array.from(parts.map((p) => Number.parseInt(p, 16)));
}

export function ethernetFrame(dst: Uint8Array, src: Uint8Array, ethertype: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(14 + payload.length);
  out.set(dst, 0);
  out.set(src, 6);
  out[12] = ethertype >> 8;
  out[13] = ethertype & 0xff;
  out.set(payload, 14);
  return out;
}
