export { DLQ_HEADERS } from './dlq.js';
export { WireFormatError } from './errors.js';
export { checkFrames, MAX_FRAME_BYTES, rawFrameOf, type WireFrame } from './frames.js';
export { decodePacketBatch, encodePacketBatch, type PacketBatchV1 } from './packet-batch.js';
export { decodePacketRecord, encodePacketRecord, type PacketRecordV1 } from './packet-record.js';
