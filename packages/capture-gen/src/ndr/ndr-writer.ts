/**
 * NdrWriter: NDR 2.0 (C706 ch. 14) transfer syntax writer for stubs.
 *
 * Alignment is relative to the start of the stub (every primitive of size n sits at a multiple of n),
 * integers and wide characters follow the byte order of the PDU (drep), and pointer referent ids are
 * allocated like Windows does: 0x00020000, 0x00020004, … Referents of embedded pointers are written by
 * the caller in NDR's deferred order; helpers below cover the common shapes.
 *
 *   unique/full pointer:           referent_id u32 (0 = NULL)
 *   conformant varying wstring:    max_count u32 | offset u32 = 0 | actual_count u32 | wchar[actual_count]
 *   conformant array:              max_count u32 | elements
 *   BSTR (MS-OAUT 2.2.23):         unique ptr -> FLAGGED_WORD_BLOB { max_count u32 | cBytes u32 | clSize u32 | wchar[clSize] }
 */
import { ByteWriter, utf16 } from '../util/bytes.js';
import { uuidBytes } from '../util/uuid.js';

export class NdrWriter extends ByteWriter {
  private nextRef: number;

  constructor(littleEndian: boolean, firstReferent = 0x00020000) {
    super(littleEndian, 512);
    this.nextRef = firstReferent;
  }

  /** Allocates and writes a non-NULL referent id. */
  pointer(): number {
    this.align(4);
    const r = this.nextRef;
    this.nextRef += 4;
    this.u32(r);
    return r;
  }

  nullPointer(): this {
    this.align(4);
    this.u32(0);
    return this;
  }

  a16(v: number): this {
    this.align(2);
    return this.u16(v);
  }

  a32(v: number): this {
    this.align(4);
    return this.u32(v);
  }

  ai32(v: number): this {
    this.align(4);
    return this.i32(v);
  }

  a64(v: bigint): this {
    this.align(8);
    return this.u64(v);
  }

  /** GUID: 4-byte aligned structure { u32, u16, u16, u8[8] }. */
  guid(text: string): this {
    this.align(4);
    return this.bytes(uuidBytes(text, this.littleEndian));
  }

  wchars(s: string): this {
    return this.bytes(utf16(s, !this.littleEndian));
  }

  /** [string] wchar_t* referent: conformant varying string including the terminating NUL. */
  wstring(s: string, withNul = true): this {
    const text = withNul ? `${s}\0` : s;
    this.a32(text.length).u32(0).u32(text.length);
    return this.wchars(text);
  }

  /** Unique pointer to a [string] wchar_t (LPWSTR); NULL when `s` is undefined. */
  lpwstr(s: string | undefined): this {
    if (s === undefined) return this.nullPointer();
    this.pointer();
    return this.wstring(s);
  }

  /**
   * BSTR as marshaled by MS-OAUT (unique pointer + FLAGGED_WORD_BLOB). `withNul` appends a NUL code unit
   * that counts in clSize — impacket does this for WMI object paths and method names.
   */
  bstr(s: string | undefined, withNul = false): this {
    if (s === undefined) return this.nullPointer();
    this.pointer();
    return this.flaggedWordBlob(withNul ? `${s}\0` : s);
  }

  flaggedWordBlob(text: string): this {
    this.a32(text.length)
      .u32(text.length * 2)
      .u32(text.length);
    return this.wchars(text);
  }
}
