import { describe, expect, it } from 'vitest';
import { TcpReassembler } from '../../src/tcp/reassembler.js';
import {
  ACK,
  CISN,
  CLIENT,
  FA,
  FIN,
  handshake,
  PA,
  packet,
  RA,
  Recorder,
  RST,
  SA,
  SERVER,
  SISN,
  SYN,
  setup,
  snap,
} from './helpers.js';

describe('handshake and in-order delivery', () => {
  it('tracks SYN / SYN-ACK / ACK, sets established on the third packet and delivers both directions', () => {
    const { r, rec, c, s } = setup();
    expect(snap(c({ seq: CISN, flags: SYN, ts: 10 }))).toEqual({ id: 1, dir: 0, established: false });
    expect(snap(s({ seq: SISN, ack: CISN + 1, flags: SA, ts: 11 }))).toEqual({ id: 1, dir: 1, established: false });
    expect(snap(c({ seq: CISN + 1, ack: SISN + 1, flags: ACK, ts: 12 }))).toEqual({
      id: 1,
      dir: 0,
      established: true,
    });
    c({ seq: CISN + 1, ack: SISN + 1, flags: PA, data: 'bind', ts: 13 });
    s({ seq: SISN + 1, ack: CISN + 5, flags: PA, data: 'bind_ack', ts: 14 });
    c({ seq: CISN + 5, ack: SISN + 9, flags: PA, data: 'request', ts: 15 });
    s({ seq: SISN + 9, ack: CISN + 12, flags: PA, data: 'response', ts: 16 });

    expect(rec.stream(1, 0)).toBe('bindrequest');
    expect(rec.stream(1, 1)).toBe('bind_ackresponse');
    expect(rec.events.map((e) => (e.kind === 'data' ? `${e.dir}:${e.text}@${e.ts}` : e.kind))).toEqual([
      '0:bind@13',
      '1:bind_ack@14',
      '0:request@15',
      '1:response@16',
    ]);
    const conn = rec.conns[0];
    expect(conn).toMatchObject({
      id: 1,
      client: { ip: CLIENT.ip, port: CLIENT.port },
      server: { ip: SERVER.ip, port: SERVER.port },
      ipVersion: 4,
      startTsUs: 10,
      midstream: false,
    });
    const st = r.stats();
    expect(st.connectionsOpened).toBe(1);
    expect(st.connectionsActive).toBe(1);
    expect(st.midstreamPickups).toBe(0);
    expect(st.bytesDelivered).toBe(4 + 8 + 7 + 8);
  });

  it('delivers in-order payload as a view of the packet (no copy)', () => {
    const seen: Uint8Array[] = [];
    const r = new TcpReassembler({
      newConsumer: () => ({
        onData: (_d, data) => seen.push(data),
        onGap() {},
        onClose() {},
        wantsPayload: () => true,
      }),
    });
    r.process(packet(CLIENT, SERVER, { seq: CISN, flags: SYN }));
    const p = packet(CLIENT, SERVER, { seq: CISN + 1, flags: PA, data: 'abc' });
    r.process(p);
    expect(seen[0]).toBe(p.payload);
  });

  it('delivers the data of a SYN after the SYN (SYN consumes one sequence number)', () => {
    const { rec, c, s } = setup();
    c({ seq: CISN, flags: SYN, data: 'hello' });
    s({ seq: SISN, ack: CISN + 6, flags: SA });
    c({ seq: CISN + 6, ack: SISN + 1, flags: PA, data: ' world' });
    c({ seq: CISN, flags: SYN, data: 'hello' }); // retransmitted SYN: same ISN, nothing new
    expect(rec.stream(1, 0)).toBe('hello world');
    expect(rec.conns).toHaveLength(1);
  });

  it('ignores zero-length segments and keep-alives (one old byte) without disturbing the stream', () => {
    const { r, rec, c, s } = setup();
    handshake(c, s);
    c({ seq: CISN + 1, ack: SISN + 1, flags: PA, data: 'abc' });
    c({ seq: CISN + 4, ack: SISN + 1, flags: ACK }); // pure ACK
    c({ seq: CISN + 3, ack: SISN + 1, flags: ACK, data: 'c' }); // keep-alive: seq = next - 1, one byte
    c({ seq: CISN + 4, ack: SISN + 1, flags: PA, data: 'def' });
    expect(rec.stream(1, 0)).toBe('abcdef');
    expect(r.stats().retransmittedSegments).toBe(1);
    expect(r.stats().retransmittedBytes).toBe(1);
  });

  it('handles IPv6 connections', () => {
    const a = { ip: '2001:db8::10', port: 50000 };
    const b = { ip: '2001:db8::20', port: 135 };
    const { rec, c, s } = setup({}, a, b);
    c({ seq: 1, flags: SYN });
    s({ seq: 9, ack: 2, flags: SA });
    c({ seq: 2, ack: 10, flags: PA, data: 'v6' });
    expect(rec.conns[0]).toMatchObject({ ipVersion: 6, client: a, server: b });
    expect(rec.stream(1, 0)).toBe('v6');
  });

  it('returns null for packets that are not TCP or have impossible flags, and counts them', () => {
    const { r } = setup();
    const udp = packet(CLIENT, SERVER, { seq: 0, flags: 0, data: 'x' });
    expect(r.process({ ...udp, proto: 17, tcp: undefined })).toBeNull();
    expect(r.process(packet(CLIENT, SERVER, { seq: 1, flags: SYN | FIN }))).toBeNull();
    expect(r.process(packet(CLIENT, SERVER, { seq: 1, flags: SYN | RST }))).toBeNull();
    const st = r.stats();
    expect(st.nonTcp).toBe(1);
    expect(st.invalidFlags).toBe(2);
    expect(st.connectionsOpened).toBe(0);
  });
});

