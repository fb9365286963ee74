/**
 * Names for what the wire carries as numbers: interface UUIDs, opnums per interface, PTYPEs, fault statuses, auth
 * types and levels, bind results and reasons. Used by the EVE logger (`dcerpc.interface.name`, `operation`) and the
 * insight layers; never by detection, which compares numbers and canonical UUIDs.
 *
 * Sources, per table below: the Microsoft Open Specifications (MS-DCOM, MS-WMI, MS-OAUT, MS-SCMR, MS-SAMR, MS-LSAD,
 * MS-LSAT, MS-NRPC, MS-DRSR, MS-SRVS, MS-WKST, MS-RRP, MS-RPRN, MS-PAR, MS-EFSR, MS-TSCH, MS-DSSP, MS-BKRP, MS-NSPI,
 * MS-OXCRPC, MS-RPCE), C706 (epmapper, mgmt, fault statuses), impacket (fortra/impacket impacket/dcerpc/v5/*.py:
 * opnum request classes and rpc_status_codes), Zeek (zeek/zeek scripts/base/protocols/dce-rpc/consts.zeek) and
 * Wireshark's dcerpc value strings (`tshark -G values`) where the specs name a slot "OpnumNNNotUsedOnWire".
 * Every opnum that appears in the corpus facts (`request_opnums` of /work/shared/corpus/facts/*\/*.json) is named.
 *
 * Erratum carried by peers and fixed here: IWbemServices opnums 16/17 are DeleteInstance/DeleteInstanceAsync
 * (MS-WMI 3.1.4.3, impacket wmi.py); Zeek's consts.zeek and tables derived from it call them DeleteClass*.
 */
import { AUTH_LEVEL, AUTH_TYPE, BTFN_UUID_PREFIX, NDR_UUID, NDR64_UUID } from './constants.js';

export interface InterfaceInfo {
  /** Canonical lower-case UUID. */
  readonly uuid: string;
  /** Display name (the one Windows tooling / the specs use). */
  readonly name: string;
  /** Protocol or service it belongs to ("MS-WMI", "MS-DCOM", …). */
  readonly protocol: string;
  /** Operation names indexed by opnum (holes = unnamed / not used on the wire). */
  readonly operations: readonly (string | undefined)[];
}

/** Builds an operation array: names[i] is opnum start + i. */
function ops(start: number, names: readonly (string | null)[]): (string | undefined)[] {
  const out: (string | undefined)[] = new Array(start).fill(undefined);
  for (const n of names) out.push(n ?? undefined);
  return out;
}

const IFACES: InterfaceInfo[] = [];
function def(uuid: string, name: string, protocol: string, operations: (string | undefined)[] = []): void {
  IFACES.push({ uuid, name, protocol, operations });
}

// --- DCOM (MS-DCOM 3.1.2.5.x, 2.2.x; impacket dcomrt.py) -------------------------------------------------------------
// COM interfaces: opnums 0-2 are IUnknown's QueryInterface/AddRef/Release, which DCOM never sends on the wire
// (IRemUnknown does that job), so they stay unnamed.
def('00000000-0000-0000-c000-000000000046', 'IUnknown', 'MS-DCOM');
def(
  '000001a0-0000-0000-c000-000000000046',
  'ISystemActivator',
  'MS-DCOM',
  // IRemoteSCMActivator (MS-DCOM 3.1.2.5.2.3); 0-2 Opnum0/1/2NotUsedOnWire
  ops(3, ['RemoteGetClassObject', 'RemoteCreateInstance']),
);
def('4d9f4ab8-7d1c-11cf-861e-0020af6e7c57', 'IActivation', 'MS-DCOM', ops(0, ['RemoteActivation']));
def(
  '99fcfec4-5260-101b-bbcb-00aa0021347a',
  'IOXIDResolver',
  'MS-DCOM',
  ops(0, ['ResolveOxid', 'SimplePing', 'ComplexPing', 'ServerAlive', 'ResolveOxid2', 'ServerAlive2']),
);
def(
  '00000131-0000-0000-c000-000000000046',
  'IRemUnknown',
  'MS-DCOM',
  ops(3, ['RemQueryInterface', 'RemAddRef', 'RemRelease']),
);
def(
  '00000143-0000-0000-c000-000000000046',
  'IRemUnknown2',
  'MS-DCOM',
  ops(3, ['RemQueryInterface', 'RemAddRef', 'RemRelease', 'RemQueryInterface2']),
);
// IClassFactory (MS-DCOM marshals it by the standard proxy; Wireshark names 3/4)
def('00000001-0000-0000-c000-000000000046', 'IClassFactory', 'COM', ops(3, ['CreateInstance', 'LockServer']));
def('b196b283-bab4-101a-b69c-00aa00341d07', 'IProvideClassInfo', 'COM', ops(3, ['GetClassInfo']));

// --- OLE Automation (MS-OAUT 3.1.4, 3.7.4, 3.11.4) -------------------------------------------------------------------
def(
  '00020400-0000-0000-c000-000000000046',
  'IDispatch',
  'MS-OAUT',
  ops(3, ['GetTypeInfoCount', 'GetTypeInfo', 'GetIDsOfNames', 'Invoke']),
);
def(
  '00020401-0000-0000-c000-000000000046',
  'ITypeInfo',
  'MS-OAUT',
  ops(3, [
    'GetTypeAttr',
    'GetTypeComp',
    'GetFuncDesc',
    'GetVarDesc',
    'GetNames',
    'GetRefTypeOfImplType',
    'GetImplTypeFlags',
    null, // 10 Opnum10NotUsedOnWire (GetIDsOfNames is local)
    null, // 11 Opnum11NotUsedOnWire (Invoke is local)
    'GetDocumentation',
    'GetDllEntry',
    'GetRefTypeInfo',
    null, // 15 Opnum15NotUsedOnWire (AddressOfMember)
    'CreateInstance',
    'GetMops',
    'GetContainingTypeLib',
  ]),
);
def(
  '00020402-0000-0000-c000-000000000046',
  'ITypeLib',
  'MS-OAUT',
  ops(3, [
    'GetTypeInfoCount',
    'GetTypeInfo',
    'GetTypeInfoType',
    'GetTypeInfoOfGuid',
    'GetLibAttr',
    'GetTypeComp',
    'GetDocumentation',
    'IsName',
    'FindName',
  ]),
);

