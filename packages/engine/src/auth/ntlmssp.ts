/**
 * NTLMSSP messages (MS-NLMP 2.2.1) as they appear in DCE/RPC auth verifiers: raw with auth_type 0x0A
 * (RPC_C_AUTHN_WINNT), or as the mechToken/responseToken of SPNEGO (auth_type 0x09).
 *
 * All integers little-endian. A "field" is { Len u16, MaxLen u16, BufferOffset u32 } pointing into the
 * message (offsets from its first byte).
 *
 *   common       Signature "NTLMSSP\0" @0 | MessageType u32 @8
 *   NEGOTIATE 1  NegotiateFlags @12 | DomainNameFields @16 | WorkstationFields @24 | Version @32 (8, optional)
 *   CHALLENGE 2  TargetNameFields @12 | NegotiateFlags @20 | ServerChallenge[8] @24 | Reserved[8] @32
 *                | TargetInfoFields @40 | Version @48 (optional)
 *   AUTHENTICATE 3  LmChallengeResponseFields @12 | NtChallengeResponseFields @20 | DomainNameFields @28
 *                | UserNameFields @36 | WorkstationFields @44 | EncryptedRandomSessionKeyFields @52
 *                | NegotiateFlags @60 | Version @64 | MIC[16] @72 — each of the last four only when the
 *                payload starts after it (old clients end the header at 52 or 60).
 *   Version      ProductMajor u8 | ProductMinor u8 | ProductBuild u16 | Reserved[3] | NTLMRevisionCurrent u8
 *   AV_PAIR      AvId u16 | AvLen u16 | Value[AvLen]; list ends with MsvAvEOL (0); strings UTF-16LE.
 *   NTLMv2 response  NTProofStr[16] | RespType 1 | HiRespType 1 | Reserved 6 | TimeStamp u64 FILETIME
 *                | ChallengeFromClient[8] | Reserved 4 | AV_PAIRs (the client's copy, with MsvAvTargetName = SPN)
 *
 * Strings are UTF-16LE when NTLMSSP_NEGOTIATE_UNICODE is set, else OEM (one byte per character). NTLM
 * version: an NtChallengeResponse longer than 24 bytes is NTLMv2, exactly 24 is NTLMv1 (with "extended
 * session security" when that flag is set). Anonymous (MS-NLMP 3.2.5.1.2): empty user name, empty
 * NtChallengeResponse and an empty or one-byte LmChallengeResponse.
 *
 * Parsing never throws: every offset/length is checked; a field that fails becomes undefined and adds a
 * problem, and the rest of the message is still returned.
 */

import { hexAt } from '../util/guid.js';
import { type ParseProblem, problem } from '../util/parse-problem.js';
import { latin1, looksUtf16le, utf16le } from '../util/text.js';

export const NTLMSSP_SIGNATURE = Uint8Array.of(0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00); // "NTLMSSP\0"

export const NTLM_FLAGS = {
  NEGOTIATE_UNICODE: 0x00000001,
  NEGOTIATE_OEM: 0x00000002,
  REQUEST_TARGET: 0x00000004,
  NEGOTIATE_SIGN: 0x00000010,
  NEGOTIATE_SEAL: 0x00000020,
  NEGOTIATE_DATAGRAM: 0x00000040,
  NEGOTIATE_LM_KEY: 0x00000080,
  NEGOTIATE_NTLM: 0x00000200,
  ANONYMOUS: 0x00000800,
  NEGOTIATE_OEM_DOMAIN_SUPPLIED: 0x00001000,
  NEGOTIATE_OEM_WORKSTATION_SUPPLIED: 0x00002000,
  NEGOTIATE_ALWAYS_SIGN: 0x00008000,
  TARGET_TYPE_DOMAIN: 0x00010000,
  TARGET_TYPE_SERVER: 0x00020000,
  NEGOTIATE_EXTENDED_SESSIONSECURITY: 0x00080000,
  NEGOTIATE_IDENTIFY: 0x00100000,
  REQUEST_NON_NT_SESSION_KEY: 0x00400000,
  NEGOTIATE_TARGET_INFO: 0x00800000,
  NEGOTIATE_VERSION: 0x02000000,
  NEGOTIATE_128: 0x20000000,
  NEGOTIATE_KEY_EXCH: 0x40000000,
  NEGOTIATE_56: 0x80000000,
} as const;

