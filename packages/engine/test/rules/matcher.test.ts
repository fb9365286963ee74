import { describe, expect, it } from 'vitest';
import type { RuleMatch } from '../../src/rules/index.js';
import { bytes, dceView, diagnose, flow, hex, load, packet, pdu, sids } from './helpers.js';

const R = (opts: string, sid = 1, header = 'alert tcp any any -> any any') => `${header} (${opts} sid:${sid};)`;

describe('content and its modifiers', () => {
  it('hex, escapes, nocase, negation', () => {
    const r = load(
      [
        R('content:"|41 42|C";', 1),
        R('content:"a\\;b\\"c\\\\";', 2),
        R('content:"get"; nocase;', 3),
        R('content:"GET"; content:!"evil";', 4),
      ].join('\n'),
    );
    expect(sids(r, packet(bytes('xxABCyy')))).toEqual([1]);
    expect(sids(r, packet(bytes('a;b"c\\')))).toEqual([2]);
    expect(sids(r, packet(bytes('GeT /')))).toEqual([3]);
    expect(sids(r, packet(bytes('GET /')))).toEqual([3, 4]);
    expect(sids(r, packet(bytes('GET /evil')))).toEqual([3]);
  });

  it('offset and depth bound the window from the buffer start (depth counts from offset)', () => {
    const r = load(R('content:"GET"; offset:2; depth:5;'));
    expect(sids(r, packet(bytes('xxGETyy')))).toEqual([1]);
    expect(sids(r, packet(bytes('xxxxGET')))).toEqual([1]); // 4..7 ends at offset+depth
    expect(sids(r, packet(bytes('xxxxxGET')))).toEqual([]); // 5..8 ends past it
    expect(sids(r, packet(bytes('xGETxxxx')))).toEqual([]); // starts before offset
  });

  it('distance and within are relative to the end of the previous match', () => {
    const r = load(
      [
        R('content:"AB"; content:"CD"; distance:2; within:2;', 1),
        R('content:"AB"; content:"CD"; distance:0;', 2),
        R('content:"CD"; content:"AB"; distance:-4; within:2;', 3),
      ].join('\n'),
    );
    expect(sids(r, packet(bytes('AB..CD')))).toEqual([1, 2]);
    expect(sids(r, packet(bytes('AB.CD.')))).toEqual([2]);
    expect(sids(r, packet(bytes('ABCD')))).toEqual([2, 3]);
  });

  it('backtracks: a later occurrence of the first content is tried when the relative one fails', () => {
    const r = load(
      [
        R('content:"AB"; content:"CD"; distance:0; within:4;', 1),
        // three levels: only the third A is followed by B then C within 1 byte each
        R('content:"A"; content:"B"; distance:0; within:1; content:"C"; distance:0; within:1;', 2),
        // negated relative content: retry until an A not followed by B
        R('content:"A"; content:!"B"; distance:0; within:1;', 3),
      ].join('\n'),
    );
    expect(sids(r, packet(bytes('AB......ABxCD')))).toEqual([1]);
    expect(sids(r, packet(bytes('AB......CD')))).toEqual([]);
    expect(sids(r, packet(bytes('AxABxABC')))).toEqual([2, 3]);
    expect(sids(r, packet(bytes('ABAB')))).toEqual([]);
  });

  it('startswith / endswith (Suricata spellings)', () => {
    const r = load([R('content:"GET"; startswith;', 1), R('content:"|ff ff 2f 21|"; endswith;', 2)].join('\n'));
    expect(sids(r, packet(bytes('GET x', [0xff, 0xff, 0x2f, 0x21])))).toEqual([1, 2]);
    expect(sids(r, packet(bytes(' GET', [0xff, 0xff, 0x2f, 0x21, 0])))).toEqual([]);
  });

  it('fast_pattern and rawbytes parse and do not change the result', () => {
    const r = load(R('content:"xyz"; rawbytes; content:"abcdef"; fast_pattern;'));
    expect(sids(r, packet(bytes('xyz abcdef')))).toEqual([1]);
    expect(sids(r, packet(bytes('abcdef')))).toEqual([]);
  });
});

