/**
 * Who is the client of a connection picked up midstream, from its first payload, when that payload begins with a
 * connection-oriented DCE/RPC PDU header (C706 12.6.3.1):
 *
 *   offset 0 rpc_vers (5)  1 rpc_vers_minor (0 or 1)  2 PTYPE  3 pfc_flags  4..7 drep (byte 0: 0x00 or 0x10)
 *   8..9 frag_length (≥ 16, in the drep's byte order)
 *
 * Only a client sends request (0), bind (11), alter_context (14), auth3 (16), co_cancel (18) and orphaned (19); only
 * a server sends response (2), fault (3), bind_ack (12), bind_nak (13), alter_context_resp (15) and shutdown (17).
 *
 * WHY in the TCP layer: the port heuristic (a port below 1024, else the lower port) is a coin toss for DCOM object
 * connections, whose server port (49152-65535 on current Windows) lies in the same range as the client's ephemeral
 * port. With the roles backwards every `flow:to_server` rule misses the connection's requests. The header tells the
 * truth as soon as the first captured segment starts a PDU; other payloads leave the port heuristic in charge.
 */

/** 0: the payload's sender is the client; 1: it is the server; -1: the payload does not say. */
export function dcerpcSenderRole(payload: Uint8Array): -1 | 0 | 1 {
  if (payload.length < 16 || payload[0] !== 5 || payload[1] > 1) return -1;
  const drep0 = payload[4] & 0xf0;
  if (drep0 !== 0x00 && drep0 !== 0x10) return -1;
  const fragLength = drep0 === 0x10 ? payload[8] | (payload[9] << 8) : (payload[8] << 8) | payload[9];
  if (fragLength < 16) return -1;
  switch (payload[2]) {
    case 0:
    case 11:
    case 14:
    case 16:
    case 18:
    case 19:
      return 0;
    case 2:
    case 3:
    case 12:
    case 13:
    case 15:
    case 17:
      return 1;
    default:
      return -1;
  }
}
