/**
 * @wmi-detect/capture-gen — protocol-exact DCE/RPC / DCOM / WMI capture generator.
 *
 * Independent of the engine's decoders on purpose: tests that decode these files check the engine against
 * an encoder written from the specifications (and against tshark), not against itself.
 */

export * as kerberos from './auth/kerberos.js';
export * as ntlm from './auth/ntlm.js';
export * as spnego from './auth/spnego.js';
export { DEFAULT_START_MICROS, type Host, Network } from './capture/network.js';
export {
  type CapturedFrame,
  type CaptureOptions,
  encodePcap,
  encodePcapng,
  LINKTYPE_ETHERNET,
} from './capture/pcap.js';
export * as dcerpcConstants from './dcerpc/constants.js';
export * as dcerpc from './dcerpc/pdu.js';
export * as activation from './dcom/activation.js';
export { CLSID, IID } from './dcom/guids.js';
export * as idispatch from './dcom/idispatch.js';
export * as orpc from './dcom/orpc.js';
export * as oxidResolver from './dcom/oxid-resolver.js';
export {
  type CaptureFormat,
  formatFor,
  generate,
  scenarioBytes,
  type WriteOptions,
  writeScenario,
} from './generate.js';
export { NdrWriter } from './ndr/ndr-writer.js';
export { buildScenario, findScenario, SCENARIOS, scenarioNames } from './scenarios/index.js';
export { type Scenario, type ScenarioDefinition, WMI_NAMESPACE, WMIEXEC_COMMAND } from './scenarios/types.js';
export type {
  ActivationFact,
  ConnectionFact,
  DcomCallFact,
  Direction,
  FaultFact,
  IdentityOnConnection,
  PduFact,
  ScenarioDescription,
  SessionLinkFact,
  TcpImpairmentFact,
  WmiCallFact,
} from './session/facts.js';
export { type Impairment, type SendOptions, TcpConversation, type TcpConversationOptions } from './tcp/conversation.js';
export { ByteWriter } from './util/bytes.js';
export { Rng } from './util/rng.js';
export { uuidBytes, uuidText } from './util/uuid.js';
export * as wbem from './wmi/wbem.js';
export * as wmio from './wmi/wmio.js';
