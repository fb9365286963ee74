/**
 * TCP conversation builder, frame encoding and capture files, checked byte by byte with small
 * independent parsers written here (not the generator's own code).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Host, Network } from '../src/capture/network.js';
import { encodePcap, encodePcapng } from '../src/capture/pcap.js';
import { main } from '../src/cli.js';
import { generate, scenarioBytes } from '../src/generate.js';
import { scenarioNames } from '../src/scenarios/index.js';
import { TcpConversation } from '../src/tcp/conversation.js';

const A: Host = { name: 'A', mac: '02:00:00:00:00:01', ip: '10.0.0.1' };
const B: Host = { name: 'B', mac: '02:00:00:00:00:02', ip: '10.0.0.2' };

/** Reference one's-complement sum, written independently of src/net/checksum.ts. */
function onesComplement(words: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < words.length; i += 2) s += (words[i] << 8) + (words[i + 1] ?? 0);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return s;
}

interface ParsedTcp {
  ipTotal: number;
  ipChecksumOk: boolean;
  tcpChecksumOk: boolean;
  seq: number;
  ack: number;
  flags: number;
  options: Uint8Array;
  payload: Uint8Array;
}

function parseV4Tcp(frame: Uint8Array): ParsedTcp {
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  expect(v.getUint16(12)).toBe(0x0800);
  const ip = frame.subarray(14);
  const ihl = (ip[0] & 0x0f) * 4;
  const total = v.getUint16(16);
  const tcp = ip.subarray(ihl, total);
  const pseudo = new Uint8Array(12 + tcp.length + (tcp.length & 1));
  pseudo.set(ip.subarray(12, 20), 0);
  pseudo[9] = 6;
  pseudo[10] = tcp.length >> 8;
  pseudo[11] = tcp.length & 0xff;
  pseudo.set(tcp, 12);
  const tv = new DataView(tcp.buffer, tcp.byteOffset, tcp.byteLength);
  const doff = (tcp[12] >> 4) * 4;
  return {
    ipTotal: total,
    ipChecksumOk: onesComplement(ip.subarray(0, ihl)) === 0xffff,
    tcpChecksumOk: onesComplement(pseudo) === 0xffff,
    seq: tv.getUint32(4),
    ack: tv.getUint32(8),
    flags: tcp[13],
    options: tcp.subarray(20, doff),
    payload: tcp.subarray(doff),
  };
}

describe('TcpConversation', () => {
  it('emits a handshake with Windows-like SYN options and wraps sequence numbers mod 2^32', () => {
    const net = new Network(1_000_000);
    const c = new TcpConversation(net, {
      client: A,
      server: B,
      clientPort: 50000,
      serverPort: 135,
      clientIsn: 0xffffffef,
      serverIsn: 100,
      clientMss: 40,
    });
    c.handshake();
    const data = Uint8Array.from({ length: 100 }, (_, i) => i);
    c.send('client', data);
    const p = net.frames.map((f) => parseV4Tcp(f.data));
    expect(p.map((x) => x.flags)).toEqual([0x02, 0x12, 0x10, 0x10, 0x10, 0x18, 0x10]);
    expect(p[0].seq).toBe(0xffffffef);
    expect([...p[0].options]).toEqual([2, 4, 0, 40, 1, 3, 3, 8, 1, 1, 4, 2]);
    expect(p[1].ack).toBe(0xfffffff0);
    expect(p.slice(3, 6).map((x) => x.seq)).toEqual([0xfffffff0, 0x18, 0x40]);
    expect(p.slice(3, 6).map((x) => x.payload.length)).toEqual([40, 40, 20]);
    expect(p[6].ack).toBe(0x54);
    for (const x of p) {
      expect(x.ipChecksumOk).toBe(true);
      expect(x.tcpChecksumOk).toBe(true);
    }
    // Bare ACKs are padded to the Ethernet minimum, IP total length still says 40.
    expect(net.frames[2].data.length).toBe(60);
    expect(p[2].ipTotal).toBe(40);
  });

  it('applies reorder, retransmission, identical and conflicting overlap, and drops', () => {
    const net = new Network(0);
    const c = new TcpConversation(net, {
      client: A,
      server: B,
      clientPort: 50001,
      serverPort: 49154,
      clientIsn: 999,
      serverIsn: 5,
      clientMss: 10,
    });
    c.midstream();
    const data = Uint8Array.from({ length: 40 }, (_, i) => 0x41 + i);
    const res = c.send('client', data, {
      impairments: [
        { kind: 'reorder', order: [0, 2, 1, 3] },
        { kind: 'retransmit', segment: 0, after: 2 },
        { kind: 'overlap', after: 0, from: 5, to: 15 },
        { kind: 'overlap', after: 3, from: 2, to: 8, conflicting: true },
        { kind: 'drop', segment: 3 },
      ],
    });
    expect(res.seq).toBe(999);
    const p = net.frames.map((f) => parseV4Tcp(f.data));
    // 0, overlap[5,15), 2, retransmitted 0, 1, (3 dropped; its conflicting copy still seen), server ACK
    expect(p.map((x) => x.seq)).toEqual([999, 1004, 1019, 999, 1009, 1001, 5]);
    expect(p.map((x) => x.payload.length)).toEqual([10, 10, 10, 10, 10, 6, 0]);
    expect([...p[1].payload]).toEqual([...data.subarray(5, 15)]);
    expect([...p[5].payload]).toEqual(new Array(6).fill(0x58));
    expect(p[6].ack).toBe(1039);
  });

  it('carries IPv6 with a valid transport checksum', () => {
    const net = new Network(0);
    const c6 = new TcpConversation(net, {
      client: { name: 'A', mac: '02:00:00:00:00:01', ip: 'fd00::1' },
      server: { name: 'B', mac: '02:00:00:00:00:02', ip: 'fd00::2' },
      clientPort: 1,
      serverPort: 2,
    });
    c6.handshake();
    const f = net.frames[0].data;
    expect((f[12] << 8) | f[13]).toBe(0x86dd);
    expect(f[14] >> 4).toBe(6);
    expect(f[14 + 6]).toBe(6);
    const tcp = f.subarray(54);
    const pseudo = new Uint8Array(40 + tcp.length);
    pseudo.set(f.subarray(22, 54), 0);
    pseudo[34] = tcp.length >> 8;
    pseudo[35] = tcp.length & 0xff;
    pseudo[39] = 6;
    pseudo.set(tcp, 40);
    expect(onesComplement(pseudo)).toBe(0xffff);
  });
});

