/**
 * The Kafka port: the few things our services need from a Kafka client, in our own words.
 *
 * Why a port: the Node Kafka clients differ exactly where an exactly-once stream processor is sensitive — how offsets
 * join a transaction, how rebalances are reported, how keys are partitioned (docs/decisions.md). The services
 * (ingest, detect, enrich) and the CLI talk only to these interfaces; `src/kafkajs/` is the one adapter that knows
 * kafkajs. Swapping the client (e.g. to @platformatic/kafka or @confluentinc/kafka-javascript) means writing another
 * adapter, not touching a service.
 *
 * Conventions at this boundary:
 * - Bytes in, bytes out: keys, values and headers are Buffers. Message schemas (msgpack) live above the port.
 * - Offsets are decimal strings (Kafka offsets are int64; a JS number loses precision past 2^53).
 * - A committed offset is the offset of the NEXT record to read (last processed + 1), as in Kafka itself.
 * - Keyed records are partitioned with Kafka's Java rule (`partitionForKey`, src/partitioner.ts) unless the caller
 *   names a partition, so flows never re-shard when producers in different languages or clients share a topic.
 */

/** Where a record lives. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A position in a partition; for commits and `sendOffsets`, the offset of the next record to consume. */
export interface TopicPartitionOffset extends TopicPartition {
  readonly offset: string;
  /**
   * The commit's metadata string: stored with the offset by `sendOffsets`/`commit` (absent: none) and returned by
   * `fetchCommitted` (null: none). Kafka keeps it atomically with the offset, so it can carry a second position.
   */
  readonly metadata?: string | null;
}

/**
 * Record headers. Kafka allows a key to repeat; the port keeps the last value of each key (Java's
 * `Headers.lastHeader`), which is what every header we read or write relies on.
 */
export type KafkaHeaders = Record<string, Buffer>;

/** A record read from Kafka. */
export interface KafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: KafkaHeaders;
  /** CreateTime or LogAppendTime (per topic config), milliseconds since the epoch. */
  readonly timestamp: number;
}

/** A record to write. */
export interface OutgoingRecord {
  readonly topic: string;
  readonly key: Buffer | null;
  /** null is a tombstone on a compacted topic. */
  readonly value: Buffer | null;
  /** Explicit partition; when absent, keyed records go to `partitionForKey(key, n)` (Java murmur2 rule). */
  readonly partition?: number;
  readonly headers?: Readonly<Record<string, Buffer | string>>;
  /** CreateTime in ms since the epoch; defaults to now. */
  readonly timestamp?: number;
}

/** Where a produce request landed: the first offset written to each partition. */
export interface ProduceResult extends TopicPartition {
  readonly baseOffset: string;
}

/** Producer: every send waits for all in-sync replicas (acks=all). */
export interface RecordSink {
  connect(): Promise<void>;
  send(records: readonly OutgoingRecord[]): Promise<ProduceResult[]>;
  close(): Promise<void>;
}

/** One open transaction. Exactly one of commit/abort ends it. */
export interface Txn {
  send(records: readonly OutgoingRecord[]): Promise<void>;
  /**
   * Adds consumed positions (next offset to read) of `groupId` to this transaction, so the input progress commits
   * atomically with the output (consume-transform-produce).
   */
  sendOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Transactional producer. One transactional.id per instance; opening it fences any older producer with the same id
 * (a zombie after a rebalance or restart), which is what makes consume-transform-produce exactly-once.
 */
export interface TransactionalSink {
  readonly transactionalId: string;
  connect(): Promise<void>;
  /** Starts a transaction; only one may be open at a time. */
  begin(): Promise<Txn>;
  close(): Promise<void>;
}

/** A batch of records from one partition, in offset order. */
export interface RecordBatch extends TopicPartition {
  readonly records: readonly KafkaRecord[];
  /** The partition's high watermark (or last stable offset for read_committed) when fetched. */
  readonly highWatermark: string;
  /**
   * The position after this batch: the offset to commit (or `sendOffsets`) once all its records are processed. It can
   * be past the last record's offset + 1 when the batch ended in transaction markers the client filtered out.
   */
  readonly nextOffset: string;
}

export interface BatchContext {
  /** Keep the group membership alive during long processing. */
  heartbeat(): Promise<void>;
  /** False once the source is stopping: finish quickly and return. */
  isRunning(): boolean;
  /** True when a rebalance made this batch stale (its partition may be gone): drop the work, do not commit. */
  isStale(): boolean;
}

/**
 * Called for each fetched batch. When it resolves, the source continues after the batch's last record (and with
 * autoCommit, commits that position). When it throws, the batch is fetched again after the client restarts.
 */
export type BatchHandler = (batch: RecordBatch, ctx: BatchContext) => Promise<void>;

/**
 * Partition callbacks. `assigned` runs before any batch of the new partitions is delivered (they stay paused until it
 * resolves), so per-partition state can be restored first; `revoked` runs for partitions this member lost.
 */
export type PartitionsListener = (partitions: readonly TopicPartition[]) => void | Promise<void>;

export interface RunOptions {
  /** Commit consumed positions automatically (default false: commit explicitly or through a transaction). */
  readonly autoCommit?: boolean;
}

/** A consumer group member. */
export interface RecordSource {
  readonly groupId: string;
  connect(): Promise<void>;
  /** Subscribe before `run`. `fromBeginning` applies when the group has no committed offset. */
  subscribe(topics: readonly string[], opts?: { fromBeginning?: boolean }): Promise<void>;
  /** Starts fetching; resolves once the consumer is running (not when it stops). */
  run(handler: BatchHandler, opts?: RunOptions): Promise<void>;
  /** Stop fetching these partitions (back-pressure); the group assignment is unchanged. */
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  /** Current assignment of this member. */
  assignment(): TopicPartition[];
  onAssigned(listener: PartitionsListener): () => void;
  onRevoked(listener: PartitionsListener): () => void;
  /**
   * After every group join (each rebalance this member took part in), once that join's onRevoked/onAssigned
   * listeners have run: the member's whole assignment, which may be empty. onAssigned alone cannot tell a member
   * that got nothing (more members than partitions) from one that has not joined yet.
   */
  onJoined(listener: PartitionsListener): () => void;
  /**
   * The consumer failed. `fatal` false: the client rejoins by itself (expect a rebalance); true: it stopped for good
   * and the process should report itself unhealthy or exit.
   */
  onError(listener: (error: Error, fatal: boolean) => void): () => void;
  /** Commit positions (next offset to read) for this group outside a transaction. */
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  /** Continue reading a partition at `offset` (only for partitions in the current assignment). */
  seek(position: TopicPartitionOffset): void;
  /** Leaves the group (revoking every partition) and disconnects. */
  close(): Promise<void>;
}

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  /** Default 1 on a single broker; the cluster default otherwise is not assumed. */
  readonly replicationFactor?: number;
  /** Topic configs, e.g. { 'cleanup.policy': 'compact', 'min.insync.replicas': '2' }. */
  readonly configs?: Readonly<Record<string, string>>;
}

