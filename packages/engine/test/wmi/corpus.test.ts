import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeStub } from '../../src/wmi/decode.js';
import type { StubInsight } from '../../src/wmi/insight.js';
import { CLSID_WBEM_CLASS_OBJECT, IID } from '../../src/wmi/interfaces.js';
import { NdrReader } from '../../src/wmi/ndr.js';
import { parseObjRef, readInterfacePointerBody, readOrpcThat } from '../../src/wmi/orpc.js';
import { parseEncodingUnit } from '../../src/wmi/wmio.js';
import {
  type CorpusCall,
  corpusCalls,
  corpusPdus,
  corpusPresent,
  type Facts,
  facts,
  objectUuidText,
  pcapDir,
  tsharkAvailable,
} from './support.js';

// Every clear DCOM/WMI stub of the corpus decoded, against what tshark saw in the same captures (facts):
// activation CLSIDs and IIDs, the WMI strings (namespaces, command lines, client names, locales), the IDispatch
// BSTRs; and the OXID tie of §3: the ports and IPIDs an activation reply returns are the server port and the
// object UUIDs of the later connection. tshark only cuts the PDUs out; our DCE/RPC layer is not involved.

const run = corpusPresent && tsharkAvailable();

const interesting = (f: Facts) =>
  f.tshark.activation_clsids.length > 0 ||
  f.tshark.wmi_request_strings.length > 0 ||
  f.tshark.idispatch_bstrs.length > 0;

function captures(): string[] {
  if (!run) return [];
  const out: string[] = [];
  for (const dir of readdirSync(pcapDir)) {
    for (const file of readdirSync(path.join(pcapDir, dir))) {
      const f = facts(`${dir}/${file}`);
      if (f && interesting(f)) out.push(`${dir}/${file}`);
    }
  }
  return out.sort();
}

interface Decoded {
  call: CorpusCall;
  insight: StubInsight;
}

function decodeAll(capture: string): Decoded[] {
  const out: Decoded[] = [];
  const names = new Map<string, Map<number, string>>(); // stream → DISPID → name, learned from GetIDsOfNames
  const pendingNames = new Map<string, string[]>();
  for (const call of corpusCalls(corpusPdus(capture))) {
    if (!call.iface || call.authLevel === 6) continue; // sealed stubs say nothing
    const key = `${call.stream}`;
    const insight = decodeStub(
      { iface: call.iface, opnum: call.opnum, request: call.request, stub: call.stub, littleEndian: call.littleEndian },
      { dispIdName: (d) => names.get(key)?.get(d) },
    );
    if (!insight) continue;
    if (call.iface === IID.IDispatch && call.opnum === 5) {
      if (call.request) pendingNames.set(key, insight.dcom?.names ?? []);
      else {
        const asked = pendingNames.get(key) ?? [];
        const m = names.get(key) ?? new Map<number, string>();
        (insight.dcom?.dispids ?? []).forEach((d, i) => {
          if (asked[i] !== undefined) m.set(d, asked[i]);
        });
        names.set(key, m);
      }
    }
    out.push({ call, insight });
  }
  return out;
}

