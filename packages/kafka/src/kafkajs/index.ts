export { createKafkajsClient, KafkajsClient, type KafkajsClientOptions } from './client.js';
export { type KafkaLogLevel, kafkajsLogCreator, silentLogger } from './logging.js';
export { isTransient, retryTransient } from './retry.js';
