/**
 * Network: hosts, a deterministic clock and the frame list that becomes a capture file.
 *
 * Every generated frame is Ethernet II → IPv4/IPv6 → TCP/UDP with correct header and transport
 * checksums. Frames shorter than the Ethernet minimum (60 bytes without FCS) are padded with zeros,
 * as a capture taken on a switch port shows them: decoders must trust the IP total length,
 * not the frame length.
 */
import { IPPROTO_TCP, IPPROTO_UDP, ipVersionOf, ipv4Packet, ipv6Packet, parseIp } from '../net/ip.js';
import {
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ethernetFrame,
  parseMac,
  type TcpSegmentFields,
  tcpSegment,
  udpDatagram,
} from '../net/transport.js';
import type { CapturedFrame } from './pcap.js';

export interface Host {
  /** NetBIOS-style name, used in DCOM string bindings and NTLM workstation fields. */
  name: string;
  mac: string;
  ip: string;
}

/** 2024-03-12T09:15:00Z: every scenario starts here, so files are byte-identical between runs. */
export const DEFAULT_START_MICROS = Date.UTC(2024, 2, 12, 9, 15, 0) * 1000;

/** Default spacing between consecutive frames (µs). */
const FRAME_STEP_MICROS = 37;

export class Network {
  readonly frames: CapturedFrame[] = [];
  private nowMicros: number;
  private readonly ipIds = new Map<string, number>();

  constructor(startMicros = DEFAULT_START_MICROS) {
    this.nowMicros = startMicros;
  }

  get now(): number {
    return this.nowMicros;
  }

  /** Let time pass (think time, round trips, server processing). */
  advance(micros: number): void {
    this.nowMicros += Math.max(0, Math.round(micros));
  }

  private nextIpId(h: Host): number {
    const id = this.ipIds.get(h.ip) ?? (parseIp(h.ip).reduce((a, b) => (a * 31 + b) & 0xffff, 7) & 0x7fff) + 0x100;
    this.ipIds.set(h.ip, (id + 1) & 0xffff);
    return id;
  }

  private emitIp(src: Host, dst: Host, proto: number, l4: Uint8Array): void {
    const v = ipVersionOf(src.ip);
    if (v !== ipVersionOf(dst.ip)) throw new Error(`address family mismatch: ${src.ip} -> ${dst.ip}`);
    const s = parseIp(src.ip);
    const d = parseIp(dst.ip);
    const ip = v === 4 ? ipv4Packet(s, d, proto, l4, { id: this.nextIpId(src) }) : ipv6Packet(s, d, proto, l4);
    let frame = ethernetFrame(parseMac(dst.mac), parseMac(src.mac), v === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6, ip);
    if (frame.length < 60) {
      const padded = new Uint8Array(60);
      padded.set(frame);
      frame = padded;
    }
    this.frames.push({ tsMicros: this.nowMicros, data: frame });
    this.nowMicros += FRAME_STEP_MICROS;
  }

  tcp(src: Host, dst: Host, fields: TcpSegmentFields): void {
    const seg = tcpSegment(parseIp(src.ip), parseIp(dst.ip), fields);
    this.emitIp(src, dst, IPPROTO_TCP, seg);
  }

  udp(src: Host, dst: Host, srcPort: number, dstPort: number, payload: Uint8Array): void {
    const dg = udpDatagram(parseIp(src.ip), parseIp(dst.ip), srcPort, dstPort, payload);
    this.emitIp(src, dst, IPPROTO_UDP, dg);
  }
}
