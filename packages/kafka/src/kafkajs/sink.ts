/**
 * RecordSink and TransactionalSink on kafkajs producers.
 *
 * Both produce with acks=all (-1), our Java-compatible partitioner and GZIP by default. The transactional producer is
 * idempotent with maxInFlightRequests 1, which kafkajs requires for transactions (docs/Transactions.md): with more
 * requests in flight a retried batch could be written out of order and break the sequence numbers.
 */
import kafkajs from 'kafkajs';
import type {
  KafkaLogger,
  OutgoingRecord,
  ProduceResult,
  RecordSink,
  SinkOptions,
  TopicPartitionOffset,
  TransactionalSink,
  TransactionalSinkOptions,
  Txn,
} from '../port.js';
import { javaCompatiblePartitioner, toTopicMessages, toTopicOffsets } from './convert.js';
import { retryTransient } from './retry.js';

const { CompressionTypes } = kafkajs;
const ACKS_ALL = -1;

const compressionOf = (c: 'none' | 'gzip' | undefined): kafkajs.CompressionTypes =>
  c === 'none' ? CompressionTypes.None : CompressionTypes.GZIP;

function toResults(meta: kafkajs.RecordMetadata[]): ProduceResult[] {
  return meta.map((m) => ({
    topic: m.topicName,
    partition: m.partition,
    baseOffset: m.baseOffset ?? m.offset ?? '-1',
  }));
}

export class KafkajsSink implements RecordSink {
  private readonly producer: kafkajs.Producer;
  private readonly compression: kafkajs.CompressionTypes;

  constructor(kafka: kafkajs.Kafka, opts: SinkOptions = {}) {
    const idempotent = opts.idempotent ?? true;
    this.producer = kafka.producer({
      createPartitioner: javaCompatiblePartitioner,
      idempotent,
      // kafkajs's idempotent producer needs a single request in flight to keep sequence numbers in order.
      maxInFlightRequests: idempotent ? 1 : undefined,
      allowAutoTopicCreation: false,
    });
    this.compression = compressionOf(opts.compression);
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async send(records: readonly OutgoingRecord[]): Promise<ProduceResult[]> {
    if (records.length === 0) return [];
    const meta = await this.producer.sendBatch({
      acks: ACKS_ALL,
      compression: this.compression,
      topicMessages: toTopicMessages(records),
    });
    return toResults(meta);
  }

  close(): Promise<void> {
    return this.producer.disconnect();
  }
}

class KafkajsTxn implements Txn {
  private done = false;

  constructor(
    private readonly txn: kafkajs.Transaction,
    private readonly compression: kafkajs.CompressionTypes,
    private readonly logger: KafkaLogger,
    private readonly onEnd: () => void,
  ) {}

  private assertOpen(op: string): void {
    if (this.done) throw new Error(`transaction already ended; cannot ${op}`);
  }

  async send(records: readonly OutgoingRecord[]): Promise<void> {
    this.assertOpen('send');
    if (records.length === 0) return;
    await this.txn.sendBatch({
      acks: ACKS_ALL,
      compression: this.compression,
      topicMessages: toTopicMessages(records),
    });
  }

  async sendOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    this.assertOpen('sendOffsets');
    if (offsets.length === 0) return;
    const topics = toTopicOffsets(offsets);
    await retryTransient('sendOffsets', () => this.txn.sendOffsets({ consumerGroupId: groupId, topics }), this.logger);
  }

  async commit(): Promise<void> {
    this.assertOpen('commit');
    this.done = true;
    try {
      await this.txn.commit();
    } finally {
      this.onEnd();
    }
  }

  async abort(): Promise<void> {
    this.assertOpen('abort');
    this.done = true;
    try {
      await this.txn.abort();
    } finally {
      this.onEnd();
    }
  }
}

export class KafkajsTransactionalSink implements TransactionalSink {
  readonly transactionalId: string;
  private readonly producer: kafkajs.Producer;
  private readonly compression: kafkajs.CompressionTypes;
  private open: KafkajsTxn | null = null;

  constructor(
    kafka: kafkajs.Kafka,
    opts: TransactionalSinkOptions,
    private readonly logger: KafkaLogger,
  ) {
    if (!opts.transactionalId) throw new Error('transactionalSink needs a transactionalId');
    this.transactionalId = opts.transactionalId;
    this.producer = kafka.producer({
      createPartitioner: javaCompatiblePartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionalId: opts.transactionalId,
      transactionTimeout: opts.transactionTimeoutMs ?? 60_000,
      allowAutoTopicCreation: false,
    });
    this.compression = compressionOf(opts.compression);
  }

  /**
   * Connects and registers the transactional.id (InitProducerId with the id), which aborts whatever transaction an
   * older producer with the same id left open and fences that producer: its next send/commit fails.
   *
   * kafkajs's connect() alone only fetches an idempotent producer id; it registers the transactional.id lazily at
   * the first transaction(). Opening and ending an empty transaction here makes the fencing happen at connect, as
   * the port promises — before this member reads any input — and costs no broker-side transaction (kafkajs ends a
   * transaction with no partitions locally).
   */
  async connect(): Promise<void> {
    await retryTransient('transactional connect', () => this.producer.connect(), this.logger);
    await retryTransient(
      'transactional init',
      async () => {
        const txn = await this.producer.transaction();
        await txn.abort();
      },
      this.logger,
    );
  }

  async begin(): Promise<Txn> {
    if (this.open) throw new Error(`transaction already open on ${this.transactionalId}`);
    const txn = await this.producer.transaction();
    const wrapped = new KafkajsTxn(txn, this.compression, this.logger, () => {
      if (this.open === wrapped) this.open = null;
    });
    this.open = wrapped;
    return wrapped;
  }

  async close(): Promise<void> {
    // An open transaction would otherwise stay pending on the broker until transaction.timeout.ms, blocking
    // read_committed readers of its partitions (the last stable offset cannot pass it).
    if (this.open) {
      try {
        await this.open.abort();
      } catch (e) {
        this.logger.warn('abort on close failed', { transactionalId: this.transactionalId, error: e as Error });
      }
    }
    await this.producer.disconnect();
  }
}
