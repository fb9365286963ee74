/**
 * Capture file writers.
 *
 * Classic pcap (little-endian, microsecond resolution):
 *   global header: magic 0xa1b2c3d4 u32 | version 2.4 (u16,u16) | thiszone i32 = 0 | sigfigs u32 = 0
 *                  snaplen u32 | network (link type) u32
 *   record:        ts_sec u32 | ts_usec u32 | incl_len u32 | orig_len u32 | data
 *
 * pcapng (draft-ietf-opsawg-pcapng), little-endian, one section and one interface:
 *   SHB 0x0A0D0D0A: total_len | byte-order magic 0x1A2B3C4D | major 1 | minor 0 | section_len -1 | options | total_len
 *   IDB 0x00000001: total_len | linktype u16 | reserved u16 | snaplen u32 | if_tsresol=6 option | total_len
 *   EPB 0x00000006: total_len | interface_id | ts_high | ts_low | captured_len | packet_len | data (pad 4) | total_len
 */
import { ascii, ByteWriter } from '../util/bytes.js';

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;

export interface CapturedFrame {
  /** Capture timestamp in microseconds since the Unix epoch. */
  tsMicros: number;
  /** Link-layer frame bytes (Ethernet unless the writer is told otherwise). */
  data: Uint8Array;
  /** Original length on the wire when the frame is truncated to a snap length; defaults to data.length. */
  origLength?: number;
}

export interface CaptureOptions {
  linkType?: number;
  snapLength?: number;
}

export function encodePcap(frames: readonly CapturedFrame[], o: CaptureOptions = {}): Uint8Array {
  const w = new ByteWriter(true, 24 + frames.reduce((n, f) => n + 16 + f.data.length, 0));
  w.u32(0xa1b2c3d4).u16(2).u16(4).i32(0).u32(0);
  w.u32(o.snapLength ?? 262144).u32(o.linkType ?? LINKTYPE_ETHERNET);
  for (const f of frames) {
    const sec = Math.floor(f.tsMicros / 1e6);
    const usec = f.tsMicros - sec * 1e6;
    w.u32(sec)
      .u32(usec)
      .u32(f.data.length)
      .u32(f.origLength ?? f.data.length);
    w.bytes(f.data);
  }
  return w.toBytes();
}

function block(w: ByteWriter, type: number, body: (b: ByteWriter) => void): void {
  const b = new ByteWriter(true);
  body(b);
  b.align(4);
  const total = 12 + b.length;
  w.u32(type).u32(total).bytes(b.toBytes()).u32(total);
}

function option(b: ByteWriter, code: number, value: Uint8Array): void {
  b.u16(code).u16(value.length).bytes(value);
  b.align(4);
}

export function encodePcapng(
  frames: readonly CapturedFrame[],
  o: CaptureOptions & { comment?: string } = {},
): Uint8Array {
  const w = new ByteWriter(true, 64 + frames.reduce((n, f) => n + 36 + f.data.length, 0));
  block(w, 0x0a0d0d0a, (b) => {
    b.u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff);
    option(b, 4, ascii('wmi-detect capture-gen')); // shb_userappl
    if (o.comment) option(b, 1, ascii(o.comment)); // opt_comment
    b.u16(0).u16(0); // opt_endofopt
  });
  block(w, 0x00000001, (b) => {
    b.u16(o.linkType ?? LINKTYPE_ETHERNET)
      .u16(0)
      .u32(o.snapLength ?? 262144);
    option(b, 9, Uint8Array.of(6)); // if_tsresol: 10^-6
    b.u16(0).u16(0);
  });
  for (const f of frames) {
    block(w, 0x00000006, (b) => {
      const ts = BigInt(f.tsMicros);
      b.u32(0)
        .u32(Number(ts >> 32n))
        .u32(Number(ts & 0xffffffffn));
      b.u32(f.data.length)
        .u32(f.origLength ?? f.data.length)
        .bytes(f.data);
    });
  }
  return w.toBytes();
}
