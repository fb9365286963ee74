import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/dcerpc/bytes.js';
import { type FramerSink, MODE_DEAD, MODE_HUNT, MODE_SKIP, MODE_SYNC, PduFramer } from '../../src/dcerpc/framer.js';
import { FIRST_PDU_CLIENT, FIRST_PDU_SERVER } from '../../src/dcerpc/header.js';
import type { FramerProblemKind } from '../../src/dcerpc/problem.js';
import type { Direction } from '../../src/tcp/types.js';
import { concat, GAP_HANDLING, SHARPWMI, WMI_ACCESS_DENIED_FAULT, WMIEXEC } from './fixtures.js';

class Collect implements FramerSink {
  pdus: Uint8Array[] = [];
  views: Uint8Array[] = [];
  problems: Array<[FramerProblemKind, string]> = [];
  onFramedPdu(_dir: Direction, pdu: Uint8Array): void {
    this.views.push(pdu);
    this.pdus.push(pdu.slice());
  }
  onFramerProblem(_dir: Direction, kind: FramerProblemKind, detail: string): void {
    this.problems.push([kind, detail]);
  }
  hex(): string[] {
    return this.pdus.map((p) => toHex(p));
  }
}

function client(opts: Partial<ConstructorParameters<typeof PduFramer>[2]> = {}) {
  const sink = new Collect();
  const f = new PduFramer(0, sink, { firstPduMask: FIRST_PDU_CLIENT, ...opts });
  return { sink, f };
}

// The client side of a native Windows WMI connection, as the sharpwmi capture has it (5 PDUs, 844 bytes)
const CLIENT_PDUS = [
  SHARPWMI.bind,
  SHARPWMI.serverAlive2,
  SHARPWMI.alterContext,
  SHARPWMI.setClientInfoEx,
  SHARPWMI.sealedExecQuery,
];
const CLIENT_STREAM = concat(...CLIENT_PDUS);
const hexes = (ps: Uint8Array[]) => ps.map((p) => toHex(p));

describe('PduFramer: framing by frag_length', () => {
  it('frames several PDUs in one segment without copying them', () => {
    const { sink, f } = client();
    f.push(CLIENT_STREAM, 1);
    expect(sink.hex()).toEqual(hexes(CLIENT_PDUS));
    // zero-copy: each PDU is a view into the pushed chunk
    for (const v of sink.views) expect(v.buffer).toBe(CLIENT_STREAM.buffer);
    expect(f.verdict).toBe('dcerpc');
    expect(f.stats).toMatchObject({ pdus: 5, pduBytes: CLIENT_STREAM.length, skippedBytes: 0, resyncs: 0 });
    expect(f.bufferedBytes).toBe(0);
  });

  it('reassembles PDUs split at every byte boundary', () => {
    for (let i = 1; i < CLIENT_STREAM.length; i++) {
      const { sink, f } = client();
      f.push(CLIENT_STREAM.subarray(0, i), 1);
      f.push(CLIENT_STREAM.subarray(i), 2);
      expect(sink.hex(), `split at ${i}`).toEqual(hexes(CLIENT_PDUS));
      expect(sink.problems).toEqual([]);
    }
  });

  it('reassembles PDUs fed one byte at a time and in three uneven pieces', () => {
    const { sink, f } = client();
    for (let i = 0; i < CLIENT_STREAM.length; i++) f.push(CLIENT_STREAM.subarray(i, i + 1), i);
    expect(sink.hex()).toEqual(hexes(CLIENT_PDUS));
    for (let i = 1; i < CLIENT_STREAM.length; i += 37) {
      for (let j = i + 1; j < CLIENT_STREAM.length; j += 53) {
        const c = client();
        c.f.push(CLIENT_STREAM.subarray(0, i), 1);
        c.f.push(CLIENT_STREAM.subarray(i, j), 2);
        c.f.push(CLIENT_STREAM.subarray(j), 3);
        expect(c.sink.hex(), `split at ${i}/${j}`).toEqual(hexes(CLIENT_PDUS));
      }
    }
  });

  it('gives a large partial-PDU buffer back once the PDU is delivered', () => {
    // a 20 000-byte request delivered in 1460-byte segments, then a small one split in two
    const big = new Uint8Array(20000);
    big.set(fromHex('05 00 00 03 10 00 00 00 20 4e 00 00 01 00 00 00 08 4e 00 00 00 00 05 00'));
    const { sink, f } = client();
    for (let o = 0; o < big.length; o += 1460) f.push(big.subarray(o, o + 1460), o);
    expect(sink.pdus.map((p) => p.length)).toEqual([20000]);
    expect(f.bufferCapacity).toBe(0);
    f.push(SHARPWMI.serverAlive2.subarray(0, 5), 1);
    expect(f.bufferedBytes).toBe(5);
    expect(f.bufferCapacity).toBe(256);
    f.push(SHARPWMI.serverAlive2.subarray(5), 2);
    expect(sink.pdus.length).toBe(2);
  });

  it('buffers only the partial PDU', () => {
    const { f } = client();
    f.push(CLIENT_STREAM.subarray(0, 116 + 24 + 10), 1); // bind, request, 10 bytes of the alter_context
    expect(f.bufferedBytes).toBe(10);
    expect(f.stats.pdus).toBe(2);
  });

  it('frames a big-endian stream', () => {
    const be1 = fromHex(
      '05 00 00 03 00 00 00 00 00 20 00 00 00 00 00 02 00 00 00 08 00 00 00 39 01 02 03 04 05 06 07 08',
    );
    const be2 = fromHex('05 00 00 03 00 00 00 00 00 18 00 00 00 00 00 03 00 00 00 00 00 00 00 05');
    const { sink, f } = client();
    f.push(concat(be1, be2).subarray(0, 40), 1);
    f.push(concat(be1, be2).subarray(40), 2);
    expect(sink.hex()).toEqual(hexes([be1, be2]));
  });
});