/** Names of the set flags, low bit first (for records and debugging). */
export function ntlmFlagNames(flags: number): string[] {
  const out: string[] = [];
  for (const [name, bit] of Object.entries(NTLM_FLAGS)) if ((flags & bit) >>> 0 === bit) out.push(name);
  return out;
}

export const AV_ID = {
  EOL: 0,
  NB_COMPUTER_NAME: 1,
  NB_DOMAIN_NAME: 2,
  DNS_COMPUTER_NAME: 3,
  DNS_DOMAIN_NAME: 4,
  DNS_TREE_NAME: 5,
  FLAGS: 6,
  TIMESTAMP: 7,
  SINGLE_HOST: 8,
  TARGET_NAME: 9,
  CHANNEL_BINDINGS: 10,
} as const;

/** MsvAvFlags bit: the AUTHENTICATE message carries a MIC. */
export const MSV_AV_FLAG_MIC_PRESENT = 0x2;

export interface NtlmVersion {
  major: number;
  minor: number;
  build: number;
  /** NTLMRevisionCurrent; 15 for every current implementation. */
  revision: number;
}

/** Decoded AV_PAIR list (CHALLENGE TargetInfo, or the client's copy inside an NTLMv2 response). */
export interface NtlmTargetInfo {
  nbComputerName?: string;
  nbDomainName?: string;
  dnsComputerName?: string;
  dnsDomainName?: string;
  dnsTreeName?: string;
  /** MsvAvFlags. */
  flags?: number;
  /** MsvAvTimestamp as ISO-8601 (millisecond precision). */
  timestamp?: string;
  /** MsvAvTargetName: the SPN the client authenticated to (e.g. "cifs/host", "RPCSS/host"). */
  targetName?: string;
  /** MsvAvChannelBindings (hex MD5); all zeros when the client had no channel binding. */
  channelBindings?: string;
  /** AvIds this decoder does not name, in order. */
  otherIds: number[];
  /** MsvAvEOL was found (a list without it is malformed). */
  terminated: boolean;
}

export interface NtlmNegotiate {
  type: 'negotiate';
  flags: number;
  /** OEM domain the client supplied (only with NEGOTIATE_OEM_DOMAIN_SUPPLIED). */
  domain?: string;
  /** OEM workstation the client supplied (only with NEGOTIATE_OEM_WORKSTATION_SUPPLIED). */
  workstation?: string;
  version?: NtlmVersion;
}

export interface NtlmChallenge {
  type: 'challenge';
  flags: number;
  /** The server's domain or computer name (TARGET_TYPE_DOMAIN / _SERVER). */
  targetName?: string;
  /** ServerChallenge, hex. */
  serverChallenge: string;
  targetInfo?: NtlmTargetInfo;
  version?: NtlmVersion;
}

export interface NtlmAuthenticate {
  type: 'authenticate';
  /** NegotiateFlags; undefined when the (old-style) header ends before the flags field. */
  flags?: number;
  /** Strings were read as UTF-16LE (from the flags, or guessed from the bytes when the flags are absent). */
  unicode: boolean;
  domain?: string;
  user?: string;
  workstation?: string;
  lmResponseLength: number;
  ntResponseLength: number;
  /** 'v2' when the NT response is longer than 24 bytes, 'v1' when exactly 24; undefined when empty. */
  ntlmVersion?: 'v1' | 'v2';
  /** NTLMv1 with extended session security ("NTLM2 session response"). */
  ess: boolean;
  anonymous: boolean;
  sessionKeyLength: number;
  version?: NtlmVersion;
  micPresent: boolean;
  /** From the NTLMv2 response blob. */
  ntlmv2?: {
    ntProofStr: string;
    timestamp?: string;
    clientChallenge: string;
    targetInfo: NtlmTargetInfo;
  };
}

export type NtlmMessage = NtlmNegotiate | NtlmChallenge | NtlmAuthenticate;

export interface NtlmParseResult {
  /** Undefined only when not even the signature, type and fixed header could be read. */
  message?: NtlmMessage;
  problems: ParseProblem[];
}

