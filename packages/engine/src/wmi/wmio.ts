/**
 * MS-WMIO: the encoding of CIM objects (IWbemClassObject) inside an OBJREF_CUSTOM with CLSID_WbemClassObject
 * {4590F812-1D3A-11D0-891F-00AA004B2E24} — the in-parameters of ExecMethod, the instance of PutInstance, the
 * class of PutClass. Little-endian throughout (it is not NDR).
 *
 *   EncodingUnit   Signature u32 0x12345678 | ObjectEncodingLength u32 | ObjectBlock
 *   ObjectBlock    ObjectFlags u8 (0x01 class, 0x02 instance, 0x04 decorated) | [Decoration] | Encoding
 *   Decoration     DecServerName EncodedString | DecNamespaceName EncodedString   (inline, not on a heap)
 *   Encoding       class:    ParentClass ClassAndMethodsPart | CurrentClass ClassAndMethodsPart
 *                  instance: CurrentClass ClassPart | InstancePart
 *   ClassAndMethodsPart  ClassPart | MethodsPart
 *   ClassPart      ClassHeader | DerivationList | ClassQualifierSet | PropertyLookupTable | NdTable+ValueTable
 *                  | ClassHeap | (unused space up to EncodingLength — impacket leaves 500 bytes there)
 *     ClassHeader    EncodingLength u32 (whole ClassPart) | ReservedOctet u8 | ClassNameRef u32
 *                    | NdTableValueTableLength u32
 *     DerivationList EncodingLength u32 | { EncodedString | ClassNameLength u32 }*   (superclass first)
 *     QualifierSet   EncodingLength u32 | { Name u32 | Flavor u8 | Type u32 | Value }*
 *     PropertyLookupTable  PropertyCount u32 | { PropertyNameRef u32 | PropertyInfoRef u32 }*   (sorted by name)
 *     PropertyInfo (heap)  PropertyType u32 | DeclarationOrder u16 | ValueTableOffset u32 | ClassOfOrigin u32
 *                          | PropertyQualifierSet
 *     NdTable        2 bits per property, by DeclarationOrder: bit 0 = NULL, bit 1 = value is the class default
 *     ValueTable     fixed-size slots at ValueTableOffset: numbers inline, strings/objects/arrays as HeapRef
 *     Heap           HeapLength u32 (bit 31 set, 31-bit length) | items
 *   MethodsPart    EncodingLength u32 | MethodCount u16 | pad u16 | MethodDescription[24 bytes]* | MethodHeap
 *   InstancePart   EncodingLength u32 | InstanceFlags u8 | InstanceClassName HeapRef | NdTable+InstanceData
 *                  | InstanceQualifierSet (QualifierSet | flag u8: 1 none, 2 = one QualifierSet per property)
 *                  | InstanceHeap
 *   HeapRef        offset into the heap items; with bit 31 set, an index into the fixed dictionary
 *                  ('"', key, NADA, read, write, volatile, provider, dynamic, cimwin32, DWORD, CIMTYPE)
 *   EncodedString  flag u8 (0: one byte per char, 1: UTF-16LE) | chars | NUL
 *   array value    HeapRef → count u32 | elements (numbers packed; strings/objects as HeapRefs)
 *   object value   HeapRef → ObjectEncodingLength u32 | ObjectBlock   (decoded recursively, depth-capped)
 *
 * Every offset is checked against the structure that contains it; a bad value yields a problem and decoding
 * continues with the other properties.
 */

import { type ParseProblem, problem } from '../util/parse-problem.js';
import { latin1, utf16le } from '../util/text.js';

export const WMIO_SIGNATURE = 0x12345678;

export const CIM_TYPE = {
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
} as const;
export const CIM_ARRAY_FLAG = 0x2000;
export const CIM_INHERITED_FLAG = 0x4000;

const TYPE_NAMES: Record<number, string> = {
  2: 'sint16',
  3: 'sint32',
  4: 'real32',
  5: 'real64',
  8: 'string',
  11: 'boolean',
  13: 'object',
  16: 'sint8',
  17: 'uint8',
  18: 'uint16',
  19: 'uint32',
  20: 'sint64',
  21: 'uint64',
  101: 'datetime',
  102: 'reference',
  103: 'char16',
};

