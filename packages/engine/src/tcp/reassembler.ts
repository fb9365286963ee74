/**
 * TcpReassembler: both byte streams of every TCP connection, in order, for the DCE/RPC layer.
 *
 * Passive reassembly. We see copies of what the endpoints sent, possibly with loss, reordering and duplicates, and
 * hand each direction's bytes to a StreamConsumer exactly once, in sequence order (model: gopacket/reassembly).
 * We do not model the receiver's window or its acceptance checks: we deliver what the sender sent.
 *
 * Connections. Keyed by the 4-tuple in either direction (ConnectionTable). The client is the sender of the SYN, or
 * the receiver of the SYN-ACK. A connection whose SYN was not captured is picked up midstream (`midstream: true`)
 * and each direction starts at the first sequence number seen from it: that of its first bare ACK, or of its first
 * data if that is one byte above (the ACK was a keep-alive or window probe, which use the number one below the
 * next byte) — see midstreamStart. Roles of a midstream pickup, in order: the SYN-ACK's receiver if one is seen
 * first; else, when the first packet's payload starts with a DCE/RPC PDU that only one side sends (a bind or request
 * from the client, a bind_ack, response or fault from the server — role-hint.ts), its sender's role; else the
 * endpoint with a port below 1024 when only one has one (135, 445, 593); else the endpoint with the
 * lower port (Windows' dynamic RPC endpoints are allocated at boot and tend to sit below the clients' ephemeral
 * ports); on equal ports, the destination of the first packet. An RST never creates a connection.
 *
 * Established (`flow:established`): SYN-ACK seen and then an ACK from the client (the three-way handshake), or
 * both sides have sent a packet other than a SYN (midstream pickup, or a handshake with a lost SYN-ACK). Snort and
 * Suricata with midstream pickup call a picked-up session established at once; `midstreamEstablished:
 * 'immediate'` does that (one-sided captures need it), the default waits for the other side. Until it is
 * established a connection has the half-open idle timeout.
 *
 * Closing. FIN: a direction is complete when its FIN is reached in order; when both are, the connection closes
 * with 'fin'. RST: closes with 'rst' at once if its sequence number is within rstSeqWindowBytes of the sender's
 * next byte (blind RSTs are counted and ignored). Closed connections linger (closedLingerUs) to absorb trailing
 * ACKs/FINs/RSTs; a SYN, or payload beyond what the connection carried, starts a new connection with a new id.
 * A SYN with a new ISN on an open tuple is port reuse: the old connection closes with 'evicted'.
 *
 * Overlaps: FIRST DATA WINS, in both paths. Bytes already delivered are final (a retransmission is trimmed to the
 * new bytes). Bytes buffered out of order win over later segments covering them, whether the later segment is
 * itself out of order or is the in-order segment that fills the hole. This is the behaviour of the Windows and BSD
 * stacks ("first" in Snort's stream5), and Windows is what WMI targets run. Overlapping bytes that differ from the
 * kept ones are counted (overlapConflicts): two versions of the same stream bytes is an evasion signature.
 * Conflicts with bytes already delivered are not detected: we keep no copy of delivered data (zero-copy delivery).
 *
 * Gaps: a hole is given up on, reported with onGap(dir, exact length), and delivery resumes after it, when
 *   - the other side ACKs beyond the start of the hole (ackGapSkip; as Suricata: acknowledged bytes are never
 *     retransmitted), skipping up to the ACK or the next buffered byte, whichever comes first;
 *   - more than gapSkipBufferedBytes are buffered beyond it (loss in the capture: the hole will never fill);
 *   - the direction's buffer limit (bytes or segments) would be exceeded, or the global memory cap is (the
 *     largest buffer is flushed);
 *   - the connection closes for any reason (buffered data is delivered after a gap, never silently dropped).
 * A hole is skipped only when data (or the FIN) beyond it has been seen, so a gap is always bounded by bytes the
 * sender really sent. The consumer resynchronises after a gap (DCE/RPC: at the next PDU header). A frame cut short
 * by the capture's snaplen carries only part of its segment: the rest becomes a gap of exactly the missing bytes.
 * On the corpus, every connection's two streams equal tshark's `follow,tcp` output, holes included, except where
 * tshark is wrong (test/tcp/real-captures.test.ts).
 *
 * Payload opt-out: the consumer's wantsPayload() is polled before each payload-carrying packet is buffered or
 * delivered. Once it says false the connection's buffers are freed and its payload is never looked at again; the
 * connection is still tracked (FIN/RST/idle close it, counters stay right) at the cost of a table lookup.
 *
 * Memory bounds: out-of-order bytes per direction (1 MiB) and segments (2048), all buffers together (64 MiB), the
 * number of connections (262 144; at the cap the least recently used is evicted: lingering closed connections
 * first, then not-established ones, then established ones, so a SYN flood cannot push out real sessions). Only
 * out-of-order data is copied; in-order data is delivered as views of the packet.
 *
 * Eviction by packet time: 120 s idle for established connections, 30 s for the rest, checked at most once per
 * second of packet time from process() itself (flushOlderThan/closeAll for the caller). Packet time is made
 * monotone (a packet older than the newest seen counts as "now"), so the expiry lists stay ordered.
 *
 * Errors: nothing here throws on traffic. A consumer that throws is counted (consumerErrors) and loses the
 * connection's payload; the engine keeps running.
 */
