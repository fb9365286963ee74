import { describe, expect, it } from 'vitest';
import { TcpReassembler } from '../../src/tcp/reassembler.js';
import {
  ACK,
  CISN,
  CLIENT,
  FA,
  type Host,
  handshake,
  PA,
  packet,
  RA,
  Recorder,
  SERVER,
  SISN,
  SYN,
  setup,
} from './helpers.js';

const D = CISN + 1;
const U = SISN + 1;
const SEC = 1_000_000;

/** A client on its own ephemeral port, so that each `i` is a distinct connection to SERVER. */
const client = (i: number): Host => ({ ip: CLIENT.ip, port: 50_000 + i });

describe('idle eviction by packet time', () => {
  it('closes established connections after 120 s and half-open ones after 30 s of packet time', () => {
    const { r, rec } = setup();
    const p = (from: Host, to: Host, o: Parameters<typeof packet>[2]) => r.process(packet(from, to, o));
    // Connection 1: established at t=0.
    p(client(1), SERVER, { seq: 1, flags: SYN, ts: 0 });
    p(SERVER, client(1), { seq: 9, ack: 2, flags: 0x12, ts: 0 });
    p(client(1), SERVER, { seq: 2, ack: 10, flags: ACK, ts: 0 });
    // Connection 2: a SYN nobody answers, at t=0.
    p(client(2), SERVER, { seq: 1, flags: SYN, ts: 0 });
    // Connection 3 keeps packet time moving. Wall time plays no part: this test runs in microseconds.
    p(client(3), SERVER, { seq: 1, flags: SYN, ts: 29 * SEC });
    expect(rec.closes()).toEqual([]);
    p(client(3), SERVER, { seq: 1, flags: SYN, ts: 30 * SEC });
    expect(rec.closes()).toEqual([{ conn: 2, reason: 'idle', ts: 30 * SEC }]);
    // Connection 3 (half-open, last packet at 30 s) is due at 60 s; the next packet comes at 119 s.
    p(client(4), SERVER, { seq: 1, ack: 1, flags: ACK, ts: 119 * SEC });
    expect(rec.closes()).toEqual([
      { conn: 2, reason: 'idle', ts: 30 * SEC },
      { conn: 3, reason: 'idle', ts: 119 * SEC },
    ]);
    p(client(4), SERVER, { seq: 1, ack: 1, flags: ACK, ts: 120 * SEC });
    expect(rec.closes()).toEqual([
      { conn: 2, reason: 'idle', ts: 30 * SEC },
      { conn: 3, reason: 'idle', ts: 119 * SEC },
      { conn: 1, reason: 'idle', ts: 120 * SEC },
    ]);
    expect(r.stats().connectionsClosed.idle).toBe(3);
    expect(r.stats().connectionsActive).toBe(1);
  });

  it('a packet keeps its connection alive; after the timeout the tuple is picked up as a new connection', () => {
    const { r, rec, c, s } = setup();
    handshake(c, s, 0);
    c({ seq: D, ack: U, flags: PA, data: 'a', ts: 100 * SEC });
    c({ seq: D + 1, ack: U, flags: PA, data: 'b', ts: 219 * SEC });
    expect(rec.closes()).toEqual([]);
    const info = c({ seq: D + 2, ack: U, flags: PA, data: 'c', ts: 340 * SEC });
    expect(rec.closes()).toEqual([{ conn: 1, reason: 'idle', ts: 340 * SEC }]);
    expect(info?.conn.id).toBe(2);
    expect(info?.conn.midstream).toBe(true);
    expect(rec.stream(1, 0)).toBe('ab');
    expect(rec.stream(2, 0)).toBe('c');
    expect(r.stats().midstreamPickups).toBe(1);
  });

  it('delivers buffered data after a gap when an idle connection is closed', () => {
    const { r, rec, c, s } = setup({ ackGapSkip: false });
    handshake(c, s, 0);
    c({ seq: D, ack: U, flags: PA, data: 'ab', ts: 0 });
    c({ seq: D + 3, ack: U, flags: PA, data: 'de', ts: 0 });
    r.process(packet(client(9), SERVER, { seq: 1, flags: SYN, ts: 121 * SEC }));
    expect(rec.stream(1, 0)).toBe('ab[gap 1]de');
    expect(rec.closes()).toEqual([{ conn: 1, reason: 'idle', ts: 121 * SEC }]);
    expect(r.stats().bufferedBytes).toBe(0);
  });

  it('packet time that goes backwards does not expire or resurrect anything', () => {
    const { r, rec, c, s } = setup();
    handshake(c, s, 100 * SEC);
    c({ seq: D, ack: U, flags: PA, data: 'x', ts: 50 * SEC }); // an older timestamp (merged captures)
    r.expireIdle(219 * SEC);
    expect(rec.closes()).toEqual([]);
    r.expireIdle(220 * SEC);
    expect(rec.closes()).toEqual([{ conn: 1, reason: 'idle', ts: 220 * SEC }]);
  });

  it('drops lingering closed connections after closedLingerUs', () => {
    const { r, c, s } = setup({ closedLingerUs: 5 * SEC });
    handshake(c, s);
    s({ seq: U, ack: D, flags: RA, ts: 1 * SEC });
    expect(r.stats().connectionsLingering).toBe(1);
    r.expireIdle(5 * SEC);
    expect(r.stats().connectionsLingering).toBe(1);
    r.expireIdle(6 * SEC);
    expect(r.stats().connectionsLingering).toBe(0);
    // A trailing packet now is a new (midstream) connection.
    expect(c({ seq: D, ack: U, flags: ACK, ts: 6 * SEC })?.conn.id).toBe(2);
  });

  it('flushOlderThan closes everything idle since before the cutoff, whatever its state', () => {
    const { r, rec } = setup();
    const p = (from: Host, to: Host, o: Parameters<typeof packet>[2]) => r.process(packet(from, to, o));
    p(client(1), SERVER, { seq: 1, flags: SYN, ts: 1 * SEC });
    p(client(2), SERVER, { seq: 1, ack: 1, flags: ACK, ts: 2 * SEC });
    p(client(3), SERVER, { seq: 1, ack: 1, flags: ACK, ts: 3 * SEC });
    r.flushOlderThan(3 * SEC);
    expect(rec.closes()).toEqual([
      { conn: 1, reason: 'idle', ts: 3 * SEC },
      { conn: 2, reason: 'idle', ts: 3 * SEC },
    ]);
    r.closeAll();
    expect(rec.closes()[2]).toEqual({ conn: 3, reason: 'end_of_input', ts: 3 * SEC });
    expect(r.stats().connectionsActive).toBe(0);
  });
});