// --- WMI (MS-WMI 3.1.4.x; RESEARCH.md 2.3) ---------------------------------------------------------------------------
def(
  'f309ad18-d86a-11d0-a075-00c04fb68820',
  'IWbemLevel1Login',
  'MS-WMI',
  ops(3, ['EstablishPosition', 'RequestChallenge', 'WBEMLogin', 'NTLMLogin']),
);
def('d4781cd6-e5d3-44df-ad94-930efe48a887', 'IWbemLoginClientID', 'MS-WMI', ops(3, ['SetClientInfo']));
// Not in MS-WMI; seen from Windows 10 clients (OTRF 2020 captures); tshark/Microsoft support tooling name it so
def('9f6c78ef-fce5-42fa-abea-3e7df91921dc', 'IWbemLoginClientIDEx', 'MS-WMI', ops(3, ['SetClientInfoEx']));
def('541679ab-2e5f-11d3-b34e-00104bcc4b4a', 'IWbemLoginHelper', 'MS-WMI', ops(3, ['SetEvent']));
def(
  '9556dc99-828c-11cf-a37e-00aa003240c7',
  'IWbemServices',
  'MS-WMI',
  ops(3, [
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
    'DeleteInstance', // 16: DeleteInstance per MS-WMI/impacket (Zeek: "DeleteClass", wrong)
    'DeleteInstanceAsync', // 17
    'CreateInstanceEnum',
    'CreateInstanceEnumAsync',
    'ExecQuery',
    'ExecQueryAsync',
    'ExecNotificationQuery',
    'ExecNotificationQueryAsync',
    'ExecMethod',
    'ExecMethodAsync',
  ]),
);
def(
  '027947e1-d731-11ce-a357-000000000001',
  'IEnumWbemClassObject',
  'MS-WMI',
  ops(3, ['Reset', 'Next', 'NextAsync', 'Clone', 'Skip']),
);
def(
  '44aca675-e8fc-11d0-a07c-00c04fb68820',
  'IWbemCallResult',
  'MS-WMI',
  ops(3, ['GetResultObject', 'GetResultString', 'GetResultServices', 'GetCallStatus']),
);
def('1c1c45ee-4395-11d2-b60b-00104b703efd', 'IWbemFetchSmartEnum', 'MS-WMI', ops(3, ['GetSmartEnum']));
def('423ec01e-2e35-11d2-b604-00104b703efd', 'IWbemWCOSmartEnum', 'MS-WMI', ops(3, ['Next']));
def('7c857801-7381-11cf-884d-00aa004b2e24', 'IWbemObjectSink', 'MS-WMI', ops(3, ['Indicate', 'SetStatus']));
def('44aca674-e8fc-11d0-a07c-00c04fb68820', 'IWbemContext', 'MS-WMI');
def('dc12a681-737f-11cf-884d-00aa004b2e24', 'IWbemClassObject', 'MS-WMI');
def(
  'f1e9c5b2-f59b-11d2-b362-00105a1f8177',
  'IWbemRemoteRefresher',
  'MS-WMI',
  ops(3, ['RemoteRefresh', 'StopRefreshing']),
);
def(
  '2c9273e0-1dc3-11d3-b364-00105a1f8177',
  'IWbemRefreshingServices',
  'MS-WMI',
  ops(3, [
    'AddObjectToRefresher',
    'AddObjectToRefresherByTemplate',
    'AddEnumToRefresher',
    'RemoveObjectFromRefresher',
    'GetRemoteRefresher',
    'ReconnectRemoteRefresher',
  ]),
);
def('c49e32c7-bc8b-11d2-85d4-00105a1f8304', 'IWbemBackupRestore', 'MS-WMI', ops(3, ['Backup', 'Restore']));
def(
  'a359dec5-e813-4834-8a2a-ba7f1d777d76',
  'IWbemBackupRestoreEx',
  'MS-WMI',
  ops(3, ['Backup', 'Restore', 'Pause', 'Resume']),
);

// --- RPC infrastructure (C706 appendix O/Q; MS-RPCE 2.2.1.2.x) ------------------------------------------------------
def(
  'e1af8308-5d1f-11c9-91a4-08002b14a0fa',
  'epmapper',
  'C706',
  ops(0, [
    'ept_insert',
    'ept_delete',
    'ept_lookup',
    'ept_map',
    'ept_lookup_handle_free',
    'ept_inq_object',
    'ept_mgmt_delete',
    'ept_map_auth',
    'ept_map_auth_async',
  ]),
);
def(
  'afa8bd80-7d8a-11c9-bef4-08002b102989',
  'mgmt',
  'C706',
  ops(0, ['inq_if_ids', 'inq_stats', 'is_server_listening', 'stop_server_listening', 'inq_princ_name']),
);

// --- Service Control Manager (MS-SCMR 3.1.4) -------------------------------------------------------------------------
def(
  '367abb81-9844-35f1-ad32-98f038001003',
  'svcctl',
  'MS-SCMR',
  ops(0, [
    'RCloseServiceHandle',
    'RControlService',
    'RDeleteService',
    'RLockServiceDatabase',
    'RQueryServiceObjectSecurity',
    'RSetServiceObjectSecurity',
    'RQueryServiceStatus',
    'RSetServiceStatus',
    'RUnlockServiceDatabase',
    'RNotifyBootConfigStatus',
    null, // 10 Opnum10NotUsedOnWire
    'RChangeServiceConfigW',
    'RCreateServiceW',
    'REnumDependentServicesW',
    'REnumServicesStatusW',
    'ROpenSCManagerW',
    'ROpenServiceW',
    'RQueryServiceConfigW',
    'RQueryServiceLockStatusW',
    'RStartServiceW',
    'RGetServiceDisplayNameW',
    'RGetServiceKeyNameW',
    null, // 22 Opnum22NotUsedOnWire
    'RChangeServiceConfigA',
    'RCreateServiceA',
    'REnumDependentServicesA',
    'REnumServicesStatusA',
    'ROpenSCManagerA',
    'ROpenServiceA',
    'RQueryServiceConfigA',
    'RQueryServiceLockStatusA',
    'RStartServiceA',
    'RGetServiceDisplayNameA',
    'RGetServiceKeyNameA',
    null, // 34 Opnum34NotUsedOnWire
    'REnumServiceGroupW',
    'RChangeServiceConfig2A',
    'RChangeServiceConfig2W',
    'RQueryServiceConfig2A',
    'RQueryServiceConfig2W',
    'RQueryServiceStatusEx',
    'REnumServicesStatusExA',
    'REnumServicesStatusExW',
    null, // 43 Opnum43NotUsedOnWire
    'RCreateServiceWOW64A',
    'RCreateServiceWOW64W',
    null, // 46 Opnum46NotUsedOnWire
    'RNotifyServiceStatusChange',
    'RGetNotifyResults',
    'RCloseNotifyHandle',
    'RControlServiceExA',
    'RControlServiceExW',
    null, // 52
    null, // 53
    null, // 54
    null, // 55
    'RQueryServiceConfigEx',
    null, // 57
    null, // 58
    null, // 59
    'RCreateWowService',
    null, // 61
    null, // 62
    null, // 63
    'ROpenSCManager2', // 64: tried first by Windows 10+ clients; older servers fault nca_s_op_rng_error (corpus)
  ]),
);

