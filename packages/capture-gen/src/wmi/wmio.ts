/**
 * MS-WMIO encoder for CIM instances, the way IWbemClassObject travels inside an OBJREF_CUSTOM
 * (CLSID_WbemClassObject) — e.g. the in-parameters of IWbemServices::ExecMethod. Little-endian throughout.
 *
 * EncodingUnit   = Signature 0x12345678 u32 | ObjectEncodingLength u32 | ObjectBlock
 * ObjectBlock    = ObjectFlags u8 (0x02 = CIM instance) | ClassPart | InstancePart
 * ClassPart      = ClassHeader | DerivationList | ClassQualifierSet | PropertyLookupTable | NdTable | ValueTable | ClassHeap
 *   ClassHeader  = EncodingLength u32 (whole ClassPart) | ReservedOctet u8 | ClassNameRef u32 | NdTableValueTableLength u32
 *   DerivationList = EncodingLength u32 | { ClassNameEncoding | ClassNameLength u32 }*
 *   QualifierSet = EncodingLength u32 | { QualifierName u32 | QualifierFlavor u8 | QualifierType u32 | QualifierValue }*
 *   PropertyLookupTable = PropertyCount u32 | { PropertyNameRef u32 | PropertyInfoRef u32 }* (sorted by name)
 *   PropertyInfo (on the heap) = PropertyType u32 | DeclarationOrder u16 | ValueTableOffset u32 | ClassOfOrigin u32
 *                                | PropertyQualifierSet
 *   Heap         = HeapLength u32 (bit 31 set) | items; a HeapRef is an offset into the items, or
 *                  0x80000000 | n for the n-th dictionary string ("CIMTYPE" = 10, "key" = 1, …)
 *   EncodedString = flag u8 (0 = one byte per char, 1 = UTF-16LE) | chars | NUL
 * InstancePart   = EncodingLength u32 | InstanceFlags u8 | InstanceClassName u32 | NdTable | InstanceData
 *                  | InstanceQualifierSet | InstancePropQualifierSet (flag u8: 1 = none) | InstanceHeap
 * NdTable: two bits per property (bit 0: no value / NULL, bit 1: inherits the default).
 *
 * Windows and impacket leave unused space between the end of the class heap and the end of ClassPart
 * (500 bytes in impacket's Win32_Process.Create in-parameters); `classPartSlack` reproduces that, so a decoder
 * has to honour EncodingLength instead of assuming the instance part follows the heap.
 */
import { ByteWriter, concat, utf16 } from '../util/bytes.js';

export const CIM = {
  SINT16: 2,
  SINT32: 3,
  REAL32: 4,
  REAL64: 5,
  STRING: 8,
  BOOLEAN: 11,
  OBJECT: 13,
  SINT8: 16,
  UINT8: 17,
  UINT16: 18,
  UINT32: 19,
  SINT64: 20,
  UINT64: 21,
  DATETIME: 101,
  REFERENCE: 102,
  CHAR16: 103,
  ARRAY: 0x2000,
} as const;

export const FLAVOR = {
  PROPAGATE_TO_INSTANCE: 0x01,
  PROPAGATE_TO_DERIVED_CLASS: 0x02,
  NOT_OVERRIDABLE: 0x10,
  ORIGIN_PROPAGATED: 0x20,
  ORIGIN_SYSTEM: 0x40,
  AMENDED: 0x80,
} as const;

const DICTIONARY = ['"', 'key', '', 'read', 'write', 'volatile', 'provider', 'dynamic', 'cimwin32', 'DWORD', 'CIMTYPE'];

export interface WmiQualifier {
  name: string;
  type: number;
  flavor?: number;
  value: boolean | number | string | string[];
}

export interface WmiPropertyDef {
  name: string;
  type: number;
  qualifiers?: WmiQualifier[];
}

export interface WmiClassDef {
  name: string;
  qualifiers?: WmiQualifier[];
  /** In declaration order. */
  properties: WmiPropertyDef[];
}

export type WmiValue = string | number | boolean | null;

export interface InstanceEncodingOptions {
  classPartSlack?: number;
  /** How instance string values are encoded: 'utf16' (impacket), or 'compact' (one byte per char when possible). */
  stringEncoding?: 'utf16' | 'compact';
}

function slotSize(type: number): number {
  if (type & CIM.ARRAY) return 4;
  switch (type) {
    case CIM.SINT8:
    case CIM.UINT8:
      return 1;
    case CIM.SINT16:
    case CIM.UINT16:
    case CIM.BOOLEAN:
    case CIM.CHAR16:
      return 2;
    case CIM.SINT64:
    case CIM.UINT64:
    case CIM.REAL64:
      return 8;
    default:
      return 4;
  }
}

