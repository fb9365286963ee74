/**
 * UUIDs of the DCOM / WMI interfaces and classes the stub decoders dispatch on (RESEARCH.md §2.3; MS-DCOM,
 * MS-WMI, MS-OAUT), canonical lower-case. Display names and operation names live in dcerpc/names.ts.
 */

export const IID = {
  IObjectExporter: '99fcfec4-5260-101b-bbcb-00aa0021347a',
  ISystemActivator: '000001a0-0000-0000-c000-000000000046',
  IActivation: '4d9f4ab8-7d1c-11cf-861e-0020af6e7c57',
  IRemUnknown: '00000131-0000-0000-c000-000000000046',
  IRemUnknown2: '00000143-0000-0000-c000-000000000046',
  IUnknown: '00000000-0000-0000-c000-000000000046',
  IClassFactory: '00000001-0000-0000-c000-000000000046',
  IWbemLevel1Login: 'f309ad18-d86a-11d0-a075-00c04fb68820',
  IWbemLoginClientID: 'd4781cd6-e5d3-44df-ad94-930efe48a887',
  IWbemLoginClientIDEx: '9f6c78ef-fce5-42fa-abea-3e7df91921dc',
  IWbemLoginHelper: '541679ab-2e5f-11d3-b34e-00104bcc4b4a',
  IWbemServices: '9556dc99-828c-11cf-a37e-00aa003240c7',
  IEnumWbemClassObject: '027947e1-d731-11ce-a357-000000000001',
  IWbemCallResult: '44aca675-e8fc-11d0-a07c-00c04fb68820',
  IWbemFetchSmartEnum: '1c1c45ee-4395-11d2-b60b-00104b703efd',
  IWbemWCOSmartEnum: '423ec01e-2e35-11d2-b604-00104b703efd',
  IWbemObjectSink: '7c857801-7381-11cf-884d-00aa004b2e24',
  IWbemContext: '44aca674-e8fc-11d0-a07c-00c04fb68820',
  IWbemClassObject: 'dc12a681-737f-11cf-884d-00aa004b2e24',
  IDispatch: '00020400-0000-0000-c000-000000000046',
  ITypeInfo: '00020401-0000-0000-c000-000000000046',
  IProvideClassInfo: 'b196b283-bab4-101a-b69c-00aa00341d07',
  IActivationPropertiesIn: '000001a2-0000-0000-c000-000000000046',
  IActivationPropertiesOut: '000001a3-0000-0000-c000-000000000046',
  epmapper: 'e1af8308-5d1f-11c9-91a4-08002b14a0fa',
} as const;

export const CLSID_WBEM_CLASS_OBJECT = '4590f812-1d3a-11d0-891f-00aa004b2e24';
export const CLSID_WBEM_CONTEXT = '674b6698-ee92-11d0-ad71-00c04fd8fdff';