export function isNtlmssp(b: Uint8Array, off = 0): boolean {
  if (b.length - off < 8) return false;
  for (let i = 0; i < 8; i++) if (b[off + i] !== NTLMSSP_SIGNATURE[i]) return false;
  return true;
}

/** Parses one NTLMSSP message occupying all of `b`. */
export function parseNtlmssp(b: Uint8Array): NtlmParseResult {
  const problems: ParseProblem[] = [];
  if (b.length < 12) {
    problems.push(problem('truncated', 'ntlmssp', `${b.length} bytes, less than signature + message type`, 0));
    return { problems };
  }
  if (!isNtlmssp(b)) {
    problems.push(problem('bad_signature', 'ntlmssp', 'does not start with "NTLMSSP\\0"', 0));
    return { problems };
  }
  const type = u32(b, 8);
  switch (type) {
    case 1:
      return parseNegotiate(b, problems);
    case 2:
      return parseChallenge(b, problems);
    case 3:
      return parseAuthenticate(b, problems);
    default:
      problems.push(problem('bad_value', 'ntlmssp.message_type', `unknown message type ${type}`, 8));
      return { problems };
  }
}

// --- message types -----------------------------------------------------------------------------------------

function parseNegotiate(b: Uint8Array, problems: ParseProblem[]): NtlmParseResult {
  if (b.length < 16) {
    problems.push(problem('truncated', 'ntlmssp.negotiate', 'ends before NegotiateFlags', b.length));
    return { problems };
  }
  const flags = u32(b, 12);
  const msg: NtlmNegotiate = { type: 'negotiate', flags };
  // Domain/workstation fields are optional on the wire for very old clients (a 16-byte NEGOTIATE is legal).
  if (b.length >= 32) {
    const dom = field(b, 16, 'ntlmssp.negotiate.domain', problems);
    const ws = field(b, 24, 'ntlmssp.negotiate.workstation', problems);
    if (dom && flags & NTLM_FLAGS.NEGOTIATE_OEM_DOMAIN_SUPPLIED) msg.domain = latin1(b, dom.off, dom.len);
    if (ws && flags & NTLM_FLAGS.NEGOTIATE_OEM_WORKSTATION_SUPPLIED) msg.workstation = latin1(b, ws.off, ws.len);
    const payloadStart = minOffset(b.length, dom, ws);
    if (flags & NTLM_FLAGS.NEGOTIATE_VERSION && payloadStart >= 40 && b.length >= 40) msg.version = version(b, 32);
  }
  return { message: msg, problems };
}

function parseChallenge(b: Uint8Array, problems: ParseProblem[]): NtlmParseResult {
  if (b.length < 32) {
    problems.push(problem('truncated', 'ntlmssp.challenge', 'ends before ServerChallenge', b.length));
    return { problems };
  }
  const flags = u32(b, 20);
  const unicode = (flags & NTLM_FLAGS.NEGOTIATE_UNICODE) !== 0;
  const msg: NtlmChallenge = { type: 'challenge', flags, serverChallenge: hexAt(b, 24, 8) };
  const tn = field(b, 12, 'ntlmssp.challenge.target_name', problems);
  if (tn) msg.targetName = str(b, tn, unicode);
  let ti: Field | undefined;
  if (b.length >= 48) {
    ti = field(b, 40, 'ntlmssp.challenge.target_info', problems);
    if (ti && ti.len > 0)
      msg.targetInfo = parseAvPairs(b, ti.off, ti.off + ti.len, 'ntlmssp.challenge.target_info', problems);
  }
  const payloadStart = minOffset(b.length, tn, ti);
  if (flags & NTLM_FLAGS.NEGOTIATE_VERSION && payloadStart >= 56 && b.length >= 56) msg.version = version(b, 48);
  return { message: msg, problems };
}

