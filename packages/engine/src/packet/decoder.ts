import type { RawFrame } from '../capture/types.js';
import { AddressCache } from './address.js';
import {
  FRAG_COMPLETE,
  FRAG_INVALID,
  FRAG_OVERFLOW,
  type FragmentLimits,
  FragmentTable,
  type FragResult,
} from './fragments.js';
import { LINK_TRUNCATED, LINK_UNSUPPORTED_LINKTYPE, linkPayload } from './link.js';
import type { DecodedPacket, DecodeProblem, TcpHeader } from './types.js';

/**
 * Frames down to the transport layer: link layer (link.ts) → IPv4 / IPv6 (+ extension headers, + fragment
 * reassembly) → TCP / UDP header. One decoder per input stream; it owns the fragment table and the address cache.
 *
 *   IPv4 (RFC 791)   0 u8 version(4)|IHL   2 u16 total length   4 u16 id   6 u16 flags(DF 0x4000, MF 0x2000)|offset/8
 *                    9 u8 protocol   12 src[4]   16 dst[4]   20 options (IHL·4 − 20 bytes)
 *     Total length trims Ethernet padding and any FCS. Total length 0 is TCP segmentation offload on the capturing
 *     host (the NIC fills it in later): the captured bytes are used, as Wireshark does; so are they when the length
 *     claims more than the frame holds (snaplen cut, stale offload length; counted in `shortPayloads`). The header checksum is not
 *     checked (captures taken on the sending host carry checksums the NIC has not computed yet).
 *   IPv6 (RFC 8200)  0 u8 version(6)|…   4 u16 payload length   6 u8 next header   8 src[16]   24 dst[16]   40 …
 *     Extension headers walked: hop-by-hop 0, routing 43, destination options 60 (len = (u8[1]+1)·8), AH 51
 *     (len = (u8[1]+2)·4), fragment 44 (8 bytes: u8 next, u8 res, u16 offset|M, u32 id). ESP 50 and no-next-header 59
 *     end the walk: ESP's payload is opaque and delivered as such. Payload length 0 (jumbogram, or TSO) → captured bytes.
 *   TCP (RFC 9293)   0 src port  2 dst port  4 u32 seq  8 u32 ack  12 data offset·4 (high nibble)  13 flags  14 window
 *                    20 options: 0 EOL, 1 NOP, 2 MSS (len 4), 3 window scale (len 3, shift capped at 14 per RFC 7323),
 *                    4 SACK-permitted, 5 SACK, 8 timestamps (len 10) … each kind/len/value
 *   UDP (RFC 768)    0 src port  2 dst port  4 u16 length (trims the payload; 0 = jumbogram)  6 checksum
 *   SCTP, UDP-Lite   ports like UDP (12- / 8-byte common header). Every other protocol (ICMP, GRE, ESP, …) is
 *                    delivered with ports 0 and its whole payload, so that `ip` rules can still see it.
 *
 * Outcome of one `decode`: a DecodedPacket, or exactly one DecodeProblem, counted in `problems` — except
 * `ip_fragment_timeout`, which counts datagrams given up on (their frames were counted as `ip_fragment_pending` when
 * they arrived). Nothing is thrown for any input.
 *
 * VALIDITY: the returned DecodedPacket is the decoder's own object (unless `out` is given), overwritten by the next
 * `decode`; `payload` is a view into the frame (or into a reassembled datagram). Copy what you keep.
 */
export interface DecoderOptions {
  /** Bounds for IP fragment reassembly (see fragments.ts). */
  fragments?: FragmentLimits;
}

export type ProblemCounters = Record<DecodeProblem, number>;

export const DECODE_PROBLEMS: readonly DecodeProblem[] = [
  'unsupported_linktype',
  'truncated_link',
  'unsupported_ethertype',
  'truncated_ip',
  'bad_ip_header',
  'ip_fragment_pending',
  'ip_fragment_overflow',
  'ip_fragment_timeout',
  'truncated_transport',
  'bad_tcp_header',
  'bad_udp_header',
  'unsupported_transport',
];

