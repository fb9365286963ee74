/**
 * p_syntax_id_t's if_version in both byte orders. C706 12.6.3.1 declares it as one u32 (`u_int32 if_version`) with
 * the major version in the low 16 bits and the minor in the high 16 bits (RESEARCH.md §1 table: "if_version u32
 * (major u16, minor u16)" — that u16 order holds for little-endian only). Big-endian therefore puts minor first.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NDR } from '../src/dcerpc/constants.js';
import { encodeBind } from '../src/dcerpc/pdu.js';
import { writeScenario } from '../src/generate.js';
import { toHex } from '../src/util/bytes.js';

// offsets in a bind: header 16, max_xmit/max_recv/assoc 8, n_context_elem + pad 4, p_cont_id/n_transfer_syn/res 4
const ABSTRACT = 32;

function bind(drep: 'le' | 'be'): Uint8Array {
  return encodeBind({
    callId: 1,
    drep,
    contexts: [
      {
        contextId: 0,
        abstract: { uuid: '12345778-1234-abcd-ef00-0123456789ac', major: 1, minor: 2 }, // SAMR-like, V1.2
        transfer: [NDR],
      },
    ],
  });
}

describe('bind: interface and transfer-syntax versions', () => {
  it('little-endian: major then minor as u16 each (= the u32 0x00020001 little-endian)', () => {
    const b = bind('le');
    expect(toHex(b.subarray(ABSTRACT + 16, ABSTRACT + 20))).toBe('01000200');
    expect(toHex(b.subarray(ABSTRACT + 36, ABSTRACT + 40))).toBe('02000000'); // NDR 2.0
  });

  it('big-endian: the u32 0x00020001 big-endian — minor (00 02) then major (00 01)', () => {
    const b = bind('be');
    expect(b[4]).toBe(0x00); // drep: big-endian
    expect(toHex(b.subarray(ABSTRACT + 16, ABSTRACT + 20))).toBe('00020001');
    expect(toHex(b.subarray(ABSTRACT + 36, ABSTRACT + 40))).toBe('00000002'); // NDR 2.0
  });
});

const haveTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
if (!haveTshark) console.warn('[syntax-version] tshark not on PATH: skipping the tshark check');

describe.skipIf(!haveTshark)('tshark reads the big-endian scenario’s versions as written', () => {
  it('NDR 2.0 in every big-endian bind and bind_ack (dcerpc.cn_bind_trans_ver / cn_ack_trans_ver = 2)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'capgen-ver-'));
    try {
      const file = path.join(dir, 'be.pcap');
      await writeScenario('big-endian', file);
      const r = spawnSync(
        'tshark',
        [
          '-n',
          '-r',
          file,
          '-Y',
          'dcerpc.pkt_type==11 || dcerpc.pkt_type==12',
          '-T',
          'fields',
          '-e',
          'dcerpc.pkt_type',
          '-e',
          'dcerpc.cn_bind_trans_ver',
          '-e',
          'dcerpc.cn_ack_trans_ver',
        ],
        { encoding: 'utf8' },
      );
      const rows = r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      expect(rows.length).toBeGreaterThanOrEqual(6);
      for (const [ptype, bindVer, ackVer] of rows) expect(ptype === '11' ? bindVer : ackVer).toBe('2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
