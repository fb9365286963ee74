import { activation, CLSID as GEN_CLSID, NdrWriter, orpc } from '@wmi-detect/capture-gen';
import { describe, expect, it } from 'vitest';
import { decodeStub } from '../../src/wmi/decode.js';
import { IID } from '../../src/wmi/interfaces.js';
import * as fx from './fixtures.js';
import { corpusPresent, facts, objectUuidText } from './support.js';

// Expected values were read with `tshark -V` (isystemactivator / oxid / remunk dissectors) on the fixture frames.

const SHARPWMI =
  'OTRF__Security-Datasets/datasets__small__windows__lateral_movement__covenant_sharpwmi_dcerpc_wmi_execquery_execmethod.cap';
const XLL =
  'OTRF__Security-Datasets/datasets__atomic__windows__lateral_movement__network__covenant_dcom_registerxll.zip__covenant_dcom_registerxll_2020-09-18145959.cap';
const MMC20 = 'OISF__suricata-verify/tests__dcerpc__dcerpc-ctxids__input.pcap';

const act = (opnum: number, request: boolean, stub: Uint8Array) =>
  decodeStub({ iface: IID.ISystemActivator, opnum, request, stub, littleEndian: true });

describe('ISystemActivator::RemoteCreateInstance (covenant sharpwmi, frames 60-61)', () => {
  it('request: the activated CLSID, the requested IID and the server name the client used', () => {
    const r = act(4, true, fx.SHARPWMI_ACTIVATION_REQ);
    expect(r?.problems).toEqual([]);
    expect(r?.dcom).toEqual({
      activation: 'RemoteCreateInstance',
      clsid: '8bc3f05e-d86b-11d0-a075-00c04fb68820',
      clsid_name: 'WbemLevel1Login',
      iids: ['f309ad18-d86a-11d0-a075-00c04fb68820'],
      server_name: 'WORKSTATION6',
    });
  });

  it('response: OXID, host[port] bindings, IPIDs, the IRemUnknown IPID and authnHint', () => {
    const r = act(4, false, fx.SHARPWMI_ACTIVATION_RESP);
    expect(r?.problems).toEqual([]);
    expect(r?.hresult).toBe(0);
    expect(r?.dcom).toEqual({
      activation: 'RemoteCreateInstance',
      iids: ['f309ad18-d86a-11d0-a075-00c04fb68820'],
      hresults: [0],
      oxid: 'c73d9df2ad17aa43',
      oxid_bindings: [
        { host: 'WORKSTATION6', port: 52419, protocol: 'ncacn_ip_tcp', network_addr: 'WORKSTATION6[52419]' },
        { host: '172.18.39.6', port: 52419, protocol: 'ncacn_ip_tcp', network_addr: '172.18.39.6[52419]' },
      ],
      security_services: [10, 30, 16, 9, 22, 31],
      remunknown_ipid: '00006800-0a80-0000-9eb0-6cbfe06bc80e',
      authn_hint: 4,
      ipids: ['0002dc03-0a80-0000-8479-e40bf8a379bf'],
    });
  });

  it('the returned IPIDs are the object UUIDs of the later calls on the dynamic port (the OXID tie)', () => {
    const d = act(4, false, fx.SHARPWMI_ACTIVATION_RESP)?.dcom;
    // Frame 89: first IWbemLevel1Login call; frame 71: first IRemUnknown2 call (both on port 52419).
    expect(d?.ipids).toEqual([objectUuidText(fx.SHARPWMI_LOGIN_OBJECT, true)]);
    expect(d?.remunknown_ipid).toBe(objectUuidText(fx.SHARPWMI_REMQI_REQ_OBJECT, true));
  });

  describe.skipIf(!corpusPresent)('against the facts', () => {
    it('CLSID and IID are tshark activation_clsids / activation_iids; the port is the dynamic-port association', () => {
      const f = facts(SHARPWMI)?.tshark;
      const req = act(4, true, fx.SHARPWMI_ACTIVATION_REQ)?.dcom;
      expect([req?.clsid]).toEqual(f?.activation_clsids.map((c) => c.clsid));
      expect(req?.iids).toEqual(f?.activation_iids.map((c) => c.iid));
      const ports = (f?.dcerpc_associations ?? []).map((a) => Number(a.server.split(':')[1]));
      const resp = act(4, false, fx.SHARPWMI_ACTIVATION_RESP)?.dcom;
      for (const b of resp?.oxid_bindings ?? []) expect(ports).toContain(b.port);
    });
  });
});

