// The engine's public surface. Each stage of the pipeline is its own module; this file only re-exports.
export * from './capture/types.js';
export * from './flow/index.js';
export * from './output/index.js';
export * from './packet/types.js';
export type * from './rules/types.js';
export * from './tcp/types.js';
