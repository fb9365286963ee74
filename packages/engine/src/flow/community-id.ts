import { hash } from 'node:crypto';
import { compareBytes, ipToBytes } from './ip.js';

/**
 * Community ID flow hashing, version 1 (https://github.com/corelight/community-id-spec), so that our alerts join
 * with Zeek's conn.log and Suricata's EVE on the same flow. Hash input, network byte order:
 *
 *   seed u16 | src ip (4/16) | dst ip (4/16) | proto u8 | pad u8 (0) | src port u16 | dst port u16
 *
 * where the endpoint that is "smaller" (ip, then port) goes first, so both directions give the same ID.
 * Output: "1:" + base64(sha1(input)).
 */
export function communityId(
  srcIp: string,
  srcPort: number,
  dstIp: string,
  dstPort: number,
  proto: number,
  seed = 0,
): string | null {
  let a = ipToBytes(srcIp);
  let b = ipToBytes(dstIp);
  if (!a || !b || a.length !== b.length) return null;
  let pa = srcPort;
  let pb = dstPort;
  const order = compareBytes(a, b);
  if (order > 0 || (order === 0 && pa > pb)) {
    [a, b] = [b, a];
    [pa, pb] = [pb, pa];
  }
  const buf = Buffer.alloc(2 + a.length * 2 + 2 + 4);
  let o = 0;
  buf.writeUInt16BE(seed & 0xffff, o);
  o += 2;
  buf.set(a, o);
  o += a.length;
  buf.set(b, o);
  o += b.length;
  buf[o++] = proto & 0xff;
  buf[o++] = 0;
  buf.writeUInt16BE(pa & 0xffff, o);
  o += 2;
  buf.writeUInt16BE(pb & 0xffff, o);
  return `1:${hash('sha1', buf, 'base64')}`; // one-shot (Node >= 20.12), same digest as createHash
}
