/**
 * TcpConversation: one TCP connection between a client and a server, written frame by frame.
 *
 * It keeps both directions' sequence numbers (mod 2^32) and emits what a capture point would see:
 *   - the 3-way handshake (SYN with MSS / window scale / SACK-permitted options, SYN/ACK, ACK),
 *     or nothing at all for a midstream pickup (`midstream()`),
 *   - data segmented at an MSS with PSH on the last segment of each write, acknowledged by the peer,
 *   - FIN/ACK teardown or RST,
 *   - capture-side impairments of one write: segments retransmitted, overlapping copies (identical, or
 *     conflicting but entirely below what the receiver already has), out-of-order delivery and
 *     segments the sensor never saw (gaps). The endpoints themselves are unaffected: ACKs always
 *     acknowledge the whole write, which is what a capture with sensor loss looks like.
 *
 * Sequence numbers can start near 2^32 (`clientIsn`/`serverIsn`) to force wrap-around mid-session.
 */
import type { Host, Network } from '../capture/network.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, type TcpOptions } from '../net/transport.js';

export type Side = 'client' | 'server';

export interface TcpConversationOptions {
  client: Host;
  server: Host;
  clientPort: number;
  serverPort: number;
  clientIsn?: number;
  serverIsn?: number;
  /** MSS each side advertises on its SYN and uses to segment what it sends. */
  clientMss?: number;
  serverMss?: number;
  /** Round-trip time used to space replies (µs). */
  rttMicros?: number;
}

/** A capture-side impairment of one `send()`; segment indices refer to the MSS segmentation of that write. */
export type Impairment =
  /** Segment `segment` is seen again (byte-identical) right after segment `after` (default: the last one). */
  | { kind: 'retransmit'; segment: number; after?: number }
  /**
   * An extra segment carrying bytes [from, to) of this write is seen right after segment `after`.
   * With `conflicting`, its bytes differ from the original (filled with `fill`, default 'X'); use it only
   * for ranges the receiver already has in order, so every real TCP stack discards the copy.
   */
  | { kind: 'overlap'; after: number; from: number; to: number; conflicting?: boolean; fill?: number }
  /** Segments are seen in this order (a permutation of 0..n-1; dropped segments may be omitted). */
  | { kind: 'reorder'; order: number[] }
  /** Segment `segment` is never seen by the sensor (the hosts exchanged it normally). */
  | { kind: 'drop'; segment: number };

export interface SendOptions {
  /** Segment size for this write (default: the sender's MSS). */
  mss?: number;
  impairments?: Impairment[];
  /** Skip the peer's ACK (e.g. when the peer's reply follows at once and piggybacks it). */
  noAck?: boolean;
}

/** What a write looked like on the wire: used by scenarios to describe impairments precisely. */
export interface SentSegment {
  index: number;
  seq: number;
  length: number;
  /** Offset of this segment's first byte within the write. */
  offset: number;
}

export interface SendResult {
  /** Sequence number of the first byte of the write. */
  seq: number;
  segments: SentSegment[];
}

const WINDOW = 0x2000; // with window scale 8: 2 MiB, typical of Windows 10/Server 2016+

export class TcpConversation {
  private readonly o: Required<Omit<TcpConversationOptions, 'client' | 'server'>> & { client: Host; server: Host };
  private nextSeq: Record<Side, number>;
  private established = false;
  private closed = false;

  constructor(
    readonly net: Network,
    options: TcpConversationOptions,
  ) {
    this.o = {
      clientIsn: 0x1a2b3c4d,
      serverIsn: 0x5e6f7081,
      clientMss: 1460,
      serverMss: 1460,
      rttMicros: 420,
      ...options,
    };
    this.nextSeq = { client: this.o.clientIsn >>> 0, server: this.o.serverIsn >>> 0 };
  }

  get client(): Host {
    return this.o.client;
  }

  get server(): Host {
    return this.o.server;
  }

  get clientPort(): number {
    return this.o.clientPort;
  }

  get serverPort(): number {
    return this.o.serverPort;
  }

  /** Next sequence number `side` will send. */
  seqOf(side: Side): number {
    return this.nextSeq[side];
  }

  private ends(side: Side): { src: Host; dst: Host; srcPort: number; dstPort: number } {
    return side === 'client'
      ? { src: this.o.client, dst: this.o.server, srcPort: this.o.clientPort, dstPort: this.o.serverPort }
      : { src: this.o.server, dst: this.o.client, srcPort: this.o.serverPort, dstPort: this.o.clientPort };
  }

  private segment(side: Side, seq: number, flags: number, payload: Uint8Array, options?: TcpOptions): void {
    const e = this.ends(side);
    const peer: Side = side === 'client' ? 'server' : 'client';
    this.net.tcp(e.src, e.dst, {
      srcPort: e.srcPort,
      dstPort: e.dstPort,
      seq,
      ack: flags & TCP_ACK ? this.nextSeq[peer] : 0,
      flags,
      window: flags & TCP_SYN ? 64240 : WINDOW,
      options,
      payload,
    });
  }

  private ackFrom(side: Side): void {
    this.segment(side, this.nextSeq[side], TCP_ACK, new Uint8Array(0));
  }

