/** `wmidetect topics create` against the real test broker: creates, is idempotent, refuses a partition mismatch. */
import { createKafkajsClient, type KafkaAdmin, KafkajsClient, type TopicNames } from '@wmi-detect/kafka';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokers, testKafkaLogger, uniqueName } from '../../../test/kafka/brokers.js';
import { topicsCommand } from '../src/commands/topics.js';
import { createTopics, TopicsError } from '../src/topics/plan.js';

let admin: KafkaAdmin;
let brokers: string[];

beforeAll(async () => {
  brokers = kafkaBrokers();
  admin = createKafkajsClient({ brokers, logger: testKafkaLogger }).admin();
  await admin.connect();
});
afterAll(async () => {
  await admin?.close();
});

function names(): TopicNames {
  const p = uniqueName('t');
  return {
    packets: `${p}.packets`,
    detections: `${p}.detections`,
    dlq: `${p}.dlq`,
    alerts: `${p}.alerts`,
    suppressed: `${p}.suppressed`,
    refAssets: `${p}.assets`,
    refWhitelist: `${p}.whitelist`,
    detectState: `${p}.state`,
  };
}

describe('topics create', () => {
  it('creates every topic once (data topics N partitions, reference topics 1), then finds them all', async () => {
    const n = names();
    const first = await createTopics(admin, n, { partitions: 3 });
    expect(first.map((o) => o.action)).toEqual(Array(8).fill('created'));
    const desc = new Map((await admin.describeTopics(Object.values(n))).map((d) => [d.topic, d.partitions.length]));
    expect(desc.get(n.packets)).toBe(3);
    expect(desc.get(n.detectState)).toBe(3);
    expect(desc.get(n.suppressed)).toBe(3);
    expect(desc.get(n.refAssets)).toBe(1);
    expect(desc.get(n.refWhitelist)).toBe(1);
    // The one-broker test cluster: replication factor lowered to 1.
    expect((await admin.describeTopics([n.packets]))[0].partitions[0].replicas).toHaveLength(1);
    // Topic configs, read with kafkajs's DescribeConfigs directly (the port has no call for it).
    const raw = new KafkajsClient({ brokers, logger: testKafkaLogger }).kafka.admin();
    await raw.connect();
    const cfg = await raw.describeConfigs({
      includeSynonyms: false,
      resources: [n.packets, n.detectState, n.refWhitelist].map((name) => ({
        type: kafkajs.ConfigResourceTypes.TOPIC,
        name,
        configNames: ['cleanup.policy', 'retention.ms', 'min.insync.replicas'],
      })),
    });
    await raw.disconnect();
    const value = (topic: string, key: string) =>
      cfg.resources.find((r) => r.resourceName === topic)?.configEntries.find((e) => e.configName === key)?.configValue;
    expect(value(n.packets, 'cleanup.policy')).toBe('delete');
    expect(value(n.packets, 'retention.ms')).toBe('86400000');
    expect(value(n.packets, 'min.insync.replicas')).toBe('1');
    expect(value(n.detectState, 'cleanup.policy')).toBe('compact');
    expect(value(n.refWhitelist, 'cleanup.policy')).toBe('compact');
    const second = await createTopics(admin, n, { partitions: 3 });
    expect(second.map((o) => o.action)).toEqual(Array(8).fill('exists'));
  });

  it('refuses co-partitioned topics with another partition count, naming topic and both counts', async () => {
    const n = names();
    await admin.createTopics([{ topic: n.detections, partitions: 2 }]);
    const err = await createTopics(admin, n, { partitions: 4 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TopicsError);
    expect((err as Error).message).toContain(`${n.detections} has 2 partitions, --partitions is 4`);
    // It never adds partitions.
    expect((await admin.describeTopics([n.detections]))[0].partitions).toHaveLength(2);
  });

  it('the command: exit 0 and idempotent with TOPIC_* from the environment; 1 on a mismatch; 2 on bad config', async () => {
    const n = names();
    const env = {
      KAFKA_BROKERS: brokers.join(','),
      TOPIC_PACKETS: n.packets,
      TOPIC_DETECTIONS: n.detections,
      TOPIC_DLQ: n.dlq,
      TOPIC_ALERTS: n.alerts,
      TOPIC_SUPPRESSED: n.suppressed,
      TOPIC_REF_ASSETS: n.refAssets,
      TOPIC_REF_WHITELIST: n.refWhitelist,
      TOPIC_DETECT_STATE: n.detectState,
    };
    expect(await topicsCommand(['create', '--partitions', '2', '--retention-ms', 'packets=60000'], env)).toBe(0);
    expect(await topicsCommand(['create', '--partitions', '2'], env)).toBe(0);
    expect(await topicsCommand(['create', '--partitions', '5'], env)).toBe(1);
    expect(await topicsCommand(['create'], { ...env, KAFKA_SSL: 'yes' })).toBe(2);
    expect(await topicsCommand(['create', '--replication-factor', '3'], env)).toBe(1);
  });
});
