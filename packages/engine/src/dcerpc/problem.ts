/**
 * Typed problems. Nothing in the DCE/RPC layer throws on bad input: malformed PDUs, broken framing and exhausted
 * bounds become a problem with a kind (for per-kind counters in the stats record) and a human-readable detail.
 */

/** A PDU whose frame (frag_length) is fine but whose body is not. */
export type DecodeProblemKind =
  /** frag_length is smaller than the fixed body of its PTYPE (e.g. a 20-byte request). */
  | 'truncated-body'
  /** A connectionless or undefined PTYPE inside a connection-oriented stream; framed by frag_length and skipped. */
  | 'unknown-ptype'
  /** auth_length + 8 (sec_trailer) does not fit between the fixed body and the end of the PDU. */
  | 'auth-length-overrun'
  /** sec_trailer.auth_pad_length is longer than the stub it pads. */
  | 'auth-pad-overrun'
  /** bind/alter_context: n_context_elem or a context's n_transfer_syn runs past the PDU. */
  | 'context-list-overrun'
  /** bind_ack/alter_context_resp: n_results runs past the PDU. */
  | 'result-list-overrun'
  /** bind_ack/alter_context_resp: sec_addr length runs past the PDU. */
  | 'sec-addr-overrun'
  /** bind_nak: n_protocols runs past the PDU. */
  | 'version-list-overrun';

/** Stream framing problems (framer.ts). Each one discards bytes and starts a resynchronisation. */
export type FramerProblemKind =
  | 'bad-version'
  | 'bad-drep'
  | 'frag-length-too-short'
  | 'frag-length-too-long'
  /** Bytes missing from the stream (TCP gap): the partial PDU, if any, is dropped. */
  | 'gap';

/** Per-connection state problems (connection.ts). */
export type ConnectionProblemKind =
  /** A reassembled request/response stub reached the size bound; later fragments are not appended. */
  | 'stub-too-large'
  /** The call table was full; the oldest call was dropped (its response will not be attributed). */
  | 'call-table-evicted'
  /** The context table was full; an entry was dropped to make room (rejected/pending ones first). */
  | 'context-table-evicted'
  /** A middle/last request or response fragment arrived for a call with no first fragment. */
  | 'fragment-without-first'
  /** A first fragment arrived while the same call_id was still being reassembled; the old stub is dropped. */
  | 'fragment-restart'
  /** A bind_ack/alter_context_resp/bind_nak whose call_id matches no pending bind/alter_context. */
  | 'bind-ack-unmatched'
  /** bind_ack/alter_context_resp carries a different number of results than the bind had contexts. */
  | 'bind-ack-count-mismatch'
  /** The client switched integer byte order between PDUs (Snort dcerpc2 event 36: an evasion technique). */
  | 'byte-order-changed';

export type DceProblemKind = DecodeProblemKind | FramerProblemKind | ConnectionProblemKind;

export class PduDecodeProblem {
  constructor(
    readonly kind: DecodeProblemKind,
    readonly detail: string,
  ) {}
}

export function isPduDecodeProblem(x: unknown): x is PduDecodeProblem {
  return x instanceof PduDecodeProblem;
}