// --- Task scheduler (MS-TSCH 3.2.5) ----------------------------------------------------------------------------------
def(
  '86d35949-83c9-4044-b424-db363231fd0c',
  'ITaskSchedulerService',
  'MS-TSCH',
  ops(0, [
    'SchRpcHighestVersion',
    'SchRpcRegisterTask',
    'SchRpcRetrieveTask',
    'SchRpcCreateFolder',
    'SchRpcSetSecurity',
    'SchRpcGetSecurity',
    'SchRpcEnumFolders',
    'SchRpcEnumTasks',
    'SchRpcEnumInstances',
    'SchRpcGetInstanceInfo',
    'SchRpcStopInstance',
    'SchRpcStop',
    'SchRpcRun',
    'SchRpcDelete',
    'SchRpcRename',
    'SchRpcScheduledRuntimes',
    'SchRpcGetLastRunInfo',
    'SchRpcGetTaskInfo',
    'SchRpcGetNumberOfMissedRuns',
    'SchRpcEnableTask',
  ]),
);
def(
  '1ff70682-0a51-30e8-076d-740be8cee98b',
  'atsvc',
  'MS-TSCH',
  ops(0, ['NetrJobAdd', 'NetrJobDel', 'NetrJobEnum', 'NetrJobGetInfo']),
);
def(
  '378e52b0-c0a9-11cf-822d-00aa0051e40f',
  'sasec',
  'MS-TSCH',
  ops(0, [
    'SASetAccountInformation',
    'SASetNSAccountInformation',
    'SAGetNSAccountInformation',
    'SAGetAccountInformation',
  ]),
);

// --- SAM (MS-SAMR 3.1.5; names of unused slots from Zeek/Wireshark) --------------------------------------------------
def(
  '12345778-1234-abcd-ef00-0123456789ac',
  'samr',
  'MS-SAMR',
  ops(0, [
    'SamrConnect',
    'SamrCloseHandle',
    'SamrSetSecurityObject',
    'SamrQuerySecurityObject',
    'SamrShutdownSamServer',
    'SamrLookupDomainInSamServer',
    'SamrEnumerateDomainsInSamServer',
    'SamrOpenDomain',
    'SamrQueryInformationDomain',
    'SamrSetInformationDomain',
    'SamrCreateGroupInDomain',
    'SamrEnumerateGroupsInDomain',
    'SamrCreateUserInDomain',
    'SamrEnumerateUsersInDomain',
    'SamrCreateAliasInDomain',
    'SamrEnumerateAliasesInDomain',
    'SamrGetAliasMembership',
    'SamrLookupNamesInDomain',
    'SamrLookupIdsInDomain',
    'SamrOpenGroup',
    'SamrQueryInformationGroup',
    'SamrSetInformationGroup',
    'SamrAddMemberToGroup',
    'SamrDeleteGroup',
    'SamrRemoveMemberFromGroup',
    'SamrGetMembersInGroup',
    'SamrSetMemberAttributesOfGroup',
    'SamrOpenAlias',
    'SamrQueryInformationAlias',
    'SamrSetInformationAlias',
    'SamrDeleteAlias',
    'SamrAddMemberToAlias',
    'SamrRemoveMemberFromAlias',
    'SamrGetMembersInAlias',
    'SamrOpenUser',
    'SamrDeleteUser',
    'SamrQueryInformationUser',
    'SamrSetInformationUser',
    'SamrChangePasswordUser',
    'SamrGetGroupsForUser',
    'SamrQueryDisplayInformation',
    'SamrGetDisplayEnumerationIndex',
    'SamrTestPrivateFunctionsDomain',
    'SamrTestPrivateFunctionsUser',
    'SamrGetUserDomainPasswordInformation',
    'SamrRemoveMemberFromForeignDomain',
    'SamrQueryInformationDomain2',
    'SamrQueryInformationUser2',
    'SamrQueryDisplayInformation2',
    'SamrGetDisplayEnumerationIndex2',
    'SamrCreateUser2InDomain',
    'SamrQueryDisplayInformation3',
    'SamrAddMultipleMembersToAlias',
    'SamrRemoveMultipleMembersFromAlias',
    'SamrOemChangePasswordUser2',
    'SamrUnicodeChangePasswordUser2',
    'SamrGetDomainPasswordInformation',
    'SamrConnect2',
    'SamrSetInformationUser2',
    'SamrSetBootKeyInformation',
    'SamrGetBootKeyInformation',
    'SamrConnect3',
    'SamrConnect4',
    'SamrUnicodeChangePasswordUser3',
    'SamrConnect5',
    'SamrRidToSid',
    'SamrSetDSRMPassword',
    'SamrValidatePassword',
    'SamrQueryLocalizableAccountsInDomain',
    'SamrPerformGenericOperation',
  ]),
);

// --- LSA (MS-LSAD 3.1.4, MS-LSAT 3.1.4; unused slots named as in Zeek/Wireshark) --------------------------------------
def(
  '12345778-1234-abcd-ef00-0123456789ab',
  'lsarpc',
  'MS-LSAD',
  ops(0, [
    'LsarClose',
    'LsarDelete',
    'LsarEnumeratePrivileges',
    'LsarQuerySecurityObject',
    'LsarSetSecurityObject',
    'LsarChangePassword',
    'LsarOpenPolicy',
    'LsarQueryInformationPolicy',
    'LsarSetInformationPolicy',
    'LsarClearAuditLog',
    'LsarCreateAccount',
    'LsarEnumerateAccounts',
    'LsarCreateTrustedDomain',
    'LsarEnumerateTrustedDomains',
    'LsarLookupNames',
    'LsarLookupSids',
    'LsarCreateSecret',
    'LsarOpenAccount',
    'LsarEnumeratePrivilegesAccount',
    'LsarAddPrivilegesToAccount',
    'LsarRemovePrivilegesFromAccount',
    'LsarGetQuotasForAccount',
    'LsarSetQuotasForAccount',
    'LsarGetSystemAccessAccount',
    'LsarSetSystemAccessAccount',
    'LsarOpenTrustedDomain',
    'LsarQueryInfoTrustedDomain',
    'LsarSetInformationTrustedDomain',
    'LsarOpenSecret',
    'LsarSetSecret',
    'LsarQuerySecret',
    'LsarLookupPrivilegeValue',
    'LsarLookupPrivilegeName',
    'LsarLookupPrivilegeDisplayName',
    'LsarDeleteObject',
    'LsarEnumerateAccountsWithUserRight',
    'LsarEnumerateAccountRights',
    'LsarAddAccountRights',
    'LsarRemoveAccountRights',
    'LsarQueryTrustedDomainInfo',
    'LsarSetTrustedDomainInfo',
    'LsarDeleteTrustedDomain',
    'LsarStorePrivateData',
    'LsarRetrievePrivateData',
    'LsarOpenPolicy2',
    'LsarGetUserName',
    'LsarQueryInformationPolicy2',
    'LsarSetInformationPolicy2',
    'LsarQueryTrustedDomainInfoByName',
    'LsarSetTrustedDomainInfoByName',
    'LsarEnumerateTrustedDomainsEx',
    'LsarCreateTrustedDomainEx',
    'LsarCloseTrustedDomainEx',
    'LsarQueryDomainInformationPolicy',
    'LsarSetDomainInformationPolicy',
    'LsarOpenTrustedDomainByName',
    'LsarTestCall',
    'LsarLookupSids2',
    'LsarLookupNames2',
    'LsarCreateTrustedDomainEx2',
    'CredrWrite',
    'CredrRead',
    'CredrEnumerate',
    'CredrWriteDomainCredentials',
    'CredrReadDomainCredentials',
    'CredrDelete',
    'CredrGetTargetInfo',
    'CredrProfileLoaded',
    'LsarLookupNames3',
    'CredrGetSessionTypes',
    'LsarRegisterAuditEvent',
    'LsarGenAuditEvent',
    'LsarUnregisterAuditEvent',
    'LsarQueryForestTrustInformation',
    'LsarSetForestTrustInformation',
    'CredrRename',
    'LsarLookupSids3',
    'LsarLookupNames4',
    'LsarOpenPolicySce',
    'LsarAdtRegisterSecurityEventSource',
    'LsarAdtUnregisterSecurityEventSource',
    'LsarAdtReportSecurityEvent',
  ]),
);

