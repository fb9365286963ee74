export { Admission } from './admission.js';
export { type IngestConfig, ingestConfigFromEnv } from './config.js';
export { FALLBACK_KEY, hostPairText, writeHostPairKey } from './host-pair-key.js';
export {
  createIngestHandler,
  type IngestDeps,
  RECORD_HOST_PAIR_HEADER,
  RECORD_SCHEMA,
  RECORD_SCHEMA_HEADER,
  RECORD_SENSOR_HEADER,
} from './http-server.js';
export { main } from './main.js';
export { IngestMetrics, type RejectReason } from './metrics.js';
export { Prefilter, type PrefilterStats } from './prefilter.js';
export { IngestService, type IngestServiceOptions } from './service.js';
export { BatchSplitter, cutRecords, DEFAULT_MAX_RECORD_BYTES, type HostPairGroup, type RecordCut } from './splitter.js';
export { TokenFile, TokenFileError, TokenStore } from './tokens.js';
