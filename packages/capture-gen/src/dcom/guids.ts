/**
 * Interface identifiers and class identifiers used by DCOM/WMI sessions
 * (MS-DCOM 1.9, MS-WMI 1.9, MS-OAUT 1.9; RESEARCH.md 2.3, 2.4).
 */

export const IID = {
  IRemoteSCMActivator: '000001a0-0000-0000-c000-000000000046',
  IActivation: '4d9f4ab8-7d1c-11cf-861e-0020af6e7c57',
  IObjectExporter: '99fcfec4-5260-101b-bbcb-00aa0021347a',
  IUnknown: '00000000-0000-0000-c000-000000000046',
  IClassFactory: '00000001-0000-0000-c000-000000000046',
  IRemUnknown: '00000131-0000-0000-c000-000000000046',
  IRemUnknown2: '00000143-0000-0000-c000-000000000046',
  IActivationPropertiesIn: '000001a2-0000-0000-c000-000000000046',
  IActivationPropertiesOut: '000001a3-0000-0000-c000-000000000046',
  IContext: '000001c0-0000-0000-c000-000000000046',
  IWbemLevel1Login: 'f309ad18-d86a-11d0-a075-00c04fb68820',
  IWbemLoginClientID: 'd4781cd6-e5d3-44df-ad94-930efe48a887',
  IWbemServices: '9556dc99-828c-11cf-a37e-00aa003240c7',
  IEnumWbemClassObject: '027947e1-d731-11ce-a357-000000000001',
  IWbemCallResult: '44aca675-e8fc-11d0-a07c-00c04fb68820',
  IWbemClassObject: 'dc12a681-737f-11cf-884d-00aa004b2e24',
  IDispatch: '00020400-0000-0000-c000-000000000046',
  NULL: '00000000-0000-0000-0000-000000000000',
} as const;

export const CLSID = {
  ActivationPropertiesIn: '00000338-0000-0000-c000-000000000046',
  ActivationPropertiesOut: '00000339-0000-0000-c000-000000000046',
  ContextMarshaler: '0000033b-0000-0000-c000-000000000046',
  SpecialSystemProperties: '000001b9-0000-0000-c000-000000000046',
  InstantiationInfo: '000001ab-0000-0000-c000-000000000046',
  ActivationContextInfo: '000001a5-0000-0000-c000-000000000046',
  SecurityInfo: '000001a6-0000-0000-c000-000000000046',
  ServerLocationInfo: '000001a4-0000-0000-c000-000000000046',
  ScmRequestInfo: '000001aa-0000-0000-c000-000000000046',
  PropsOutInfo: '00000339-0000-0000-c000-000000000046',
  ScmReplyInfo: '000001b6-0000-0000-c000-000000000046',
  /** CLSID_WbemLevel1Login: the WMI activation target (KPN rule 4103001). */
  WbemLevel1Login: '8bc3f05e-d86b-11d0-a075-00c04fb68820',
  /** CLSID_WbemClassObject: custom-marshaled IWbemClassObject (MS-WMI 2.2.4.1). */
  WbemClassObject: '4590f812-1d3a-11d0-891f-00aa004b2e24',
  MMC20Application: '49b2791a-b1ae-4c90-9b8e-e860ba07f889',
  ShellWindows: '9ba05972-f6a8-11cf-a442-00a0c90a8f39',
  ShellBrowserWindow: 'c08afd90-f2a1-11d1-8455-00a0c91f3880',
  ExcelApplication: '00024500-0000-0000-c000-000000000046',
} as const;

/** MS-DCOM 2.2.19.3 tower ids. */
export const TOWER = { ncacn_ip_tcp: 0x07, ncacn_np: 0x0f, ncacn_http: 0x1f } as const;

/** Display names for interface UUIDs (ground-truth facts only; decoders keep their own tables). */
export const INTERFACE_NAMES: Record<string, string> = {
  [IID.IRemoteSCMActivator]: 'ISystemActivator',
  [IID.IActivation]: 'IActivation',
  [IID.IObjectExporter]: 'IOXIDResolver',
  [IID.IRemUnknown]: 'IRemUnknown',
  [IID.IRemUnknown2]: 'IRemUnknown2',
  [IID.IWbemLevel1Login]: 'IWbemLevel1Login',
  [IID.IWbemLoginClientID]: 'IWbemLoginClientID',
  [IID.IWbemServices]: 'IWbemServices',
  [IID.IEnumWbemClassObject]: 'IEnumWbemClassObject',
  [IID.IWbemCallResult]: 'IWbemCallResult',
  [IID.IDispatch]: 'IDispatch',
  [IID.IClassFactory]: 'IClassFactory',
};

export const CLSID_NAMES: Record<string, string> = {
  [CLSID.WbemLevel1Login]: 'WbemLevel1Login',
  [CLSID.MMC20Application]: 'MMC20.Application',
  [CLSID.ShellWindows]: 'ShellWindows',
  [CLSID.ShellBrowserWindow]: 'ShellBrowserWindow',
  [CLSID.ExcelApplication]: 'Excel.Application',
};

const OPERATIONS: Record<string, string[]> = {
  [IID.IObjectExporter]: ['ResolveOxid', 'SimplePing', 'ComplexPing', 'ServerAlive', 'ResolveOxid2', 'ServerAlive2'],
  [IID.IRemoteSCMActivator]: ['', '', '', 'RemoteGetClassObject', 'RemoteCreateInstance'],
  [IID.IRemUnknown]: ['', '', '', 'RemQueryInterface', 'RemAddRef', 'RemRelease'],
  [IID.IRemUnknown2]: ['', '', '', 'RemQueryInterface', 'RemAddRef', 'RemRelease', 'RemQueryInterface2'],
  [IID.IWbemLevel1Login]: ['', '', '', 'EstablishPosition', 'RequestChallenge', 'WBEMLogin', 'NTLMLogin'],
  [IID.IWbemLoginClientID]: ['', '', '', 'SetClientInfo'],
  [IID.IWbemServices]: [
    '',
    '',
    '',
    'OpenNamespace',
    'CancelAsyncCall',
    'QueryObjectSink',
    'GetObject',
    'GetObjectAsync',
    'PutClass',
    'PutClassAsync',
    'DeleteClass',
    'DeleteClassAsync',
    'CreateClassEnum',
    'CreateClassEnumAsync',
    'PutInstance',
    'PutInstanceAsync',
    'DeleteInstance',
    'DeleteInstanceAsync',
    'CreateInstanceEnum',
    'CreateInstanceEnumAsync',
    'ExecQuery',
    'ExecQueryAsync',
    'ExecNotificationQuery',
    'ExecNotificationQueryAsync',
    'ExecMethod',
    'ExecMethodAsync',
  ],
  [IID.IEnumWbemClassObject]: ['', '', '', 'Reset', 'Next', 'NextAsync', 'Clone', 'Skip'],
  [IID.IDispatch]: ['', '', '', 'GetTypeInfoCount', 'GetTypeInfo', 'GetIDsOfNames', 'Invoke'],
};

/** Operation name of (interface, opnum) for ground-truth facts; '' when not modelled. */
export function operationName(iface: string, opnum: number): string {
  return OPERATIONS[iface]?.[opnum] ?? '';
}