// --- Netlogon (MS-NRPC 3.5.4) ----------------------------------------------------------------------------------------
def(
  '12345678-1234-abcd-ef00-01234567cffb',
  'netlogon',
  'MS-NRPC',
  ops(0, [
    'NetrLogonUasLogon',
    'NetrLogonUasLogoff',
    'NetrLogonSamLogon',
    'NetrLogonSamLogoff',
    'NetrServerReqChallenge',
    'NetrServerAuthenticate',
    'NetrServerPasswordSet',
    'NetrDatabaseDeltas',
    'NetrDatabaseSync',
    'NetrAccountDeltas',
    'NetrAccountSync',
    'NetrGetDCName',
    'NetrLogonControl',
    'NetrGetAnyDCName',
    'NetrLogonControl2',
    'NetrServerAuthenticate2',
    'NetrDatabaseSync2',
    'NetrDatabaseRedo',
    'NetrLogonControl2Ex',
    'NetrEnumerateTrustedDomains',
    'DsrGetDcName',
    'NetrLogonGetCapabilities',
    'NetrLogonSetServiceBits',
    'NetrLogonGetTrustRid',
    'NetrLogonComputeServerDigest',
    'NetrLogonComputeClientDigest',
    'NetrServerAuthenticate3', // 26: the Zerologon (CVE-2020-1472) call
    'DsrGetDcNameEx',
    'DsrGetSiteName',
    'NetrLogonGetDomainInfo',
    'NetrServerPasswordSet2', // 30: Zerologon's password reset
    'NetrServerPasswordGet',
    'NetrLogonSendToSam',
    'DsrAddressToSiteNamesW',
    'DsrGetDcNameEx2',
    'NetrLogonGetTimeServiceParentDomain',
    'NetrEnumerateTrustedDomainsEx',
    'DsrAddressToSiteNamesExW',
    'DsrGetDcSiteCoverageW',
    'NetrLogonSamLogonEx',
    'DsrEnumerateDomainTrusts',
    'DsrDeregisterDnsHostRecords',
    'NetrServerTrustPasswordsGet',
    'DsrGetForestTrustInformation',
    'NetrGetForestTrustInformation',
    'NetrLogonSamLogonWithFlags',
    'NetrServerGetTrustInfo',
    null, // 47 Opnum47NotUsedOnWire
    'DsrUpdateReadOnlyServerDnsRecords',
    'NetrChainSetClientAttributes',
  ]),
);

// --- Directory replication (MS-DRSR 4.1) -----------------------------------------------------------------------------
def(
  'e3514235-4b06-11d1-ab04-00c04fc2dcd2',
  'drsuapi',
  'MS-DRSR',
  ops(0, [
    'DRSBind',
    'DRSUnbind',
    'DRSReplicaSync',
    'DRSGetNCChanges', // 3: DCSync
    'DRSUpdateRefs',
    'DRSReplicaAdd',
    'DRSReplicaDel',
    'DRSReplicaModify',
    'DRSVerifyNames',
    'DRSGetMemberships',
    'DRSInterDomainMove',
    'DRSGetNT4ChangeLog',
    'DRSCrackNames',
    'DRSWriteSPN',
    'DRSRemoveDsServer',
    'DRSRemoveDsDomain',
    'DRSDomainControllerInfo',
    'DRSAddEntry',
    'DRSExecuteKCC',
    'DRSGetReplInfo',
    'DRSAddSidHistory',
    'DRSGetMemberships2',
    'DRSReplicaVerifyObjects',
    'DRSGetObjectExistence',
    'DRSQuerySitesByCost',
    'DRSInitDemotion',
    'DRSReplicaDemotion',
    'DRSFinishDemotion',
    'DRSAddCloneDC',
    'DRSWriteNgcKey',
    'DRSReadNgcKey',
  ]),
);
def('3919286a-b10c-11d0-9ba8-00c04fd92ef5', 'dssetup', 'MS-DSSP', ops(0, ['DsRolerGetPrimaryDomainInformation']));
def('3dde7c30-165d-11d1-ab8f-00805f14db40', 'BackupKey', 'MS-BKRP', ops(0, ['BackuprKey']));

// --- Server and workstation services (MS-SRVS 3.1.4, MS-WKST 3.2.4) ---------------------------------------------------
def(
  '4b324fc8-1670-01d3-1278-5a47bf6ee188',
  'srvsvc',
  'MS-SRVS',
  ops(0, [
    'NetrCharDevEnum',
    'NetrCharDevGetInfo',
    'NetrCharDevControl',
    'NetrCharDevQEnum',
    'NetrCharDevQGetInfo',
    'NetrCharDevQSetInfo',
    'NetrCharDevQPurge',
    'NetrCharDevQPurgeSelf',
    'NetrConnectionEnum',
    'NetrFileEnum',
    'NetrFileGetInfo',
    'NetrFileClose',
    'NetrSessionEnum',
    'NetrSessionDel',
    'NetrShareAdd',
    'NetrShareEnum',
    'NetrShareGetInfo',
    'NetrShareSetInfo',
    'NetrShareDel',
    'NetrShareDelSticky',
    'NetrShareCheck',
    'NetrServerGetInfo',
    'NetrServerSetInfo',
    'NetrServerDiskEnum',
    'NetrServerStatisticsGet',
    'NetrServerTransportAdd',
    'NetrServerTransportEnum',
    'NetrServerTransportDel',
    'NetrRemoteTOD',
    'NetrServerSetServiceBits',
    'NetprPathType',
    'NetprPathCanonicalize',
    'NetprPathCompare',
    'NetprNameValidate',
    'NetprNameCanonicalize',
    'NetprNameCompare',
    'NetrShareEnumSticky',
    'NetrShareDelStart',
    'NetrShareDelCommit',
    'NetrpGetFileSecurity',
    'NetrpSetFileSecurity',
    'NetrServerTransportAddEx',
    'NetrServerSetServiceBitsEx',
    'NetrDfsGetVersion',
    'NetrDfsCreateLocalPartition',
    'NetrDfsDeleteLocalPartition',
    'NetrDfsSetLocalVolumeState',
    'NetrDfsSetServerInfo',
    'NetrDfsCreateExitPoint',
    'NetrDfsDeleteExitPoint',
    'NetrDfsModifyPrefix',
    'NetrDfsFixLocalVolume',
    'NetrDfsManagerReportSiteInfo',
    'NetrServerTransportDelEx',
    'NetrServerAliasAdd',
    'NetrServerAliasEnum',
    'NetrServerAliasDel',
    'NetrShareDelEx',
  ]),
);
def(
  '6bffd098-a112-3610-9833-46c3f87e345a',
  'wkssvc',
  'MS-WKST',
  ops(0, [
    'NetrWkstaGetInfo',
    'NetrWkstaSetInfo',
    'NetrWkstaUserEnum',
    'NetrWkstaUserGetInfo',
    'NetrWkstaUserSetInfo',
    'NetrWkstaTransportEnum',
    'NetrWkstaTransportAdd',
    'NetrWkstaTransportDel',
    'NetrUseAdd',
    'NetrUseGetInfo',
    'NetrUseDel',
    'NetrUseEnum',
    'NetrMessageBufferSend',
    'NetrWorkstationStatisticsGet',
    'NetrLogonDomainNameAdd',
    'NetrLogonDomainNameDel',
    'NetrJoinDomain',
    'NetrUnjoinDomain',
    'NetrValidateName',
    'NetrRenameMachineInDomain',
    'NetrGetJoinInformation',
    'NetrGetJoinableOUs',
    'NetrJoinDomain2',
    'NetrUnjoinDomain2',
    'NetrRenameMachineInDomain2',
    'NetrValidateName2',
    'NetrGetJoinableOUs2',
    'NetrAddAlternateComputerName',
    'NetrRemoveAlternateComputerName',
    'NetrSetPrimaryComputerName',
    'NetrEnumerateComputerNames',
    'NetrWorkstationResetDfsCache',
  ]),
);

