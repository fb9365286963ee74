/**
 * detect/: the glue that turns frames into records — Engine (engine.ts) wires the packet decoder, the TCP
 * reassembler, the DCE/RPC layer, the rules, identity and WMI insight; FlowState is the per-connection state; ids.ts
 * makes every id a function of the packets; session-linker.ts ties the dynamic-port connection to its activation.
 */
export { Engine } from './engine.js';
export { alertId, connectionKeyText, sessionId, stableFlowId } from './ids.js';
export type { EngineOptions } from './options.js';
export type { SessionLink, SessionTie } from './session-linker.js';
export type { EngineStats } from './stats.js';
export { SURICATA_MAX_STUB_SIZE, SuricataStubJoiner } from './suricata-stub.js';
