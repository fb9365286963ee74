import { WireFormatError } from './errors.js';

/**
 * One captured link-layer frame as it travels between sensor, ingest and detector.
 *
 *   Frame = map {
 *     t: uint | float   packet time, µs since the Unix epoch
 *     l: uint           LINKTYPE of the capture interface (1 Ethernet, 113 SLL, 101 raw …)
 *     d: bin            the captured bytes
 *     o: uint?          length on the wire when the snaplen cut the frame (absent = d.length)
 *   }
 *
 * Short keys because a batch carries thousands of frames and msgpack writes the key of every map.
 */
export interface WireFrame {
  t: number;
  l: number;
  d: Uint8Array;
  o?: number;
}

/**
 * The frame as the engine reads it (structurally the engine's RawFrame; wire does not depend on the engine). The
 * data is the same view, not a copy.
 */
export function rawFrameOf(f: WireFrame) {
  return { tsUs: Math.floor(f.t), linkType: f.l, data: f.d, origLen: f.o ?? f.d.length, ifIndex: 0, fileOffset: 0 };
}

/** Most bytes one frame may carry: a jumbo frame with headroom; anything bigger is garbage, not a packet. */
export const MAX_FRAME_BYTES = 262_144;

export function checkFrames(schema: string, raw: unknown): WireFrame[] {
  if (!Array.isArray(raw)) throw new WireFormatError(schema, 'frames', 'expected an array of frames');
  for (let i = 0; i < raw.length; i++) {
    const f = raw[i] as Partial<WireFrame> | null;
    const where = `frames[${i}]`;
    if (f === null || typeof f !== 'object') throw new WireFormatError(schema, where, 'expected a map');
    if (typeof f.t !== 'number' || !Number.isFinite(f.t) || f.t < 0)
      throw new WireFormatError(schema, `${where}.t`, 'expected a non-negative timestamp in µs');
    if (typeof f.l !== 'number' || !Number.isInteger(f.l) || f.l < 0 || f.l > 0xffff)
      throw new WireFormatError(schema, `${where}.l`, 'expected a link type 0..65535');
    if (!(f.d instanceof Uint8Array)) throw new WireFormatError(schema, `${where}.d`, 'expected binary frame bytes');
    if (f.d.length > MAX_FRAME_BYTES)
      throw new WireFormatError(schema, `${where}.d`, `frame of ${f.d.length} bytes exceeds ${MAX_FRAME_BYTES}`);
    if (f.o !== undefined && (typeof f.o !== 'number' || !Number.isInteger(f.o) || f.o < f.d.length))
      throw new WireFormatError(schema, `${where}.o`, 'expected the wire length, at least the captured length');
  }
  return raw as WireFrame[];
}