import type { DecodedPacket } from '../packet/types.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../packet/types.js';
import { ConnList } from './conn-list.js';
import { ConnectionTable } from './conn-table.js';
import { type HalfStream, TcpConnection } from './connection.js';
import { OutOfOrderBuffer, sameBytes } from './ooo-buffer.js';
import { type ReassemblyOptions, resolveReassemblyOptions } from './options.js';
import { dcerpcSenderRole } from './role-hint.js';
import { seqAdd, seqDiff } from './seq.js';
import { emptyStats, type GapCause, type ReassemblyStats } from './stats.js';
import type { CloseReason, Direction, StreamFactory, TcpPacketInfo } from './types.js';

export class TcpReassembler {
  readonly options: Readonly<ReassemblyOptions>;
  private readonly factory: StreamFactory;
  private readonly table = new ConnectionTable();
  /** Live, not established: expire after halfOpenTimeoutUs. */
  private readonly halfOpen = new ConnList<TcpConnection>();
  /** Live, established: expire after establishedTimeoutUs. */
  private readonly established = new ConnList<TcpConnection>();
  /** Closed by FIN/RST, lingering: dropped after closedLingerUs. */
  private readonly closedList = new ConnList<TcpConnection>();
  /** Directions holding out-of-order data (for the global memory cap). */
  private readonly buffering = new Set<HalfStream>();
  private readonly s: ReassemblyStats = emptyStats();
  private nextId = 1;
  /** Monotone packet clock. */
  private nowUs = Number.NEGATIVE_INFINITY;
  private nextExpiryUs = Number.NEGATIVE_INFINITY;
  /**
   * Time given to consumers with bytes, gaps and closes: the timestamp of the packet being processed (not the
   * monotone clock, which only drives expiry). A detector fed one partition of a Kafka topic sees host pairs
   * interleaved by record, not by time; stamping a PDU with another pair's later packet time would make its alert's
   * timestamp depend on how the capture was cut into records.
   */
  private eventTsUs = 0;

  constructor(factory: StreamFactory, opts: Partial<ReassemblyOptions> = {}) {
    this.factory = factory;
    this.options = Object.freeze(resolveReassemblyOptions(opts));
  }

