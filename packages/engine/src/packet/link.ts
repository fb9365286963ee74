/**
 * Link layers, down to the start of the IP header. Each function returns either a position packed with the IP
 * version — `(offset << 3) | 4` or `(offset << 3) | 6` (frames are ≤ 256 KiB, so this stays a small integer) — or a
 * negative LINK_* code. No allocation, no exceptions.
 *
 *   Ethernet (LINKTYPE 1)   0 dst[6]  6 src[6]  12 u16 type/length
 *     type 8100 / 88a8 / 9100 / 9200  VLAN tag: u16 TCI, u16 inner type (stacked: QinQ, any depth up to 8)
 *     type 8864 (PPPoE session)        u8 ver/type, u8 code, u16 session, u16 length, u16 PPP protocol (0021 IPv4, 0057 IPv6)
 *     type 8847 / 8848 (MPLS)          u32 label entries until the bottom-of-stack bit; then IP by version nibble
 *     type/length ≤ 1500 (802.3)       LLC aa aa 03 + SNAP OUI 00 00 00 + u16 type, otherwise not IP
 *   Linux SLL (113)   0 u16 packet type  2 u16 ARPHRD  4 u16 addr len  6 addr[8]  14 u16 protocol (an Ethernet type)
 *   Linux SLL2 (276)  0 u16 protocol  2 u16 reserved  4 u32 ifindex  8 u16 ARPHRD  10 u8 packet type  11 u8 addr len
 *                     12 addr[8]   (20 bytes)
 *   raw IP (101, and 12 / 14 as some BSDs write it; 228 IPv4 only; 229 IPv6 only): the version nibble decides
 *   BSD loopback / null (0) and OpenBSD loop (108): u32 address family, in the byte order of the machine that wrote it
 *     for null (network order for loop in principle, but writers disagree): AF_INET 2; AF_INET6 24 (NetBSD/OpenBSD/
 *     BSD/OS), 28 (FreeBSD, DragonFly), 30 (macOS) — all values read in both byte orders
 */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW_BSD12 = 12;
export const LINKTYPE_RAW_BSD14 = 14;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

export const LINK_TRUNCATED = -1;
export const LINK_UNSUPPORTED_ETHERTYPE = -2;
export const LINK_UNSUPPORTED_LINKTYPE = -3;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;
const ETHERTYPE_QINQ_OLD2 = 0x9200;
const ETHERTYPE_PPPOE_SESSION = 0x8864;
const ETHERTYPE_MPLS = 0x8847;
const ETHERTYPE_MPLS_MC = 0x8848;
const MAX_TAGS = 8;

/** Where the IP header starts in `data` for a frame of `linkType`. */
export function linkPayload(data: Uint8Array, linkType: number): number {
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      if (data.length < 14) return LINK_TRUNCATED;
      return etherPayload(data, 14, (data[12] << 8) | data[13]);
    case LINKTYPE_LINUX_SLL:
      if (data.length < 16) return LINK_TRUNCATED;
      return etherPayload(data, 16, (data[14] << 8) | data[15]);
    case LINKTYPE_LINUX_SLL2:
      if (data.length < 20) return LINK_TRUNCATED;
      return etherPayload(data, 20, (data[0] << 8) | data[1]);
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_BSD12:
    case LINKTYPE_RAW_BSD14:
      return rawPayload(data, 0);
    case LINKTYPE_IPV4:
      return data.length < 1 ? LINK_TRUNCATED : (0 << 3) | 4;
    case LINKTYPE_IPV6:
      return data.length < 1 ? LINK_TRUNCATED : (0 << 3) | 6;
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP:
      return loopPayload(data);
    default:
      return LINK_UNSUPPORTED_LINKTYPE;
  }
}

/** The payload of an Ethernet-typed header whose type field (already read) is `type` and whose payload is at `off`. */
export function etherPayload(data: Uint8Array, off: number, type: number): number {
  const n = data.length;
  for (let tags = 0; ; tags++) {
    switch (type) {
      case ETHERTYPE_IPV4:
        return (off << 3) | 4;
      case ETHERTYPE_IPV6:
        return (off << 3) | 6;
      case ETHERTYPE_VLAN:
      case ETHERTYPE_QINQ:
      case ETHERTYPE_QINQ_OLD:
      case ETHERTYPE_QINQ_OLD2:
        if (tags >= MAX_TAGS) return LINK_UNSUPPORTED_ETHERTYPE;
        if (n < off + 4) return LINK_TRUNCATED;
        type = (data[off + 2] << 8) | data[off + 3];
        off += 4;
        continue;
      case ETHERTYPE_PPPOE_SESSION: {
        if (n < off + 8) return LINK_TRUNCATED;
        const ppp = (data[off + 6] << 8) | data[off + 7];
        if (ppp === 0x0021) return ((off + 8) << 3) | 4;
        if (ppp === 0x0057) return ((off + 8) << 3) | 6;
        return LINK_UNSUPPORTED_ETHERTYPE;
      }
      case ETHERTYPE_MPLS:
      case ETHERTYPE_MPLS_MC: {
        for (let labels = 0; ; labels++) {
          if (labels >= MAX_TAGS) return LINK_UNSUPPORTED_ETHERTYPE;
          if (n < off + 4) return LINK_TRUNCATED;
          const bottom = (data[off + 2] & 1) !== 0;
          off += 4;
          if (bottom) break;
        }
        // No protocol field after MPLS: the payload is IP when its first nibble says so (pseudowires are not).
        return rawPayload(data, off);
      }
      default:
        if (type <= 1500) {
          // 802.3 length field: only LLC/SNAP with an Ethernet type carries IP.
          if (n < off + 8) return LINK_TRUNCATED;
          if (data[off] !== 0xaa || data[off + 1] !== 0xaa || data[off + 2] !== 0x03) return LINK_UNSUPPORTED_ETHERTYPE;
          if (data[off + 3] !== 0 || data[off + 4] !== 0 || data[off + 5] !== 0) return LINK_UNSUPPORTED_ETHERTYPE;
          if (tags >= MAX_TAGS) return LINK_UNSUPPORTED_ETHERTYPE;
          type = (data[off + 6] << 8) | data[off + 7];
          off += 8;
          continue;
        }
        return LINK_UNSUPPORTED_ETHERTYPE;
    }
  }
}

function rawPayload(data: Uint8Array, off: number): number {
  if (data.length <= off) return LINK_TRUNCATED;
  const v = data[off] >> 4;
  if (v === 4) return (off << 3) | 4;
  if (v === 6) return (off << 3) | 6;
  return LINK_UNSUPPORTED_ETHERTYPE;
}

function loopPayload(data: Uint8Array): number {
  if (data.length < 4) return LINK_TRUNCATED;
  // Host byte order of the writer: a family value is small, so whichever end holds the non-zero byte tells.
  const le = data[0] | (data[1] << 8) | (data[2] << 16) | (data[3] << 24);
  const be = (data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3];
  const family = le >>> 0 < 256 ? le : be;
  if (family === 2) return (4 << 3) | 4;
  if (family === 24 || family === 28 || family === 30) return (4 << 3) | 6;
  return LINK_UNSUPPORTED_ETHERTYPE;
}
