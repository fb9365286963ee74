import { describe, expect, it } from 'vitest';
import { ACK, CISN, FA, handshake, PA, SA, SISN, SYN, setup } from './helpers.js';

const D = CISN + 1; // first client data byte
const U = SISN + 1; // first server data byte

describe('out of order and retransmission', () => {
  it('buffers segments beyond a hole and delivers them, in order, when it fills', () => {
    const { r, rec, c, s } = setup();
    handshake(c, s);
    c({ seq: D + 6, ack: U, flags: PA, data: 'ghi' });
    c({ seq: D + 3, ack: U, flags: PA, data: 'def' });
    expect(rec.stream(1, 0)).toBe('');
    expect(r.stats().bufferedBytes).toBe(6);
    c({ seq: D, ack: U, flags: PA, data: 'abc' });
    expect(rec.stream(1, 0)).toBe('abcdefghi');
    // Three deliveries, in sequence order: the hole filler, then the two buffered segments.
    expect(rec.events.filter((e) => e.kind === 'data').map((e) => (e.kind === 'data' ? e.text : ''))).toEqual([
      'abc',
      'def',
      'ghi',
    ]);
    const st = r.stats();
    expect(st.outOfOrderSegments).toBe(2);
    expect(st.bufferedBytes).toBe(0);
    expect(st.bufferedBytesPeak).toBe(6);
    expect(st.gaps).toBe(0);
  });

  it('copies buffered data: reuse of the capture buffer after process() does not change what is delivered', () => {
    const { rec, c, s } = setup();
    handshake(c, s);
    const later = Buffer.from('WORLD');
    c({ seq: D + 5, ack: U, flags: PA, data: later });
    later.fill(0x21); // the reader reuses its buffer for the next frame
    c({ seq: D, ack: U, flags: PA, data: 'HELLO' });
    expect(rec.stream(1, 0)).toBe('HELLOWORLD');
  });

  it('drops retransmissions and trims partial ones to the new bytes', () => {
    const { r, rec, c, s } = setup();
    handshake(c, s);
    c({ seq: D, ack: U, flags: PA, data: 'abcd' });
    c({ seq: D, ack: U, flags: PA, data: 'abcd' }); // full retransmission
    c({ seq: D + 2, ack: U, flags: PA, data: 'cdef' }); // 'cd' old, 'ef' new
    c({ seq: D + 3, ack: U, flags: PA, data: 'd' }); // old
    expect(rec.stream(1, 0)).toBe('abcdef');
    const st = r.stats();
    expect(st.retransmittedSegments).toBe(2);
    expect(st.retransmittedBytes).toBe(4 + 2 + 1);
  });

  it('retransmission of a buffered segment is an agreeing overlap, not a conflict', () => {
    const { r, rec, c, s } = setup();
    handshake(c, s);
    c({ seq: D + 2, ack: U, flags: PA, data: 'cd' });
    c({ seq: D + 2, ack: U, flags: PA, data: 'cd' });
    c({ seq: D, ack: U, flags: PA, data: 'ab' });
    expect(rec.stream(1, 0)).toBe('abcd');
    expect(r.stats().overlapBytes).toBe(2);
    expect(r.stats().overlapConflicts).toBe(0);
  });
});

describe('overlap policy: first data wins', () => {
  it('out-of-order path: a later segment cannot overwrite buffered bytes; the conflict is counted', () => {
    const { r, rec, c, s } = setup();
    handshake(c, s);
    c({ seq: D + 4, ack: U, flags: PA, data: 'EFGH' }); // first version of bytes 4..7
    c({ seq: D + 2, ack: U, flags: PA, data: 'cdXYZWij' }); // bytes 2..9: 'XYZW' disagrees at 4..7
    c({ seq: D, ack: U, flags: PA, data: 'ab' });
    expect(rec.stream(1, 0)).toBe('abcdEFGHij');
    const st = r.stats();
    expect(st.overlapBytes).toBe(4);
    expect(st.overlapConflicts).toBe(1);
  });

  it('in-order path: the segment that fills the hole does not overwrite buffered bytes either', () => {
    const { r, rec, c, s } = setup();
    handshake(c, s);
    c({ seq: D + 3, ack: U, flags: PA, data: 'DE' }); // buffered first
    c({ seq: D + 7, ack: U, flags: PA, data: 'H' }); // buffered first
    c({ seq: D, ack: U, flags: PA, data: 'abcxyzgqij' }); // in order, covers both buffered pieces
    expect(rec.stream(1, 0)).toBe('abcDEzgHij');
    const st = r.stats();
    expect(st.overlapBytes).toBe(3);
    expect(st.overlapConflicts).toBe(2); // 'xy' vs 'DE', 'q' vs 'H'
  });

  it('agreeing overlaps are counted as overlap bytes only', () => {
    const { r, rec, c, s } = setup();
    handshake(c, s);
    c({ seq: D + 2, ack: U, flags: PA, data: 'cde' });
    c({ seq: D, ack: U, flags: PA, data: 'abcdefg' });
    expect(rec.stream(1, 0)).toBe('abcdefg');
    expect(r.stats().overlapBytes).toBe(3);
    expect(r.stats().overlapConflicts).toBe(0);
  });
});

