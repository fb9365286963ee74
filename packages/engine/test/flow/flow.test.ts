import { describe, expect, it } from 'vitest';
import { communityId } from '../../src/flow/community-id.js';
import { HostPairKey } from '../../src/flow/host-pair.js';
import { ipToBytes } from '../../src/flow/ip.js';

describe('communityId', () => {
  // Vectors from Zeek's btest for community_id_v1 (testing/btest/bifs/community_id/*), seed 0.
  it('matches the published TCP and UDP vectors', () => {
    expect(communityId('1.2.3.4', 1122, '5.6.7.8', 3344, 6)).toBe('1:wCb3OG7yAFWelaUydu0D+125CLM=');
    expect(communityId('1.2.3.4', 1122, '5.6.7.8', 3344, 17)).toBe('1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=');
  });

  it('is the same in both directions', () => {
    expect(communityId('5.6.7.8', 3344, '1.2.3.4', 1122, 6)).toBe('1:wCb3OG7yAFWelaUydu0D+125CLM=');
    const a = communityId('fe80::1', 49152, 'fe80::2', 135, 6);
    expect(a).toMatch(/^1:/);
    expect(communityId('fe80::2', 135, 'fe80::1', 49152, 6)).toBe(a);
  });
});

describe('ipToBytes', () => {
  it('parses IPv4 and IPv6 forms', () => {
    expect([...ipToBytes('10.0.0.255')!]).toEqual([10, 0, 0, 255]);
    expect([...ipToBytes('::1')!]).toEqual([...new Array(15).fill(0), 1]);
    expect([...ipToBytes('2001:db8::ff00:42:8329')!]).toEqual([
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0x00, 0x00, 0x42, 0x83, 0x29,
    ]);
    expect([...ipToBytes('::ffff:192.0.2.1')!].slice(10)).toEqual([0xff, 0xff, 192, 0, 2, 1]);
    expect(ipToBytes('1.2.3')).toBeNull();
    expect(ipToBytes('1::2::3')).toBeNull();
    expect(ipToBytes('256.1.1.1')).toBeNull();
  });
});

describe('HostPairKey', () => {
  it('is unordered: both directions give the same key bytes', () => {
    const a = HostPairKey.of('10.0.0.5', '10.0.0.2')!;
    const b = HostPairKey.of('10.0.0.2', '10.0.0.5')!;
    expect(a.toString()).toBe('10.0.0.2|10.0.0.5');
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
    expect([...a.bytes]).toEqual([10, 0, 0, 2, 10, 0, 0, 5]);
  });
});