describe('pcre', () => {
  it('flags i, s, m, x; negation; relative anchoring at the cursor', () => {
    const r = load(
      [
        R('pcre:"/select\\s+\\*/i";', 1),
        R('pcre:"/a.b/s";', 2),
        R('pcre:"/^line2$/m";', 3),
        R('pcre:"/ a b c # comment\n/x";', 4).replace('\n', ' '),
        R('content:"a"; pcre:"/^b+c/R";', 5),
        R('content:"q"; pcre:!"/zz/";', 6),
      ].join('\n'),
    );
    expect(sids(r, packet(bytes('SELECT  *')))).toEqual([1]);
    expect(sids(r, packet(bytes('a\nb')))).toEqual([2]);
    expect(sids(r, packet(bytes('line1\nline2\nline3')))).toEqual([3]);
    expect(sids(r, packet(bytes('xabcx')))).toEqual([4, 5]);
    expect(sids(r, packet(bytes('xabbbc')))).toEqual([2, 5]); // 'abb' also fits /a.b/
    expect(sids(r, packet(bytes('xaxbbc')))).toEqual([2]); // 'axb' fits /a.b/; after 'a' comes 'x', not b+c
    expect(sids(r, packet(bytes('q')))).toEqual([6]);
    expect(sids(r, packet(bytes('qzz')))).toEqual([]);
  });

  it('PCRE semantics on bytes: . excludes only \\n, $ matches before a final \\n, \\x escapes are bytes', () => {
    const r = load(
      [R('pcre:"/a.c/";', 1), R('pcre:"/end$/";', 2), R('pcre:"/\\xff\\x00{2}/";', 3), R('pcre:"/end$/E";', 4)].join(
        '\n',
      ),
    );
    expect(sids(r, packet(bytes('a\rc')))).toEqual([1]);
    expect(sids(r, packet(bytes('a\nc')))).toEqual([]);
    expect(sids(r, packet(bytes('the end\n')))).toEqual([2]);
    expect(sids(r, packet(bytes('the end')))).toEqual([2, 4]);
    expect(sids(r, packet(bytes([0x41, 0xff, 0, 0])))).toEqual([3]);
  });

  it('backtracks over pcre matches like over content', () => {
    // the conformance suite's dcerpc-smb-fail shape: relative pcre after content
    const r = load(R('pcre:"/X[0-9]/"; content:"Y"; distance:0; within:1;'));
    expect(sids(r, packet(bytes('X1.X2Y')))).toEqual([1]);
  });
});