describe.skipIf(!run)('DCOM/WMI stub insight over the corpus (tshark facts)', () => {
  const list = captures();

  it('has the WMI and DCOM captures', () => {
    expect(list.length).toBeGreaterThanOrEqual(15);
  });

  it.each(list)('%s', (capture) => {
    const f = facts(capture)?.tshark as Facts['tshark'];
    const decoded = decodeAll(capture);

    // Nothing that is clear fails to decode.
    for (const d of decoded) expect(d.insight.problems, `frame ${d.call.frame}`).toEqual([]);

    // Activation: CLSIDs and requested IIDs are exactly tshark's.
    const act = decoded.filter((d) => d.call.iface === IID.ISystemActivator && d.call.request);
    expect(new Set(act.map((d) => d.insight.dcom?.clsid))).toEqual(new Set(f.activation_clsids.map((c) => c.clsid)));
    expect(new Set(act.flatMap((d) => d.insight.dcom?.iids ?? []))).toEqual(
      new Set(f.activation_iids.map((c) => c.iid)),
    );
    expect(act.length).toBe(f.activation_clsids.reduce((n, c) => n + c.count, 0));

    // WMI: every string we report is one tshark found in a clear WMI request stub, and every command line
    // tshark found is one we report (decoded from MS-WMIO, not guessed).
    const wmi = decoded.map((d) => d.insight.wmi).filter((w) => w !== undefined);
    const strings = new Set(f.wmi_request_strings);
    for (const w of wmi) {
      for (const v of [w.namespace, w.client_machine, w.client_fqdn, w.locale, w.command_line, w.method, w.class]) {
        if (v !== undefined) expect(strings.has(v), `${v}`).toBe(true);
      }
    }
    const commands = f.wmi_request_strings.filter((s) => /^(cmd(\.exe)?|powershell)\b/i.test(s));
    const ours = wmi.filter((w) => w.command_line !== undefined);
    for (const c of commands)
      expect(
        ours.some((w) => w.command_line === c && w.decoded_by === 'wmio'),
        c,
      ).toBe(true);
    const namespaces = f.wmi_request_strings.filter((s) => /^(\\\\|\/\/)[^\s]+[\\/]root[\\/]/i.test(s));
    for (const n of namespaces)
      expect(
        wmi.some((w) => w.namespace === n),
        n,
      ).toBe(true);

    // IDispatch: tshark's BSTRs (it shortens long ones) start our arguments, and ours are all in its list.
    const args = decoded.flatMap((d) => [
      ...(d.insight.dcom?.args ?? []),
      ...(d.insight.dcom?.result ? [d.insight.dcom.result] : []),
    ]);
    for (const b of f.idispatch_bstrs)
      expect(
        args.some((a) => a.startsWith(b)),
        b,
      ).toBe(true);
    for (const a of args)
      expect(
        f.idispatch_bstrs.some((b) => a.startsWith(b)),
        a.slice(0, 80),
      ).toBe(true);
  });

  it.each(list)('%s: the OXID tie — reply ports are the next association, reply IPIDs its object UUIDs', (capture) => {
    const f = facts(capture)?.tshark as Facts['tshark'];
    const calls = corpusCalls(corpusPdus(capture));
    const objects = new Set(
      calls.filter((c) => c.object).map((c) => objectUuidText(c.object as Uint8Array, c.littleEndian)),
    );
    const serverPorts = new Set((f.dcerpc_associations ?? []).map((a) => Number(a.server.split(':').pop())));
    for (const d of decodeAll(capture)) {
      if (d.call.iface !== IID.ISystemActivator || d.call.request) continue;
      const dcom = d.insight.dcom;
      if (!dcom?.oxid_bindings) continue;
      const ports = dcom.oxid_bindings.filter((b) => b.protocol === 'ncacn_ip_tcp').map((b) => b.port);
      expect(ports.length).toBeGreaterThan(0);
      // The client connected to the port the reply named … (the Zeek kerberos135 trace stops after the
      // activation: it has no association beyond port 135, which is the only excuse accepted here)
      if (!ports.some((p) => p !== undefined && serverPorts.has(p))) {
        expect([...serverPorts], `frame ${d.call.frame}`).toEqual([135]);
        continue;
      }
      // … and called the returned interfaces: each IPID (and the IRemUnknown IPID or a sibling on the same OXID)
      // shows up as the object UUID of a request there, unless the client gave up before calling.
      const used = [...(dcom.ipids ?? []), dcom.remunknown_ipid].filter((x) => x !== undefined && objects.has(x));
      expect(used.length, `frame ${d.call.frame}`).toBeGreaterThan(0);
    }
  });

  it('a real class object: the Win32_Process class impacket fetched with GetObject (wmiexec frames 48-66)', () => {
    const calls = corpusCalls(corpusPdus('hangchuanin__Intranet_penetration_history/pcapng__wmiexec.pcapng'));
    const resp = calls.find((c) => c.iface === IID.IWbemServices && c.opnum === 6 && !c.request);
    if (!resp) throw new Error('GetObject response not found');
    expect(resp.stub.length).toBeGreaterThan(20000); // five fragments reassembled
    const r = new NdrReader(resp.stub);
    readOrpcThat(r);
    expect(r.pointer()).not.toBe(0); // ppObject
    expect(r.pointer()).not.toBe(0); //   → IWbemClassObject*
    const body = readInterfacePointerBody(r, 'ppObject');
    const objref = parseObjRef(body ?? new Uint8Array()).objref;
    expect(objref?.clsid).toBe(CLSID_WBEM_CLASS_OBJECT);
    const w = parseEncodingUnit(objref?.objectData ?? new Uint8Array());
    expect(w.problems).toEqual([]);
    const o = w.object;
    expect(o?.kind).toBe('class');
    // Decorated (ObjectFlags 0x05): the server is the one the NTLM CHALLENGE of this capture names.
    expect([o?.server, o?.namespace]).toEqual(['WIN-KCBVCO95HFV', 'ROOT\\CIMV2']);
    expect(o?.className).toBe('Win32_Process');
    expect(o?.superclass).toBe('CIM_Process');
    expect(o?.derivation).toEqual(['CIM_Process', 'CIM_LogicalElement', 'CIM_ManagedSystemElement']);
    expect(o?.methods).toEqual(
      expect.arrayContaining(['Create', 'Terminate', 'GetOwner', 'GetOwnerSid', 'SetPriority']),
    );
    expect(o?.properties.map((p) => p.name)).toEqual(
      expect.arrayContaining(['CommandLine', 'ExecutablePath', 'ProcessId', 'ParentProcessId', 'Name', 'Handle']),
    );
    expect(o?.properties.find((p) => p.name === 'ProcessId')?.typeName).toBe('uint32');
  });
});