const DICTIONARY = [
  '"',
  'key',
  'NADA',
  'read',
  'write',
  'volatile',
  'provider',
  'dynamic',
  'cimwin32',
  'DWORD',
  'CIMTYPE',
];

const MAX_DEPTH = 3;
const MAX_ARRAY = 4096;
const MAX_PROPERTIES = 1024;
const MAX_STRING_UNITS = 1 << 20;

export type WmiScalar = string | number | boolean | null;
export type WmiValue = WmiScalar | WmiScalar[] | WmiObject | (WmiObject | null)[];

export interface WmiProperty {
  name: string;
  /** CIM type without the inherited flag (array flag kept: 0x2008 = string[]). */
  type: number;
  typeName: string;
  /** Declared in a superclass. */
  inherited: boolean;
  value: WmiValue;
  /** Where the value came from: the instance, the class default, or neither (NULL). */
  source: 'instance' | 'class' | 'null';
}

export interface WmiObject {
  kind: 'instance' | 'class';
  className?: string;
  /** Direct superclass (first of the derivation list). */
  superclass?: string;
  /** Superclasses, nearest first. */
  derivation: string[];
  /** Decoration (__SERVER / __NAMESPACE), when the object carries it. */
  server?: string;
  namespace?: string;
  properties: WmiProperty[];
  /** Class objects: method names of the current class. */
  methods?: string[];
}

export interface WmioResult {
  object?: WmiObject;
  problems: ParseProblem[];
}

/** Parses an EncodingUnit (signature 0x12345678 first), e.g. the pObjectData of a WbemClassObject OBJREF. */
export function parseEncodingUnit(b: Uint8Array): WmioResult {
  const problems: ParseProblem[] = [];
  if (b.length < 9)
    return { problems: [problem('truncated', 'wmio', `${b.length} bytes, less than an encoding unit header`, 0)] };
  const sig = u32(b, 0);
  if (sig !== WMIO_SIGNATURE) {
    return { problems: [problem('bad_signature', 'wmio.signature', `0x${sig.toString(16)} is not 0x12345678`, 0)] };
  }
  const len = u32(b, 4);
  let end = 8 + len;
  if (end > b.length) {
    problems.push(
      problem('out_of_bounds', 'wmio.object_encoding_length', `${len} bytes announced, ${b.length - 8} present`, 4),
    );
    end = b.length;
  }
  const object = new Decoder(b, problems).objectBlock(8, end, 0);
  return object ? { object, problems } : { problems };
}

/** Parses a bare ObjectBlock in b[start, end). */
export function parseObjectBlock(b: Uint8Array, start = 0, end = b.length): WmioResult {
  const problems: ParseProblem[] = [];
  const object = new Decoder(b, problems).objectBlock(start, Math.min(end, b.length), 0);
  return object ? { object, problems } : { problems };
}

interface Heap {
  start: number;
  end: number;
}

interface PropDef {
  name: string;
  rawType: number;
  order: number;
  vtOffset: number;
}

interface ClassPart {
  end: number;
  className?: string;
  derivation: string[];
  props: PropDef[];
  /** Offset of NdTable (ValueTable follows it). */
  nd: number;
  ndLen: number;
  ndValLen: number;
  heap: Heap;
}

class Decoder {
  constructor(
    private readonly b: Uint8Array,
    private readonly problems: ParseProblem[],
  ) {}

  private bad(code: ParseProblem['code'], where: string, message: string, offset?: number): undefined {
    this.problems.push(problem(code, where, message, offset));
    return undefined;
  }