describe('byte_test, byte_jump, byte_extract, isdataat, dsize', () => {
  it('byte_test with big/little/string and operators', () => {
    const r = load(
      [
        R('byte_test:2,=,0x0102,0;', 1),
        R('byte_test:2,=,0x0201,0,little;', 2),
        R('byte_test:3,>,100,2,string,dec;', 3),
        R('byte_test:1,&,0x80,5;', 4),
        R('byte_test:1,!&,0x80,5;', 5),
        R('byte_test:2,<=,0x0102,0;', 6),
        R('byte_test:1,!,7,5;', 7),
      ].join('\n'),
    );
    expect(sids(r, packet(bytes([1, 2], '123', [0x80])))).toEqual([1, 2, 3, 4, 6, 7]);
    expect(sids(r, packet(bytes([1, 2], '099', [0x07])))).toEqual([1, 2, 5, 6]);
  });

  it('byte_test bitmask shifts the masked value down', () => {
    const r = load(R('byte_test:2,=,3,0,bitmask 0x0300;'));
    expect(sids(r, packet(bytes([0x03, 0xff])))).toEqual([1]);
    expect(sids(r, packet(bytes([0x02, 0xff])))).toEqual([]);
  });

  it('byte_jump arithmetic and byte order, as in suricata-verify dcerpc-dcepayload-18/19', () => {
    const stub18 = hex('5c 00 5c 00 31 03 00 03 00 00 2e 00 37 00');
    const stub19 = hex('5c 00 5c 00 31 00 03 00 03 00 2e 00 37 00');
    const r18 = load(
      [
        R(
          'dce_stub_data; content:"|5c 00 5c 00 31|"; distance:0; byte_jump:2,0,relative,dce; byte_test:2,=,46,0,relative,dce;',
          1,
        ),
        R(
          'dce_stub_data; content:"|5c 00 5c 00 31|"; distance:0; byte_jump:2,2,relative,dce; byte_test:2,=,14080,0,relative;',
          2,
        ),
      ].join('\n'),
    );
    const r19 = load(
      [
        R(
          'dce_stub_data; content:"|5c 00 5c 00 31|"; distance:0; byte_jump:2,0,relative; byte_test:2,=,46,0,relative,dce;',
          1,
        ),
        R(
          'dce_stub_data; content:"|5c 00 5c 00 31|"; distance:0; byte_jump:2,2,relative; byte_test:2,=,14080,0,relative;',
          2,
        ),
      ].join('\n'),
    );
    expect(sids(r18, pdu(hex('05 00 00 03'), { stub: stub18 }))).toEqual([1, 2]);
    expect(sids(r19, pdu(hex('05 00 00 03'), { stub: stub19 }))).toEqual([1, 2]);
  });

  it('byte_jump options: multiplier, align, from_beginning, post_offset; out of bounds fails', () => {
    const r = load(
      [
        R('byte_jump:1,0,multiplier 2; content:"Z"; distance:0; within:1;', 1),
        R('byte_jump:1,0,align; content:"W"; distance:0; within:1;', 2),
        R('byte_jump:1,0,from_beginning; content:"V"; distance:0; within:1;', 3),
        R('byte_jump:1,0,post_offset -1; content:"U"; distance:0; within:1;', 4),
      ].join('\n'),
    );
    // value 3 read at 0; targets: ×2 → 1+6 = 7; align → 1+4 = 5; from_beginning → 3; post_offset -1 → 1+3-1 = 3
    //                          0    1   2   3   4   5   6   7
    expect(sids(r, packet(bytes([3], 'a', 'a', 'V', 'b', 'W', 'c', 'Z')))).toEqual([1, 2, 3]);
    // the same value with U at 3: only post_offset lands on it; ×2 and align jump past the end
    expect(sids(r, packet(bytes([3], 'a', 'b', 'U')))).toEqual([4]);
    expect(sids(r, packet(bytes([200], 'x')))).toEqual([]);
  });

  it('byte_extract feeds later options; multiplier and align apply to the value', () => {
    const r = load(
      [
        R('byte_extract:1,0,len; content:"END"; offset:len; depth:3;', 1),
        R('byte_extract:1,0,n,multiplier 2; byte_test:1,=,n,1;', 2),
        R('byte_extract:1,0,a,align 4; byte_test:1,=,a,1;', 3),
        R('content:"L"; byte_extract:1,0,skip,relative; content:"K"; distance:skip; within:1;', 4),
      ].join('\n'),
    );
    // len = 4 → END at 4..7; n = 4×2 = 8 = byte 1; a = 4 (already aligned) ≠ 8
    expect(sids(r, packet(bytes([4], [8], '..END')))).toEqual([1, 2]);
    // a = 5 rounded up to 8 = byte 1; n = 10 ≠ 8; offset 5 misses END at 4
    expect(sids(r, packet(bytes([5], [8], '..END')))).toEqual([3]);
    expect(sids(r, packet(bytes('L', [2], 'xxK')))).toEqual([4]);
    expect(sids(r, packet(bytes('L', [1], 'xxK')))).toEqual([]);
  });

  it('isdataat: absolute index exists; relative = N more bytes after the cursor; negation', () => {
    const r = load(
      [R('isdataat:3;', 1), R('content:"A"; isdataat:2,relative;', 2), R('content:"A"; isdataat:!1,relative;', 3)].join(
        '\n',
      ),
    );
    expect(sids(r, packet(bytes('xxAyz')))).toEqual([1, 2]);
    expect(sids(r, packet(bytes('xA')))).toEqual([3]);
    expect(sids(r, packet(bytes('xxA')))).toEqual([3]);
  });

  it('dsize: exact, <, >, inclusive range', () => {
    const r = load([R('dsize:3;', 1), R('dsize:<3;', 2), R('dsize:>3;', 3), R('dsize:2<>4;', 4)].join('\n'));
    expect(sids(r, packet(bytes('abc')))).toEqual([1, 4]);
    expect(sids(r, packet(bytes('ab')))).toEqual([2, 4]);
    expect(sids(r, packet(bytes('abcde')))).toEqual([3]);
  });
});

