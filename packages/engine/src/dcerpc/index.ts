/**
 * Connection-oriented DCE/RPC (C706 ch. 12, MS-RPCE): pure byte parsers, the stream framer and per-connection state.
 *
 * Layers, bottom up:
 *   header.ts, pdu/*.ts, sec-trailer.ts   one PDU → typed fields; malformed input → PduDecodeProblem, never a throw
 *   framer.ts                            in-order TCP bytes → whole PDUs; gaps, resync, first-bytes verdict
 *   connection.ts                        context table, call table, stub reassembly, auth → DcePduEvent (a DceView)
 *   names.ts                             numbers → names for logs (interfaces, opnums, faults, auth)
 *
 * Wiring under the reassembler: one DcerpcConnection per TCP connection, created with
 * `{ midstream: conn.midstream, sharedBudget }`; it implements StreamConsumer (onData/onGap/onClose/wantsPayload),
 * so it can be returned by a StreamFactory directly or wrapped. Its listener gets one DcePduEvent per PDU — the event
 * is the DceView for the rule engine (InspectionContext.payload = ev.pdu, .dce = ev), flow.toServer = ev.dir === 0,
 * flow.isDcerpc = conn.isDcerpc === true — plus decoded bodies, call attribution and auth for the EVE/insight layers.
 * Events and every view in them are valid only during the callback (toDceView(ev, true) copies).
 */
export * from './bytes.js';
export * from './call-table.js';
export * from './connection.js';
export * from './constants.js';
export * from './context-table.js';
export * from './event.js';
export * from './framer.js';
export * from './header.js';
export * from './names.js';
export * from './pdu/index.js';
export * from './problem.js';
export * from './sec-trailer.js';
export * from './stub-assembler.js';
export * from './uuid.js';
