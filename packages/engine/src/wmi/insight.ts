/**
 * What a clear DCOM/WMI stub tells us, in the shape of the `wmi{…}` and `dcom{…}` record fields. Field names
 * are snake_case because they go straight into EVE JSON.
 */

import type { ParseProblem } from '../util/parse-problem.js';

export interface OxidBinding {
  /** Host part of the string binding (name or address). */
  host: string;
  /** TCP/UDP port for ncacn_ip_tcp / ncadg_ip_udp / ncacn_http bindings. */
  port?: number;
  /** Non-numeric endpoint (named pipe, …). */
  endpoint?: string;
  /** 'ncacn_ip_tcp', 'ncacn_np', … */
  protocol: string;
  /** The binding as sent, e.g. "WORKSTATION6[52419]". */
  network_addr: string;
}

export interface WmiInsight {
  /** IWbemLevel1Login::NTLMLogin wszNetworkResource, IWbemServices::OpenNamespace, or an object path prefix. */
  namespace?: string;
  /** Class targeted: from the object path, the WQL FROM clause, or the encoded object. */
  class?: string;
  /** ExecMethod method name. */
  method?: string;
  /** WQL text of ExecQuery / ExecNotificationQuery, or the Query of an __EventFilter being put. */
  query?: string;
  query_language?: string;
  /** Win32_Process.Create CommandLine (and the equivalent parameter of other execution methods/consumers). */
  command_line?: string;
  /** IWbemLoginClientID::SetClientInfo wszClientMachine. */
  client_machine?: string;
  client_process_id?: number;
  /** IWbemLoginClientIDEx: the client's DNS name. */
  client_fqdn?: string;
  /** NTLMLogin wszPreferredLocale. */
  locale?: string;
  /** GetObject / DeleteInstance / ExecMethod strObjectPath as sent. */
  object_path?: string;
  /** PutClass: superclass of the class being written; PutInstance: of the instance's class. */
  superclass?: string;
  /** Non-system properties with a value, of the instance put / in-parameters / out-parameters (text). */
  properties?: Record<string, string>;
  /** ExecMethod response: the method's ReturnValue. */
  return_value?: number;
  /** How the command line / properties were obtained. */
  decoded_by?: 'ndr' | 'wmio' | 'heuristic';
}

export interface DcomInsight {
  /** Activation: the CLSID being instantiated (InstantiationInfoData.classId). */
  clsid?: string;
  /** Name from the CLSID table (configurable). */
  clsid_name?: string;
  /** Activation call: 'RemoteCreateInstance' | 'RemoteGetClassObject' | 'RemoteActivation'. */
  activation?: string;
  /** Automation method: the name asked for in GetIDsOfNames, or the name of the DISPID invoked when known. */
  method?: string;
  /** GetIDsOfNames: every name asked for. */
  names?: string[];
  /** GetIDsOfNames response: the DISPIDs returned (same order as the names). */
  dispids?: number[];
  /** Invoke: the DISPID called and how ('method', 'propertyget', …). */
  dispid?: number;
  invoke_kind?: string;
  /** Invoke: the BSTR arguments, in call order. */
  args?: string[];
  /** Invoke: every argument in call order as "type:value" text ('undecoded' where decoding stopped). */
  arg_values?: string[];
  /** Invoke: decoding stopped before the first arguments (cut stub, SAFEARRAY, …); `args` holds the later ones. */
  args_truncated?: boolean;
  /** Invoke response: a BSTR result, or the exception text the server returned. */
  result?: string;
  exception?: string;
  /** Requested (activation, RemQueryInterface, CreateInstance) or returned interface IDs. */
  iids?: string[];
  /** Returned object exporter id (16 hex digits) and its string bindings. */
  oxid?: string;
  oxid_bindings?: OxidBinding[];
  /** Authentication services the exporter accepts (SECURITYBINDING wAuthnSvc values). */
  security_services?: number[];
  /** IPIDs of the interface pointers returned (object UUIDs of the later ORPC calls). */
  ipids?: string[];
  /** ScmReplyInfo / ResolveOxid: the IRemUnknown IPID of the exporter. */
  remunknown_ipid?: string;
  /** ScmReplyInfo authnHint: the authentication level the exporter suggests for the object connection. */
  authn_hint?: number;
  /** SecurityInfo: the server name as the client addressed it. */
  server_name?: string;
  /** InstanceInfo: the file a persistent object is activated from. */
  file_name?: string;
  /** Activation response: per-interface HRESULTs. */
  hresults?: number[];
}

export interface StubInsight {
  wmi?: WmiInsight;
  dcom?: DcomInsight;
  /** Responses: the HRESULT / error_status_t the method returned (last 4 bytes of the stub). */
  hresult?: number;
  /** Malformed or unsupported parts; the fields above hold what was read before them. */
  problems: ParseProblem[];
}
