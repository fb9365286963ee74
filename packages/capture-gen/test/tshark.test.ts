/**
 * Proof that the generated captures are well-formed: tshark (an independent DCE/RPC/DCOM decoder) must see
 * exactly the PDUs each scenario claims to contain, with valid IP/TCP/UDP checksums, and decode the CLSIDs,
 * NTLM identities, OXID bindings, Kerberos principals and IDispatch arguments the scenario put there.
 * Skipped (loudly) when tshark is not installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeScenario } from '../src/generate.js';
import { scenarioNames } from '../src/scenarios/index.js';
import type { ScenarioDescription } from '../src/session/facts.js';

const HAVE_TSHARK = spawnSync('which', ['tshark']).status === 0;
if (!HAVE_TSHARK) {
  console.warn('capture-gen: tshark not found on PATH — skipping the tshark decoding tests (apt-get install tshark)');
}

const CLSID_WMI = '8bc3f05e-d86b-11d0-a075-00c04fb68820';
const ISYSTEMACTIVATOR = '000001a0-0000-0000-c000-000000000046';
const IWBEMLEVEL1LOGIN = 'f309ad18-d86a-11d0-a075-00c04fb68820';
const IWBEMSERVICES = '9556dc99-828c-11cf-a37e-00aa003240c7';
const IOXIDRESOLVER = '99fcfec4-5260-101b-bbcb-00aa0021347a';
const WMIEXEC = 'cmd.exe /Q /c whoami 1> \\\\127.0.0.1\\ADMIN$\\__1 2>&1';

let dir = '';
const files: Record<string, string> = {};
const descriptions: Record<string, ScenarioDescription> = {};

function tshark(file: string, filter: string, fields: string[], opts: string[] = []): string[][] {
  const args = ['-n', '-r', file, ...opts, '-Y', filter, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const f of fields) args.push('-e', f);
  const out = execFileSync('tshark', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 64 << 20,
  });
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}

/** One entry per DCE/RPC PDU (several PDUs in one frame are aggregated with commas by tshark). */
function pdus(
  file: string,
  opts: string[] = [],
): Array<{ stream: number; type: number; callId: number; flags: string }> {
  const rows = tshark(file, 'dcerpc', ['tcp.stream', 'dcerpc.pkt_type', 'dcerpc.cn_call_id', 'dcerpc.cn_flags'], opts);
  const out: Array<{ stream: number; type: number; callId: number; flags: string }> = [];
  for (const [stream, types, calls, flags] of rows) {
    const t = types.split(',');
    const c = calls.split(',');
    const f = flags.split(',');
    for (let i = 0; i < t.length; i++)
      out.push({ stream: Number(stream), type: Number(t[i]), callId: Number(c[i]), flags: f[i] });
  }
  return out;
}

const PTYPES: Record<string, number> = {
  request: 0,
  response: 2,
  fault: 3,
  bind: 11,
  bind_ack: 12,
  bind_nak: 13,
  alter_context: 14,
  alter_context_resp: 15,
  auth3: 16,
};

/** The description's PDUs that reached the capture, with connection ids mapped to tshark stream indexes. */
function expectedPdus(d: ScenarioDescription, connToStream: Record<string, number>) {
  return d.pdus
    .filter((p) => p.captured)
    .map((p) => ({ stream: connToStream[p.connection], type: PTYPES[p.ptype], callId: p.callId }));
}

function utf16hex(s: string): string {
  return Buffer.from(s, 'utf16le').toString('hex');
}

function values(rows: string[][], col: number): string[] {
  return rows.flatMap((r) => (r[col] ? r[col].split(',') : []));
}

