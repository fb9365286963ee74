/** positions.ts: both positions of a partition in one committed offset, and the earlier two-group layout. */
import { describe, expect, it } from 'vitest';
import { decodePositions, encodePositions, POSITIONS_TAG } from '../src/positions.js';

describe('positions in one committed offset', () => {
  it('writes emitted-through as the offset and the replay start in the metadata', () => {
    expect(encodePositions({ replayFrom: 17n, emittedNext: 42n })).toEqual({
      offset: '42',
      metadata: 'wmi-detect/positions/1 replay_from=17',
    });
    expect(POSITIONS_TAG).toBe('wmi-detect/positions/1');
  });

  it('reads back what it wrote, up to the largest Kafka offset', () => {
    for (const p of [
      { replayFrom: 0n, emittedNext: 0n },
      { replayFrom: 5n, emittedNext: 5n },
      { replayFrom: 9_223_372_036_854_775_000n, emittedNext: 9_223_372_036_854_775_807n },
    ])
      expect(decodePositions(encodePositions(p))).toEqual({ kind: 'positions', positions: p });
  });

  it('nothing committed: offset -1, or no entry at all', () => {
    expect(decodePositions({ offset: '-1', metadata: null })).toEqual({ kind: 'none' });
    expect(decodePositions({ offset: '-1', metadata: '' })).toEqual({ kind: 'none' });
    expect(decodePositions(undefined)).toEqual({ kind: 'none' });
  });

  it('an offset without our metadata is the earlier layout: the offset was the replay start', () => {
    expect(decodePositions({ offset: '120', metadata: null })).toEqual({ kind: 'legacy', replayFrom: 120n });
    expect(decodePositions({ offset: '120', metadata: '' })).toEqual({ kind: 'legacy', replayFrom: 120n });
    // someone else's metadata, or a future version: not ours to interpret
    expect(decodePositions({ offset: '7', metadata: 'wmi-detect/positions/2 replay_from=3' })).toEqual({
      kind: 'legacy',
      replayFrom: 7n,
    });
    expect(decodePositions({ offset: '7', metadata: 'wmi-detect/positions/1 replay_from=-3' }).kind).toBe('legacy');
  });

  it('a replay start past the emitted mark (not something we write) is clamped to the mark', () => {
    expect(decodePositions({ offset: '10', metadata: 'wmi-detect/positions/1 replay_from=99' })).toEqual({
      kind: 'positions',
      positions: { replayFrom: 10n, emittedNext: 10n },
    });
  });
});
