/**
 * HostPairKey bytes straight from a frame's IP header: the Kafka key of `wmi.packets.v1` (docs/wire-format.md §3).
 *
 *   IPv4 key (8 bytes)   min(src, dst) ‖ max(src, dst)    4-byte addresses as on the wire, compared as unsigned bytes
 *   IPv6 key (32 bytes)  min(src, dst) ‖ max(src, dst)    16-byte addresses, same order
 *   fallback (1 byte)    0x00                              frames with no IP header (ARP, LLDP, unknown link types,
 *                                                         truncated headers): all on one partition, counted
 *
 * Identical to the engine's HostPairKey.of(srcIp, dstIp).bytes (a test holds the two together), but computed from
 * the header bytes without decoding the transport layer or formatting address text: ingest sees every packet of
 * every sensor, and this is its per-packet hot path.
 *
 * Why the IP header and not PacketDecoder: an IP fragment that is not the last one does not decode to a packet
 * (PacketDecoder reports ip_fragment_pending), yet it must travel on the same partition as the rest of its datagram
 * so that the detector can reassemble it. Every fragment carries both addresses, so the key is always known.
 */
import { formatIPv4, formatIPv6, linkPayload } from '@wmi-detect/engine';

export const FALLBACK_KEY: Uint8Array = Uint8Array.of(0);

/** Longest key: two IPv6 addresses. */
export const MAX_KEY_BYTES = 32;

/**
 * Writes the key of `data` (a frame of link type `linkType`) into `out` (≥ 32 bytes) and returns its length: 8 for
 * IPv4, 32 for IPv6, 0 when the frame has no readable IP header (the caller uses FALLBACK_KEY).
 */
export function writeHostPairKey(data: Uint8Array, linkType: number, out: Uint8Array): number {
  const lp = linkPayload(data, linkType);
  if (lp < 0) return 0;
  const off = lp >> 3;
  if ((lp & 7) === 4) {
    if (off + 20 > data.length || data[off] >> 4 !== 4) return 0;
    return writeOrdered(data, off + 12, off + 16, 4, out);
  }
  if (off + 40 > data.length || data[off] >> 4 !== 6) return 0;
  return writeOrdered(data, off + 8, off + 24, 16, out);
}

function writeOrdered(data: Uint8Array, a: number, b: number, n: number, out: Uint8Array): number {
  let cmp = 0;
  for (let i = 0; i < n && cmp === 0; i++) cmp = data[a + i] - data[b + i];
  const lo = cmp <= 0 ? a : b;
  const hi = cmp <= 0 ? b : a;
  for (let i = 0; i < n; i++) {
    out[i] = data[lo + i];
    out[n + i] = data[hi + i];
  }
  return n + n;
}

/** "a|b" text of a key, for headers and logs (once per record, not per packet). */
export function hostPairText(key: Uint8Array): string {
  // the engine's formatters, so the text equals HostPairKey.toString() of the decoded addresses
  if (key.length === 8) return `${formatIPv4(key, 0)}|${formatIPv4(key, 4)}`;
  if (key.length === 32) return `${formatIPv6(key, 0)}|${formatIPv6(key, 16)}`;
  return 'non-ip';
}