describe('activation encoded by capture-gen (impacket shape, both PDU byte orders)', () => {
  const o = { cid: '11111111-2222-3333-4444-555555555555' };

  it('request and reply round the WMI activation; the blob stays little-endian inside a big-endian stub', () => {
    for (const le of [true, false]) {
      const props = activation.activationPropertiesIn({
        style: 'impacket',
        clsid: GEN_CLSID.WbemLevel1Login,
        iids: [IID.IWbemLevel1Login],
      });
      const qd = decodeStub({
        iface: IID.ISystemActivator,
        opnum: 4,
        request: true,
        stub: activation.remoteCreateInstanceRequest(le, o, props),
        littleEndian: le,
      });
      expect(qd?.problems).toEqual([]);
      expect(qd?.dcom).toEqual({
        activation: 'RemoteCreateInstance',
        clsid: '8bc3f05e-d86b-11d0-a075-00c04fb68820',
        clsid_name: 'WbemLevel1Login',
        iids: [IID.IWbemLevel1Login],
      });
      const out = activation.activationPropertiesOut({
        interfaces: [
          {
            iid: IID.IWbemLevel1Login,
            objref: orpc.objrefStandard(
              IID.IWbemLevel1Login,
              { oxid: 0x0102030405060708n, oid: 9n, ipid: '00001234-0000-0000-aaaa-bbbbbbbbbbbb' },
              { strings: [{ networkAddr: 'SERVER' }], security: [] },
            ),
          },
        ],
        oxid: 0x0102030405060708n,
        oxidBindings: {
          strings: [{ networkAddr: 'SERVER[49154]' }, { networkAddr: '10.0.0.20[49154]' }],
          security: [],
        },
        ipidRemUnknown: '00005678-0000-0000-aaaa-bbbbbbbbbbbb',
        authnHint: 5,
      });
      const a = decodeStub({
        iface: IID.ISystemActivator,
        opnum: 4,
        request: false,
        stub: activation.activationResponse(le, out),
        littleEndian: le,
      });
      expect(a?.problems).toEqual([]);
      expect(a?.dcom).toMatchObject({
        oxid: '0102030405060708',
        oxid_bindings: [
          expect.objectContaining({ host: 'SERVER', port: 49154 }),
          expect.objectContaining({ host: '10.0.0.20', port: 49154 }),
        ],
        remunknown_ipid: '00005678-0000-0000-aaaa-bbbbbbbbbbbb',
        authn_hint: 5,
        ipids: ['00001234-0000-0000-aaaa-bbbbbbbbbbbb'],
      });
    }
  });

  it('a refused activation: NULL ppActProperties and the HRESULT (E_ACCESSDENIED) in the stub', () => {
    const a = decodeStub({
      iface: IID.ISystemActivator,
      opnum: 4,
      request: false,
      stub: activation.activationResponse(false, undefined, 0x80070005),
      littleEndian: false,
    });
    expect(a).toEqual({ hresult: 0x80070005, dcom: { activation: 'RemoteCreateInstance' }, problems: [] });
  });
});

describe('ISystemActivator::RemoteGetClassObject (opnum 3)', () => {
  it('Excel.Application asking for IClassFactory (covenant registerxll frames 99, 106)', () => {
    const req = act(3, true, fx.XLL_GETCLASSOBJECT_REQ);
    expect(req?.problems).toEqual([]);
    expect(req?.dcom).toEqual({
      activation: 'RemoteGetClassObject',
      clsid: '00024500-0000-0000-c000-000000000046',
      clsid_name: 'Excel.Application',
      iids: ['00000001-0000-0000-c000-000000000046'],
      server_name: '172.18.39.6',
    });
    const resp = act(3, false, fx.XLL_GETCLASSOBJECT_RESP);
    expect(resp?.problems).toEqual([]);
    expect(resp?.dcom).toMatchObject({
      oxid: 'd821a0bda22aa40c',
      oxid_bindings: [
        expect.objectContaining({ host: 'WORKSTATION6', port: 51226 }),
        expect.objectContaining({ host: '172.18.39.6', port: 51226 }),
      ],
      authn_hint: 5,
      ipids: ['0000a008-0554-1c54-4964-a091e3765a52'],
    });
  });

  it('MMC20.Application over NTLM at packet integrity (suricata-verify dcerpc-ctxids frame 14)', () => {
    const req = act(3, true, fx.MMC20_GETCLASSOBJECT_REQ);
    expect(req?.problems).toEqual([]);
    expect(req?.dcom).toMatchObject({
      clsid: '49b2791a-b1ae-4c90-9b8e-e860ba07f889',
      clsid_name: 'MMC20.Application',
      iids: ['00000001-0000-0000-c000-000000000046'],
    });
  });

  describe.skipIf(!corpusPresent)('against the facts', () => {
    it('the CLSIDs tshark reports for both captures', () => {
      expect(act(3, true, fx.XLL_GETCLASSOBJECT_REQ)?.dcom?.clsid).toBe(facts(XLL)?.tshark.activation_clsids[0].clsid);
      expect(act(3, true, fx.MMC20_GETCLASSOBJECT_REQ)?.dcom?.clsid).toBe(
        facts(MMC20)?.tshark.activation_clsids[0].clsid,
      );
    });
  });
});

