/**
 * Test helper: replays the TCP payload of a real capture, per connection and direction, into DcerpcConnection, using
 * tshark only to read the capture (frame → stream, ports, sequence number, payload). A minimal in-test reassembler
 * orders segments by sequence number, drops retransmitted bytes and turns holes into onGap — enough to exercise the
 * DCE/RPC layer on real traffic independently of the engine's own capture and TCP code.
 */
import { spawnSync } from 'node:child_process';
import { DcerpcConnection, type DcerpcListener } from '../../src/dcerpc/connection.js';
import type { DcePduEvent } from '../../src/dcerpc/event.js';
import type { DceProblemKind } from '../../src/dcerpc/problem.js';
import type { Direction } from '../../src/tcp/types.js';

/**
 * Runs tshark and returns its stdout. Exit status 2 is accepted: tshark uses it for captures cut short inside their
 * last record (several OTRF captures), after printing everything before the cut.
 */
function tshark(args: string[]): string {
  const r = spawnSync('tshark', args, { maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw r.error;
  if (r.status !== 0 && r.status !== 2) throw new Error(`tshark ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

export function haveTshark(): boolean {
  const r = spawnSync('tshark', ['--version'], { stdio: 'ignore' });
  return r.status === 0;
}

/** One PDU as both sides report it: PTYPE, call_id, and for requests the context id and opnum, for faults the status. */
export interface PduFact {
  stream: number;
  ptype: number;
  callId: number;
  contextId?: number;
  opnum?: number;
  status?: number;
}

export function factKey(f: PduFact): string {
  return [f.stream, f.ptype, f.callId, f.contextId ?? '', f.opnum ?? '', f.status ?? ''].join('/');
}

interface Segment {
  frame: number;
  seq: number;
  /** Acknowledgement number, or -1 without ACK. */
  ack: number;
  syn: boolean;
  payload: Uint8Array;
}

interface Flow {
  stream: number;
  client: string;
  clientIsKnown: boolean;
  conn: DcerpcConnection;
  next: [number, number];
  pending: [Segment[], Segment[]];
}

export interface ReplayResult {
  events: Array<{ stream: number; ev: DcePduEvent; facts: PduFact }>;
  problems: Array<{ stream: number; kind: DceProblemKind; detail: string }>;
  connections: Map<number, DcerpcConnection>;
  /** "ip:port" of each stream's two ends (the first one is the side we took for the client). */
  endpoints: Map<number, [string, string]>;
}

/** One row per TCP frame: stream, source endpoint, SYN-without-ACK flag, and the segment. */
function readSegments(file: string): Array<[number, string, number, Segment]> {
  const out = tshark([
    '-n',
    '-r',
    file,
    '-Y',
    'tcp',
    '-T',
    'fields',
    '-E',
    'separator=/t',
    '-e',
    'frame.number',
    '-e',
    'tcp.stream',
    '-e',
    'ip.src',
    '-e',
    'ipv6.src',
    '-e',
    'tcp.srcport',
    '-e',
    'tcp.seq_raw',
    '-e',
    'tcp.flags.syn',
    '-e',
    'tcp.flags.ack',
    '-e',
    'tcp.ack_raw',
    '-e',
    'tcp.payload',
  ]);
  const rows: Array<[number, string, number, Segment]> = [];
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [frame, stream, ip4, ip6, port, seq, syn, ack, ackRaw, payload] = line.split('\t');
    const synOnly = (syn === '1' || syn === 'True') && !(ack === '1' || ack === 'True');
    rows.push([
      Number(stream),
      `${ip4 || ip6}:${port}`,
      synOnly ? 1 : 0,
      {
        frame: Number(frame),
        seq: Number(seq),
        ack: ack === '1' || ack === 'True' ? Number(ackRaw) : -1,
        syn: syn === '1' || syn === 'True',
        payload: payload ? Uint8Array.from(Buffer.from(payload.replace(/:/g, ''), 'hex')) : new Uint8Array(0),
      },
    ]);
  }
  return rows;
}

const MOD = 2 ** 32;
const seqDiff = (a: number, b: number) => {
  const d = (a - b + MOD) % MOD;
  return d >= MOD / 2 ? d - MOD : d;
};

/**
 * Replays every TCP connection of `file`. A hole becomes a gap when the peer acknowledges data beyond it (the bytes
 * were sent but not captured), when `holdFrames` later segments are waiting behind it, or at the end.
 */
export function replayCapture(file: string, holdFrames = 8): ReplayResult {
  const result: ReplayResult = { events: [], problems: [], connections: new Map(), endpoints: new Map() };
  const flows = new Map<number, Flow>();
  const flowFor = (stream: number, src: string, synOnly: number): Flow => {
    let f = flows.get(stream);
    if (!f) {
      const listener: DcerpcListener = {
        onPdu: (ev) => {
          result.events.push({ stream, ev, facts: eventFacts(stream, ev) });
        },
        onProblem: (kind, _dir, detail) => {
          result.problems.push({ stream, kind, detail });
        },
      };
      // the first packet seen is the SYN (client known) or, midstream, a guess
      const midstream = synOnly === 0;
      f = {
        stream,
        client: src,
        clientIsKnown: !midstream,
        conn: new DcerpcConnection(listener, { midstream }),
        next: [-1, -1],
        pending: [[], []],
      };
      flows.set(stream, f);
      result.connections.set(stream, f.conn);
    }
    return f;
  };

  const deliver = (f: Flow, dir: Direction, seg: Segment) => {
    const p = seg.payload;
    if (f.next[dir] < 0) f.next[dir] = seg.seq;
    const d = seqDiff(seg.seq, f.next[dir]);
    if (d < 0) {
      // retransmission / overlap: keep only new bytes (first copy wins)
      if (-d >= p.length) return;
      f.conn.onData(dir, p.subarray(-d), seg.frame);
      f.next[dir] = (f.next[dir] + p.length + d) % MOD;
    } else {
      f.conn.onData(dir, p, seg.frame);
      f.next[dir] = (f.next[dir] + p.length) % MOD;
    }
  };

  const drain = (f: Flow, dir: Direction, force: boolean) => {
    const pend = f.pending[dir];
    for (;;) {
      pend.sort((a, b) => seqDiff(a.seq, b.seq));
      const head = pend[0];
      if (!head) return;
      const d = seqDiff(head.seq, f.next[dir]);
      if (d <= 0) {
        pend.shift();
        deliver(f, dir, head);
        continue;
      }
      if (!force && pend.length < holdFrames) return;
      // the hole will not be filled
      f.conn.onGap(dir, d, head.frame);
      f.next[dir] = head.seq;
    }
  };

  for (const [stream, src, synOnly, seg] of readSegments(file)) {
    const f = flowFor(stream, src, synOnly);
    const dir: Direction = src === f.client ? 0 : 1;
    const ends = result.endpoints.get(stream);
    if (!ends) result.endpoints.set(stream, [f.client, dir === 1 ? src : '']);
    else if (dir === 1 && ends[1] === '') ends[1] = src;
    const other: Direction = dir === 0 ? 1 : 0;
    // an ACK beyond the next expected byte of the other direction: what is missing there was lost, not late
    if (seg.ack >= 0 && f.next[other] >= 0 && f.pending[other].length > 0 && seqDiff(seg.ack, f.next[other]) > 0) {
      drain(f, other, true);
    }
    if (seg.syn) {
      f.next[dir] = (seg.seq + 1) % MOD;
      continue;
    }
    if (seg.payload.length === 0) continue;
    if (f.next[dir] < 0) f.next[dir] = seg.seq;
    f.pending[dir].push(seg);
    drain(f, dir, false);
  }
  for (const f of flows.values()) {
    drain(f, 0, true);
    drain(f, 1, true);
    f.conn.onClose('end_of_input', 0);
  }
  return result;
}

function eventFacts(stream: number, ev: DcePduEvent): PduFact {
  const f: PduFact = { stream, ptype: ev.ptype, callId: ev.callId };
  if (ev.ptype === 0) {
    f.contextId = ev.contextId;
    f.opnum = ev.opnum;
  }
  if (ev.ptype === 3) f.status = ev.faultStatus;
  return f;
}

/**
 * tshark's own DCE/RPC decoding of `file`, one fact per PDU (several PDUs per frame come as a JSON list).
 * `extraArgs` e.g. Decode-As options for ports tshark gives to another dissector.
 */
export function tsharkPdus(file: string, extraArgs: string[] = []): PduFact[] {
  const out = tshark([
    ...extraArgs,
    '-n',
    '-r',
    file,
    '-Y',
    'dcerpc && !smb && !smb2',
    '-T',
    'json',
    '--no-duplicate-keys',
    '-J',
    'tcp dcerpc',
  ]);
  const packets = JSON.parse(out) as Array<{ _source: { layers: Record<string, unknown> } }>;
  const facts: PduFact[] = [];
  for (const p of packets) {
    const layers = p._source.layers;
    const tcp = layers.tcp as Record<string, unknown> | undefined;
    if (!tcp) continue;
    const stream = Number(tcp['tcp.stream']);
    const d = layers.dcerpc;
    const list = Array.isArray(d) ? d : [d];
    for (const x of list as Array<Record<string, unknown>>) {
      const ptype = Number(x['dcerpc.pkt_type']);
      const fact: PduFact = { stream, ptype, callId: Number(x['dcerpc.cn_call_id']) };
      if (ptype === 0) {
        fact.contextId = Number(x['dcerpc.cn_ctx_id']);
        fact.opnum = Number(x['dcerpc.opnum']);
      }
      if (ptype === 3) fact.status = Number(x['dcerpc.cn_status']);
      facts.push(fact);
    }
  }
  return facts;
}
