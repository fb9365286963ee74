/**
 * The view of traffic that rule options are evaluated against. The detection glue (detect/) builds one
 * InspectionContext per TCP packet payload (packet rules) and one per DCE/RPC PDU (DCE/RPC rules: those
 * with a dce_* option, `metadata:service dcerpc`, or a `dce` byte option).
 */
export interface InspectionContext {
  tsUs: number;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  /** 6 TCP, 17 UDP. */
  proto: number;
  flow: FlowView;
  /** Main content buffer: the whole PDU (header included) for a DCE/RPC unit, the TCP payload for a packet. */
  payload: Uint8Array;
  /** Present when the unit is a DCE/RPC PDU. */
  dce?: DceView;
  /**
   * Added for the TCP header options `flags`/`tcp.flags`, `seq`, `ack`, `window` (packet units; the flowbits
   * conformance tests use them). Optional: when absent those options do not match. tcpFlags is the TCP flags byte
   * (FIN 0x01 … CWR 0x80).
   */
  tcpFlags?: number;
  tcpSeq?: number;
  tcpAck?: number;
  tcpWindow?: number;
}

export interface FlowView {
  /** Connection id (EVE flow_id). */
  id: number;
  /** This unit travels client→server. */
  toServer: boolean;
  established: boolean;
  /** The connection is recognised as DCE/RPC (whatever its ports). */
  isDcerpc: boolean;
  /** Per-connection flowbits: the rule engine reads and writes this set. */
  bits: Set<string>;
  /**
   * Added for Suricata's IP-only rule semantics (Rule.ipOnly): false on a packet unit that is not the first of its
   * connection and direction, where IP-only rules are not evaluated again (Suricata evaluates them once per flow and
   * direction). Absent or true: they are evaluated (stateless packets, DCE/RPC units).
   */
  ipOnlyEligible?: boolean;
}

export interface DceInterfaceRef {
  /** Canonical lower-case UUID string. */
  uuid: string;
  verMajor: number;
  verMinor: number;
  /** Result 0 in the bind_ack / alter_context_resp for this context id. */
  accepted: boolean;
  /** PFC_FIRST_FRAG was set on the bind/alter_context that created this context (Suricata's FF flag). */
  bindFirstFrag: boolean;
}

export interface DceView {
  ptype: number;
  pfcFlags: number;
  /** From drep[0] & 0x10 of this PDU: the byte order for `byte_test/byte_jump/byte_extract …,dce`. */
  littleEndian: boolean;
  callId: number;
  /** Request/response/fault: the presentation context id. */
  contextId?: number;
  /** Request: the PDU's opnum. Response/fault: the opnum of the request with the same call_id. */
  opnum?: number;
  /** Interface bound to contextId (request) or to the answered call's context (response/fault). */
  iface?: DceInterfaceRef;
  /** Request/response stub (reassembled across fragments when this is the last fragment); null when sealed or absent. */
  stub: Uint8Array | null;
  /**
   * Added for rule sets compiled with `stubBuffer: 'suricata'`: Suricata's dcerpc.stub_data buffer — everything after
   * the 24-byte request header / the 16-byte common header of a response (object UUID, response header, auth padding,
   * sec_trailer and verifier included), joined with the call's earlier fragments. Absent or null otherwise.
   */
  suricataStub?: Uint8Array | null;
  /** Auth level 6 (packet privacy): the stub is encrypted. */
  sealed: boolean;
  firstFrag: boolean;
  lastFrag: boolean;
  /** Fault PDUs: the status code. */
  faultStatus?: number;
  /**
   * Added for `dcom_clsid`: the CLSID a clear activation request (ISystemActivator RemoteCreateInstance /
   * RemoteGetClassObject, IActivation RemoteActivation) instantiates, canonical lower case; set by the engine glue.
   */
  activationClsid?: string;
  /** Request PDUs with PFC_OBJECT_UUID: the object UUID (the DCOM IPID). */
  objectUuid?: string;
  /**
   * Added for `dce_hresult`: the reassembled stub misses fragments (`stubIncomplete`) or was cut at the stub size
   * bound (`stubTruncated`), so its last 4 bytes are not the method's return value. Absent means false
   * (DcePduEvent always sets both).
   */
  stubIncomplete?: boolean;
  stubTruncated?: boolean;
  /**
   * Added for `dce_auth_level`: the authentication level in effect for this PDU (0 none … 6 packet privacy): its own
   * sec_trailer's, else the one it inherits (DcePduEvent.authLevel). Absent: treated as 0.
   */
  authLevel?: number;
}
