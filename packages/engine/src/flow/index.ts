export { communityId } from './community-id.js';
export { HostPairKey } from './host-pair.js';
export { compareBytes, ipToBytes, ipv4ToBytes, ipv6ToBytes } from './ip.js';
