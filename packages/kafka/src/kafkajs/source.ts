/**
 * RecordSource on a kafkajs consumer group.
 *
 * kafkajs has no rebalance listener, only a GROUP_JOIN event carrying the member's whole new assignment after every
 * (eager) rebalance. This adapter turns that into the port's callbacks:
 *
 *   GROUP_JOIN(assignment)        revoked  = previous − assignment      → onRevoked listeners
 *                                 assigned = assignment − previous     → paused, onAssigned listeners, then resumed
 *                                 then the whole assignment (maybe empty) → onJoined listeners
 *
 * The new partitions are paused inside the event (kafkajs emits it synchronously before it starts fetching), so no
 * batch of a partition is handed out before its onAssigned listeners resolved — per-partition state can be restored
 * from a changelog first. Callbacks run one rebalance at a time, in order.
 *
 * Batches of a paused partition that were already in flight are not delivered and not resolved: kafkajs fetches them
 * again from the same offset after resume. A handler that resolves moves the position past the batch (including the
 * transaction control records kafkajs filters out); one that throws leaves it, and kafkajs retries the batch and, after
 * its retries, restarts the consumer (a new join; pause state is re-applied here because kafkajs forgets it).
 */
import type kafkajs from 'kafkajs';
import type {
  BatchHandler,
  KafkaLogger,
  PartitionsListener,
  RecordSource,
  RunOptions,
  SourceOptions,
  TopicPartition,
  TopicPartitionOffset,
} from '../port.js';
import { fromKafkajsMessage, toTopicPartitions, tpKey } from './convert.js';

export class KafkajsSource implements RecordSource {
  readonly groupId: string;
  private readonly consumer: kafkajs.Consumer;
  private assigned = new Map<string, TopicPartition>();
  /** Paused by the caller (pause/resume). */
  private readonly userPaused = new Map<string, TopicPartition>();
  /** Newly assigned, waiting for onAssigned listeners. */
  private readonly restoring = new Set<string>();
  private readonly assignedListeners = new Set<PartitionsListener>();
  private readonly revokedListeners = new Set<PartitionsListener>();
  private readonly joinedListeners = new Set<PartitionsListener>();
  private readonly errorListeners = new Set<(error: Error, fatal: boolean) => void>();
  private callbacks: Promise<void> = Promise.resolve();
  private started = false;
  private closed = false;

