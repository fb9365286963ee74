import { describe, expect, it } from 'vitest';
import type { RawFrame } from '../../src/capture/types.js';
import { PacketDecoder } from '../../src/packet/decoder.js';
import { ethernet, extHeader, fragHeader, frame, ipv4, ipv6, tcp, udp } from './frames.js';

// A UDP datagram of 8 + 2992 bytes, cut into IPv4 fragments of 1000 / 1000 / 1000 bytes of IP payload.
const DATA = Array.from({ length: 2992 }, (_, i) => (i * 7) & 0xff);
const DGRAM = udp(5000, 6000, DATA);

function v4frag(
  offset: number,
  len: number,
  more: boolean,
  opts: { id?: number; bytes?: number[]; ts?: number } = {},
): RawFrame {
  const bytes = opts.bytes ?? DGRAM.slice(offset, offset + len);
  const ip = ipv4({ proto: 17, id: opts.id ?? 7, frag: (more ? 0x2000 : 0) | (offset >> 3), payload: bytes });
  return frame(1, ethernet(0x0800, ip), opts.ts ?? 1_000_000);
}

function expectDatagram(p: unknown, data = DATA) {
  if (typeof p === 'string') throw new Error(`expected a packet, got ${p}`);
  const pk = p as { proto: number; srcPort: number; dstPort: number; payload: Uint8Array };
  expect([pk.proto, pk.srcPort, pk.dstPort]).toEqual([17, 5000, 6000]);
  expect(Array.from(pk.payload)).toEqual(data);
}

