/**
 * The ENGINE's DCE/RPC view of every real capture (the whole pipeline: capture reader → TCP reassembly → DCE/RPC,
 * read back from its dcerpc_session records) against tshark's facts:
 *
 * 1. every capture, per DCE/RPC-over-TCP association tshark lists (client, server): we report a session for that
 *    connection, with the same interfaces bound and the same auth type/level pairs;
 * 2. captures whose DCE/RPC runs only directly over TCP (the facts' aggregates then describe exactly our input):
 *    accepted and rejected interfaces, request opnums per interface, faults (status, interface, opnum) and the set of
 *    auth type/levels equal tshark's.
 *
 * tshark counts PDUs, the session records count calls: a request sent in N fragments is N requests to tshark and one
 * call to us. DIFFERENCES lists each such case with the tshark frames that show it; anything else must be equal.
 * The same differences are in docs/CONFORMANCE.md ("Corpus: decoding vs tshark"). DCE/RPC inside SMB named pipes
 * (ncacn_np) is out of scope; the PDU-by-PDU comparison of the DCE/RPC layer alone is test/dcerpc/captures.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type EveRecord, faultStatusName } from '@wmi-detect/engine';
import { describe, expect, it } from 'vitest';
import {
  type CorpusCapture,
  corpusAvailable,
  corpusCaptures,
  type Facts,
  repoRoot,
  runEngine,
  warnSkipped,
} from './corpus.js';

if (!corpusAvailable) warnSkipped('engine decoding vs tshark on the corpus');

interface SessionRecord {
  src_ip: string;
  src_port: number;
  dest_ip: string;
  dest_port: number;
  dcerpc_session: {
    interfaces: Array<{ uuid: string; accepted: boolean; name?: string }>;
    operations: Array<{ interface: string; opnum: number; requests: number }>;
    faults: Array<{ status: string; interface?: string; opnum?: number }>;
    auth: Array<{ type: string; level: string }>;
  };
}

/**
 * Request counts (per `<interface> <opnum>`) where tshark's PDU count exceeds our call count because the request
 * was fragmented: value = [tshark PDUs, our calls]. Checked by hand with
 * `tshark -r F -Y "dcerpc.pkt_type==0" -T fields -e frame.number -e dcerpc.cn_call_id -e dcerpc.opnum -e dcerpc.cn_flags`.
 */
const FRAGMENTED: Record<string, Record<string, [number, number]>> = {
  // call 15 (PutInstance, ctx 5) in 6 fragments: flags 0x81, 0x80 ×4, 0x82 (frames 108-113)
  'OTRF__Security-Datasets/datasets__atomic__windows__lateral_movement__network__covenant_wmi_remote_event_subscription_ActiveScriptEventConsumers.zip__covenant_wmi_remote_event_subscription_ActiveScriptEventConsumers_WORKSTATION5_2020-09-01103012.cap':
    { 'IWbemServices 14': [8, 3] },
  'OTRF__Security-Datasets/datasets__atomic__windows__lateral_movement__network__covenant_wmi_remote_event_subscription_ActiveScriptEventConsumers.zip__covenant_wmi_remote_event_subscription_ActiveScriptEventConsumers_WORKSTATION6_2020-09-01103012.cap':
    { 'IWbemServices 14': [8, 3] },
  // call 11 (ExecMethod, ctx 5) in 2 fragments: 0x81 (frame 231), 0x82 (frame 232)
  'OTRF__Security-Datasets/datasets__atomic__windows__lateral_movement__network__empire_wmi_dcerpc_wmi_IWbemServices_ExecMethod.zip__empire_wmi_dcerpc_wmi_IWbemServices_ExecMethod_WORKSTATION5_2020-09-21001437.cap':
    { 'IWbemServices 24': [2, 1] },
  // call 11 (ExecMethod) in 2 fragments: 0x81 (frame 81), 0x82 (frame 83)
  'OTRF__Security-Datasets/datasets__atomic__windows__lateral_movement__network__empire_wmi_dcerpc_wmi_IWbemServices_ExecMethod.zip__empire_wmi_dcerpc_wmi_IWbemServices_ExecMethod_WORKSTATION6_2020-09-21001437.cap':
    { 'IWbemServices 24': [2, 1] },
  // stream 2, call 45 (IDispatch::Invoke, ctx 4) in 2 fragments: 0x81 (frame 285), 0x82 (frame 286)
  'OTRF__Security-Datasets/datasets__atomic__windows__lateral_movement__network__empire_dcom_shellwindows.zip__empire_dcom_shellwindows_WORKSTATION5_2020-09-18130751.cap':
    { 'IDispatch 6': [5, 4] },
  'OTRF__Security-Datasets/datasets__atomic__windows__lateral_movement__network__empire_dcom_shellwindows.zip__empire_dcom_shellwindows_WORKSTATION6_2020-09-18130751.cap':
    { 'IDispatch 6': [5, 4] },
  // stream 12, call 6 (SchRpcRegisterTask, opnum 1) in 3 fragments: 0x01, 0x00, 0x02 (frames 1839-1841)
  'OTRF__Security-Datasets/datasets__atomic__windows__lateral_movement__network__schtask_modification.zip__schtask_modification_2020-12-1907505969.pcapng':
    { 'TaskSchedulerService 1': [3, 1] },
};