class Heap {
  readonly w = new ByteWriter(true);
  private readonly strings = new Map<string, number>();

  constructor(private readonly encoding: 'utf16' | 'compact') {}

  string(s: string, encoding: 'utf16' | 'compact' = 'compact'): number {
    const key = `${encoding}:${s}`;
    const known = this.strings.get(key);
    if (known !== undefined) return known;
    const at = this.w.length;
    const compact = encoding === 'compact' && /^[\x00-\xff]*$/.test(s);
    if (compact) {
      this.w.u8(0);
      for (let i = 0; i < s.length; i++) this.w.u8(s.charCodeAt(i));
      this.w.u8(0);
    } else {
      this.w.u8(1).bytes(utf16(s)).u16(0);
    }
    this.strings.set(key, at);
    return at;
  }

  valueString(s: string): number {
    return this.string(s, this.encoding);
  }

  raw(b: Uint8Array): number {
    const at = this.w.length;
    this.w.bytes(b);
    return at;
  }

  qualifierName(name: string): number {
    const i = DICTIONARY.indexOf(name);
    return i > 0 ? (0x80000000 | i) >>> 0 : this.string(name);
  }

  encode(): Uint8Array {
    const out = new ByteWriter(true);
    out.u32((0x80000000 | this.w.length) >>> 0).bytes(this.w.toBytes());
    return out.toBytes();
  }
}

function qualifierSet(heap: Heap, qs: WmiQualifier[] | undefined): Uint8Array {
  const w = new ByteWriter(true);
  w.u32(0);
  for (const q of qs ?? []) {
    w.u32(heap.qualifierName(q.name))
      .u8(q.flavor ?? 0)
      .u32(q.type);
    writeTypedValue(w, heap, q.type, q.value);
  }
  w.patchU32(0, w.length);
  return w.toBytes();
}

function writeTypedValue(w: ByteWriter, heap: Heap, type: number, v: boolean | number | string | string[]): void {
  if (type & CIM.ARRAY) {
    const items = Array.isArray(v) ? v : [String(v)];
    const arr = new ByteWriter(true);
    arr.u32(items.length);
    for (const it of items) arr.u32(heap.string(it));
    w.u32(heap.raw(arr.toBytes()));
    return;
  }
  switch (type) {
    case CIM.BOOLEAN:
      w.u16(v ? 0xffff : 0);
      return;
    case CIM.SINT8:
    case CIM.UINT8:
      w.u8(Number(v));
      return;
    case CIM.SINT16:
    case CIM.UINT16:
    case CIM.CHAR16:
      w.u16(Number(v));
      return;
    case CIM.SINT64:
    case CIM.UINT64:
      w.u64(BigInt(Number(v)));
      return;
    case CIM.STRING:
    case CIM.DATETIME:
    case CIM.REFERENCE:
      w.u32(heap.string(String(v)));
      return;
    default:
      w.u32(Number(v) >>> 0);
  }
}

/** ClassPart of `cls` (shared by the instance encoding below). */
function classPart(cls: WmiClassDef, slack: number): Uint8Array {
  const heap = new Heap('compact');
  const classNameRef = heap.string(cls.name);
  const classQuals = qualifierSet(heap, cls.qualifiers);

  // Value-table offsets in declaration order.
  let offset = 0;
  const slots = cls.properties.map((p) => {
    const at = offset;
    offset += slotSize(p.type);
    return at;
  });
  const infoRefs = new Map<string, { nameRef: number; infoRef: number }>();
  cls.properties.forEach((p, order) => {
    const nameRef = heap.string(p.name);
    const info = new ByteWriter(true);
    info.u32(p.type).u16(order).u32(slots[order]).u32(classNameRef);
    info.bytes(qualifierSet(heap, p.qualifiers));
    infoRefs.set(p.name, { nameRef, infoRef: heap.raw(info.toBytes()) });
  });

  const lookup = new ByteWriter(true);
  lookup.u32(cls.properties.length);
  const sorted = [...cls.properties].sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  for (const p of sorted) {
    const r = infoRefs.get(p.name)!;
    lookup.u32(r.nameRef).u32(r.infoRef);
  }

  const nd = new Uint8Array(Math.ceil((cls.properties.length * 2) / 8));
  cls.properties.forEach((_, i) => {
    nd[i >> 2] |= 0x01 << ((i & 3) * 2); // class defaults: no value
  });
  const values = new Uint8Array(offset).fill(0xff);

  const body = concat([
    Uint8Array.of(4, 0, 0, 0), // DerivationList: empty (a top-level parameters class)
    classQuals,
    lookup.toBytes(),
    nd,
    values,
    heap.encode(),
    new Uint8Array(slack),
  ]);
  const hdr = new ByteWriter(true);
  hdr
    .u32(13 + body.length)
    .u8(0)
    .u32(classNameRef)
    .u32(nd.length + values.length);
  return concat([hdr.toBytes(), body]);
}

