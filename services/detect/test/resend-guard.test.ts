import { describe, expect, it } from 'vitest';
import { ResendGuard } from '../src/resend-guard.js';

describe('ResendGuard', () => {
  it('drops a repeat of a recent (sensor, seq, part) and keeps sensors apart', () => {
    const g = new ResendGuard();
    expect(g.isRepeat('s1', 7, 0)).toBe(false);
    expect(g.isRepeat('s1', 7, 1)).toBe(false);
    expect(g.isRepeat('s2', 7, 0)).toBe(false);
    expect(g.isRepeat('s1', 7, 0)).toBe(true);
    expect(g.isRepeat('s1', 7, 1)).toBe(true);
    expect(g.isRepeat('s1', 8, 0)).toBe(false);
  });

  it('forgets keys beyond its window, so a sensor that restarts its numbering loses nothing later', () => {
    const g = new ResendGuard();
    for (let seq = 0; seq < 200; seq++) expect(g.isRepeat('s', seq, 0)).toBe(false);
    // seq 0 was 200 records ago: a restarted sensor reusing it is new data
    expect(g.isRepeat('s', 0, 0)).toBe(false);
  });
});