  objectBlock(start: number, end: number, depth: number): WmiObject | undefined {
    if (depth > MAX_DEPTH) return this.bad('limit', 'wmio.object', `objects nested deeper than ${MAX_DEPTH}`, start);
    if (start >= end) return this.bad('truncated', 'wmio.object_flags', 'empty object block', start);
    const flags = this.b[start];
    let p = start + 1;
    let server: string | undefined;
    let namespace: string | undefined;
    if (flags & 0x04) {
      const s = this.inlineString(p, end, 'wmio.decoration.server');
      if (!s) return undefined;
      const n = this.inlineString(s.next, end, 'wmio.decoration.namespace');
      if (!n) return undefined;
      server = s.text;
      namespace = n.text;
      p = n.next;
    }
    let obj: WmiObject | undefined;
    if (flags & 0x01) obj = this.classType(p, end, depth);
    else if (flags & 0x02) obj = this.instanceType(p, end, depth);
    else
      return this.bad(
        'bad_value',
        'wmio.object_flags',
        `ObjectFlags 0x${flags.toString(16)} is neither class nor instance`,
        start,
      );
    if (obj) {
      if (server !== undefined) obj.server = server;
      if (namespace !== undefined) obj.namespace = namespace;
    }
    return obj;
  }

  private classType(p: number, end: number, depth: number): WmiObject | undefined {
    // ParentClass then CurrentClass; the current class is the one being sent (PutClass), so report it.
    const parent = this.classPart(p, end, 'wmio.parent_class');
    if (!parent) return undefined;
    const pm = this.methodsPart(parent.end, end, 'wmio.parent_class.methods');
    if (pm === undefined) return undefined;
    const cur = this.classPart(pm.end, end, 'wmio.current_class');
    if (!cur) return undefined;
    const cm = this.methodsPart(cur.end, end, 'wmio.current_class.methods');
    const obj: WmiObject = {
      kind: 'class',
      derivation: cur.derivation,
      properties: this.classValues(cur, depth),
      methods: cm?.names ?? [],
    };
    if (cur.className !== undefined) obj.className = cur.className;
    if (cur.derivation.length > 0) obj.superclass = cur.derivation[0];
    return obj;
  }

  private instanceType(p: number, end: number, depth: number): WmiObject | undefined {
    const cls = this.classPart(p, end, 'wmio.instance.class_part');
    if (!cls) return undefined;
    const b = this.b;
    const ip = cls.end;
    if (ip + 9 > end) return this.bad('truncated', 'wmio.instance', 'instance part header cut short', ip);
    const encLen = u32(b, ip);
    const instEnd = Math.min(ip + encLen, end);
    if (ip + encLen > end) this.bad('out_of_bounds', 'wmio.instance.encoding_length', `${encLen} bytes announced`, ip);
    const classNameRef = u32(b, ip + 5);
    const nd = ip + 9;
    if (nd + cls.ndValLen > instEnd)
      return this.bad('truncated', 'wmio.instance.values', 'NdTable/InstanceData cut short', nd);
    // InstanceQualifierSet, then the property qualifier flag, then the heap.
    let q = nd + cls.ndValLen;
    if (q + 4 > instEnd) return this.bad('truncated', 'wmio.instance.qualifiers', 'qualifier set cut short', q);
    const qlen = u32(b, q);
    if (qlen < 4 || q + qlen > instEnd)
      return this.bad('out_of_bounds', 'wmio.instance.qualifiers', `length ${qlen}`, q);
    q += qlen;
    if (q >= instEnd) return this.bad('truncated', 'wmio.instance.prop_qualifiers', 'flag missing', q);
    const pqFlag = b[q++];
    if (pqFlag === 2) {
      for (let i = 0; i < cls.props.length; i++) {
        if (q + 4 > instEnd)
          return this.bad('truncated', 'wmio.instance.prop_qualifiers', 'qualifier set cut short', q);
        const l = u32(b, q);
        if (l < 4 || q + l > instEnd)
          return this.bad('out_of_bounds', 'wmio.instance.prop_qualifiers', `length ${l}`, q);
        q += l;
      }
    } else if (pqFlag !== 1) {
      return this.bad('bad_value', 'wmio.instance.prop_qualifiers', `InstancePropQualifierSetFlag ${pqFlag}`, q - 1);
    }
    const heap = this.heap(q, instEnd, 'wmio.instance.heap');
    if (!heap) return undefined;
    const obj: WmiObject = { kind: 'instance', derivation: cls.derivation, properties: [] };
    const name =
      classNameRef === 0xffffffff ? undefined : this.heapString(heap, classNameRef, 'wmio.instance.class_name');
    obj.className = name ?? cls.className;
    if (cls.derivation.length > 0) obj.superclass = cls.derivation[0];
    const ndLen = cls.ndLen;
    for (const d of cls.props) {
      const bits = (b[nd + (d.order >> 2)] >> ((d.order & 3) * 2)) & 3;
      const prop = this.newProp(d);
      if (bits & 1) {
        prop.source = 'null';
      } else if (bits & 2) {
        // Default: the class part's value (which may itself be NULL).
        const cbits = (b[cls.nd + (d.order >> 2)] >> ((d.order & 3) * 2)) & 3;
        if (!(cbits & 1)) {
          prop.value = this.slot(cls.nd + ndLen, cls.ndValLen - ndLen, d, cls.heap, depth);
          prop.source = 'class';
        } else prop.source = 'null';
      } else {
        prop.value = this.slot(nd + ndLen, cls.ndValLen - ndLen, d, heap, depth);
        prop.source = 'instance';
      }
      obj.properties.push(prop);
    }
    return obj;
  }