function instancePart(cls: WmiClassDef, values: Record<string, WmiValue>, encoding: 'utf16' | 'compact'): Uint8Array {
  const heap = new Heap(encoding);
  const classNameRef = heap.string(cls.name);
  const nd = new Uint8Array(Math.ceil((cls.properties.length * 2) / 8));
  const data = new ByteWriter(true);
  cls.properties.forEach((p, i) => {
    const v = values[p.name];
    if (v === undefined || v === null) {
      nd[i >> 2] |= 0x03 << ((i & 3) * 2);
      data.fill(slotSize(p.type));
      return;
    }
    if (p.type === CIM.STRING) data.u32(heap.valueString(String(v)));
    else writeTypedValue(data, heap, p.type, v);
  });
  const body = concat([
    nd,
    data.toBytes(),
    Uint8Array.of(4, 0, 0, 0), // InstanceQualifierSet: empty
    Uint8Array.of(1), // InstancePropQualifierSet: none
    heap.encode(),
  ]);
  const hdr = new ByteWriter(true);
  hdr
    .u32(9 + body.length)
    .u8(0)
    .u32(classNameRef);
  return concat([hdr.toBytes(), body]);
}

/** EncodingUnit of an instance of `cls` with the given property values (missing/null = NULL). */
export function encodeInstance(
  cls: WmiClassDef,
  values: Record<string, WmiValue>,
  o: InstanceEncodingOptions = {},
): Uint8Array {
  const block = concat([
    Uint8Array.of(0x02),
    classPart(cls, o.classPartSlack ?? 0),
    instancePart(cls, values, o.stringEncoding ?? 'utf16'),
  ]);
  const w = new ByteWriter(true);
  w.u32(0x12345678).u32(block.length).bytes(block);
  return w.toBytes();
}

const CIMTYPE = (t: string): WmiQualifier => ({ name: 'CIMTYPE', type: CIM.STRING, flavor: 0x03, value: t });
const ID = (n: number): WmiQualifier => ({ name: 'ID', type: CIM.SINT32, flavor: 0x11, value: n });
const IN: WmiQualifier = { name: 'In', type: CIM.BOOLEAN, value: true };
const OUT: WmiQualifier = { name: 'out', type: CIM.BOOLEAN, value: true };
const mapping = (s: string): WmiQualifier => ({
  name: 'MappingStrings',
  type: CIM.STRING | CIM.ARRAY,
  value: [s],
});

/** The __PARAMETERS class of Win32_Process.Create's in-parameters, as Windows defines it. */
export const WIN32_PROCESS_CREATE_IN: WmiClassDef = {
  name: '__PARAMETERS',
  qualifiers: [{ name: 'abstract', type: CIM.BOOLEAN, value: true }],
  properties: [
    {
      name: 'CommandLine',
      type: CIM.STRING,
      qualifiers: [CIMTYPE('string'), IN, mapping('Win32API|Process and Thread Functions|lpCommandLine '), ID(0)],
    },
    {
      name: 'CurrentDirectory',
      type: CIM.STRING,
      qualifiers: [
        CIMTYPE('string'),
        IN,
        mapping('Win32API|Process and Thread Functions|CreateProcess|lpCurrentDirectory '),
        ID(1),
      ],
    },
    {
      name: 'ProcessStartupInformation',
      type: CIM.OBJECT,
      qualifiers: [CIMTYPE('object:Win32_ProcessStartup'), IN, mapping('WMI|Win32_ProcessStartup'), ID(2)],
    },
  ],
};

/** The __PARAMETERS class of Win32_Process.Create's out-parameters. */
export const WIN32_PROCESS_CREATE_OUT: WmiClassDef = {
  name: '__PARAMETERS',
  qualifiers: [{ name: 'abstract', type: CIM.BOOLEAN, value: true }],
  properties: [
    {
      name: 'ProcessId',
      type: CIM.UINT32,
      qualifiers: [
        CIMTYPE('uint32'),
        OUT,
        mapping('Win32API|Process and Thread Functions|CreateProcess|lpProcessInformation|dwProcessId'),
        ID(3),
      ],
    },
    { name: 'ReturnValue', type: CIM.UINT32, qualifiers: [CIMTYPE('uint32'), OUT] },
  ],
};