describe('connection cap (LRU)', () => {
  it('evicts the least recently used connection, not-established before established', () => {
    const { r, rec } = setup({ maxConnections: 3 });
    const p = (from: Host, to: Host, o: Parameters<typeof packet>[2]) => r.process(packet(from, to, o));
    const establish = (i: number, ts: number) => {
      p(client(i), SERVER, { seq: 1, flags: SYN, ts });
      p(SERVER, client(i), { seq: 9, ack: 2, flags: 0x12, ts });
      p(client(i), SERVER, { seq: 2, ack: 10, flags: ACK, ts });
    };
    establish(1, 1);
    establish(2, 2);
    p(client(3), SERVER, { seq: 1, flags: SYN, ts: 3 }); // half-open, most recent
    p(client(1), SERVER, { seq: 2, ack: 10, flags: PA, data: 'x', ts: 4 }); // 1 is now the most recent

    establish(4, 5); // full: the half-open one goes first although it is newer
    expect(rec.closes()).toEqual([{ conn: 3, reason: 'evicted', ts: 5 }]);
    p(client(5), SERVER, { seq: 1, flags: SYN, ts: 6 }); // full again: LRU established is 2 (1 was touched)
    expect(rec.closes()[1]).toEqual({ conn: 2, reason: 'evicted', ts: 6 });
    expect(r.stats().lruEvictions).toBe(2);
    expect(r.stats().connectionsActive).toBe(3);
    expect(r.stats().connectionsClosed.evicted).toBe(2);
  });

  it('drops lingering closed connections before evicting live ones', () => {
    const { r, rec } = setup({ maxConnections: 2 });
    const p = (from: Host, to: Host, o: Parameters<typeof packet>[2]) => r.process(packet(from, to, o));
    p(client(1), SERVER, { seq: 1, flags: SYN, ts: 1 });
    p(SERVER, client(1), { seq: 0, ack: 2, flags: RA, ts: 1 }); // closed, lingering
    p(client(2), SERVER, { seq: 1, flags: SYN, ts: 2 });
    p(client(3), SERVER, { seq: 1, flags: SYN, ts: 3 });
    expect(rec.closes()).toEqual([{ conn: 1, reason: 'rst', ts: 1 }]);
    expect(r.stats().lruEvictions).toBe(0);
    expect(r.stats().connectionsActive).toBe(2);
    expect(r.stats().connectionsLingering).toBe(0);
  });
});

