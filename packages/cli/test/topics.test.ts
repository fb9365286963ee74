import { DEFAULT_TOPICS } from '@wmi-detect/kafka';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/args.js';
import { parseTopicsArgs } from '../src/commands/topics.js';
import { planTopics, replication, TopicsError } from '../src/topics/plan.js';

describe('topics plan (configuration.md §6)', () => {
  it('defaults: 12 partitions, rf 3 lowered to the broker count, min ISR min(2, rf), compaction for state and reference', () => {
    const specs = planTopics(DEFAULT_TOPICS, { partitions: 12 }, 1);
    const by = new Map(specs.map((s) => [s.topic, s]));
    expect(specs.map((s) => s.topic)).toEqual([
      'wmi.packets.v1',
      'wmi.detections.v1',
      'wmi.detect.state.v1',
      'wmi.dlq.v1',
      'wmi.alerts.v1',
      'wmi.alerts.suppressed.v1',
      'wmi.reference.assets',
      'wmi.reference.whitelist',
    ]);
    expect(by.get('wmi.packets.v1')).toEqual({
      topic: 'wmi.packets.v1',
      partitions: 12,
      replicationFactor: 1,
      configs: { 'cleanup.policy': 'delete', 'retention.ms': '86400000', 'min.insync.replicas': '1' },
    });
    expect(by.get('wmi.alerts.suppressed.v1')!.configs!['retention.ms']).toBe('2592000000');
    expect(by.get('wmi.dlq.v1')!.configs!['retention.ms']).toBe('1209600000');
    expect(by.get('wmi.detect.state.v1')).toMatchObject({ partitions: 12, configs: { 'cleanup.policy': 'compact' } });
    expect(by.get('wmi.reference.assets')).toMatchObject({ partitions: 1, configs: { 'cleanup.policy': 'compact' } });
    expect(by.get('wmi.detect.state.v1')!.configs!['retention.ms']).toBeUndefined();
  });

  it('replication: 3 of 5 brokers with min ISR 2; an explicit factor above the broker count is an error', () => {
    expect(replication({ partitions: 1 }, 5)).toEqual({ rf: 3, minIsr: 2 });
    expect(replication({ partitions: 1 }, 2)).toEqual({ rf: 2, minIsr: 2 });
    expect(replication({ partitions: 1, replicationFactor: 3, minInsyncReplicas: 3 }, 3)).toEqual({ rf: 3, minIsr: 3 });
    expect(() => replication({ partitions: 1, replicationFactor: 3 }, 1)).toThrow(TopicsError);
    expect(() => replication({ partitions: 1, replicationFactor: 2, minInsyncReplicas: 3 }, 3)).toThrow(/above/);
  });

  it('parses the flags, retention per topic, and refuses unknown topics', () => {
    expect(
      parseTopicsArgs(['--partitions', '4', '--retention-ms', 'packets=3600000', '--retention-ms=alerts=-1']),
    ).toEqual({
      partitions: 4,
      replicationFactor: undefined,
      minInsyncReplicas: undefined,
      retentionMs: { packets: 3600000, alerts: -1 },
    });
    expect(() => parseTopicsArgs(['--retention-ms', 'state=1'])).toThrow(UsageError);
    expect(() => parseTopicsArgs(['--partitions', '0'])).toThrow(UsageError);
    const specs = planTopics(DEFAULT_TOPICS, parseTopicsArgs(['--retention-ms', 'packets=5']), 3);
    expect(specs[0].configs!['retention.ms']).toBe('5');
    expect(specs[0].partitions).toBe(12);
  });
});
