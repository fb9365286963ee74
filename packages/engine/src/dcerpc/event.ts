/**
 * DcePduEvent: what the connection layer reports for every PDU — the flat fields the rule engine's DceView needs
 * (the event *is* a DceView, so detection needs no conversion) plus the decoded PDU, the resolved call and the
 * effective security context for the logger and insight layers.
 *
 * Lifetime: `pdu`, `stub` (unless reassembled) and views inside `decoded` point into stream buffers that are reused
 * after the listener returns. Copy what you keep (toDceView(ev, true) does that for the DceView part).
 */
import type { DceInterfaceRef, DceView } from '../rules/types.js';
import type { Direction } from '../tcp/types.js';
import type { CallEntry } from './call-table.js';
import { PFC_FIRST_FRAG, PFC_LAST_FRAG } from './constants.js';
import type { AuthInfo, ContextEntry } from './context-table.js';
import type { DecodedPdu } from './pdu/index.js';
import type { PduDecodeProblem } from './problem.js';
import type { SecTrailer } from './sec-trailer.js';
import { readUuidString } from './uuid.js';

export class DcePduEvent implements DceView {
  // --- DceView -----------------------------------------------------------------------------------------------
  contextId: number | undefined = undefined;
  opnum: number | undefined = undefined;
  iface: ContextEntry | undefined = undefined;
  stub: Uint8Array | null = null;
  /** Suricata's stub buffer (DceView.suricataStub); filled by the glue only for rule sets that use it. */
  suricataStub: Uint8Array | null = null;
  sealed = false;
  faultStatus: number | undefined = undefined;
  /** Set by the detection glue from the decoded activation stub (DceView.activationClsid). */
  activationClsid: string | undefined = undefined;
  readonly firstFrag: boolean;
  readonly lastFrag: boolean;

  // --- more header fields ----------------------------------------------------------------------------------------
  readonly versionMinor: number;
  readonly drep0: number;
  readonly fragLength: number;
  readonly authLength: number;

  // --- decoding results ------------------------------------------------------------------------------------------
  /** The decoded body, or null when it could not be decoded (then `problem` says why). */
  decoded: DecodedPdu | null = null;
  /** Fatal decode problem (the header is still valid: the PDU was framed). */
  problem: PduDecodeProblem | null = null;
  /** Non-fatal problem (e.g. an unlocatable verifier) while the fixed fields decoded. */
  warning: PduDecodeProblem | null = null;
  /** This PDU's own verifier. */
  auth: SecTrailer | null = null;
  /**
   * Security context in effect: this PDU's own verifier; else, for a request, its context's when that was bound at
   * level connect or below (from packet level up a bare request is unauthenticated: null); for a response or fault,
   * the call it answers.
   */
  effectiveAuth: AuthInfo | null = null;
  /** effectiveAuth was inherited (from the bind/alter_context or the request), not carried by this PDU. */
  authInherited = false;

  // --- call attribution ------------------------------------------------------------------------------------------
  /** The call this request/response/fault belongs to (undefined when its request was never seen). */
  call: CallEntry | undefined = undefined;
  /** `stub` is the reassembly of all fragments of the call (only on a last fragment). */
  stubReassembled = false;
  /** The reassembled stub is missing fragments (gap, or no first fragment) — `stub` then holds only this fragment. */
  stubIncomplete = false;
  /** The reassembled stub hit the size bound and was cut. */
  stubTruncated = false;
  /** Context entries this PDU created (bind/alter_context) or answered (bind_ack/alter_context_resp/bind_nak). */
  contexts: ContextEntry[] | null = null;

  private objectUuidCache: string | undefined | null = null;

  constructor(
    readonly dir: Direction,
    readonly tsUs: number,
    /** The whole PDU: a view, valid only during the listener call. */
    readonly pdu: Uint8Array,
    readonly ptype: number,
    readonly pfcFlags: number,
    readonly littleEndian: boolean,
    readonly callId: number,
    /** Offset of the object UUID in `pdu` (requests with PFC_OBJECT_UUID), else -1. */
    private readonly objectUuidOffset: number,
  ) {
    this.versionMinor = pdu[1];
    this.drep0 = pdu[4];
    this.fragLength = pdu.length;
    this.authLength = littleEndian ? pdu[10] | (pdu[11] << 8) : (pdu[10] << 8) | pdu[11];
    this.firstFrag = (pfcFlags & PFC_FIRST_FRAG) !== 0;
    this.lastFrag = (pfcFlags & PFC_LAST_FRAG) !== 0;
  }

  /** Request object UUID (DCOM IPID) as a canonical string; built on first access. */
  get objectUuid(): string | undefined {
    if (this.objectUuidCache === null) {
      this.objectUuidCache =
        this.objectUuidOffset < 0 ? undefined : readUuidString(this.pdu, this.objectUuidOffset, this.littleEndian);
    }
    return this.objectUuidCache;
  }

  /** Auth level in effect (0 when none). */
  get authLevel(): number {
    return this.effectiveAuth?.authLevel ?? 0;
  }

  /** Auth type in effect (0 when none). */
  get authType(): number {
    return this.effectiveAuth?.authType ?? 0;
  }
}

/**
 * A DceView of the event. With `copy` the result is a plain object that owns its bytes (stub copied) and can be kept
 * after the listener returns; without it, the event itself is returned (it already satisfies DceView).
 */
export function toDceView(ev: DcePduEvent, copy = false): DceView {
  if (!copy) return ev;
  const ifc = ev.iface;
  const iface: DceInterfaceRef | undefined = ifc
    ? {
        uuid: ifc.uuid,
        verMajor: ifc.verMajor,
        verMinor: ifc.verMinor,
        accepted: ifc.accepted,
        bindFirstFrag: ifc.bindFirstFrag,
      }
    : undefined;
  return {
    ptype: ev.ptype,
    pfcFlags: ev.pfcFlags,
    littleEndian: ev.littleEndian,
    callId: ev.callId,
    contextId: ev.contextId,
    opnum: ev.opnum,
    iface,
    stub: ev.stub ? ev.stub.slice() : null,
    sealed: ev.sealed,
    firstFrag: ev.firstFrag,
    lastFrag: ev.lastFrag,
    faultStatus: ev.faultStatus,
    objectUuid: ev.objectUuid,
  };
}
