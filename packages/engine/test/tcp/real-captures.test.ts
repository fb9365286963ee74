import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TcpReassembler } from '../../src/tcp/reassembler.js';
import type { ReassemblyStats } from '../../src/tcp/stats.js';
import type { ConnectionInfo, Direction } from '../../src/tcp/types.js';
import {
  missingMarker,
  pcapDir,
  sharedAvailable,
  type TsharkPacket,
  tsharkAvailable,
  tsharkFollow,
  tsharkPackets,
} from './tshark.js';

/**
 * Real traffic: our reassembly of every TCP connection in these captures must equal tshark's (`follow,tcp,raw`),
 * byte for byte in both directions, with each hole reported at the same place and with the same length (tshark
 * writes a hole as "[N bytes missing in capture file]"; we render onGap the same way to compare).
 */
const haveShared = sharedAvailable();
const haveTshark = tsharkAvailable();
if (!haveShared) console.warn(`SKIPPED real-capture TCP reassembly tests: ${pcapDir} is not present`);
if (!haveTshark) console.warn('SKIPPED real-capture TCP reassembly tests: tshark is not installed');

interface Capture {
  file: string;
  why: string;
  /**
   * Where we deliberately differ from tshark: in this direction of this connection ("client ip:port"), tshark's
   * stream starts with a hole of `tsharkHole` bytes that we do not report.
   */
  differences?: { client: string; dir: Direction; tsharkHole: number; why: string }[];
}

const CAPTURES: Capture[] = [
  { file: 'OISF__suricata-verify/tests__dcerpc__dce-gap-handling__input.pcap', why: 'a lost segment the peer ACKed' },
  { file: 'zeek__zeek/testing__btest__Traces__dce-rpc__20-fids-no-close.pcap', why: 'forty holes in one connection' },
  { file: 'zeek__zeek/testing__btest__Traces__dce-rpc__mapi.pcap', why: 'midstream pickups, out-of-order' },
  {
    file: 'corelight__PetitPotam/testing__Traces__PatchedDCAuthenticatedTryWithAllVulnerableRPCFunctions.pcapng',
    why: '212 connections, midstream, gaps',
    differences: [
      {
        client: '192.168.0.14:49923',
        dir: 1,
        tsharkHole: 1,
        // Frame 63, the first packet seen, is a keep-alive (seq 1 while the client ACKs 2); the first data (frame
        // 2634, seq 2) is a complete 39-byte TLS record (17 03 03 00 22). tshark starts the stream at the
        // keep-alive's number and invents a 1-byte hole; we start at the data (see midstreamStart).
        why: 'midstream keep-alive one below the first byte',
      },
      // Same pattern: frame 65 (seq 1, the client ACKs 2), first data frame 2639 is a complete 39-byte TLS record.
      { client: '192.168.0.14:51557', dir: 1, tsharkHole: 1, why: 'midstream keep-alive one below the first byte' },
    ],
  },
  {
    file: 'OTRF__Security-Datasets/datasets__compound__apt29__day2__pcaps__NEWYORK.zip__NEWYORK.cap',
    why: 'loss, reordering and retransmission in an enterprise capture',
  },
  {
    file: 'OTRF__Security-Datasets/datasets__atomic__windows__lateral_movement__network__schtask_create.zip__schtask_create_2020-12-1907003032.pcapng',
    why: 'retransmissions, midstream',
  },
];

interface Run {
  packets: TsharkPacket[];
  streams: Map<number, { conn: ConnectionInfo; parts: [Buffer[], Buffer[]]; tsharkStreams: Set<number> }>;
  stats: ReassemblyStats;
}

function reassemble(file: string): Run {
  const packets = tsharkPackets(file);
  const streams: Run['streams'] = new Map();
  const r = new TcpReassembler({
    newConsumer(conn) {
      const st = { conn, parts: [[], []] as [Buffer[], Buffer[]], tsharkStreams: new Set<number>() };
      streams.set(conn.id, st);
      return {
        onData: (dir, data) => st.parts[dir].push(Buffer.from(data)),
        onGap: (dir, length) => st.parts[dir].push(missingMarker(length)),
        onClose() {},
        wantsPayload: () => true,
      };
    },
  });
  for (const p of packets) {
    const info = r.process(p.pkt);
    if (info !== null) streams.get(info.conn.id)?.tsharkStreams.add(p.stream);
  }
  r.closeAll();
  return { packets, streams, stats: r.stats() };
}