export function newProblemCounters(): ProblemCounters {
  const c = {} as ProblemCounters;
  for (const p of DECODE_PROBLEMS) c[p] = 0;
  return c;
}

export function newDecodedPacket(): DecodedPacket {
  return {
    tsUs: 0,
    ipVersion: 4,
    srcIp: '',
    dstIp: '',
    proto: 0,
    srcPort: 0,
    dstPort: 0,
    tcp: undefined,
    payload: EMPTY,
    wireLen: 0,
  };
}

function newTcpHeader(): TcpHeader {
  return { seq: 0, ack: 0, flags: 0, window: 0, wscale: undefined, mss: undefined };
}

const EMPTY = new Uint8Array(0);
const MAX_EXTENSION_HEADERS = 32;

export class PacketDecoder {
  /** Frames that did not decode, by reason (see the class comment for ip_fragment_timeout). */
  readonly problems: ProblemCounters = newProblemCounters();
  /** Frames offered. */
  frames = 0;
  /** DecodedPackets returned (a reassembled datagram counts once). */
  decoded = 0;
  /** TCP headers whose options were malformed (the packet still decodes; the bad options are ignored). */
  tcpOptionErrors = 0;
  /**
   * Packets whose IP (or UDP) length claims more bytes than the frame holds — cut by the snaplen, or a segmentation-
   * offload frame captured on the sending host whose header carries a stale length. They are decoded with the bytes
   * present (as Wireshark does): a TCP reassembler then sees the missing tail as a gap before the next segment.
   */
  shortPayloads = 0;
  readonly addresses = new AddressCache();
  readonly fragments: FragmentTable;
  /** The object `decode` fills when no `out` is given. */
  readonly packet: DecodedPacket = newDecodedPacket();
  private readonly tcpScratch: TcpHeader = newTcpHeader();

  constructor(opts: DecoderOptions = {}) {
    this.fragments = new FragmentTable(opts.fragments);
  }

  decode(frame: RawFrame, out: DecodedPacket = this.packet): DecodedPacket | DecodeProblem {
    this.frames++;
    if (this.fragments.pendingCount > 0) this.problems.ip_fragment_timeout += this.fragments.expire(frame.tsUs);
    const r = this.decodeFrame(frame, out);
    if (typeof r === 'string') {
      this.problems[r]++;
      return r;
    }
    this.decoded++;
    return r;
  }

  /** End of input: datagrams still incomplete are given up on (counted as ip_fragment_timeout). */
  finish(): void {
    this.problems.ip_fragment_timeout += this.fragments.expireAll();
  }

  private decodeFrame(frame: RawFrame, out: DecodedPacket): DecodedPacket | DecodeProblem {
    const data = frame.data;
    const lp = linkPayload(data, frame.linkType);
    if (lp < 0) {
      if (lp === LINK_TRUNCATED) return 'truncated_link';
      return lp === LINK_UNSUPPORTED_LINKTYPE ? 'unsupported_linktype' : 'unsupported_ethertype';
    }
    out.tsUs = frame.tsUs;
    out.wireLen = frame.origLen;
    return (lp & 7) === 4 ? this.ipv4(frame, data, lp >> 3, out) : this.ipv6(frame, data, lp >> 3, out);
  }