describe('closing', () => {
  it('closes with fin once both FINs are reached in order, after all data', () => {
    const { r, rec, c, s } = setup();
    handshake(c, s);
    c({ seq: CISN + 1, ack: SISN + 1, flags: PA, data: 'req', ts: 5 });
    s({ seq: SISN + 1, ack: CISN + 4, flags: PA, data: 'resp', ts: 6 });
    c({ seq: CISN + 4, ack: SISN + 5, flags: FA, ts: 7 });
    expect(rec.closes()).toEqual([]);
    s({ seq: SISN + 5, ack: CISN + 5, flags: FA, ts: 8 });
    expect(rec.closes()).toEqual([{ conn: 1, reason: 'fin', ts: 8 }]);
    // The last ACK lingers on the closed connection: it is not a new midstream connection.
    const last = c({ seq: CISN + 5, ack: SISN + 6, flags: ACK, ts: 9 });
    expect(last?.conn.id).toBe(1);
    const st = r.stats();
    expect(st.connectionsClosed.fin).toBe(1);
    expect(st.connectionsOpened).toBe(1);
    expect(st.packetsAfterClose).toBe(1);
    expect(st.connectionsActive).toBe(0);
    expect(st.connectionsLingering).toBe(1);
  });

  it('waits for data before a FIN that arrived early, then closes', () => {
    const { rec, c, s } = setup();
    handshake(c, s);
    c({ seq: CISN + 4, ack: SISN + 1, flags: FA, ts: 3 }); // FIN overtook the data
    s({ seq: SISN + 1, ack: CISN + 1, flags: FA, ts: 4 });
    expect(rec.closes()).toEqual([]);
    c({ seq: CISN + 1, ack: SISN + 2, flags: PA, data: 'abc', ts: 5 });
    expect(rec.stream(1, 0)).toBe('abc');
    expect(rec.closes()).toEqual([{ conn: 1, reason: 'fin', ts: 5 }]);
  });

  it('closes with rst at once, delivering buffered data after a gap first', () => {
    const { r, rec, c, s } = setup();
    handshake(c, s);
    c({ seq: CISN + 1, ack: SISN + 1, flags: PA, data: 'ab' });
    c({ seq: CISN + 6, ack: SISN + 1, flags: PA, data: 'fg' }); // 'cde' lost
    s({ seq: SISN + 1, ack: CISN + 3, flags: RA, ts: 2 });
    expect(rec.stream(1, 0)).toBe('ab[gap 3]fg');
    expect(rec.closes()).toEqual([{ conn: 1, reason: 'rst', ts: 2 }]);
    expect(r.stats().connectionsClosed.rst).toBe(1);
    expect(r.stats().gapsByCause.close).toBe(1);
    expect(r.stats().bufferedBytes).toBe(0);
  });

  it('ignores an RST whose sequence number is far from the stream (blind reset)', () => {
    const { r, rec, c, s } = setup({ rstSeqWindowBytes: 65536 });
    handshake(c, s);
    s({ seq: SISN + 1 + 1_000_000, ack: CISN + 1, flags: RST });
    c({ seq: CISN + 1, ack: SISN + 1, flags: PA, data: 'still here' });
    expect(rec.closes()).toEqual([]);
    expect(rec.stream(1, 0)).toBe('still here');
    expect(r.stats().rstIgnored).toBe(1);
  });

  it('checks a midstream RST against the sequence number of the bare ACKs seen before it', () => {
    const { r, rec, c, s } = setup({ rstSeqWindowBytes: 65536 });
    c({ seq: 5_000, ack: 9_000, flags: ACK });
    s({ seq: 9_000, ack: 5_000, flags: ACK });
    s({ seq: 3_000_000, ack: 5_000, flags: RST }); // blind
    expect(rec.closes()).toEqual([]);
    s({ seq: 9_000, ack: 5_000, flags: RA, ts: 4 });
    expect(rec.closes()).toEqual([{ conn: 1, reason: 'rst', ts: 4 }]);
    expect(r.stats().rstIgnored).toBe(1);
  });

  it('refused connection: SYN then RST-ACK closes with rst, never established', () => {
    const { r, rec, c, s } = setup();
    expect(snap(c({ seq: CISN, flags: SYN }))?.established).toBe(false);
    const info = s({ seq: 0, ack: CISN + 1, flags: RA });
    expect(info?.established).toBe(false);
    expect(rec.closes()).toEqual([{ conn: 1, reason: 'rst', ts: 0 }]);
    expect(r.stats().connectionsClosed.rst).toBe(1);
  });

  it('does not create a connection for an RST of an unknown tuple', () => {
    const { r, c } = setup();
    expect(c({ seq: 77, ack: 1, flags: RA })).toBeNull();
    expect(r.stats().rstWithoutConnection).toBe(1);
    expect(r.stats().connectionsOpened).toBe(0);
  });

  it('ignores a FIN that lies behind data already delivered', () => {
    const { r, rec, c, s } = setup();
    handshake(c, s);
    c({ seq: CISN + 1, ack: SISN + 1, flags: PA, data: 'abcdef' });
    c({ seq: CISN + 2, ack: SISN + 1, flags: FA }); // bogus FIN in the past
    c({ seq: CISN + 7, ack: SISN + 1, flags: PA, data: 'ghi' });
    expect(rec.stream(1, 0)).toBe('abcdefghi');
    expect(r.stats().finIgnored).toBe(1);
    expect(r.stats().dataAfterFin).toBe(0);
  });

  it('discards payload beyond the FIN', () => {
    const { r, rec, c, s } = setup();
    handshake(c, s);
    c({ seq: CISN + 1, ack: SISN + 1, flags: FA, data: 'end' });
    c({ seq: CISN + 4, ack: SISN + 1, flags: PA, data: 'wxyz' }); // from the FIN's number on
    expect(rec.stream(1, 0)).toBe('end');
    expect(r.stats().dataAfterFin).toBe(4);
  });
});

