import { describe, expect, it } from 'vitest';
import { NdrReader, typeSerialization1 } from '../../src/wmi/ndr.js';
import { readOrpcThis } from '../../src/wmi/orpc.js';
import { WMIEXEC_GETOBJECT_REQ, WMIEXEC_NTLMLOGIN_REQ } from './fixtures.js';
import { hex } from './support.js';

describe('NdrReader', () => {
  it('aligns primitives relative to the stream start, in either byte order', () => {
    const b = hex('01 ff 0203 ffffffff 04050607 eeeeeeee 08090a0b0c0d0e0f');
    const le = new NdrReader(b);
    expect(le.u8()).toBe(0x01);
    expect(le.u16()).toBe(0x0302); // skips one byte of padding
    le.u32();
    expect(le.u32()).toBe(0x07060504);
    expect(le.hyperHex()).toBe('0f0e0d0c0b0a0908'); // 8-aligned: the four 0xee bytes are padding
    const be = new NdrReader(b, { littleEndian: false });
    be.u8();
    expect(be.u16()).toBe(0x0203);
    be.u32();
    expect(be.u32()).toBe(0x04050607);
    expect(be.hyperHex()).toBe('08090a0b0c0d0e0f');
    expect(le.ok && be.ok).toBe(true);
  });

  it('alignment follows alignBase, not the buffer start', () => {
    const b = hex('aa bb cc 01000000');
    const r = new NdrReader(b, { start: 3 });
    expect(r.u32()).toBe(1); // already aligned relative to offset 3
  });

  it('reads ORPCTHIS and a conformant varying string from impacket NTLMLogin (wmiexec frame 32)', () => {
    const r = new NdrReader(WMIEXEC_NTLMLOGIN_REQ);
    const t = readOrpcThis(r);
    expect(t).toEqual({
      versionMajor: 5,
      versionMinor: 6,
      flags: 0,
      cid: '20eeb3ce-755e-0bd4-807c-ac48abebc268',
      extensions: [],
    });
    expect(r.lpwstr()).toBe('//./root/cimv2');
    expect(r.lpwstr()).toBeNull(); // wszPreferredLocale
    expect(r.ok).toBe(true);
  });

  it('skips ORPCTHIS extensions (ORPC_EXTENT_ARRAY with a NULL slot, MS-DCOM 2.2.13.1-2.2.13.3)', () => {
    const b = hex(
      '05000700 00000000 00000000 00112233445566778899aabbccddeeff 00000200', // version, flags, reserved, cid, extensions →
      '02000000 00000000 04000200', // ORPC_EXTENT_ARRAY { size 2, reserved, extent → }
      '02000000 08000200 00000000', // max_count 2, referents [0x20008, NULL]
      '08000000 1c030000 0000 0000 c000000000000046 05000000 0102030405000000', // ORPC_EXTENT (conformant struct)
      'efbeadde', // the next parameter
    );
    const r = new NdrReader(b);
    expect(readOrpcThis(r).extensions).toEqual(['0000031c-0000-0000-c000-000000000046']);
    expect(r.u32()).toBe(0xdeadbeef);
    expect(r.ok).toBe(true);
  });

  it('reads a BSTR (FLAGGED_WORD_BLOB) with its trailing NUL removed (wmiexec frame 44)', () => {
    const r = new NdrReader(WMIEXEC_GETOBJECT_REQ);
    readOrpcThis(r);
    expect(r.bstr()).toBe('Win32_Process');
    expect(r.i32()).toBe(0); // lFlags
  });

  it('failure is sticky: the first problem is kept, later reads return neutral values', () => {
    const r = new NdrReader(hex('01000000 02'));
    expect(r.u32()).toBe(1);
    expect(r.u32('field.x')).toBe(0);
    expect(r.problem).toMatchObject({ code: 'truncated', where: 'field.x' });
    expect(r.u8()).toBe(0);
    expect(r.guid()).toBe('');
    expect(r.problem?.where).toBe('field.x');
    expect(r.ok).toBe(false);
  });

  it('rejects a varying string whose actual count exceeds its maximum', () => {
    const r = new NdrReader(hex('02000000 00000000 03000000 4100 4200 4300'));
    expect(r.varyingWString('s')).toBe('');
    expect(r.problem).toMatchObject({ code: 'bad_value', where: 's' });
  });

  it('caps conformant counts', () => {
    const r = new NdrReader(hex('ffffff7f'));
    expect(r.count('c')).toBe(0);
    expect(r.problem?.code).toBe('limit');
  });

  it('treats cBytes 0xFFFFFFFF with no characters as a NULL BSTR', () => {
    const r = new NdrReader(hex('00000200 00000000 ffffffff 00000000'));
    expect(r.bstr()).toBeNull();
    expect(r.ok).toBe(true);
  });
});

describe('type serialization version 1', () => {
  it('opens the stream with the byte order of its header and bounds it by ObjectBufferLength', () => {
    const le = typeSerialization1(hex('01 10 0800 cccccccc 04000000 00000000 2a000000 ff'), 0, 21, 'ts');
    if ('problem' in le) throw new Error(le.problem.message);
    expect(le.reader.u32()).toBe(42);
    expect(le.next).toBe(20);
    const be = typeSerialization1(hex('01 00 0008 cccccccc 00000004 00000000 0000002a'), 0, 20, 'ts');
    if ('problem' in be) throw new Error(be.problem.message);
    expect(be.reader.u32()).toBe(42);
  });

  it('reports a bad version, a bad endianness byte and an oversized buffer', () => {
    const bad = (h: string) => {
      const r = typeSerialization1(hex(h), 0, hex(h).length, 'ts');
      return 'problem' in r ? r.problem.code : 'ok';
    };
    expect(bad('02 10 0800 cccccccc 00000000 00000000')).toBe('bad_signature');
    expect(bad('01 11 0800 cccccccc 00000000 00000000')).toBe('bad_value');
    expect(bad('01 10 0800 cccccccc 10000000 00000000 00')).toBe('out_of_bounds');
    expect(bad('01 10 0800')).toBe('truncated');
  });
});
