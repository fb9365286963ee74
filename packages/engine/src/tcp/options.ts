/**
 * Tunables of the TCP reassembler. Every bound the reassembler keeps is here; all times are packet time in
 * microseconds (the reassembler never reads the wall clock).
 */
export interface ReassemblyOptions {
  /** Connections tracked at once (live and recently closed). At the cap the least recently used is evicted. */
  maxConnections: number;
  /** Idle timeout of an established connection (handshake done, or midstream with traffic both ways). */
  establishedTimeoutUs: number;
  /** Idle timeout of a connection that is not established (SYN without answer, one-sided midstream, scans). */
  halfOpenTimeoutUs: number;
  /**
   * How long a connection closed by FIN or RST stays in the table to absorb its trailing packets (the last ACK, a
   * retransmitted FIN/RST) instead of having them picked up as a new midstream connection. A SYN, or payload
   * beyond what the closed connection carried, ends the linger at once and starts a new connection.
   */
  closedLingerUs: number;
  /** Idle expiry runs at most once per this much packet time (it is O(1) when nothing is due anyway). */
  expiryIntervalUs: number;
  /** Out-of-order bytes buffered per direction; beyond this the oldest hole is skipped as a gap. */
  maxBufferedBytesPerDirection: number;
  /** Out-of-order segments buffered per direction (bounds per-segment overhead with tiny segments). */
  maxBufferedSegmentsPerDirection: number;
  /** Out-of-order bytes buffered across all connections; beyond this the largest buffer is flushed with a gap. */
  maxBufferedBytesTotal: number;
  /**
   * Skip a hole once more than this many bytes are buffered beyond it: with packet loss in the capture the hole
   * will never fill, and waiting for the buffer limit would delay detection by up to a megabyte per stream.
   */
  gapSkipBufferedBytes: number;
  /** Skip a hole as soon as the other side acknowledges data beyond it (it will never be retransmitted). */
  ackGapSkip: boolean;
  /**
   * An RST is honoured only if its sequence number is within this distance of the sender's next expected
   * sequence number (when that is known). A blind RST with a random sequence number must not make us stop
   * inspecting a connection the endpoints still use.
   */
  rstSeqWindowBytes: number;
  /**
   * Pick up connections whose SYN was not captured. When false, packets of unknown connections without SYN are
   * ignored.
   */
  midstream: boolean;
  /**
   * When a midstream pickup counts as established (`flow:established`): 'both_directions' (default) once each side
   * has sent a packet; 'immediate' from its first packet, as Snort and Suricata do with midstream pickup enabled
   * (needed for one-sided captures, where the other direction never appears).
   */
  midstreamEstablished: 'both_directions' | 'immediate';
}

export const DEFAULT_REASSEMBLY_OPTIONS: Readonly<ReassemblyOptions> = Object.freeze({
  maxConnections: 262_144,
  establishedTimeoutUs: 120_000_000,
  halfOpenTimeoutUs: 30_000_000,
  closedLingerUs: 10_000_000,
  expiryIntervalUs: 1_000_000,
  maxBufferedBytesPerDirection: 1 << 20,
  maxBufferedSegmentsPerDirection: 2048,
  maxBufferedBytesTotal: 64 << 20,
  gapSkipBufferedBytes: 64 << 10,
  ackGapSkip: true,
  rstSeqWindowBytes: 1 << 20,
  midstream: true,
  midstreamEstablished: 'both_directions',
});

const NUMERIC_OPTIONS = [
  'maxConnections',
  'establishedTimeoutUs',
  'halfOpenTimeoutUs',
  'closedLingerUs',
  'expiryIntervalUs',
  'maxBufferedBytesPerDirection',
  'maxBufferedSegmentsPerDirection',
  'maxBufferedBytesTotal',
  'gapSkipBufferedBytes',
  'rstSeqWindowBytes',
] as const;

/** Defaults merged with `opts`; throws a RangeError naming the option when a value is unusable (at construction). */
export function resolveReassemblyOptions(opts: Partial<ReassemblyOptions> = {}): ReassemblyOptions {
  const o: ReassemblyOptions = { ...DEFAULT_REASSEMBLY_OPTIONS };
  for (const [k, v] of Object.entries(opts)) {
    if (!Object.hasOwn(DEFAULT_REASSEMBLY_OPTIONS, k)) throw new RangeError(`unknown reassembly option '${k}'`);
    if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v;
  }
  for (const k of NUMERIC_OPTIONS) {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new RangeError(`reassembly option ${k} must be a non-negative integer, got ${String(v)}`);
    }
  }
  if (o.maxConnections < 1) throw new RangeError('reassembly option maxConnections must be at least 1');
  if (o.expiryIntervalUs < 1) throw new RangeError('reassembly option expiryIntervalUs must be at least 1');
  if (o.midstreamEstablished !== 'both_directions' && o.midstreamEstablished !== 'immediate') {
    throw new RangeError(
      `reassembly option midstreamEstablished must be 'both_directions' or 'immediate', got ${String(o.midstreamEstablished)}`,
    );
  }
  if (typeof o.ackGapSkip !== 'boolean') throw new RangeError('reassembly option ackGapSkip must be a boolean');
  if (typeof o.midstream !== 'boolean') throw new RangeError('reassembly option midstream must be a boolean');
  return o;
}