  private ipv4(frame: RawFrame, data: Uint8Array, off: number, out: DecodedPacket): DecodedPacket | DecodeProblem {
    const avail = data.length - off;
    if (avail < 20) return 'truncated_ip';
    const vihl = data[off];
    if (vihl >> 4 !== 4) return 'bad_ip_header';
    const hl = (vihl & 15) << 2;
    if (hl < 20) return 'bad_ip_header';
    if (hl > avail) return 'truncated_ip';
    let total = (data[off + 2] << 8) | data[off + 3];
    if (total === 0) total = avail;
    else if (total < hl) return 'bad_ip_header';
    else if (total > avail) {
      total = avail;
      this.shortPayloads++;
    }
    const proto = data[off + 9];
    out.ipVersion = 4;
    out.srcIp = this.addresses.ipv4(data, off + 12);
    out.dstIp = this.addresses.ipv4(data, off + 16);
    const frag = (data[off + 6] << 8) | data[off + 7];
    if ((frag & 0x3fff) === 0) return this.transport(data, off + hl, off + total, proto, out);
    // A fragment: MF set or a non-zero offset.
    const key = `4 ${out.srcIp} ${out.dstIp} ${proto} ${(data[off + 4] << 8) | data[off + 5]}`;
    const r = this.fragments.add(
      key,
      frame.tsUs,
      (frag & 0x1fff) << 3,
      data.subarray(off + hl, off + total),
      (frag & 0x2000) !== 0,
      proto,
      frame.origLen,
    );
    if (r !== FRAG_COMPLETE) return fragProblem(r);
    const d = this.fragments.completed!;
    out.wireLen = d.wireLen;
    return this.transport(d.buf, 0, d.total, proto, out);
  }

  private ipv6(frame: RawFrame, data: Uint8Array, off: number, out: DecodedPacket): DecodedPacket | DecodeProblem {
    if (data.length - off < 40) return 'truncated_ip';
    if (data[off] >> 4 !== 6) return 'bad_ip_header';
    const plen = (data[off + 4] << 8) | data[off + 5];
    const nh = data[off + 6];
    let end = off + 40 + plen;
    if (plen === 0 && nh !== 59) end = data.length;
    else if (end > data.length) {
      end = data.length;
      this.shortPayloads++;
    }
    out.ipVersion = 6;
    out.srcIp = this.addresses.ipv6(data, off + 8);
    out.dstIp = this.addresses.ipv6(data, off + 24);
    return this.ipv6Headers(frame, data, off + 40, end, nh, out);
  }

  /** Walk extension headers from `nh` at buf[p] up to `end`; `frame` is null inside a reassembled datagram. */
  private ipv6Headers(
    frame: RawFrame | null,
    buf: Uint8Array,
    p: number,
    end: number,
    nh: number,
    out: DecodedPacket,
  ): DecodedPacket | DecodeProblem {
    for (let i = 0; i < MAX_EXTENSION_HEADERS; i++) {
      switch (nh) {
        case 0: // hop-by-hop options
        case 43: // routing
        case 60: {
          // destination options
          if (end - p < 8) return 'truncated_ip';
          const len = (buf[p + 1] + 1) << 3;
          if (len > end - p) return 'truncated_ip';
          nh = buf[p];
          p += len;
          continue;
        }
        case 51: {
          // authentication header
          if (end - p < 8) return 'truncated_ip';
          const len = (buf[p + 1] + 2) << 2;
          if (len > end - p) return 'truncated_ip';
          nh = buf[p];
          p += len;
          continue;
        }
        case 44: {
          if (end - p < 8) return 'truncated_ip';
          const next = buf[p];
          const fo = (buf[p + 2] << 8) | buf[p + 3];
          const offset = fo & 0xfff8;
          const more = (fo & 1) !== 0;
          if (offset === 0 && !more) {
            // Atomic fragment (RFC 6946): not really fragmented, carry on.
            nh = next;
            p += 8;
            continue;
          }
          if (frame === null) return 'bad_ip_header'; // a fragment header inside a reassembled datagram
          const id = ((buf[p + 4] << 24) | (buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7]) >>> 0;
          const r = this.fragments.add(
            `6 ${out.srcIp} ${out.dstIp} ${id}`,
            frame.tsUs,
            offset,
            buf.subarray(p + 8, end),
            more,
            next,
            frame.origLen,
          );
          if (r !== FRAG_COMPLETE) return fragProblem(r);
          const d = this.fragments.completed!;
          out.wireLen = d.wireLen;
          // The reassembled payload starts with the header named by the first fragment's fragment header.
          return this.ipv6Headers(null, d.buf, 0, d.total, d.proto, out);
        }
        default:
          return this.transport(buf, p, end, nh, out);
      }
    }
    return 'bad_ip_header';
  }

