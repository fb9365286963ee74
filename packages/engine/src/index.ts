// The engine's public surface. Each stage of the pipeline is its own module; this file only re-exports.
export * from './auth/index.js';
export * from './capture/index.js';
export * from './dcerpc/index.js';
export * from './detect/index.js';
export * from './flow/index.js';
export * from './output/index.js';
export * from './packet/index.js';
export * from './rules/index.js';
export * from './tcp/index.js';
export * from './wmi/index.js';