describe('connection reuse', () => {
  it('a new SYN on a closed tuple starts a new connection with a new id', () => {
    const { r, rec, c, s } = setup();
    handshake(c, s);
    c({ seq: CISN + 1, ack: SISN + 1, flags: PA, data: 'one' });
    c({ seq: CISN + 4, ack: SISN + 1, flags: FA, ts: 1 });
    s({ seq: SISN + 1, ack: CISN + 5, flags: FA, ts: 1 });
    expect(rec.closes()).toEqual([{ conn: 1, reason: 'fin', ts: 1 }]);

    handshake(c, s, 2, 90_000, 70_000);
    const info = c({ seq: 90_001, ack: 70_001, flags: PA, data: 'two', ts: 2 });
    expect(snap(info)).toEqual({ id: 2, dir: 0, established: true });
    expect(rec.stream(1, 0)).toBe('one');
    expect(rec.stream(2, 0)).toBe('two');
    expect(rec.conns[1].midstream).toBe(false);
    expect(r.stats().connectionsOpened).toBe(2);
  });

  it('a SYN with a new ISN on an open tuple ends the old connection (evicted) and starts a new one', () => {
    const { r, rec, c, s } = setup();
    handshake(c, s);
    c({ seq: CISN + 1, ack: SISN + 1, flags: PA, data: 'old' });
    // The old connection's FIN/RST was never captured; the port is reused.
    handshake(c, s, 3, 400_000, 800_000);
    c({ seq: 400_001, ack: 800_001, flags: PA, data: 'new', ts: 3 });
    expect(rec.closes()).toEqual([{ conn: 1, reason: 'evicted', ts: 3 }]);
    expect(rec.stream(2, 0)).toBe('new');
    expect(r.stats().portReuse).toBe(1);
  });

  it('payload beyond a closed connection ends its linger: picked up as a new midstream connection', () => {
    const { rec, c, s } = setup();
    handshake(c, s);
    c({ seq: CISN + 1, ack: SISN + 1, flags: PA, data: 'abc' });
    s({ seq: SISN + 1, ack: CISN + 4, flags: RST });
    c({ seq: CISN + 1, ack: SISN + 1, flags: PA, data: 'abc' }); // retransmission: absorbed
    const info = c({ seq: CISN + 4, ack: SISN + 1, flags: PA, data: 'more' });
    expect(info?.conn.id).toBe(2);
    expect(info?.conn.midstream).toBe(true);
    expect(rec.stream(2, 0)).toBe('more');
  });
});

