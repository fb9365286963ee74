/**
 * Builders for capture files byte by byte, written from the format specifications (not from the reader), so that
 * the tests can state exactly which bytes a file holds and where each record starts.
 */

export class Bytes {
  private parts: number[] = [];
  constructor(private readonly le: boolean) {}

  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }

  u16(v: number): this {
    if (this.le) this.parts.push(v & 0xff, (v >>> 8) & 0xff);
    else this.parts.push((v >>> 8) & 0xff, v & 0xff);
    return this;
  }

  u32(v: number): this {
    const b = [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
    if (this.le) b.reverse();
    this.parts.push(...b);
    return this;
  }

  i64(v: bigint): this {
    const u = BigInt.asUintN(64, v);
    const hi = Number(u >> 32n);
    const lo = Number(u & 0xffffffffn);
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }

  raw(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.parts.push(b[i]);
    return this;
  }

  pad4(): this {
    while (this.parts.length % 4 !== 0) this.parts.push(0);
    return this;
  }

  get length(): number {
    return this.parts.length;
  }

  build(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export function concat(...arrays: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

/** A frame body of `n` bytes whose content identifies it: byte i = (seed + i) & 0xff. */
export function body(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (seed + i) & 0xff;
  return b;
}

// ---- classic pcap ----

export interface PcapHeaderSpec {
  le?: boolean;
  ns?: boolean;
  snaplen?: number;
  linkType?: number;
  major?: number;
  minor?: number;
}

export function pcapHeader(s: PcapHeaderSpec = {}): Uint8Array {
  const b = new Bytes(s.le ?? true);
  b.u32(s.ns ? 0xa1b23c4d : 0xa1b2c3d4)
    .u16(s.major ?? 2)
    .u16(s.minor ?? 4)
    .u32(0)
    .u32(0)
    .u32(s.snaplen ?? 65535)
    .u32(s.linkType ?? 1);
  return b.build();
}

export function pcapRecord(
  le: boolean,
  sec: number,
  frac: number,
  data: Uint8Array,
  origLen = data.length,
): Uint8Array {
  return new Bytes(le).u32(sec).u32(frac).u32(data.length).u32(origLen).raw(data).build();
}

/** A record header only, with any caplen (for absurd-length tests). */
export function pcapRecordHeader(le: boolean, sec: number, frac: number, caplen: number, origLen: number): Uint8Array {
  return new Bytes(le).u32(sec).u32(frac).u32(caplen).u32(origLen).build();
}

// ---- pcapng ----

export interface Option {
  code: number;
  value: Uint8Array;
}

function options(le: boolean, opts: Option[]): Uint8Array {
  if (opts.length === 0) return new Uint8Array(0);
  const b = new Bytes(le);
  for (const o of opts) b.u16(o.code).u16(o.value.length).raw(o.value).pad4();
  b.u16(0).u16(0);
  return b.build();
}

/** type | total length | body (padded to 4) | total length */
export function block(le: boolean, type: number, bodyBytes: Uint8Array): Uint8Array {
  const padded = (bodyBytes.length + 3) & ~3;
  const total = 12 + padded;
  const b = new Bytes(le).u32(type).u32(total).raw(bodyBytes);
  while (b.length < 8 + padded) b.u8(0);
  return b.u32(total).build();
}

export function shb(le: boolean, opts: Option[] = [], sectionLength = -1n, major = 1): Uint8Array {
  const body0 = new Bytes(le).u32(0x1a2b3c4d).u16(major).u16(0).i64(sectionLength).build();
  return block(le, 0x0a0d0d0a, concat(body0, options(le, opts)));
}

export function idb(le: boolean, linkType: number, snaplen = 0, opts: Option[] = []): Uint8Array {
  const body0 = new Bytes(le).u16(linkType).u16(0).u32(snaplen).build();
  return block(le, 1, concat(body0, options(le, opts)));
}

export const tsresol = (v: number): Option => ({ code: 9, value: Uint8Array.of(v) });
export const tsoffset = (le: boolean, seconds: bigint): Option => ({
  code: 14,
  value: new Bytes(le).i64(seconds).build(),
});
export const comment = (text: string): Option => ({ code: 1, value: new TextEncoder().encode(text) });

/** Enhanced Packet Block; `ts` is the 64-bit timestamp in the interface's units. */
export function epb(
  le: boolean,
  ifId: number,
  ts: bigint,
  data: Uint8Array,
  origLen = data.length,
  opts: Option[] = [],
): Uint8Array {
  const b = new Bytes(le)
    .u32(ifId)
    .u32(Number(ts >> 32n))
    .u32(Number(ts & 0xffffffffn))
    .u32(data.length)
    .u32(origLen)
    .raw(data)
    .pad4();
  return block(le, 6, concat(b.build(), options(le, opts)));
}

export function spb(le: boolean, data: Uint8Array, origLen = data.length): Uint8Array {
  return block(le, 3, new Bytes(le).u32(origLen).raw(data).build());
}

/** Obsolete Packet Block. */
export function pb(le: boolean, ifId: number, ts: bigint, data: Uint8Array, origLen = data.length): Uint8Array {
  const b = new Bytes(le)
    .u16(ifId)
    .u16(0)
    .u32(Number(ts >> 32n))
    .u32(Number(ts & 0xffffffffn))
    .u32(data.length)
    .u32(origLen)
    .raw(data);
  return block(le, 2, b.build());
}

/** Name Resolution Block with one IPv4 record. */
export function nrb(le: boolean): Uint8Array {
  const name = new TextEncoder().encode('host.example\0');
  const rec = new Bytes(le)
    .u16(1)
    .u16(4 + name.length)
    .raw([192, 0, 2, 1])
    .raw(name)
    .pad4()
    .u16(0)
    .u16(0)
    .build();
  return block(le, 4, rec);
}

/** Interface Statistics Block for interface 0. */
export function isb(le: boolean): Uint8Array {
  return block(le, 5, new Bytes(le).u32(0).u32(0).u32(0).build());
}

/** Decryption Secrets Block (TLS key log). */
export function dsb(le: boolean): Uint8Array {
  const secret = new TextEncoder().encode('CLIENT_RANDOM 00 11\n');
  return block(le, 10, new Bytes(le).u32(0x544c534b).u32(secret.length).raw(secret).build());
}

/** Custom block (0x00000bad) with a private enterprise number. */
export function customBlock(le: boolean, payload: Uint8Array): Uint8Array {
  return block(le, 0xbad, new Bytes(le).u32(32473).raw(payload).build());
}
