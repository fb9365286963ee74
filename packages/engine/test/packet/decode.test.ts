import { describe, expect, it } from 'vitest';
import { AddressCache, formatIPv6 } from '../../src/packet/address.js';
import { DECODE_PROBLEMS, decodeFrame, newDecodedPacket, PacketDecoder } from '../../src/packet/decoder.js';
import { TCP_ACK, TCP_SYN } from '../../src/packet/types.js';
import { ah, ethernet, extHeader, fragHeader, frame, ip6, ipv4, ipv6, PAYLOAD, tcp, u16, u32, udp } from './frames.js';

function ok(d: PacketDecoder, bytes: number[], linkType = 1) {
  const p = d.decode(frame(linkType, bytes));
  if (typeof p === 'string') throw new Error(`expected a packet, got ${p}`);
  return p;
}

describe('IPv4', () => {
  it('skips options, trims Ethernet padding and FCS by the total length', () => {
    const d = new PacketDecoder();
    const ip = ipv4({ options: [0x94, 0x04, 0, 0, 0x01, 0x01, 0x01, 0x00], payload: tcp({ payload: [1, 2, 3] }) });
    const padded = [...ethernet(0x0800, ip), ...new Array(10).fill(0), 0xde, 0xad, 0xbe, 0xef];
    const p = ok(d, padded);
    expect(Array.from(p.payload)).toEqual([1, 2, 3]);
    expect(p.wireLen).toBe(padded.length);
  });

  it('total length 0 (segmentation offload on the capturing host) uses the captured bytes', () => {
    const p = ok(new PacketDecoder(), ethernet(0x0800, ipv4({ totalLength: 0, payload: tcp({ payload: PAYLOAD }) })));
    expect(Array.from(p.payload)).toEqual(PAYLOAD);
  });

  it('a length beyond the captured bytes (snaplen) decodes what is there and is counted', () => {
    const d = new PacketDecoder();
    const bytes = ethernet(0x0800, ipv4({ totalLength: 1500, payload: tcp({ payload: PAYLOAD }) }));
    const p = d.decode(frame(1, bytes, 0, 1514));
    expect(typeof p).toBe('object');
    expect(Array.from((p as { payload: Uint8Array }).payload)).toEqual(PAYLOAD);
    expect(d.shortPayloads).toBe(1);
  });

  it('bad and truncated headers', () => {
    const d = new PacketDecoder();
    const good = ipv4({ payload: tcp() });
    expect(d.decode(frame(1, ethernet(0x0800, good.slice(0, 19))))).toBe('truncated_ip');
    expect(d.decode(frame(1, ethernet(0x0800, ipv4({ ihl: 4, payload: tcp() }))))).toBe('bad_ip_header');
    expect(d.decode(frame(1, ethernet(0x0800, ipv4({ ihl: 15, payload: [] }))))).toBe('truncated_ip');
    expect(d.decode(frame(1, ethernet(0x0800, ipv4({ totalLength: 12, payload: tcp() }))))).toBe('bad_ip_header');
    expect(d.decode(frame(1, ethernet(0x0800, ipv4({ version: 5, payload: tcp() }))))).toBe('bad_ip_header');
    expect(d.problems.truncated_ip).toBe(2);
    expect(d.problems.bad_ip_header).toBe(3);
  });

  it('other protocols are delivered with ports 0 and their payload (ICMP)', () => {
    const icmp = [8, 0, 0, 0, ...u16(1), ...u16(1), 0x61, 0x62];
    const p = ok(new PacketDecoder(), ethernet(0x0800, ipv4({ proto: 1, payload: icmp })));
    expect([p.proto, p.srcPort, p.dstPort, p.tcp]).toEqual([1, 0, 0, undefined]);
    expect(Array.from(p.payload)).toEqual(icmp);
  });
});