describe('flowbits', () => {
  it('set/isset across units of one connection, per connection', () => {
    const r = load(
      [R('content:"login"; flowbits:set,auth; flowbits:noalert;', 1), R('content:"cmd"; flowbits:isset,auth;', 2)].join(
        '\n',
      ),
    );
    const f1 = flow();
    const f2 = flow({ id: 2 });
    expect(sids(r, packet(bytes('cmd'), { flow: f1 }))).toEqual([]);
    expect(sids(r, packet(bytes('login'), { flow: f1 }))).toEqual([]); // noalert
    expect([...f1.bits]).toEqual(['auth']);
    expect(sids(r, packet(bytes('cmd'), { flow: f1 }))).toEqual([2]);
    expect(sids(r, packet(bytes('cmd'), { flow: f2 }))).toEqual([]);
  });

  it('| and & groups for isset and isnotset; unset and toggle', () => {
    const r = load(
      [
        R('flowbits:isset,a|b;', 1),
        R('flowbits:isset,a&b;', 2),
        R('flowbits:isnotset,a|b;', 3),
        R('flowbits:isnotset,a&b;', 4),
      ].join('\n') +
        '\n' +
        [
          R('content:"set-a"; flowbits:set,a; flowbits:noalert;', 10),
          R('content:"set-b"; flowbits:set,b; flowbits:noalert;', 11),
          R('content:"unset-a"; flowbits:unset,a; flowbits:noalert;', 12),
          R('content:"toggle"; flowbits:toggle,a&b; flowbits:noalert;', 13),
        ].join('\n'),
    );
    const f = flow();
    const probe = () => sids(r, packet(bytes('probe'), { flow: f }));
    expect(probe()).toEqual([3, 4]);
    sids(r, packet(bytes('set-a'), { flow: f }));
    expect(probe()).toEqual([1, 3]);
    sids(r, packet(bytes('set-b'), { flow: f }));
    expect(probe()).toEqual([1, 2]);
    sids(r, packet(bytes('unset-a'), { flow: f }));
    expect(probe()).toEqual([1, 3]);
    sids(r, packet(bytes('toggle'), { flow: f })); // a off→on, b on→off
    expect([...f.bits]).toEqual(['a']);
  });

  it('setters run before readers on the same unit (suricata-verify detect-flowbits order)', () => {
    // the detect-flowbits rules and expected counts: 1,2,5,7,9,12 alert once; 3,6,8,10,11 never
    const r = diagnose(
      [
        'alert ip any any -> any any (msg:"Flowbit set"; flowbits:set,fb1; sid:1;)',
        'alert ip any any -> any any (msg:"Flowbit set"; flowbits:set,fb2; sid:2;)',
        'alert ip any any -> any any (msg:"Flowbit isset ored flowbits"; flowbits:isset,fb3|fb4; sid:3;)',
        'alert ip any any -> any any (msg:"Flowbit isset ored flowbits"; flowbits:isset,fb1|fb5; sid:5;)',
        'alert ip any any -> any any (msg:"Flowbit isnotset ored flowbits"; flowbits:isnotset, fb1|fb2 ; sid:6;)',
        'alert ip any any -> any any (msg:"Flowbit unset"; flowbits:unset,fb1; sid:7;)',
        'alert ip any any -> any any (msg:"Flowbit set"; flowbits:noalert; flowbits:isnotset,fb1; flowbits:set,fb1; content:"GET "; sid:8;)',
        'alert ip any any -> any any (msg:"Flowbit isset"; flowbits:isset,fb1; sid:9;)',
        'alert ip any any -> any any (msg:"Noalert"; flowbits:noalert; content:"GET "; sid:10;)',
        'alert ip any any -> any any (msg:"isset option"; flowbits:isset,fb1; flowbits:isset,fb2; sid:12;)',
      ].join('\n'),
    );
    // fb3, fb4, fb5 are read but never set: warnings, and the rules load
    expect(r.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message)).toEqual([
      "flowbit 'fb3' is checked but never set by any loaded rule",
      "flowbit 'fb4' is checked but never set by any loaded rule",
      "flowbit 'fb5' is checked but never set by any loaded rule",
    ]);
    const got = sids(r, packet(bytes('GET /one/ HTTP/1.1\r\n')));
    expect([...got].sort((a, b) => a - b)).toEqual([1, 2, 5, 7, 9, 12]);
  });

  it('a reader listed before its setter in the file still sees the bit set on the same unit', () => {
    const r = load([R('flowbits:isset,x;', 2), R('content:"go"; flowbits:set,x;', 1)].join('\n'));
    expect(sids(r, packet(bytes('go')))).toEqual([1, 2]);
  });

  it('setx and reset work on groups', () => {
    const r = load(
      [
        R('content:"s1"; flowbits:set,one,g; flowbits:noalert;', 1),
        R('content:"s2"; flowbits:setx,two,g; flowbits:noalert;', 2),
        R('content:"rs"; flowbits:reset,g; flowbits:noalert;', 3),
        R('flowbits:isset,one|two;', 9),
      ].join('\n'),
    );
    const f = flow();
    sids(r, packet(bytes('s1'), { flow: f }));
    expect([...f.bits]).toEqual(['one']);
    sids(r, packet(bytes('s2'), { flow: f }));
    expect([...f.bits]).toEqual(['two']);
    sids(r, packet(bytes('rs'), { flow: f }));
    expect([...f.bits]).toEqual([]);
  });
});

