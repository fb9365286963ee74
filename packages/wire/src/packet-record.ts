import { decode, encode } from '@msgpack/msgpack';
import { WireFormatError } from './errors.js';
import { checkFrames, type WireFrame } from './frames.js';

/**
 * PacketRecord v1 — the value of a `wmi.packets.v1` record, ingest → detect. Key: the unordered host-pair key bytes
 * (HostPairKey), so every frame between two hosts lands on one partition, in order.
 *
 *   PacketRecord = map {
 *     v: 1               schema version; any other value is rejected (→ DLQ)
 *     sensor: str        capture point the frames came from
 *     seq: uint          the sensor batch they were cut from
 *     part: uint         index of this record among the records cut from that batch (seq, part) is unique
 *     frames: [Frame]    frames of this host pair, in capture order
 *   }
 */
export interface PacketRecordV1 {
  v: 1;
  sensor: string;
  seq: number;
  part: number;
  frames: WireFrame[];
}

const SCHEMA = 'PacketRecord';

export function encodePacketRecord(rec: Omit<PacketRecordV1, 'v'>): Uint8Array {
  return encode({ v: 1, sensor: rec.sensor, seq: rec.seq, part: rec.part, frames: rec.frames });
}

export function decodePacketRecord(bytes: Uint8Array): PacketRecordV1 {
  let raw: unknown;
  try {
    raw = decode(bytes);
  } catch (err) {
    throw new WireFormatError(SCHEMA, 'value', `not msgpack: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new WireFormatError(SCHEMA, 'value', 'expected a msgpack map');
  const m = raw as Record<string, unknown>;
  if (m.v !== 1)
    throw new WireFormatError(SCHEMA, 'v', `unsupported version ${JSON.stringify(m.v)}; this build reads version 1`);
  if (typeof m.sensor !== 'string' || m.sensor.length === 0)
    throw new WireFormatError(SCHEMA, 'sensor', 'expected a string');
  if (typeof m.seq !== 'number' || !Number.isSafeInteger(m.seq) || m.seq < 0)
    throw new WireFormatError(SCHEMA, 'seq', 'expected a non-negative integer');
  if (typeof m.part !== 'number' || !Number.isSafeInteger(m.part) || m.part < 0)
    throw new WireFormatError(SCHEMA, 'part', 'expected a non-negative integer');
  return { v: 1, sensor: m.sensor, seq: m.seq, part: m.part, frames: checkFrames(SCHEMA, m.frames) };
}