describe('IPv6', () => {
  it('walks hop-by-hop, routing, destination options and AH to TCP', () => {
    const payload = [
      ...extHeader(43, 0), // hop-by-hop → routing
      ...extHeader(60, 1), // routing (16 bytes) → destination options
      ...extHeader(51, 0), // destination options → AH
      ...ah(6),
      ...tcp({ sport: 445, dport: 50000, payload: PAYLOAD }),
    ];
    const p = ok(new PacketDecoder(), ethernet(0x86dd, ipv6({ next: 0, payload })));
    expect([p.proto, p.srcPort, p.dstPort]).toEqual([6, 445, 50000]);
    expect(Array.from(p.payload)).toEqual(PAYLOAD);
  });

  it('stops at ESP (opaque payload) and at no-next-header', () => {
    const esp = [...u32(0x1000), ...u32(7), 0xaa, 0xbb, 0xcc];
    const d = new PacketDecoder();
    const p = ok(d, ethernet(0x86dd, ipv6({ next: 60, payload: [...extHeader(50, 0), ...esp] })));
    expect([p.proto, p.srcPort, p.dstPort]).toEqual([50, 0, 0]);
    expect(Array.from(p.payload)).toEqual(esp);
    const none = ok(d, ethernet(0x86dd, ipv6({ next: 59, payload: [] })));
    expect([none.proto, none.payload.length]).toEqual([59, 0]);
  });

  it('an atomic fragment (offset 0, no more fragments) is not reassembled', () => {
    const d = new PacketDecoder();
    const p = ok(
      d,
      ethernet(0x86dd, ipv6({ next: 44, payload: [...fragHeader(17, 0, false, 9), ...udp(53, 5353, [1])] })),
    );
    expect([p.proto, p.srcPort, p.dstPort]).toEqual([17, 53, 5353]);
    expect(d.fragments.stats.fragments).toBe(0);
  });

  it('trims Ethernet padding by the payload length; truncated and runaway headers are counted', () => {
    const d = new PacketDecoder();
    const ip = ipv6({ next: 17, payload: udp(1, 2, [9]) });
    expect(Array.from(ok(d, [...ethernet(0x86dd, ip), 0, 0, 0, 0]).payload)).toEqual([9]);
    expect(d.decode(frame(1, ethernet(0x86dd, ip.slice(0, 39))))).toBe('truncated_ip');
    // a destination options header claiming 64 bytes in a 16-byte payload
    expect(
      d.decode(
        frame(1, ethernet(0x86dd, ipv6({ next: 60, payload: [...extHeader(17, 0).slice(0, 1), 7, 0, 0, 0, 0, 0, 0] }))),
      ),
    ).toBe('truncated_ip');
    // 40 chained destination-options headers: more than anyone sends
    const chain: number[] = [];
    for (let i = 0; i < 40; i++) chain.push(...extHeader(60, 0));
    expect(d.decode(frame(1, ethernet(0x86dd, ipv6({ next: 60, payload: chain }))))).toBe('bad_ip_header');
  });
});

describe('TCP and UDP', () => {
  it('reads the header fields and the SYN options (MSS, window scale, SACK-permitted, timestamps)', () => {
    const d = new PacketDecoder();
    const options = [
      ...[2, 4, ...u16(1460)], // MSS
      1, // NOP
      ...[3, 3, 8], // window scale 8
      ...[4, 2], // SACK permitted
      ...[8, 10, ...u32(12345), ...u32(0)], // timestamps
      0, // EOL
    ];
    const seg = tcp({
      sport: 50000,
      dport: 135,
      seq: 0xfffffff0,
      ack: 0x80000001,
      flags: TCP_SYN | TCP_ACK,
      window: 65535,
      options,
    });
    const p = ok(d, ethernet(0x0800, ipv4({ payload: seg })));
    expect(p.tcp).toEqual({ seq: 0xfffffff0, ack: 0x80000001, flags: 0x12, window: 65535, wscale: 8, mss: 1460 });
    expect(p.payload.length).toBe(0);
    // the next packet has no options: nothing carried over from the reused header object
    const q = ok(d, ethernet(0x0800, ipv4({ payload: tcp({ payload: PAYLOAD }) })));
    expect(q.tcp?.mss).toBeUndefined();
    expect(q.tcp?.wscale).toBeUndefined();
    expect(Array.from(q.payload)).toEqual(PAYLOAD);
    expect(d.tcpOptionErrors).toBe(0);
  });

  it('caps the window scale at 14 (RFC 7323) and survives malformed options', () => {
    const d = new PacketDecoder();
    const big = ok(d, ethernet(0x0800, ipv4({ payload: tcp({ options: [3, 3, 30] }) })));
    expect(big.tcp?.wscale).toBe(14);
    // option length 0, then a length running past the header: counted, the packet still decodes
    const bad1 = ok(d, ethernet(0x0800, ipv4({ payload: tcp({ options: [2, 0, 0, 0], payload: [7] }) })));
    expect(Array.from(bad1.payload)).toEqual([7]);
    ok(d, ethernet(0x0800, ipv4({ payload: tcp({ options: [1, 1, 8, 40] }) })));
    ok(d, ethernet(0x0800, ipv4({ payload: tcp({ options: [2, 3, 5, 0] }) }))); // MSS of the wrong length
    expect(d.tcpOptionErrors).toBe(3);
  });

  it('data offset sanity and short segments', () => {
    const d = new PacketDecoder();
    expect(d.decode(frame(1, ethernet(0x0800, ipv4({ payload: tcp({ doff: 4 }) }))))).toBe('bad_tcp_header');
    expect(d.decode(frame(1, ethernet(0x0800, ipv4({ payload: tcp({ doff: 15 }) }))))).toBe('bad_tcp_header');
    expect(d.decode(frame(1, ethernet(0x0800, ipv4({ payload: tcp().slice(0, 19) }))))).toBe('truncated_transport');
    expect(d.problems.bad_tcp_header).toBe(2);
    expect(d.problems.truncated_transport).toBe(1);
  });

  it('UDP: ports, length trimming, jumbogram length 0, lying lengths', () => {
    const d = new PacketDecoder();
    const p = ok(d, ethernet(0x0800, ipv4({ proto: 17, payload: [...udp(137, 138, [1, 2, 3]), 0, 0] })));
    expect([p.proto, p.srcPort, p.dstPort, p.tcp, Array.from(p.payload)]).toEqual([17, 137, 138, undefined, [1, 2, 3]]);
    expect(Array.from(ok(d, ethernet(0x0800, ipv4({ proto: 17, payload: udp(1, 2, [5, 6], 0) }))).payload)).toEqual([
      5, 6,
    ]);
    expect(d.decode(frame(1, ethernet(0x0800, ipv4({ proto: 17, payload: udp(1, 2, [5], 4) }))))).toBe(
      'bad_udp_header',
    );
    expect(d.decode(frame(1, ethernet(0x0800, ipv4({ proto: 17, payload: [0, 1, 0] }))))).toBe('truncated_transport');
    expect(Array.from(ok(d, ethernet(0x0800, ipv4({ proto: 17, payload: udp(1, 2, [5], 100) }))).payload)).toEqual([5]);
    expect(d.shortPayloads).toBe(1);
  });
});