describe('DCE/RPC options', () => {
  const ISA = '000001a0-0000-0000-c000-000000000046';
  const iface = (over: object = {}) => ({
    uuid: ISA,
    verMajor: 0,
    verMinor: 0,
    accepted: true,
    bindFirstFrag: true,
    ...over,
  });

  it('dce_iface matches only a context that was accepted for the interface; UUID in any case', () => {
    const r = load(R('dce_iface:000001A0-0000-0000-C000-000000000046;'));
    expect(sids(r, pdu(hex('05 00 00 03'), { iface: iface() }))).toEqual([1]);
    expect(sids(r, pdu(hex('05 00 00 03'), { iface: iface({ accepted: false }) }))).toEqual([]);
    expect(
      sids(r, pdu(hex('05 00 00 03'), { iface: iface({ uuid: '99fcfec4-5260-101b-bbcb-00aa0021347a' }) })),
    ).toEqual([]);
    expect(sids(r, pdu(hex('05 00 00 03'), { iface: undefined }))).toEqual([]);
  });

  it('version operators apply to the major version', () => {
    const v = (spec: string, sid: number) => R(`dcerpc.iface:afa8bd80-7d8a-11c9-bef4-08002b102989${spec};`, sid);
    const r = load([v('', 1), v(',=1', 2), v(',=0', 3), v(',>1,any_frag', 4), v(',<2', 5), v(',!1', 6)].join('\n'));
    const ctx = pdu(hex('05 00 00 83'), {
      iface: iface({ uuid: 'afa8bd80-7d8a-11c9-bef4-08002b102989', verMajor: 1, verMinor: 0 }),
    });
    // the suricata-verify dcerpc-dce-iface-02 expectations: sids 1,2 yes; =0 and >1 no
    expect(sids(r, ctx)).toEqual([1, 2, 5]);
  });

  it('first-fragment rule: bind FF flag and request first/last fragment unless any_frag', () => {
    const r = load([R(`dce_iface:${ISA};`, 1), R(`dce_iface:${ISA},any_frag;`, 2)].join('\n'));
    const at = (over: object, ifOver: object = {}) =>
      sids(r, pdu(hex('05 00 00 03'), { iface: iface(ifOver), ...over }));
    expect(at({}, { bindFirstFrag: false })).toEqual([2]);
    expect(at({ firstFrag: true, lastFrag: false })).toEqual([1, 2]);
    expect(at({ firstFrag: false, lastFrag: false })).toEqual([2]); // middle fragment
    expect(at({ firstFrag: false, lastFrag: true })).toEqual([1, 2]); // last: the reassembled request
  });

  it('dce_iface applies to request, response and fault PDUs, not to binds', () => {
    const r = load(R(`dce_iface:${ISA};`));
    for (const ptype of [0, 2, 3]) expect(sids(r, pdu(hex('05 00'), { ptype, iface: iface() }))).toEqual([1]);
    expect(sids(r, pdu(hex('05 00'), { ptype: 11, iface: iface() }))).toEqual([]);
  });

  it('dce_opnum lists, ranges and operators', () => {
    const r = load(
      [R('dce_opnum:4;', 1), R('dce_opnum:0-3,5;', 2), R('dcerpc.opnum:>3;', 3), R('dce_opnum: 1, 3 - 4;', 4)].join(
        '\n',
      ),
    );
    expect(sids(r, pdu(hex('05'), { opnum: 4 }))).toEqual([1, 3, 4]);
    expect(sids(r, pdu(hex('05'), { opnum: 5 }))).toEqual([2, 3]);
    expect(sids(r, pdu(hex('05'), { opnum: 0 }))).toEqual([2]);
    expect(sids(r, pdu(hex('05'), { opnum: undefined }))).toEqual([]);
  });

  it('sealed requests match dce_iface/dce_opnum but never stub content', () => {
    const r = load(
      [
        R(`dce_iface:${ISA}; dce_opnum:4;`, 1),
        R(`dce_iface:${ISA}; dce_stub_data; content:"|5e f0 c3 8b|";`, 2),
        R('dce_stub_data;', 3),
      ].join('\n'),
    );
    const stub = hex('00 00 5e f0 c3 8b 6b d8');
    expect(sids(r, pdu(hex('05 00 00 03'), { opnum: 4, iface: iface(), stub }))).toEqual([1, 2, 3]);
    // even if a stub buffer were handed over for a sealed PDU, it is not inspected
    expect(sids(r, pdu(hex('05 00 00 03'), { opnum: 4, iface: iface(), stub, sealed: true }))).toEqual([1]);
    expect(sids(r, pdu(hex('05 00 00 03'), { opnum: 4, iface: iface(), stub: null, sealed: true }))).toEqual([1]);
  });

  it('dce_stub_data is sticky: following options inspect the stub until pkt_data', () => {
    const r = load(
      [
        R('dce_stub_data; content:"STUB";', 1),
        R('content:"STUB";', 2, 'alert dcerpc any any -> any any'),
        R('dcerpc.stub_data; content:"STUB"; pkt_data; content:"|05 00|"; depth:2;', 3),
        R('dce_stub_data; content:"HDR";', 4),
      ].join('\n'),
    );
    expect(sids(r, pdu(bytes([5, 0, 0, 3], 'HDR'), { stub: bytes('..STUB') }))).toEqual([1, 3]);
  });

  it('byte_test dce takes the byte order of the PDU being inspected, faults included', () => {
    const r = load(
      [
        R('content:"|05 00 03|"; offset:0; depth:3; byte_test:4,=,5,24,dce;', 1),
        // a DCE/RPC rule through its metadata (without it this would be a packet rule and not run on PDUs)
        R('content:"|05 00 03|"; offset:0; depth:3; byte_test:4,=,5,24,little; metadata:service dcerpc;', 2),
      ].join('\n'),
    );
    // little-endian fault as captured (elcabezzonn wmi_query.pcap frame 1076): status 5 at offset 24
    const le = hex('05 00 03 03 10 00 00 00 20 00 00 00 03 00 00 00 20 00 00 00 01 00 00 00 05 00 00 00 00 00 00 00');
    // the same fault with big-endian drep (0x00): every multi-byte field big-endian
    const be = hex('05 00 03 03 00 00 00 00 00 20 00 00 00 00 00 03 00 00 00 20 00 01 00 00 00 00 00 05 00 00 00 00');
    expect(sids(r, pdu(le, { ptype: 3, littleEndian: true, faultStatus: 5 }))).toEqual([1, 2]);
    expect(sids(r, pdu(be, { ptype: 3, littleEndian: false, faultStatus: 5 }))).toEqual([1]);
  });
});

