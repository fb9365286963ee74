export { type DetectConfig, detectConfigFromEnv } from './config.js';
export { detectEngineOptions, type MainOptions, main, RulesUnusableError } from './main.js';
export { DetectMetrics } from './metrics.js';
export { DETECTION_HEADERS, DLQ_HEADERS, deadLetter, detectionRecord } from './output.js';
export {
  type DetectDeps,
  type DetectHandle,
  type DetectHooks,
  emittedGroupFor,
  type ShardEvent,
  startDetect,
  transactionalIdFor,
} from './service.js';
export { type BatchOutcome, type Checkpoint, PartitionShard, type ShardOptions } from './shard.js';