// --- Remote registry (MS-RRP 3.1.5) ----------------------------------------------------------------------------------
def(
  '338cd001-2244-31f1-aaaa-900038001003',
  'winreg',
  'MS-RRP',
  ops(0, [
    'OpenClassesRoot',
    'OpenCurrentUser',
    'OpenLocalMachine',
    'OpenPerformanceData',
    'OpenUsers',
    'BaseRegCloseKey',
    'BaseRegCreateKey',
    'BaseRegDeleteKey',
    'BaseRegDeleteValue',
    'BaseRegEnumKey',
    'BaseRegEnumValue',
    'BaseRegFlushKey',
    'BaseRegGetKeySecurity',
    'BaseRegLoadKey',
    null, // 14 Opnum14NotImplemented
    'BaseRegOpenKey',
    'BaseRegQueryInfoKey',
    'BaseRegQueryValue',
    'BaseRegReplaceKey',
    'BaseRegRestoreKey',
    'BaseRegSaveKey',
    'BaseRegSetKeySecurity',
    'BaseRegSetValue',
    'BaseRegUnLoadKey',
    'BaseInitiateSystemShutdown',
    'BaseAbortSystemShutdown',
    'BaseRegGetVersion',
    'OpenCurrentConfig',
    null, // 28 Opnum28NotImplemented
    'BaseRegQueryMultipleValues',
    'BaseInitiateSystemShutdownEx',
    'BaseRegSaveKeyEx',
    'OpenPerformanceText',
    'OpenPerformanceNlsText',
    'BaseRegQueryMultipleValues2',
    'BaseRegDeleteKeyEx',
  ]),
);

// --- Print spooler (MS-RPRN 3.1.4, MS-PAR 3.1.4) -------------------------------------------------------------------
def(
  '12345678-1234-abcd-ef00-0123456789ab',
  'spoolss',
  'MS-RPRN',
  ops(0, [
    'RpcEnumPrinters',
    'RpcOpenPrinter',
    'RpcSetJob',
    'RpcGetJob',
    'RpcEnumJobs',
    'RpcAddPrinter',
    'RpcDeletePrinter',
    'RpcSetPrinter',
    'RpcGetPrinter',
    'RpcAddPrinterDriver',
    'RpcEnumPrinterDrivers',
    'RpcGetPrinterDriver',
    'RpcGetPrinterDriverDirectory',
    'RpcDeletePrinterDriver',
    'RpcAddPrintProcessor',
    'RpcEnumPrintProcessors',
    'RpcGetPrintProcessorDirectory',
    'RpcStartDocPrinter',
    'RpcStartPagePrinter',
    'RpcWritePrinter',
    'RpcEndPagePrinter',
    'RpcAbortPrinter',
    'RpcReadPrinter',
    'RpcEndDocPrinter',
    'RpcAddJob',
    'RpcScheduleJob',
    'RpcGetPrinterData',
    'RpcSetPrinterData',
    'RpcWaitForPrinterChange',
    'RpcClosePrinter',
    'RpcAddForm',
    'RpcDeleteForm',
    'RpcGetForm',
    'RpcSetForm',
    'RpcEnumForms',
    'RpcEnumPorts',
    'RpcEnumMonitors',
    'RpcAddPort',
    'RpcConfigurePort',
    'RpcDeletePort',
    'RpcCreatePrinterIC',
    'RpcPlayGdiScriptOnPrinterIC',
    'RpcDeletePrinterIC',
    'RpcAddPrinterConnection',
    'RpcDeletePrinterConnection',
    'RpcPrinterMessageBox',
    'RpcAddMonitor',
    'RpcDeleteMonitor',
    'RpcDeletePrintProcessor',
    'RpcAddPrintProvidor',
    'RpcDeletePrintProvidor',
    'RpcEnumPrintProcessorDatatypes',
    'RpcResetPrinter',
    'RpcGetPrinterDriver2',
    'RpcClientFindFirstPrinterChangeNotification',
    'RpcFindNextPrinterChangeNotification',
    'RpcFindClosePrinterChangeNotification',
    'RpcRouterFindFirstPrinterChangeNotificationOld',
    'RpcReplyOpenPrinter',
    'RpcRouterReplyPrinter',
    'RpcReplyClosePrinter',
    'RpcAddPortEx',
    'RpcRemoteFindFirstPrinterChangeNotification',
    'RpcSpoolerInit',
    'RpcResetPrinterEx',
    'RpcRemoteFindFirstPrinterChangeNotificationEx', // 65: the "printer bug" coercion call
    'RpcRouterReplyPrinterEx',
    'RpcRouterRefreshPrinterChangeNotification',
    'RpcSetAllocFailCount',
    'RpcOpenPrinterEx',
    'RpcAddPrinterEx',
    'RpcSetPort',
    'RpcEnumPrinterData',
    'RpcDeletePrinterData',
    'RpcClusterSplOpen',
    'RpcClusterSplClose',
    'RpcClusterSplIsAlive',
    'RpcSetPrinterDataEx',
    'RpcGetPrinterDataEx',
    'RpcEnumPrinterDataEx',
    'RpcEnumPrinterKey',
    'RpcDeletePrinterDataEx',
    'RpcDeletePrinterKey',
    'RpcSeekPrinter',
    'RpcDeletePrinterDriverEx',
    'RpcAddPerMachineConnection',
    'RpcDeletePerMachineConnection',
    'RpcEnumPerMachineConnections',
    'RpcXcvData',
    'RpcAddPrinterDriverEx', // 89: PrintNightmare (CVE-2021-1675/34527)
    // 90+: numbering differs between MS-RPRN revisions and peers' tables; left unnamed rather than guessed
  ]),
);
def(
  '76f03f96-cdfd-44fc-a22c-64950a001209',
  'IRemoteWinspool',
  'MS-PAR',
  ops(0, [
    'RpcAsyncOpenPrinter',
    'RpcAsyncAddPrinter',
    'RpcAsyncSetJob',
    'RpcAsyncGetJob',
    'RpcAsyncEnumJobs',
    'RpcAsyncAddJob',
    'RpcAsyncScheduleJob',
    'RpcAsyncDeletePrinter',
    'RpcAsyncSetPrinter',
    'RpcAsyncGetPrinter',
    'RpcAsyncStartDocPrinter',
    'RpcAsyncStartPagePrinter',
    'RpcAsyncWritePrinter',
    'RpcAsyncEndPagePrinter',
    'RpcAsyncEndDocPrinter',
    'RpcAsyncAbortPrinter',
    'RpcAsyncGetPrinterData',
    'RpcAsyncGetPrinterDataEx',
    'RpcAsyncSetPrinterData',
    'RpcAsyncSetPrinterDataEx',
    'RpcAsyncClosePrinter',
    'RpcAsyncAddForm',
    'RpcAsyncDeleteForm',
    'RpcAsyncGetForm',
    'RpcAsyncSetForm',
    'RpcAsyncEnumForms',
    'RpcAsyncGetPrinterDriver',
    'RpcAsyncEnumPrinterData',
    'RpcAsyncEnumPrinterDataEx',
    'RpcAsyncEnumPrinterKey',
    'RpcAsyncDeletePrinterData',
    'RpcAsyncDeletePrinterDataEx',
    'RpcAsyncDeletePrinterKey',
    'RpcAsyncXcvData',
    'RpcAsyncSendRecvBidiData',
    'RpcAsyncCreatePrinterIC',
    'RpcAsyncPlayGdiScriptOnPrinterIC',
    'RpcAsyncDeletePrinterIC',
    'RpcAsyncEnumPrinters',
    'RpcAsyncAddPrinterDriver', // 39: PrintNightmare over MS-PAR
    'RpcAsyncEnumPrinterDrivers',
    'RpcAsyncGetPrinterDriverDirectory',
    'RpcAsyncDeletePrinterDriver',
    'RpcAsyncDeletePrinterDriverEx',
    'RpcAsyncAddPrintProcessor',
    'RpcAsyncEnumPrintProcessors',
    'RpcAsyncGetPrintProcessorDirectory',
    'RpcAsyncEnumPorts',
    'RpcAsyncEnumMonitors',
    'RpcAsyncAddPort',
    'RpcAsyncSetPort',
    'RpcAsyncAddMonitor',
    'RpcAsyncDeleteMonitor',
    'RpcAsyncDeletePrintProcessor',
    'RpcAsyncEnumPrintProcessorDatatypes',
    'RpcAsyncAddPerMachineConnection',
    'RpcAsyncDeletePerMachineConnection',
    'RpcAsyncEnumPerMachineConnections',
    'RpcSyncRegisterForRemoteNotifications',
    'RpcSyncUnRegisterForRemoteNotifications',
    'RpcSyncRefreshRemoteNotifications',
    'RpcAsyncGetRemoteNotifications',
    'RpcAsyncInstallPrinterDriverFromPackage',
    'RpcAsyncUploadPrinterDriverPackage',
    'RpcAsyncGetCorePrinterDrivers',
    'RpcAsyncCorePrinterDriverInstalled',
    'RpcAsyncGetPrinterDriverPackagePath',
    'RpcAsyncDeletePrinterDriverPackage',
    'RpcAsyncReadPrinter',
    'RpcAsyncResetPrinter',
    'RpcAsyncGetJobNamedPropertyValue',
    'RpcAsyncSetJobNamedProperty',
    'RpcAsyncDeleteJobNamedProperty',
    'RpcAsyncEnumJobNamedProperties',
    'RpcAsyncLogJobInfoForBranchOffice',
  ]),
);