describe('decoder object', () => {
  it('counts every problem kind it can return, and returns its own packet object unless given one', () => {
    const d = new PacketDecoder();
    expect(Object.keys(d.problems).sort()).toEqual([...DECODE_PROBLEMS].sort());
    const a = ok(d, ethernet(0x0800, ipv4({ payload: tcp() })));
    const b = ok(d, ethernet(0x0800, ipv4({ payload: tcp() })));
    expect(a).toBe(b);
    expect(a).toBe(d.packet);
    const mine = newDecodedPacket();
    const c = d.decode(frame(1, ethernet(0x0800, ipv4({ src: '10.0.0.1', payload: tcp({ seq: 77 }) }))), mine);
    expect(c).toBe(mine);
    expect(mine.tcp?.seq).toBe(77);
    expect(d.packet.tcp?.seq).toBe(1000);
    expect(d.frames).toBe(3);
    expect(d.decoded).toBe(3);
  });

  it('decodeFrame: one-off decoding', () => {
    const p = decodeFrame(frame(101, ipv4({ payload: tcp({ dport: 445 }) })));
    expect(typeof p === 'object' && p.dstPort).toBe(445);
  });
});

describe('address text', () => {
  it('formats IPv6 per RFC 5952', () => {
    const f = (groups: number[]) => formatIPv6(Uint8Array.from(ip6(...groups)), 0);
    expect(f([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])).toBe('2001:db8::1');
    expect(f([0, 0, 0, 0, 0, 0, 0, 0])).toBe('::');
    expect(f([0, 0, 0, 0, 0, 0, 0, 1])).toBe('::1');
    expect(f([0xfe80, 0, 0, 0, 0x20c, 0x29ff, 0xfe12, 0x3456])).toBe('fe80::20c:29ff:fe12:3456');
    expect(f([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1])).toBe('2001:db8:0:1:1:1:1:1'); // a single zero group stays (§4.2.2)
    expect(f([0x2001, 0, 0, 1, 0, 0, 0, 1])).toBe('2001:0:0:1::1'); // the longest run (§4.2.3)
    expect(f([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1])).toBe('2001:db8::1:0:0:1'); // the first of equal runs
    expect(f([0x2001, 0xdb8, 0xaaaa, 0xbbbb, 0xcccc, 0xdddd, 0xeeee, 0])).toBe('2001:db8:aaaa:bbbb:cccc:dddd:eeee:0');
    expect(f([0xabcd, 0, 0, 0, 0, 0, 0, 0])).toBe('abcd::');
    expect(f([0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201])).toBe('::ffff:192.0.2.1'); // IPv4-mapped (§5)
  });

  it('the cache returns the same string for the same address and the right one after a collision', () => {
    const c = new AddressCache();
    const a = Uint8Array.of(10, 1, 2, 3);
    const s1 = c.ipv4(a, 0);
    expect(s1).toBe('10.1.2.3');
    expect(c.ipv4(Uint8Array.of(10, 1, 2, 3), 0)).toBe(s1);
    expect(c.hits).toBe(1);
    // 5000 distinct addresses through 4096 slots: every answer must still be right
    for (let i = 0; i < 5000; i++) {
      const b = Uint8Array.of(172, 16, i >> 8, i & 0xff);
      expect(c.ipv4(b, 0)).toBe(`172.16.${i >> 8}.${i & 0xff}`);
    }
    for (let i = 0; i < 3000; i++) {
      const b = Uint8Array.from(ip6(0x2001, 0xdb8, 0, 0, 0, 0, i >> 4, i & 15));
      expect(c.ipv6(b, 0)).toBe(formatIPv6(b, 0));
    }
  });
});
