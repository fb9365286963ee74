/**
 * NTLMSSP messages per MS-NLMP 2.2.1, all little-endian, strings UTF-16LE (NEGOTIATE_UNICODE).
 *
 * NEGOTIATE (1):    "NTLMSSP\0" | MessageType=1 | NegotiateFlags | DomainNameFields | WorkstationFields
 *                   | Version (if NEGOTIATE_VERSION) | payload
 * CHALLENGE (2):    sig | 2 | TargetNameFields @12 | NegotiateFlags @20 | ServerChallenge[8] @24 | Reserved[8] @32
 *                   | TargetInfoFields @40 | Version @48 | payload @56 (TargetName, TargetInfo AV_PAIRs)
 * AUTHENTICATE (3): sig | 3 | LmChallengeResponseFields @12 | NtChallengeResponseFields @20 | DomainNameFields @28
 *                   | UserNameFields @36 | WorkstationFields @44 | EncryptedRandomSessionKeyFields @52
 *                   | NegotiateFlags @60 | [Version @64 | MIC[16] @72] | payload (domain, user, workstation, LM, NT, key)
 * Fields = { Len u16 | MaxLen u16 | BufferOffset u32 }.
 * NTLMv2 response (2.2.2.8): NTProofStr[16] | RespType=1 | HiRespType=1 | Reserved1 u16 | Reserved2 u32
 *                   | TimeStamp u64 | ChallengeFromClient[8] | Reserved3 u32 | AV_PAIRs | Reserved4 u32
 * MESSAGE_SIGNATURE with extended session security (2.2.2.9.1): Version=1 u32 | Checksum[8] | SeqNum u32.
 *
 * The NTLMv2 proof, session key and MIC are computed for real from the configured password, so the
 * AUTHENTICATE message is internally consistent (a verifier holding the password would accept it).
 */
import { ascii, ByteWriter, concat, utf16 } from '../util/bytes.js';
import type { Rng } from '../util/rng.js';
import { hmacMd5, md4, rc4 } from './crypto.js';

export const NTLMSSP_NEGOTIATE_UNICODE = 0x00000001;
export const NTLMSSP_NEGOTIATE_OEM = 0x00000002;
export const NTLMSSP_REQUEST_TARGET = 0x00000004;
export const NTLMSSP_NEGOTIATE_SIGN = 0x00000010;
export const NTLMSSP_NEGOTIATE_SEAL = 0x00000020;
export const NTLMSSP_NEGOTIATE_LM_KEY = 0x00000080;
export const NTLMSSP_NEGOTIATE_NTLM = 0x00000200;
export const NTLMSSP_ANONYMOUS = 0x00000800;
export const NTLMSSP_NEGOTIATE_ALWAYS_SIGN = 0x00008000;
export const NTLMSSP_TARGET_TYPE_DOMAIN = 0x00010000;
export const NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000;
export const NTLMSSP_NEGOTIATE_TARGET_INFO = 0x00800000;
export const NTLMSSP_NEGOTIATE_VERSION = 0x02000000;
export const NTLMSSP_NEGOTIATE_128 = 0x20000000;
export const NTLMSSP_NEGOTIATE_KEY_EXCH = 0x40000000;
export const NTLMSSP_NEGOTIATE_56 = 0x80000000;

export const AV = {
  EOL: 0,
  NbComputerName: 1,
  NbDomainName: 2,
  DnsComputerName: 3,
  DnsDomainName: 4,
  DnsTreeName: 5,
  Flags: 6,
  Timestamp: 7,
  TargetName: 9,
  ChannelBindings: 10,
} as const;

export interface NtlmIdentity {
  domain: string;
  /** Empty string = anonymous authentication (MS-NLMP 3.2.5.1.2). */
  user: string;
  workstation: string;
  password: string;
}

export interface NtlmServerNames {
  nbDomain: string;
  nbComputer: string;
  dnsDomain: string;
  dnsComputer: string;
}

export interface NtlmOptions {
  /** 'windows': VERSION + MIC + MsvAvFlags; 'impacket': no VERSION, no MIC (impacket 0.9.x wire image). */
  style?: 'windows' | 'impacket';
  /** Request sealing (packet privacy). */
  seal?: boolean;
  /** 'v2' (default) or 'v1' (24-byte responses; structural only, not cryptographically valid). */
  version?: 'v1' | 'v2';
  /** Time of the exchange, µs since the epoch (goes into MsvAvTimestamp / the NTLMv2 blob). */
  timeMicros: number;
  /** Service principal placed in MsvAvTargetName, e.g. "host/server.corp.local". */
  targetName?: string;
}

const SIGNATURE = ascii('NTLMSSP\0');
/** Version structure: Windows 10 / Server 2016+ build 19041, NTLM revision 15. */
const VERSION = Uint8Array.of(10, 0, 0x61, 0x4a, 0, 0, 0, 0x0f);

export function filetime(unixMicros: number): bigint {
  return BigInt(unixMicros) * 10n + 116444736000000000n;
}