// --- Encrypting File System (MS-EFSR 3.1.4; the PetitPotam coercion calls) -------------------------------------------
const EFSR_OPS = ops(0, [
  'EfsRpcOpenFileRaw',
  'EfsRpcReadFileRaw',
  'EfsRpcWriteFileRaw',
  'EfsRpcCloseRaw',
  'EfsRpcEncryptFileSrv',
  'EfsRpcDecryptFileSrv',
  'EfsRpcQueryUsersOnFile',
  'EfsRpcQueryRecoveryAgents',
  'EfsRpcRemoveUsersFromFile',
  'EfsRpcAddUsersToFile',
  null, // 10 Opnum10NotUsedOnWire
  'EfsRpcNotSupported',
  'EfsRpcFileKeyInfo',
  'EfsRpcDuplicateEncryptionInfoFile',
  null, // 14 Opnum14NotUsedOnWire
  'EfsRpcAddUsersToFileEx',
  'EfsRpcFileKeyInfoEx',
  null, // 17 Opnum17NotUsedOnWire
  'EfsRpcGetEncryptedFileMetadata',
  'EfsRpcSetEncryptedFileMetadata',
  'EfsRpcFlushEfsCache',
  'EfsRpcEncryptFileExSrv',
  'EfsRpcQueryProtectors',
]);
// MS-EFSR 1.9: the same methods under two UUIDs (\pipe\lsarpc and \pipe\efsrpc endpoints)
def('c681d488-d850-11d0-8c52-00c04fd90f7e', 'efsrpc', 'MS-EFSR', EFSR_OPS);
def('df1941c5-fe89-4e79-bf10-463657acf44d', 'efsrpc', 'MS-EFSR', EFSR_OPS);

// --- Exchange (MS-OXCRPC 3.1.4, MS-NSPI 3.1.4) -----------------------------------------------------------------------
def(
  'a4f1db00-ca47-1067-b31f-00dd010662da',
  'exchange_mapi',
  'MS-OXCRPC',
  ops(0, [
    'EcDoConnect',
    'EcDoDisconnect',
    'EcDoRpc',
    'EcGetMoreRpc',
    'EcRRegisterPushNotification',
    'EcRUnregisterPushNotification',
    'EcDummyRpc',
    'EcRGetDCName',
    'EcRNetGetDCName',
    'EcDoRpcExt',
    'EcDoConnectEx',
    'EcDoRpcExt2',
    null,
    null,
    'EcDoAsyncConnectEx',
  ]),
);
def(
  'f5cc5a18-4264-101a-8c59-08002b2f8426',
  'nspi',
  'MS-NSPI',
  ops(0, [
    'NspiBind',
    'NspiUnbind',
    'NspiUpdateStat',
    'NspiQueryRows',
    'NspiSeekEntries',
    'NspiGetMatches',
    'NspiResortRestriction',
    'NspiDNToMId',
    'NspiGetPropList',
    'NspiGetProps',
    'NspiCompareMIds',
    'NspiModProps',
    'NspiGetSpecialTable',
    'NspiGetTemplateInfo',
    'NspiModLinkAtt',
    null, // 15 NspiDeleteEntries: not used on the wire
    'NspiQueryColumns',
    'NspiGetNamesFromIDs',
    'NspiGetIDsFromNames',
    'NspiResolveNames',
    'NspiResolveNamesW',
  ]),
);

