export { createLogger, type Logger, type LogLevel } from './logger.js';
export { Counter, Gauge, Histogram, Registry } from './metrics.js';
export { type OpsServer, type ReadinessCheck, startOpsServer } from './ops-server.js';
