import { bytes, CaptureFormat, type FormatHost, hex32 } from './format.js';
import { TsResolution } from './timestamp.js';

/**
 * pcapng (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-03.html). A file is a sequence of sections; each
 * section starts with a Section Header Block whose byte-order magic fixes the byte order of every block up to the next
 * SHB, and has its own list of interfaces (IDBs, numbered from 0 in order of appearance).
 *
 *   every block:   0 u32 type   4 u32 total length (multiple of 4, ≥ 12)   8 body …   len-4 u32 total length again
 *   SHB  0a0d0d0a: 8 u32 byte-order magic 1a2b3c4d   12 u16 major (1)   14 u16 minor   16 i64 section length (-1 =
 *                  unknown)   24 options
 *   IDB  00000001: 8 u16 linktype   10 u16 reserved   12 u32 snaplen (0 = none)   16 options
 *                  (if_tsresol code 9, 1 byte; if_tsoffset code 14, i64 seconds)
 *   EPB  00000006: 8 u32 interface id   12 u32 ts high   16 u32 ts low   20 u32 caplen   24 u32 origlen   28 data
 *                  (padded to 4)   options
 *   SPB  00000003: 8 u32 origlen   12 data; caplen = min(origlen, snaplen of interface 0, room in the block); no
 *                  timestamp and no interface id (always interface 0)
 *   PB   00000002: (obsolete) 8 u16 interface id   10 u16 drops   12 ts high   16 ts low   20 caplen   24 origlen   28 data
 *   options:       u16 code   u16 length   value padded to 4; code 0 = end of options
 *
 * Every other block type (NRB 4, ISB 5, DSB 10, systemd journal 9, custom 0x0bad / 0x40000bad, …) is skipped by its
 * length without being buffered.
 */
export const PCAPNG_SHB = 0x0a0d0d0a;
const BOM = 0x1a2b3c4d;
const IDB = 1;
const PB = 2;
const SPB = 3;
const EPB = 6;
const OPT_TSRESOL = 9;
const OPT_TSOFFSET = 14;

/** Largest block we accept; blocks we buffer (SHB, IDB, packets) are far smaller in any real file. */
export const PCAPNG_MAX_BLOCK = 16 * 1024 * 1024;
/** Bound on interfaces per section, so a file of empty IDBs cannot grow memory without limit. */
export const PCAPNG_MAX_INTERFACES = 65536;

const BLOCK_NAMES: Record<number, string> = {
  [PCAPNG_SHB]: 'Section Header Block',
  [IDB]: 'Interface Description Block',
  [PB]: 'Packet Block',
  [SPB]: 'Simple Packet Block',
  4: 'Name Resolution Block',
  5: 'Interface Statistics Block',
  [EPB]: 'Enhanced Packet Block',
  9: 'systemd Journal Export Block',
  10: 'Decryption Secrets Block',
  2989: 'Custom Block',
  1073744813: 'Custom Block',
};

const MIN_LEN: Record<number, number> = { [PCAPNG_SHB]: 28, [IDB]: 20, [PB]: 32, [SPB]: 16, [EPB]: 32 };

function blockName(type: number): string {
  return BLOCK_NAMES[type] ?? `block of type ${hex32(type)}`;
}

class Interface {
  constructor(
    readonly linkType: number,
    readonly snaplen: number,
    readonly ts: TsResolution,
    readonly tsOffsetUs: number,
  ) {}
}

export class PcapngFormat extends CaptureFormat {
  private le = true;
  private interfaces: Interface[] = [];
  private type = 0;
  /** SPBs carry no timestamp: they get the last timestamp seen, so packet time never runs backwards downstream. */
  private lastTsUs = 0;
  sections = 0;

  constructor(host: FormatHost, maxCaplen: number) {
    super(host, maxCaplen);
    // 12 bytes: type, length and (for an SHB) the byte-order magic that says how to read the length.
    this.headerLen = 12;
  }