// --- Other services seen around lateral movement (names from Zeek consts.zeek) ---------------------------------------
def('82273fdc-e32a-18c3-3f78-827929dc23ea', 'eventlog', 'MS-EVEN');
def('f6beaff7-1e19-4fbb-9f8f-b89e2018337c', 'IEventService', 'MS-EVEN6');
def(
  '894de0c0-0d55-11d3-a322-00c04fa321a1',
  'InitShutdown',
  'MS-RSP',
  ops(0, ['BaseInitiateShutdown', 'BaseAbortShutdown', 'BaseInitiateShutdownEx']),
);
def(
  'd95afe70-a6d5-4259-822e-2c84da1ddb0d',
  'WindowsShutdown',
  'MS-RSP',
  ops(0, ['WsdrInitiateShutdown', 'WsdrAbortShutdown']),
);
def('4fc742e0-4a10-11cf-8273-00aa004ae673', 'netdfs', 'MS-DFSNM');
def('50abc2a4-574d-40b3-9d66-ee4fd5fba076', 'DnsServer', 'MS-DNSP');
def('91ae6020-9e3c-11cf-8d7c-00aa00c091be', 'ICertPassage', 'MS-ICPR', ops(0, ['CertServerRequest']));
def(
  '12b81e99-f207-4a4c-85d3-77b42f76fd14',
  'ISeclogon',
  'Windows',
  ops(0, ['SeclCreateProcessWithLogonW', 'SeclCreateProcessWithLogonExW']),
);
def('6bffd098-a112-3610-9833-012892020162', 'browser', 'MS-BRWSA');

const BY_UUID = new Map<string, InterfaceInfo>(IFACES.map((i) => [i.uuid, i]));

/** Every named interface. */
export const KNOWN_INTERFACES: ReadonlyMap<string, InterfaceInfo> = BY_UUID;

/** The interface entry for a canonical (lower-case) UUID. */
export function interfaceInfo(uuid: string): InterfaceInfo | undefined {
  return BY_UUID.get(uuid) ?? BY_UUID.get(uuid.toLowerCase());
}

export function interfaceName(uuid: string): string | undefined {
  return interfaceInfo(uuid)?.name;
}

/** Operation name of `opnum` on the interface `uuid`, or undefined when unknown. */
export function operationName(uuid: string, opnum: number): string | undefined {
  return interfaceInfo(uuid)?.operations[opnum];
}

/** Name of a transfer syntax (NDR, NDR64, bind-time feature negotiation), or undefined. */
export function transferSyntaxName(uuid: string): string | undefined {
  if (uuid === NDR_UUID) return 'NDR';
  if (uuid === NDR64_UUID) return 'NDR64';
  if (uuid.startsWith(BTFN_UUID_PREFIX)) return 'BTFN';
  return undefined;
}

// --- PTYPE -----------------------------------------------------------------------------------------------------------

const PTYPE_NAMES = [
  'request',
  'ping',
  'response',
  'fault',
  'working',
  'nocall',
  'reject',
  'ack',
  'cl_cancel',
  'fack',
  'cancel_ack',
  'bind',
  'bind_ack',
  'bind_nak',
  'alter_context',
  'alter_context_resp',
  'auth3',
  'shutdown',
  'co_cancel',
  'orphaned',
  'rts',
];

/** C706 name of a PTYPE ("request", "bind_ack", …; "ptype_N" when undefined). */
export function ptypeName(ptype: number): string {
  return PTYPE_NAMES[ptype] ?? `ptype_${ptype}`;
}

/** Suricata EVE spelling (REQUEST, BINDACK, ALTER_CONTEXT_RESP, …). */
export function ptypeEveName(ptype: number): string {
  switch (ptype) {
    case 12:
      return 'BINDACK';
    case 13:
      return 'BINDNAK';
    case 15:
      return 'ALTER_CONTEXT_RESP';
    case 16:
      return 'AUTH3';
    case 18:
      return 'CO_CANCEL';
    default:
      return ptypeName(ptype).toUpperCase();
  }
}

// --- fault status (C706 appendix E; impacket rpc_status_codes; Wireshark dcerpc.cn_status) -------------------------

const FAULT_STATUS = new Map<number, string>([
  [0x00000000, 'stub_defined_exception'],
  [0x00000001, 'nca_s_fault_other'],
  [0x00000005, 'nca_s_fault_access_denied'],
  [0x000006c6, 'rpc_x_invalid_bound'],
  [0x000006d1, 'rpc_s_procnum_out_of_range'],
  [0x000006d8, 'nca_s_fault_cant_perform'],
  [0x000006e4, 'rpc_s_cannot_support'],
  [0x000006f7, 'nca_s_fault_ndr'],
  [0x00000721, 'nca_s_fault_sec_pkg_error'],
  [0x1c000001, 'nca_s_fault_int_div_by_zero'],
  [0x1c000002, 'nca_s_fault_addr_error'],
  [0x1c000003, 'nca_s_fault_fp_div_zero'],
  [0x1c000004, 'nca_s_fault_fp_underflow'],
  [0x1c000005, 'nca_s_fault_fp_overflow'],
  [0x1c000006, 'nca_s_fault_invalid_tag'],
  [0x1c000007, 'nca_s_fault_invalid_bound'],
  [0x1c000008, 'nca_rpc_version_mismatch'],
  [0x1c000009, 'nca_unspec_reject'],
  [0x1c00000a, 'nca_s_bad_actid'],
  [0x1c00000b, 'nca_who_are_you_failed'],
  [0x1c00000c, 'nca_manager_not_entered'],
  [0x1c00000d, 'nca_s_fault_cancel'],
  [0x1c00000e, 'nca_s_fault_ill_inst'],
  [0x1c00000f, 'nca_s_fault_fp_error'],
  [0x1c000010, 'nca_s_fault_int_overflow'],
  [0x1c000012, 'nca_s_fault_unspec'],
  [0x1c000013, 'nca_s_fault_remote_comm_failure'],
  [0x1c000014, 'nca_s_fault_pipe_empty'],
  [0x1c000015, 'nca_s_fault_pipe_closed'],
  [0x1c000016, 'nca_s_fault_pipe_order'],
  [0x1c000017, 'nca_s_fault_pipe_discipline'],
  [0x1c000018, 'nca_s_fault_pipe_comm_error'],
  [0x1c000019, 'nca_s_fault_pipe_memory'],
  [0x1c00001a, 'nca_s_fault_context_mismatch'],
  [0x1c00001b, 'nca_s_fault_remote_no_memory'],
  [0x1c00001c, 'nca_s_fault_invalid_pres_context_id'],
  [0x1c00001d, 'nca_s_fault_unsupported_authn_level'],
  [0x1c00001f, 'nca_s_invalid_checksum'],
  [0x1c000020, 'nca_s_invalid_crc'],
  [0x1c000021, 'nca_s_fault_user_defined'],
  [0x1c000022, 'nca_s_fault_tx_open_failed'],
  [0x1c000023, 'nca_s_fault_codeset_conv_error'],
  [0x1c000024, 'nca_s_fault_object_not_found'],
  [0x1c000025, 'nca_s_fault_no_client_stub'],
  [0x1c010001, 'nca_s_comm_failure'],
  [0x1c010002, 'nca_s_op_rng_error'],
  [0x1c010003, 'nca_s_unk_if'],
  [0x1c010006, 'nca_s_wrong_boot_time'],
  [0x1c010009, 'nca_s_you_crashed'],
  [0x1c01000b, 'nca_s_proto_error'],
  [0x1c010013, 'nca_s_out_args_too_big'],
  [0x1c010014, 'nca_s_server_too_busy'],
  [0x1c010015, 'nca_s_fault_string_too_long'],
  [0x1c010017, 'nca_s_unsupported_type'],
  [0x80004001, 'E_NOTIMPL'],
  [0x80004003, 'E_POINTER'],
  [0x80004004, 'E_ABORT'],
  [0x8000ffff, 'E_UNEXPECTED'],
  [0x80010105, 'RPC_E_SERVERFAULT'],
  [0x80010108, 'RPC_E_DISCONNECTED'],
  [0x80010113, 'RPC_E_INVALID_IPID'],
  [0x8001011f, 'RPC_E_TIMEOUT'],
  [0x80020003, 'DISP_E_MEMBERNOTFOUND'],
  [0x80020006, 'DISP_E_UNKNOWNNAME'],
  [0x8002000e, 'DISP_E_BADPARAMCOUNT'],
  [0x80041003, 'WBEM_E_ACCESS_DENIED'],
  [0x80070005, 'E_ACCESSDENIED'],
  [0x8007000e, 'E_OUTOFMEMORY'],
  [0x80070057, 'E_INVALIDARG'],
  [0x800706d1, 'RPC_S_PROCNUM_OUT_OF_RANGE'],
  [0x80070776, 'OR_INVALID_OXID'],
]);

