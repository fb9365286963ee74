/**
 * Frame builders for decoder tests, written from the RFC layouts. Checksums are left zero: the decoder does not check
 * them (captures from the sending host carry checksums the NIC has not filled in yet).
 */
import type { RawFrame } from '../../src/capture/types.js';

export const u16 = (v: number) => [(v >> 8) & 0xff, v & 0xff];
export const u32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

export function ip4(text: string): number[] {
  return text.split('.').map(Number);
}

/** Full 16-byte IPv6 address from 8 group values. */
export function ip6(...groups: number[]): number[] {
  return groups.flatMap((g) => u16(g));
}

export const MAC_A = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
export const MAC_B = [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb];

export function ethernet(type: number, payload: number[], tags: [number, number][] = []): number[] {
  // tags: [tpid, vid] outermost first
  const out = [...MAC_B, ...MAC_A];
  for (const [tpid, vid] of tags) out.push(...u16(tpid), ...u16(vid));
  out.push(...u16(type), ...payload);
  return out;
}

export interface Ipv4Spec {
  src?: string;
  dst?: string;
  proto?: number;
  id?: number;
  /** raw flags|offset word (MF 0x2000, offset in 8-byte units) */
  frag?: number;
  options?: number[];
  payload: number[];
  /** Overrides the computed total length. */
  totalLength?: number;
  ihl?: number;
  version?: number;
}

export function ipv4(s: Ipv4Spec): number[] {
  const opts = s.options ?? [];
  const ihl = s.ihl ?? 5 + opts.length / 4;
  const total = s.totalLength ?? 20 + opts.length + s.payload.length;
  return [
    ((s.version ?? 4) << 4) | ihl,
    0,
    ...u16(total),
    ...u16(s.id ?? 0x1234),
    ...u16(s.frag ?? 0x4000),
    64,
    s.proto ?? 6,
    0,
    0,
    ...ip4(s.src ?? '192.0.2.1'),
    ...ip4(s.dst ?? '198.51.100.2'),
    ...opts,
    ...s.payload,
  ];
}

export interface Ipv6Spec {
  src?: number[];
  dst?: number[];
  next: number;
  /** Extension headers and transport, already serialised. */
  payload: number[];
  payloadLength?: number;
}

export const V6_SRC = ip6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
export const V6_DST = ip6(0x2001, 0xdb8, 0, 0, 1, 0, 0, 2);

export function ipv6(s: Ipv6Spec): number[] {
  return [
    0x60,
    0,
    0,
    0,
    ...u16(s.payloadLength ?? s.payload.length),
    s.next,
    64,
    ...(s.src ?? V6_SRC),
    ...(s.dst ?? V6_DST),
    ...s.payload,
  ];
}

/** Hop-by-hop / routing / destination options header: next, hdr ext len, then (len+1)*8-2 bytes. */
export function extHeader(next: number, lenUnits = 0): number[] {
  const body = new Array((lenUnits + 1) * 8 - 2).fill(0);
  body[0] = 1; // PadN-ish filler
  return [next, lenUnits, ...body];
}

/** Authentication header: next, payload len (in 4-byte units minus 2), reserved, SPI, sequence, ICV (12 bytes). */
export function ah(next: number): number[] {
  return [next, 4, 0, 0, ...u32(0x100), ...u32(1), ...new Array(12).fill(0xab)];
}

export function fragHeader(next: number, offset: number, more: boolean, id: number): number[] {
  return [next, 0, ...u16((offset & 0xfff8) | (more ? 1 : 0)), ...u32(id)];
}

export interface TcpSpec {
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  flags?: number;
  window?: number;
  options?: number[];
  payload?: number[];
  /** Overrides the data offset nibble. */
  doff?: number;
}

export function tcp(s: TcpSpec = {}): number[] {
  const opts = s.options ?? [];
  const doff = s.doff ?? 5 + Math.ceil(opts.length / 4);
  const padded = [...opts];
  while (padded.length % 4 !== 0) padded.push(0);
  return [
    ...u16(s.sport ?? 49152),
    ...u16(s.dport ?? 135),
    ...u32(s.seq ?? 1000),
    ...u32(s.ack ?? 0),
    doff << 4,
    s.flags ?? 0x18,
    ...u16(s.window ?? 8192),
    0,
    0,
    0,
    0,
    ...padded,
    ...(s.payload ?? []),
  ];
}

export function udp(sport: number, dport: number, payload: number[], length?: number): number[] {
  return [...u16(sport), ...u16(dport), ...u16(length ?? 8 + payload.length), 0, 0, ...payload];
}

export function frame(linkType: number, bytes: number[], tsUs = 1_600_000_000_000_000, origLen?: number): RawFrame {
  return { tsUs, linkType, data: Uint8Array.from(bytes), origLen: origLen ?? bytes.length, ifIndex: 0, fileOffset: 0 };
}

export const PAYLOAD = Array.from(new TextEncoder().encode('DCE/RPC bytes'));