describe('header: addresses, ports, direction, service-based DCE/RPC rules', () => {
  it('negation, nested lists, CIDR, IPv6, ranges', () => {
    const r = load(
      [
        'alert tcp [10.0.0.0/8,!10.1.0.0/16] any -> any any (sid:1;)',
        'alert tcp ![192.168.0.0/16,[10.0.0.0/24,172.16.0.0/12]] any -> any any (sid:2;)',
        'alert tcp 2001:db8::/32 any -> any any (sid:3;)',
        'alert tcp any 1024: -> any :1023 (sid:4;)',
        'alert tcp any any -> any [135,139,445,49152:65535] (sid:5;)',
        'alert tcp any ![0:1023,8080] -> any any (sid:6;)',
        'alert tcp 10.0.0.1/255.255.255.255 any -> any any (sid:7;)',
      ].join('\n'),
    );
    const at = (srcIp: string, srcPort: number, dstPort: number) =>
      sids(r, packet(bytes('x'), { srcIp, srcPort, dstPort }));
    expect(at('10.0.0.1', 50000, 135)).toEqual([1, 4, 5, 6, 7]);
    // 10.1/16 is cut out of sid 1; src port 80 is below 1024 (sid 4) and in sid 6's negated list
    expect(at('10.1.2.3', 80, 8080)).toEqual([2]);
    // 10.0.1.5 is outside 10.0.0.0/24, so sid 2's negated nested list lets it through; 8080 is cut out of sid 6
    expect(at('10.0.1.5', 8080, 1)).toEqual([1, 2, 4]);
    // dst port 49667 is not below 1024 (sid 4) but in 49152:65535 (sid 5)
    expect(at('2001:db8::1', 50000, 49667)).toEqual([2, 3, 5, 6]);
    // IPv4-mapped IPv6 matches IPv4 rules; dst port 80 fails sid 5
    expect(at('::ffff:10.0.0.1', 50000, 80)).toEqual([1, 4, 6, 7]);
  });

  it('<> matches both directions', () => {
    const r = load('alert tcp 10.0.0.1 any <> 10.0.0.2 135 (sid:1;)');
    expect(sids(r, packet(bytes('x'), { srcIp: '10.0.0.1', dstIp: '10.0.0.2', dstPort: 135 }))).toEqual([1]);
    expect(sids(r, packet(bytes('x'), { srcIp: '10.0.0.2', dstIp: '10.0.0.1', srcPort: 135, dstPort: 5 }))).toEqual([
      1,
    ]);
    expect(sids(r, packet(bytes('x'), { srcIp: '10.0.0.2', dstIp: '10.0.0.1', srcPort: 5, dstPort: 135 }))).toEqual([]);
  });

  it('variables from options, including !$legitimate_sources defaulting to everyone', () => {
    const rules = [
      'alert tcp !$legitimate_sources any -> $HOME_NET any (sid:1;)',
      'alert tcp $EXTERNAL_NET any -> any $RPC_PORTS (sid:2;)',
    ].join('\n');
    const r = load(rules, {
      vars: {
        HOME_NET: '[10.0.0.0/8,192.168.0.0/16]',
        EXTERNAL_NET: '!$HOME_NET',
        legitimate_sources: '[10.9.9.9]',
        RPC_PORTS: '[135,49152:]',
      },
    });
    const at = (srcIp: string, dstIp: string, dstPort: number) =>
      sids(r, packet(bytes('x'), { srcIp, dstIp, dstPort }));
    expect(at('10.0.0.5', '10.0.0.6', 135)).toEqual([1]);
    expect(at('10.9.9.9', '10.0.0.6', 135)).toEqual([]);
    expect(at('8.8.8.8', '10.0.0.6', 49700)).toEqual([1, 2]);
    expect(at('8.8.8.8', '1.1.1.1', 80)).toEqual([]);
    const dflt = load('alert tcp !$legitimate_sources any -> $your_protected_assets any (sid:1;)');
    expect(sids(dflt, packet(bytes('x'), { srcIp: '203.0.113.9' }))).toEqual([1]);
  });

  it('DCE/RPC rules ignore header ports (service-based) unless strictPorts', () => {
    const text = 'alert tcp any any -> any 135 (flow:to_server; dce_opnum:4; sid:1;)';
    const ctx = pdu(hex('05 00 00 03'), { opnum: 4 }, { dstPort: 49667 });
    expect(sids(load(text), ctx)).toEqual([1]);
    expect(sids(load(text, { strictPorts: true }), ctx)).toEqual([]);
    expect(sids(load(text, { strictPorts: true }), { ...ctx, dstPort: 135 })).toEqual([1]);
  });

  it('flow direction and state', () => {
    const r = load(
      [
        R('flow:to_server,established;', 1),
        R('flow:to_client;', 2),
        R('flow:not_established;', 3),
        R('flow:stateless;', 4),
      ].join('\n'),
    );
    expect(sids(r, packet(bytes('x'), { flow: flow({ toServer: true }) }))).toEqual([1, 4]);
    expect(sids(r, packet(bytes('x'), { flow: flow({ toServer: false, established: false }) }))).toEqual([2, 3, 4]);
  });

  it('TCP header options: flags, ack', () => {
    const r = load([R('flags:A;', 1), R('tcp.flags:S+;', 2), R('ack:3308437468;', 3), R('flags:!R;', 4)].join('\n'));
    expect(sids(r, packet(bytes(''), { tcpFlags: 0x10, tcpAck: 3308437468 }))).toEqual([1, 3, 4]);
    expect(sids(r, packet(bytes(''), { tcpFlags: 0x12 }))).toEqual([2, 4]);
    expect(sids(r, packet(bytes('')))).toEqual([]); // no TCP header information given
  });
});

