import type { OutgoingRecord } from '@wmi-detect/kafka';
import { describe, expect, it } from 'vitest';
import { produceChunks } from '../src/http-server.js';

const rec = (n: number, tag: string): OutgoingRecord => ({ topic: 't', key: Buffer.from(tag), value: Buffer.alloc(n) });

describe('produceChunks', () => {
  it('keeps order, stays under the limit, and sends an oversized record alone', () => {
    const records = [rec(300, 'a'), rec(300, 'b'), rec(100, 'c'), rec(900, 'd'), rec(10, 'e')];
    const chunks = produceChunks(records, 700);
    expect(chunks.map((c) => c.map((r) => String(r.key)).join(''))).toEqual(['abc', 'd', 'e']);
    expect(chunks.flat()).toEqual(records);
  });

  it('one chunk when everything fits, none for nothing', () => {
    expect(produceChunks([rec(1, 'a'), rec(1, 'b')], 10)).toHaveLength(1);
    expect(produceChunks([], 10)).toEqual([]);
  });
});
