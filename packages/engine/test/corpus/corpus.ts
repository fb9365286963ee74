/**
 * Test helper for the real corpus in ../shared/corpus: lists every capture with its tshark facts, runs the whole
 * Engine (capture reader → TCP → DCE/RPC → rules) over a capture, and derives from the FACTS ALONE (tshark's view,
 * never our code) which seed sids rules/wmi.rules must fire on it.
 *
 * The corpus is read-only, shared and never copied into the repository; when it is absent the callers skip loudly.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptureError, Engine, type EveRecord, loadRules, openCapture, type RuleSet } from '@wmi-detect/engine';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const corpusDir = path.resolve(repoRoot, '../shared/corpus');
export const WMI_RULES_FILE = path.join(repoRoot, 'rules/wmi.rules');
export const corpusAvailable = existsSync(path.join(corpusDir, 'facts')) && existsSync(path.join(corpusDir, 'pcaps'));

/** The parts of a facts file (../shared/corpus/facts/<dir>/<file>.json, see corpus/HOWTO-tshark.md) we use. */
export interface Facts {
  capture: string;
  packets: number;
  tshark: {
    dcerpc_associations: Array<{ transport: string; server: string; ifaces: string[]; auth: string[] }>;
    dcerpc_pkt_types: Record<string, number>;
    bound_interfaces: Array<{ uuid: string; name: string; ver: string; accepted: number; rejected: number }>;
    request_opnums: Record<string, Record<string, number>>;
    faults: Array<{ status: string; iface: string; opnum: number | null; count: number }>;
    auth: Array<{ type: string; level: string; pdus: number }>;
    activation_clsids: Array<{ clsid: string; name: string; count: number }>;
  };
}

export interface CorpusCapture<F = Facts> {
  /** `<dir>/<file>` under corpus/pcaps, as INDEX.tsv and the facts name it. */
  name: string;
  pcap: string;
  /** The facts file as parsed JSON; `F` names the fields a test reads (default: the ones this module uses). */
  facts: F;
}

/** Captures above this size (the apt29 day-2 replays, hundreds of MB) are left to the benchmarks by the rule tests. */
export const TEST_CAPTURE_MAX_BYTES = 40 << 20;

/** Every capture under corpus/pcaps (recursively), each with its facts file; a capture without facts is an error. */
export function corpusCaptures<F = Facts>(): CorpusCapture<F>[] {
  if (!corpusAvailable) return [];
  const pcapsDir = path.join(corpusDir, 'pcaps');
  const out: CorpusCapture<F>[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const name = path.relative(pcapsDir, full).split(path.sep).join('/');
        const factsFile = path.join(corpusDir, 'facts', `${name}.json`);
        if (!existsSync(factsFile)) throw new Error(`corpus capture ${name} has no facts file ${factsFile}`);
        out.push({ name, pcap: full, facts: JSON.parse(readFileSync(factsFile, 'utf8')) as F });
      }
    }
  };
  walk(pcapsDir);
  return out;
}

export function warnSkipped(what: string): void {
  console.warn(
    `\n!!! [${what}] SKIPPED: the shared corpus ${corpusDir} is not available (it is never copied into the repo).\n`,
  );
}

// --- What the seed rules must do, from tshark's facts ------------------------------------------------------------

export const ISYSTEMACTIVATOR = '000001a0-0000-0000-c000-000000000046';
export const WMI_CLSID = '8bc3f05e-d86b-11d0-a075-00c04fb68820';
/** Interface → the seed sid that fires on a request on it (dce_iface rules). */
export const IFACE_SIDS: ReadonlyArray<[uuid: string, sid: number]> = [
  [ISYSTEMACTIVATOR, 4103004],
  ['f309ad18-d86a-11d0-a075-00c04fb68820', 4103022], // IWbemLevel1Login
  ['9556dc99-828c-11cf-a37e-00aa003240c7', 4103023], // IWbemServices
  ['027947e1-d731-11ce-a357-000000000001', 4103020], // IEnumWbemClassObject
];
export const SEED_SIDS = [4103001, 4103004, 4103005, 4103009, 4103020, 4103022, 4103023] as const;

export interface ExpectedSids {
  sids: Set<number>;
  /** Facts that would have implied a sid but are out of scope (DCE/RPC over SMB named pipes), with the reason. */
  excluded: string[];
}

/** UUID in an association's iface list entry, which tshark writes as "Name (uuid)" or as the bare UUID. */
function ifaceUuid(entry: string): string {
  const m = /\(([0-9a-f-]{36})\)\s*$/i.exec(entry);
  return (m ? m[1] : entry.trim()).toLowerCase();
}

