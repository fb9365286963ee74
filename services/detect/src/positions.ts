/**
 * The two positions detect keeps per partition of TOPIC_PACKETS (docs/architecture.md, "Detect: state and
 * delivery"), stored as ONE committed offset of the consumer group DETECT_GROUP_ID, inside the output transaction:
 *
 *   offset    emitted-through   every record before it has had its detections produced
 *   metadata  "wmi-detect/positions/1 replay_from=<n>"
 *                               the replay start: the earliest record the live state depends on (≤ offset)
 *
 * Why one offset and not two groups: the group's committed offset is what Kafka tooling, consumer-lag exporters and
 * KEDA read as progress, so it must be the emitted-through position — the replay start lags on purpose, by up to
 * DETECT_MAX_REPLAY_RECORDS, and would look like a permanent backlog. And every extra group in a transaction costs
 * kafkajs a coordinator look-up, AddOffsetsToTxn and TxnOffsetCommit.
 *
 * Layout of earlier releases, still read: the group's offset was the replay start and the group
 * `<DETECT_GROUP_ID>.emitted` held emitted-through. A commit without our metadata is read that way; the next
 * transaction writes this layout.
 */
import type { TopicPartitionOffset } from '@wmi-detect/kafka';

export const POSITIONS_TAG = 'wmi-detect/positions/1';

export interface Positions {
  readonly replayFrom: bigint;
  readonly emittedNext: bigint;
}

/** What a partition's committed offset says. */
export type CommittedPositions =
  | { readonly kind: 'none' }
  | { readonly kind: 'positions'; readonly positions: Positions }
  /** An earlier release's commit: the offset is the replay start; emitted-through is in `<group>.emitted`. */
  | { readonly kind: 'legacy'; readonly replayFrom: bigint };

const METADATA = /^wmi-detect\/positions\/1 replay_from=(\d{1,19})$/;

/** Offset and metadata to commit for these positions. */
export function encodePositions(p: Positions): { offset: string; metadata: string } {
  return { offset: p.emittedNext.toString(), metadata: `${POSITIONS_TAG} replay_from=${p.replayFrom}` };
}

/** Reads a committed offset of DETECT_GROUP_ID (offset '-1' = nothing committed). */
export function decodePositions(c: Pick<TopicPartitionOffset, 'offset' | 'metadata'> | undefined): CommittedPositions {
  if (c === undefined) return { kind: 'none' };
  const offset = BigInt(c.offset);
  if (offset < 0n) return { kind: 'none' };
  const m = METADATA.exec(c.metadata ?? '');
  if (m === null) return { kind: 'legacy', replayFrom: offset };
  const replayFrom = BigInt(m[1]);
  // A replay start past the emitted mark cannot have been written by us; start where output is complete.
  return {
    kind: 'positions',
    positions: { replayFrom: replayFrom > offset ? offset : replayFrom, emittedNext: offset },
  };
}
