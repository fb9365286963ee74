/**
 * Record shapes written by the engine, compatible with Suricata's EVE JSON: the common flow fields
 * (timestamp, flow_id, community_id, src/dest, proto, app_proto) and `alert{}` are EVE's own; `dcerpc{}` follows
 * EVE's dcerpc object where the names overlap and adds what EVE lacks (interface name, operation, auth, sealed).
 * identity/wmi/dcom/session fields are additions a SIEM can ignore or map.
 */

export interface EveFlowFields {
  timestamp: string;
  flow_id: number;
  community_id?: string;
  src_ip: string;
  src_port: number;
  dest_ip: string;
  dest_port: number;
  proto: 'TCP' | 'UDP';
  app_proto?: 'dcerpc';
  /** Capture or sensor the packets came from (pipeline: sensor id; offline: file name). */
  capture?: string;
}

export interface EveAlertInfo {
  action: 'allowed';
  gid: number;
  signature_id: number;
  rev: number;
  signature: string;
  category: string;
  severity: number;
  metadata?: Record<string, string[]>;
  references?: string[];
}

export interface EveDcerpcInfo {
  /** PDU type name of the inspected PDU: REQUEST, RESPONSE, FAULT, BIND, … */
  request: string;
  interface?: { uuid: string; name?: string; version: string; accepted?: boolean };
  opnum?: number;
  operation?: string;
  call_id: number;
  context_id?: number;
  auth?: { type: string; level: string; context_id?: number };
  stub_sealed: boolean;
  fault_status?: string;
  object_uuid?: string;
}

export interface EveIdentity {
  auth_type: string;
  domain?: string;
  user?: string;
  workstation?: string;
  realm?: string;
  spn?: string;
  ntlm_version?: string;
  anonymous?: boolean;
  client_name_visible?: boolean;
  /**
   * The sec_trailer auth_context_id of the security context this identity authenticated (a connection may carry
   * several; an alert gets the one its PDU ran under). Added for issue 4's "keep them apart by auth context id".
   */
  auth_context_id?: number;
  /** The mechanism inside the token ('ntlmssp', 'kerberos', 'netlogon'): what SPNEGO (auth_type 'spnego') carried. */
  mech?: string;
}

export interface EveAlert extends EveFlowFields {
  event_type: 'alert';
  /** Deterministic: the same packets always give the same id (the pipeline de-duplicates on it). */
  alert_id: string;
  alert: EveAlertInfo;
  dcerpc?: EveDcerpcInfo;
  identity?: EveIdentity[];
  wmi?: Record<string, unknown>;
  dcom?: Record<string, unknown>;
  session_id?: string;
  session_link?: 'oxid' | 'host_pair_time';
  /** tag:session — summary of the follow-up packets of the connection (count/bytes) filled when the connection ends. */
  tagged?: { packets: number; bytes: number };
}

export interface EveStats {
  event_type: 'stats';
  timestamp: string;
  stats: Record<string, unknown>;
}

export type EveRecord = EveAlert | EveStats | (EveFlowFields & { event_type: string; [k: string]: unknown });