describe('sequence wrap', () => {
  it('reassembles a stream whose sequence numbers wrap past 2^32, in order and out of order', () => {
    const { r, rec, c, s } = setup();
    const isn = 0xfffffff0;
    handshake(c, s, 0, isn, 0xfffffffe);
    // Client bytes occupy 0xfffffff1 .. 0x00000010 (32 bytes).
    c({ seq: 0xfffffff1, ack: 0xffffffff, flags: PA, data: '0123456789' }); // ..0xfffffffa
    c({ seq: 0x00000005, ack: 0xffffffff, flags: PA, data: 'KLMNOPQRSTUV' }); // after the wrap, out of order
    c({ seq: 0xfffffffb, ack: 0xffffffff, flags: PA, data: 'abcdefghij' }); // 0xfffffffb .. 0x00000004
    // Server: SYN-ACK ISN 0xfffffffe, data starts at 0xffffffff and crosses zero.
    s({ seq: 0xffffffff, ack: 0x00000011, flags: PA, data: 'wrap!' });
    s({ seq: 0x00000004, ack: 0x00000011, flags: PA, data: 'ok' });
    expect(rec.stream(1, 0)).toBe('0123456789abcdefghijKLMNOPQRSTUV');
    expect(rec.stream(1, 1)).toBe('wrap!ok');
    expect(r.stats().gaps).toBe(0);
    expect(r.stats().retransmittedBytes).toBe(0);
  });

  it('recognises a retransmission across the wrap', () => {
    const { r, rec, c, s } = setup();
    handshake(c, s, 0, 0xfffffffd, 100);
    c({ seq: 0xfffffffe, ack: 101, flags: PA, data: 'abcd' }); // ..0x00000001
    c({ seq: 0xffffffff, ack: 101, flags: PA, data: 'bcdef' }); // 'bcd' old, 'ef' new
    expect(rec.stream(1, 0)).toBe('abcdef');
    expect(r.stats().retransmittedBytes).toBe(3);
  });
});

