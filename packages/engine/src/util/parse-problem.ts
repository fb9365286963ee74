/**
 * The typed "this input is malformed" value the pure byte parsers (auth/, wmi/) return instead of throwing.
 *
 * Parsers never throw on bad bytes: a truncated token or a lying length field is ordinary traffic for a sensor
 * (capture loss, fuzzers, exploits). They return what they could read plus one or more problems; the detection
 * glue counts them (by `code`) and keeps going with the good data around them.
 */

export type ParseProblemCode =
  /** The input ends before a structure or field it announces. */
  | 'truncated'
  /** An offset/length pair points outside the buffer (or outside its enclosing structure). */
  | 'out_of_bounds'
  /** A magic value (NTLMSSP\0, MEOW, 0x12345678, DER tag, …) is not what the format requires. */
  | 'bad_signature'
  /** A field holds a value the format forbids (negative length, unknown message type, …). */
  | 'bad_value'
  /** Well-formed, but a variant this decoder does not read (stops decoding; earlier results stay valid). */
  | 'unsupported'
  /** A safety cap (nesting depth, element count, string length) was reached; output is partial. */
  | 'limit';

export interface ParseProblem {
  code: ParseProblemCode;
  /** Which structure or field, dotted: 'ntlmssp.authenticate.user', 'wmio.class_part.heap'. */
  where: string;
  /** One human sentence. */
  message: string;
  /** Byte offset in the buffer handed to the parser, when known. */
  offset?: number;
}

export function problem(code: ParseProblemCode, where: string, message: string, offset?: number): ParseProblem {
  return offset === undefined ? { code, where, message } : { code, where, message, offset };
}