function avPairs(pairs: Array<[number, Uint8Array]>): Uint8Array {
  const w = new ByteWriter(true);
  for (const [id, v] of pairs) w.u16(id).u16(v.length).bytes(v);
  w.u16(AV.EOL).u16(0);
  return w.toBytes();
}

function u64le(v: bigint): Uint8Array {
  const w = new ByteWriter(true);
  w.u64(v);
  return w.toBytes();
}

/**
 * One NTLM exchange (client and server halves), producing the three messages and the per-message
 * signatures that follow at levels >= PKT.
 */
export class NtlmExchange {
  readonly style: 'windows' | 'impacket';
  readonly flags: number;
  private negotiateMsg?: Uint8Array;
  private challengeMsg?: Uint8Array;
  private serverChallenge: Uint8Array;
  private targetInfo?: Uint8Array;
  readonly anonymous: boolean;

  constructor(
    readonly identity: NtlmIdentity,
    readonly server: NtlmServerNames,
    private readonly rng: Rng,
    private readonly o: NtlmOptions,
  ) {
    this.style = o.style ?? 'windows';
    this.anonymous = identity.user === '';
    let f =
      NTLMSSP_NEGOTIATE_UNICODE |
      NTLMSSP_REQUEST_TARGET |
      NTLMSSP_NEGOTIATE_SIGN |
      NTLMSSP_NEGOTIATE_NTLM |
      NTLMSSP_NEGOTIATE_ALWAYS_SIGN |
      NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY |
      NTLMSSP_NEGOTIATE_128 |
      NTLMSSP_NEGOTIATE_KEY_EXCH |
      NTLMSSP_NEGOTIATE_56;
    if (this.style === 'windows') f |= NTLMSSP_NEGOTIATE_OEM | NTLMSSP_NEGOTIATE_LM_KEY | NTLMSSP_NEGOTIATE_VERSION;
    else f |= NTLMSSP_NEGOTIATE_TARGET_INFO;
    if (o.seal) f |= NTLMSSP_NEGOTIATE_SEAL;
    this.flags = f >>> 0;
    this.serverChallenge = rng.bytes(8);
  }

  get ntlmVersion(): 'v1' | 'v2' {
    return this.o.version ?? 'v2';
  }

  negotiate(): Uint8Array {
    // Domain and workstation are not supplied (no *_SUPPLIED flags), so both field triples are all zero,
    // as Windows and impacket send them.
    const w = new ByteWriter(true);
    w.bytes(SIGNATURE).u32(1).u32(this.flags).fill(16);
    if (this.flags & NTLMSSP_NEGOTIATE_VERSION) w.bytes(VERSION);
    this.negotiateMsg = w.toBytes();
    return this.negotiateMsg;
  }

  challenge(): Uint8Array {
    const s = this.server;
    this.targetInfo = avPairs([
      [AV.NbDomainName, utf16(s.nbDomain)],
      [AV.NbComputerName, utf16(s.nbComputer)],
      [AV.DnsDomainName, utf16(s.dnsDomain)],
      [AV.DnsComputerName, utf16(s.dnsComputer)],
      [AV.DnsTreeName, utf16(s.dnsDomain)],
      [AV.Timestamp, u64le(filetime(this.o.timeMicros))],
    ]);
    const flags =
      ((this.flags & ~(NTLMSSP_NEGOTIATE_OEM | NTLMSSP_NEGOTIATE_LM_KEY)) |
        NTLMSSP_NEGOTIATE_TARGET_INFO |
        NTLMSSP_TARGET_TYPE_DOMAIN |
        NTLMSSP_NEGOTIATE_VERSION) >>>
      0;
    // Fixed part is 56 bytes: fields at 12 and 40, flags at 20, challenge at 24, reserved at 32, version at 48.
    const w = new ByteWriter(true);
    const targetName = utf16(s.nbDomain);
    w.bytes(SIGNATURE).u32(2);
    w.u16(targetName.length).u16(targetName.length).u32(56);
    w.u32(flags);
    w.bytes(this.serverChallenge);
    w.fill(8);
    w.u16(this.targetInfo.length)
      .u16(this.targetInfo.length)
      .u32(56 + targetName.length);
    w.bytes(VERSION);
    w.bytes(targetName).bytes(this.targetInfo);
    this.challengeMsg = w.toBytes();
    return this.challengeMsg;
  }