/**
 * Interfaces whose context results tshark and the session record count differently: value = [uuid, tshark's view,
 * ours, why]. A session record keeps each presentation context's FINAL state; tshark counts every result it saw.
 */
const CONTEXT_RESULTS: Record<
  string,
  Array<{ uuid: string; tshark: 'rejected' | 'none'; ours: 'accepted-only' | 'rejected'; why: string }>
> = {
  // stream 2: alter_context call 3 offers IClassFactory on ctx 2 (rejected, result 2) and ctx 3 (accepted); call 4
  // offers ctx 2 again and it is accepted (frames 189-192). alter_context replaces the entry: ctx 2 ends accepted.
  'OTRF__Security-Datasets/datasets__atomic__windows__lateral_movement__network__empire_dcom_shellwindows.zip__empire_dcom_shellwindows_WORKSTATION5_2020-09-18130751.cap':
    [{ uuid: '00000001-0000-0000-c000-000000000046', tshark: 'rejected', ours: 'accepted-only', why: 're-proposed' }],
  'OTRF__Security-Datasets/datasets__atomic__windows__lateral_movement__network__empire_dcom_shellwindows.zip__empire_dcom_shellwindows_WORKSTATION6_2020-09-18130751.cap':
    [{ uuid: '00000001-0000-0000-c000-000000000046', tshark: 'rejected', ours: 'accepted-only', why: 're-proposed' }],
  // frame 6 binds DRSUAPI on ctx 0, 1, 2 (NDR, NDR64, bind-time feature negotiation) but the bind_ack (frame 8)
  // carries ONE result (ctx 0 accepted). Contexts without a result are not accepted: the record lists them with
  // accepted:false; tshark counts them neither accepted nor rejected.
  'zeek__zeek/testing__btest__Traces__dce-rpc__cs_window7-join_stream092.pcap': [
    {
      uuid: 'e3514235-4b06-11d1-ab04-00c04fc2dcd2',
      tshark: 'none',
      ours: 'rejected',
      why: 'bind_ack short of results',
    },
  ],
};

