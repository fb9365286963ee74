/** A frame decoded down to the transport layer. IP fragments arrive here already reassembled. */
export interface DecodedPacket {
  tsUs: number;
  ipVersion: 4 | 6;
  /** Canonical text form: dotted quad, or RFC 5952 compressed IPv6. */
  srcIp: string;
  dstIp: string;
  /** IP protocol number: 6 TCP, 17 UDP, … */
  proto: number;
  srcPort: number;
  dstPort: number;
  /** Present when proto is TCP. */
  tcp?: TcpHeader;
  /** Transport payload (TCP/UDP data). A view; copy to keep. */
  payload: Uint8Array;
  /** Bytes of the original frame on the wire (for byte counters). */
  wireLen: number;
}

export interface TcpHeader {
  seq: number; // u32
  ack: number; // u32
  /** Raw flag byte: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80. */
  flags: number;
  window: number;
  /** Window scale from the SYN option, if any. */
  wscale?: number;
  mss?: number;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** Why a frame was not turned into a DecodedPacket: counted by kind in stats, never thrown. */
export type DecodeProblem =
  | 'unsupported_linktype'
  | 'truncated_link'
  | 'unsupported_ethertype'
  | 'truncated_ip'
  | 'bad_ip_header'
  | 'ip_fragment_pending'
  | 'ip_fragment_overflow'
  | 'ip_fragment_timeout'
  | 'truncated_transport'
  | 'bad_tcp_header'
  // Added by the packet decoder: a UDP length field below the 8-byte header (not a truncation, a lie).
  | 'bad_udp_header'
  | 'unsupported_transport';
