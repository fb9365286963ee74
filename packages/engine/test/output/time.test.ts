import { describe, expect, it } from 'vitest';
import { eveTimestamp } from '../../src/output/time.js';

describe('eveTimestamp', () => {
  it('formats packet time like Suricata EVE, with microseconds and +0000', () => {
    // 2020-09-21T00:14:37.123456Z = 1600647277 s + 123456 µs
    expect(eveTimestamp(1600647277_123456)).toBe('2020-09-21T00:14:37.123456+0000');
    expect(eveTimestamp(0)).toBe('1970-01-01T00:00:00.000000+0000');
    expect(eveTimestamp(1_000_001)).toBe('1970-01-01T00:00:01.000001+0000');
  });
});
