import { NdrWriter, orpc, wbem, wmio } from '@wmi-detect/capture-gen';
import { describe, expect, it } from 'vitest';
import { decodeStub } from '../../src/wmi/decode.js';
import { IID } from '../../src/wmi/interfaces.js';
import { parseObjRef } from '../../src/wmi/orpc.js';
import { parseObjectPath, wqlClass } from '../../src/wmi/wbem.js';
import { parseEncodingUnit } from '../../src/wmi/wmio.js';
import * as fx from './fixtures.js';
import { corpusPresent, facts, objectUuidText } from './support.js';

const WMIEXEC = 'hangchuanin__Intranet_penetration_history/pcapng__wmiexec.pcapng';
const SHARPWMI =
  'OTRF__Security-Datasets/datasets__small__windows__lateral_movement__covenant_sharpwmi_dcerpc_wmi_execquery_execmethod.cap';
// `cmd.exe /Q /c cd \ 1> \\127.0.0.1\ADMIN$\__1683291962.56 2>&1` — the first command impacket ran (tshark facts).
const FIRST_COMMAND = 'cmd.exe /Q /c cd \\ 1> \\\\127.0.0.1\\ADMIN$\\__1683291962.56 2>&1';

const stub = (iface: string, opnum: number, request: boolean, b: Uint8Array, littleEndian = true) =>
  decodeStub({ iface, opnum, request, stub: b, littleEndian });

describe('IWbemLevel1Login / IWbemLoginClientID (real stubs)', () => {
  it('NTLMLogin namespace: impacket (wmiexec frame 32) and Windows with its locale (sharpwmi frame 91)', () => {
    expect(stub(IID.IWbemLevel1Login, 6, true, fx.WMIEXEC_NTLMLOGIN_REQ)).toEqual({
      wmi: { namespace: '//./root/cimv2', decoded_by: 'ndr' },
      problems: [],
    });
    expect(stub(IID.IWbemLevel1Login, 6, true, fx.SHARPWMI_NTLMLOGIN_REQ)?.wmi).toEqual({
      namespace: '\\\\WORKSTATION6\\root\\cimv2',
      locale: 'en-US,en',
      decoded_by: 'ndr',
    });
  });

  it('NTLMLogin response: the IWbemServices IPID is the object UUID of the next IWbemServices call', () => {
    const a = stub(IID.IWbemLevel1Login, 6, false, fx.WMIEXEC_NTLMLOGIN_RESP);
    expect(a?.hresult).toBe(0);
    expect(a?.dcom?.iids).toEqual([IID.IWbemServices]);
    expect(a?.dcom?.ipids).toEqual([objectUuidText(fx.WMIEXEC_GETOBJECT_OBJECT, true)]);
    const b = stub(IID.IWbemLevel1Login, 6, false, fx.SHARPWMI_NTLMLOGIN_RESP);
    expect(b?.dcom?.ipids).toEqual([objectUuidText(fx.SHARPWMI_SERVICES_OBJECT, true)]);
  });

  it('SetClientInfo and the Windows 10 SetClientInfoEx (sharpwmi frames 81, 85)', () => {
    expect(stub(IID.IWbemLoginClientID, 3, true, fx.SHARPWMI_SETCLIENTINFO_REQ)?.wmi).toEqual({
      client_machine: 'WORKSTATION5',
      client_process_id: 7240,
      decoded_by: 'ndr',
    });
    expect(stub(IID.IWbemLoginClientIDEx, 3, true, fx.SHARPWMI_SETCLIENTINFOEX_REQ)?.wmi).toEqual({
      client_machine: 'WORKSTATION5',
      client_fqdn: 'WORKSTATION5.theshire.local',
      client_process_id: 7240,
      decoded_by: 'ndr',
    });
  });

  describe.skipIf(!corpusPresent)('against the facts', () => {
    it('namespace and client machine are strings tshark found in the clear WMI stubs', () => {
      const strings = facts(SHARPWMI)?.tshark.wmi_request_strings ?? [];
      expect(strings).toContain(stub(IID.IWbemLevel1Login, 6, true, fx.SHARPWMI_NTLMLOGIN_REQ)?.wmi?.namespace);
      expect(strings).toContain(stub(IID.IWbemLevel1Login, 6, true, fx.SHARPWMI_NTLMLOGIN_REQ)?.wmi?.locale);
      expect(strings).toContain(
        stub(IID.IWbemLoginClientID, 3, true, fx.SHARPWMI_SETCLIENTINFO_REQ)?.wmi?.client_machine,
      );
      expect(facts(WMIEXEC)?.tshark.wmi_request_strings).toContain(
        stub(IID.IWbemLevel1Login, 6, true, fx.WMIEXEC_NTLMLOGIN_REQ)?.wmi?.namespace,
      );
    });
  });
});