const sorted = (m: Map<string, number>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const bump = (m: Map<string, number>, k: string, n = 1) => m.set(k, (m.get(k) ?? 0) + n);

function uuidOf(entry: string): string {
  const m = /\(([0-9a-f-]{36})\)\s*$/i.exec(entry);
  return (m ? m[1] : entry.trim()).toLowerCase();
}

function tcpOnly(f: Facts): boolean {
  const t = new Set((f.tshark.dcerpc_associations ?? []).map((a) => a.transport));
  return t.size === 1 && t.has('ncacn_ip_tcp');
}

function sessions(records: readonly EveRecord[]): SessionRecord[] {
  return records.filter((r) => r.event_type === 'dcerpc_session') as unknown as SessionRecord[];
}

describe.skipIf(!corpusAvailable)('engine DCE/RPC view of the real corpus (dcerpc_session records) vs tshark', () => {
  const captures: CorpusCapture[] = corpusCaptures();

  it('covers the corpus, with TCP associations to compare', () => {
    expect(captures.length).toBeGreaterThanOrEqual(92);
    const assocs = captures.flatMap((c) =>
      c.facts.tshark.dcerpc_associations.filter((a) => a.transport === 'ncacn_ip_tcp'),
    );
    expect(assocs.length).toBeGreaterThan(1000);
  });

  it.each(captures.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const t = c.facts.tshark;
    const mine = sessions((await runEngine(c.pcap, true)).records);
    const byEndpoints = new Map<string, SessionRecord[]>();
    for (const s of mine) {
      const k = `${s.src_ip}:${s.src_port}>${s.dest_ip}:${s.dest_port}`;
      byEndpoints.set(k, [...(byEndpoints.get(k) ?? []), s]);
    }

    // 1. per TCP association: a session, its interfaces, its auth
    for (const a of t.dcerpc_associations.filter((x) => x.transport === 'ncacn_ip_tcp')) {
      const client = (a as unknown as { client: string }).client;
      const candidates = byEndpoints.get(`${client}>${a.server}`) ?? [];
      expect(candidates.length, `a dcerpc_session for ${client} -> ${a.server}`).toBeGreaterThan(0);
      const theirIfaces = [...new Set(a.ifaces.map(uuidOf))].sort();
      const theirAuth = [...new Set(a.auth)].sort();
      // several sessions on one 4-tuple (port reuse) are several associations to tshark too: one must match
      const views = candidates.map((s) => ({
        ifaces: [...new Set(s.dcerpc_session.interfaces.map((i) => i.uuid))].sort(),
        auth: [...new Set(s.dcerpc_session.auth.map((x) => `${x.type}/${x.level}`))].sort(),
      }));
      expect(views, `${client} -> ${a.server}`).toContainEqual({ ifaces: theirIfaces, auth: theirAuth });
    }
    if (!tcpOnly(c.facts)) return;

    // 2. aggregates over the capture
    const nameOf = new Map(t.bound_interfaces.map((b) => [b.uuid.toLowerCase(), b.name]));
    const accepted = new Set<string>();
    const rejected = new Set<string>();
    const opnums = new Map<string, number>();
    const faults = new Map<string, number>();
    const auth = new Set<string>();
    for (const s of mine) {
      const d = s.dcerpc_session;
      for (const i of d.interfaces) (i.accepted ? accepted : rejected).add(i.uuid);
      // names in operations/faults are ours: map them back to the UUID, then to tshark's name for it; a call on a
      // context whose bind was not seen is '(no bind seen)' to the facts and 'unknown' to us
      const ifaceName = (n: string) => {
        const uuid = d.interfaces.find((i) => i.name === n || i.uuid === n)?.uuid;
        if (uuid) return nameOf.get(uuid) ?? uuid;
        return n === 'unknown' ? '(no bind seen)' : n;
      };
      for (const o of d.operations) bump(opnums, `${ifaceName(o.interface)} ${o.opnum}`, o.requests);
      for (const f of d.faults) bump(faults, `${f.status}/${f.interface ? ifaceName(f.interface) : ''}/${f.opnum}`);
      for (const x of d.auth) auth.add(`${x.type}/${x.level}`);
    }
    const theirAccepted = new Set(t.bound_interfaces.filter((b) => b.accepted > 0).map((b) => b.uuid));
    const theirRejected = new Set(t.bound_interfaces.filter((b) => b.rejected > 0).map((b) => b.uuid));
    expect([...accepted].sort(), 'accepted interfaces').toEqual([...theirAccepted].sort());
    for (const d of CONTEXT_RESULTS[name] ?? []) {
      if (d.tshark === 'rejected' && d.ours === 'accepted-only') {
        expect(theirRejected.has(d.uuid) && !rejected.has(d.uuid) && accepted.has(d.uuid), d.uuid).toBe(true);
        theirRejected.delete(d.uuid);
      } else {
        expect(!theirRejected.has(d.uuid) && rejected.has(d.uuid), d.uuid).toBe(true);
        theirRejected.add(d.uuid);
      }
    }
    expect([...rejected].sort(), 'rejected interfaces').toEqual([...theirRejected].sort());

    const theirOpnums = new Map<string, number>();
    for (const [iface, ops] of Object.entries(t.request_opnums)) {
      for (const [op, n] of Object.entries(ops)) theirOpnums.set(`${iface} ${Number.parseInt(op, 10)}`, n);
    }
    for (const [k, [pdus, calls]] of Object.entries(FRAGMENTED[name] ?? {})) {
      expect(theirOpnums.get(k), `tshark's PDU count for ${k}`).toBe(pdus);
      theirOpnums.set(k, calls);
    }
    expect(sorted(opnums), 'request opnums per interface').toEqual(sorted(theirOpnums));

    // the record names a status (ours: faultStatusName); tshark's facts give its number
    const theirFaults = new Map<string, number>();
    for (const f of t.faults) {
      const status = faultStatusName(Number(f.status)) ?? f.status;
      bump(theirFaults, `${status}/${f.iface}/${f.opnum}`, f.count);
    }
    expect(sorted(faults), 'faults').toEqual(sorted(theirFaults));
    expect([...auth].sort(), 'auth types/levels').toEqual(
      [...new Set(t.auth.map((a) => `${a.type}/${a.level}`))].sort(),
    );
  });

  it('docs/CONFORMANCE.md lists every difference', () => {
    const doc = readFileSync(path.join(repoRoot, 'docs/CONFORMANCE.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Corpus: decoding vs tshark'), doc.indexOf('## suricata-verify'));
    for (const name of [...Object.keys(FRAGMENTED), ...Object.keys(CONTEXT_RESULTS)]) {
      expect(section).toContain(name.slice(name.indexOf('/') + 1));
    }
  });
});