/** Other names the same status goes by (Win32 / RPC runtime spellings). */
const FAULT_STATUS_ALIASES = new Map<number, readonly string[]>([
  [0x00000005, ['rpc_s_access_denied', 'ERROR_ACCESS_DENIED']],
  [0x000006d8, ['EPT_S_CANT_PERFORM_OP']],
  [0x000006f7, ['rpc_x_bad_stub_data', 'RPC_X_BAD_STUB_DATA']],
  [0x00000721, ['RPC_S_SEC_PKG_ERROR']],
  [0x1c010002, ['nca_op_rng_error']],
  [0x1c010003, ['nca_unk_if', 'unknown_if']],
]);

/** Name of a fault status, or undefined when not in the table. */
export function faultStatusName(status: number): string | undefined {
  return FAULT_STATUS.get(status >>> 0);
}

export function faultStatusAliases(status: number): readonly string[] {
  return FAULT_STATUS_ALIASES.get(status >>> 0) ?? [];
}

let statusByName: Map<string, number> | null = null;
let statusByLowerName: Map<string, number> | null = null;

/**
 * The status a name stands for: the table's names and their aliases, exact spelling first (rpc_s_procnum_out_of_range
 * is 0x6d1, RPC_S_PROCNUM_OUT_OF_RANGE 0x800706d1), else case-insensitive (first table entry wins). E.g.
 * 'nca_s_fault_access_denied' → 5, 'E_ACCESSDENIED' → 0x80070005. Used by the rule options dce_fault / dce_hresult.
 */
export function faultStatusByName(name: string): number | undefined {
  if (statusByName === null || statusByLowerName === null) {
    const exact = new Map<string, number>();
    const lower = new Map<string, number>();
    const add = (n: string, v: number) => {
      if (!exact.has(n)) exact.set(n, v);
      if (!lower.has(n.toLowerCase())) lower.set(n.toLowerCase(), v);
    };
    for (const [v, n] of FAULT_STATUS) add(n, v);
    for (const [v, names] of FAULT_STATUS_ALIASES) for (const n of names) add(n, v);
    statusByName = exact;
    statusByLowerName = lower;
  }
  return statusByName.get(name) ?? statusByLowerName.get(name.toLowerCase());
}

// --- auth ------------------------------------------------------------------------------------------------------------

const AUTH_TYPE_NAMES = new Map<number, string>([
  [AUTH_TYPE.none, 'none'],
  [AUTH_TYPE.dce_private, 'DCE private (Kerberos 5)'],
  [AUTH_TYPE.dce_public, 'DCE public'],
  [AUTH_TYPE.dec_public, 'DEC public'],
  [AUTH_TYPE.spnego, 'SPNEGO'],
  [AUTH_TYPE.ntlmssp, 'NTLMSSP'],
  [AUTH_TYPE.schannel, 'Schannel'],
  [AUTH_TYPE.kerberos, 'Kerberos'],
  [AUTH_TYPE.dpa, 'DPA'],
  [AUTH_TYPE.msn, 'MSN'],
  [AUTH_TYPE.digest, 'Digest'],
  [AUTH_TYPE.nego_extender, 'NegoExtender'],
  [AUTH_TYPE.pku2u, 'PKU2U'],
  [AUTH_TYPE.netlogon, 'Netlogon secure channel'],
  [AUTH_TYPE.mq, 'MSMQ'],
  [AUTH_TYPE.default, 'default'],
]);

/** MS-RPCE 2.2.1.1.7 auth_type as a display name ("NTLMSSP", "SPNEGO", "Kerberos", …; "auth_type_N" if unknown). */
export function authTypeName(authType: number): string {
  return AUTH_TYPE_NAMES.get(authType) ?? `auth_type_${authType}`;
}

const AUTH_LEVEL_NAMES = ['default', 'none', 'connect', 'call', 'packet', 'packet integrity', 'packet privacy'];

/** MS-RPCE 2.2.1.1.8 auth_level as tshark spells it ("connect", "packet integrity", "packet privacy", …). */
export function authLevelName(level: number): string {
  return AUTH_LEVEL_NAMES[level] ?? `auth_level_${level}`;
}

/** Short form for logs: none/connect/call/pkt/integrity/privacy. */
export function authLevelShortName(level: number): string {
  switch (level) {
    case AUTH_LEVEL.pkt:
      return 'pkt';
    case AUTH_LEVEL.pkt_integrity:
      return 'integrity';
    case AUTH_LEVEL.pkt_privacy:
      return 'privacy';
    default:
      return authLevelName(level);
  }
}

// --- bind results ----------------------------------------------------------------------------------------------------

const RESULT_NAMES = ['acceptance', 'user_rejection', 'provider_rejection', 'negotiate_ack'];
export function contextResultName(result: number): string {
  return RESULT_NAMES[result] ?? `result_${result}`;
}

const PROVIDER_REASONS = [
  'reason_not_specified',
  'abstract_syntax_not_supported',
  'proposed_transfer_syntaxes_not_supported',
  'local_limit_exceeded',
];
export function providerReasonName(reason: number): string {
  return PROVIDER_REASONS[reason] ?? `reason_${reason}`;
}

const BIND_NAK_REASONS = [
  'reason_not_specified',
  'temporary_congestion',
  'local_limit_exceeded',
  'called_paddr_unknown',
  'protocol_version_not_supported',
  'default_context_not_supported',
  'user_data_not_readable',
  'no_psap_available',
  'authentication_type_not_recognized',
  'invalid_checksum',
];
export function bindNakReasonName(reason: number): string {
  return BIND_NAK_REASONS[reason] ?? `reason_${reason}`;
}