describe('gaps', () => {
  it('skips a hole when the peer ACKs beyond it (ACK-driven), with the exact gap length', () => {
    const { r, rec, c, s } = setup();
    handshake(c, s);
    c({ seq: D, ack: U, flags: PA, data: 'head' }); // D .. D+3
    // D+4 .. D+13 (10 bytes) never captured.
    c({ seq: D + 14, ack: U, flags: PA, data: 'tail' });
    expect(rec.stream(1, 0)).toBe('head');
    s({ seq: U, ack: D + 18, flags: ACK, ts: 7 }); // server received everything up to D+18
    expect(rec.stream(1, 0)).toBe('head[gap 10]tail');
    expect(rec.events.find((e) => e.kind === 'gap')).toEqual({ kind: 'gap', conn: 1, dir: 0, length: 10, ts: 7 });
    const st = r.stats();
    expect(st.gaps).toBe(1);
    expect(st.gapBytes).toBe(10);
    expect(st.gapsByCause.ack).toBe(1);
    expect(st.bufferedBytes).toBe(0);
  });

  it('an ACK that was already past the hole skips it as soon as data beyond the hole arrives', () => {
    // The shape of suricata-verify dce-gap-handling: the server ACKs a client segment that is not in the capture,
    // then the client's next PDU arrives.
    const { rec, c, s } = setup();
    handshake(c, s);
    c({ seq: D, ack: U, flags: PA, data: 'bind' });
    s({ seq: U, ack: D + 4, flags: PA, data: 'bind_ack' });
    s({ seq: U + 8, ack: D + 4 + 20, flags: PA, data: 'alter_resp' }); // ACKs 20 unseen client bytes
    expect(rec.stream(1, 0)).toBe('bind'); // nothing beyond the hole seen yet: no gap so far
    c({ seq: D + 24, ack: U + 18, flags: PA, data: 'request' });
    expect(rec.stream(1, 0)).toBe('bind[gap 20]request');
    expect(rec.stream(1, 1)).toBe('bind_ackalter_resp');
  });

  it('an ACK into the middle of a hole skips only the acknowledged part', () => {
    const { r, rec, c, s } = setup();
    handshake(c, s);
    c({ seq: D + 10, ack: U, flags: PA, data: 'K' });
    s({ seq: U, ack: D + 4, flags: ACK }); // bytes D..D+3 were received: lost to us for good
    expect(rec.stream(1, 0)).toBe('[gap 4]');
    c({ seq: D + 4, ack: U, flags: PA, data: 'efghij' }); // the rest of the hole is retransmitted
    expect(rec.stream(1, 0)).toBe('[gap 4]efghijK');
    expect(r.stats().gapBytes).toBe(4);
  });

  it('skips a hole once more than gapSkipBufferedBytes are buffered beyond it', () => {
    const { r, rec, c, s } = setup({ gapSkipBufferedBytes: 10, ackGapSkip: false });
    handshake(c, s);
    c({ seq: D, ack: U, flags: PA, data: 'ab' });
    c({ seq: D + 5, ack: U, flags: PA, data: 'fghij' }); // 5 buffered
    c({ seq: D + 10, ack: U, flags: PA, data: 'klmno' }); // 10 buffered: not more than the threshold
    expect(rec.stream(1, 0)).toBe('ab');
    c({ seq: D + 15, ack: U, flags: PA, data: 'p' }); // 11: skip
    expect(rec.stream(1, 0)).toBe('ab[gap 3]fghijklmnop');
    expect(r.stats().gapsByCause.ahead).toBe(1);
    c({ seq: D + 2, ack: U, flags: PA, data: 'cde' }); // the lost bytes, too late: dropped as old
    expect(rec.stream(1, 0)).toBe('ab[gap 3]fghijklmnop');
  });

  it('skips the oldest hole when the per-direction byte limit would be exceeded', () => {
    const { r, rec, c, s } = setup({ maxBufferedBytesPerDirection: 8, gapSkipBufferedBytes: 1000, ackGapSkip: false });
    handshake(c, s);
    c({ seq: D + 2, ack: U, flags: PA, data: 'cdef' }); // hole 0..1, 4 buffered
    c({ seq: D + 8, ack: U, flags: PA, data: 'ijkl' }); // hole 6..7, 8 buffered
    expect(rec.stream(1, 0)).toBe('');
    c({ seq: D + 14, ack: U, flags: PA, data: 'op' }); // 10 > 8: give up the first hole, which makes room
    expect(rec.stream(1, 0)).toBe('[gap 2]cdef');
    expect(r.stats().bufferedBytes).toBe(6); // 'ijkl' + 'op' remain behind the hole at 6..7
    c({ seq: D + 6, ack: U, flags: PA, data: 'gh' });
    expect(rec.stream(1, 0)).toBe('[gap 2]cdefghijkl');
    expect(r.stats().gapsByCause.limit).toBe(1);
  });

  it('skips the oldest hole when the per-direction segment limit would be exceeded', () => {
    const { r, rec, c, s } = setup({ maxBufferedSegmentsPerDirection: 2, ackGapSkip: false });
    handshake(c, s);
    c({ seq: D + 1, ack: U, flags: PA, data: 'b' });
    c({ seq: D + 3, ack: U, flags: PA, data: 'd' });
    c({ seq: D + 5, ack: U, flags: PA, data: 'f' }); // third segment: skip hole at 0
    expect(rec.stream(1, 0)).toBe('[gap 1]b');
    c({ seq: D + 7, ack: U, flags: PA, data: 'h' }); // again: skip hole at 2
    expect(rec.stream(1, 0)).toBe('[gap 1]b[gap 1]d');
    expect(r.stats().gapsByCause.limit).toBe(2);
  });

  it('reports holes left at close (FIN never reached) before closing', () => {
    const { rec, r, c, s } = setup({ ackGapSkip: false });
    handshake(c, s);
    c({ seq: D, ack: U, flags: PA, data: 'ab' });
    c({ seq: D + 4, ack: U, flags: PA, data: 'ef' });
    r.closeAll();
    expect(rec.stream(1, 0)).toBe('ab[gap 2]ef');
    expect(rec.closes()).toEqual([{ conn: 1, reason: 'end_of_input', ts: 0 }]);
    expect(r.stats().gapsByCause.close).toBe(1);
  });

  it('a FIN behind a hole completes the direction once the peer ACKs the FIN', () => {
    const { rec, c, s } = setup();
    handshake(c, s);
    c({ seq: D, ack: U, flags: PA, data: 'ab' });
    c({ seq: D + 5, ack: U, flags: FA, ts: 2 }); // 'cde' lost, FIN at D+5
    s({ seq: U, ack: D + 6, flags: FA, ts: 3 }); // server ACKs the FIN and closes its side
    expect(rec.stream(1, 0)).toBe('ab[gap 3]');
    expect(rec.closes()).toEqual([{ conn: 1, reason: 'fin', ts: 3 }]);
  });
});

describe('handshake corner cases for sequence tracking', () => {
  it('SYN-ACK first: a client segment before the ACKed number is a retransmission', () => {
    const { r, rec, c, s } = setup();
    s({ seq: SISN, ack: CISN + 1, flags: SA });
    c({ seq: CISN, flags: SYN }); // the SYN, captured late: same ISN as the SYN-ACK implies
    c({ seq: CISN + 1, ack: SISN + 1, flags: PA, data: 'x' });
    expect(rec.stream(1, 0)).toBe('x');
    expect(r.stats().connectionsOpened).toBe(1); // the late SYN is the one the SYN-ACK answered, not port reuse
    expect(r.stats().portReuse).toBe(0);
  });

  it('pure ACKs and window updates carry no bytes and create no gaps', () => {
    const { r, c, s } = setup();
    handshake(c, s);
    for (let i = 0; i < 5; i++) s({ seq: U, ack: D, flags: ACK });
    expect(r.stats().gaps).toBe(0);
    expect(r.stats().bytesDelivered).toBe(0);
  });
});
