/**
 * Kafka's Java default partitioning for keyed records, in our own code so that the partition of a flow never depends
 * on which client library produced it.
 *
 *   partition = toPositive(murmur2(keyBytes)) % numPartitions      (org.apache.kafka.clients.producer.internals
 *   toPositive(n) = n & 0x7fffffff                                  .BuiltInPartitioner.partitionForKey)
 *
 * murmur2 is org.apache.kafka.common.utils.Utils.murmur2 — MurmurHash2, 32-bit, seed 0x9747b28c, m = 0x5bd1e995:
 *
 *   h = seed ^ len
 *   for each little-endian 4-byte word k:  k *= m; k ^= k >>> 24; k *= m; h *= m; h ^= k
 *   tail (len % 4 bytes, Java's switch falls through): 3: h ^= b[2] << 16; 2: h ^= b[1] << 8; 1: h ^= b[0]; h *= m
 *   finally: h ^= h >>> 13; h *= m; h ^= h >>> 15
 *
 * All arithmetic is Java int (32-bit two's complement, wrapping): Math.imul for the multiplies, `| 0` to stay signed.
 * Note `& 0x7fffffff`, not `>>> 0` and not Math.abs: some clients (e.g. @platformatic/kafka's default) differ here
 * and put the same key on another partition.
 */

const SEED = 0x9747b28c | 0;
const M = 0x5bd1e995;

/** Kafka's Utils.murmur2: the signed 32-bit MurmurHash2 of `data`. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const words = length >>> 2;
  for (let i = 0; i < words; i++) {
    const i4 = i << 2;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // Java's `switch (length % 4)` falls through 3 → 2 → 1, which is these cumulative tests.
  const tail = length & ~3;
  const rest = length & 3;
  if (rest >= 3) h ^= data[tail + 2] << 16;
  if (rest >= 2) h ^= data[tail + 1] << 8;
  if (rest >= 1) {
    h ^= data[tail];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive: clears the sign bit (not Math.abs, which maps MIN_VALUE to itself). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition the Java producer picks for a keyed record. */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) {
    throw new RangeError(`numPartitions must be a positive integer, got ${numPartitions}`);
  }
  return toPositive(murmur2(key)) % numPartitions;
}