describe('OXID resolver and IRemUnknown', () => {
  it('ServerAlive2 response: the server addresses (no port) and authentication services (sharpwmi frame 50)', () => {
    const r = decodeStub({
      iface: IID.IObjectExporter,
      opnum: 5,
      request: false,
      stub: fx.SHARPWMI_SERVERALIVE2_RESP,
      littleEndian: true,
    });
    expect(r?.problems).toEqual([]);
    expect(r?.dcom).toEqual({
      oxid_bindings: [
        { host: 'WORKSTATION6', protocol: 'ncacn_ip_tcp', network_addr: 'WORKSTATION6' },
        { host: '172.18.39.6', protocol: 'ncacn_ip_tcp', network_addr: '172.18.39.6' },
      ],
      security_services: [9, 30, 16, 10, 22, 31, 14],
    });
  });

  it('ResolveOxid2 request and response (empire shellwindows frames 70-71)', () => {
    const q = decodeStub({
      iface: IID.IObjectExporter,
      opnum: 4,
      request: true,
      stub: fx.SHELLWINDOWS_RESOLVEOXID2_REQ,
      littleEndian: true,
    });
    expect(q?.dcom).toEqual({ oxid: 'dd1bdac8861325b0' });
    const a = decodeStub({
      iface: IID.IObjectExporter,
      opnum: 4,
      request: false,
      stub: fx.SHELLWINDOWS_RESOLVEOXID2_RESP,
      littleEndian: true,
    });
    expect(a?.problems).toEqual([]);
    expect(a?.hresult).toBe(0);
    expect(a?.dcom).toMatchObject({
      oxid_bindings: [
        expect.objectContaining({ network_addr: 'WORKSTATION6[49913]', port: 49913 }),
        expect.objectContaining({ network_addr: '172.18.39.6[49913]', port: 49913 }),
      ],
      remunknown_ipid: '00006002-2008-15f8-4d0a-0687aa5e37dc',
      authn_hint: 5,
    });
  });

  it('RemQueryInterface: the IID asked for and the IPID granted (sharpwmi frames 71-72)', () => {
    const q = decodeStub({
      iface: IID.IRemUnknown2,
      opnum: 3,
      request: true,
      stub: fx.SHARPWMI_REMQI_REQ,
      littleEndian: true,
    });
    expect(q?.dcom).toEqual({ iids: [IID.IWbemLoginClientID] });
    const a = decodeStub({
      iface: IID.IRemUnknown2,
      opnum: 3,
      request: false,
      stub: fx.SHARPWMI_REMQI_RESP,
      littleEndian: true,
    });
    expect(a?.problems).toEqual([]);
    expect(a?.dcom).toEqual({
      ipids: ['00002413-0a80-0000-36d9-519c93e7ea4a'],
      oxid: 'c73d9df2ad17aa43',
      hresults: [0],
    });
  });

  it("RemQueryInterface2 (IRemUnknown2 opnum 6), encoded with capture-gen's NDR writer per MS-DCOM 3.1.1.5.7.1", () => {
    const w = new NdrWriter(true);
    orpc.writeOrpcThis(w, { cid: '11111111-2222-3333-4444-555555555555' });
    w.guid('00006800-0a80-0000-9eb0-6cbfe06bc80e'); // ripid
    w.a16(2); // cIids
    w.a32(2).guid(IID.IWbemLoginClientID).guid(IID.IDispatch);
    const q = decodeStub({ iface: IID.IRemUnknown2, opnum: 6, request: true, stub: w.toBytes(), littleEndian: true });
    expect(q?.dcom).toEqual({ iids: [IID.IWbemLoginClientID, IID.IDispatch] });
    const objref = orpc.objrefStandard(
      IID.IWbemLoginClientID,
      { oxid: 0xc73d9df2ad17aa43n, oid: 7n, ipid: '00002413-0a80-0000-36d9-519c93e7ea4a' },
      { strings: [], security: [] },
    );
    const a = new NdrWriter(true);
    orpc.writeOrpcThat(a);
    a.a32(2).u32(0).u32(0x80004002); // phr: S_OK, E_NOINTERFACE
    a.a32(2);
    a.pointer(); // ppMIF[0]
    a.nullPointer(); // ppMIF[1]
    a.a32(objref.length).u32(objref.length).bytes(objref);
    a.a32(0);
    const r = decodeStub({ iface: IID.IRemUnknown2, opnum: 6, request: false, stub: a.toBytes(), littleEndian: true });
    expect(r?.problems).toEqual([]);
    expect(r?.dcom).toEqual({
      hresults: [0, 0x80004002],
      ipids: ['00002413-0a80-0000-36d9-519c93e7ea4a'],
      oxid: 'c73d9df2ad17aa43',
    });
  });

  it('IClassFactory::CreateInstance: riid in, IUnknown OBJREF out (registerxll frames 141-142)', () => {
    const q = decodeStub({
      iface: IID.IClassFactory,
      opnum: 3,
      request: true,
      stub: fx.XLL_CREATEINSTANCE_REQ,
      littleEndian: true,
    });
    expect(q?.dcom).toEqual({ iids: [IID.IUnknown] });
    const a = decodeStub({
      iface: IID.IClassFactory,
      opnum: 3,
      request: false,
      stub: fx.XLL_CREATEINSTANCE_RESP,
      littleEndian: true,
    });
    expect(a?.dcom).toEqual({
      iids: [IID.IUnknown],
      ipids: ['0000bc05-0554-1c54-002c-ac3ef9825f31'],
      oxid: 'd821a0bda22aa40c',
    });
  });
});
