import { HostPairKey } from '@wmi-detect/engine';
import type { WireFrame } from '@wmi-detect/wire';
import { describe, expect, it } from 'vitest';
import { FALLBACK_KEY, hostPairText, writeHostPairKey } from '../src/host-pair-key.js';
import { BatchSplitter, cutRecords } from '../src/splitter.js';
import { scenarioWireFrames } from './helpers.js';

const hex = (s: string) =>
  Uint8Array.from(
    s
      .replace(/\s+/g, '')
      .match(/../g)!
      .map((b) => Number.parseInt(b, 16)),
  );

// Ethernet + IPv4 (10.0.0.20 → 10.0.0.5) + TCP 49712 → 135, SYN.
const V4_TO_SERVER = hex(`
  000c29aaaaaa 000c29bbbbbb 0800
  4500 0028 1234 4000 8006 0000 0a000014 0a000005
  c230 0087 00000001 00000000 5002 ffff 0000 0000`);
// The answer: 10.0.0.5 → 10.0.0.20 (addresses swapped).
const V4_TO_CLIENT = hex(`
  000c29bbbbbb 000c29aaaaaa 0800
  4500 0028 1235 4000 8006 0000 0a000005 0a000014
  0087 c230 00000001 00000002 5012 ffff 0000 0000`);
// A non-first IPv4 fragment (offset 185 × 8, no transport header): same host pair.
const V4_FRAGMENT = hex(`
  000c29aaaaaa 000c29bbbbbb 0800
  4500 001c 4321 00b9 8011 0000 0a000014 0a000005
  0102030405060708`);
// 802.1Q-tagged IPv6 (2001:db8::20 → fe80::1), UDP.
const V6_VLAN = hex(`
  000c29aaaaaa 000c29bbbbbb 8100 0064 86dd
  6000 0000 0008 1140 20010db8000000000000000000000020 fe800000000000000000000000000001
  0035 0035 0008 0000`);
// ARP who-has: no IP header.
const ARP = hex(`
  ffffffffffff 000c29aaaaaa 0806
  0001 0800 0604 0001 000c29aaaaaa 0a000014 000000000000 0a000005`);

const frame = (d: Uint8Array, t = 1): WireFrame => ({ t, l: 1, d });

describe('writeHostPairKey', () => {
  const out = new Uint8Array(32);
  it('gives both directions of an IPv4 connection the engine HostPairKey bytes', () => {
    const expected = HostPairKey.of('10.0.0.20', '10.0.0.5')!.bytes;
    expect(Array.from(expected)).toEqual([10, 0, 0, 5, 10, 0, 0, 20]);
    for (const f of [V4_TO_SERVER, V4_TO_CLIENT, V4_FRAGMENT]) {
      const n = writeHostPairKey(f, 1, out);
      expect(Array.from(out.subarray(0, n))).toEqual(Array.from(expected));
    }
  });
  it('reads IPv6 under a VLAN tag', () => {
    const n = writeHostPairKey(V6_VLAN, 1, out);
    expect(Array.from(out.subarray(0, n))).toEqual(Array.from(HostPairKey.of('2001:db8::20', 'fe80::1')!.bytes));
    expect(hostPairText(out.slice(0, n))).toBe('2001:db8::20|fe80::1');
  });
  it('returns 0 (fallback) for ARP, truncated IP headers and unknown link types', () => {
    expect(writeHostPairKey(ARP, 1, out)).toBe(0);
    expect(writeHostPairKey(V4_TO_SERVER.subarray(0, 30), 1, out)).toBe(0);
    expect(writeHostPairKey(V4_TO_SERVER, 147, out)).toBe(0);
  });
});

describe('BatchSplitter', () => {
  it('groups by unordered host pair in first-seen order, keeping capture order inside a group', () => {
    const frames = [
      frame(V4_TO_SERVER, 1),
      frame(ARP, 2),
      frame(V6_VLAN, 3),
      frame(V4_TO_CLIENT, 4),
      frame(V4_FRAGMENT, 5),
      frame(ARP, 6),
    ];
    const { groups, fallbackFrames } = new BatchSplitter().split(frames);
    expect(fallbackFrames).toBe(2);
    expect(groups.map((g) => hostPairText(g.key))).toEqual(['10.0.0.5|10.0.0.20', 'non-ip', '2001:db8::20|fe80::1']);
    expect(groups[0].frames.map((f) => f.t)).toEqual([1, 4, 5]);
    expect(groups[1].key).toBe(FALLBACK_KEY);
    expect(groups[1].frames.map((f) => f.t)).toEqual([2, 6]);
    expect(groups[0].bytes).toBe(V4_TO_SERVER.length + V4_TO_CLIENT.length + V4_FRAGMENT.length);
  });

  it('puts the port-135 and dynamic-port connections of a WMI session into one group', async () => {
    const frames = await scenarioWireFrames('wmi-activation-ok');
    const { groups } = new BatchSplitter().split(frames);
    // Every frame of the scenario lands in exactly one group, in order.
    expect(groups.reduce((n, g) => n + g.frames.length, 0)).toBe(frames.length);
    for (const g of groups) {
      const idx = g.frames.map((f) => frames.indexOf(f));
      expect(idx).toEqual([...idx].sort((a, b) => a - b));
    }
    // The group of the client/server pair holds frames to 135 and to a port above 1024.
    const ports = new Set<number>();
    const big = groups.reduce((a, b) => (a.frames.length >= b.frames.length ? a : b));
    for (const f of big.frames) {
      if (f.d[12] !== 0x08 || f.d[13] !== 0x00 || f.d[23] !== 6) continue;
      const ihl = (f.d[14] & 15) * 4;
      ports.add((f.d[14 + ihl + 2] << 8) | f.d[14 + ihl + 3]);
    }
    expect(ports.has(135)).toBe(true);
    expect([...ports].some((p) => p > 1024 && p !== 135)).toBe(true);
  });

  it('applies the keep predicate before grouping', () => {
    const frames = [frame(V4_TO_SERVER, 1), frame(V4_TO_CLIENT, 2)];
    const { groups } = new BatchSplitter().split(frames, (f) => f.t !== 2);
    expect(groups).toHaveLength(1);
    expect(groups[0].frames.map((f) => f.t)).toEqual([1]);
  });
});

describe('cutRecords', () => {
  it('numbers parts across groups and cuts a group at the byte bound without reordering', () => {
    const frames = [1, 2, 3, 4, 5].map((t) => frame(V4_TO_SERVER, t)); // 54 bytes each
    const other = frame(V6_VLAN, 6);
    const { groups } = new BatchSplitter().split([...frames, other]);
    const cuts = cutRecords(groups, 120, 7);
    expect(cuts.map((c) => [c.part, c.frames.map((f) => f.t)])).toEqual([
      [7, [1, 2]],
      [8, [3, 4]],
      [9, [5]],
      [10, [6]],
    ]);
  });
  it('keeps a frame bigger than the bound as a record of its own', () => {
    const { groups } = new BatchSplitter().split([frame(V4_TO_SERVER, 1), frame(V4_TO_SERVER, 2)]);
    expect(cutRecords(groups, 10).map((c) => c.frames.length)).toEqual([1, 1]);
  });
});
