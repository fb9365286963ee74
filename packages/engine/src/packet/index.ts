// Packets: link layer → IPv4/IPv6 (with fragment reassembly) → TCP/UDP headers.
export { AddressCache, formatIPv4, formatIPv6 } from './address.js';
export {
  DECODE_PROBLEMS,
  type DecoderOptions,
  decodeFrame,
  newDecodedPacket,
  newProblemCounters,
  PacketDecoder,
  type ProblemCounters,
} from './decoder.js';
export {
  Datagram,
  FRAG_COMPLETE,
  FRAG_INVALID,
  FRAG_OVERFLOW,
  FRAG_PENDING,
  type FragmentLimits,
  type FragmentStats,
  FragmentTable,
  type FragResult,
} from './fragments.js';
export * from './link.js';
export * from './types.js';