describe('midstream pickup', () => {
  it('starts each direction at its first sequence number; server is the endpoint on the well-known port', () => {
    const { r, rec, s, c } = setup();
    // First packet seen is the server's response: roles still come from the ports (135 is the server).
    expect(snap(s({ seq: 7_000_000, ack: 3_000_000, flags: PA, data: 'resp1' }))).toEqual({
      id: 1,
      dir: 1,
      established: false,
    });
    expect(snap(c({ seq: 3_000_000, ack: 7_000_005, flags: PA, data: 'req2' }))).toEqual({
      id: 1,
      dir: 0,
      established: true, // traffic seen both ways
    });
    s({ seq: 7_000_005, ack: 3_000_004, flags: PA, data: 'resp2' });
    expect(rec.conns[0]).toMatchObject({ midstream: true, client: CLIENT, server: SERVER });
    expect(rec.stream(1, 0)).toBe('req2');
    expect(rec.stream(1, 1)).toBe('resp1resp2');
    expect(r.stats().midstreamPickups).toBe(1);
  });

  it('a bare ACK does not fix the starting sequence number (a keep-alive would open a bogus hole)', () => {
    const { r, rec, c, s } = setup();
    c({ seq: 41_999, ack: 9_000, flags: ACK }); // keep-alive probe: one below the next byte, no payload
    c({ seq: 42_000, ack: 9_000, flags: PA, data: 'request' });
    s({ seq: 9_000, ack: 42_007, flags: PA, data: 'response' });
    expect(rec.stream(1, 0)).toBe('request');
    expect(rec.stream(1, 1)).toBe('response');
    expect(r.stats().gaps).toBe(0);
    expect(r.stats().bufferedBytesPeak).toBe(0);
  });

  it("a bare ACK's number holds: a later 1-byte keep-alive below it is old, a hole after it is a gap", () => {
    const { r, rec, c, s } = setup({ ackGapSkip: false });
    s({ seq: 9_000, ack: 42_000, flags: ACK }); // server's next byte is 9000
    s({ seq: 8_999, ack: 42_000, flags: ACK, data: '\0' }); // Windows keep-alive: one old garbage byte
    c({ seq: 42_000, ack: 9_000, flags: ACK }); // client's next byte is 42000
    c({ seq: 42_005, ack: 9_000, flags: PA, data: 'fghij' }); // 42000..42004 were lost
    s({ seq: 9_000, ack: 42_000, flags: PA, data: 'resp' });
    r.closeAll();
    expect(rec.stream(1, 1)).toBe('resp');
    expect(rec.stream(1, 0)).toBe('[gap 5]fghij');
    expect(r.stats().retransmittedBytes).toBe(1);
  });

  it('with both ports ephemeral the lower port is the server; on equal ports the first packet goes to the server', () => {
    const hi = { ip: '10.1.1.1', port: 62011 };
    const lo = { ip: '10.1.1.2', port: 49668 };
    const a = setup({}, hi, lo);
    a.s({ seq: 1, ack: 1, flags: PA, data: 'x' }); // from lo (49668) to hi
    expect(a.rec.conns[0]).toMatchObject({ client: hi, server: lo });

    const p = { ip: '10.2.2.1', port: 5000 };
    const q = { ip: '10.2.2.2', port: 5000 };
    const b = setup({}, p, q);
    b.s({ seq: 1, ack: 1, flags: ACK }); // q -> p first
    expect(b.rec.conns[0]).toMatchObject({ client: q, server: p });

    const e1 = { ip: '10.3.3.1', port: 445 };
    const e2 = { ip: '10.3.3.2', port: 135 };
    const d = setup({}, e1, e2);
    d.c({ seq: 1, ack: 1, flags: ACK }); // both below 1024: the lower (135) serves
    expect(d.rec.conns[0]).toMatchObject({ client: e1, server: e2 });
  });

  it('picked up at the SYN-ACK: roles from the SYN-ACK, client stream starts at its ACK number', () => {
    const { r, rec, c, s } = setup({}, { ip: '10.0.0.1', port: 135 }, { ip: '10.0.0.2', port: 50000 });
    // Here `c` sends from port 135 yet is the client: only the SYN-ACK can tell.
    s({ seq: SISN, ack: CISN + 1, flags: SA });
    expect(snap(c({ seq: CISN + 1, ack: SISN + 1, flags: ACK }))?.established).toBe(true);
    c({ seq: CISN + 1, ack: SISN + 1, flags: PA, data: 'hi' });
    expect(rec.conns[0]).toMatchObject({ midstream: true, client: { port: 135 }, server: { port: 50000 } });
    expect(rec.stream(1, 0)).toBe('hi');
    expect(r.stats().midstreamPickups).toBe(1);
  });

  it("midstreamEstablished: 'immediate' calls a pickup established from its first packet", () => {
    const { c } = setup({ midstreamEstablished: 'immediate' });
    expect(snap(c({ seq: 10, ack: 20, flags: PA, data: 'x' }))?.established).toBe(true);
  });

  it('midstream: false ignores packets of unknown connections that carry no SYN', () => {
    const { r, rec, c, s } = setup({ midstream: false });
    expect(c({ seq: 10, ack: 20, flags: PA, data: 'x' })).toBeNull();
    handshake(c, s);
    expect(rec.conns).toHaveLength(1);
    expect(r.stats().midstreamIgnored).toBe(1);
  });

  it('a handshake whose SYN-ACK was lost becomes established once the server sends', () => {
    const { c, s } = setup();
    c({ seq: CISN, flags: SYN });
    expect(snap(c({ seq: CISN + 1, ack: SISN + 1, flags: ACK }))?.established).toBe(false);
    expect(snap(s({ seq: SISN + 1, ack: CISN + 1, flags: PA, data: 'x' }))?.established).toBe(true);
  });
});

