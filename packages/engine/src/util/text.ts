/**
 * String decoding shared by the auth and stub parsers. Pure functions over byte ranges the caller has already
 * bounds-checked.
 */

const UTF16LE = new TextDecoder('utf-16le', { fatal: false });

/** UTF-16LE text of b[off, off+byteLen); an odd trailing byte is ignored. */
export function utf16le(b: Uint8Array, off: number, byteLen: number): string {
  const n = byteLen & ~1;
  if (n <= 0) return '';
  return UTF16LE.decode(b.subarray(off, off + n));
}

/** UTF-16 text in either byte order (NDR strings follow the PDU's drep). */
export function utf16(b: Uint8Array, off: number, byteLen: number, littleEndian: boolean): string {
  if (littleEndian) return utf16le(b, off, byteLen);
  const n = byteLen >> 1;
  let s = '';
  // Big-endian NDR is rare (one in thousands of captures); a plain loop is fine here.
  for (let i = 0; i < n; i++) s += String.fromCharCode((b[off + 2 * i] << 8) | b[off + 2 * i + 1]);
  return s;
}

/**
 * One byte per character (NTLM OEM strings, MS-WMIO "compressed" strings). The code page is not on the wire;
 * ISO-8859-1 maps every byte to one character, so nothing is lost and ASCII — what these fields hold in
 * practice — is exact.
 */
export function latin1(b: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(b[off + i]);
  return s;
}

/** Removes trailing NUL characters (C strings and BSTRs often carry their terminator inside the counted length). */
export function stripNuls(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** True when the bytes look like UTF-16LE text: even length and a zero high byte on most characters. */
export function looksUtf16le(b: Uint8Array, off: number, len: number): boolean {
  if (len < 2 || (len & 1) !== 0) return false;
  let zeros = 0;
  for (let i = off + 1; i < off + len; i += 2) if (b[i] === 0) zeros++;
  return zeros * 2 >= len / 2;
}
