import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileRules, decodeFrame, Engine, type EveRecord, TCP_FIN, TCP_RST, TCP_SYN } from '@wmi-detect/engine';
import type { WireFrame } from '@wmi-detect/wire';
import { describe, expect, it } from 'vitest';
import { Prefilter } from '../src/prefilter.js';
import { captureWireFrames, scenarioWireFrames } from './helpers.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const shared = resolve(repoRoot, '../shared');
const RULES = readFileSync(resolve(repoRoot, 'rules/wmi.rules'), 'utf8');
const CORPUS = resolve(shared, 'corpus/pcaps/OTRF__Security-Datasets');
const REAL = [
  // Mostly non-DCE/RPC traffic (the pre-filter's case), eight DCE/RPC sessions.
  'datasets__compound__apt29__day2__pcaps__UTICA-A.zip__UTICA-A.cap',
  'datasets__atomic__windows__lateral_movement__network__covenant_sharpwmi_create_dcerpc_wmi.zip__covenant_sharpwmi_create_dcerpc_wmi_2020-08-06035621.cap',
  'datasets__atomic__windows__lateral_movement__network__covenant_wmi_wbemcomn_dll_hijack.zip__covenant_wmi_wbemcomn_dll_hijack_WORKSTATION5_2020-10-09173318.cap',
  'datasets__atomic__windows__lateral_movement__network__empire_dcom_shellwindows.zip__empire_dcom_shellwindows_WORKSTATION5_2020-09-18130751.cap',
];

/** What the detector would emit for these frames: alerts and dcerpc_session records, identified by content. */
function detect(frames: readonly WireFrame[]): string[] {
  const rs = compileRules({ file: 'wmi.rules', text: RULES });
  const out: string[] = [];
  const engine = new Engine({
    ruleSet: rs.ruleSet,
    sessionRecords: true,
    onRecord: (r: EveRecord) => {
      if (r.event_type === 'alert') out.push(`alert ${(r as { alert_id: string }).alert_id}`);
      else if (r.event_type === 'dcerpc_session') out.push(`session ${JSON.stringify(r)}`);
    },
  });
  const raw = { tsUs: 0, linkType: 0, data: new Uint8Array(0), origLen: 0, ifIndex: 0, fileOffset: 0 };
  frames.forEach((f, i) => {
    raw.tsUs = f.t;
    raw.linkType = f.l;
    raw.data = f.d;
    raw.origLen = f.o ?? f.d.length;
    engine.processFrame(raw, i);
  });
  engine.finish();
  return out.sort();
}

function filtered(frames: readonly WireFrame[]): { kept: WireFrame[]; p: Prefilter } {
  const p = new Prefilter();
  return { kept: frames.filter((f) => p.keep(f)), p };
}

describe('Prefilter', () => {
  it('drops nothing of DCE/RPC connections: the engine sees the same alerts and sessions (generated scenarios)', async () => {
    for (const name of [
      'wmi-activation-ok',
      'sealed',
      'multi-fragment',
      'big-endian',
      'dcom-mmc20',
      'kerberos',
      'midstream',
      'tcp-impairments',
      'gap',
    ]) {
      const frames = await scenarioWireFrames(name);
      const { kept } = filtered(frames);
      expect(detect(kept), name).toEqual(detect(frames));
    }
  });

  it('drops the payload of connections that are not DCE/RPC, keeping handshake, first payload and FIN/RST', async () => {
    const frames = await scenarioWireFrames('not-dcerpc');
    const { kept, p } = filtered(frames);
    expect(p.stats.decidedNotDcerpc).toBeGreaterThan(0);
    expect(p.stats.droppedFrames).toBe(frames.length - kept.length);
    expect(p.stats.savedBytes).toBe(frames.filter((f) => !kept.includes(f)).reduce((n, f) => n + f.d.length, 0));
    // Every dropped frame is a TCP segment with payload and without SYN/FIN/RST.
    for (const f of frames.filter((x) => !kept.includes(x))) {
      const p = decodeFrame({ tsUs: f.t, linkType: f.l, data: f.d, origLen: f.d.length, ifIndex: 0, fileOffset: 0 });
      if (typeof p === 'string') throw new Error(`dropped an undecodable frame: ${p}`);
      expect(p.proto).toBe(6);
      expect(p.tcp!.flags & (TCP_SYN | TCP_FIN | TCP_RST)).toBe(0);
      expect(p.payload.length).toBeGreaterThan(0);
    }
    expect(detect(kept)).toEqual(detect(frames));
  });

  describe.skipIf(!existsSync(CORPUS))('real captures', () => {
    it.each(REAL)('same detections with and without it, fewer bytes: %s', async (file) => {
      const frames = await captureWireFrames(readFileSync(resolve(CORPUS, file)), true);
      const { kept, p } = filtered(frames);
      const all = detect(frames);
      expect(all.length).toBeGreaterThan(0); // alerts and/or dcerpc_session records to compare
      expect(detect(kept)).toEqual(all);
      expect(p.stats.savedBytes).toBeGreaterThan(0);
      const total = frames.reduce((n, f) => n + f.d.length, 0);
      console.log(
        `prefilter ${file.slice(-60)}: ${frames.length} → ${kept.length} frames, saved ${p.stats.savedBytes} of ${total} bytes (${((100 * p.stats.savedBytes) / total).toFixed(1)}%)`,
      );
    });
  });
  if (!existsSync(CORPUS)) console.warn(`SKIPPED: prefilter real-capture tests need ${CORPUS}`);

  it('forgets the oldest connection at the cap and counts it', async () => {
    const frames = await scenarioWireFrames('not-dcerpc');
    const p = new Prefilter(1);
    const kept = frames.filter((f) => p.keep(f));
    expect(p.tracked).toBeLessThanOrEqual(1);
    expect(kept.length).toBeGreaterThan(0);
  });
});
