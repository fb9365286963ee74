/**
 * Kerberos tokens (RFC 4120, RFC 4121, MS-KILE) — DER-valid, with opaque (random) ciphertext.
 *
 * AP-REQ ::= [APPLICATION 14] SEQUENCE { pvno [0] 5, msg-type [1] 14, ap-options [2] BIT STRING,
 *            ticket [3] Ticket, authenticator [4] EncryptedData }
 * Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0] 5, realm [1] GeneralString, sname [2] PrincipalName,
 *            enc-part [3] EncryptedData }
 * PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF GeneralString }
 * EncryptedData ::= SEQUENCE { etype [0] Int32, kvno [1] UInt32 OPTIONAL, cipher [2] OCTET STRING }
 * AP-REP ::= [APPLICATION 15] SEQUENCE { pvno [0] 5, msg-type [1] 15, enc-part [2] EncryptedData }
 * GSS-API framing (RFC 4121 4.1): [APPLICATION 0] { OID 1.2.840.113554.1.2.2, TOK_ID u16, token }
 *   TOK_ID 01 00 = AP-REQ, 02 00 = AP-REP.
 * Per-message token (RFC 4121 4.2.6.2, Wrap): TOK_ID 05 04 | Flags | Filler 0xff | EC u16 | RRC u16 | SND_SEQ u64
 *   followed by the checksum (opaque here).
 *
 * Only the realm and the service principal are in clear in an AP-REQ; the client principal sits in the
 * encrypted authenticator, so a passive observer never learns who authenticated.
 */
import { ByteWriter, concat } from '../util/bytes.js';
import type { Rng } from '../util/rng.js';
import { app, bitString32, ctx, generalString, integer, OID, octets, oid, seq } from './der.js';

export const ETYPE_AES256_CTS_HMAC_SHA1_96 = 18;
export const NT_SRV_INST = 2;
/** AP options: mutual-required (bit 2). */
export const AP_OPT_MUTUAL_REQUIRED = 0x20000000;

export interface ServicePrincipal {
  realm: string;
  /** e.g. ["host", "server.corp.local"] for host/server.corp.local */
  nameParts: string[];
}

export function parseSpn(spn: string, realm: string): ServicePrincipal {
  return { realm, nameParts: spn.split('/') };
}

function encryptedData(etype: number, cipher: Uint8Array, kvno?: number): Uint8Array {
  const parts = [ctx(0, integer(etype))];
  if (kvno !== undefined) parts.push(ctx(1, integer(kvno)));
  parts.push(ctx(2, octets(cipher)));
  return seq(...parts);
}

export function apReq(
  sp: ServicePrincipal,
  rng: Rng,
  o: { kvno?: number; ticketCipherLength?: number } = {},
): Uint8Array {
  const principal = seq(ctx(0, integer(NT_SRV_INST)), ctx(1, seq(...sp.nameParts.map(generalString))));
  const ticket = app(
    1,
    seq(
      ctx(0, integer(5)),
      ctx(1, generalString(sp.realm)),
      ctx(2, principal),
      ctx(3, encryptedData(ETYPE_AES256_CTS_HMAC_SHA1_96, rng.bytes(o.ticketCipherLength ?? 1040), o.kvno ?? 3)),
    ),
  );
  return app(
    14,
    seq(
      ctx(0, integer(5)),
      ctx(1, integer(14)),
      ctx(2, bitString32(AP_OPT_MUTUAL_REQUIRED)),
      ctx(3, ticket),
      ctx(4, encryptedData(ETYPE_AES256_CTS_HMAC_SHA1_96, rng.bytes(438))),
    ),
  );
}

export function apRep(rng: Rng): Uint8Array {
  return app(
    15,
    seq(ctx(0, integer(5)), ctx(1, integer(15)), ctx(2, encryptedData(ETYPE_AES256_CTS_HMAC_SHA1_96, rng.bytes(112)))),
  );
}

/** RFC 4121 InitialContextToken framing of a krb5 token (TOK_ID 0x0100 AP-REQ, 0x0200 AP-REP). */
export function gssKrb5(tokId: number, token: Uint8Array): Uint8Array {
  return app(0, concat([oid(OID.krb5), Uint8Array.of(tokId >> 8, tokId & 0xff), token]));
}

/** RFC 4121 Wrap token header + opaque 12-byte HMAC-SHA1-96 checksum (sealed flag 0x02 when privacy). */
export function krbWrapToken(seqNum: bigint, sealed: boolean, acceptor: boolean, rng: Rng): Uint8Array {
  const w = new ByteWriter(false);
  const flags = (acceptor ? 0x01 : 0) | (sealed ? 0x02 : 0) | 0x04; // SentByAcceptor | Sealed | AcceptorSubkey
  w.u8(0x05)
    .u8(0x04)
    .u8(flags)
    .u8(0xff)
    .u16(0)
    .u16(sealed ? 28 : 0)
    .u64(seqNum);
  w.bytes(rng.bytes(sealed ? 44 : 12));
  return w.toBytes();
}
