// Connection-oriented DCE/RPC (C706 ch. 12, MS-RPCE): pure byte parsers, the stream framer and per-connection state.
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