  private classValues(cls: ClassPart, depth: number): WmiProperty[] {
    const out: WmiProperty[] = [];
    for (const d of cls.props) {
      const bits = (this.b[cls.nd + (d.order >> 2)] >> ((d.order & 3) * 2)) & 3;
      const prop = this.newProp(d);
      if (!(bits & 1)) {
        prop.value = this.slot(cls.nd + cls.ndLen, cls.ndValLen - cls.ndLen, d, cls.heap, depth);
        prop.source = 'class';
      }
      out.push(prop);
    }
    return out;
  }

  private newProp(d: PropDef): WmiProperty {
    const type = d.rawType & ~CIM_INHERITED_FLAG;
    const base = type & ~CIM_ARRAY_FLAG;
    const typeName = (TYPE_NAMES[base] ?? `cim_${base}`) + (type & CIM_ARRAY_FLAG ? '[]' : '');
    return {
      name: d.name,
      type,
      typeName,
      inherited: (d.rawType & CIM_INHERITED_FLAG) !== 0,
      value: null,
      source: 'null',
    };
  }

  private classPart(p: number, end: number, where: string): ClassPart | undefined {
    const b = this.b;
    if (p + 13 > end) return this.bad('truncated', `${where}.header`, 'class header cut short', p);
    const encLen = u32(b, p);
    const cpEnd = p + encLen;
    if (encLen < 13 || cpEnd > end)
      return this.bad('out_of_bounds', `${where}.encoding_length`, `EncodingLength ${encLen}`, p);
    const classNameRef = u32(b, p + 5);
    const ndValLen = u32(b, p + 9);
    let q = p + 13;
    // DerivationList
    if (q + 4 > cpEnd) return this.bad('truncated', `${where}.derivation`, 'cut short', q);
    const dlen = u32(b, q);
    if (dlen < 4 || q + dlen > cpEnd) return this.bad('out_of_bounds', `${where}.derivation`, `length ${dlen}`, q);
    const derivation: string[] = [];
    let dp = q + 4;
    const dend = q + dlen;
    while (dp < dend && derivation.length < 64) {
      const s = this.inlineString(dp, dend, `${where}.derivation`);
      if (!s) break;
      derivation.push(s.text);
      dp = s.next + 4; // ClassNameLength follows each name
    }
    q = dend;
    // ClassQualifierSet
    if (q + 4 > cpEnd) return this.bad('truncated', `${where}.qualifiers`, 'cut short', q);
    const qlen = u32(b, q);
    if (qlen < 4 || q + qlen > cpEnd) return this.bad('out_of_bounds', `${where}.qualifiers`, `length ${qlen}`, q);
    q += qlen;
    // PropertyLookupTable
    if (q + 4 > cpEnd) return this.bad('truncated', `${where}.property_lookup`, 'cut short', q);
    const count = u32(b, q);
    if (count > MAX_PROPERTIES) return this.bad('limit', `${where}.property_lookup`, `${count} properties`, q);
    const lookup = q + 4;
    if (lookup + count * 8 > cpEnd)
      return this.bad('out_of_bounds', `${where}.property_lookup`, `${count} entries run past the class part`, q);
    q = lookup + count * 8;
    // NdTable + ValueTable
    const ndLen = count === 0 ? 0 : ((count - 1) >> 2) + 1;
    if (ndValLen < ndLen || q + ndValLen > cpEnd)
      return this.bad('out_of_bounds', `${where}.values`, `NdTableValueTableLength ${ndValLen}`, p + 9);
    const nd = q;
    q += ndValLen;
    const heap = this.heap(q, cpEnd, `${where}.heap`);
    if (!heap) return undefined;
    const props: PropDef[] = [];
    for (let i = 0; i < count; i++) {
      const nameRef = u32(b, lookup + i * 8);
      const infoRef = u32(b, lookup + i * 8 + 4);
      const name = this.heapString(heap, nameRef, `${where}.property_name`);
      if (name === undefined) continue;
      if (infoRef & 0x80000000 || heap.start + infoRef + 14 > heap.end) {
        this.bad(
          'out_of_bounds',
          `${where}.property_info`,
          `PropertyInfoRef ${infoRef} for '${name}'`,
          lookup + i * 8 + 4,
        );
        continue;
      }
      const ip = heap.start + infoRef;
      const order = u16(b, ip + 4);
      if (order >= count) {
        this.bad('bad_value', `${where}.property_info`, `DeclarationOrder ${order} of '${name}' >= ${count}`, ip + 4);
        continue;
      }
      props.push({ name, rawType: u32(b, ip), order, vtOffset: u32(b, ip + 6) });
    }
    props.sort((x, y) => x.order - y.order);
    const cp: ClassPart = { end: cpEnd, derivation, props, nd, ndLen, ndValLen, heap };
    if (classNameRef !== 0xffffffff) {
      const n = this.heapString(heap, classNameRef, `${where}.class_name`);
      if (n !== undefined) cp.className = n;
    }
    return cp;
  }