describe('PduFramer: first bytes of a direction', () => {
  it('declares a direction dead when its first PDU cannot open it', () => {
    const { sink, f } = client();
    f.push(new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'), 1);
    expect([f.verdict, f.mode]).toEqual(['not-dcerpc', MODE_DEAD]);
    f.push(CLIENT_STREAM, 2); // later bytes are dropped, not framed
    expect(sink.pdus).toEqual([]);
    expect(f.stats.deadBytes).toBe(18 + CLIENT_STREAM.length);
    // a server-only PTYPE cannot open the client direction
    const s = client();
    s.f.push(SHARPWMI.bindAck, 1);
    expect(s.f.verdict).toBe('not-dcerpc');
  });

  it('waits for 12 bytes before deciding, carrying the prefix', () => {
    const { sink, f } = client();
    f.push(SHARPWMI.bind.subarray(0, 5), 1);
    f.push(SHARPWMI.bind.subarray(5, 9), 2);
    expect(f.verdict).toBe('unknown');
    f.push(SHARPWMI.bind.subarray(9), 3);
    expect(f.verdict).toBe('dcerpc');
    expect(sink.hex()).toEqual(hexes([SHARPWMI.bind]));
  });

  it('hunts for the first PDU on a midstream pickup at the next segment start', () => {
    // the capture starts 100 bytes into the sealed ExecQuery request (two segments), then a new segment, a request
    const sink = new Collect();
    const f = new PduFramer(0, sink, { firstPduMask: FIRST_PDU_CLIENT | FIRST_PDU_SERVER, huntOnFirstMiss: true });
    f.push(SHARPWMI.sealedExecQuery.subarray(100, 250), 1);
    f.push(SHARPWMI.sealedExecQuery.subarray(250), 2);
    expect(f.verdict).toBe('unknown');
    f.push(SHARPWMI.setClientInfoEx, 3);
    expect(sink.hex()).toEqual(hexes([SHARPWMI.setClientInfoEx]));
    expect(f.verdict).toBe('dcerpc');
    expect(f.stats.skippedBytes).toBe(280);
    expect(f.stats.resyncs).toBe(1);
  });

  it('before recognition, a header in the middle of a chunk is not taken for a PDU start', () => {
    // DCE/RPC behind another protocol's header (an SMB2 WRITE on a named pipe) must not make the connection DCE/RPC
    const smb2Write = concat(
      fromHex('00 00 00 e4 fe 53 4d 42 40 00 01 00 00 00 00 00 09 00'),
      new Uint8Array(50 + 48), // rest of the 64-byte SMB2 header, 48-byte WRITE request
      SHARPWMI.bind,
    );
    const sink = new Collect();
    const f = new PduFramer(0, sink, {
      firstPduMask: FIRST_PDU_CLIENT | FIRST_PDU_SERVER,
      huntOnFirstMiss: true,
      detectHuntLimit: 1000,
    });
    for (let i = 0; i < 5; i++) f.push(smb2Write, i);
    expect(sink.pdus).toEqual([]);
    expect(f.verdict).toBe('not-dcerpc');
    // a midstream tail and the next PDU coalesced in one chunk: the PDU is skipped, the next chunk start is found
    const g = client({ firstPduMask: FIRST_PDU_CLIENT, huntOnFirstMiss: true });
    g.f.push(concat(SHARPWMI.sealedExecQuery.subarray(100), SHARPWMI.setClientInfoEx), 1);
    g.f.push(SHARPWMI.serverAlive2, 2);
    expect(g.sink.hex()).toEqual(hexes([SHARPWMI.serverAlive2]));
  });

  it('gives up hunting after its byte budget', () => {
    const sink = new Collect();
    const f = new PduFramer(1, sink, { firstPduMask: FIRST_PDU_SERVER, huntOnFirstMiss: true, detectHuntLimit: 1000 });
    const noise = new Uint8Array(4000).map((_, i) => (i * 7 + 3) & 0xff);
    f.push(noise.subarray(0, 600), 1);
    expect(f.verdict).toBe('unknown');
    f.push(noise.subarray(600), 2);
    expect([f.verdict, f.mode]).toEqual(['not-dcerpc', MODE_DEAD]);
    // not DCE/RPC is a verdict, not a problem: nothing is reported
    expect(sink.problems).toEqual([]);
  });
});

describe('PduFramer: malformed headers and resynchronisation', () => {
  it('reports frag_length < 16 and resynchronises on the next PDU', () => {
    const bad = fromHex('05 00 00 03 10 00 00 00 08 00 00 00 09 00 00 00'); // frag_length 8
    const { sink, f } = client();
    f.push(concat(SHARPWMI.bind, bad, SHARPWMI.serverAlive2, SHARPWMI.alterContext), 1);
    expect(sink.hex()).toEqual(hexes([SHARPWMI.bind, SHARPWMI.serverAlive2, SHARPWMI.alterContext]));
    expect(sink.problems.map((p) => p[0])).toEqual(['frag-length-too-short']);
    expect(f.stats).toMatchObject({ framingErrors: 1, resyncs: 1, skippedBytes: 16 });
  });

  it('reports a bad version and a bad drep and resynchronises', () => {
    const v = SHARPWMI.serverAlive2.slice();
    v[0] = 0x06;
    const d = SHARPWMI.serverAlive2.slice();
    d[4] = 0x30;
    const { sink, f } = client();
    f.push(concat(SHARPWMI.bind, v, SHARPWMI.alterContext, SHARPWMI.serverAlive2, d, SHARPWMI.serverAlive2), 1);
    expect(sink.hex()).toEqual(
      hexes([SHARPWMI.bind, SHARPWMI.alterContext, SHARPWMI.serverAlive2, SHARPWMI.serverAlive2]),
    );
    expect(sink.problems.map((p) => p[0])).toEqual(['bad-version', 'bad-drep']);
    expect(f.stats.skippedBytes).toBe(48);
  });

  it('reports a frag_length over the configured maximum and resynchronises after that PDU', () => {
    const { sink, f } = client({ maxFragLength: 300 });
    f.push(concat(SHARPWMI.bind, SHARPWMI.sealedExecQuery, SHARPWMI.serverAlive2), 1);
    expect(sink.problems.map((p) => p[0])).toEqual(['frag-length-too-long']);
    expect(sink.hex()).toEqual(hexes([SHARPWMI.bind, SHARPWMI.serverAlive2]));
    expect(f.stats.skippedBytes).toBe(380);
  });

  it('detects a broken header that arrives split across segments', () => {
    const bad = fromHex('05 00 00 03 10 00 00 00 0a 00 00 00 09 00 00 00');
    const stream = concat(SHARPWMI.bind, bad, SHARPWMI.serverAlive2);
    for (let i = 117; i < 116 + 16; i++) {
      const { sink, f } = client();
      f.push(stream.subarray(0, i), 1);
      f.push(stream.subarray(i), 2);
      expect(sink.hex(), `split at ${i}`).toEqual(hexes([SHARPWMI.bind, SHARPWMI.serverAlive2]));
      expect(sink.problems.map((p) => p[0])).toEqual(['frag-length-too-short']);
    }
  });
});

describe('PduFramer: gaps', () => {
  it('gap at a PDU boundary: hunts and resumes at the next header', () => {
    const { sink, f } = client();
    f.push(SHARPWMI.bind, 1);
    f.gap(SHARPWMI.serverAlive2.length); // the request is lost
    expect(f.mode).toBe(MODE_HUNT);
    f.push(concat(SHARPWMI.alterContext, SHARPWMI.setClientInfoEx), 3);
    expect(sink.hex()).toEqual(hexes([SHARPWMI.bind, SHARPWMI.alterContext, SHARPWMI.setClientInfoEx]));
    expect(f.stats).toMatchObject({ gaps: 1, gapBytes: 24, resyncs: 1, skippedBytes: 0, pdusLostInGap: 0 });
    expect(sink.problems.map((p) => p[0])).toEqual(['gap']);
  });

  it('gap ending inside a PDU of known length: drops it and resumes exactly at its end', () => {
    const { sink, f } = client();
    f.push(concat(SHARPWMI.bind, SHARPWMI.setClientInfoEx.subarray(0, 100)), 1);
    f.gap(50);
    expect(f.mode).toBe(MODE_SKIP);
    f.push(concat(SHARPWMI.setClientInfoEx.subarray(150), SHARPWMI.sealedExecQuery), 2);
    expect(sink.hex()).toEqual(hexes([SHARPWMI.bind, SHARPWMI.sealedExecQuery]));
    expect(f.stats).toMatchObject({ pdusLostInGap: 1, skippedBytes: 100 + 102, resyncs: 0 });
  });

  it('gap ending exactly at the end of the partial PDU resumes in sync', () => {
    const { sink, f } = client();
    f.push(concat(SHARPWMI.bind, SHARPWMI.setClientInfoEx.subarray(0, 100)), 1);
    f.gap(152);
    expect(f.mode).toBe(MODE_SYNC);
    f.push(SHARPWMI.serverAlive2, 2);
    expect(sink.hex()).toEqual(hexes([SHARPWMI.bind, SHARPWMI.serverAlive2]));
  });

  it('gap running past the partial PDU: hunts through the next one (ciphertext) to a real header', () => {
    const { sink, f } = client();
    f.push(concat(SHARPWMI.bind, SHARPWMI.setClientInfoEx.subarray(0, 100)), 1);
    f.gap(152 + 30); // rest of SetClientInfoEx and the first 30 bytes of the sealed request
    f.push(concat(SHARPWMI.sealedExecQuery.subarray(30), SHARPWMI.alterContext, SHARPWMI.serverAlive2), 2);
    expect(sink.hex()).toEqual(hexes([SHARPWMI.bind, SHARPWMI.alterContext, SHARPWMI.serverAlive2]));
    expect(f.stats).toMatchObject({ resyncs: 1, skippedBytes: 100 + 350 });
  });

  it('gap inside a header whose frag_length is unknown: hunts', () => {
    const { sink, f } = client();
    f.push(concat(SHARPWMI.bind, SHARPWMI.setClientInfoEx.subarray(0, 6)), 1);
    f.gap(10);
    expect(f.mode).toBe(MODE_HUNT);
    f.push(concat(SHARPWMI.setClientInfoEx.subarray(16), SHARPWMI.serverAlive2), 2);
    expect(sink.hex()).toEqual(hexes([SHARPWMI.bind, SHARPWMI.serverAlive2]));
  });

  it('gap during a skip: longer gaps hunt, shorter ones keep skipping', () => {
    const { sink, f } = client();
    f.push(concat(SHARPWMI.bind, SHARPWMI.setClientInfoEx.subarray(0, 100)), 1);
    f.gap(50); // skip 102 more
    f.push(SHARPWMI.setClientInfoEx.subarray(150, 160), 2); // 92 left to skip
    f.gap(92 + 24); // the rest and the whole next request
    expect(f.mode).toBe(MODE_HUNT);
    f.push(SHARPWMI.alterContext, 3);
    expect(sink.hex()).toEqual(hexes([SHARPWMI.bind, SHARPWMI.alterContext]));
  });

  it('a header candidate split across chunks while hunting is found', () => {
    const { sink, f } = client();
    f.push(SHARPWMI.bind, 1);
    f.gap(7);
    const rest = concat(fromHex('11 22 33'), SHARPWMI.alterContext);
    for (let i = 0; i < rest.length; i++) f.push(rest.subarray(i, i + 1), 2 + i);
    expect(sink.hex()).toEqual(hexes([SHARPWMI.bind, SHARPWMI.alterContext]));
    expect(f.stats.skippedBytes).toBe(3);
  });

  it('a leading gap makes the first bytes a hunt rather than a verdict', () => {
    const { sink, f } = client();
    f.gap(500);
    f.push(SHARPWMI.sealedExecQuery.subarray(200), 1);
    f.push(SHARPWMI.serverAlive2, 2);
    expect(f.verdict).toBe('dcerpc');
    expect(sink.hex()).toEqual(hexes([SHARPWMI.serverAlive2]));
  });

  it('server direction of the suricata-verify gap test: alter_context_resp then fault after a gap', () => {
    const sink = new Collect();
    const f = new PduFramer(1, sink, { firstPduMask: FIRST_PDU_SERVER });
    f.push(GAP_HANDLING.alterContextResp, 1);
    f.gap(40);
    f.push(concat(fromHex('00 00 00 05 00'), GAP_HANDLING.fault, WMI_ACCESS_DENIED_FAULT), 2);
    expect(sink.hex()).toEqual(hexes([GAP_HANDLING.alterContextResp, GAP_HANDLING.fault, WMI_ACCESS_DENIED_FAULT]));
  });

  it('treats random 05 00 pairs in the stream as candidates only when the header holds up', () => {
    const { sink, f } = client();
    f.push(WMIEXEC.bind, 1);
    f.gap(100);
    // bytes that start like a header (05 00 00 03 …) but whose frag_length is too small for a request
    const decoy = fromHex('05 00 00 03 10 00 00 00 14 00 00 00');
    f.push(concat(decoy, WMIEXEC.auth3), 2);
    expect(sink.hex()).toEqual(hexes([WMIEXEC.bind, WMIEXEC.auth3]));
    expect(f.stats.skippedBytes).toBe(12);
  });
});

describe('PduFramer: garbage never breaks it', () => {
  it('survives random chunks, random gaps and random bytes with bounded buffers', () => {
    let seed = 0x2545f491;
    const rnd = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 0x100000000;
    };
    for (let round = 0; round < 200; round++) {
      const sink = new Collect();
      const f = new PduFramer(0, sink, {
        firstPduMask: FIRST_PDU_CLIENT | FIRST_PDU_SERVER,
        huntOnFirstMiss: round % 2 === 0,
      });
      for (let step = 0; step < 40; step++) {
        const r = rnd();
        if (r < 0.1) {
          f.gap(Math.floor(rnd() * 3000));
        } else if (r < 0.5) {
          // real PDUs, possibly corrupted in one byte
          const p = CLIENT_PDUS[Math.floor(rnd() * CLIENT_PDUS.length)].slice();
          if (rnd() < 0.3) p[Math.floor(rnd() * p.length)] = Math.floor(rnd() * 256);
          const cut = Math.floor(rnd() * p.length);
          f.push(p.subarray(0, cut), step);
          f.push(p.subarray(cut), step);
        } else {
          const junk = new Uint8Array(Math.floor(rnd() * 2000)).map(() => (rnd() < 0.2 ? 5 : Math.floor(rnd() * 256)));
          f.push(junk, step);
        }
        expect(f.bufferedBytes).toBeLessThanOrEqual(65535 + 16);
      }
      for (const p of sink.pdus) {
        // every delivered PDU is exactly frag_length long and starts with a valid version
        expect(p.length).toBe(p[4] & 0x10 ? p[8] | (p[9] << 8) : (p[8] << 8) | p[9]);
        expect(p[0]).toBe(5);
      }
    }
  });
});