  authenticate(): Uint8Array {
    if (!this.negotiateMsg) this.negotiate();
    if (!this.challengeMsg || !this.targetInfo) this.challenge();
    const id = this.identity;
    const withMic = this.style === 'windows' && !this.anonymous && this.o.version !== 'v1';
    let lm: Uint8Array;
    let nt: Uint8Array;
    let sessionBaseKey: Uint8Array;
    if (this.anonymous) {
      lm = Uint8Array.of(0);
      nt = new Uint8Array(0);
      sessionBaseKey = new Uint8Array(16);
    } else if (this.o.version === 'v1') {
      lm = this.rng.bytes(24);
      nt = this.rng.bytes(24);
      sessionBaseKey = this.rng.bytes(16);
    } else {
      const key = ntowfv2(id.password, id.user, id.domain);
      const clientChallenge = this.rng.bytes(8);
      const pairs = parseAvPairs(this.targetInfo!).filter(([t]) => t !== AV.EOL);
      if (withMic) pairs.push([AV.Flags, Uint8Array.of(2, 0, 0, 0)]);
      pairs.push([AV.ChannelBindings, new Uint8Array(16)]);
      if (this.o.targetName) pairs.push([AV.TargetName, utf16(this.o.targetName)]);
      const r = ntlmv2Response(key, this.serverChallenge, clientChallenge, filetime(this.o.timeMicros), avPairs(pairs));
      nt = r.response;
      sessionBaseKey = r.sessionBaseKey;
      // With MsvAvTimestamp in the CHALLENGE, Windows clients send Z(24) as the LM response (3.1.5.1.2).
      lm =
        this.style === 'windows'
          ? new Uint8Array(24)
          : concat([hmacMd5(key, this.serverChallenge, clientChallenge), clientChallenge]);
    }
    const exportedSessionKey = this.rng.bytes(16);
    const encryptedKey = this.anonymous ? new Uint8Array(0) : rc4(sessionBaseKey, exportedSessionKey);

    // Fixed part: six {Len, MaxLen, Offset} fields (LM, NT, domain, user, workstation, session key), flags,
    // [Version, MIC]. Payload order follows Windows: domain, user, workstation, LM, NT, key.
    const w = new ByteWriter(true);
    w.bytes(SIGNATURE).u32(3);
    const fieldsAt = w.length;
    w.fill(6 * 8);
    let flags = this.flags;
    if (this.anonymous) flags |= NTLMSSP_ANONYMOUS;
    if (this.style === 'windows') flags &= ~NTLMSSP_NEGOTIATE_OEM;
    w.u32(flags >>> 0);
    if (this.flags & NTLMSSP_NEGOTIATE_VERSION) w.bytes(VERSION);
    const micAt = w.length;
    if (withMic) w.fill(16);
    const payload: Array<[number, Uint8Array]> = [
      [2, utf16(id.domain)],
      [3, utf16(id.user)],
      [4, utf16(id.workstation)],
      [0, lm],
      [1, nt],
      [5, encryptedKey],
    ];
    for (const [field, data] of payload) {
      const at = fieldsAt + 8 * field;
      w.patchU16(at, data.length);
      w.patchU16(at + 2, data.length);
      w.patchU32(at + 4, w.length);
      w.bytes(data);
    }
    const msg = w.toBytes();
    if (withMic) {
      const mic = hmacMd5(exportedSessionKey, this.negotiateMsg!, this.challengeMsg!, msg);
      msg.set(mic, micAt);
    }
    return msg;
  }

  /** MESSAGE_SIGNATURE for packet-level protection; the checksum is opaque random (no keys are modelled). */
  signature(seqNum: number): Uint8Array {
    const w = new ByteWriter(true);
    w.u32(1).bytes(this.rng.bytes(8)).u32(seqNum);
    return w.toBytes();
  }
}

/** NTOWFv2 = HMAC_MD5(MD4(UNICODE(password)), UNICODE(Uppercase(user) + domain)) (MS-NLMP 3.3.2). */
export function ntowfv2(password: string, user: string, domain: string): Uint8Array {
  return hmacMd5(md4(utf16(password)), utf16(user.toUpperCase() + domain));
}

/**
 * NTLMv2 response (MS-NLMP 3.3.2): temp = 0x01 0x01 Z(6) Time ClientChallenge Z(4) AvPairs Z(4);
 * NTProofStr = HMAC_MD5(key, ServerChallenge + temp); response = NTProofStr + temp;
 * SessionBaseKey = HMAC_MD5(key, NTProofStr).
 */
export function ntlmv2Response(
  key: Uint8Array,
  serverChallenge: Uint8Array,
  clientChallenge: Uint8Array,
  time: bigint,
  avPairBytes: Uint8Array,
): { ntProofStr: Uint8Array; response: Uint8Array; sessionBaseKey: Uint8Array } {
  const temp = new ByteWriter(true);
  temp.u8(1).u8(1).u16(0).u32(0).u64(time).bytes(clientChallenge).u32(0).bytes(avPairBytes).u32(0);
  const blob = temp.toBytes();
  const ntProofStr = hmacMd5(key, serverChallenge, blob);
  return { ntProofStr, response: concat([ntProofStr, blob]), sessionBaseKey: hmacMd5(key, ntProofStr) };
}

/** AV_PAIR list terminated by MsvAvEOL. */
export function encodeAvPairs(pairs: Array<[number, Uint8Array]>): Uint8Array {
  return avPairs(pairs);
}

export function parseAvPairs(b: Uint8Array): Array<[number, Uint8Array]> {
  const out: Array<[number, Uint8Array]> = [];
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let o = 0; o + 4 <= b.length; ) {
    const id = v.getUint16(o, true);
    const len = v.getUint16(o + 2, true);
    out.push([id, b.slice(o + 4, o + 4 + len)]);
    o += 4 + len;
    if (id === AV.EOL) break;
  }
  return out;
}