  private methodsPart(p: number, end: number, where: string): { end: number; names: string[] } | undefined {
    const b = this.b;
    if (p + 8 > end) return this.bad('truncated', where, 'methods part cut short', p);
    const encLen = u32(b, p);
    const mEnd = p + encLen;
    if (encLen < 8 || mEnd > end)
      return this.bad('out_of_bounds', `${where}.encoding_length`, `EncodingLength ${encLen}`, p);
    const count = u16(b, p + 4);
    const desc = p + 8;
    if (desc + count * 24 > mEnd)
      return this.bad('out_of_bounds', where, `${count} method descriptions run past the part`, p + 4);
    const heap = this.heap(desc + count * 24, mEnd, `${where}.heap`);
    const names: string[] = [];
    if (heap) {
      for (let i = 0; i < count; i++) {
        const n = this.heapString(heap, u32(b, desc + i * 24), `${where}.name`);
        if (n !== undefined) names.push(n);
      }
    }
    return { end: mEnd, names };
  }

  private heap(p: number, end: number, where: string): Heap | undefined {
    if (p + 4 > end) return this.bad('truncated', where, 'HeapLength cut short', p);
    const len = u32(this.b, p) & 0x7fffffff;
    if (p + 4 + len > end) return this.bad('out_of_bounds', where, `HeapLength ${len} runs past its part`, p);
    return { start: p + 4, end: p + 4 + len };
  }