export interface PartitionDescription {
  readonly partition: number;
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface TopicDescription {
  readonly topic: string;
  readonly partitions: readonly PartitionDescription[];
}

export interface PartitionOffsets {
  readonly partition: number;
  /** Log start offset. */
  readonly low: string;
  /** Offset the next produced record will get (high watermark). */
  readonly high: string;
}

/** The cluster as the admin client sees it (for replication factors that cannot exceed the broker count). */
export interface ClusterDescription {
  readonly brokers: readonly { readonly nodeId: number; readonly host: string; readonly port: number }[];
  readonly controller: number | null;
}

export interface KafkaAdmin {
  connect(): Promise<void>;
  /** Brokers and controller of the cluster. */
  describeCluster(): Promise<ClusterDescription>;
  /** Creates missing topics and waits for their leaders; returns the names it created (existing ones are left). */
  createTopics(specs: readonly TopicSpec[]): Promise<string[]>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  listTopics(): Promise<string[]>;
  describeTopics(topics: readonly string[]): Promise<TopicDescription[]>;
  /** Start and end offsets of every partition of `topic`, sorted by partition. */
  fetchOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** Committed positions of a group (offset '-1' where none), sorted by partition. */
  fetchCommitted(groupId: string, topic: string): Promise<TopicPartitionOffset[]>;
  /** Consumer group ids the cluster knows. */
  listGroups(): Promise<string[]>;
  /**
   * Deletes consumer groups with no members (and their committed offsets), e.g. the throw-away groups of a reader
   * that has closed. Rejects naming the groups the broker refused (a group with members is refused).
   */
  deleteGroups(groupIds: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export interface SinkOptions {
  /** Idempotent producer (default true): retries never duplicate or reorder within a partition. */
  readonly idempotent?: boolean;
  /** Batch compression (default 'gzip', the codec every client reads without plug-ins). */
  readonly compression?: 'none' | 'gzip';
}

export interface TransactionalSinkOptions {
  readonly transactionalId: string;
  /** Transaction timeout on the broker, ms (default 60 000). */
  readonly transactionTimeoutMs?: number;
  readonly compression?: 'none' | 'gzip';
}

export interface SourceOptions {
  readonly groupId: string;
  /** Only see committed transactional records (isolation.level=read_committed). Default true. */
  readonly readCommitted?: boolean;
  readonly sessionTimeoutMs?: number;
  readonly rebalanceTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** Upper bound on bytes fetched per partition per request (default 1 MiB). */
  readonly maxBytesPerPartition?: number;
  /** How long the broker may hold a fetch waiting for data (default 500 ms). */
  readonly maxWaitTimeMs?: number;
}

/** The factory a composition root hands to the services. */
export interface KafkaClient {
  readonly brokers: readonly string[];
  sink(opts?: SinkOptions): RecordSink;
  transactionalSink(opts: TransactionalSinkOptions): TransactionalSink;
  source(opts: SourceOptions): RecordSource;
  admin(): KafkaAdmin;
}

/** The logging surface the adapter needs; @wmi-detect/ops's Logger satisfies it. */
export interface KafkaLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}