  handshake(): void {
    if (this.established) throw new Error('handshake on an established connection');
    const half = this.o.rttMicros / 2;
    this.segment('client', this.nextSeq.client, TCP_SYN, new Uint8Array(0), {
      mss: this.o.clientMss,
      windowScale: 8,
      sackPermitted: true,
    });
    this.nextSeq.client = (this.nextSeq.client + 1) >>> 0;
    this.net.advance(half);
    this.segment('server', this.nextSeq.server, TCP_SYN | TCP_ACK, new Uint8Array(0), {
      mss: this.o.serverMss,
      windowScale: 8,
      sackPermitted: true,
    });
    this.nextSeq.server = (this.nextSeq.server + 1) >>> 0;
    this.net.advance(half);
    this.ackFrom('client');
    this.established = true;
  }

  /** The capture starts on an already-established connection: no handshake is emitted. */
  midstream(): void {
    if (this.established) throw new Error('midstream() on an established connection');
    this.established = true;
  }

  send(side: Side, data: Uint8Array, opts: SendOptions = {}): SendResult {
    if (!this.established) throw new Error('send() before handshake() or midstream()');
    if (this.closed) throw new Error('send() after close');
    if (data.length === 0) throw new Error('send() of zero bytes');
    const mss = opts.mss ?? (side === 'client' ? this.o.clientMss : this.o.serverMss);
    const base = this.nextSeq[side];
    const segs: SentSegment[] = [];
    for (let off = 0, i = 0; off < data.length; off += mss, i++) {
      const len = Math.min(mss, data.length - off);
      segs.push({ index: i, seq: (base + off) >>> 0, length: len, offset: off });
    }

    const imps = opts.impairments ?? [];
    const reorder = imps.find((x) => x.kind === 'reorder');
    const dropped = new Set(imps.filter((x) => x.kind === 'drop').map((x) => (x as { segment: number }).segment));
    let order = reorder && reorder.kind === 'reorder' ? reorder.order.slice() : segs.map((s) => s.index);
    for (const i of order)
      if (i < 0 || i >= segs.length) throw new Error(`impairment refers to segment ${i} of ${segs.length}`);
    order = order.filter((i) => !dropped.has(i));

    // Extra copies are attached after a given original segment (or after the last one seen).
    const extrasAfter = new Map<number, Array<{ seq: number; bytes: Uint8Array }>>();
    const lastSeen = order[order.length - 1] ?? -1;
    const addExtra = (after: number, seq: number, bytes: Uint8Array): void => {
      const list = extrasAfter.get(after) ?? [];
      list.push({ seq, bytes });
      extrasAfter.set(after, list);
    };
    for (const imp of imps) {
      if (imp.kind === 'retransmit') {
        const s = segs[imp.segment];
        if (!s) throw new Error(`retransmit of unknown segment ${imp.segment}`);
        addExtra(imp.after ?? lastSeen, s.seq, data.subarray(s.offset, s.offset + s.length));
      } else if (imp.kind === 'overlap') {
        if (imp.from < 0 || imp.to > data.length || imp.from >= imp.to)
          throw new Error('overlap range outside the write');
        let bytes = data.slice(imp.from, imp.to);
        if (imp.conflicting) bytes = new Uint8Array(bytes.length).fill(imp.fill ?? 0x58);
        addExtra(imp.after, (base + imp.from) >>> 0, bytes);
      }
    }

    const lastIndex = segs.length - 1;
    const emitExtras = (after: number): void => {
      for (const x of extrasAfter.get(after) ?? []) {
        const endsWrite = (x.seq + x.bytes.length) >>> 0 === (base + data.length) >>> 0;
        this.segment(side, x.seq, TCP_ACK | (endsWrite ? TCP_PSH : 0), x.bytes);
      }
    };
    for (const i of order) {
      const s = segs[i];
      this.segment(
        side,
        s.seq,
        TCP_ACK | (i === lastIndex ? TCP_PSH : 0),
        data.subarray(s.offset, s.offset + s.length),
      );
      emitExtras(i);
    }
    // Copies anchored to a dropped/unseen segment still happen (the sender did retransmit).
    for (const [after] of extrasAfter) if (!order.includes(after)) emitExtras(after);

    this.nextSeq[side] = (base + data.length) >>> 0;
    if (!opts.noAck) {
      this.net.advance(this.o.rttMicros / 2);
      this.ackFrom(side === 'client' ? 'server' : 'client');
    }
    return { seq: base, segments: segs };
  }

  /** Orderly release: `side` sends FIN, the peer ACKs and sends its own FIN, `side` ACKs. */
  close(side: Side = 'client'): void {
    if (this.closed) return;
    const peer: Side = side === 'client' ? 'server' : 'client';
    this.segment(side, this.nextSeq[side], TCP_FIN | TCP_ACK, new Uint8Array(0));
    this.nextSeq[side] = (this.nextSeq[side] + 1) >>> 0;
    this.net.advance(this.o.rttMicros / 2);
    this.segment(peer, this.nextSeq[peer], TCP_FIN | TCP_ACK, new Uint8Array(0));
    this.nextSeq[peer] = (this.nextSeq[peer] + 1) >>> 0;
    this.net.advance(this.o.rttMicros / 2);
    this.ackFrom(side);
    this.closed = true;
  }

  /** Abortive release: `side` sends RST/ACK. */
  reset(side: Side = 'client'): void {
    if (this.closed) return;
    this.segment(side, this.nextSeq[side], TCP_RST | TCP_ACK, new Uint8Array(0));
    this.closed = true;
  }
}
