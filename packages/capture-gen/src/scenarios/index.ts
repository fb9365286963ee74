import { DEFAULT_START_MICROS } from '../capture/network.js';
import { dcomMmc20 } from './dcom.js';
import { notDcerpc } from './negative.js';
import { gap, midstream, tcpImpairments } from './tcp.js';
import type { Scenario, ScenarioDefinition } from './types.js';
import {
  bigEndian,
  faultOtherCall,
  kerberos,
  multiFragment,
  sealed,
  wmiActivationDenied,
  wmiActivationOk,
} from './wmi.js';
import { World } from './world.js';

export const SCENARIOS: readonly ScenarioDefinition[] = [
  wmiActivationOk,
  wmiActivationDenied,
  faultOtherCall,
  bigEndian,
  multiFragment,
  tcpImpairments,
  midstream,
  sealed,
  dcomMmc20,
  kerberos,
  gap,
  notDcerpc,
];

export function scenarioNames(): string[] {
  return SCENARIOS.map((s) => s.name);
}

export function findScenario(name: string): ScenarioDefinition {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`unknown scenario '${name}'; known: ${scenarioNames().join(', ')}`);
  return s;
}

/** Builds a scenario. Deterministic: the same name always yields the same frames. */
export function buildScenario(name: string): Scenario {
  const def = findScenario(name);
  const w = new World(def.name, DEFAULT_START_MICROS);
  def.build(w);
  const frames = w.net.frames.slice();
  const description = w.rec.describe({
    name: def.name,
    title: def.title,
    summary: def.summary,
    proves: def.proves,
    startTime: new Date(DEFAULT_START_MICROS / 1000).toISOString(),
    frameCount: frames.length,
  });
  return {
    name: def.name,
    title: def.title,
    frames,
    describe: () => structuredClone(description),
  };
}
