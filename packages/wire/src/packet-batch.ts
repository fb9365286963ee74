import { decode, encode } from '@msgpack/msgpack';
import { WireFormatError } from './errors.js';
import { checkFrames, type WireFrame } from './frames.js';

/**
 * PacketBatch v1 — the body of `POST /v1/batches`, sensor → ingest (Content-Type application/x-msgpack).
 *
 *   PacketBatch = map {
 *     v: 1               schema version; any other value is rejected
 *     sensor: str        sensor id (must match the bearer token's sensor)
 *     seq: uint          per-sensor sequence number, +1 per batch (gaps = lost batches, repeats = retries)
 *     frames: [Frame]    see frames.ts
 *   }
 */
export interface PacketBatchV1 {
  v: 1;
  sensor: string;
  seq: number;
  frames: WireFrame[];
}

const SCHEMA = 'PacketBatch';

export function encodePacketBatch(batch: Omit<PacketBatchV1, 'v'>): Uint8Array {
  return encode({ v: 1, sensor: batch.sensor, seq: batch.seq, frames: batch.frames });
}

export function decodePacketBatch(bytes: Uint8Array): PacketBatchV1 {
  let raw: unknown;
  try {
    raw = decode(bytes);
  } catch (err) {
    throw new WireFormatError(SCHEMA, 'body', `not msgpack: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new WireFormatError(SCHEMA, 'body', 'expected a msgpack map');
  const m = raw as Record<string, unknown>;
  if (m.v !== 1)
    throw new WireFormatError(SCHEMA, 'v', `unsupported version ${JSON.stringify(m.v)}; this build reads version 1`);
  if (typeof m.sensor !== 'string' || m.sensor.length === 0 || m.sensor.length > 128)
    throw new WireFormatError(SCHEMA, 'sensor', 'expected a sensor id of 1..128 characters');
  if (typeof m.seq !== 'number' || !Number.isSafeInteger(m.seq) || m.seq < 0)
    throw new WireFormatError(SCHEMA, 'seq', 'expected a non-negative integer');
  return { v: 1, sensor: m.sensor, seq: m.seq, frames: checkFrames(SCHEMA, m.frames) };
}
