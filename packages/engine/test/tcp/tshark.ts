import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DecodedPacket } from '../../src/packet/types.js';

/**
 * Test scaffolding: real captures as tshark sees them. The reassembler tests need packets from real captures and an
 * independent reassembly to compare with; tshark provides both (its per-packet TCP fields, and `-z follow,tcp,raw`).
 * The engine's own capture readers and packet decoder are tested elsewhere; this keeps these tests independent of
 * them.
 */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const sharedDir = path.resolve(repoRoot, '../shared');
export const pcapDir = path.join(sharedDir, 'corpus/pcaps');

export function tsharkAvailable(): boolean {
  const r = spawnSync('tshark', ['-v'], { stdio: 'ignore' });
  return r.status === 0;
}

export function sharedAvailable(): boolean {
  return existsSync(pcapDir);
}

function tshark(args: string[]): string {
  // Captures cut short inside their last record make tshark exit non-zero after printing everything before the
  // cut: keep that output.
  const r = spawnSync('tshark', args, { maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  if (r.error) throw r.error;
  return r.stdout;
}

const FIELDS = [
  'frame.number',
  'frame.time_epoch',
  'ip.src',
  'ip.dst',
  'ipv6.src',
  'ipv6.dst',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.seq_raw',
  'tcp.ack_raw',
  'tcp.flags',
  'tcp.payload',
  'tcp.stream',
  'frame.len',
  'frame.cap_len',
];

export interface TsharkPacket {
  frame: number;
  stream: number;
  /** Bytes of the frame that are not in the capture (snaplen). */
  truncatedBy: number;
  pkt: DecodedPacket;
}

/** The TCP packets of a capture (not those quoted inside ICMP errors), in capture order. */
export function tsharkPackets(file: string): TsharkPacket[] {
  const out = tshark([
    '-r',
    file,
    '-Y',
    'tcp && !icmp && !icmpv6',
    '-T',
    'fields',
    '-E',
    'separator=\t',
    '-E',
    'occurrence=f',
    ...FIELDS.flatMap((f) => ['-e', f]),
  ]);
  const packets: TsharkPacket[] = [];
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const [frame, t, s4, d4, s6, d6, sp, dp, seq, ack, flags, payload, stream, len, capLen] = line.split('\t');
    const v6 = s4 === '';
    const data = payload ? Buffer.from(payload.replace(/:/g, ''), 'hex') : new Uint8Array(0);
    // Microseconds from the epoch text without going through a float (which would lose the last digits).
    const [sec, frac = ''] = t.split('.');
    const tsUs = Number(sec) * 1_000_000 + Number(`${frac}000000`.slice(0, 6));
    packets.push({
      frame: Number(frame),
      stream: Number(stream),
      truncatedBy: Number(len) - Number(capLen),
      pkt: {
        tsUs,
        ipVersion: v6 ? 6 : 4,
        srcIp: v6 ? s6 : s4,
        dstIp: v6 ? d6 : d4,
        proto: 6,
        srcPort: Number(sp),
        dstPort: Number(dp),
        tcp: { seq: Number(seq), ack: Number(ack), flags: Number.parseInt(flags, 16) & 0xff, window: 0 },
        payload: data,
        wireLen: Number(len),
      },
    });
  }
  return packets;
}

export interface FollowedStream {
  /** "ip:port" of tshark's node 0 (the sender of the stream's first packet). */
  node0: string;
  /** Bytes sent by node 0 and node 1, as hex. Missing bytes appear as "[N bytes missing in capture file]\0". */
  hex: [string, string];
}

/** tshark's reassembly of the given TCP streams (`-z follow,tcp,raw,N`). */
export function tsharkFollow(file: string, streams: number[]): Map<number, FollowedStream> {
  const args = ['-q', '-r', file];
  for (const s of streams) args.push('-z', `follow,tcp,raw,${s}`);
  const out = tshark(args);
  const result = new Map<number, FollowedStream>();
  let cur: FollowedStream | null = null;
  for (const line of out.split('\n')) {
    let m = /^Filter: tcp\.stream eq (\d+)/.exec(line);
    if (m) {
      cur = { node0: '', hex: ['', ''] };
      result.set(Number(m[1]), cur);
      continue;
    }
    if (cur === null) continue;
    m = /^Node 0: (.*)$/.exec(line);
    if (m) cur.node0 = m[1];
    else if (/^\t[0-9a-f]+$/.test(line)) cur.hex[1] += line.slice(1);
    else if (/^[0-9a-f]+$/.test(line)) cur.hex[0] += line;
  }
  return result;
}

/** How tshark's follow output writes a hole of `n` bytes. */
export function missingMarker(n: number): Buffer {
  return Buffer.from(`[${n} bytes missing in capture file]\0`, 'latin1');
}
