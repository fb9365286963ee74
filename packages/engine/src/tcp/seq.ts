/**
 * TCP sequence-number arithmetic (RFC 793 §3.3, RFC 1982 serial-number arithmetic). Sequence numbers are u32
 * stored in JS numbers; comparing them with `<` breaks when a stream wraps past 2^32, so every comparison in the
 * reassembler goes through `seqDiff`, which is exact whenever the two numbers are less than 2^31 apart (TCP windows
 * and our buffer bounds keep them far closer than that).
 */

/** Signed distance `a - b` in 32-bit serial arithmetic: > 0 when `a` comes after `b`. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** `a + n` modulo 2^32 (n may be negative). */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