describe('units, order, prefilter, counters', () => {
  it('packet rules run on packet contexts only, DCE/RPC rules on PDU contexts only', () => {
    const r = load([R('content:"|05 00|";', 1), R('content:"|05 00|"; metadata:service dcerpc;', 2)].join('\n'));
    expect(r.rules.map((x) => x.unit)).toEqual(['packet', 'dcerpc']);
    expect(sids(r, packet(hex('05 00 0b 03')))).toEqual([1]);
    expect(sids(r, pdu(hex('05 00 0b 03'), { ptype: 11 }))).toEqual([2]);
  });

  it('udp, ip and tcp rules run on their protocols', () => {
    const r = load(
      [
        'alert udp any any -> any any (sid:1;)',
        'alert ip any any -> any any (sid:2;)',
        'alert tcp any any -> any any (sid:3;)',
      ].join('\n'),
    );
    expect(sids(r, packet(bytes('x'), { proto: 17 }))).toEqual([1, 2]);
    expect(sids(r, packet(bytes('x'), { proto: 6 }))).toEqual([2, 3]);
    expect(sids(r, packet(bytes('x'), { proto: 1 }))).toEqual([2]);
  });

  it('a matching pass rule stops evaluation: nothing else alerts on that unit', () => {
    const r = load(
      [
        'alert tcp any any -> any any (content:"x"; sid:1;)',
        'pass tcp 10.0.0.9 any -> any any (content:"x"; sid:2;)',
      ].join('\n'),
    );
    const out: RuleMatch[] = [];
    r.ruleSet.match(packet(bytes('x'), { srcIp: '10.0.0.9' }), out);
    expect(out.map((m) => [m.rule.sid, m.rule.action])).toEqual([[2, 'pass']]);
    expect(sids(r, packet(bytes('x'), { srcIp: '10.0.0.8' }))).toEqual([1]);
  });

  it('the prefilter skips rules whose fast pattern is absent without changing results; counters per sid', () => {
    const text = Array.from({ length: 50 }, (_, i) => R(`content:"pattern-${i}-x"; content:"y";`, i + 1)).join('\n');
    const r = load(text);
    expect(sids(r, packet(bytes('.. pattern-7-x .. y ..')))).toEqual([8]);
    expect(sids(r, packet(bytes('PATTERN-7-X y')))).toEqual([]); // case-folded prefilter hit, exact check fails
    const st = r.ruleSet.stats();
    expect(st.units).toBe(2);
    expect(st.evaluated).toBe(2);
    expect(st.prefilterSkipped).toBe(98);
    expect(r.ruleSet.matchesBySid()).toEqual({ '8': 1 });
  });

  it('out is cleared per call; a match allocates nothing (the same RuleMatch object each time)', () => {
    const r = load(R('content:"x";'));
    const out: RuleMatch[] = [];
    r.ruleSet.match(packet(bytes('x')), out);
    const first = out[0];
    r.ruleSet.match(packet(bytes('y')), out);
    expect(out).toEqual([]);
    r.ruleSet.match(packet(bytes('x')), out);
    expect(out[0]).toBe(first);
  });
});

