import type { CapturedFrame } from '../capture/pcap.js';
import type { ScenarioDescription } from '../session/facts.js';
import type { World } from './world.js';

export interface ScenarioDefinition {
  name: string;
  title: string;
  summary: string;
  proves: string[];
  build(w: World): void;
}

export interface Scenario {
  name: string;
  title: string;
  frames: CapturedFrame[];
  /** Ground truth: every connection, PDU, identity, activation, WMI/DCOM call, fault and TCP impairment. */
  describe(): ScenarioDescription;
}

/** Well-known values shared by scenarios and their tests. */
export const WMIEXEC_COMMAND = 'cmd.exe /Q /c whoami 1> \\\\127.0.0.1\\ADMIN$\\__1 2>&1';
export const WMI_NAMESPACE = '//./root/cimv2';
