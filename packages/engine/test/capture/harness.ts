import { CaptureParser, type CaptureParserOptions } from '../../src/capture/parser.js';
import type { CaptureError, RawFrame } from '../../src/capture/types.js';

export interface Frame {
  tsUs: number;
  linkType: number;
  data: number[];
  origLen: number;
  ifIndex: number;
  fileOffset: number;
}

export interface ParseResult {
  frames: Frame[];
  error: CaptureError | null;
  parser: CaptureParser;
}

/**
 * Feed `bytes` to a CaptureParser cut at the given offsets. Frames are snapshotted only after the push that delivered
 * them has returned — the moment up to which the parser promises they stay valid — so buffer reuse bugs show up.
 */
export function parseChunks(bytes: Uint8Array, cuts: number[] = [], opts: CaptureParserOptions = {}): ParseResult {
  const frames: Frame[] = [];
  let pending: RawFrame[] = [];
  const parser = new CaptureParser('test.pcap', (f) => pending.push(f), opts);
  const flush = () => {
    for (const f of pending) frames.push({ ...f, data: Array.from(f.data) });
    pending = [];
  };
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    // Each chunk is a fresh copy that is then scribbled over: frames must not point into it after the next push.
    const chunk = bytes.slice(from, cut);
    parser.push(chunk);
    flush();
    chunk.fill(0xee);
    from = cut;
  }
  parser.end();
  flush();
  return { frames, error: parser.error, parser };
}

/** Cut points for chunks of `size` bytes. */
export function every(size: number, total: number): number[] {
  const cuts: number[] = [];
  for (let i = size; i < total; i += size) cuts.push(i);
  return cuts;
}