describe('the shipped pack on hand-built PDUs', () => {
  it('activation with the WMI CLSID → 4103004 + 4103001; status-5 fault → 4103009, elsewhere 4103005', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(new URL('../../../../rules/wmi.rules', import.meta.url), 'utf8');
    const r = load(text);
    const ISA = iface('000001a0-0000-0000-c000-000000000046');
    const clsid = hex('5e f0 c3 8b 6b d8 d0 11 a0 75 00 c0 4f b6 88 20');
    const stub = new Uint8Array(64);
    stub.set(clsid, 40);
    const conn = flow({ isDcerpc: true });
    const req = pdu(
      hex('05 00 00 03 10 00 00 00'),
      { ptype: 0, opnum: 4, iface: ISA, stub },
      {
        flow: { ...conn, toServer: true },
        dstPort: 135,
      },
    );
    expect(sids(r, req)).toEqual([4103001, 4103004]);
    expect(conn.bits.has('wmi_remoteactivation_attempt')).toBe(true);
    const faultLe = hex(
      '05 00 03 03 10 00 00 00 20 00 00 00 03 00 00 00 20 00 00 00 01 00 00 00 05 00 00 00 00 00 00 00',
    );
    const back = { ...conn, toServer: false };
    const fault = (payload: Uint8Array, littleEndian: boolean, f = back) =>
      pdu(
        payload,
        { ptype: 3, littleEndian, iface: ISA, faultStatus: 5 },
        {
          flow: f,
          srcIp: '10.0.0.2',
          dstIp: '10.0.0.1',
          srcPort: 135,
          dstPort: 50000,
        },
      );
    expect(sids(r, fault(faultLe, true))).toEqual([4103009]);
    // another connection, no activation seen, big-endian fault
    const other = flow({ id: 7, isDcerpc: true, toServer: false });
    const faultBe = hex(
      '05 00 03 03 00 00 00 00 00 20 00 00 00 00 00 03 00 00 00 20 00 01 00 00 00 00 00 05 00 00 00 00',
    );
    expect(sids(r, fault(faultBe, false, other))).toEqual([4103005]);
    // a sealed IWbemServices request on a dynamic port
    const svc = pdu(hex('05 00 00 03'), {
      ptype: 0,
      opnum: 24,
      sealed: true,
      iface: iface('9556dc99-828c-11cf-a37e-00aa003240c7'),
    });
    expect(sids(r, svc)).toEqual([4103023]);
  });
});

function iface(uuid: string) {
  return dceView({ iface: { uuid, verMajor: 0, verMinor: 0, accepted: true, bindFirstFrag: true } }).iface!;
}
