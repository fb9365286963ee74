/**
 * wmi/: what clear DCOM / WMI stubs say — activation CLSIDs and OXID bindings, WMI namespaces, queries,
 * classes, methods and command lines, IDispatch names and arguments. Pure parsers over byte slices handed over
 * by the DCE/RPC layer; none of them throws on malformed input.
 */
export {
  ACTIVATION_PROPERTY,
  type ActivationIn,
  type ActivationOut,
  CLSID_ACTIVATION_PROPERTIES_IN,
  CLSID_ACTIVATION_PROPERTIES_OUT,
  parseActivationPropertiesIn,
  parseActivationPropertiesOut,
} from './activation.js';
export { type ClsidEntry, ClsidTable, DEFAULT_CLSIDS } from './clsids.js';
export { type DecodeOptions, decodeStub, hasStubDecoder, isDecodedInterface, type StubInput } from './decode.js';
export type { DcomInsight, OxidBinding, StubInsight, WmiInsight } from './insight.js';
export { CLSID_WBEM_CLASS_OBJECT, CLSID_WBEM_CONTEXT, IID } from './interfaces.js';
export { NDR_MAX_COUNT, NdrReader, type NdrReaderOptions, typeSerialization1 } from './ndr.js';
export {
  DISPATCH_FLAGS,
  type InvokeRequest,
  type InvokeResponse,
  invokeKind,
  readGetIdsOfNamesRequest,
  readGetIdsOfNamesResponse,
  readInvokeRequest,
  readInvokeResponse,
  readWireVariant,
  type VariantValue,
  VT,
  vtName,
} from './oaut.js';
export {
  type DualStringArray,
  FLAGS_OBJREF_CUSTOM,
  FLAGS_OBJREF_EXTENDED,
  FLAGS_OBJREF_HANDLER,
  FLAGS_OBJREF_STANDARD,
  OBJREF_SIGNATURE,
  type ObjRef,
  type ObjRefResult,
  type OrpcThat,
  type OrpcThis,
  parseDualStringArrayPacked,
  parseObjRef,
  readDualStringArrayNdr,
  readInterfacePointer,
  readInterfacePointerBody,
  readOrpcThat,
  readOrpcThis,
  type SecurityBinding,
  type StdObjRef,
  type StringBinding,
  stringBinding,
  TOWER_NAMES,
} from './orpc.js';
export { type ExtractedString, extractStrings, pickCommandLine } from './strings.js';
export { COMMAND_PARAMETERS, COMMAND_PROPERTIES, parseObjectPath, wqlClass } from './wbem.js';
export {
  CIM_ARRAY_FLAG,
  CIM_INHERITED_FLAG,
  CIM_TYPE,
  parseEncodingUnit,
  parseObjectBlock,
  WMIO_SIGNATURE,
  type WmiObject,
  type WmioResult,
  type WmiProperty,
  type WmiScalar,
  type WmiValue,
  wmiValueText,
} from './wmio.js';
