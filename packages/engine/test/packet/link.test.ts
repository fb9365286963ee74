import { describe, expect, it } from 'vitest';
import { PacketDecoder } from '../../src/packet/decoder.js';
import type { DecodedPacket } from '../../src/packet/types.js';
import { ethernet, frame, ipv4, ipv6, MAC_A, PAYLOAD, tcp, u16, u32 } from './frames.js';

const V4 = ipv4({ payload: tcp({ payload: PAYLOAD }) });
const V6 = ipv6({ next: 6, payload: tcp({ payload: PAYLOAD }) });

function decodeOk(linkType: number, bytes: number[]): DecodedPacket {
  const d = new PacketDecoder();
  const p = d.decode(frame(linkType, bytes));
  if (typeof p === 'string') throw new Error(`expected a packet, got ${p}`);
  return p;
}

function expectV4(p: DecodedPacket) {
  expect(p.ipVersion).toBe(4);
  expect([p.srcIp, p.srcPort, p.dstIp, p.dstPort, p.proto]).toEqual(['192.0.2.1', 49152, '198.51.100.2', 135, 6]);
  expect(Array.from(p.payload)).toEqual(PAYLOAD);
}

function expectV6(p: DecodedPacket) {
  expect(p.ipVersion).toBe(6);
  expect([p.srcIp, p.dstIp, p.proto]).toEqual(['2001:db8::1', '2001:db8::1:0:0:2', 6]);
  expect(Array.from(p.payload)).toEqual(PAYLOAD);
}

function problem(linkType: number, bytes: number[]): string {
  const p = new PacketDecoder().decode(frame(linkType, bytes));
  return typeof p === 'string' ? p : 'decoded';
}

describe('link layers', () => {
  it('Ethernet II (1) with IPv4 and IPv6', () => {
    expectV4(decodeOk(1, ethernet(0x0800, V4)));
    expectV6(decodeOk(1, ethernet(0x86dd, V6)));
  });

  it('802.1Q, 802.1ad and QinQ stacks (0x8100, 0x88a8, 0x9100) of any order', () => {
    expectV4(decodeOk(1, ethernet(0x0800, V4, [[0x8100, 100]])));
    expectV4(
      decodeOk(
        1,
        ethernet(0x0800, V4, [
          [0x88a8, 10],
          [0x8100, 20],
        ]),
      ),
    );
    expectV6(
      decodeOk(
        1,
        ethernet(0x86dd, V6, [
          [0x9100, 1],
          [0x9100, 2],
          [0x8100, 3],
        ]),
      ),
    );
    // a tag cut off inside its 4 bytes
    expect(problem(1, [...ethernet(0x8100, []).slice(0, 14), 0, 5])).toBe('truncated_link');
    // tags without end
    const loop = ethernet(
      0x8100,
      [],
      Array.from({ length: 12 }, () => [0x8100, 1] as [number, number]),
    );
    expect(problem(1, loop)).toBe('unsupported_ethertype');
  });

  it('PPPoE session, MPLS and 802.3 LLC/SNAP frames carrying IP', () => {
    const pppoe = [0x11, 0x00, ...u16(0x0042), ...u16(V4.length + 2), ...u16(0x0021), ...V4];
    expectV4(decodeOk(1, ethernet(0x8864, pppoe)));
    const pppoe6 = [0x11, 0x00, ...u16(0x0042), ...u16(V6.length + 2), ...u16(0x0057), ...V6];
    expectV6(decodeOk(1, ethernet(0x8864, pppoe6)));
    // two MPLS labels, the second with the bottom-of-stack bit
    const mpls = [...u32((100 << 12) | 64), ...u32((200 << 12) | 0x100 | 64), ...V4];
    expectV4(decodeOk(1, ethernet(0x8847, mpls)));
    const snap = [0xaa, 0xaa, 0x03, 0, 0, 0, ...u16(0x0800), ...V4];
    expectV4(decodeOk(1, ethernet(snap.length, snap)));
    // plain 802.2 LLC (spanning tree) is not IP
    expect(problem(1, ethernet(38, [0x42, 0x42, 0x03, ...new Array(35).fill(0)]))).toBe('unsupported_ethertype');
  });

  it('non-IP Ethernet types and short frames are counted, not thrown', () => {
    const d = new PacketDecoder();
    expect(d.decode(frame(1, ethernet(0x0806, new Array(28).fill(0))))).toBe('unsupported_ethertype'); // ARP
    expect(d.decode(frame(1, [1, 2, 3]))).toBe('truncated_link');
    expect(d.decode(frame(1, []))).toBe('truncated_link');
    expect(d.decode(frame(147, V4))).toBe('unsupported_linktype');
    expect(d.problems.unsupported_ethertype).toBe(1);
    expect(d.problems.truncated_link).toBe(2);
    expect(d.problems.unsupported_linktype).toBe(1);
    expect(d.frames).toBe(4);
    expect(d.decoded).toBe(0);
  });

  it('Linux cooked capture SLL (113)', () => {
    const sll = (proto: number, payload: number[]) => [
      ...u16(0), // packet type: to us
      ...u16(1), // ARPHRD_ETHER
      ...u16(6),
      ...MAC_A,
      0,
      0,
      ...u16(proto),
      ...payload,
    ];
    expectV4(decodeOk(113, sll(0x0800, V4)));
    expectV6(decodeOk(113, sll(0x86dd, V6)));
    expectV4(decodeOk(113, sll(0x8100, [...u16(7), ...u16(0x0800), ...V4]))); // VLAN tag kept by the "any" device
    expect(problem(113, sll(0x0800, V4).slice(0, 15))).toBe('truncated_link');
  });

  it('Linux cooked capture SLL2 (276)', () => {
    const sll2 = (proto: number, payload: number[]) => [
      ...u16(proto),
      0,
      0,
      ...u32(3), // ifindex
      ...u16(1), // ARPHRD_ETHER
      4, // outgoing
      6,
      ...MAC_A,
      0,
      0,
      ...payload,
    ];
    expectV4(decodeOk(276, sll2(0x0800, V4)));
    expectV6(decodeOk(276, sll2(0x86dd, V6)));
    expect(problem(276, sll2(0x0800, V4).slice(0, 19))).toBe('truncated_link');
  });

  it('raw IP: 101, 12 and 14 by version nibble; 228 IPv4 only; 229 IPv6 only', () => {
    for (const lt of [101, 12, 14]) {
      expectV4(decodeOk(lt, V4));
      expectV6(decodeOk(lt, V6));
    }
    expect(problem(101, [0x50, ...V4.slice(1)])).toBe('unsupported_ethertype');
    expectV4(decodeOk(228, V4));
    expectV6(decodeOk(229, V6));
    // a link type that promises IPv4 but carries IPv6 has a bad IP header
    expect(problem(228, V6)).toBe('bad_ip_header');
  });

  it('BSD null (0) and OpenBSD loop (108): address family in either byte order, every AF_INET6 value', () => {
    const le = (af: number) => [af & 0xff, 0, 0, 0];
    const be = (af: number) => [0, 0, 0, af & 0xff];
    for (const lt of [0, 108]) {
      expectV4(decodeOk(lt, [...le(2), ...V4]));
      expectV4(decodeOk(lt, [...be(2), ...V4]));
      for (const af of [24, 28, 30]) {
        expectV6(decodeOk(lt, [...le(af), ...V6]));
        expectV6(decodeOk(lt, [...be(af), ...V6]));
      }
      expect(problem(lt, [...le(7), ...V4])).toBe('unsupported_ethertype');
      expect(problem(lt, [2, 0])).toBe('truncated_link');
    }
  });
});
