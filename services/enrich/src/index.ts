export { type AssetEntry, type AssetInfo, AssetInventory, validateAsset } from './assets.js';
export { type Cidr, cidrContains, parseCidr } from './cidr.js';
export { ConfigError, type EnrichConfig, type EnrichTopics, parseEnrichConfig } from './config.js';
export { AlertDedup } from './dedup.js';
export { Enricher, type Enrichment, type EnrichResult, type Route } from './enricher.js';
export { main } from './main.js';
export { type ApplyOutcome, ReferenceData, ReferenceFileError, type ReferenceKind } from './reference.js';
export {
  DLQ_HEADERS,
  decodeDetection,
  type EnrichEvent,
  EnrichService,
  type EnrichServiceOptions,
  type EnrichStats,
  forwardedAlertId,
} from './service.js';
export { validateWhitelistEntry, Whitelist, type WhitelistEntry } from './whitelist.js';