function parseAuthenticate(b: Uint8Array, problems: ParseProblem[]): NtlmParseResult {
  if (b.length < 52) {
    problems.push(problem('truncated', 'ntlmssp.authenticate', 'ends inside the fixed header (52 bytes)', b.length));
    return { problems };
  }
  const lm = field(b, 12, 'ntlmssp.authenticate.lm_response', problems);
  const nt = field(b, 20, 'ntlmssp.authenticate.nt_response', problems);
  const dom = field(b, 28, 'ntlmssp.authenticate.domain', problems);
  const usr = field(b, 36, 'ntlmssp.authenticate.user', problems);
  const ws = field(b, 44, 'ntlmssp.authenticate.workstation', problems);
  // The session-key field exists only when the header reaches 60 bytes; it is part of the header, so the
  // payload start is computed from the five mandatory fields first.
  let payloadStart = minOffset(b.length, lm, nt, dom, usr, ws);
  let key: Field | undefined;
  if (payloadStart >= 60 && b.length >= 60) {
    key = field(b, 52, 'ntlmssp.authenticate.session_key', problems);
    payloadStart = minOffset(payloadStart, key);
  }
  const flags = payloadStart >= 64 && b.length >= 64 ? u32(b, 60) : undefined;
  let unicode: boolean;
  if (flags !== undefined) {
    unicode = (flags & NTLM_FLAGS.NEGOTIATE_UNICODE) !== 0;
  } else {
    // No flags on the wire: the encoding was negotiated earlier. Guess from the user (or domain) bytes.
    const probe = usr && usr.len > 0 ? usr : dom && dom.len > 0 ? dom : ws;
    unicode = probe !== undefined && probe.len > 0 ? looksUtf16le(b, probe.off, probe.len) : true;
  }
  const lmLen = lm?.len ?? 0;
  const ntLen = nt?.len ?? 0;
  const msg: NtlmAuthenticate = {
    type: 'authenticate',
    unicode,
    lmResponseLength: lmLen,
    ntResponseLength: ntLen,
    ess: false,
    anonymous: false,
    sessionKeyLength: key?.len ?? 0,
    micPresent: false,
  };
  if (flags !== undefined) msg.flags = flags;
  if (dom) msg.domain = str(b, dom, unicode);
  if (usr) msg.user = str(b, usr, unicode);
  if (ws) msg.workstation = str(b, ws, unicode);
  if (ntLen > 24) msg.ntlmVersion = 'v2';
  else if (ntLen === 24) {
    msg.ntlmVersion = 'v1';
    msg.ess = flags !== undefined && (flags & NTLM_FLAGS.NEGOTIATE_EXTENDED_SESSIONSECURITY) !== 0;
  }
  // MS-NLMP 3.2.5.1.2: anonymous = empty user, empty NT response, LM response empty or Z(1).
  msg.anonymous = usr !== undefined && usr.len === 0 && ntLen === 0 && lmLen <= 1;
  if (flags !== undefined && flags & NTLM_FLAGS.NEGOTIATE_VERSION && payloadStart >= 72) msg.version = version(b, 64);
  if (nt && ntLen > 24) {
    const v2 = parseNtlmv2Response(b, nt.off, nt.len, problems);
    if (v2) {
      msg.ntlmv2 = v2;
      if (v2.targetInfo.flags !== undefined && v2.targetInfo.flags & MSV_AV_FLAG_MIC_PRESENT) msg.micPresent = true;
    }
  }
  if (!msg.micPresent && payloadStart >= 88 && b.length >= 88) msg.micPresent = true;
  return { message: msg, problems };
}

function parseNtlmv2Response(
  b: Uint8Array,
  off: number,
  len: number,
  problems: ParseProblem[],
): NtlmAuthenticate['ntlmv2'] | undefined {
  const where = 'ntlmssp.authenticate.ntlmv2_response';
  // NTProofStr (16) + the fixed part of NTLMv2_CLIENT_CHALLENGE (28) must be there before the AV pairs.
  if (len < 44) {
    problems.push(problem('truncated', where, `${len} bytes, shorter than the 44-byte fixed part`, off));
    return undefined;
  }
  const respType = b[off + 16];
  if (respType !== 1) {
    problems.push(problem('bad_value', where, `RespType ${respType}, expected 1`, off + 16));
  }
  const ts = filetime(b, off + 24);
  const targetInfo = parseAvPairs(b, off + 44, off + len, `${where}.av_pairs`, problems);
  const out: NonNullable<NtlmAuthenticate['ntlmv2']> = {
    ntProofStr: hexAt(b, off, 16),
    clientChallenge: hexAt(b, off + 32, 8),
    targetInfo,
  };
  if (ts) out.timestamp = ts;
  return out;
}

