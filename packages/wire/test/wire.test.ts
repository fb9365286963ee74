import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import {
  decodePacketBatch,
  decodePacketRecord,
  encodePacketBatch,
  encodePacketRecord,
  WireFormatError,
} from '../src/index.js';

const frame = { t: 1_600_000_000_000_000, l: 1, d: new Uint8Array([1, 2, 3]) };

describe('PacketBatch v1', () => {
  it('round-trips', () => {
    const bytes = encodePacketBatch({ sensor: 's1', seq: 7, frames: [frame, { ...frame, o: 1514 }] });
    const b = decodePacketBatch(bytes);
    expect(b).toEqual({ v: 1, sensor: 's1', seq: 7, frames: [frame, { ...frame, o: 1514 }] });
  });

  it('rejects an unknown version by name', () => {
    const bytes = encode({ v: 2, sensor: 's1', seq: 1, frames: [] });
    expect(() => decodePacketBatch(bytes)).toThrow('PacketBatch: v: unsupported version 2; this build reads version 1');
  });

  it('names the first bad field', () => {
    const cases: [unknown, string][] = [
      [{ v: 1, sensor: '', seq: 1, frames: [] }, 'sensor'],
      [{ v: 1, sensor: 'a', seq: -1, frames: [] }, 'seq'],
      [{ v: 1, sensor: 'a', seq: 1, frames: {} }, 'frames'],
      [{ v: 1, sensor: 'a', seq: 1, frames: [{ t: 1, l: 1, d: 'x' }] }, 'frames[0].d'],
      [{ v: 1, sensor: 'a', seq: 1, frames: [frame, { t: -5, l: 1, d: new Uint8Array(1) }] }, 'frames[1].t'],
      [{ v: 1, sensor: 'a', seq: 1, frames: [{ t: 1, l: 1, d: new Uint8Array(300_000) }] }, 'frames[0].d'],
      [{ v: 1, sensor: 'a', seq: 1, frames: [{ t: 1, l: 1, d: new Uint8Array(10), o: 5 }] }, 'frames[0].o'],
      [[1, 2, 3], 'body'],
    ];
    for (const [value, field] of cases) {
      try {
        decodePacketBatch(encode(value));
        expect.unreachable(`accepted ${JSON.stringify(value)}`);
      } catch (err) {
        expect(err).toBeInstanceOf(WireFormatError);
        expect((err as WireFormatError).field).toBe(field);
      }
    }
  });

  it('rejects bytes that are not msgpack', () => {
    expect(() => decodePacketBatch(new Uint8Array([0xc1]))).toThrow(/PacketBatch: body: not msgpack/);
    expect(() => decodePacketBatch(new TextEncoder().encode('garbage'))).toThrow(WireFormatError);
  });
});

describe('PacketRecord v1', () => {
  it('round-trips and rejects other versions', () => {
    const rec = { sensor: 's', seq: 3, part: 1, frames: [frame] };
    expect(decodePacketRecord(encodePacketRecord(rec))).toEqual({ v: 1, ...rec });
    expect(() => decodePacketRecord(encode({ ...rec, v: 9 }))).toThrow(/unsupported version 9/);
    expect(() => decodePacketRecord(encode({ ...rec, v: 1, part: 'x' }))).toThrow(/part/);
  });
});
