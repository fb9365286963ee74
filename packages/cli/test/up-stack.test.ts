import { describe, expect, it } from 'vitest';
import { parseArgs } from '../src/args.js';
import { upCommand } from '../src/commands/up.js';
import { lagOf } from '../src/commands/up-stack.js';

describe('lagOf (the drain condition of wmidetect up)', () => {
  const ends = [
    { partition: 0, low: '0', high: '10' },
    { partition: 1, low: '5', high: '5' }, // empty (or fully deleted): nothing to wait for
    { partition: 2, low: '100', high: '130' },
  ];
  it('counts the records between committed positions and end offsets', () => {
    expect(
      lagOf(ends, [
        { partition: 0, offset: '4' },
        { partition: 2, offset: '120' },
      ]),
    ).toBe(6n + 10n);
  });
  it('treats no commit (-1) or a commit below the log start as the log start', () => {
    expect(lagOf(ends, [{ partition: 0, offset: '-1' }])).toBe(10n + 30n);
    expect(lagOf(ends, [{ partition: 2, offset: '7' }])).toBe(10n + 30n);
  });
  it('is zero once every partition is committed up to (or past: transaction markers) its end', () => {
    expect(
      lagOf(ends, [
        { partition: 0, offset: '10' },
        { partition: 2, offset: '131' },
      ]),
    ).toBe(0n);
  });
});

describe('wmidetect up options', () => {
  it('refuses what it cannot run before starting anything', async () => {
    await expect(upCommand(['--replay', '/nonexistent/capture.pcap', '--exit'])).rejects.toThrow(
      "--replay: no such file '/nonexistent/capture.pcap'",
    );
    await expect(upCommand(['--detectors', '0'])).rejects.toThrow('--detectors must be an integer 1..1000');
    await expect(upCommand(['extra'])).rejects.toThrow("unexpected argument 'extra'");
    expect(() => parseArgs(['--nope'], {})).toThrow("unknown option '--nope'");
  });
});
