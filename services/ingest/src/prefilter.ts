/**
 * Prefilter (INGEST_PREFILTER=true): drops the payload packets of TCP connections that are already known NOT to be
 * DCE/RPC, so bulk traffic (HTTPS, SMB file copies, backups) does not fill `wmi.packets.v1`.
 *
 * It decides exactly as the detector's DcerpcConnection does for a connection whose handshake it saw: the first
 * payload bytes of a direction (the segment at ISN+1) are probed with the engine's DCE/RPC header probe
 * (probeHeader with FIRST_PDU_CLIENT for the SYN sender, FIRST_PDU_SERVER for the other side). A miss in either
 * direction before any hit makes the connection not DCE/RPC — the detector then stops looking at its payload too,
 * so nothing it would have inspected is dropped. A hit makes it DCE/RPC for good.
 *
 * Kept, always: every packet of a connection whose SYN this process did not see (midstream, another ingest replica
 * saw it, or evicted from the table), every packet while undecided, the deciding packet itself (the "first payload
 * bytes"), SYN/FIN/RST packets (the detector's connection bookkeeping), pure ACKs, non-TCP and undecodable frames.
 * Dropped: only frames with TCP payload on a connection decided not DCE/RPC. Conservative by construction: losing
 * state (eviction, restart, another replica) only means less filtering.
 *
 * Bounded: at most `maxConnections` tracked; the oldest is evicted (counted) when a new SYN arrives at the cap.
 */
import {
  FIRST_PDU_CLIENT,
  FIRST_PDU_SERVER,
  newDecodedPacket,
  PacketDecoder,
  PROBE_NO,
  PROBE_YES,
  probeHeader,
  type RawFrame,
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
} from '@wmi-detect/engine';
import type { WireFrame } from '@wmi-detect/wire';

const UNDECIDED = 0;
const DCERPC = 1;
const NOT_DCERPC = 2;

interface Conn {
  clientIp: string;
  clientPort: number;
  /** ISN of the client (SYN) and server (SYN-ACK) directions; -1 until seen. */
  isn: [number, number];
  verdict: number;
  fins: number;
}

export interface PrefilterStats {
  /** Frames dropped (payload of connections decided not DCE/RPC). */
  droppedFrames: number;
  /** Captured bytes of those frames: what the pre-filter saved on Kafka (before compression). */
  savedBytes: number;
  decidedDcerpc: number;
  decidedNotDcerpc: number;
  /** Connections forgotten at the table cap (their later packets are all kept). */
  evicted: number;
}

export class Prefilter {
  readonly stats: PrefilterStats = {
    droppedFrames: 0,
    savedBytes: 0,
    decidedDcerpc: 0,
    decidedNotDcerpc: 0,
    evicted: 0,
  };
  private readonly conns = new Map<string, Conn>();
  private readonly decoder = new PacketDecoder();
  private readonly pkt = newDecodedPacket();
  private readonly raw: RawFrame = {
    tsUs: 0,
    linkType: 0,
    data: new Uint8Array(0),
    origLen: 0,
    ifIndex: 0,
    fileOffset: 0,
  };

  constructor(private readonly maxConnections = 262_144) {}

  get tracked(): number {
    return this.conns.size;
  }

  /** True to forward the frame, false to drop it (and count it). */
  readonly keep = (f: WireFrame): boolean => {
    const raw = this.raw;
    raw.tsUs = f.t;
    raw.linkType = f.l;
    raw.data = f.d;
    raw.origLen = f.o ?? f.d.length;
    const p = this.decoder.decode(raw, this.pkt);
    if (typeof p === 'string' || p.proto !== 6 || p.tcp === undefined) return true;
    const flags = p.tcp.flags;
    // Canonical connection key: the lower (ip, port) endpoint first. Addresses are interned by the decoder's cache.
    const srcFirst = p.srcIp < p.dstIp || (p.srcIp === p.dstIp && p.srcPort <= p.dstPort);
    const key = srcFirst
      ? `${p.srcIp} ${p.srcPort} ${p.dstIp} ${p.dstPort}`
      : `${p.dstIp} ${p.dstPort} ${p.srcIp} ${p.srcPort}`;
    let c = this.conns.get(key);
    if ((flags & TCP_SYN) !== 0) {
      if ((flags & TCP_ACK) === 0) {
        if (c === undefined || c.verdict !== UNDECIDED || c.clientIp !== p.srcIp || c.clientPort !== p.srcPort) {
          // A new connection (or the 4-tuple reused): start over.
          if (c !== undefined) this.conns.delete(key);
          else if (this.conns.size >= this.maxConnections) this.evictOldest();
          c = { clientIp: p.srcIp, clientPort: p.srcPort, isn: [-1, -1], verdict: UNDECIDED, fins: 0 };
          this.conns.set(key, c);
        }
        c.isn[0] = p.tcp.seq;
      } else if (c !== undefined && c.clientIp === p.dstIp && c.clientPort === p.dstPort) {
        c.isn[1] = p.tcp.seq;
      }
      return true;
    }
    if (c === undefined) return true;
    if ((flags & TCP_RST) !== 0) {
      this.conns.delete(key);
      return true;
    }
    if ((flags & TCP_FIN) !== 0) {
      if (++c.fins >= 2) this.conns.delete(key);
      return true;
    }
    const len = p.payload.length;
    if (len === 0) return true;
    if (c.verdict === NOT_DCERPC) {
      this.stats.droppedFrames++;
      this.stats.savedBytes += f.d.length;
      return false;
    }
    if (c.verdict === DCERPC) return true;
    const dir = p.srcIp === c.clientIp && p.srcPort === c.clientPort ? 0 : 1;
    const isn = c.isn[dir];
    if (isn < 0 || p.tcp.seq !== (isn + 1) >>> 0) return true;
    const r = probeHeader(p.payload, 0, len, dir === 0 ? FIRST_PDU_CLIENT : FIRST_PDU_SERVER);
    if (r === PROBE_YES) {
      c.verdict = DCERPC;
      this.stats.decidedDcerpc++;
    } else if (r === PROBE_NO) {
      c.verdict = NOT_DCERPC;
      this.stats.decidedNotDcerpc++;
    }
    return true;
  };

  private evictOldest(): void {
    const first = this.conns.keys().next();
    if (!first.done) {
      this.conns.delete(first.value);
      this.stats.evicted++;
    }
  }
}
