import { bytes, CaptureFormat, type FormatHost, hex32 } from './format.js';

/**
 * Classic libpcap file format (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html). Every field is in
 * the writer's byte order, which the magic number reveals.
 *
 *   file header (24 bytes)
 *     0  u32 magic      a1b2c3d4 = µs timestamps, a1b23c4d = ns timestamps (read in the file's byte order)
 *     4  u16 version_major (2)     6  u16 version_minor (4)
 *     8  i32 thiszone (always 0 in practice; ignored, as Wireshark does)
 *    12  u32 sigfigs (ignored)
 *    16  u32 snaplen
 *    20  u32 linktype; low 16 bits = LINKTYPE_*, high bits = FCS-length flags (ignored: IP lengths trim the FCS)
 *   record (16-byte header + caplen bytes), repeated to the end of the file
 *     0  u32 ts_sec    4  u32 ts_usec (or ts_nsec)    8  u32 caplen    12  u32 origlen    16  caplen bytes of frame
 *
 * There is no record framing beyond caplen, so a corrupt caplen loses the rest of the file: an absurd caplen (more
 * than `maxCaplen`, 256 KiB by default, the libpcap/Wireshark limit) ends the file with an error instead of making us
 * buffer gigabytes.
 */
export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;

export class PcapFormat extends CaptureFormat {
  private le = true;
  private ns = false;
  private inHeader = true;
  linkType = -1;
  snaplen = 0;

  constructor(host: FormatHost, maxCaplen: number) {
    super(host, maxCaplen);
    this.headerLen = FILE_HEADER;
  }

  unitLength(_buf: Uint8Array, dv: DataView, pos: number, abs: number): number {
    if (this.inHeader) return FILE_HEADER;
    const caplen = dv.getUint32(pos + 8, this.le);
    if (caplen > this.maxCaplen) {
      this.host.fail(abs, `record header says ${caplen} captured bytes, more than the ${this.maxCaplen} maximum`);
      return -1;
    }
    return RECORD_HEADER + caplen;
  }

  consume(buf: Uint8Array, dv: DataView, pos: number, len: number, abs: number): boolean {
    if (this.inHeader) return this.readFileHeader(dv, pos, abs);
    this.emitRecord(buf, dv, pos, len, abs);
    return true;
  }

  private readFileHeader(dv: DataView, pos: number, abs: number): boolean {
    const m = dv.getUint32(pos, false);
    if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS) this.le = false;
    else if (dv.getUint32(pos, true) === PCAP_MAGIC_US || dv.getUint32(pos, true) === PCAP_MAGIC_NS) this.le = true;
    else {
      this.host.fail(abs, `not a pcap file header (magic ${hex32(m)})`);
      return false;
    }
    this.ns = dv.getUint32(pos, this.le) === PCAP_MAGIC_NS;
    const major = dv.getUint16(pos + 4, this.le);
    const minor = dv.getUint16(pos + 6, this.le);
    if (major !== 2) {
      this.host.fail(abs + 4, `pcap version ${major}.${minor} is not supported (expected 2.x)`);
      return false;
    }
    this.snaplen = dv.getUint32(pos + 16, this.le);
    this.linkType = dv.getUint32(pos + 20, this.le) & 0xffff;
    this.inHeader = false;
    this.headerLen = RECORD_HEADER;
    return true;
  }

  private emitRecord(buf: Uint8Array, dv: DataView, pos: number, len: number, abs: number): void {
    const le = this.le;
    const sec = dv.getUint32(pos, le);
    const frac = dv.getUint32(pos + 4, le);
    this.frames++;
    this.host.emit({
      tsUs: sec * 1_000_000 + (this.ns ? Math.floor(frac / 1000) : frac),
      linkType: this.linkType,
      data: buf.subarray(pos + RECORD_HEADER, pos + len),
      origLen: dv.getUint32(pos + 12, le),
      ifIndex: 0,
      fileOffset: abs,
    });
  }

  /** The hot loop: records back to back in one chunk, no virtual calls. */
  override run(buf: Uint8Array, dv: DataView, pos: number, end: number, base: number): number {
    this.pendingLen = 0;
    if (this.inHeader) return super.run(buf, dv, pos, end, base);
    const le = this.le;
    const max = this.maxCaplen;
    while (end - pos >= RECORD_HEADER) {
      const caplen = dv.getUint32(pos + 8, le);
      if (caplen > max) {
        this.host.fail(base + pos, `record header says ${caplen} captured bytes, more than the ${max} maximum`);
        return -1;
      }
      const len = RECORD_HEADER + caplen;
      if (len > end - pos) {
        this.pendingLen = len;
        return pos;
      }
      this.emitRecord(buf, dv, pos, len, base + pos);
      pos += len;
    }
    return pos;
  }

  truncatedHeader(present: number): string {
    if (this.inHeader) return `file ends inside the 24-byte pcap file header (only ${bytes(present)} present)`;
    return `file ends inside a record header (only ${present} of its 16 bytes present)`;
  }

  truncatedUnit(present: number, len: number): string {
    if (this.inHeader) return this.truncatedHeader(present);
    return `file ends inside a record of ${len - RECORD_HEADER} captured bytes (only ${present - RECORD_HEADER} of them present)`;
  }
}
