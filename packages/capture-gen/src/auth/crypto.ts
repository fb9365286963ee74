/**
 * MD4 (RFC 1320) and RC4, which NTLM needs and Node's OpenSSL 3 build no longer provides
 * (both live in the legacy provider). HMAC-MD5 and MD5 come from node:crypto.
 * Used only to make NTLMv2 responses and MICs internally consistent for a known test password.
 */
import { createHash, createHmac } from 'node:crypto';

export function md4(input: Uint8Array): Uint8Array {
  const ml = input.length;
  const padLen = ((ml + 8) >> 6) * 64 + 64;
  const msg = new Uint8Array(padLen);
  msg.set(input);
  msg[ml] = 0x80;
  const bits = BigInt(ml) * 8n;
  for (let i = 0; i < 8; i++) msg[padLen - 8 + i] = Number((bits >> BigInt(8 * i)) & 0xffn);

  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Uint32Array(16);
  const rotl = (v: number, s: number): number => ((v << s) | (v >>> (32 - s))) >>> 0;
  const f = (p: number, q: number, r: number): number => (p & q) | (~p & r);
  const g = (p: number, q: number, r: number): number => (p & q) | (p & r) | (q & r);
  const h = (p: number, q: number, r: number): number => p ^ q ^ r;

  for (let off = 0; off < padLen; off += 64) {
    for (let i = 0; i < 16; i++) {
      const o = off + 4 * i;
      x[i] = (msg[o] | (msg[o + 1] << 8) | (msg[o + 2] << 16) | (msg[o + 3] << 24)) >>> 0;
    }
    const [aa, bb, cc, dd] = [a, b, c, d];
    const r1 = [3, 7, 11, 19];
    for (let i = 0; i < 16; i++) {
      const t = (a + f(b, c, d) + x[i]) >>> 0;
      [a, b, c, d] = [d, rotl(t, r1[i % 4]), b, c];
    }
    const r2 = [3, 5, 9, 13];
    const o2 = [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15];
    for (let i = 0; i < 16; i++) {
      const t = (a + g(b, c, d) + x[o2[i]] + 0x5a827999) >>> 0;
      [a, b, c, d] = [d, rotl(t, r2[i % 4]), b, c];
    }
    const r3 = [3, 9, 11, 15];
    const o3 = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15];
    for (let i = 0; i < 16; i++) {
      const t = (a + h(b, c, d) + x[o3[i]] + 0x6ed9eba1) >>> 0;
      [a, b, c, d] = [d, rotl(t, r3[i % 4]), b, c];
    }
    a = (a + aa) >>> 0;
    b = (b + bb) >>> 0;
    c = (c + cc) >>> 0;
    d = (d + dd) >>> 0;
  }
  const out = new Uint8Array(16);
  [a, b, c, d].forEach((v, i) => {
    out[4 * i] = v & 0xff;
    out[4 * i + 1] = (v >>> 8) & 0xff;
    out[4 * i + 2] = (v >>> 16) & 0xff;
    out[4 * i + 3] = v >>> 24;
  });
  return out;
}

export function rc4(key: Uint8Array, data: Uint8Array): Uint8Array {
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i++) s[i] = i;
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i] + key[i % key.length]) & 0xff;
    [s[i], s[j]] = [s[j], s[i]];
  }
  const out = new Uint8Array(data.length);
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 0xff;
    j = (j + s[i]) & 0xff;
    [s[i], s[j]] = [s[j], s[i]];
    out[n] = data[n] ^ s[(s[i] + s[j]) & 0xff];
  }
  return out;
}

export function hmacMd5(key: Uint8Array, ...data: Uint8Array[]): Uint8Array {
  const h = createHmac('md5', key);
  for (const d of data) h.update(d);
  return new Uint8Array(h.digest());
}

export function md5(...data: Uint8Array[]): Uint8Array {
  const h = createHash('md5');
  for (const d of data) h.update(d);
  return new Uint8Array(h.digest());
}
