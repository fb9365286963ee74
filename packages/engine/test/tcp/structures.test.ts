import { describe, expect, it } from 'vitest';
import { ConnectionTable, tupleHash } from '../../src/tcp/conn-table.js';
import { TcpConnection } from '../../src/tcp/connection.js';
import { OutOfOrderBuffer } from '../../src/tcp/ooo-buffer.js';
import { seqAdd, seqDiff } from '../../src/tcp/seq.js';

const text = (s: string) => new TextEncoder().encode(s);
const segs = (b: OutOfOrderBuffer) => b.segs.map((s) => [s.seq, Buffer.from(s.data).toString('latin1')]);

describe('seqDiff / seqAdd', () => {
  it('order sequence numbers across the 2^32 wrap', () => {
    expect(seqDiff(5, 0xfffffffb)).toBe(10);
    expect(seqDiff(0xfffffffb, 5)).toBe(-10);
    expect(seqDiff(0x7fffffff, 0)).toBe(0x7fffffff);
    expect(seqAdd(0xffffffff, 1)).toBe(0);
    expect(seqAdd(0, -1)).toBe(0xffffffff);
  });
});

describe('OutOfOrderBuffer', () => {
  it('keeps segments sorted, stores only the holes of an overlapping segment (first wins)', () => {
    const b = new OutOfOrderBuffer();
    b.insert(100, 110, text('KLM')); // 110..112
    b.insert(100, 104, text('EF')); // 104..105
    expect(segs(b)).toEqual([
      [104, 'EF'],
      [110, 'KLM'],
    ]);
    b.insert(100, 103, text('defghijklmn')); // 103..113: fills 103, 106..109, 113
    expect(segs(b)).toEqual([
      [103, 'd'],
      [104, 'EF'],
      [106, 'ghij'],
      [110, 'KLM'],
      [113, 'n'],
    ]);
    expect(b.added).toBe(6);
    expect(b.overlapped).toBe(5);
    expect(b.conflicts).toBe(2); // 'ef' vs 'EF', 'klm' vs 'KLM'
    expect(b.bytes).toBe(11);
  });

  it('counts an identical overlap without a conflict and adds nothing', () => {
    const b = new OutOfOrderBuffer();
    b.insert(0, 10, text('abcd'));
    b.insert(0, 11, text('bc'));
    expect(b.added).toBe(0);
    expect(b.overlapped).toBe(2);
    expect(b.conflicts).toBe(0);
    expect(segs(b)).toEqual([[10, 'abcd']]);
  });

  it('works across the sequence wrap', () => {
    const b = new OutOfOrderBuffer();
    const base = 0xfffffff0;
    b.insert(base, 2, text('yz')); // after the wrap
    b.insert(base, 0xfffffffe, text('wx')); // before it
    expect(segs(b)).toEqual([
      [0xfffffffe, 'wx'],
      [2, 'yz'],
    ]);
    b.insert(base, 0, text('01')); // the two bytes in between
    expect(
      segs(b)
        .map((s) => s[1])
        .join(''),
    ).toBe('wx01yz');
  });

  it('copies: the stored bytes do not change when the source buffer is reused', () => {
    const b = new OutOfOrderBuffer();
    const src = Buffer.from('abc');
    b.insert(0, 5, src);
    src.fill(0);
    expect(segs(b)).toEqual([[5, 'abc']]);
    expect(b.shift().data).toEqual(text('abc'));
    expect(b.bytes).toBe(0);
  });
});

function conn(id: number, hash: number, cip: string, cport: number, sip: string, sport: number) {
  return new TcpConnection(id, hash, cip, cport, sip, sport, 4, 0, false, 0);
}

describe('ConnectionTable', () => {
  it('finds a connection from either direction and reports the direction', () => {
    const t = new ConnectionTable();
    expect(t.lookup('10.0.0.1', 50000, '10.0.0.2', 135)).toBeNull();
    const c = conn(1, t.hash, '10.0.0.1', 50000, '10.0.0.2', 135);
    t.insert(c);
    expect(t.lookup('10.0.0.2', 135, '10.0.0.1', 50000)).toBe(c);
    expect(t.dir).toBe(1);
    expect(t.lookup('10.0.0.1', 50000, '10.0.0.2', 135)).toBe(c);
    expect(t.dir).toBe(0);
    expect(t.lookup('10.0.0.1', 50001, '10.0.0.2', 135)).toBeNull();
    expect(t.hash).toBe(tupleHash('10.0.0.2', 135, '10.0.0.1', 50001)); // symmetric
  });

  it('resolves real hash collisions by comparing the tuple, and unlinks from any place in a chain', () => {
    // Find two tuples whose 30-bit hashes collide (birthday search: deterministic, some 10^4..10^5 tries).
    const seen = new Map<number, [string, number]>();
    let pair: [string, number][] = [];
    let bucket = -1;
    for (let i = 0; i < 2_000_000; i++) {
      const tuple: [string, number] = [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 1024 + (i % 50000)];
      const h = tupleHash(tuple[0], tuple[1], '172.16.0.1', 135);
      const prior = seen.get(h);
      if (prior !== undefined) {
        bucket = h;
        pair = [prior, tuple];
        break;
      }
      seen.set(h, tuple);
    }
    expect(pair).toHaveLength(2);
    const t = new ConnectionTable();
    const a = conn(1, bucket, pair[0][0], pair[0][1], '172.16.0.1', 135);
    // A third entry placed in the same bucket by hand, so that `b -> mid -> a` is a three-long chain.
    const mid = conn(2, bucket, '192.0.2.1', 7, '192.0.2.2', 8);
    const b = conn(3, bucket, pair[1][0], pair[1][1], '172.16.0.1', 135);
    t.insert(a);
    t.insert(mid);
    t.insert(b);
    expect(t.lookup('172.16.0.1', 135, a.clientIp, a.clientPort)).toBe(a);
    expect(t.dir).toBe(1);
    expect(t.lookup(b.clientIp, b.clientPort, '172.16.0.1', 135)).toBe(b);
    expect(t.dir).toBe(0);
    t.remove(mid);
    expect(b.hashNext).toBe(a);
    expect(t.lookup('172.16.0.1', 135, a.clientIp, a.clientPort)).toBe(a);
    t.remove(b);
    expect(t.lookup(b.clientIp, b.clientPort, '172.16.0.1', 135)).toBeNull();
    expect(t.lookup(a.clientIp, a.clientPort, '172.16.0.1', 135)).toBe(a);
    expect(t.size).toBe(1);
  });

  it('holds many connections and finds each one after removals', () => {
    const t = new ConnectionTable();
    const all: TcpConnection[] = [];
    for (let i = 0; i < 20_000; i++) {
      const cip = `10.${(i >> 8) & 255}.${i & 255}.1`;
      expect(t.lookup(cip, 40000 + (i % 20000), '172.16.0.1', 135)).toBeNull();
      const c = conn(i + 1, t.hash, cip, 40000 + (i % 20000), '172.16.0.1', 135);
      t.insert(c);
      all.push(c);
    }
    for (let i = 0; i < all.length; i += 2) t.remove(all[i]);
    for (let i = 0; i < all.length; i++) {
      const c = all[i];
      const found = t.lookup(c.serverIp, c.serverPort, c.clientIp, c.clientPort);
      expect(found).toBe(i % 2 === 0 ? null : c);
    }
    expect(t.size).toBe(10_000);
  });
});
