import { describe, expect, it } from 'vitest';
import { CaptureParser } from '../../src/capture/parser.js';
import { body, concat, pcapHeader, pcapRecord, pcapRecordHeader } from './bytes.js';
import { every, parseChunks } from './harness.js';

// Three frames of distinct sizes and contents; timestamps chosen so µs / ns conversions are checkable by hand.
const F1 = body(60, 1);
const F2 = body(1514, 2);
const F3 = body(42, 3);

function file(le: boolean, ns: boolean, linkType = 1, snaplen = 65535): Uint8Array {
  return concat(
    pcapHeader({ le, ns, linkType, snaplen }),
    pcapRecord(le, 1600000000, ns ? 123456789 : 123456, F1),
    pcapRecord(le, 1600000001, ns ? 999 : 0, F2, 1600),
    pcapRecord(le, 1600000002, ns ? 999999999 : 999999, F3),
  );
}

describe('classic pcap', () => {
  for (const le of [true, false]) {
    for (const ns of [false, true]) {
      it(`reads ${le ? 'little' : 'big'}-endian ${ns ? 'nanosecond' : 'microsecond'} files`, () => {
        const { frames, error, parser } = parseChunks(file(le, ns, 101, 2000));
        expect(error).toBeNull();
        expect(parser.format).toBe('pcap');
        expect(parser.linkType).toBe(101);
        expect(parser.snaplen).toBe(2000);
        // ns files: 123456789 ns → 123456 µs, 999 ns → 0 µs, 999999999 ns → 999999 µs (rounded down).
        expect(frames.map((f) => f.tsUs)).toEqual([1600000000_123456, 1600000001_000000, 1600000002_999999]);
        expect(frames.map((f) => f.data)).toEqual([Array.from(F1), Array.from(F2), Array.from(F3)]);
        expect(frames.map((f) => f.origLen)).toEqual([60, 1600, 42]);
        expect(frames.map((f) => f.linkType)).toEqual([101, 101, 101]);
        expect(frames.map((f) => f.ifIndex)).toEqual([0, 0, 0]);
        // Record offsets: 24-byte file header, then 16-byte record headers.
        expect(frames.map((f) => f.fileOffset)).toEqual([24, 24 + 16 + 60, 24 + 16 + 60 + 16 + 1514]);
      });
    }
  }

  it('takes the link type from the low 16 bits (FCS flags in the high bits are ignored)', () => {
    const bytes = concat(pcapHeader({ linkType: 0x10000000 | 1 }), pcapRecord(true, 1, 0, F1));
    expect(parseChunks(bytes).frames[0].linkType).toBe(1);
  });

  it('accepts a file with a header and no records', () => {
    const { frames, error } = parseChunks(pcapHeader());
    expect(frames).toEqual([]);
    expect(error).toBeNull();
  });

  it('gives the same frames for every split of the file into two chunks, and for 1-byte chunks', () => {
    for (const le of [true, false]) {
      const bytes = file(le, false);
      const whole = parseChunks(bytes).frames;
      expect(whole).toHaveLength(3);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const r = parseChunks(bytes, [cut]);
        expect(r.error, `cut at ${cut}`).toBeNull();
        expect(r.frames, `cut at ${cut}`).toEqual(whole);
      }
      expect(parseChunks(bytes, every(1, bytes.length)).frames).toEqual(whole);
      expect(parseChunks(bytes, every(7, bytes.length)).frames).toEqual(whole);
    }
  });

  it('keeps frames from one push valid until the next push even when a record completes from the carry buffer', () => {
    // Chunks of 50 bytes: almost every record straddles a boundary, and several complete within one push.
    const recs = Array.from({ length: 20 }, (_, i) => pcapRecord(true, i, 0, body(5 + i, i)));
    const bytes = concat(pcapHeader(), ...recs);
    const { frames, error } = parseChunks(bytes, every(50, bytes.length));
    expect(error).toBeNull();
    expect(frames.map((f) => f.data)).toEqual(recs.map((_, i) => Array.from(body(5 + i, i))));
  });

  describe('damage', () => {
    const good = file(true, false);
    const endOfF2 = 24 + 16 + 60 + 16 + 1514;

    it('file cut inside a record: the frames before it, then the record start and what is missing', () => {
      const cut = good.subarray(0, endOfF2 + 16 + 20);
      for (const cuts of [[], every(1, cut.length), [endOfF2 + 3]]) {
        const { frames, error } = parseChunks(cut, cuts);
        expect(frames).toHaveLength(2);
        expect(error?.offset).toBe(endOfF2);
        expect(error?.reason).toBe('file ends inside a record of 42 captured bytes (only 20 of them present)');
        expect(error?.file).toBe('test.pcap');
        expect(error?.message).toBe(`test.pcap: at byte ${endOfF2}: ${error?.reason}`);
      }
    });

    it('file cut inside a record header', () => {
      const { frames, error } = parseChunks(good.subarray(0, 24 + 16 + 60 + 7));
      expect(frames).toHaveLength(1);
      expect(error?.offset).toBe(24 + 16 + 60);
      expect(error?.reason).toBe('file ends inside a record header (only 7 of its 16 bytes present)');
    });

    it('file cut inside the file header', () => {
      const { frames, error } = parseChunks(good.subarray(0, 10));
      expect(frames).toEqual([]);
      expect(error?.offset).toBe(0);
      expect(error?.reason).toBe('file ends inside the 24-byte pcap file header (only 10 bytes present)');
    });

    it('absurd captured length in a record header', () => {
      const bytes = concat(
        pcapHeader(),
        pcapRecord(true, 1, 0, F1),
        pcapRecordHeader(true, 2, 0, 0xffffffff, 60),
        body(100, 9),
      );
      const { frames, error } = parseChunks(bytes);
      expect(frames).toHaveLength(1);
      expect(error?.offset).toBe(24 + 16 + 60);
      expect(error?.reason).toBe('record header says 4294967295 captured bytes, more than the 262144 maximum');
    });

    it('the caplen limit is configurable', () => {
      const bytes = concat(pcapHeader(), pcapRecord(true, 1, 0, F1), pcapRecord(true, 1, 0, F2));
      const { frames, error } = parseChunks(bytes, [], { maxCaplen: 1500 });
      expect(frames).toHaveLength(1);
      expect(error?.reason).toBe('record header says 1514 captured bytes, more than the 1500 maximum');
    });

    it('garbage instead of a header', () => {
      const html = new TextEncoder().encode('<html><body>not a capture</body></html>');
      const { frames, error } = parseChunks(html);
      expect(frames).toEqual([]);
      expect(error?.offset).toBe(0);
      expect(error?.reason).toBe(
        'unknown file format: first bytes 3c 68 74 6d are not a pcap (a1b2c3d4 / a1b23c4d, either byte order), pcapng (0a0d0d0a) or gzip (1f 8b) magic',
      );
    });

    it('recognises gzip, ZIP and modified-pcap magics and says what to do', () => {
      expect(parseChunks(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0)).error?.reason).toMatch(/^input is gzip-compressed/);
      expect(parseChunks(Uint8Array.of(0x50, 0x4b, 3, 4, 0, 0)).error?.reason).toMatch(/ZIP archive/);
      expect(parseChunks(Uint8Array.of(0xa1, 0xb2, 0xcd, 0x34, 0, 0)).error?.reason).toMatch(/modified pcap/);
    });

    it('unsupported major version', () => {
      const { error } = parseChunks(pcapHeader({ major: 1, minor: 0 }));
      expect(error?.offset).toBe(4);
      expect(error?.reason).toBe('pcap version 1.0 is not supported (expected 2.x)');
    });

    it('empty input', () => {
      expect(parseChunks(new Uint8Array(0)).error?.reason).toBe('empty input: no capture file header');
      expect(parseChunks(Uint8Array.of(0xd4, 0xc3)).error?.reason).toBe(
        'input ends after 2 bytes, before a capture file header could be recognised',
      );
    });

    it('stops at the first error: later pushes deliver nothing', () => {
      const bytes = concat(pcapHeader(), pcapRecordHeader(true, 1, 0, 300000, 300000));
      const frames: unknown[] = [];
      const p = new CaptureParser('x', (f) => frames.push(f));
      expect(p.push(bytes)).toBe(false);
      expect(p.push(pcapRecord(true, 1, 0, F1))).toBe(false);
      expect(p.end()).toBe(false);
      expect(frames).toEqual([]);
      expect(p.error?.offset).toBe(24);
    });
  });
});