  constructor(
    kafka: kafkajs.Kafka,
    opts: SourceOptions,
    private readonly logger: KafkaLogger,
  ) {
    this.groupId = opts.groupId;
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      readUncommitted: !(opts.readCommitted ?? true),
      sessionTimeout: opts.sessionTimeoutMs,
      rebalanceTimeout: opts.rebalanceTimeoutMs,
      heartbeatInterval: opts.heartbeatIntervalMs,
      maxBytesPerPartition: opts.maxBytesPerPartition,
      maxWaitTimeInMs: opts.maxWaitTimeMs,
      allowAutoTopicCreation: false,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => this.onGroupJoin(e.payload.memberAssignment));
    this.consumer.on(this.consumer.events.CRASH, (e) => this.onCrashEvent(e.payload.error, e.payload.restart));
  }

  connect(): Promise<void> {
    return this.consumer.connect();
  }

  subscribe(topics: readonly string[], opts: { fromBeginning?: boolean } = {}): Promise<void> {
    return this.consumer.subscribe({ topics: [...topics], fromBeginning: opts.fromBeginning ?? false });
  }

  async run(handler: BatchHandler, opts: RunOptions = {}): Promise<void> {
    if (this.started) throw new Error(`source ${this.groupId} is already running`);
    this.started = true;
    await this.consumer.run({
      autoCommit: opts.autoCommit ?? false,
      // Resolved by hand below, so a batch we hold back (paused partition) is fetched again instead of skipped.
      eachBatchAutoResolve: false,
      // One batch at a time: a member owns one transactional producer, and kafkajs allows one open transaction.
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const key = tpKey(batch.topic, batch.partition);
        if (!this.assigned.has(key) || this.restoring.has(key) || this.userPaused.has(key)) return;
        const lastOffset = batch.lastOffset();
        const records = batch.messages.map((m) => fromKafkajsMessage(batch.topic, batch.partition, m));
        await handler(
          {
            topic: batch.topic,
            partition: batch.partition,
            records,
            highWatermark: batch.highWatermark,
            nextOffset: (BigInt(lastOffset) + 1n).toString(),
          },
          {
            heartbeat,
            isRunning,
            isStale: () => isStale() || !this.assigned.has(key),
          },
        );
        if (!isStale()) resolveOffset(lastOffset);
      },
    });
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.userPaused.set(tpKey(tp.topic, tp.partition), tp);
    if (this.started && partitions.length > 0) this.consumer.pause(toTopicPartitions(partitions));
  }

  resume(partitions: readonly TopicPartition[]): void {
    const ready: TopicPartition[] = [];
    for (const tp of partitions) {
      const key = tpKey(tp.topic, tp.partition);
      this.userPaused.delete(key);
      if (!this.restoring.has(key)) ready.push(tp);
    }
    if (this.started && ready.length > 0) this.consumer.resume(toTopicPartitions(ready));
  }

  assignment(): TopicPartition[] {
    return [...this.assigned.values()];
  }

  onAssigned(listener: PartitionsListener): () => void {
    this.assignedListeners.add(listener);
    return () => this.assignedListeners.delete(listener);
  }

  onRevoked(listener: PartitionsListener): () => void {
    this.revokedListeners.add(listener);
    return () => this.revokedListeners.delete(listener);
  }

  onJoined(listener: PartitionsListener): () => void {
    this.joinedListeners.add(listener);
    return () => this.joinedListeners.delete(listener);
  }

  onError(listener: (error: Error, fatal: boolean) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    return this.consumer.commitOffsets(
      offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })),
    );
  }

  seek(position: TopicPartitionOffset): void {
    this.consumer.seek({ topic: position.topic, partition: position.partition, offset: position.offset });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.consumer.disconnect();
    this.revokeAll();
    await this.callbacks;
  }

  private onGroupJoin(memberAssignment: kafkajs.IMemberAssignment): void {
    const next = new Map<string, TopicPartition>();
    for (const topic of Object.keys(memberAssignment)) {
      for (const partition of memberAssignment[topic]) next.set(tpKey(topic, partition), { topic, partition });
    }
    const revoked = [...this.assigned].filter(([k]) => !next.has(k)).map(([, tp]) => tp);
    const added = [...next].filter(([k]) => !this.assigned.has(k));
    this.assigned = next;
    for (const tp of revoked) this.restoring.delete(tpKey(tp.topic, tp.partition));
    for (const [k] of added) this.restoring.add(k);

    // kafkajs builds a fresh subscription state on every (re)start, so re-apply every pause that still holds.
    const hold = [...next].filter(([k]) => this.restoring.has(k) || this.userPaused.has(k)).map(([, tp]) => tp);
    if (hold.length > 0) this.consumer.pause(toTopicPartitions(hold));

    const addedTps = added.map(([, tp]) => tp);
    this.logger.info('kafka: partitions assigned', {
      groupId: this.groupId,
      assigned: next.size,
      added: addedTps.length,
      revoked: revoked.length,
    });
    const whole = [...next.values()];
    this.callbacks = this.callbacks
      .then(() => this.runCallbacks(revoked, addedTps))
      .then(async () => {
        if (!this.closed) await this.notify(this.joinedListeners, whole, 'onJoined');
      });
  }

  private async runCallbacks(revoked: TopicPartition[], added: TopicPartition[]): Promise<void> {
    if (revoked.length > 0) await this.notify(this.revokedListeners, revoked, 'onRevoked');
    if (added.length === 0) return;
    const ok = await this.notify(this.assignedListeners, added, 'onAssigned');
    if (!ok) {
      // Processing these partitions without the state the listener was to restore would give wrong results, so
      // they stay paused; the error is logged and a rebalance or restart tries again.
      this.logger.error('kafka: onAssigned failed; partitions stay paused', { groupId: this.groupId, added });
      return;
    }
    const ready: TopicPartition[] = [];
    for (const tp of added) {
      const key = tpKey(tp.topic, tp.partition);
      if (!this.restoring.delete(key)) continue; // revoked meanwhile
      if (this.assigned.has(key) && !this.userPaused.has(key)) ready.push(tp);
    }
    if (ready.length > 0 && !this.closed) this.consumer.resume(toTopicPartitions(ready));
  }

  private async notify(listeners: Set<PartitionsListener>, tps: TopicPartition[], what: string): Promise<boolean> {
    let ok = true;
    for (const l of listeners) {
      try {
        await l(tps);
      } catch (e) {
        ok = false;
        this.logger.error(`kafka: ${what} listener failed`, { groupId: this.groupId, error: e as Error });
      }
    }
    return ok;
  }

  private revokeAll(): void {
    const all = [...this.assigned.values()];
    this.assigned = new Map();
    this.restoring.clear();
    if (all.length > 0) this.callbacks = this.callbacks.then(() => this.runCallbacks(all, []));
  }

  private onCrashEvent(error: Error, restart: boolean): void {
    if (restart) {
      this.logger.warn('kafka: consumer crashed, kafkajs restarts it', { groupId: this.groupId, error });
    } else {
      this.logger.error('kafka: consumer crashed and stopped', { groupId: this.groupId, error });
      this.revokeAll();
    }
    for (const l of this.errorListeners) {
      try {
        l(error, !restart);
      } catch (e) {
        this.logger.error('kafka: onError listener failed', { groupId: this.groupId, error: e as Error });
      }
    }
  }
}
