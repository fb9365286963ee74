/**
 * Test helpers for detect: generated captures as frames, the offline reference run (the same engine options the
 * service uses), and the cut of a capture into PacketRecords keyed by HostPairKey the way ingest produces them.
 */
import { fileURLToPath } from 'node:url';
import { scenarioBytes } from '@wmi-detect/capture-gen';
import {
  Engine,
  type EngineOptions,
  type EveRecord,
  HostPairKey,
  PacketDecoder,
  type RawFrame,
  readCaptureStream,
} from '@wmi-detect/engine';
import { encodePacketRecord } from '@wmi-detect/wire';
import { DEFAULT_COMMIT_INTERVAL_MS, DEFAULT_COMMIT_MAX_OUTPUTS, type DetectConfig } from '../src/config.js';
import { detectEngineOptions } from '../src/main.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const WMI_RULES_FILE = `${REPO_ROOT}rules/wmi.rules`;

const quiet = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };

/** A DetectConfig for tests: the shipped rules, everything else default. */
export function testConfig(over: Partial<DetectConfig> = {}): DetectConfig {
  return {
    kafka: { brokers: ['localhost:9092'] },
    topics: { packets: 'wmi.packets.v1', detections: 'wmi.detections.v1', dlq: 'wmi.dlq.v1' },
    opsPort: 0,
    logLevel: 'silent',
    groupId: 'wmi-detect-detect',
    instanceId: 'test',
    rulesFiles: [WMI_RULES_FILE],
    sessionWindowS: 300,
    maxReplayRecords: 100_000,
    shardMemoryMiB: 64,
    shardMaxConnections: 65_536,
    commitIntervalMs: DEFAULT_COMMIT_INTERVAL_MS,
    commitMaxOutputs: DEFAULT_COMMIT_MAX_OUTPUTS,
    ...over,
  };
}

/** The engine options the service builds from RULES_FILES etc. (rules/wmi.rules). */
export function serviceEngineOptions(config: DetectConfig = testConfig()): Omit<EngineOptions, 'onRecord'> {
  return detectEngineOptions(config, quiet);
}

export async function scenarioFrames(name: string): Promise<RawFrame[]> {
  const { bytes } = scenarioBytes(name);
  const frames: RawFrame[] = [];
  await readCaptureStream(
    name,
    (async function* () {
      yield bytes;
    })(),
  ).forEach((f) => {
    frames.push({ ...f, data: f.data.slice() });
  });
  return frames;
}

/** Every record the engine writes for `frames` in one uninterrupted run (finish() not called: a stream never ends). */
export function offlineRecords(frames: readonly RawFrame[], engine = serviceEngineOptions()): EveRecord[] {
  const out: EveRecord[] = [];
  const e = new Engine({ ...engine, onRecord: (r) => out.push(r) });
  for (let i = 0; i < frames.length; i++) e.processFrame(frames[i], i);
  return out;
}

export function alertIdsOf(records: readonly EveRecord[]): string[] {
  return records
    .filter((r) => r.event_type === 'alert')
    .map((r) => (r as { alert_id: string }).alert_id)
    .sort();
}

/** The host-pair key of a frame (engine decode; one byte 0x00 when it has no IP header, as ingest does). */
export function frameKey(decoder: PacketDecoder, frame: RawFrame): Buffer {
  const p = decoder.decode(frame);
  if (typeof p === 'string') return Buffer.of(0);
  const k = HostPairKey.of(p.srcIp, p.dstIp);
  return k === null ? Buffer.of(0) : Buffer.from(k.bytes);
}

export interface CutRecord {
  key: Buffer;
  value: Buffer;
  /** Index of the first frame of the capture in this record. */
  firstFrame: number;
  frames: number;
}

/**
 * Cuts a capture into PacketRecords the way ingest does: consecutive frames of one host pair, at most `perRecord`
 * frames each, in capture order.
 */
export function cutIntoRecords(
  frames: readonly RawFrame[],
  sensor: string,
  perRecord: number,
  firstSeq = 0,
): CutRecord[] {
  const decoder = new PacketDecoder();
  const out: CutRecord[] = [];
  let cur: { key: Buffer; idx: number[] } | null = null;
  let seq = firstSeq;
  const flush = () => {
    if (cur === null) return;
    const value = encodePacketRecord({
      sensor,
      seq: seq++,
      part: 0,
      frames: cur.idx.map((i) => {
        const f = frames[i];
        return f.origLen !== f.data.length
          ? { t: f.tsUs, l: f.linkType, d: f.data, o: f.origLen }
          : { t: f.tsUs, l: f.linkType, d: f.data };
      }),
    });
    out.push({ key: cur.key, value: Buffer.from(value), firstFrame: cur.idx[0], frames: cur.idx.length });
    cur = null;
  };
  for (let i = 0; i < frames.length; i++) {
    const key = frameKey(decoder, frames[i]);
    if (cur !== null && (!cur.key.equals(key) || cur.idx.length >= perRecord)) flush();
    if (cur === null) cur = { key, idx: [] };
    cur.idx.push(i);
  }
  flush();
  return out;
}

function onesComplementSum(data: Uint8Array, start: number, end: number, init = 0): number {
  let sum = init;
  for (let i = start; i + 1 < end; i += 2) sum += (data[i] << 8) | data[i + 1];
  if ((end - start) & 1) sum += data[end - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * The capture with one IPv4 host renamed (Ethernet + IPv4 frames; IP and TCP/UDP checksums recomputed), so one
 * generated scenario can stand for many host pairs — and so for many partitions.
 */
export function renameHost(frames: readonly RawFrame[], from: string, to: string): RawFrame[] {
  const a = Uint8Array.from(from.split('.').map(Number));
  const b = Uint8Array.from(to.split('.').map(Number));
  const same = (d: Uint8Array, off: number) =>
    d[off] === a[0] && d[off + 1] === a[1] && d[off + 2] === a[2] && d[off + 3] === a[3];
  return frames.map((f) => {
    const d = f.data.slice();
    if (f.linkType !== 1 || d.length < 34 || d[12] !== 0x08 || d[13] !== 0x00 || d[14] >> 4 !== 4)
      return { ...f, data: d };
    const ip = 14;
    const ihl = (d[ip] & 15) * 4;
    let changed = false;
    for (const off of [ip + 12, ip + 16]) {
      if (same(d, off)) {
        d.set(b, off);
        changed = true;
      }
    }
    if (!changed) return { ...f, data: d };
    d[ip + 10] = 0;
    d[ip + 11] = 0;
    const hsum = ~onesComplementSum(d, ip, ip + ihl) & 0xffff;
    d[ip + 10] = hsum >> 8;
    d[ip + 11] = hsum & 0xff;
    const proto = d[ip + 9];
    const total = (d[ip + 2] << 8) | d[ip + 3];
    const l4 = ip + ihl;
    const end = Math.min(d.length, ip + total);
    const ck = proto === 6 ? l4 + 16 : proto === 17 ? l4 + 6 : -1;
    if (ck > 0 && ck + 1 < end && ((d[ip + 6] & 0x3f) | d[ip + 7]) === 0) {
      d[ck] = 0;
      d[ck + 1] = 0;
      let pseudo = onesComplementSum(d, ip + 12, ip + 20);
      pseudo += proto + (end - l4);
      const sum = ~onesComplementSum(d, l4, end, pseudo) & 0xffff;
      d[ck] = sum >> 8;
      d[ck + 1] = sum & 0xff;
    }
    return { ...f, data: d };
  });
}