  /** Link types of the current section's interfaces, by interface id. */
  get linkTypes(): number[] {
    return this.interfaces.map((i) => i.linkType);
  }

  unitLength(_buf: Uint8Array, dv: DataView, pos: number, abs: number): number {
    let type = dv.getUint32(pos, this.le);
    if (type === PCAPNG_SHB) {
      const bom = dv.getUint32(pos + 8, true);
      if (bom === BOM) this.le = true;
      else if (bom === 0x4d3c2b1a) this.le = false;
      else {
        this.host.fail(
          abs + 8,
          `Section Header Block byte-order magic is ${hex32(bom)}, not 1a2b3c4d in either byte order`,
        );
        return -1;
      }
      type = PCAPNG_SHB;
    } else if (this.sections === 0) {
      this.host.fail(abs, `pcapng file does not start with a Section Header Block (block type ${hex32(type)})`);
      return -1;
    }
    const len = dv.getUint32(pos + 4, this.le);
    const min = MIN_LEN[type] ?? 12;
    if (len < min) {
      this.host.fail(abs + 4, `${blockName(type)} length ${len} is less than the ${min}-byte minimum`);
      return -1;
    }
    if ((len & 3) !== 0) {
      this.host.fail(abs + 4, `${blockName(type)} length ${len} is not a multiple of 4`);
      return -1;
    }
    if (len > PCAPNG_MAX_BLOCK) {
      this.host.fail(abs + 4, `${blockName(type)} length ${len} is more than the ${PCAPNG_MAX_BLOCK} maximum`);
      return -1;
    }
    this.type = type;
    this.skippable = !(type === EPB || type === SPB || type === IDB || type === PCAPNG_SHB || type === PB);
    return len;
  }

  consume(buf: Uint8Array, dv: DataView, pos: number, len: number, abs: number): boolean {
    const le = this.le;
    const trailer = dv.getUint32(pos + len - 4, le);
    if (trailer !== len) {
      this.host.fail(
        abs + len - 4,
        `${blockName(this.type)} length ${len} does not match the length ${trailer} repeated at its end`,
      );
      return false;
    }
    switch (this.type) {
      case EPB:
        return this.packet(buf, dv, pos, len, abs, dv.getUint32(pos + 8, le));
      case SPB:
        return this.simplePacket(buf, dv, pos, len, abs);
      case PB:
        return this.packet(buf, dv, pos, len, abs, dv.getUint16(pos + 8, le));
      case IDB:
        return this.interfaceDescription(dv, pos, len, abs);
      case PCAPNG_SHB:
        return this.sectionHeader(dv, pos, abs);
      default:
        return true;
    }
  }

  /** EPB and PB share their layout from offset 12 on. */
  private packet(buf: Uint8Array, dv: DataView, pos: number, len: number, abs: number, ifId: number): boolean {
    const le = this.le;
    const iface = this.interfaces[ifId];
    const name = blockName(this.type);
    if (iface === undefined) {
      this.host.fail(
        abs + 8,
        `${name} refers to interface ${ifId} but the section has ${this.interfaces.length === 1 ? 'only 1 interface' : `${this.interfaces.length} interfaces`}`,
      );
      return false;
    }
    const caplen = dv.getUint32(pos + 20, le);
    if (caplen > this.maxCaplen) {
      this.host.fail(abs + 20, `${name} says ${caplen} captured bytes, more than the ${this.maxCaplen} maximum`);
      return false;
    }
    if (28 + caplen + 4 > len) {
      this.host.fail(
        abs + 20,
        `${name} says ${caplen} captured bytes but the ${len}-byte block has room for ${len - 32}`,
      );
      return false;
    }
    const tsUs = iface.ts.toMicros(dv.getUint32(pos + 12, le), dv.getUint32(pos + 16, le)) + iface.tsOffsetUs;
    this.lastTsUs = tsUs;
    this.frames++;
    this.host.emit({
      tsUs,
      linkType: iface.linkType,
      data: buf.subarray(pos + 28, pos + 28 + caplen),
      origLen: dv.getUint32(pos + 24, le),
      ifIndex: ifId,
      fileOffset: abs,
    });
    return true;
  }

