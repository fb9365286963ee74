import { idispatch } from '@wmi-detect/capture-gen';
import { describe, expect, it } from 'vitest';
import { decodeStub } from '../../src/wmi/decode.js';
import { IID } from '../../src/wmi/interfaces.js';
import { invokeKind, vtName } from '../../src/wmi/oaut.js';
import * as fx from './fixtures.js';
import { corpusPresent, facts } from './support.js';

const XLL =
  'OTRF__Security-Datasets/datasets__atomic__windows__lateral_movement__network__covenant_dcom_registerxll.zip__covenant_dcom_registerxll_2020-09-18145959.cap';
const MMC20 = 'OISF__suricata-verify/tests__dcerpc__dcerpc-ctxids__input.pcap';

const disp = (opnum: number, request: boolean, stub: Uint8Array, dispIdName?: (d: number) => string | undefined) =>
  decodeStub({ iface: IID.IDispatch, opnum, request, stub, littleEndian: true }, dispIdName ? { dispIdName } : {});

describe('IDispatch (real stubs)', () => {
  it('GetIDsOfNames request and response: the method name and its DISPID (registerxll frames 157-158)', () => {
    // The request carries 52 bytes the client left after lcid; they are not part of the call and are ignored.
    expect(disp(5, true, fx.XLL_GETIDSOFNAMES_REQ)).toEqual({
      dcom: { method: 'RegisterXLL', names: ['RegisterXLL'] },
      problems: [],
    });
    expect(disp(5, false, fx.XLL_GETIDSOFNAMES_RESP)).toEqual({ dcom: { dispids: [30] }, hresult: 0, problems: [] });
  });

  it('Invoke RegisterXLL (frame 159): the BSTR argument; the name when the caller learned the DISPID', () => {
    const r = disp(6, true, fx.XLL_INVOKE_REQ, (d) => (d === 30 ? 'RegisterXLL' : undefined));
    expect(r?.problems).toEqual([]);
    expect(r?.dcom).toEqual({
      dispid: 30,
      invoke_kind: 'method',
      method: 'RegisterXLL',
      args: ['C:\\\\programdata\\calc.xll'],
      arg_values: ['bstr:C:\\\\programdata\\calc.xll'],
    });
  });

  it('Invoke MMC20 ActiveView.ExecuteShellCommand (dcerpc-ctxids frame 516): arguments in call order', () => {
    const r = disp(6, true, fx.MMC20_INVOKE_EXECUTESHELLCOMMAND_REQ);
    expect(r?.problems).toEqual([]);
    // ExecuteShellCommand(Command, Directory, Parameters, WindowState); rgvarg holds them last-first.
    expect(r?.dcom).toEqual({
      dispid: 54,
      invoke_kind: 'method|propertyget',
      args: ['cmd', '', '/c hostname', '7'],
      arg_values: ['bstr:cmd', 'bstr:', 'bstr:/c hostname', 'bstr:7'],
    });
  });

  it('Invoke response returning an object (frame 205): its IPID, and an empty EXCEPINFO', () => {
    const r = disp(6, false, fx.MMC20_INVOKE_PROPGET_RESP);
    expect(r?.problems).toEqual([]);
    expect(r?.hresult).toBe(0);
    expect(r?.dcom).toEqual({ ipids: ['0000ec0f-0668-04ec-0968-037d4c036624'], iids: [IID.IDispatch] });
  });

  describe.skipIf(!corpusPresent)('against the facts', () => {
    it('the BSTRs tshark decodes (dcom.vt.bstr) are the arguments', () => {
      const xll = disp(6, true, fx.XLL_INVOKE_REQ)?.dcom?.args ?? [];
      for (const a of xll) expect(facts(XLL)?.tshark.idispatch_bstrs).toContain(a);
      const mmc = disp(6, true, fx.MMC20_INVOKE_EXECUTESHELLCOMMAND_REQ)?.dcom?.args ?? [];
      expect([...mmc].sort()).toEqual([...(facts(MMC20)?.tshark.idispatch_bstrs ?? [])].sort());
    });
  });
});

describe('IDispatch encoded by capture-gen (MS-OAUT, independent encoder)', () => {
  const o = { cid: '11111111-2222-3333-4444-555555555555' };

  it('ShellExecute-style arguments mixing BSTR, I4 and EMPTY, in both byte orders', () => {
    for (const le of [true, false]) {
      const b = idispatch.invokeRequest(le, o, {
        dispId: 0x60020001,
        flags: idispatch.DISPATCH_METHOD,
        args: [
          { vt: idispatch.VT_BSTR, value: 'cmd.exe' },
          { vt: idispatch.VT_BSTR, value: '/c whoami' },
          { vt: idispatch.VT_BSTR, value: 'C:\\Windows\\System32' },
          { vt: idispatch.VT_EMPTY },
          { vt: idispatch.VT_I4, value: 0 },
        ],
      });
      const r = decodeStub({ iface: IID.IDispatch, opnum: 6, request: true, stub: b, littleEndian: le });
      expect(r?.problems).toEqual([]);
      expect(r?.dcom?.args).toEqual(['cmd.exe', '/c whoami', 'C:\\Windows\\System32']);
      expect(r?.dcom?.arg_values).toEqual([
        'bstr:cmd.exe',
        'bstr:/c whoami',
        'bstr:C:\\Windows\\System32',
        'empty',
        'i4:0',
      ]);
    }
  });

  it('Invoke response with a BSTR result', () => {
    const b = idispatch.invokeResponse(true, { vt: idispatch.VT_BSTR, value: 'Microsoft Excel' });
    const r = decodeStub({ iface: IID.IDispatch, opnum: 6, request: false, stub: b, littleEndian: true });
    expect(r?.problems).toEqual([]);
    expect(r?.dcom).toEqual({ result: 'Microsoft Excel' });
  });

  it('GetIDsOfNames with several names', () => {
    const b = idispatch.getIdsOfNamesRequest(true, o, ['Document', 'ActiveView']);
    expect(decodeStub({ iface: IID.IDispatch, opnum: 5, request: true, stub: b, littleEndian: true })?.dcom).toEqual({
      method: 'Document',
      names: ['Document', 'ActiveView'],
    });
  });
});

describe('names', () => {
  it('VARIANT types and DISPATCH flags', () => {
    expect(vtName(8)).toBe('bstr');
    expect(vtName(0x4008)).toBe('byref:bstr');
    expect(vtName(0x200c)).toBe('array:variant');
    expect(invokeKind(3)).toBe('method|propertyget');
    expect(invokeKind(0)).toBe('0x0');
  });
});
