export { createLogger, type Logger, type LogLevel } from './logger.js';
export { Counter, Gauge, Histogram, Registry } from './metrics.js';
export { type OpsServer, type ReadinessCheck, startOpsServer } from './ops-server.js';
export {
  startTelemetry,
  type Telemetry,
  type TelemetryDecision,
  type TelemetryOptions,
  type TelemetrySignal,
  telemetryDecision,
} from './telemetry.js';