  private simplePacket(buf: Uint8Array, dv: DataView, pos: number, len: number, abs: number): boolean {
    const iface = this.interfaces[0];
    if (iface === undefined) {
      this.host.fail(abs, 'Simple Packet Block before any Interface Description Block in its section');
      return false;
    }
    const origLen = dv.getUint32(pos + 8, this.le);
    let caplen = Math.min(origLen, len - 16);
    if (iface.snaplen > 0 && iface.snaplen < caplen) caplen = iface.snaplen;
    if (caplen > this.maxCaplen) {
      this.host.fail(
        abs + 8,
        `Simple Packet Block holds ${caplen} captured bytes, more than the ${this.maxCaplen} maximum`,
      );
      return false;
    }
    this.frames++;
    this.host.emit({
      tsUs: this.lastTsUs,
      linkType: iface.linkType,
      data: buf.subarray(pos + 12, pos + 12 + caplen),
      origLen,
      ifIndex: 0,
      fileOffset: abs,
    });
    return true;
  }

  private interfaceDescription(dv: DataView, pos: number, len: number, abs: number): boolean {
    const le = this.le;
    if (this.interfaces.length >= PCAPNG_MAX_INTERFACES) {
      this.host.fail(abs, `more than ${PCAPNG_MAX_INTERFACES} interfaces in one section`);
      return false;
    }
    const linkType = dv.getUint16(pos + 8, le);
    const snaplen = dv.getUint32(pos + 12, le);
    let tsresol = 6;
    let tsOffsetUs = 0;
    const end = pos + len - 4;
    let p = pos + 16;
    while (end - p >= 4) {
      const code = dv.getUint16(p, le);
      const olen = dv.getUint16(p + 2, le);
      if (code === 0) break;
      if (p + 4 + olen > end) {
        this.host.fail(
          abs + (p - pos),
          `Interface Description Block option ${code} of ${bytes(olen)} runs past the end of the block`,
        );
        return false;
      }
      if (code === OPT_TSRESOL && olen >= 1) tsresol = dv.getUint8(p + 4);
      else if (code === OPT_TSOFFSET && olen >= 8) tsOffsetUs = Number(dv.getBigInt64(p + 4, le)) * 1_000_000;
      p += 4 + ((olen + 3) & ~3);
    }
    const exp = tsresol & 0x7f;
    if ((tsresol & 0x80) === 0 ? exp > 18 : exp > 63) {
      this.host.fail(
        abs,
        `Interface Description Block if_tsresol ${hex32(tsresol).slice(-2)} is not a usable resolution`,
      );
      return false;
    }
    this.interfaces.push(new Interface(linkType, snaplen, new TsResolution(tsresol), tsOffsetUs));
    return true;
  }

  private sectionHeader(dv: DataView, pos: number, abs: number): boolean {
    const major = dv.getUint16(pos + 12, this.le);
    const minor = dv.getUint16(pos + 14, this.le);
    if (major !== 1) {
      this.host.fail(abs + 12, `pcapng version ${major}.${minor} is not supported (expected 1.x)`);
      return false;
    }
    // A new section: interface ids start again from 0 (and the byte order may have changed, see unitLength).
    this.interfaces = [];
    this.sections++;
    return true;
  }

  truncatedHeader(present: number): string {
    return `file ends inside a pcapng block header (only ${present} of its 12 bytes present)`;
  }

  truncatedUnit(present: number, len: number): string {
    return `file ends inside a ${len}-byte ${blockName(this.type)} (only ${bytes(present)} present)`;
  }
}