/** Decodes an AV_PAIR list in b[off, end). Reports truncation and a missing MsvAvEOL, keeps what it read. */
export function parseAvPairs(
  b: Uint8Array,
  off: number,
  end: number,
  where: string,
  problems: ParseProblem[],
): NtlmTargetInfo {
  const info: NtlmTargetInfo = { otherIds: [], terminated: false };
  let p = off;
  let count = 0;
  while (p + 4 <= end) {
    const id = u16(b, p);
    const len = u16(b, p + 2);
    const v = p + 4;
    if (v + len > end) {
      problems.push(problem('truncated', where, `AV pair ${id} of ${len} bytes runs past the list`, p));
      return info;
    }
    if (++count > 64) {
      problems.push(problem('limit', where, 'more than 64 AV pairs', p));
      return info;
    }
    switch (id) {
      case AV_ID.EOL:
        info.terminated = true;
        return info;
      case AV_ID.NB_COMPUTER_NAME:
        info.nbComputerName = utf16le(b, v, len);
        break;
      case AV_ID.NB_DOMAIN_NAME:
        info.nbDomainName = utf16le(b, v, len);
        break;
      case AV_ID.DNS_COMPUTER_NAME:
        info.dnsComputerName = utf16le(b, v, len);
        break;
      case AV_ID.DNS_DOMAIN_NAME:
        info.dnsDomainName = utf16le(b, v, len);
        break;
      case AV_ID.DNS_TREE_NAME:
        info.dnsTreeName = utf16le(b, v, len);
        break;
      case AV_ID.FLAGS:
        if (len >= 4) info.flags = u32(b, v);
        break;
      case AV_ID.TIMESTAMP:
        if (len >= 8) {
          const t = filetime(b, v);
          if (t) info.timestamp = t;
        }
        break;
      case AV_ID.TARGET_NAME:
        info.targetName = utf16le(b, v, len);
        break;
      case AV_ID.CHANNEL_BINDINGS:
        info.channelBindings = hexAt(b, v, len);
        break;
      default:
        info.otherIds.push(id);
    }
    p = v + len;
  }
  if (p !== end) problems.push(problem('truncated', where, 'AV pair header cut short', p));
  problems.push(problem('bad_value', where, 'AV pair list has no MsvAvEOL terminator', p));
  return info;
}

// --- helpers -----------------------------------------------------------------------------------------------

interface Field {
  len: number;
  off: number;
}

/** Reads the { Len, MaxLen, BufferOffset } at `at` and checks that the buffer it names lies inside `b`. */
function field(b: Uint8Array, at: number, where: string, problems: ParseProblem[]): Field | undefined {
  const len = u16(b, at);
  const off = u32(b, at + 4);
  if (len === 0) return { len: 0, off };
  if (off + len > b.length) {
    problems.push(
      problem('out_of_bounds', where, `buffer [${off}, ${off + len}) outside the ${b.length}-byte message`, at),
    );
    return undefined;
  }
  return { len, off };
}

/** Smallest BufferOffset of the non-empty fields = where the fixed header must have ended. */
function minOffset(start: number, ...fields: (Field | undefined)[]): number {
  let m = start;
  for (const f of fields) if (f && f.len > 0 && f.off < m) m = f.off;
  return m;
}

function str(b: Uint8Array, f: Field, unicode: boolean): string {
  return unicode ? utf16le(b, f.off, f.len) : latin1(b, f.off, f.len);
}

function version(b: Uint8Array, at: number): NtlmVersion {
  return { major: b[at], minor: b[at + 1], build: u16(b, at + 2), revision: b[at + 7] };
}

/** FILETIME (100 ns since 1601-01-01) → ISO text; undefined when zero or outside the Date range. */
function filetime(b: Uint8Array, at: number): string | undefined {
  const ticks = u32(b, at + 4) * 4294967296 + u32(b, at);
  if (ticks === 0) return undefined;
  const ms = ticks / 10000 - 11644473600000;
  if (!Number.isFinite(ms) || ms < -8.64e15 || ms > 8.64e15) return undefined;
  return new Date(Math.floor(ms)).toISOString();
}

function u16(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}

function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}