describe('IWbemServices (real stubs, impacket wmiexec)', () => {
  it('GetObject (frame 44): object path and class', () => {
    expect(stub(IID.IWbemServices, 6, true, fx.WMIEXEC_GETOBJECT_REQ)?.wmi).toEqual({
      object_path: 'Win32_Process',
      class: 'Win32_Process',
      decoded_by: 'ndr',
    });
  });

  it('ExecMethod Win32_Process.Create (frame 69): class, method and the CommandLine from the MS-WMIO in-parameters', () => {
    const r = stub(IID.IWbemServices, 24, true, fx.WMIEXEC_EXECMETHOD_REQ);
    expect(r?.problems).toEqual([]);
    expect(r?.wmi).toEqual({
      object_path: 'Win32_Process',
      class: 'Win32_Process',
      method: 'Create',
      command_line: FIRST_COMMAND,
      properties: { CommandLine: FIRST_COMMAND, CurrentDirectory: 'C:\\' },
      decoded_by: 'wmio',
    });
  });

  it('ExecMethod response (frame 71): ReturnValue and ProcessId of the out-parameters', () => {
    const r = stub(IID.IWbemServices, 24, false, fx.WMIEXEC_EXECMETHOD_RESP);
    expect(r?.problems).toEqual([]);
    expect(r?.hresult).toBe(0);
    expect(r?.wmi).toEqual({
      properties: { ProcessId: '2288', ReturnValue: '0' },
      return_value: 0,
      decoded_by: 'wmio',
    });
  });

  it("the in-parameters object itself: class part (with impacket's 500 bytes of slack) and instance part", () => {
    // pInParams MInterfacePointer starts at 0x78 of the stub: max_count | ulCntData | OBJREF.
    const objref = parseObjRef(fx.WMIEXEC_EXECMETHOD_REQ.subarray(0x80, 0x80 + 0x73f)).objref;
    expect(objref).toMatchObject({
      kind: 'custom',
      iid: IID.IWbemClassObject,
      clsid: '4590f812-1d3a-11d0-891f-00aa004b2e24',
    });
    const w = parseEncodingUnit(objref?.objectData ?? new Uint8Array());
    expect(w.problems).toEqual([]);
    expect(w.object?.kind).toBe('instance');
    expect(w.object?.className).toBe('__PARAMETERS');
    expect(w.object?.properties.map((p) => [p.name, p.typeName, p.source])).toEqual([
      ['CommandLine', 'string', 'instance'],
      ['CurrentDirectory', 'string', 'instance'],
      ['ProcessStartupInformation', 'object', 'null'],
    ]);
  });

  it('falls back to the strings of the object, and says so, when the MS-WMIO encoding is damaged', () => {
    const b = fx.WMIEXEC_EXECMETHOD_REQ.slice();
    b.fill(0xee, 0xb9, 0xc0); // the ClassPart header: EncodingLength, ClassNameRef … now garbage
    const r = stub(IID.IWbemServices, 24, true, b);
    expect(r?.wmi?.command_line).toBe(FIRST_COMMAND);
    expect(r?.wmi?.decoded_by).toBe('heuristic');
    expect(r?.problems.length).toBeGreaterThan(0);
  });

  describe.skipIf(!corpusPresent)('against the facts', () => {
    it('the command line is one tshark found in the clear stub', () => {
      expect(facts(WMIEXEC)?.tshark.wmi_request_strings).toContain(
        stub(IID.IWbemServices, 24, true, fx.WMIEXEC_EXECMETHOD_REQ)?.wmi?.command_line,
      );
    });
  });
});

