export {
  ConfigError,
  DEFAULT_TOPICS,
  envBool,
  envFile,
  envInt,
  envString,
  kafkaClientOptionsFromEnv,
  type TopicNames,
  topicNamesFromEnv,
} from './env.js';
export * from './kafkajs/index.js';
export * from './local-broker.js';
export { murmur2, partitionForKey, toPositive } from './partitioner.js';
export type * from './port.js';