  /** Reads one value slot of property `d` from the value table at `vt` (length `vtLen`). */
  private slot(vt: number, vtLen: number, d: PropDef, heap: Heap, depth: number): WmiValue {
    const b = this.b;
    const type = d.rawType & ~CIM_INHERITED_FLAG;
    const size = type & CIM_ARRAY_FLAG ? 4 : slotSize(type);
    if (size === 0) {
      this.bad('unsupported', 'wmio.value', `CIM type ${type} of '${d.name}'`);
      return null;
    }
    if (d.vtOffset + size > vtLen) {
      this.bad('out_of_bounds', 'wmio.value', `ValueTableOffset ${d.vtOffset} of '${d.name}' past the value table`, vt);
      return null;
    }
    const at = vt + d.vtOffset;
    if (type & CIM_ARRAY_FLAG) return this.array(u32(b, at), type & ~CIM_ARRAY_FLAG, heap, d.name, depth);
    return this.scalar(b, at, type, heap, d.name, depth);
  }

  private scalar(
    b: Uint8Array,
    at: number,
    type: number,
    heap: Heap,
    name: string,
    depth: number,
  ): WmiScalar | WmiObject {
    switch (type) {
      case CIM_TYPE.SINT8:
        return (b[at] << 24) >> 24;
      case CIM_TYPE.UINT8:
        return b[at];
      case CIM_TYPE.SINT16:
        return (u16(b, at) << 16) >> 16;
      case CIM_TYPE.UINT16:
        return u16(b, at);
      case CIM_TYPE.CHAR16:
        return String.fromCharCode(u16(b, at));
      case CIM_TYPE.BOOLEAN:
        return u16(b, at) !== 0;
      case CIM_TYPE.SINT32:
        return u32(b, at) | 0;
      case CIM_TYPE.UINT32:
        return u32(b, at);
      case CIM_TYPE.REAL32:
        return new DataView(b.buffer, b.byteOffset + at, 4).getFloat32(0, true);
      case CIM_TYPE.REAL64:
        return new DataView(b.buffer, b.byteOffset + at, 8).getFloat64(0, true);
      case CIM_TYPE.SINT64:
        return new DataView(b.buffer, b.byteOffset + at, 8).getBigInt64(0, true).toString();
      case CIM_TYPE.UINT64:
        return new DataView(b.buffer, b.byteOffset + at, 8).getBigUint64(0, true).toString();
      case CIM_TYPE.STRING:
      case CIM_TYPE.DATETIME:
      case CIM_TYPE.REFERENCE:
        return this.heapString(heap, u32(b, at), `wmio.value.${name}`) ?? null;
      case CIM_TYPE.OBJECT:
        return this.embedded(heap, u32(b, at), name, depth) ?? null;
      default:
        this.bad('unsupported', 'wmio.value', `CIM type ${type} of '${name}'`);
        return null;
    }
  }

  private array(ref: number, elemType: number, heap: Heap, name: string, depth: number): WmiValue {
    const b = this.b;
    if (ref & 0x80000000 || heap.start + ref + 4 > heap.end) {
      this.bad('out_of_bounds', 'wmio.array', `HeapRef ${ref} of '${name}'`);
      return null;
    }
    const p = heap.start + ref;
    const n = u32(b, p);
    if (n > MAX_ARRAY) {
      this.bad('limit', 'wmio.array', `'${name}' has ${n} elements`, p);
      return null;
    }
    const refElems =
      elemType === CIM_TYPE.STRING ||
      elemType === CIM_TYPE.DATETIME ||
      elemType === CIM_TYPE.REFERENCE ||
      elemType === CIM_TYPE.OBJECT;
    const size = refElems ? 4 : slotSize(elemType);
    if (size === 0 || p + 4 + n * size > heap.end) {
      this.bad('out_of_bounds', 'wmio.array', `'${name}': ${n} elements of ${size} bytes run past the heap`, p);
      return null;
    }
    if (elemType === CIM_TYPE.OBJECT) {
      const objs: (WmiObject | null)[] = [];
      for (let i = 0; i < n; i++) objs.push(this.embedded(heap, u32(b, p + 4 + i * 4), name, depth) ?? null);
      return objs;
    }
    const out: WmiScalar[] = [];
    for (let i = 0; i < n; i++) out.push(this.scalar(b, p + 4 + i * size, elemType, heap, name, depth) as WmiScalar);
    return out;
  }