describe('consumer failures', () => {
  it('counts a throwing consumer, stops its payload, and keeps tracking the connection', () => {
    let calls = 0;
    const rec = new Recorder();
    const r = new TcpReassembler({
      newConsumer: (conn) => {
        const inner = rec.newConsumer(conn);
        return {
          ...inner,
          onData: (d, data, ts) => {
            calls++;
            if (calls === 2) throw new Error('parser bug');
            inner.onData(d, data, ts);
          },
        };
      },
    });
    const c = (o: Parameters<typeof packet>[2]) => r.process(packet(CLIENT, SERVER, o));
    const s = (o: Parameters<typeof packet>[2]) => r.process(packet(SERVER, CLIENT, o));
    handshake(c, s);
    c({ seq: CISN + 1, ack: SISN + 1, flags: PA, data: 'one' });
    c({ seq: CISN + 4, ack: SISN + 1, flags: PA, data: 'two' });
    c({ seq: CISN + 7, ack: SISN + 1, flags: PA, data: 'three' });
    c({ seq: CISN + 12, ack: SISN + 1, flags: FA });
    s({ seq: SISN + 1, ack: CISN + 13, flags: FA, ts: 9 });
    expect(rec.stream(1, 0)).toBe('one');
    expect(rec.closes()).toEqual([{ conn: 1, reason: 'fin', ts: 9 }]);
    const st = r.stats();
    expect(st.consumerErrors).toBe(1);
    expect(st.lastConsumerError).toBe('connection 1: parser bug');
    expect(st.payloadSkippedBytes).toBe(5);
  });
});

describe('options', () => {
  it('rejects unusable values with the option name', () => {
    const f = new Recorder();
    expect(() => new TcpReassembler(f, { maxConnections: 0 })).toThrow(/maxConnections/);
    expect(() => new TcpReassembler(f, { establishedTimeoutUs: -1 })).toThrow(/establishedTimeoutUs/);
    expect(() => new TcpReassembler(f, { gapSkipBufferedBytes: 1.5 })).toThrow(/gapSkipBufferedBytes/);
    expect(() => new TcpReassembler(f, { bogus: 1 } as never)).toThrow("unknown reassembly option 'bogus'");
    expect(new TcpReassembler(f).options.establishedTimeoutUs).toBe(120_000_000);
  });
});
