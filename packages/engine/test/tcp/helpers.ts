import type { DecodedPacket } from '../../src/packet/types.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../src/packet/types.js';
import type { ReassemblyOptions } from '../../src/tcp/options.js';
import { TcpReassembler } from '../../src/tcp/reassembler.js';
import type {
  CloseReason,
  ConnectionInfo,
  Direction,
  StreamConsumer,
  StreamFactory,
  TcpPacketInfo,
} from '../../src/tcp/types.js';

export { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN };
export const SYN = TCP_SYN;
export const ACK = TCP_ACK;
export const FIN = TCP_FIN;
export const RST = TCP_RST;
export const PA = TCP_PSH | TCP_ACK;
export const SA = TCP_SYN | TCP_ACK;
export const FA = TCP_FIN | TCP_ACK;
export const RA = TCP_RST | TCP_ACK;

export interface Host {
  ip: string;
  port: number;
}

/** The default pair: a Windows client on an ephemeral port talking to the RPC endpoint mapper. */
export const CLIENT: Host = { ip: '192.168.56.10', port: 49733 };
export const SERVER: Host = { ip: '192.168.56.20', port: 135 };

export interface SegOpts {
  seq: number;
  ack?: number;
  flags: number;
  data?: string | Uint8Array;
  /** Packet time in microseconds (default 0). */
  ts?: number;
}

const enc = new TextEncoder();

/** One synthetic TCP packet from `src` to `dst`. String data is Latin-1/ASCII text. */
export function packet(src: Host, dst: Host, o: SegOpts): DecodedPacket {
  const payload = o.data === undefined ? new Uint8Array(0) : typeof o.data === 'string' ? enc.encode(o.data) : o.data;
  const v6 = src.ip.includes(':');
  return {
    tsUs: o.ts ?? 0,
    ipVersion: v6 ? 6 : 4,
    srcIp: src.ip,
    dstIp: dst.ip,
    proto: 6,
    srcPort: src.port,
    dstPort: dst.port,
    tcp: { seq: o.seq >>> 0, ack: (o.ack ?? 0) >>> 0, flags: o.flags, window: 65535 },
    payload,
    wireLen: 54 + payload.length,
  };
}

export type Event =
  | { kind: 'data'; conn: number; dir: Direction; text: string; ts: number }
  | { kind: 'gap'; conn: number; dir: Direction; length: number; ts: number }
  | { kind: 'close'; conn: number; reason: CloseReason; ts: number };

/** A consumer that records everything; `wants` decides wantsPayload(). */
export class Recorder implements StreamFactory {
  readonly events: Event[] = [];
  readonly conns: ConnectionInfo[] = [];
  /** Per connection id: what wantsPayload() answers (default true). */
  readonly wants = new Map<number, boolean>();
  wantsPolls = 0;

  newConsumer(conn: ConnectionInfo): StreamConsumer {
    this.conns.push(conn);
    const events = this.events;
    const self = this;
    return {
      onData(dir, data, ts) {
        events.push({ kind: 'data', conn: conn.id, dir, text: Buffer.from(data).toString('latin1'), ts });
      },
      onGap(dir, length, ts) {
        events.push({ kind: 'gap', conn: conn.id, dir, length, ts });
      },
      onClose(reason, ts) {
        events.push({ kind: 'close', conn: conn.id, reason, ts });
      },
      wantsPayload() {
        self.wantsPolls++;
        return self.wants.get(conn.id) ?? true;
      },
    };
  }

  /** One direction of one connection as text, gaps written as `[gap N]`. */
  stream(connId: number, dir: Direction): string {
    let out = '';
    for (const e of this.events) {
      if (e.kind === 'data' && e.conn === connId && e.dir === dir) out += e.text;
      else if (e.kind === 'gap' && e.conn === connId && e.dir === dir) out += `[gap ${e.length}]`;
    }
    return out;
  }

  closes(): { conn: number; reason: CloseReason; ts: number }[] {
    return this.events.filter((e) => e.kind === 'close').map((e) => ({ conn: e.conn, reason: e.reason, ts: e.ts }));
  }
}

/** A reassembler, its recorder, and shorthands for packets between CLIENT and SERVER. */
export function setup(opts: Partial<ReassemblyOptions> = {}, client: Host = CLIENT, server: Host = SERVER) {
  const rec = new Recorder();
  const r = new TcpReassembler(rec, opts);
  const c = (o: SegOpts): TcpPacketInfo | null => r.process(packet(client, server, o));
  const s = (o: SegOpts): TcpPacketInfo | null => r.process(packet(server, client, o));
  return { r, rec, c, s };
}

/** Snapshot of a TcpPacketInfo (the object is updated in place by later packets). */
export function snap(info: TcpPacketInfo | null): { id: number; dir: Direction; established: boolean } | null {
  return info === null ? null : { id: info.conn.id, dir: info.dir, established: info.established };
}

export const CISN = 1000;
export const SISN = 5000;

/** Three-way handshake between CLIENT and SERVER with ISNs CISN / SISN at time ts. */
export function handshake(
  c: (o: SegOpts) => TcpPacketInfo | null,
  s: (o: SegOpts) => TcpPacketInfo | null,
  ts = 0,
  cisn = CISN,
  sisn = SISN,
): void {
  c({ seq: cisn, flags: SYN, ts });
  s({ seq: sisn, ack: cisn + 1, flags: SA, ts });
  c({ seq: cisn + 1, ack: sisn + 1, flags: ACK, ts });
}