describe.skipIf(!HAVE_TSHARK)('tshark decodes the generated captures', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'capture-gen-tshark-'));
    for (const name of scenarioNames()) {
      files[name] = join(dir, `${name}.pcap`);
      descriptions[name] = await writeScenario(name, files[name]);
    }
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('every frame of every scenario has valid IP/TCP/UDP checksums and nothing is malformed', () => {
    const check = ['-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];
    for (const name of scenarioNames()) {
      // tcp-impairments deliberately carries one conflicting overlapping segment, which tshark reports as a
      // reassembly error; it is checked separately below.
      const malformed = name === 'tcp-impairments' ? '' : ' || _ws.malformed';
      const bad = tshark(
        files[name],
        `tcp.checksum.status==0 || ip.checksum.status==0 || udp.checksum.status==0${malformed}`,
        ['frame.number'],
        check,
      );
      expect(bad, `${name}: bad checksum or malformed frames`).toEqual([]);
      const good = tshark(files[name], 'tcp.checksum.status==1', ['frame.number'], check).length;
      const tcpFrames = tshark(files[name], 'tcp', ['frame.number']).length;
      expect(good, `${name}: every TCP checksum verified good`).toBe(tcpFrames);
      expect(tcpFrames).toBeGreaterThan(0);
    }
  });

  it('sees exactly the DCE/RPC PDUs each description lists (default TCP reassembly settings)', () => {
    const streamsInOrder = (name: string) => {
      const d = descriptions[name];
      const map: Record<string, number> = {};
      d.connections.forEach((c, i) => {
        map[c.id] = i;
      });
      return map;
    };
    for (const name of [
      'wmi-activation-ok',
      'wmi-activation-denied',
      'fault-other-call',
      'big-endian',
      'multi-fragment',
      'midstream',
      'sealed',
      'dcom-mmc20',
      'kerberos',
      'gap',
    ]) {
      const got = pdus(files[name]).map(({ stream, type, callId }) => ({ stream, type, callId }));
      expect(got, name).toEqual(expectedPdus(descriptions[name], streamsInOrder(name)));
    }
  });

  it('wmi-activation-ok: activation CLSID, NTLM identity, OXID bindings, IPID as object UUID, namespace and command line', () => {
    const f = files['wmi-activation-ok'];
    const got = pdus(f).map((p) => `${p.stream}:${p.type}:${p.callId}`);
    expect(got).toEqual([
      '0:11:1',
      '0:12:1',
      '0:16:1',
      '0:0:2',
      '0:2:2',
      '1:11:1',
      '1:12:1',
      '1:16:1',
      '1:0:2',
      '1:2:2',
      '1:14:3',
      '1:15:3',
      '1:16:3',
      '1:0:4',
      '1:2:4',
    ]);
    const rows = tshark(f, 'dcerpc', [
      'dcerpc.cn_bind_to_uuid',
      'dcerpc.opnum',
      'dcerpc.auth_type',
      'dcerpc.auth_level',
      'ntlmssp.auth.username',
      'ntlmssp.auth.domain',
      'ntlmssp.auth.hostname',
      'isystemactivator.properties.instninfo.clsid',
      'dcom.dualstringarray.network_addr',
      'dcom.ipid',
      'dcerpc.obj_id',
      'dcerpc.stub_data',
    ]);
    expect(values(rows, 0)).toEqual([ISYSTEMACTIVATOR, IWBEMLEVEL1LOGIN, IWBEMSERVICES]);
    expect(values(rows, 1)).toEqual(['4', '4', '6', '6', '24', '24']);
    expect(new Set(values(rows, 2))).toEqual(new Set(['10']));
    expect(new Set(values(rows, 3))).toEqual(new Set(['5']));
    expect(values(rows, 4)).toEqual(['alice', 'alice', 'alice']);
    expect(new Set(values(rows, 5))).toEqual(new Set(['CORP']));
    expect(new Set(values(rows, 6))).toEqual(new Set(['WS01']));
    expect(values(rows, 7)).toEqual([CLSID_WMI]);
    expect(values(rows, 8)).toEqual(expect.arrayContaining(['SERVER[49154]', '10.0.0.20[49154]']));
    expect(values(rows, 9)).toContain('0000c410-0a80-0000-ca84-a9226eec8843');
    // The IPID handed out on 135 is the object UUID of NTLMLogin on the dynamic port.
    const objectIds = values(tshark(f, 'dcerpc.pkt_type==0', ['dcerpc.obj_id']), 0);
    expect(objectIds).toEqual(['0000c410-0a80-0000-ca84-a9226eec8843', '00009410-0a80-0000-5ac7-873409e6a8c5']);
    const stubs = values(rows, 11).join('');
    expect(stubs).toContain(utf16hex('//./root/cimv2'));
    expect(stubs).toContain(utf16hex(WMIEXEC));
    expect(stubs).toContain(utf16hex('Win32_Process'));
  });

  it('wmi-activation-denied: the fault (status 5) answers call 2 while call 3 is in flight; SPNEGO-wrapped NTLM identity', () => {
    const f = files['wmi-activation-denied'];
    expect(pdus(f).map((p) => `${p.type}:${p.callId}`)).toEqual([
      '11:1',
      '12:1',
      '14:1',
      '15:1',
      '0:2',
      '0:3',
      '3:2',
      '2:3',
    ]);
    const rows = tshark(f, 'dcerpc', [
      'dcerpc.pkt_type',
      'dcerpc.cn_call_id',
      'dcerpc.cn_ctx_id',
      'dcerpc.opnum',
      'dcerpc.cn_status',
      'dcerpc.auth_type',
      'ntlmssp.auth.username',
      'ntlmssp.auth.hostname',
      'dcerpc.cn_ack_result',
      'isystemactivator.properties.instninfo.clsid',
      'dcerpc.cn_bind_to_uuid',
    ]);
    const fault = rows.find((r) => r[0] === '3')!;
    expect(fault.slice(1, 5)).toEqual(['2', '0', '4', '0x00000005']);
    expect(rows.find((r) => r[0] === '2')!.slice(1, 4)).toEqual(['3', '2', '5']);
    expect(values(rows, 6)).toEqual(['mallory']);
    expect(values(rows, 7)).toEqual(['WS02']);
    expect(values(rows, 8)).toEqual(['0', '3', '0', '0']);
    expect(values(rows, 9)).toEqual([CLSID_WMI]);
    expect(values(rows, 10)).toEqual([ISYSTEMACTIVATOR, ISYSTEMACTIVATOR, IOXIDRESOLVER, ISYSTEMACTIVATOR]);
    expect(new Set(values(rows, 5))).toEqual(new Set(['9']));
    expect(tshark(f, 'dcerpc.pkt_type==11 || dcerpc.pkt_type==14', ['dcerpc.cn_flags'])).toEqual([['0x07'], ['0x07']]);
  });

  it('fault-other-call: the status-5 fault answers IOXIDResolver ResolveOxid2 (call 3, context 1), not the activation', () => {
    const rows = tshark(files['fault-other-call'], 'dcerpc', [
      'dcerpc.pkt_type',
      'dcerpc.cn_call_id',
      'dcerpc.cn_ctx_id',
      'dcerpc.opnum',
      'dcerpc.cn_status',
      'dcom.dualstringarray.network_addr',
    ]);
    expect(rows.filter((r) => r[0] === '3').map((r) => r.slice(1, 5))).toEqual([['3', '1', '4', '0x00000005']]);
    expect(rows.filter((r) => r[0] === '2').map((r) => r.slice(1, 4))).toEqual([['2', '0', '4']]);
    expect(values(rows, 5)).toEqual(expect.arrayContaining(['SERVER[49155]']));
  });

  it('big-endian: every PDU carries drep 0x00, lengths and the fault status decode with that byte order', () => {
    const rows = tshark(files['big-endian'], 'dcerpc', [
      'dcerpc.drep.byteorder',
      'dcerpc.pkt_type',
      'dcerpc.cn_call_id',
      'dcerpc.opnum',
      'dcerpc.cn_status',
      'dcerpc.cn_frag_len',
      'ntlmssp.auth.username',
      'dcerpc.cn_bind_to_uuid',
    ]);
    expect(rows).toHaveLength(20);
    expect(new Set(values(rows, 0))).toEqual(new Set(['0']));
    expect(rows.filter((r) => r[1] === '3').map((r) => [r[2], r[3], r[4]])).toEqual([['2', '4', '0x00000005']]);
    expect(values(rows, 3)).toEqual(['4', '4', '6', '6', '24', '24', '4', '4']);
    expect(values(rows, 6)).toEqual(['alice', 'alice', 'alice', 'alice']);
    expect(values(rows, 7)).toEqual([ISYSTEMACTIVATOR, IWBEMLEVEL1LOGIN, IWBEMSERVICES, ISYSTEMACTIVATOR]);
    const desc = descriptions['big-endian'].pdus.filter((p) => p.connection === 'wmi' && p.ptype === 'request');
    expect(
      values(
        rows.filter((r) => r[1] === '0'),
        5,
      ).map(Number),
    ).toEqual(expect.arrayContaining(desc.map((p) => p.fragLength)));
  });

  it('multi-fragment: ExecMethod request and response in three fragments each, reassembled by tshark', () => {
    const f = files['multi-fragment'];
    const rows = tshark(f, 'dcerpc.cn_call_id==4 && tcp.stream==1', [
      'dcerpc.pkt_type',
      'dcerpc.cn_flags',
      'dcerpc.cn_alloc_hint',
      'dcerpc.cn_frag_len',
      'dcerpc.fragment.count',
      'dcerpc.stub_data',
    ]);
    const req = rows.filter((r) => r[0].startsWith('0'));
    const resp = rows.filter((r) => r[0].startsWith('2'));
    expect(values(req, 1)).toEqual(['0x81', '0x80', '0x82']);
    expect(values(resp, 1)).toEqual(['0x01', '0x00', '0x02']);
    const hints = values(req, 2).map(Number);
    expect(hints[0]).toBeGreaterThan(hints[1]);
    expect(hints[1]).toBeGreaterThan(hints[2]);
    for (const len of [...values(req, 3), ...values(resp, 3)].map(Number)) expect(len).toBeLessThanOrEqual(1024);
    expect(values(req, 4)).toContain('3');
    expect(values(resp, 4)).toContain('3');
    // The command line spans fragments; tshark's reassembled stub holds it in one piece.
    expect(values(req, 5).join('')).toContain(utf16hex(WMIEXEC));
    const binds = tshark(f, 'dcerpc.pkt_type==11', ['dcerpc.cn_max_xmit']);
    expect(values(binds, 0)).toContain('1024');
  });

  it('tcp-impairments: out-of-order/overlapping/retransmitted segments reassemble into the original PDUs across the 2^32 wrap', () => {
    const f = files['tcp-impairments'];
    const ooo = ['-o', 'tcp.reassemble_out_of_order:TRUE'];
    const got = pdus(f, ooo).map((p) => `${p.stream}:${p.type}:${p.callId}`);
    expect(got).toEqual([
      '0:11:1',
      '0:12:1',
      '0:16:1',
      '0:0:2',
      '0:2:2',
      '1:11:1',
      '1:12:1',
      '1:16:1',
      '1:0:2',
      '1:2:2',
      '1:14:3',
      '1:15:3',
      '1:16:3',
      '1:0:4',
      '1:2:4',
    ]);
    const exec = tshark(f, 'dcerpc.opnum==24 && dcerpc.pkt_type==0', ['dcerpc.stub_data'], ooo);
    expect(exec).toHaveLength(1);
    expect(exec[0][0]).toContain(utf16hex(WMIEXEC));
    expect(exec[0][0]).not.toContain('58585858');
    // auth3 and the NTLMLogin request share one segment.
    const shared = tshark(f, 'tcp.stream==1 && dcerpc', ['dcerpc.pkt_type'], ooo).map((r) => r[0]);
    expect(shared).toContain('16,0');
    // With default settings tshark flags exactly one frame, the conflicting copy ("new fragment overlaps old data").
    const flagged = tshark(f, '_ws.malformed', ['tcp.payload']);
    expect(flagged).toHaveLength(1);
    expect(flagged[0][0]).toMatch(/^(58)+$/);
    expect(tshark(f, 'tcp.analysis.retransmission', ['frame.number'], ooo).length).toBeGreaterThanOrEqual(1);
    expect(tshark(f, 'tcp.analysis.out_of_order', ['frame.number'], ooo).length).toBeGreaterThanOrEqual(1);
    const seqs = tshark(f, 'tcp.stream==1 && tcp.srcport==49702 && tcp.len>0', ['tcp.seq_raw'], ooo).map((r) =>
      Number(r[0]),
    );
    expect(seqs.some((s) => s > 0xfffff000)).toBe(true);
    expect(seqs.some((s) => s < 0x1000)).toBe(true);
  });

  it('midstream: no handshake; the first frame is the NTLMLogin request (call 2)', () => {
    const f = files.midstream;
    expect(tshark(f, 'tcp.flags.syn==1', ['frame.number'])).toEqual([]);
    const first = tshark(f, 'frame.number==1', [
      'dcerpc.pkt_type',
      'dcerpc.cn_call_id',
      'dcerpc.opnum',
      'dcerpc.obj_id',
    ]);
    expect(first).toEqual([['0', '2', '6', '0000c410-0a80-0000-ca84-a9226eec8843']]);
    const stubs = values(tshark(f, 'dcerpc.pkt_type==0', ['dcerpc.stub_data']), 0).join('');
    expect(stubs).toContain(utf16hex(WMIEXEC));
  });

  it('sealed: level 6 everywhere, every stub encrypted, headers and NTLM identity still readable', () => {
    const f = files.sealed;
    const rows = tshark(f, 'dcerpc', [
      'dcerpc.pkt_type',
      'dcerpc.auth_level',
      'dcerpc.opnum',
      'dcerpc.encrypted_stub_data',
      'isystemactivator.properties.instninfo.clsid',
      'ntlmssp.auth.username',
    ]);
    expect(new Set(values(rows, 1))).toEqual(new Set(['6']));
    const calls = rows.filter((r) => r[0] === '0' || r[0] === '2');
    expect(calls).toHaveLength(6);
    for (const r of calls) expect(r[3].length).toBeGreaterThan(0);
    expect(values(calls, 2)).toEqual(['4', '4', '6', '6', '24', '24']);
    expect(values(rows, 4)).toEqual([]);
    expect(values(rows, 5)).toEqual(['alice', 'alice', 'alice']);
  });

  it('dcom-mmc20: MMC20 CLSID in RemoteGetClassObject and RemoteCreateInstance; ExecuteShellCommand and its BSTR arguments', () => {
    const rows = tshark(files['dcom-mmc20'], 'dcerpc', [
      'dcerpc.opnum',
      'isystemactivator.properties.instninfo.clsid',
      'isystemactivator.properties.instninfo.iid',
      'dispatch.name',
      'dcom.vt.bstr',
      'dispatch.id',
      'dcom.dualstringarray.network_addr',
    ]);
    expect(values(rows, 1)).toEqual(['49b2791a-b1ae-4c90-9b8e-e860ba07f889', '49b2791a-b1ae-4c90-9b8e-e860ba07f889']);
    expect(values(rows, 2)).toEqual(['00000001-0000-0000-c000-000000000046', '00020400-0000-0000-c000-000000000046']);
    expect(values(rows, 3).filter((v) => v.length > 0)).toEqual(['Document', 'ActiveView', 'ExecuteShellCommand']);
    expect(values(rows, 4).filter((v) => v.length > 0)).toEqual([
      '7',
      '/c whoami > C:\\Windows\\Temp\\mmc.txt',
      'C:\\Windows\\System32',
      'cmd.exe',
    ]);
    expect(values(rows, 5)).toContain('0x00000034');
    expect(values(rows, 6)).toEqual(expect.arrayContaining(['SERVER[49155]', '10.0.0.20[49155]']));
    const opnums = rows.filter((r) => r[0]).map((r) => r[0]);
    expect(opnums.slice(0, 4)).toEqual(['3', '3', '4', '4']);
  });

  it('kerberos: AP-REQ realm and service principal in the SPNEGO (9) and raw Kerberos (16) binds', () => {
    const rows = tshark(files.kerberos, 'dcerpc.pkt_type==11', [
      'dcerpc.auth_type',
      'kerberos.realm',
      'kerberos.SNameString',
      'kerberos.msg_type',
    ]);
    expect(rows.map((r) => r.slice(0, 3))).toEqual([
      ['9', 'CORP.LOCAL', 'host,server.corp.local'],
      ['16', 'CORP.LOCAL', 'host,server.corp.local'],
    ]);
    const legs = tshark(files.kerberos, 'kerberos.msg_type', ['dcerpc.pkt_type', 'kerberos.msg_type']);
    expect(legs.map((r) => `${r[0]}:${r[1]}`)).toEqual(['11:14', '12:15', '14:15', '11:14', '12:15', '14:15']);
    const stubs = values(tshark(files.kerberos, 'dcerpc.pkt_type==0', ['dcerpc.stub_data']), 0).join('');
    expect(stubs).toContain(utf16hex('SELECT * FROM Win32_Process'));
    expect(stubs).toContain(utf16hex('ROOT\\CIMV2'));
  });

  it('gap: the partially lost ExecMethod request is not decoded; the response and the next call are', () => {
    const f = files.gap;
    const got = pdus(f)
      .filter((p) => p.stream === 1)
      .map((p) => `${p.type}:${p.callId}`);
    expect(got).toEqual(['11:1', '12:1', '16:1', '0:2', '2:2', '14:3', '15:3', '16:3', '2:4', '0:5', '2:5']);
    expect(tshark(f, 'tcp.analysis.lost_segment', ['frame.number']).length).toBe(1);
    const q = values(tshark(f, 'dcerpc.cn_call_id==5 && dcerpc.pkt_type==0', ['dcerpc.stub_data']), 0).join('');
    expect(q).toContain(utf16hex('SELECT Name, ProcessId FROM Win32_Process'));
  });

  it('not-dcerpc: no DCE/RPC on the standard-looking flows; the 8080 session decodes when told it is DCE/RPC', () => {
    const f = files['not-dcerpc'];
    expect(tshark(f, 'dcerpc', ['frame.number'])).toEqual([]);
    const protos = new Set(tshark(f, 'http || smb2 || tls || dns', ['_ws.col.Protocol']).map((r) => r[0]));
    expect(protos).toEqual(new Set(['HTTP', 'SMB2', 'TLSv1', 'DNS']));
    expect(tshark(f, 'ipv6 && http', ['frame.number']).length).toBe(2);
    const rows = tshark(
      f,
      'dcerpc',
      [
        'tcp.dstport',
        'tcp.srcport',
        'dcerpc.pkt_type',
        'isystemactivator.properties.instninfo.clsid',
        'dcerpc.cn_reject_reason',
      ],
      ['-d', 'tcp.port==8080,dcerpc'],
    );
    expect(rows.map((r) => r[2])).toEqual(['11', '13', '11', '12', '0', '2']);
    expect(values(rows, 4)).toEqual(['8']);
    for (const r of rows) expect(r[0] === '8080' || r[1] === '8080').toBe(true);
    expect(values(rows, 3)).toEqual([CLSID_WMI]);
  });
});