describe('capture files', () => {
  const frames = [
    { tsMicros: 1_710_234_900_000_123, data: new Uint8Array(60).fill(1) },
    { tsMicros: 1_710_234_901_500_000, data: new Uint8Array(70).fill(2) },
  ];

  it('writes classic little-endian microsecond pcap', () => {
    const b = encodePcap(frames);
    expect([...b.subarray(0, 24)]).toEqual([
      0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0,
    ]);
    const v = new DataView(b.buffer);
    expect(v.getUint32(24, true)).toBe(1_710_234_900);
    expect(v.getUint32(28, true)).toBe(123);
    expect(v.getUint32(32, true)).toBe(60);
    expect(v.getUint32(36, true)).toBe(60);
    expect(v.getUint32(24 + 16 + 60, true)).toBe(1_710_234_901);
    expect(v.getUint32(24 + 16 + 60 + 4, true)).toBe(500_000);
    expect(b.length).toBe(24 + 16 + 60 + 16 + 70);
  });

  it('writes pcapng with SHB, IDB (if_tsresol 6) and one EPB per frame', () => {
    const b = encodePcapng(frames, { comment: 'x' });
    const v = new DataView(b.buffer);
    const blocks: Array<[number, number]> = [];
    for (let o = 0; o < b.length; ) {
      const type = v.getUint32(o, true);
      const len = v.getUint32(o + 4, true);
      expect(v.getUint32(o + len - 4, true)).toBe(len);
      blocks.push([type, o]);
      o += len;
    }
    expect(blocks.map(([t]) => t)).toEqual([0x0a0d0d0a, 1, 6, 6]);
    expect(v.getUint32(8, true)).toBe(0x1a2b3c4d);
    const epb = blocks[2][1];
    const ts = (BigInt(v.getUint32(epb + 12, true)) << 32n) | BigInt(v.getUint32(epb + 16, true));
    expect(ts).toBe(1_710_234_900_000_123n);
    expect(v.getUint32(epb + 20, true)).toBe(60);
  });
});

describe('scenario files', () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is deterministic and every scenario differs', () => {
    const seen = new Set<string>();
    for (const name of scenarioNames()) {
      const a = scenarioBytes(name).bytes;
      const b = scenarioBytes(name).bytes;
      expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
      const key = Buffer.from(a).toString('base64');
      expect(seen.has(key)).toBe(false);
      seen.add(key);
    }
    expect(seen.size).toBe(12);
  });

  it('writes frameCount records with non-decreasing timestamps from 2024-03-12T09:15:00Z and valid checksums', () => {
    for (const name of scenarioNames()) {
      const { bytes, description } = scenarioBytes(name);
      const v = new DataView(bytes.buffer);
      let n = 0;
      let last = 0;
      for (let o = 24; o < bytes.length; n++) {
        const ts = v.getUint32(o, true) * 1e6 + v.getUint32(o + 4, true);
        expect(ts).toBeGreaterThanOrEqual(last);
        if (n === 0) expect(new Date(ts / 1000).toISOString()).toBe('2024-03-12T09:15:00.000Z');
        last = ts;
        const incl = v.getUint32(o + 8, true);
        const frame = bytes.subarray(o + 16, o + 16 + incl);
        if (frame[12] === 0x08 && frame[13] === 0x00 && frame[23] === 6) {
          const t = parseV4Tcp(frame);
          expect(t.ipChecksumOk && t.tcpChecksumOk).toBe(true);
        }
        o += 16 + incl;
      }
      expect(n).toBe(description.frameCount);
      for (const c of description.connections) {
        for (const ip of [c.client.ip, c.server.ip])
          expect(ip.startsWith('10.0.0.') || ip.startsWith('fd00::')).toBe(true);
      }
    }
  });

  it('generate("all", dir) writes one pcap and one description per scenario; the CLI lists them', async () => {
    dir = await mkdtemp(join(tmpdir(), 'capture-gen-'));
    const written = await generate('all', dir);
    expect(written).toHaveLength(12);
    const files = (await readdir(dir)).sort();
    expect(files.filter((f) => f.endsWith('.pcap'))).toHaveLength(12);
    const d = JSON.parse(await readFile(join(dir, 'sealed.json'), 'utf8'));
    expect(d.name).toBe('sealed');
    const single = join(dir, 'one.pcapng');
    await generate('midstream', single);
    const head = await readFile(single);
    expect(head.readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect(await main(['list'])).toBe(0);
    expect(await main(['no-such-scenario', join(dir, 'x.pcap')])).toBe(2);
  });
});
