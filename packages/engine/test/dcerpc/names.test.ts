import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  authLevelName,
  authTypeName,
  bindNakReasonName,
  contextResultName,
  faultStatusAliases,
  faultStatusName,
  interfaceName,
  KNOWN_INTERFACES,
  operationName,
  providerReasonName,
  ptypeEveName,
  ptypeName,
  transferSyntaxName,
} from '../../src/dcerpc/names.js';
import { isUuidString } from '../../src/dcerpc/uuid.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const factsDir = path.resolve(repoRoot, '../shared/corpus/facts');
const haveFacts = existsSync(factsDir);
if (!haveFacts) console.warn(`[dcerpc names] ${factsDir} not found: skipping the corpus opnum coverage test`);

describe('interface and operation names', () => {
  it('has well-formed, unique, lower-case UUID keys', () => {
    for (const [uuid, info] of KNOWN_INTERFACES) {
      expect(isUuidString(uuid), uuid).toBe(true);
      expect(uuid, info.name).toBe(uuid.toLowerCase());
      expect(info.uuid).toBe(uuid);
    }
  });

  it('names every interface of RESEARCH.md 2.3 with its opnums', () => {
    const table: Array<[string, string, Record<number, string>]> = [
      [
        '99fcfec4-5260-101b-bbcb-00aa0021347a',
        'IOXIDResolver',
        { 0: 'ResolveOxid', 4: 'ResolveOxid2', 5: 'ServerAlive2' },
      ],
      [
        '000001a0-0000-0000-c000-000000000046',
        'ISystemActivator',
        { 3: 'RemoteGetClassObject', 4: 'RemoteCreateInstance' },
      ],
      ['4d9f4ab8-7d1c-11cf-861e-0020af6e7c57', 'IActivation', { 0: 'RemoteActivation' }],
      ['00000131-0000-0000-c000-000000000046', 'IRemUnknown', { 3: 'RemQueryInterface', 5: 'RemRelease' }],
      ['00000143-0000-0000-c000-000000000046', 'IRemUnknown2', { 6: 'RemQueryInterface2' }],
      ['f309ad18-d86a-11d0-a075-00c04fb68820', 'IWbemLevel1Login', { 3: 'EstablishPosition', 6: 'NTLMLogin' }],
      ['d4781cd6-e5d3-44df-ad94-930efe48a887', 'IWbemLoginClientID', { 3: 'SetClientInfo' }],
      ['9f6c78ef-fce5-42fa-abea-3e7df91921dc', 'IWbemLoginClientIDEx', { 3: 'SetClientInfoEx' }],
      ['541679ab-2e5f-11d3-b34e-00104bcc4b4a', 'IWbemLoginHelper', { 3: 'SetEvent' }],
      [
        '9556dc99-828c-11cf-a37e-00aa003240c7',
        'IWbemServices',
        {
          3: 'OpenNamespace',
          10: 'DeleteClass',
          11: 'DeleteClassAsync',
          14: 'PutInstance',
          16: 'DeleteInstance',
          17: 'DeleteInstanceAsync',
          20: 'ExecQuery',
          22: 'ExecNotificationQuery',
          24: 'ExecMethod',
          25: 'ExecMethodAsync',
        },
      ],
      ['027947e1-d731-11ce-a357-000000000001', 'IEnumWbemClassObject', { 3: 'Reset', 4: 'Next', 7: 'Skip' }],
      ['44aca675-e8fc-11d0-a07c-00c04fb68820', 'IWbemCallResult', { 4: 'GetResultString', 6: 'GetCallStatus' }],
      ['1c1c45ee-4395-11d2-b60b-00104b703efd', 'IWbemFetchSmartEnum', { 3: 'GetSmartEnum' }],
      ['423ec01e-2e35-11d2-b604-00104b703efd', 'IWbemWCOSmartEnum', { 3: 'Next' }],
      ['7c857801-7381-11cf-884d-00aa004b2e24', 'IWbemObjectSink', { 3: 'Indicate', 4: 'SetStatus' }],
      ['44aca674-e8fc-11d0-a07c-00c04fb68820', 'IWbemContext', {}],
      ['00020400-0000-0000-c000-000000000046', 'IDispatch', { 5: 'GetIDsOfNames', 6: 'Invoke' }],
      ['00020401-0000-0000-c000-000000000046', 'ITypeInfo', { 3: 'GetTypeAttr', 12: 'GetDocumentation' }],
      ['00000001-0000-0000-c000-000000000046', 'IClassFactory', { 3: 'CreateInstance' }],
      ['b196b283-bab4-101a-b69c-00aa00341d07', 'IProvideClassInfo', { 3: 'GetClassInfo' }],
      ['e1af8308-5d1f-11c9-91a4-08002b14a0fa', 'epmapper', { 2: 'ept_lookup', 3: 'ept_map' }],
    ];
    for (const [uuid, name, opsByNum] of table) {
      expect(interfaceName(uuid), uuid).toBe(name);
      for (const [n, op] of Object.entries(opsByNum)) expect(operationName(uuid, Number(n)), `${name} ${n}`).toBe(op);
    }
    // DCOM never sends IUnknown's 0-2 on the wire; they stay unnamed rather than misleading
    expect(operationName('9556dc99-828c-11cf-a37e-00aa003240c7', 0)).toBeUndefined();
    expect(operationName('9556dc99-828c-11cf-a37e-00aa003240c7', 26)).toBeUndefined();
    expect(interfaceName('00000000-1111-2222-3333-444444444444')).toBeUndefined();
  });

  it('names the common MSRPC services', () => {
    const cases: Array<[string, string, number, string]> = [
      ['367abb81-9844-35f1-ad32-98f038001003', 'svcctl', 12, 'RCreateServiceW'],
      ['1ff70682-0a51-30e8-076d-740be8cee98b', 'atsvc', 0, 'NetrJobAdd'],
      ['12345778-1234-abcd-ef00-0123456789ac', 'samr', 13, 'SamrEnumerateUsersInDomain'],
      ['12345778-1234-abcd-ef00-0123456789ab', 'lsarpc', 76, 'LsarLookupSids3'],
      ['12345678-1234-abcd-ef00-01234567cffb', 'netlogon', 26, 'NetrServerAuthenticate3'],
      ['e3514235-4b06-11d1-ab04-00c04fc2dcd2', 'drsuapi', 3, 'DRSGetNCChanges'],
      ['4b324fc8-1670-01d3-1278-5a47bf6ee188', 'srvsvc', 12, 'NetrSessionEnum'],
      ['6bffd098-a112-3610-9833-46c3f87e345a', 'wkssvc', 2, 'NetrWkstaUserEnum'],
      ['338cd001-2244-31f1-aaaa-900038001003', 'winreg', 22, 'BaseRegSetValue'],
      ['12345678-1234-abcd-ef00-0123456789ab', 'spoolss', 89, 'RpcAddPrinterDriverEx'],
      ['c681d488-d850-11d0-8c52-00c04fd90f7e', 'efsrpc', 0, 'EfsRpcOpenFileRaw'],
      ['df1941c5-fe89-4e79-bf10-463657acf44d', 'efsrpc', 4, 'EfsRpcEncryptFileSrv'],
      ['86d35949-83c9-4044-b424-db363231fd0c', 'ITaskSchedulerService', 1, 'SchRpcRegisterTask'],
    ];
    for (const [uuid, name, opnum, op] of cases) {
      expect(interfaceName(uuid)).toBe(name);
      expect(operationName(uuid, opnum)).toBe(op);
    }
  });

  it.skipIf(!haveFacts)('names every request opnum tshark saw in the corpus facts', () => {
    // an out-of-range opnum that suricata-verify sends on purpose (faulted with nca_s_op_rng_error)
    const deliberate = new Set(['e1af8308-5d1f-11c9-91a4-08002b14a0fa/42']);
    const missing: string[] = [];
    let checked = 0;
    for (const repo of readdirSync(factsDir)) {
      for (const file of readdirSync(path.join(factsDir, repo))) {
        if (!file.endsWith('.json')) continue;
        const facts = JSON.parse(readFileSync(path.join(factsDir, repo, file), 'utf8'));
        const t = facts.tshark ?? {};
        const uuidByName = new Map<string, string>();
        for (const b of t.bound_interfaces ?? []) uuidByName.set(b.name, b.uuid);
        for (const [ifName, ops] of Object.entries<Record<string, number>>(t.request_opnums ?? {})) {
          const uuid = uuidByName.get(ifName) ?? (isUuidString(ifName) ? ifName : undefined);
          if (!uuid || !KNOWN_INTERFACES.has(uuid)) continue; // unbound or vendor/fuzz interfaces
          for (const key of Object.keys(ops)) {
            const opnum = Number.parseInt(key, 10);
            checked++;
            if (!operationName(uuid, opnum) && !deliberate.has(`${uuid}/${opnum}`)) {
              missing.push(`${repo}/${file}: ${ifName} ${opnum}`);
            }
          }
        }
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });
});

describe('number → name tables', () => {
  it('names PTYPEs in C706 and EVE spelling', () => {
    expect([0, 2, 3, 11, 12, 13, 14, 15, 16, 17, 18, 19].map(ptypeName)).toEqual([
      'request',
      'response',
      'fault',
      'bind',
      'bind_ack',
      'bind_nak',
      'alter_context',
      'alter_context_resp',
      'auth3',
      'shutdown',
      'co_cancel',
      'orphaned',
    ]);
    expect([ptypeEveName(12), ptypeEveName(15), ptypeEveName(0)]).toEqual(['BINDACK', 'ALTER_CONTEXT_RESP', 'REQUEST']);
    expect(ptypeName(77)).toBe('ptype_77');
  });

  it('names fault statuses, including the access-denied fault and its aliases', () => {
    expect(faultStatusName(5)).toBe('nca_s_fault_access_denied');
    expect(faultStatusAliases(5)).toContain('rpc_s_access_denied');
    expect(faultStatusName(0x1c010002)).toBe('nca_s_op_rng_error');
    expect(faultStatusName(0x1c010003)).toBe('nca_s_unk_if');
    expect(faultStatusName(0x721)).toBe('nca_s_fault_sec_pkg_error');
    expect(faultStatusName(0x80070005)).toBe('E_ACCESSDENIED');
    expect(faultStatusName(0x12345678)).toBeUndefined();
  });

  it('names auth types and levels as tshark does', () => {
    expect([9, 10, 16, 68, 14, 0].map(authTypeName)).toEqual([
      'SPNEGO',
      'NTLMSSP',
      'Kerberos',
      'Netlogon secure channel',
      'Schannel',
      'none',
    ]);
    expect([2, 4, 5, 6].map(authLevelName)).toEqual(['connect', 'packet', 'packet integrity', 'packet privacy']);
    expect(authTypeName(200)).toBe('auth_type_200');
  });

  it('names bind results, reasons and transfer syntaxes', () => {
    expect([0, 1, 2, 3].map(contextResultName)).toEqual([
      'acceptance',
      'user_rejection',
      'provider_rejection',
      'negotiate_ack',
    ]);
    expect(providerReasonName(2)).toBe('proposed_transfer_syntaxes_not_supported');
    expect(bindNakReasonName(8)).toBe('authentication_type_not_recognized');
    expect(transferSyntaxName('8a885d04-1ceb-11c9-9fe8-08002b104860')).toBe('NDR');
    expect(transferSyntaxName('71710533-beba-4937-8319-b5dbef9ccc36')).toBe('NDR64');
    expect(transferSyntaxName('6cb71c2c-9812-4540-0300-000000000000')).toBe('BTFN');
  });
});