// The WMI operations no public capture shows in clear (facts "known gaps"): encoded by the project's generator,
// which is written from MS-WMI / MS-WMIO independently of these decoders.
describe('IWbemServices operations encoded by capture-gen', () => {
  const o = { cid: '11111111-2222-3333-4444-555555555555' };
  const putInstance = (le: boolean, cls: wmio.WmiClassDef, values: Record<string, wmio.WmiValue>, compact = false) => {
    const w = new NdrWriter(le);
    orpc.writeOrpcThis(w, o);
    orpc.writePMInterfacePointer(
      w,
      wbem.wbemObjectRef(wmio.encodeInstance(cls, values, compact ? { stringEncoding: 'compact' } : {})),
    );
    w.ai32(0);
    w.nullPointer(); // pCtx
    w.nullPointer(); // ppCallResult
    return w.toBytes();
  };
  const S = wmio.CIM.STRING;
  const props = (...names: string[]) => names.map((name) => ({ name, type: S }));

  it('ExecQuery and ExecNotificationQuery: WQL, language and the class after FROM', () => {
    const q = wbem.execQueryRequest(true, o, "SELECT * FROM Win32_Environment WHERE NAME='puFHs'");
    expect(stub(IID.IWbemServices, 20, true, q)?.wmi).toEqual({
      query_language: 'WQL',
      query: "SELECT * FROM Win32_Environment WHERE NAME='puFHs'",
      class: 'Win32_Environment',
      decoded_by: 'ndr',
    });
    const n = wbem.execQueryRequest(
      true,
      o,
      "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'Win32_Process'",
    );
    expect(stub(IID.IWbemServices, 23, true, n)?.wmi).toMatchObject({
      class: '__InstanceCreationEvent',
      query_language: 'WQL',
    });
  });

  it('PutInstance of an __EventFilter: class, query and its language (root\\subscription persistence)', () => {
    const b = putInstance(
      true,
      { name: '__EventFilter', properties: props('Name', 'EventNamespace', 'Query', 'QueryLanguage') },
      {
        Name: 'Updater',
        EventNamespace: 'root\\cimv2',
        Query:
          "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System'",
        QueryLanguage: 'WQL',
      },
    );
    const r = stub(IID.IWbemServices, 14, true, b);
    expect(r?.problems).toEqual([]);
    expect(r?.wmi).toMatchObject({
      class: '__EventFilter',
      query:
        "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System'",
      query_language: 'WQL',
      properties: { Name: 'Updater', EventNamespace: 'root\\cimv2' },
      decoded_by: 'wmio',
    });
  });

  it('PutInstance(Async) of consumers and the binding: command template, script text, references', () => {
    const cmd = putInstance(
      true,
      { name: 'CommandLineEventConsumer', properties: props('Name', 'CommandLineTemplate', 'ExecutablePath') },
      { Name: 'Updater', CommandLineTemplate: 'powershell.exe -nop -w hidden -enc SQBFAFgA' },
      true,
    );
    expect(stub(IID.IWbemServices, 15, true, cmd)?.wmi).toMatchObject({
      class: 'CommandLineEventConsumer',
      command_line: 'powershell.exe -nop -w hidden -enc SQBFAFgA',
    });
    const script = putInstance(
      true,
      { name: 'ActiveScriptEventConsumer', properties: props('Name', 'ScriptingEngine', 'ScriptText') },
      { Name: 'asec', ScriptingEngine: 'VBScript', ScriptText: 'CreateObject("WScript.Shell").Run "calc.exe"' },
    );
    expect(stub(IID.IWbemServices, 14, true, script)?.wmi?.properties).toEqual({
      Name: 'asec',
      ScriptingEngine: 'VBScript',
      ScriptText: 'CreateObject("WScript.Shell").Run "calc.exe"',
    });
    const R = wmio.CIM.REFERENCE;
    const bind = putInstance(
      true,
      {
        name: '__FilterToConsumerBinding',
        properties: [
          { name: 'Consumer', type: R },
          { name: 'Filter', type: R },
        ],
      },
      { Consumer: 'ActiveScriptEventConsumer.Name="asec"', Filter: '__EventFilter.Name="Updater"' },
    );
    expect(stub(IID.IWbemServices, 14, true, bind)?.wmi).toMatchObject({
      class: '__FilterToConsumerBinding',
      properties: { Consumer: 'ActiveScriptEventConsumer.Name="asec"', Filter: '__EventFilter.Name="Updater"' },
    });
  });

  it('DeleteInstance, OpenNamespace, CreateInstanceEnum', () => {
    const w = new NdrWriter(true);
    orpc.writeOrpcThis(w, o);
    w.bstr('__EventFilter.Name="Updater"');
    w.ai32(0).nullPointer().nullPointer();
    expect(stub(IID.IWbemServices, 16, true, w.toBytes())?.wmi).toEqual({
      object_path: '__EventFilter.Name="Updater"',
      class: '__EventFilter',
      decoded_by: 'ndr',
    });
    const n = new NdrWriter(true);
    orpc.writeOrpcThis(n, o);
    n.bstr('subscription');
    n.ai32(0).nullPointer().nullPointer().nullPointer();
    expect(stub(IID.IWbemServices, 3, true, n.toBytes())?.wmi).toEqual({
      namespace: 'subscription',
      decoded_by: 'ndr',
    });
    const e = new NdrWriter(true);
    orpc.writeOrpcThis(e, o);
    e.bstr('Win32_Service');
    e.ai32(0).nullPointer();
    expect(stub(IID.IWbemServices, 18, true, e.toBytes())?.wmi).toEqual({ class: 'Win32_Service', decoded_by: 'ndr' });
  });

  it('OpenNamespace response: the [in, out, unique] IWbemServices** carries the new namespace object', () => {
    const objref = orpc.objrefStandard(
      IID.IWbemServices,
      { oxid: 0x1122334455667788n, oid: 1n, ipid: '0000aaaa-0bbb-0ccc-0ddd-eeeeeeeeeeee' },
      { strings: [{ networkAddr: 'SERVER' }], security: [] },
    );
    const w = new NdrWriter(true);
    orpc.writeOrpcThat(w);
    w.pointer(); // ppWorkingNamespace (outer)
    orpc.writePMInterfacePointer(w, objref); // inner referent + MInterfacePointer
    w.nullPointer(); // ppResult
    w.a32(0);
    const r = stub(IID.IWbemServices, 3, false, w.toBytes());
    expect(r?.problems).toEqual([]);
    expect(r?.dcom).toEqual({
      iids: [IID.IWbemServices],
      ipids: ['0000aaaa-0bbb-0ccc-0ddd-eeeeeeeeeeee'],
      oxid: '1122334455667788',
    });
  });

  it('big-endian NDR stubs (drep 0x00): NTLMLogin and ExecMethod, with the MS-WMIO object still little-endian', () => {
    expect(stub(IID.IWbemLevel1Login, 6, true, wbem.ntlmLoginRequest(false, o, 'ROOT\\CIMV2'), false)?.wmi).toEqual({
      namespace: 'ROOT\\CIMV2',
      decoded_by: 'ndr',
    });
    const em = wbem.execMethodRequest(false, o, {
      objectPath: 'Win32_Process',
      method: 'Create',
      inClass: wmio.WIN32_PROCESS_CREATE_IN,
      inValues: { CommandLine: 'cmd.exe /c whoami', CurrentDirectory: 'C:\\' },
    });
    const r = stub(IID.IWbemServices, 24, true, em, false);
    expect(r?.problems).toEqual([]);
    expect(r?.wmi).toMatchObject({
      class: 'Win32_Process',
      method: 'Create',
      command_line: 'cmd.exe /c whoami',
      decoded_by: 'wmio',
    });
  });
});

describe('object paths and WQL', () => {
  it('splits namespace and class', () => {
    expect(parseObjectPath('\\\\SERVER\\root\\cimv2:Win32_Process.Handle="4"')).toEqual({
      namespace: 'root\\cimv2',
      class: 'Win32_Process',
    });
    expect(parseObjectPath('//./root/cimv2:Win32_Process')).toEqual({
      namespace: 'root/cimv2',
      class: 'Win32_Process',
    });
    expect(parseObjectPath('Win32_LogicalDisk.DeviceID="C:"')).toEqual({ class: 'Win32_LogicalDisk' });
    expect(parseObjectPath('root\\subscription:__EventFilter.Name="x"')).toEqual({
      namespace: 'root\\subscription',
      class: '__EventFilter',
    });
  });

  it('finds the class of a WQL statement', () => {
    expect(wqlClass('select Name from win32_process where Name="x"')).toBe('win32_process');
    expect(wqlClass('ASSOCIATORS OF {Win32_Service.Name="x"}')).toBeUndefined();
  });
});