describe('memory bounds', () => {
  it('flushes the largest buffer with a gap when the global cap is exceeded', () => {
    const { r, rec } = setup({ maxBufferedBytesTotal: 10, gapSkipBufferedBytes: 1 << 20, ackGapSkip: false });
    const p = (from: Host, to: Host, o: Parameters<typeof packet>[2]) => r.process(packet(from, to, o));
    for (const i of [1, 2]) {
      p(client(i), SERVER, { seq: 1, flags: SYN });
      p(SERVER, client(i), { seq: 9, ack: 2, flags: 0x12 });
    }
    p(client(1), SERVER, { seq: 4, ack: 10, flags: PA, data: 'DEFGHI' }); // conn 1: hole of 2, 6 buffered
    p(client(2), SERVER, { seq: 3, ack: 10, flags: PA, data: 'cd' }); // conn 2: hole of 1, 2 buffered
    expect(r.stats().bufferedBytes).toBe(8);
    p(client(2), SERVER, { seq: 6, ack: 10, flags: PA, data: 'fgh' }); // total 11 > 10: flush conn 1
    expect(rec.stream(1, 0)).toBe('[gap 2]DEFGHI');
    expect(rec.stream(2, 0)).toBe('');
    const st = r.stats();
    expect(st.memoryEvictions).toBe(1);
    expect(st.gapsByCause.memory).toBe(1);
    expect(st.bufferedBytes).toBe(5);
    expect(st.bufferedBytesPeak).toBe(11);
    // Conn 2 carries on normally.
    p(client(2), SERVER, { seq: 2, ack: 10, flags: PA, data: 'b' });
    p(client(2), SERVER, { seq: 5, ack: 10, flags: PA, data: 'e' });
    expect(rec.stream(2, 0)).toBe('bcdefgh');
    expect(r.stats().bufferedBytes).toBe(0);
  });
});

describe('wantsPayload() === false', () => {
  it('stops delivery and buffering at once, but FIN still closes the connection and counts stay right', () => {
    const { r, rec, c, s } = setup();
    handshake(c, s);
    c({ seq: D, ack: U, flags: PA, data: 'GET / HTTP/1.1' });
    rec.wants.set(1, false); // the consumer saw enough: not DCE/RPC
    c({ seq: D + 20, ack: U, flags: PA, data: 'out-of-order' }); // would have been buffered
    c({ seq: D + 14, ack: U, flags: PA, data: 'later!' });
    s({ seq: U, ack: D + 32, flags: PA, data: 'HTTP/1.1 200 OK' });
    expect(rec.stream(1, 0)).toBe('GET / HTTP/1.1');
    expect(rec.stream(1, 1)).toBe('');
    const pollsAfterDecline = rec.wantsPolls;
    s({ seq: U + 15, ack: D + 32, flags: PA, data: 'body' });
    expect(rec.wantsPolls).toBe(pollsAfterDecline); // never asked again
    c({ seq: D + 32, ack: U + 19, flags: FA, ts: 5 });
    s({ seq: U + 19, ack: D + 33, flags: FA, ts: 6 });
    expect(rec.closes()).toEqual([{ conn: 1, reason: 'fin', ts: 6 }]);
    const st = r.stats();
    expect(st.payloadDroppedConnections).toBe(1);
    expect(st.payloadSkippedBytes).toBe(12 + 6 + 15 + 4);
    expect(st.bufferedBytes).toBe(0);
    expect(st.connectionsClosed.fin).toBe(1);
  });

  it('frees what was buffered when the consumer declines', () => {
    const { r, rec, c, s } = setup();
    handshake(c, s);
    c({ seq: D + 4, ack: U, flags: PA, data: 'buffered' });
    expect(r.stats().bufferedBytes).toBe(8);
    rec.wants.set(1, false);
    c({ seq: D, ack: U, flags: PA, data: 'abcd' });
    expect(rec.stream(1, 0)).toBe('');
    expect(r.stats().bufferedBytes).toBe(0);
    expect(r.stats().payloadDiscardedBytes).toBe(8);
  });

  it('is polled once per payload packet, never for packets without payload', () => {
    const { rec, c, s } = setup();
    handshake(c, s);
    expect(rec.wantsPolls).toBe(0);
    c({ seq: D, ack: U, flags: PA, data: 'x' });
    s({ seq: U, ack: D + 1, flags: ACK });
    expect(rec.wantsPolls).toBe(1);
  });

  it('a consumer that never wants payload costs no buffering at all', () => {
    const rec = new Recorder();
    const r = new TcpReassembler({
      newConsumer: (conn) => ({ ...rec.newConsumer(conn), wantsPayload: () => false }),
    });
    r.process(packet(CLIENT, SERVER, { seq: 1, flags: SYN }));
    r.process(packet(CLIENT, SERVER, { seq: 100, flags: PA, data: 'far ahead' }));
    expect(r.stats().bufferedBytesPeak).toBe(0);
    expect(rec.events).toEqual([]);
  });
});
