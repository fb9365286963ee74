/** Test helpers: a capture-gen scenario as owned RawFrames, and an Engine run that records each record's position. */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scenarioBytes } from '@wmi-detect/capture-gen';
import {
  compileRules,
  Engine,
  type EngineOptions,
  type EveRecord,
  type RawFrame,
  readCaptureStream,
} from '@wmi-detect/engine';

export const WMI_RULES = readFileSync(fileURLToPath(new URL('../../../../rules/wmi.rules', import.meta.url)), 'utf8');

export async function scenarioFrames(name: string): Promise<RawFrame[]> {
  const { bytes } = scenarioBytes(name);
  const frames: RawFrame[] = [];
  await readCaptureStream(
    name,
    (async function* () {
      yield bytes;
    })(),
  ).forEach((f) => {
    frames.push({ ...f, data: f.data.slice() });
  });
  return frames;
}

export interface PositionedRecord {
  position: number;
  record: EveRecord;
}

export function wmiRuleSet() {
  const r = compileRules({ file: 'wmi.rules', text: WMI_RULES });
  if (r.errorCount > 0) throw new Error('rules/wmi.rules does not compile');
  return r.ruleSet;
}

/** Runs frames[from..to) through `engine`'s positions; returns the records with the position that produced them. */
export function run(
  frames: readonly RawFrame[],
  opts: Partial<EngineOptions> = {},
  from = 0,
  to = frames.length,
  finish = true,
): { engine: Engine; records: PositionedRecord[] } {
  const records: PositionedRecord[] = [];
  let position = from;
  const engine = new Engine({
    ruleSet: opts.ruleSet ?? wmiRuleSet(),
    ...opts,
    onRecord: (record) => records.push({ position, record }),
  });
  for (position = from; position < to; position++) engine.processFrame(frames[position], position);
  if (finish) engine.finish();
  return { engine, records };
}

export function alertIds(records: readonly PositionedRecord[]): string[] {
  return records.filter((r) => r.record.event_type === 'alert').map((r) => (r.record as { alert_id: string }).alert_id);
}