  /**
   * Feeds one packet. Returns the connection and direction for TCP packets it accepted (the object belongs to the
   * connection and is updated in place on its next packet: read it before calling process() again), or null for
   * packets that belong to no connection (not TCP, invalid flag combinations, RST of an unknown connection,
   * midstream packets when pickup is off).
   */
  process(pkt: DecodedPacket): TcpPacketInfo | null {
    const tcp = pkt.tcp;
    if (tcp === undefined || pkt.proto !== 6) {
      this.s.nonTcp++;
      return null;
    }
    this.s.packets++;
    if (pkt.tsUs > this.nowUs) this.nowUs = pkt.tsUs;
    const now = this.nowUs;
    this.eventTsUs = pkt.tsUs;
    if (now >= this.nextExpiryUs) this.expireAt(now);

    const flags = tcp.flags;
    if ((flags & TCP_SYN) !== 0 && (flags & (TCP_RST | TCP_FIN)) !== 0) {
      this.s.invalidFlags++;
      return null;
    }
    const pureSyn = (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;

    let conn = this.table.lookup(pkt.srcIp, pkt.srcPort, pkt.dstIp, pkt.dstPort);
    let dir: Direction = this.table.dir;
    let hash = this.table.hash; // valid when the lookup missed
    if (conn !== null) {
      hash = conn.hash;
      if (conn.closed) {
        if (pureSyn || this.carriesNewData(conn.half(dir), tcp.seq, pkt.payload.length)) {
          this.drop(conn);
          conn = null;
        } else {
          this.s.packetsAfterClose++;
          return dir === 0 ? conn.info0 : conn.info1;
        }
      } else if (pureSyn && !(dir === 0 && conn.c2s.isnKnown && conn.c2s.isn === tcp.seq)) {
        // A SYN that is not a retransmission of this connection's SYN: the tuple is being reused.
        this.s.portReuse++;
        this.close(conn, 'evicted', now);
        conn = null;
      }
    }
    if (conn === null) {
      if ((flags & TCP_RST) !== 0) {
        this.s.rstWithoutConnection++;
        return null;
      }
      if ((flags & TCP_SYN) === 0 && !this.options.midstream) {
        this.s.midstreamIgnored++;
        return null;
      }
      conn = this.open(pkt, flags, hash, now);
      dir = conn.clientPort === pkt.srcPort && conn.clientIp === pkt.srcIp ? 0 : 1;
    } else {
      conn.lastUs = now;
      conn.list?.moveToTail(conn);
    }
    this.handle(conn, dir, pkt, flags, now);
    const info = dir === 0 ? conn.info0 : conn.info1;
    info.established = conn.established;
    return info;
  }

  /**
   * Closes, with reason 'idle', connections idle longer than their timeout at packet time `nowUs`, and drops
   * lingering closed ones whose linger is over. process() calls this itself (at most once per expiryIntervalUs);
   * callers need it only to expire connections when no packets arrive.
   */
  expireIdle(nowUs: number): void {
    if (nowUs > this.nowUs) this.nowUs = nowUs;
    this.eventTsUs = this.nowUs;
    this.expireAt(this.nowUs);
  }

  private expireAt(now: number): void {
    this.nextExpiryUs = now + this.options.expiryIntervalUs;
    const o = this.options;
    let c = this.closedList.head;
    while (c !== null && now - c.lastUs >= o.closedLingerUs) {
      this.drop(c);
      c = this.closedList.head;
    }
    c = this.halfOpen.head;
    while (c !== null && now - c.lastUs >= o.halfOpenTimeoutUs) {
      this.close(c, 'idle', now);
      c = this.halfOpen.head;
    }
    c = this.established.head;
    while (c !== null && now - c.lastUs >= o.establishedTimeoutUs) {
      this.close(c, 'idle', now);
      c = this.established.head;
    }
  }

  /**
   * gopacket's FlushCloseOlderThan: closes ('idle') every open connection whose last packet is older than packet
   * time `cutoffUs`, whatever its state, and drops lingering closed connections older than that.
   */
  flushOlderThan(cutoffUs: number): void {
    const now = Math.max(this.nowUs, cutoffUs);
    this.eventTsUs = now;
    for (const list of [this.closedList, this.halfOpen, this.established]) {
      let c = list.head;
      while (c !== null && c.lastUs < cutoffUs) {
        if (c.closed) this.drop(c);
        else this.close(c, 'idle', now);
        c = list.head;
      }
    }
  }

  /** Closes every open connection (buffered data is delivered after a gap first) and empties the table. */
  closeAll(reason: CloseReason = 'end_of_input'): void {
    const now = this.nowUs === Number.NEGATIVE_INFINITY ? 0 : this.nowUs;
    this.eventTsUs = now;
    for (const list of [this.halfOpen, this.established]) {
      while (list.head !== null) this.close(list.head, reason, now);
    }
    while (this.closedList.head !== null) this.drop(this.closedList.head);
  }

  stats(): ReassemblyStats {
    const s = this.s;
    s.connectionsActive = this.halfOpen.size + this.established.size;
    s.connectionsLingering = this.closedList.size;
    return { ...s, connectionsClosed: { ...s.connectionsClosed }, gapsByCause: { ...s.gapsByCause } };
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Connections

  private open(pkt: DecodedPacket, flags: number, hash: number, now: number): TcpConnection {
    if (this.table.size >= this.options.maxConnections) this.evictOne(now);
    let srcIsClient: boolean;
    const midstream = (flags & (TCP_SYN | TCP_ACK)) !== TCP_SYN;
    if ((flags & TCP_SYN) !== 0) {
      srcIsClient = (flags & TCP_ACK) === 0; // SYN from the client, SYN-ACK from the server
    } else {
      const sp = pkt.srcPort;
      const dp = pkt.dstPort;
      const role = dcerpcSenderRole(pkt.payload);
      if (role !== -1) srcIsClient = role === 0;
      else if (sp < 1024 !== dp < 1024) srcIsClient = dp < 1024;
      else if (sp !== dp) srcIsClient = dp < sp;
      else srcIsClient = true; // tie: the first packet goes to the server
    }
    const conn = srcIsClient
      ? new TcpConnection(
          this.nextId++,
          hash,
          pkt.srcIp,
          pkt.srcPort,
          pkt.dstIp,
          pkt.dstPort,
          pkt.ipVersion,
          pkt.tsUs,
          midstream,
          now,
        )
      : new TcpConnection(
          this.nextId++,
          hash,
          pkt.dstIp,
          pkt.dstPort,
          pkt.srcIp,
          pkt.srcPort,
          pkt.ipVersion,
          pkt.tsUs,
          midstream,
          now,
        );
    this.s.connectionsOpened++;
    if (midstream && (flags & TCP_SYN) === 0) {
      this.s.midstreamPickups++;
      if (this.options.midstreamEstablished === 'immediate') conn.established = true;
    } else if (midstream) {
      this.s.midstreamPickups++; // picked up at the SYN-ACK: roles known, the client's SYN was not seen
    }
    this.table.insert(conn);
    (conn.established ? this.established : this.halfOpen).push(conn);
    try {
      conn.consumer = this.factory.newConsumer(conn);
    } catch (err) {
      this.consumerError(conn, err); // keeps the placeholder consumer, which wants no payload
      conn.payloadOn = false;
    }
    return conn;
  }

  /** Makes room for one connection: a lingering closed one, else the LRU not-established one, else the LRU one. */
  private evictOne(now: number): void {
    const c = this.closedList.head ?? this.halfOpen.head ?? this.established.head;
    if (c === null) return;
    if (c.closed) {
      this.drop(c);
    } else {
      this.s.lruEvictions++;
      this.close(c, 'evicted', now);
    }
  }

  /** Ends a connection: buffered data is delivered after gaps, then onClose. FIN/RST-closed connections linger. */
  private close(conn: TcpConnection, reason: CloseReason, now: number): void {
    if (conn.closed) return;
    if (conn.payloadOn) {
      this.flushHalf(conn.c2s, now, 'close');
      this.flushHalf(conn.s2c, now, 'close');
    }
    this.discardBuffers(conn);
    conn.closed = true;
    this.s.connectionsClosed[reason]++;
    conn.list?.remove(conn);
    if (reason === 'fin' || reason === 'rst') {
      conn.lastUs = now;
      this.closedList.push(conn);
    } else {
      this.table.remove(conn);
    }
    try {
      conn.consumer.onClose(reason, this.eventTsUs);
    } catch (err) {
      this.consumerError(conn, err);
    }
  }

  /** Forgets a closed connection (end of its linger). */
  private drop(conn: TcpConnection): void {
    conn.list?.remove(conn);
    this.table.remove(conn);
  }

  /** A packet on a closed tuple that carries bytes beyond what the connection had: the tuple is in use again. */
  private carriesNewData(h: HalfStream, seq: number, len: number): boolean {
    if (len === 0) return false;
    if (!h.started) return true;
    return seqDiff(seqAdd(seq, len), h.nextSeq) > 0;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Per packet

  private handle(conn: TcpConnection, dir: Direction, pkt: DecodedPacket, flags: number, now: number): void {
    const tcp = pkt.tcp!;
    const h = dir === 0 ? conn.c2s : conn.s2c;
    const peer = dir === 0 ? conn.s2c : conn.c2s;

    if ((flags & TCP_RST) !== 0) {
      // Sender's next byte, if known (its data, its SYN, or in midstream its bare ACKs).
      const expected = h.started ? h.nextSeq : h.ackOnlyValid ? h.ackOnlySeq : -1;
      if (expected !== -1 && Math.abs(seqDiff(tcp.seq, expected)) > this.options.rstSeqWindowBytes) {
        this.s.rstIgnored++;
        return;
      }
      this.close(conn, 'rst', now);
      return;
    }

    // Sequence number of the first payload byte (a SYN occupies one sequence number).
    let seq = tcp.seq;
    if ((flags & TCP_SYN) !== 0) {
      if (!h.started) {
        h.started = true;
        h.synSeen = true;
        h.isn = seq;
        h.isnKnown = true;
        h.nextSeq = seqAdd(seq, 1);
        // SYN-ACK without the SYN: the client's next byte is what the server acknowledges.
        if ((flags & TCP_ACK) !== 0 && !peer.started) {
          peer.started = true;
          peer.nextSeq = tcp.ack;
          peer.isn = seqAdd(tcp.ack, -1);
          peer.isnKnown = true;
        }
      }
      seq = seqAdd(seq, 1);
    } else {
      h.sawNonSyn = true;
      if (!h.started) {
        if (pkt.payload.length > 0 || (flags & TCP_FIN) !== 0) {
          h.started = true;
          h.nextSeq = h.ackOnlyValid ? this.midstreamStart(h.ackOnlySeq, seq) : seq;
        } else if (!h.ackOnlyValid || seqDiff(seq, h.ackOnlySeq) > 0) {
          h.ackOnlySeq = seq;
          h.ackOnlyValid = true;
        }
      }
    }

    let ackAdvanced = false;
    if ((flags & TCP_ACK) !== 0 && (!peer.ackValid || seqDiff(tcp.ack, peer.ackedByPeer) > 0)) {
      peer.ackedByPeer = tcp.ack;
      peer.ackValid = true;
      ackAdvanced = true;
    }

    if (!conn.established) this.updateEstablished(conn, dir, flags);

    const len = pkt.payload.length;
    if (len > 0) {
      if (conn.payloadOn && !this.wants(conn)) this.dropPayload(conn);
      if (conn.payloadOn) {
        this.data(conn, h, seq, pkt.payload, now);
      } else {
        this.s.payloadSkippedBytes += len;
        const end = seqAdd(seq, len);
        if (seqDiff(end, h.nextSeq) > 0) h.nextSeq = end; // highest byte seen (for the closed-tuple check)
      }
    }

    if ((flags & TCP_FIN) !== 0) {
      const finSeq = seqAdd(seq, len);
      if (!h.finSeen) {
        // A FIN before bytes we already have, or absurdly far ahead, is not this stream's end (a receiver would
        // drop it too); believing it would cut off the rest of the stream.
        const ahead = seqDiff(finSeq, h.nextSeq);
        if (ahead >= 0 && ahead <= this.options.rstSeqWindowBytes + h.bufferedBytes) {
          h.finSeen = true;
          h.finSeq = finSeq;
        } else {
          this.s.finIgnored++;
        }
      }
      if (!h.finSeen) {
        // ignored above
      } else if (!conn.payloadOn) {
        if (!h.finished) {
          h.finished = true;
          h.nextSeq = seqAdd(h.finSeq, 1);
        }
      } else {
        this.checkFin(h);
        if (!h.finished) this.ackSkip(h, now);
      }
    }

    // This packet's ACK may acknowledge bytes of the other direction we never saw.
    if (ackAdvanced && conn.payloadOn && !conn.closed) this.ackSkip(peer, now);

    if (h.finished && peer.finished && !conn.closed) this.close(conn, 'fin', now);
  }

  /**
   * Where a midstream direction starts, given the sequence number of its bare ACKs (`ackOnly`, the sender's next
   * byte as it claimed before sending data) and of its first data or FIN (`first`):
   *   - first is one above ackOnly: the ACK was a keep-alive or window probe (sequence number one below the next
   *     byte); start at the data, there is no hole;
   *   - first is behind ackOnly: it is data sent before the ACK, i.e. a retransmission (Windows' 1-byte keep-alive
   *     included); start at ackOnly so it is dropped as old;
   *   - first is further ahead: bytes between were lost; start at ackOnly so they are reported as a gap;
   *   - implausibly far either way: the ACK tells nothing; start at the data.
   */
  private midstreamStart(ackOnly: number, first: number): number {
    const d = seqDiff(first, ackOnly);
    if (d === 1 || d > this.options.rstSeqWindowBytes || d < -this.options.rstSeqWindowBytes) return first;
    return ackOnly;
  }

  private updateEstablished(conn: TcpConnection, dir: Direction, flags: number): void {
    const handshake = dir === 0 && (flags & (TCP_ACK | TCP_SYN)) === TCP_ACK && conn.s2c.synSeen;
    if (handshake || (conn.c2s.sawNonSyn && conn.s2c.sawNonSyn)) {
      conn.established = true;
      conn.info0.established = true;
      conn.info1.established = true;
      if (conn.list === this.halfOpen) {
        this.halfOpen.remove(conn);
        this.established.push(conn);
      }
    }
  }

  /** Payload of one packet for direction `h`, first byte at sequence number `seq`. */
  private data(conn: TcpConnection, h: HalfStream, seq: number, payload: Uint8Array, now: number): void {
    let len = payload.length;
    if (h.finSeen) {
      const room = seqDiff(h.finSeq, seq);
      if (room < len) {
        this.s.dataAfterFin += room > 0 ? len - room : len;
        if (room <= 0) return;
        len = room;
        payload = payload.subarray(0, len);
      }
    }
    const rel = seqDiff(seq, h.nextSeq);
    if (rel <= 0) {
      if (rel + len <= 0) {
        this.s.retransmittedSegments++;
        this.s.retransmittedBytes += len;
        return;
      }
      if (rel < 0) this.s.retransmittedBytes += -rel;
      this.inOrder(conn, h, payload, -rel, now);
    } else {
      this.outOfOrder(conn, h, seq, payload, now);
    }
    if (h.finSeen) this.checkFin(h); // data that arrived after its FIN
  }

  /** `payload[start..]` begins exactly at h.nextSeq. */
  private inOrder(conn: TcpConnection, h: HalfStream, payload: Uint8Array, start: number, now: number): void {
    const buf = h.buf;
    const len = payload.length;
    if (buf === null || buf.segs.length === 0) {
      // The hot path: nothing waiting, deliver the packet's bytes as a view.
      h.nextSeq = seqAdd(h.nextSeq, len - start);
      this.emit(conn, h.dir, start === 0 ? payload : payload.subarray(start), now);
      return;
    }
    // Fill holes in front of buffered segments; where they overlap, the buffered bytes (first) win.
    let pos = start;
    while (pos < len && conn.payloadOn) {
      if (buf.segs.length === 0) {
        h.nextSeq = seqAdd(h.nextSeq, len - pos);
        this.emit(conn, h.dir, payload.subarray(pos), now);
        pos = len;
        break;
      }
      const first = buf.segs[0];
      const off = seqDiff(first.seq, h.nextSeq); // > 0: buffered data never starts at or before nextSeq
      if (off >= len - pos) {
        h.nextSeq = seqAdd(h.nextSeq, len - pos);
        this.emit(conn, h.dir, payload.subarray(pos), now);
        pos = len;
        break;
      }
      h.nextSeq = first.seq;
      this.emit(conn, h.dir, payload.subarray(pos, pos + off), now);
      if (!conn.payloadOn) return;
      pos += off;
      const ov = Math.min(len - pos, first.data.length);
      this.s.overlapBytes += ov;
      if (!sameBytes(payload, pos, first.data, 0, ov)) this.s.overlapConflicts++;
      pos += ov;
      this.shiftDeliver(conn, h, now);
    }
    this.drain(conn, h, now);
  }

  private outOfOrder(conn: TcpConnection, h: HalfStream, seq: number, payload: Uint8Array, now: number): void {
    const o = this.options;
    const len = payload.length;
    let buf = h.buf;
    if (buf === null) {
      buf = new OutOfOrderBuffer();
      h.buf = buf;
    }
    // Make room: skip the oldest hole (delivering what is buffered behind it) until this segment fits.
    while (
      buf.segs.length > 0 &&
      (buf.bytes + len > o.maxBufferedBytesPerDirection || buf.segs.length >= o.maxBufferedSegmentsPerDirection)
    ) {
      this.skipHole(conn, h, now, 'limit');
      if (!conn.payloadOn) return;
      const rel = seqDiff(seq, h.nextSeq);
      if (rel <= 0) {
        // The skip reached this segment: it is now (partly) in order.
        if (rel + len <= 0) {
          this.s.retransmittedSegments++;
          this.s.retransmittedBytes += len;
          return;
        }
        this.inOrder(conn, h, payload, -rel, now);
        return;
      }
    }
    if (len > o.maxBufferedBytesPerDirection || o.maxBufferedSegmentsPerDirection === 0) {
      // Cannot be buffered at all: the hole in front of it becomes a gap now.
      this.gap(conn, h, seqDiff(seq, h.nextSeq), now, 'limit');
      h.nextSeq = seq;
      this.inOrder(conn, h, payload, 0, now);
      return;
    }

    const wasEmpty = buf.segs.length === 0;
    buf.insert(h.nextSeq, seq, payload);
    this.s.outOfOrderSegments++;
    this.s.overlapBytes += buf.overlapped;
    this.s.overlapConflicts += buf.conflicts;
    if (buf.added > 0) {
      this.s.bufferedBytes += buf.added;
      if (this.s.bufferedBytes > this.s.bufferedBytesPeak) this.s.bufferedBytesPeak = this.s.bufferedBytes;
      if (wasEmpty) this.buffering.add(h);
    }

    while (buf.bytes > o.gapSkipBufferedBytes && conn.payloadOn) this.skipHole(conn, h, now, 'ahead');
    if (buf.segs.length > 0) this.ackSkip(h, now);
    if (this.s.bufferedBytes > o.maxBufferedBytesTotal) this.enforceMemoryCap(now);
  }

  /**
   * If the other side acknowledged bytes of `h` beyond its next expected byte, those bytes reached the receiver and
   * will not be sent again: report them as a gap, up to the ACK or the next byte we hold (buffered data or the FIN).
   */
  private ackSkip(h: HalfStream, now: number): void {
    if (!this.options.ackGapSkip || !h.ackValid || !h.started || h.finished) return;
    if (seqDiff(h.ackedByPeer, h.nextSeq) <= 0) return;
    const buf = h.buf;
    let holeEnd: number;
    if (buf !== null && buf.segs.length > 0) holeEnd = buf.segs[0].seq;
    else if (h.finSeen) holeEnd = h.finSeq;
    else return; // nothing seen beyond the hole yet: its bytes may still be on their way in the capture
    const target = seqDiff(h.ackedByPeer, holeEnd) < 0 ? h.ackedByPeer : holeEnd;
    const length = seqDiff(target, h.nextSeq);
    if (length <= 0) return;
    const conn = h.conn;
    this.gap(conn, h, length, now, 'ack');
    h.nextSeq = target;
    this.drain(conn, h, now);
    this.checkFin(h);
  }

  /** Gives up on the hole in front of the first buffered segment and delivers what follows it. */
  private skipHole(conn: TcpConnection, h: HalfStream, now: number, cause: GapCause): void {
    const first = h.buf!.segs[0];
    this.gap(conn, h, seqDiff(first.seq, h.nextSeq), now, cause);
    h.nextSeq = first.seq;
    this.drain(conn, h, now);
    this.checkFin(h);
  }

  /** Delivers buffered segments that start at nextSeq. */
  private drain(conn: TcpConnection, h: HalfStream, now: number): void {
    const buf = h.buf;
    if (buf === null) return;
    while (buf.segs.length > 0 && buf.segs[0].seq === h.nextSeq) {
      if (!this.wants(conn)) {
        this.dropPayload(conn);
        return;
      }
      this.shiftDeliver(conn, h, now);
    }
  }

  /** Delivers the first buffered segment, which starts at nextSeq. */
  private shiftDeliver(conn: TcpConnection, h: HalfStream, now: number): void {
    const buf = h.buf!;
    const seg = buf.shift();
    this.s.bufferedBytes -= seg.data.length;
    if (buf.segs.length === 0) this.buffering.delete(h);
    h.nextSeq = seqAdd(seg.seq, seg.data.length);
    this.emit(conn, h.dir, seg.data, now);
  }

  /** Delivers everything buffered for `h`, skipping each hole as a gap (closing, or the memory cap). */
  private flushHalf(h: HalfStream, now: number, cause: GapCause): void {
    const conn = h.conn;
    const buf = h.buf;
    while (buf !== null && buf.segs.length > 0 && conn.payloadOn) {
      if (h.finished || (h.finSeen && seqDiff(buf.segs[0].seq, h.finSeq) >= 0)) {
        this.s.dataAfterFin += this.discardBuffer(h);
        return;
      }
      this.skipHole(conn, h, now, cause);
    }
  }

  /** The FIN is next in sequence: the direction is complete. */
  private checkFin(h: HalfStream): void {
    if (h.finSeen && !h.finished && h.nextSeq === h.finSeq) {
      h.finished = true;
      h.nextSeq = seqAdd(h.finSeq, 1);
    }
  }

  /** Global cap: flush the largest buffers (with gaps) until the total is under the cap. */
  private enforceMemoryCap(now: number): void {
    while (this.s.bufferedBytes > this.options.maxBufferedBytesTotal && this.buffering.size > 0) {
      let largest: HalfStream | null = null;
      for (const h of this.buffering) {
        if (largest === null || h.bufferedBytes > largest.bufferedBytes) largest = h;
      }
      const h = largest!;
      this.s.memoryEvictions++;
      const before = this.s.bufferedBytes;
      this.flushHalf(h, now, 'memory');
      this.discardBuffer(h); // normally empty already; not if the consumer stopped wanting payload mid-flush
      if (this.s.bufferedBytes >= before) break; // cannot happen; guards against a livelock
      const c = h.conn;
      if (h.finished && (h === c.c2s ? c.s2c : c.c2s).finished && !c.closed) this.close(c, 'fin', now);
    }
  }

  private gap(conn: TcpConnection, h: HalfStream, length: number, now: number, cause: GapCause): void {
    this.s.gaps++;
    this.s.gapBytes += length;
    this.s.gapsByCause[cause]++;
    try {
      conn.consumer.onGap(h.dir, length, this.eventTsUs);
    } catch (err) {
      this.consumerError(conn, err);
      this.dropPayload(conn);
    }
  }

  private emit(conn: TcpConnection, dir: Direction, data: Uint8Array, now: number): void {
    if (data.length === 0 || !conn.payloadOn) return;
    this.s.bytesDelivered += data.length;
    try {
      conn.consumer.onData(dir, data, this.eventTsUs);
    } catch (err) {
      this.consumerError(conn, err);
      this.dropPayload(conn);
    }
  }

  private wants(conn: TcpConnection): boolean {
    if (!conn.payloadOn) return false;
    try {
      return conn.consumer.wantsPayload();
    } catch (err) {
      this.consumerError(conn, err);
      return false;
    }
  }

  /** The consumer declined payload (or failed): free buffers, never deliver to it again. */
  private dropPayload(conn: TcpConnection): void {
    if (!conn.payloadOn) return;
    conn.payloadOn = false;
    this.s.payloadDroppedConnections++;
    this.s.payloadDiscardedBytes += this.discardBuffers(conn);
    // FINs waiting behind a hole: nothing will be delivered any more, so the direction is complete.
    for (const h of [conn.c2s, conn.s2c]) {
      if (h.finSeen && !h.finished) {
        h.finished = true;
        h.nextSeq = seqAdd(h.finSeq, 1);
      }
    }
  }

  /** Frees both directions' buffers; returns the bytes freed. */
  private discardBuffers(conn: TcpConnection): number {
    return this.discardBuffer(conn.c2s) + this.discardBuffer(conn.s2c);
  }

  private discardBuffer(h: HalfStream): number {
    const buf = h.buf;
    if (buf === null || buf.bytes === 0) return 0;
    // Remember how far this direction reached, so a closed tuple can tell new data from retransmissions.
    const last = buf.segs[buf.segs.length - 1];
    const end = seqAdd(last.seq, last.data.length);
    if (seqDiff(end, h.nextSeq) > 0 && !h.finished) h.nextSeq = end;
    const freed = buf.clear();
    this.s.bufferedBytes -= freed;
    this.buffering.delete(h);
    return freed;
  }

  private consumerError(conn: TcpConnection, err: unknown): void {
    this.s.consumerErrors++;
    this.s.lastConsumerError = `connection ${conn.id}: ${err instanceof Error ? err.message : String(err)}`;
  }
}