  private embedded(heap: Heap, ref: number, name: string, depth: number): WmiObject | undefined {
    if (ref & 0x80000000 || heap.start + ref + 4 > heap.end) {
      return this.bad('out_of_bounds', 'wmio.object_value', `HeapRef ${ref} of '${name}'`);
    }
    const p = heap.start + ref;
    const len = u32(this.b, p);
    if (p + 4 + len > heap.end)
      return this.bad('out_of_bounds', 'wmio.object_value', `'${name}' object of ${len} bytes`, p);
    return this.objectBlock(p + 4, p + 4 + len, depth + 1);
  }

  /** HeapStringRef → text (dictionary entries included); undefined (with a problem) when invalid. */
  private heapString(heap: Heap, ref: number, where: string): string | undefined {
    if (ref & 0x80000000) {
      const i = ref & 0x7fffffff;
      return i < DICTIONARY.length ? DICTIONARY[i] : this.bad('bad_value', where, `dictionary index ${i}`);
    }
    const at = heap.start + ref;
    if (at >= heap.end)
      return this.bad('out_of_bounds', where, `HeapRef ${ref} past the ${heap.end - heap.start}-byte heap`);
    const s = this.inlineString(at, heap.end, where);
    return s?.text;
  }

  /** EncodedString at `p`, bounded by `end`. */
  private inlineString(p: number, end: number, where: string): { text: string; next: number } | undefined {
    const b = this.b;
    if (p >= end) return this.bad('truncated', where, 'encoded string missing', p);
    const flag = b[p];
    if (flag === 0) {
      const nul = b.indexOf(0, p + 1);
      if (nul < 0 || nul >= end) return this.bad('truncated', where, 'string has no NUL terminator', p);
      if (nul - p - 1 > MAX_STRING_UNITS) return this.bad('limit', where, 'string too long', p);
      return { text: latin1(b, p + 1, nul - p - 1), next: nul + 1 };
    }
    if (flag === 1) {
      // UTF-16LE right after the flag byte (so at an odd offset half of the time): find the 0x0000 unit.
      let i = p + 1;
      while (i + 1 < end && (b[i] !== 0 || b[i + 1] !== 0)) i += 2;
      if (i + 1 >= end) return this.bad('truncated', where, 'string has no NUL terminator', p);
      if ((i - p - 1) / 2 > MAX_STRING_UNITS) return this.bad('limit', where, 'string too long', p);
      return { text: utf16le(b, p + 1, i - p - 1), next: i + 2 };
    }
    return this.bad('bad_value', where, `Encoded-String-Flag ${flag}`, p);
  }
}

function slotSize(type: number): number {
  switch (type) {
    case CIM_TYPE.SINT8:
    case CIM_TYPE.UINT8:
      return 1;
    case CIM_TYPE.SINT16:
    case CIM_TYPE.UINT16:
    case CIM_TYPE.CHAR16:
    case CIM_TYPE.BOOLEAN:
      return 2;
    case CIM_TYPE.SINT32:
    case CIM_TYPE.UINT32:
    case CIM_TYPE.REAL32:
    case CIM_TYPE.STRING:
    case CIM_TYPE.DATETIME:
    case CIM_TYPE.REFERENCE:
    case CIM_TYPE.OBJECT:
      return 4;
    case CIM_TYPE.SINT64:
    case CIM_TYPE.UINT64:
    case CIM_TYPE.REAL64:
      return 8;
    default:
      return 0;
  }
}

/** A property's value as display text (null stays null; objects become "object:<Class>"). */
export function wmiValueText(v: WmiValue): string | null {
  if (v === null) return null;
  if (Array.isArray(v))
    return `[${v.map((x) => (x !== null && typeof x === 'object' ? `object:${x.className ?? '?'}` : String(x))).join(', ')}]`;
  if (typeof v === 'object') return `object:${v.className ?? '?'}`;
  return String(v);
}

function u16(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}

function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}