function compareWithTshark(file: string, run: Run, differences: Capture['differences'] = []): { compared: number } {
  const ids = new Set<number>();
  for (const st of run.streams.values()) for (const s of st.tsharkStreams) ids.add(s);
  const followed = tsharkFollow(file, [...ids]);
  let compared = 0;
  for (const st of run.streams.values()) {
    // One of our connections is one tshark stream (tshark also splits on port reuse).
    expect([...st.tsharkStreams], `connection ${st.conn.id}`).toHaveLength(1);
    const t = followed.get([...st.tsharkStreams][0]);
    expect(t, `tshark follow of stream ${[...st.tsharkStreams][0]}`).toBeDefined();
    const c = st.conn.client;
    const clientIsNode0 = t!.node0 === `${c.ip}:${c.port}` || t!.node0 === `[${c.ip}]:${c.port}`;
    const ours = [0, 1].map((d) => Buffer.concat(st.parts[d as Direction]).toString('hex'));
    const theirs = clientIsNode0 ? [...t!.hex] : [t!.hex[1], t!.hex[0]];
    for (const d of differences) {
      if (d.client !== `${c.ip}:${c.port}`) continue;
      const hole = missingMarker(d.tsharkHole).toString('hex');
      expect(theirs[d.dir].startsWith(hole), d.why).toBe(true);
      theirs[d.dir] = theirs[d.dir].slice(hole.length);
    }
    const label = `${c.ip}:${c.port} -> ${st.conn.server.ip}:${st.conn.server.port}`;
    expect(ours[0], `${label} client->server`).toBe(theirs[0]);
    expect(ours[1], `${label} server->client`).toBe(theirs[1]);
    compared++;
  }
  return { compared };
}

describe.skipIf(!haveShared || !haveTshark)('real captures: reassembly equals tshark follow', () => {
  for (const cap of CAPTURES) {
    it(`${path.basename(cap.file).slice(0, 70)} (${cap.why})`, () => {
      const file = path.join(pcapDir, cap.file);
      const run = reassemble(file);
      const { compared } = compareWithTshark(file, run, cap.differences);
      expect(compared).toBe(run.streams.size);
      expect(compared).toBeGreaterThan(0);
      expect(run.stats.bufferedBytes).toBe(0);
      expect(run.stats.consumerErrors).toBe(0);
    });
  }

  it('dce-gap-handling: the client ALTER_CONTEXT (seq 3149..3364) is one 215-byte gap, found by the ACK', () => {
    const run = reassemble(path.join(pcapDir, CAPTURES[0].file));
    expect(run.stats.gaps).toBe(1);
    expect(run.stats.gapBytes).toBe(215);
    expect(run.stats.gapsByCause.ack).toBe(1);
    const st = [...run.streams.values()][0];
    // After the gap, delivery resumes at the next PDU: a DCE/RPC v5.0 request (ptype 0).
    const after = st.parts[0][st.parts[0].findIndex((b) => b.equals(missingMarker(215))) + 1];
    expect([...after.subarray(0, 3)]).toEqual([5, 0, 0]);
  });

  it('a frame cut by the snaplen leaves a hole of exactly the missing bytes (tshark follow omits it silently)', () => {
    const file = path.join(pcapDir, 'zeek__zeek/testing__btest__Traces__krb__smb2_krb.pcap');
    const run = reassemble(file);
    const cut = run.packets.filter((p) => p.truncatedBy > 0);
    expect(cut).toHaveLength(1);
    expect(run.stats.gaps).toBe(1);
    expect(run.stats.gapBytes).toBe(cut[0].truncatedBy);
    // Apart from our gap marker, both directions equal tshark's.
    const st = [...run.streams.values()][0];
    const t = tsharkFollow(file, [...st.tsharkStreams])!.get([...st.tsharkStreams][0])!;
    const ours = [0, 1].map((d) =>
      Buffer.concat(st.parts[d as Direction].filter((b) => !b.equals(missingMarker(cut[0].truncatedBy)))).toString(
        'hex',
      ),
    );
    const clientIsNode0 = t.node0 === `${st.conn.client.ip}:${st.conn.client.port}`;
    expect(ours).toEqual(clientIsNode0 ? t.hex : [t.hex[1], t.hex[0]]);
  });
});
