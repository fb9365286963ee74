/**
 * Test support for the auth/ and wmi/ parsers: hex literals, the read-only corpus in ../shared (facts written by
 * tshark, never by our code), and a tshark-driven walk over a capture's DCE/RPC PDUs.
 *
 * The PDU walk is deliberately independent of packages/engine/src/dcerpc: tshark finds and reassembles the PDUs
 * (its `dcerpc_raw` bytes), and the few header fields the tests need are read here from C706's fixed layout.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const sharedDir = path.resolve(repoRoot, '../shared');
export const pcapDir = path.join(sharedDir, 'corpus/pcaps');
export const factsDir = path.join(sharedDir, 'corpus/facts');
export const corpusPresent = existsSync(pcapDir) && existsSync(factsDir);
if (!corpusPresent) console.warn(`SKIPPED (corpus tests): ${pcapDir} or ${factsDir} not found`);

let tsharkChecked: boolean | undefined;
export function tsharkAvailable(): boolean {
  if (tsharkChecked === undefined) {
    try {
      execFileSync('tshark', ['-v'], { stdio: ['ignore', 'pipe', 'ignore'] });
      tsharkChecked = true;
    } catch {
      tsharkChecked = false;
      console.warn('SKIPPED (tshark corpus walks): tshark is not on PATH');
    }
  }
  return tsharkChecked;
}

/** Hex (whitespace ignored) → bytes. */
export function hex(...parts: string[]): Uint8Array {
  const s = parts.join('').replace(/\s+/g, '');
  if (s.length % 2 !== 0 || /[^0-9a-fA-F]/.test(s)) throw new Error('bad hex literal');
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

export interface Facts {
  capture: string;
  tshark: {
    dcerpc_ntlmssp_auth: { domain: string; user: string; host: string; count: number }[];
    kerberos: { msg_type: string; cname: string; sname: string; realm: string; count: number }[];
    activation_clsids: { clsid: string; name: string; count: number }[];
    activation_iids: { iid: string; name: string; count: number }[];
    idispatch_bstrs: string[];
    wmi_request_strings: string[];
    dcerpc_associations: { client: string; server: string; ifaces: string[] }[];
    [k: string]: unknown;
  };
}

/** Facts of a capture (path relative to corpus/pcaps), or undefined when the corpus is absent. */
export function facts(capture: string): Facts | undefined {
  const f = path.join(factsDir, `${capture}.json`);
  if (!existsSync(f)) return undefined;
  return JSON.parse(readFileSync(f, 'utf8')) as Facts;
}

/** tshark prints an empty NTLM string field as "NULL". */
export function tsharkText(s: string): string {
  return s === 'NULL' ? '' : s;
}

export interface CorpusPdu {
  frame: number;
  stream: number;
  bytes: Uint8Array;
}

function tshark(args: string[]): string {
  try {
    return execFileSync('tshark', args, { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch (e) {
    // Exit status 2 = "cut short in the middle of a packet": the output before it is still valid.
    const err = e as { stdout?: Buffer };
    if (!err.stdout) throw e;
    return err.stdout.toString();
  }
}

/** `tshark -T fields` rows for a display filter (all occurrences joined with '|'). */
export function tsharkFields(capture: string, filter: string, fields: string[]): string[][] {
  const args = [
    '-n',
    '-r',
    path.join(pcapDir, capture),
    '-Y',
    filter,
    '-T',
    'fields',
    '-E',
    'occurrence=a',
    '-E',
    'aggregator=|',
  ];
  for (const f of fields) args.push('-e', f);
  return tshark(args)
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}

const pduCache = new Map<string, CorpusPdu[]>();

/** Every DCE/RPC PDU tshark finds in a capture (reassembled across TCP segments), in frame order. Cached. */
export function corpusPdus(capture: string): CorpusPdu[] {
  const cached = pduCache.get(capture);
  if (cached) return cached;
  const out = tshark([
    '-n',
    '-r',
    path.join(pcapDir, capture),
    '-Y',
    'dcerpc',
    '-T',
    'json',
    '-x',
    '--no-duplicate-keys',
    '-J',
    'frame tcp dcerpc',
  ]);
  const packets = JSON.parse(out || '[]') as { _source: { layers: Record<string, unknown> } }[];
  const pdus: CorpusPdu[] = [];
  for (const p of packets) {
    const l = p._source.layers;
    const frame = Number((l.frame as Record<string, string>)['frame.number']);
    const tcp = l.tcp as Record<string, string> | undefined;
    const stream = tcp ? Number(tcp['tcp.stream']) : -1;
    const raw = l.dcerpc_raw as unknown;
    if (!raw) continue;
    const list = (Array.isArray((raw as unknown[])[0]) ? raw : [raw]) as [string, ...unknown[]][];
    for (const r of list) pdus.push({ frame, stream, bytes: Uint8Array.from(Buffer.from(r[0], 'hex')) });
  }
  pduCache.set(capture, pdus);
  return pdus;
}

export interface PduHeader {
  ptype: number;
  flags: number;
  littleEndian: boolean;
  fragLength: number;
  authLength: number;
  callId: number;
}

export function pduHeader(b: Uint8Array): PduHeader {
  const le = (b[4] & 0x10) !== 0;
  const u16 = (o: number) => (le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1]);
  const u32 = (o: number) =>
    le
      ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
      : ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  return { ptype: b[2], flags: b[3], littleEndian: le, fragLength: u16(8), authLength: u16(10), callId: u32(12) };
}

export interface AuthVerifier {
  frame: number;
  stream: number;
  ptype: number;
  authType: number;
  authLevel: number;
  contextId: number;
  value: Uint8Array;
}

/** The sec_trailer + auth_value of every PDU that has one (MS-RPCE 2.2.2.11: the last auth_length + 8 bytes). */
export function authVerifiers(pdus: CorpusPdu[]): AuthVerifier[] {
  const out: AuthVerifier[] = [];
  for (const p of pdus) {
    const h = pduHeader(p.bytes);
    if (h.authLength === 0 || h.fragLength > p.bytes.length) continue;
    const t = h.fragLength - h.authLength - 8;
    if (t < 16) continue;
    const b = p.bytes;
    const ctx = h.littleEndian
      ? (b[t + 4] | (b[t + 5] << 8) | (b[t + 6] << 16) | (b[t + 7] << 24)) >>> 0
      : ((b[t + 4] << 24) | (b[t + 5] << 16) | (b[t + 6] << 8) | b[t + 7]) >>> 0;
    out.push({
      frame: p.frame,
      stream: p.stream,
      ptype: h.ptype,
      authType: b[t],
      authLevel: b[t + 1],
      contextId: ctx,
      value: b.subarray(t + 8, t + 8 + h.authLength),
    });
  }
  return out;
}

export interface CorpusCall {
  /** Frame of the last fragment. */
  frame: number;
  stream: number;
  iface: string | undefined;
  opnum: number;
  request: boolean;
  stub: Uint8Array;
  littleEndian: boolean;
  authLevel: number;
  /** Request object UUID (PFC_OBJECT_UUID) as raw bytes in PDU order. */
  object?: Uint8Array;
}

function uuidText(b: Uint8Array, off: number, le: boolean): string {
  const h = (i: number) => b[off + i].toString(16).padStart(2, '0');
  const d1 = le ? h(3) + h(2) + h(1) + h(0) : h(0) + h(1) + h(2) + h(3);
  const d2 = le ? h(5) + h(4) : h(4) + h(5);
  const d3 = le ? h(7) + h(6) : h(6) + h(7);
  return `${d1}-${d2}-${d3}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
}

/**
 * Requests and responses with their stubs reassembled across fragments, the interface taken from the
 * bind/alter_context context items of the same TCP stream, the response's opnum from its request's call_id.
 */
export function corpusCalls(pdus: CorpusPdu[]): CorpusCall[] {
  const contexts = new Map<string, string>();
  const requests = new Map<string, { iface: string | undefined; opnum: number }>();
  const partial = new Map<string, Uint8Array[]>();
  const calls: CorpusCall[] = [];
  for (const p of pdus) {
    const b = p.bytes;
    const h = pduHeader(b);
    if (h.fragLength > b.length) continue;
    const le = h.littleEndian;
    const u16 = (o: number) => (le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1]);
    if (h.ptype === 11 || h.ptype === 14) {
      const n = b[24];
      let off = 28;
      for (let i = 0; i < n && off + 44 <= h.fragLength; i++) {
        const ctxId = u16(off);
        const nts = b[off + 2];
        contexts.set(`${p.stream}/${ctxId}`, uuidText(b, off + 4, le));
        off += 4 + 20 + 20 * nts;
      }
      continue;
    }
    if (h.ptype !== 0 && h.ptype !== 2) continue;
    let end = h.fragLength;
    let authLevel = 0;
    if (h.authLength > 0) {
      const t = h.fragLength - h.authLength - 8;
      authLevel = b[t + 1];
      end = t - b[t + 2];
    }
    const ctxId = u16(20);
    let start = 24;
    let object: Uint8Array | undefined;
    if (h.ptype === 0 && h.flags & 0x80) {
      object = b.slice(24, 40);
      start = 40;
    }
    const key = `${p.stream}/${h.callId}/${h.ptype}`;
    const parts = h.flags & 0x01 ? [] : (partial.get(key) ?? []);
    parts.push(b.subarray(start, Math.max(start, end)));
    if (!(h.flags & 0x02)) {
      partial.set(key, parts);
      continue;
    }
    partial.delete(key);
    const stub = Uint8Array.from(Buffer.concat(parts));
    let iface: string | undefined;
    let opnum: number;
    if (h.ptype === 0) {
      iface = contexts.get(`${p.stream}/${ctxId}`);
      opnum = u16(22);
      requests.set(`${p.stream}/${h.callId}`, { iface, opnum });
    } else {
      const r = requests.get(`${p.stream}/${h.callId}`);
      if (!r) continue;
      iface = r.iface;
      opnum = r.opnum;
    }
    calls.push({
      frame: p.frame,
      stream: p.stream,
      iface,
      opnum,
      request: h.ptype === 0,
      stub,
      littleEndian: le,
      authLevel,
      ...(object ? { object } : {}),
    });
  }
  return calls;
}

/** Object UUID bytes (PDU order) → canonical text, the way the IPID appears in an OBJREF. */
export function objectUuidText(b: Uint8Array, littleEndian: boolean): string {
  return uuidText(b, 0, littleEndian);
}