describe('IPv4 fragment reassembly', () => {
  it('in order', () => {
    const d = new PacketDecoder();
    expect(d.decode(v4frag(0, 1000, true))).toBe('ip_fragment_pending');
    expect(d.decode(v4frag(1000, 1000, true))).toBe('ip_fragment_pending');
    const last = v4frag(2000, 1000, false);
    const p = d.decode(last);
    expectDatagram(p);
    expect(d.problems.ip_fragment_pending).toBe(2);
    expect(d.fragments.stats).toMatchObject({ fragments: 3, reassembled: 1, overlaps: 0 });
    expect(d.fragments.pendingCount).toBe(0);
    expect(d.fragments.bufferedBytes).toBe(0);
    // the packet's wire length covers the three frames
    expect((p as { wireLen: number }).wireLen).toBe(3 * last.origLen);
  });

  it('out of order, interleaved with another datagram', () => {
    const d = new PacketDecoder();
    const other = udp(1, 2, [9, 9, 9, 9, 9, 9, 9, 9]);
    expect(d.decode(v4frag(2000, 1000, false))).toBe('ip_fragment_pending');
    expect(d.decode(v4frag(0, 8, true, { id: 8, bytes: other.slice(0, 8) }))).toBe('ip_fragment_pending');
    expect(d.decode(v4frag(1000, 1000, true))).toBe('ip_fragment_pending');
    expectDatagram(d.decode(v4frag(0, 1000, true)));
    const p = d.decode(v4frag(8, 8, false, { id: 8, bytes: other.slice(8) }));
    expect(typeof p === 'object' && Array.from(p.payload)).toEqual([9, 9, 9, 9, 9, 9, 9, 9]);
    expect(d.fragments.stats.reassembled).toBe(2);
  });

  it('overlapping fragments: the bytes that arrived first win', () => {
    const d = new PacketDecoder();
    // [0,1000) real; then [800,1800) whose first 200 bytes disagree (0xff); then [1600,3000) real.
    const forged = [...new Array(200).fill(0xff), ...DGRAM.slice(1000, 1800)];
    d.decode(v4frag(0, 1000, true));
    d.decode(v4frag(800, 1000, true, { bytes: forged }));
    const p = d.decode(v4frag(1600, 1400, false));
    expectDatagram(p); // 800..1000 kept from the first fragment, 1000..1800 taken from the second
    expect(d.fragments.stats.overlaps).toBe(2);
  });

  it('a fragment that overwrites everything already received changes nothing', () => {
    const d = new PacketDecoder();
    d.decode(v4frag(1000, 1000, true));
    d.decode(v4frag(0, 2000, true, { bytes: new Array(2000).fill(0xee) }));
    const p = d.decode(v4frag(2000, 1000, false));
    if (typeof p === 'string') throw new Error(p);
    expect(Array.from(p.payload.subarray(992, 1992))).toEqual(DATA.slice(992, 1992)); // DGRAM[1000,2000) are DATA[992,1992)
    expect(p.payload[0]).toBe(0xee); // the hole [0,1000) was filled by the second fragment
  });

  it('times out incomplete datagrams by packet time', () => {
    const d = new PacketDecoder({ fragments: { timeoutUs: 30_000_000 } });
    d.decode(v4frag(0, 1000, true, { ts: 1_000_000 }));
    d.decode(v4frag(1000, 1000, true, { ts: 20_000_000, id: 9 }));
    expect(d.fragments.pendingCount).toBe(2);
    // 31 s after the first: only the first datagram expires
    d.decode(frame(1, ethernet(0x0800, ipv4({ payload: tcp() })), 31_000_001));
    expect(d.problems.ip_fragment_timeout).toBe(1);
    expect(d.fragments.pendingCount).toBe(1);
    // its last fragment arriving now starts a new datagram that cannot complete
    expect(d.decode(v4frag(2000, 1000, false, { ts: 31_000_002 }))).toBe('ip_fragment_pending');
    d.finish();
    expect(d.problems.ip_fragment_timeout).toBe(3);
    expect(d.fragments.stats.timeouts).toBe(3);
    expect(d.fragments.pendingCount).toBe(0);
    expect(d.fragments.bufferedBytes).toBe(0);
  });

  it('a datagram larger than 65535 bytes is dropped', () => {
    const d = new PacketDecoder();
    expect(d.decode(v4frag(0, 1000, true))).toBe('ip_fragment_pending');
    expect(d.decode(v4frag(65000, 1000, true, { bytes: new Array(1000).fill(1) }))).toBe('ip_fragment_overflow');
    expect(d.fragments.stats.overflows).toBe(1);
    expect(d.fragments.pendingCount).toBe(0);
  });

  it('more datagrams than allowed: the oldest is dropped', () => {
    const d = new PacketDecoder({ fragments: { maxDatagrams: 3 } });
    for (let id = 1; id <= 4; id++) d.decode(v4frag(0, 1000, true, { id }));
    expect(d.fragments.pendingCount).toBe(3);
    expect(d.fragments.stats.overflows).toBe(1);
    // id 1 is gone: its last fragments no longer complete it; id 2 still completes
    d.decode(v4frag(1000, 1000, true, { id: 2 }));
    expectDatagram(d.decode(v4frag(2000, 1000, false, { id: 2 })));
    d.decode(v4frag(1000, 1000, true, { id: 1 }));
    expect(d.decode(v4frag(2000, 1000, false, { id: 1 }))).toBe('ip_fragment_pending');
  });

  it('the buffered-bytes bound drops the oldest datagrams', () => {
    const d = new PacketDecoder({ fragments: { maxBufferedBytes: 5000 } });
    d.decode(v4frag(0, 1000, true, { id: 1 })); // 2048 buffered
    d.decode(v4frag(0, 1000, true, { id: 2 })); // 4096
    d.decode(v4frag(0, 1000, true, { id: 3 })); // would be 6144: id 1 goes
    expect(d.fragments.pendingCount).toBe(2);
    expect(d.fragments.bufferedBytes).toBeLessThanOrEqual(5000);
    expect(d.fragments.stats.overflows).toBe(1);
  });

  it('inconsistent lengths drop the datagram (a second, different last fragment; data past the end)', () => {
    const d = new PacketDecoder();
    d.decode(v4frag(2000, 1000, false));
    expect(d.decode(v4frag(1000, 1000, false))).toBe('bad_ip_header');
    expect(d.fragments.stats.invalid).toBe(1);
    d.decode(v4frag(0, 1000, true, { id: 3 }));
    d.decode(v4frag(2000, 8, false, { id: 3, bytes: new Array(8).fill(0) })); // ends the datagram at 2008
    expect(d.decode(v4frag(2008, 992, true, { id: 3 }))).toBe('bad_ip_header');
    expect(d.fragments.stats.invalid).toBe(2);
    // a last fragment that ends before data already received
    d.decode(v4frag(2000, 1000, true, { id: 4 }));
    expect(d.decode(v4frag(1000, 500, false, { id: 4 }))).toBe('bad_ip_header');
    expect(d.fragments.stats.invalid).toBe(3);
    expect(d.fragments.pendingCount).toBe(0);
  });

  it('reassembles TCP too (the transport header is only in the first fragment)', () => {
    const seg = tcp({ sport: 1025, dport: 135, seq: 42, payload: Array.from({ length: 100 }, (_, i) => i) });
    const ip = (off: number, bytes: number[], more: boolean) =>
      frame(1, ethernet(0x0800, ipv4({ id: 99, frag: (more ? 0x2000 : 0) | (off >> 3), payload: bytes })));
    const d = new PacketDecoder();
    expect(d.decode(ip(64, seg.slice(64), false))).toBe('ip_fragment_pending');
    const p = d.decode(ip(0, seg.slice(0, 64), true));
    if (typeof p === 'string') throw new Error(p);
    expect([p.proto, p.srcPort, p.dstPort, p.tcp?.seq]).toEqual([6, 1025, 135, 42]);
    expect(p.payload.length).toBe(100);
  });
});

describe('IPv6 fragment reassembly', () => {
  // Unfragmentable part: a hop-by-hop header. Fragmentable part: a destination-options header, then UDP.
  const FRAGMENTABLE = [...extHeader(17, 0), ...DGRAM];

  function v6frag(offset: number, len: number, more: boolean, id = 0xabcdef01): RawFrame {
    const payload = [
      ...extHeader(44, 0),
      ...fragHeader(60, offset, more, id),
      ...FRAGMENTABLE.slice(offset, offset + len),
    ];
    return frame(1, ethernet(0x86dd, ipv6({ next: 0, payload })));
  }

  it('out of order, with extension headers before and after the fragment header', () => {
    const d = new PacketDecoder();
    const total = FRAGMENTABLE.length; // 3008
    expect(d.decode(v6frag(1504, total - 1504, false))).toBe('ip_fragment_pending');
    const p = d.decode(v6frag(0, 1504, true));
    expectDatagram(p);
    expect((p as { ipVersion: number }).ipVersion).toBe(6);
  });

  it('IPv4 and IPv6 datagrams with the same id do not mix; the id is per address pair', () => {
    const d = new PacketDecoder();
    d.decode(v6frag(0, 1504, true, 7));
    d.decode(v4frag(0, 1000, true, { id: 7 }));
    expect(d.fragments.pendingCount).toBe(2);
    expectDatagram(d.decode(v6frag(1504, FRAGMENTABLE.length - 1504, false, 7)));
  });
});
