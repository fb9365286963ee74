import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey, toPositive } from '../src/partitioner.js';

const utf8 = (s: string) => Buffer.from(s, 'utf8');

describe('murmur2 (Kafka Utils.murmur2)', () => {
  // Apache Kafka's own vectors: clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, testMurmur2.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %j like the Java client', (input, expected) => {
    expect(murmur2(utf8(input))).toBe(expected);
  });

  // Bytes ≥ 0x80 (Java sign-extends `byte` and masks with 0xff), every tail length, and the empty key. Values printed
  // by the real org.apache.kafka.common.utils.Utils.murmur2 from kafka-clients 4.1.2 in jshell:
  //   jshell --class-path kafka-clients-4.1.2.jar:slf4j-api-1.7.36.jar  →  Utils.murmur2(new byte[]{...})
  it.each([
    [[], 275646681],
    [[0xff], -311467685],
    [[0x80, 0x00, 0xfe], 1477263534],
    [[0xde, 0xad, 0xbe, 0xef, 0x01], -306773845],
  ])('hashes bytes %j like the Java client', (bytes, expected) => {
    expect(murmur2(Uint8Array.from(bytes))).toBe(expected);
  });

  it('hashes a host-pair style key like the Java client', () => {
    expect(murmur2(utf8('10.0.0.1|10.0.0.2'))).toBe(-1790853268);
  });
});

describe('partitionForKey', () => {
  it('uses toPositive (sign bit cleared), not Math.abs or an unsigned shift', () => {
    // murmur2("foobar") = -790332482; & 0x7fffffff = 1357151166; % 6 = 0. `>>> 0` would give 3504634814 % 6 = 2.
    expect(toPositive(-790332482)).toBe(1357151166);
    expect(partitionForKey(utf8('foobar'), 6)).toBe(0);
    expect(partitionForKey(utf8('foobar'), 50)).toBe(16);
    expect(toPositive(-2147483648)).toBe(0);
  });

  it('agrees with kafkajs DefaultPartitioner (an independent Java-compatible implementation) on many keys', () => {
    const partitioner = kafkajs.Partitioners.DefaultPartitioner();
    for (const n of [1, 3, 6, 7, 12, 64]) {
      const partitionMetadata = Array.from({ length: n }, (_, partitionId) => ({
        partitionId,
        leader: 1,
        partitionErrorCode: 0,
        replicas: [1],
        isr: [1],
      }));
      for (let i = 0; i < 2000; i++) {
        const key = Buffer.from(`flow-${i}-${(i * 2654435761) >>> 0}`);
        const theirs = partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
        expect(partitionForKey(key, n)).toBe(theirs);
      }
    }
  });

  it('rejects a partition count that is not a positive integer', () => {
    expect(() => partitionForKey(utf8('k'), 0)).toThrow(RangeError);
    expect(() => partitionForKey(utf8('k'), 2.5)).toThrow(RangeError);
  });
});
