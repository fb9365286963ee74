import { describe, expect, it } from 'vitest';
import {
  Bytes,
  block,
  body,
  comment,
  concat,
  customBlock,
  dsb,
  epb,
  idb,
  isb,
  nrb,
  pb,
  shb,
  spb,
  tsoffset,
  tsresol,
} from './bytes.js';
import { every, parseChunks } from './harness.js';

const A = body(60, 10);
const B = body(1514, 20);
const C = body(42, 30);

// 2020-09-13T12:26:40.123456Z in various units
const SEC = 1600000000n;

describe('pcapng', () => {
  for (const le of [true, false]) {
    const order = le ? 'little' : 'big';

    it(`reads a ${order}-endian section with EPBs at the default µs resolution`, () => {
      const bytes = concat(
        shb(le, [comment('made by hand')]),
        idb(le, 1, 65535),
        epb(le, 0, SEC * 1000000n + 123456n, A),
        epb(le, 0, (SEC + 1n) * 1000000n, B, 1600, [comment('a packet comment')]),
      );
      const { frames, error, parser } = parseChunks(bytes);
      expect(error).toBeNull();
      expect(parser.format).toBe('pcapng');
      expect(frames.map((f) => f.tsUs)).toEqual([1600000000_123456, 1600000001_000000]);
      expect(frames.map((f) => f.data)).toEqual([Array.from(A), Array.from(B)]);
      expect(frames.map((f) => f.origLen)).toEqual([60, 1600]);
      const shbLen = shb(le, [comment('made by hand')]).length;
      const idbLen = idb(le, 1, 65535).length;
      expect(frames[0].fileOffset).toBe(shbLen + idbLen);
      expect(frames[1].fileOffset).toBe(shbLen + idbLen + epb(le, 0, 0n, A).length);
    });

    it(`${order}-endian: if_tsresol in powers of ten and of two, and if_tsoffset`, () => {
      const bytes = concat(
        shb(le),
        idb(le, 1, 0, [tsresol(9)]), // ns
        idb(le, 1, 0, [tsresol(3)]), // ms
        idb(le, 1, 0, [tsresol(0x80 | 10)]), // 2^-10 s
        idb(le, 1, 0, [tsresol(6), tsoffset(le, 1000n)]), // µs, +1000 s
        idb(le, 1, 0, [tsresol(12)]), // ps
        idb(le, 1, 0, [tsresol(0x80 | 30)]), // 2^-30 s (needs more than 53 bits)
        epb(le, 0, SEC * 1000000000n + 123456789n, A),
        epb(le, 1, SEC * 1000n + 123n, A),
        epb(le, 2, SEC * 1024n + 512n, A),
        epb(le, 3, SEC * 1000000n + 5n, A),
        epb(le, 4, 1000n * 1000000000000n + 123456789012n, A), // 64 bits of ps last only 213 days
        epb(le, 5, (SEC << 30n) + (1n << 29n) + 1n, A),
      );
      const { frames, error } = parseChunks(bytes);
      expect(error).toBeNull();
      expect(frames.map((f) => f.tsUs)).toEqual([
        1600000000_123456, // 123456789 ns → 123456 µs
        1600000000_123000, // 123 ms
        1600000000_500000, // 512/1024 s
        1600001000_000005, // +1000 s offset
        1000_123456, // 1000 s + 123456789012 ps
        1600000000_500000, // 2^29+1 units of 2^-30 s: 0.5 s plus under a ns
      ]);
      expect(frames.map((f) => f.ifIndex)).toEqual([0, 1, 2, 3, 4, 5]);
    });

    it(`${order}-endian: several interfaces with different link types`, () => {
      const bytes = concat(
        shb(le),
        idb(le, 1),
        idb(le, 113),
        idb(le, 101),
        epb(le, 2, 1n, C),
        epb(le, 0, 2n, A),
        epb(le, 1, 3n, B),
      );
      const { frames, error } = parseChunks(bytes);
      expect(error).toBeNull();
      expect(frames.map((f) => [f.ifIndex, f.linkType])).toEqual([
        [2, 101],
        [0, 1],
        [1, 113],
      ]);
    });

    it(`${order}-endian: Simple Packet Blocks use interface 0 and its snaplen; obsolete Packet Blocks`, () => {
      const bytes = concat(
        shb(le),
        idb(le, 1, 100),
        epb(le, 0, SEC * 1000000n, A),
        spb(le, body(100, 7), 1514), // cut to snaplen 100, origLen 1514
        spb(le, body(42, 8)),
        pb(le, 0, SEC * 1000000n + 9n, C),
      );
      const { frames, error } = parseChunks(bytes);
      expect(error).toBeNull();
      expect(frames.map((f) => f.data.length)).toEqual([60, 100, 42, 42]);
      expect(frames.map((f) => f.origLen)).toEqual([60, 1514, 42, 42]);
      expect(frames[1].data).toEqual(Array.from(body(100, 7)));
      // An SPB has no timestamp: it carries the previous packet's time.
      expect(frames.map((f) => f.tsUs)).toEqual([
        1600000000_000000, 1600000000_000000, 1600000000_000000, 1600000000_000009,
      ]);
      expect(frames[3].data).toEqual(Array.from(C));
    });

    it(`${order}-endian: skips NRB, ISB, DSB, custom and unknown blocks`, () => {
      const bytes = concat(
        shb(le),
        nrb(le),
        idb(le, 1),
        dsb(le),
        epb(le, 0, 1n, A),
        customBlock(le, body(33, 1)),
        block(le, 0x12345678, body(20, 2)),
        isb(le),
        epb(le, 0, 2n, C),
      );
      const { frames, error } = parseChunks(bytes);
      expect(error).toBeNull();
      expect(frames.map((f) => f.data)).toEqual([Array.from(A), Array.from(C)]);
    });
  }

  it('a new section resets the interfaces and may switch the byte order', () => {
    const bytes = concat(
      shb(true),
      idb(true, 1),
      idb(true, 113),
      epb(true, 1, 1n, A),
      shb(false),
      idb(false, 276),
      epb(false, 0, 2n, B),
      shb(true),
      idb(true, 0, 0, [tsresol(9)]),
      epb(true, 0, 3000n, C),
    );
    const { frames, error, parser } = parseChunks(bytes);
    expect(error).toBeNull();
    expect(frames.map((f) => [f.ifIndex, f.linkType, f.tsUs])).toEqual([
      [1, 113, 1],
      [0, 276, 2],
      [0, 0, 3],
    ]);
    expect(parser.frames).toBe(3);
  });

  it('refers to an interface of an earlier section → error (ids restart in each section)', () => {
    const second = concat(shb(false), idb(false, 1));
    const bytes = concat(shb(true), idb(true, 1), idb(true, 1), second, epb(false, 1, 1n, A));
    const { frames, error } = parseChunks(bytes);
    expect(frames).toEqual([]);
    expect(error?.offset).toBe(shb(true).length + 2 * idb(true, 1).length + second.length + 8);
    expect(error?.reason).toBe('Enhanced Packet Block refers to interface 1 but the section has only 1 interface');
  });

  it('gives the same frames for every split into two chunks and for 1-byte chunks (including skipped blocks)', () => {
    const bytes = concat(
      shb(true),
      idb(true, 1, 0, [tsresol(9)]),
      epb(true, 0, 5n * 1000n, A),
      customBlock(true, body(300, 4)),
      epb(true, 0, 6n * 1000n, C),
      shb(false),
      idb(false, 101),
      spb(false, B),
    );
    const whole = parseChunks(bytes).frames;
    expect(whole.map((f) => f.data.length)).toEqual([60, 42, 1514]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const r = parseChunks(bytes, [cut]);
      expect(r.error, `cut at ${cut}`).toBeNull();
      expect(r.frames, `cut at ${cut}`).toEqual(whole);
    }
    expect(parseChunks(bytes, every(1, bytes.length)).frames).toEqual(whole);
    expect(parseChunks(bytes, every(13, bytes.length)).frames).toEqual(whole);
  });

  describe('damage', () => {
    const head = concat(shb(true), idb(true, 1));
    const e1 = epb(true, 0, 1n, A);
    const e2 = epb(true, 0, 2n, B);

    it('file cut inside a block', () => {
      const bytes = concat(head, e1, e2).subarray(0, head.length + e1.length + 600);
      for (const cuts of [[], every(1, bytes.length), every(100, bytes.length)]) {
        const { frames, error } = parseChunks(bytes, cuts);
        expect(frames).toHaveLength(1);
        expect(error?.offset).toBe(head.length + e1.length);
        expect(error?.reason).toBe(
          `file ends inside a ${e2.length}-byte Enhanced Packet Block (only 600 bytes present)`,
        );
      }
    });

    it('file cut inside a block header', () => {
      const { frames, error } = parseChunks(concat(head, e1, e2.subarray(0, 5)));
      expect(frames).toHaveLength(1);
      expect(error?.offset).toBe(head.length + e1.length);
      expect(error?.reason).toBe('file ends inside a pcapng block header (only 5 of its 12 bytes present)');
    });

    it('file cut inside a skipped block', () => {
      const big = customBlock(true, body(5000, 1));
      const bytes = concat(head, e1, big).subarray(0, head.length + e1.length + 3000);
      const { frames, error } = parseChunks(bytes, every(1000, bytes.length));
      expect(frames).toHaveLength(1);
      expect(error?.offset).toBe(head.length + e1.length);
      expect(error?.reason).toBe(`file ends inside a ${big.length}-byte Custom Block (only 3000 bytes present)`);
    });

    it('block length not a multiple of 4, too small, or absurd', () => {
      const at = head.length + e1.length;
      const bad = (len: number) => concat(head, e1, new Bytes(true).u32(6).u32(len).u32(0).u32(0).build());
      expect(parseChunks(bad(50)).error?.reason).toBe('Enhanced Packet Block length 50 is not a multiple of 4');
      expect(parseChunks(bad(50)).error?.offset).toBe(at + 4);
      expect(parseChunks(bad(16)).error?.reason).toBe(
        'Enhanced Packet Block length 16 is less than the 32-byte minimum',
      );
      expect(parseChunks(bad(0xfffffffc)).error?.reason).toBe(
        'Enhanced Packet Block length 4294967292 is more than the 16777216 maximum',
      );
      const unknown = concat(head, new Bytes(true).u32(0x77).u32(8).u32(8).build());
      expect(parseChunks(unknown).error?.reason).toBe(
        'block of type 0x00000077 length 8 is less than the 12-byte minimum',
      );
      expect(parseChunks(bad(50)).frames).toHaveLength(1);
    });

    it('absurd captured length inside an EPB', () => {
      const lie = new Bytes(true)
        .u32(6)
        .u32(96)
        .u32(0)
        .u32(0)
        .u32(1)
        .u32(0xfffffff0)
        .u32(60)
        .raw(A)
        .u32(0)
        .u32(96)
        .build();
      const { frames, error } = parseChunks(concat(head, e1, lie));
      expect(frames).toHaveLength(1);
      expect(error?.offset).toBe(head.length + e1.length + 20);
      expect(error?.reason).toBe('Enhanced Packet Block says 4294967280 captured bytes, more than the 262144 maximum');
      const tooLong = new Bytes(true)
        .u32(6)
        .u32(96)
        .u32(0)
        .u32(0)
        .u32(1)
        .u32(100)
        .u32(100)
        .raw(A)
        .u32(0)
        .u32(96)
        .build();
      expect(parseChunks(concat(head, tooLong)).error?.reason).toBe(
        'Enhanced Packet Block says 100 captured bytes but the 96-byte block has room for 64',
      );
    });

    it('trailing length that does not match', () => {
      const broken = e2.slice();
      new DataView(broken.buffer).setUint32(broken.length - 4, 1234, true);
      const { frames, error } = parseChunks(concat(head, e1, broken, e1));
      expect(frames).toHaveLength(1);
      expect(error?.offset).toBe(head.length + e1.length + e2.length - 4);
      expect(error?.reason).toBe(
        `Enhanced Packet Block length ${e2.length} does not match the length 1234 repeated at its end`,
      );
    });

    it('bad byte-order magic, unsupported version, packets before any interface', () => {
      const badBom = shb(true).slice();
      badBom[8] = 0x99;
      expect(parseChunks(badBom).error?.reason).toBe(
        'Section Header Block byte-order magic is 0x1a2b3c99, not 1a2b3c4d in either byte order',
      );
      expect(parseChunks(shb(true, [], -1n, 2)).error?.reason).toBe(
        'pcapng version 2.0 is not supported (expected 1.x)',
      );
      expect(parseChunks(concat(shb(true), epb(true, 0, 1n, A))).error?.reason).toBe(
        'Enhanced Packet Block refers to interface 0 but the section has 0 interfaces',
      );
      expect(parseChunks(concat(shb(true), spb(true, A))).error?.reason).toBe(
        'Simple Packet Block before any Interface Description Block in its section',
      );
    });

    it('IDB option running past the block', () => {
      const body0 = new Bytes(true).u16(1).u16(0).u32(0).u16(9).u16(40).u8(9).pad4().build();
      const { error } = parseChunks(concat(shb(true), block(true, 1, body0)));
      expect(error?.offset).toBe(shb(true).length + 16);
      expect(error?.reason).toBe('Interface Description Block option 9 of 40 bytes runs past the end of the block');
    });
  });
});