/**
 * The seed sids rules/wmi.rules must fire on a capture, from tshark's facts:
 * - 4103004 / 4103022 / 4103023 / 4103020: tshark saw a request on ISystemActivator / IWbemLevel1Login / IWbemServices
 *   / IEnumWbemClassObject (request_opnums, attributed by tshark from the bind on the same association), and that
 *   interface was bound on an ncacn_ip_tcp association (any port; sealed or not — the rules only need the header);
 * - 4103001: tshark decoded the WMI CLSID in an activation stub (it can only do that when the stub is clear);
 * - 4103009 / 4103005: a fault with status 5 (access denied) on DCE/RPC over TCP, after a clear WMI activation
 *   (4103001's flowbit) or without one. The facts do not say on which connection a fault was; the corpus has no
 *   status-5 fault at all, so this is exercised by the generated scenarios (seed-scenarios.test.ts), not here.
 * Interfaces tshark saw only inside SMB named pipes (ncacn_np) are out of scope and reported in `excluded`.
 */
export function expectedSeedSids(facts: Facts): ExpectedSids {
  const t = facts.tshark;
  const sids = new Set<number>();
  const excluded: string[] = [];
  const tcpIfaces = new Set<string>();
  const npIfaces = new Set<string>();
  for (const a of t.dcerpc_associations ?? []) {
    const into = a.transport === 'ncacn_ip_tcp' ? tcpIfaces : npIfaces;
    for (const i of a.ifaces) into.add(ifaceUuid(i));
  }
  const nameOf = new Map((t.bound_interfaces ?? []).map((b) => [b.uuid.toLowerCase(), b.name]));
  for (const [uuid, sid] of IFACE_SIDS) {
    const name = nameOf.get(uuid);
    if (name === undefined || !t.request_opnums?.[name]) continue;
    if (tcpIfaces.has(uuid)) sids.add(sid);
    else if (npIfaces.has(uuid)) excluded.push(`${sid}: requests on ${name} only over SMB named pipes (ncacn_np)`);
  }
  const wmiActivation = (t.activation_clsids ?? []).some((c) => c.clsid.toLowerCase() === WMI_CLSID);
  if (wmiActivation) sids.add(4103001);
  for (const f of t.faults ?? []) {
    if (Number(f.status) !== 5) continue;
    const uuid = [...nameOf].find(([, n]) => n === f.iface)?.[0];
    if (uuid !== undefined && !tcpIfaces.has(uuid) && npIfaces.has(uuid)) {
      excluded.push(`status-5 fault on ${f.iface} only over SMB named pipes (ncacn_np)`);
      continue;
    }
    sids.add(wmiActivation ? 4103009 : 4103005);
  }
  return { sids, excluded };
}

// --- Running the engine ----------------------------------------------------------------------------------------

let cachedRules: RuleSet | undefined;
/** rules/wmi.rules with default variables (nothing set), as `wmidetect analyze` loads it. */
export function wmiRules(): RuleSet {
  if (cachedRules) return cachedRules;
  const loaded = loadRules({ ruleFiles: [WMI_RULES_FILE] });
  if (loaded.errorCount > 0) throw new Error('rules/wmi.rules has errors');
  cachedRules = loaded.ruleSet;
  return cachedRules;
}

export interface EngineRun {
  records: EveRecord[];
  /** The CaptureError message when the capture could not be read completely (everything before it was processed). */
  error?: string;
}

/** The whole Engine over one capture file, as `wmidetect analyze --sessions` runs it. */
export async function runEngine(pcap: string, sessionRecords = false): Promise<EngineRun> {
  const ruleSet = wmiRules();
  ruleSet.resetCounters();
  const records: EveRecord[] = [];
  const engine = new Engine({ ruleSet, capture: pcap, sessionRecords, onRecord: (r) => records.push(r) });
  let error: string | undefined;
  let n = 0;
  try {
    await openCapture(pcap).forEach((frame) => {
      engine.processFrame(frame, n++);
    });
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    error = e.message;
  }
  engine.finish();
  return error === undefined ? { records } : { records, error };
}

export function alertSids(records: readonly EveRecord[]): Map<number, number> {
  const bySid = new Map<number, number>();
  for (const r of records) {
    if (r.event_type !== 'alert') continue;
    const sid = (r as { alert: { signature_id: number } }).alert.signature_id;
    bySid.set(sid, (bySid.get(sid) ?? 0) + 1);
  }
  return bySid;
}
