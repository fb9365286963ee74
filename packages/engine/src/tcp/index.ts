// TCP reassembly: the contract (types.ts) and its implementation.
export { DEFAULT_REASSEMBLY_OPTIONS, type ReassemblyOptions, resolveReassemblyOptions } from './options.js';
export { TcpReassembler } from './reassembler.js';
export { seqAdd, seqDiff } from './seq.js';
export { emptyStats, type GapCause, type ReassemblyStats } from './stats.js';
export type * from './types.js';