  private transport(
    buf: Uint8Array,
    p: number,
    end: number,
    proto: number,
    out: DecodedPacket,
  ): DecodedPacket | DecodeProblem {
    const len = end - p;
    out.proto = proto;
    switch (proto) {
      case 6: {
        if (len < 20) return 'truncated_transport';
        const doff = (buf[p + 12] >> 4) << 2;
        if (doff < 20 || doff > len) return 'bad_tcp_header';
        const t = out === this.packet ? this.tcpScratch : newTcpHeader();
        t.seq = ((buf[p + 4] << 24) | (buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7]) >>> 0;
        t.ack = ((buf[p + 8] << 24) | (buf[p + 9] << 16) | (buf[p + 10] << 8) | buf[p + 11]) >>> 0;
        t.flags = buf[p + 13];
        t.window = (buf[p + 14] << 8) | buf[p + 15];
        t.wscale = undefined;
        t.mss = undefined;
        if (doff > 20) this.tcpOptions(buf, p + 20, p + doff, t);
        out.srcPort = (buf[p] << 8) | buf[p + 1];
        out.dstPort = (buf[p + 2] << 8) | buf[p + 3];
        out.tcp = t;
        out.payload = buf.subarray(p + doff, end);
        return out;
      }
      case 17: {
        if (len < 8) return 'truncated_transport';
        let ulen = (buf[p + 4] << 8) | buf[p + 5];
        if (ulen === 0) ulen = len;
        else if (ulen < 8) return 'bad_udp_header';
        else if (ulen > len) {
          ulen = len;
          this.shortPayloads++;
        }
        out.srcPort = (buf[p] << 8) | buf[p + 1];
        out.dstPort = (buf[p + 2] << 8) | buf[p + 3];
        out.tcp = undefined;
        out.payload = buf.subarray(p + 8, p + ulen);
        return out;
      }
      case 132: // SCTP
      case 136: {
        // UDP-Lite
        const hdr = proto === 132 ? 12 : 8;
        if (len < hdr) return 'truncated_transport';
        out.srcPort = (buf[p] << 8) | buf[p + 1];
        out.dstPort = (buf[p + 2] << 8) | buf[p + 3];
        out.tcp = undefined;
        out.payload = buf.subarray(p + hdr, end);
        return out;
      }
      default:
        out.srcPort = 0;
        out.dstPort = 0;
        out.tcp = undefined;
        out.payload = proto === 59 ? EMPTY : buf.subarray(p, end);
        return out;
    }
  }

  private tcpOptions(buf: Uint8Array, p: number, end: number, t: TcpHeader): void {
    while (p < end) {
      const kind = buf[p];
      if (kind === 0) return;
      if (kind === 1) {
        p++;
        continue;
      }
      const len = end - p >= 2 ? buf[p + 1] : 0;
      if (len < 2 || len > end - p) {
        this.tcpOptionErrors++;
        return;
      }
      if (kind === 2) {
        if (len === 4) t.mss = (buf[p + 2] << 8) | buf[p + 3];
        else this.tcpOptionErrors++;
      } else if (kind === 3) {
        if (len === 3) t.wscale = Math.min(buf[p + 2], 14);
        else this.tcpOptionErrors++;
      }
      p += len;
    }
  }
}

function fragProblem(r: FragResult): DecodeProblem {
  if (r === FRAG_OVERFLOW) return 'ip_fragment_overflow';
  if (r === FRAG_INVALID) return 'bad_ip_header';
  return 'ip_fragment_pending';
}

let shared: PacketDecoder | null = null;

/**
 * One-off decoding with a module-wide decoder (its fragment table and counters are shared by every caller). Use a
 * PacketDecoder of your own for a stream of frames.
 */
export function decodeFrame(frame: RawFrame, out?: DecodedPacket): DecodedPacket | DecodeProblem {
  shared ??= new PacketDecoder();
  return shared.decode(frame, out);
}
