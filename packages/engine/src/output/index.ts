export * from './eve.js';
export { eveTimestamp } from './time.js';
