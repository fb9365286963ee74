/**
 * Text ⇄ bytes for IP addresses, off the hot path (flow keys are computed once per connection, not per packet).
 * Accepts the canonical forms the packet decoder produces: dotted quad, and IPv6 text (RFC 4291 §2.2, with `::`
 * and an optional embedded dotted quad).
 */
export function ipToBytes(ip: string): Uint8Array | null {
  if (ip.includes(':')) return ipv6ToBytes(ip);
  return ipv4ToBytes(ip);
}

/** Dotted quad: four groups of 1–3 ASCII digits (leading zeros allowed), each at most 255. */
export function ipv4ToBytes(ip: string): Uint8Array | null {
  // one pass over the characters, no split/regex: every flow record (community_id) parses two addresses
  const out = new Uint8Array(4);
  let part = 0;
  let digits = 0;
  let v = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || part === 3 || v > 255) return null;
      out[part++] = v;
      v = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3) {
      v = v * 10 + (c - 0x30);
      digits++;
    } else return null;
  }
  if (part !== 3 || digits === 0 || v > 255) return null;
  out[3] = v;
  return out;
}

export function ipv6ToBytes(ip: string): Uint8Array | null {
  let text = ip;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  let tail: Uint8Array | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) > 0) {
    tail = ipv4ToBytes(text.slice(lastColon + 1));
    if (!tail) return null;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const groups = halves.length === 2 ? 8 - head.length - rest.length : 0;
  if (halves.length === 1 && head.length !== 8) return null;
  if (groups < 0) return null;
  const all = [...head, ...new Array<string>(groups).fill('0'), ...rest];
  if (all.length !== 8) return null;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(all[i])) return null;
    const v = Number.parseInt(all[i], 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  }
  if (tail) out.set(tail, 12);
  return out;
}

/** Lexicographic comparison of two byte strings (shorter first on a common prefix). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}
