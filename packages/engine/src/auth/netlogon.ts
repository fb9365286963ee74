/**
 * Netlogon secure channel NL_AUTH_MESSAGE (MS-NRPC 2.2.1.3.1), auth_type 0x44 (RPC_C_AUTHN_NETLOGON): the
 * bind-time token names the client machine and its domain (the machine account of the secure channel, which
 * is what Zerologon-style traffic abuses).
 *
 *   MessageType u32 (0 = negotiate request, 1 = response) | Flags u32 | Buffer:
 *     0x01 NetbiosOemDomainName    OEM, NUL-terminated
 *     0x02 NetbiosOemComputerName  OEM, NUL-terminated
 *     0x04 DnsDomainName           UTF-8, RFC 1035 label-compressed
 *     0x08 DnsHostName             UTF-8, RFC 1035 label-compressed
 *     0x10 NetbiosComputerName     UTF-8, RFC 1035 label-compressed
 *   (present in this order, each only when its flag is set)
 *
 * Per-message verifiers (NL_AUTH_SIGNATURE, 32 or 56 bytes starting with SignatureAlgorithm 0x0077/0x0013)
 * carry no names.
 */

import { type ParseProblem, problem } from '../util/parse-problem.js';
import { latin1 } from '../util/text.js';

export interface NetlogonAuthMessage {
  messageType: 'negotiate' | 'response' | number;
  flags: number;
  netbiosDomain?: string;
  netbiosComputer?: string;
  dnsDomain?: string;
  dnsHost?: string;
}

export interface NetlogonParseResult {
  message?: NetlogonAuthMessage;
  /** True for an NL_AUTH_SIGNATURE (per-message verifier) rather than an NL_AUTH_MESSAGE. */
  signature: boolean;
  problems: ParseProblem[];
}

const UTF8 = new TextDecoder('utf-8', { fatal: false });

export function parseNetlogonAuth(b: Uint8Array): NetlogonParseResult {
  const problems: ParseProblem[] = [];
  if (b.length < 8) {
    return { signature: false, problems: [problem('truncated', 'netlogon', `${b.length} bytes, less than 8`, 0)] };
  }
  const type = u32(b, 0);
  // NL_AUTH_SIGNATURE starts with SignatureAlgorithm u16 (0x0077 HMAC-MD5, 0x0013 HMAC-SHA256) then SealAlgorithm.
  const alg = b[0] | (b[1] << 8);
  if ((alg === 0x0077 || alg === 0x0013) && (b.length === 32 || b.length === 56)) {
    return { signature: true, problems };
  }
  const flags = u32(b, 4);
  const msg: NetlogonAuthMessage = {
    messageType: type === 0 ? 'negotiate' : type === 1 ? 'response' : type,
    flags,
  };
  if (type !== 0 && type !== 1) {
    problems.push(problem('bad_value', 'netlogon.message_type', `MessageType ${type}`, 0));
    return { message: msg, signature: false, problems };
  }
  let p = 8;
  const oem = (where: string): string | undefined => {
    const nul = b.indexOf(0, p);
    if (nul < 0) {
      problems.push(problem('truncated', where, 'string has no NUL terminator', p));
      p = b.length;
      return undefined;
    }
    const s = latin1(b, p, nul - p);
    p = nul + 1;
    return s;
  };
  const dns = (where: string): string | undefined => {
    const r = readDnsName(b, p, where, problems);
    if (r === undefined) {
      p = b.length;
      return undefined;
    }
    p = r.next;
    return r.name;
  };
  if (flags & 0x01) msg.netbiosDomain = oem('netlogon.netbios_domain');
  if (flags & 0x02) msg.netbiosComputer = oem('netlogon.netbios_computer');
  if (flags & 0x04) msg.dnsDomain = dns('netlogon.dns_domain');
  if (flags & 0x08) msg.dnsHost = dns('netlogon.dns_host');
  if (flags & 0x10) {
    const n = dns('netlogon.netbios_computer_utf8');
    if (n !== undefined && msg.netbiosComputer === undefined) msg.netbiosComputer = n;
  }
  return { message: msg, signature: false, problems };
}

/** RFC 1035 name at `off` (labels, 0xC0 pointers into the same buffer); `next` is the offset after it. */
function readDnsName(
  b: Uint8Array,
  off: number,
  where: string,
  problems: ParseProblem[],
): { name: string; next: number } | undefined {
  const labels: string[] = [];
  let p = off;
  let next = -1;
  for (let hops = 0; hops < 128; hops++) {
    if (p >= b.length) {
      problems.push(problem('truncated', where, 'name runs past the end', p));
      return undefined;
    }
    const len = b[p];
    if (len === 0) {
      return { name: labels.join('.'), next: next < 0 ? p + 1 : next };
    }
    if ((len & 0xc0) === 0xc0) {
      if (p + 1 >= b.length) {
        problems.push(problem('truncated', where, 'compression pointer cut short', p));
        return undefined;
      }
      if (next < 0) next = p + 2;
      p = ((len & 0x3f) << 8) | b[p + 1];
      continue;
    }
    if ((len & 0xc0) !== 0) {
      problems.push(problem('bad_value', where, `label length byte 0x${len.toString(16)}`, p));
      return undefined;
    }
    if (p + 1 + len > b.length) {
      problems.push(problem('truncated', where, 'label runs past the end', p));
      return undefined;
    }
    labels.push(UTF8.decode(b.subarray(p + 1, p + 1 + len)));
    p += 1 + len;
  }
  problems.push(problem('limit', where, 'more than 128 labels or pointer hops (pointer loop?)', off));
  return undefined;
}

function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}
