// Capture files in: streaming pcap / pcapng readers (plain, gzip-compressed, or standard input).
export { CaptureFormat, type FormatHost } from './format.js';
export {
  type CaptureFormatName,
  CaptureParser,
  type CaptureParserOptions,
  DEFAULT_MAX_CAPLEN,
} from './parser.js';
export { PCAP_MAGIC_NS, PCAP_MAGIC_US, PcapFormat } from './pcap.js';
export { PCAPNG_MAX_BLOCK, PCAPNG_MAX_INTERFACES, PCAPNG_SHB, PcapngFormat } from './pcapng.js';
export {
  type CaptureOptions,
  type CaptureProgress,
  CaptureReader,
  DEFAULT_CHUNK_SIZE,
  openCapture,
  readCaptureStream,
} from './source.js';
export { TsKind, TsResolution } from './timestamp.js';
export * from './types.js';
