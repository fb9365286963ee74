/**
 * The classification table (`classtype:` → description and priority) and reference systems (`reference:` → URL).
 *
 * classification.config grammar (Snort):
 *   line := 'config' 'classification' ':' SHORTNAME ',' DESCRIPTION ',' PRIORITY
 * Priority 1 is the most severe. EVE's `alert.severity` is the rule's priority (explicit `priority:` wins over the
 * classtype's), as in Suricata; `alert.category` is the description. A rule without classtype or priority gets
 * priority 3 (Suricata's default).
 *
 * DEFAULT_CLASSIFICATION_CONFIG is the standard Snort 2.9 table, byte-for-byte the same as the repository's
 * `rules/classification.config` (a test keeps them equal), so the engine works without reading any file.
 */

import { DiagnosticList } from './diagnostics.js';

export interface Classification {
  name: string;
  description: string;
  priority: number;
}

export type ClassificationTable = ReadonlyMap<string, Classification>;

export const DEFAULT_PRIORITY = 3;

export const DEFAULT_CLASSIFICATION_CONFIG = `# Snort classification table: the standard Snort 2.9 classtypes (etc/classification.config of the Snort/VRT rules).
# config classification: shortname,short description,priority
# Priority 1 is the most severe; wmi-detect reports it as EVE alert.severity.

config classification: not-suspicious,Not Suspicious Traffic,3
config classification: unknown,Unknown Traffic,3
config classification: bad-unknown,Potentially Bad Traffic,2
config classification: attempted-recon,Attempted Information Leak,2
config classification: successful-recon-limited,Information Leak,2
config classification: successful-recon-largescale,Large Scale Information Leak,2
config classification: attempted-dos,Attempted Denial of Service,2
config classification: successful-dos,Denial of Service,2
config classification: attempted-user,Attempted User Privilege Gain,1
config classification: unsuccessful-user,Unsuccessful User Privilege Gain,1
config classification: successful-user,Successful User Privilege Gain,1
config classification: attempted-admin,Attempted Administrator Privilege Gain,1
config classification: successful-admin,Successful Administrator Privilege Gain,1
config classification: rpc-portmap-decode,Decode of an RPC Query,2
config classification: shellcode-detect,Executable Code was Detected,1
config classification: string-detect,A Suspicious String was Detected,3
config classification: suspicious-filename-detect,A Suspicious Filename was Detected,2
config classification: suspicious-login,An Attempted Login Using a Suspicious Username was Detected,2
config classification: system-call-detect,A System Call was Detected,2
config classification: tcp-connection,A TCP Connection was Detected,4
config classification: trojan-activity,A Network Trojan was Detected,1
config classification: unusual-client-port-connection,A Client was Using an Unusual Port,2
config classification: network-scan,Detection of a Network Scan,3
config classification: denial-of-service,Detection of a Denial of Service Attack,2
config classification: non-standard-protocol,Detection of a Non-Standard Protocol or Event,2
config classification: protocol-command-decode,Generic Protocol Command Decode,3
config classification: web-application-activity,Access to a Potentially Vulnerable Web Application,2
config classification: web-application-attack,Web Application Attack,1
config classification: misc-activity,Misc activity,3
config classification: misc-attack,Misc Attack,2
config classification: icmp-event,Generic ICMP event,3
config classification: inappropriate-content,Inappropriate Content was Detected,1
config classification: policy-violation,Potential Corporate Privacy Violation,1
config classification: default-login-attempt,Attempt to Login By a Default Username and Password,2
config classification: sdf,Sensitive Data was Transmitted Across the Network,2
config classification: file-format,Known malicious file or file based exploit,1
config classification: malware-cnc,Known malware command and control traffic,1
config classification: client-side-exploit,Known client side exploit attempt,1
`;

/** Parse a classification.config text. Malformed lines become diagnostics; later definitions replace earlier ones. */
export function parseClassificationConfig(
  text: string,
  file: string,
  diagnostics = new DiagnosticList(),
): { table: Map<string, Classification>; diagnostics: DiagnosticList } {
  const table = new Map<string, Classification>();
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) continue;
    const col = raw.length - raw.trimStart().length + 1;
    const c = parseClassificationLine(t);
    if (typeof c === 'string') diagnostics.add('error', file, i + 1, col, 'classification.syntax', c);
    else table.set(c.name, c);
  }
  return { table, diagnostics };
}

/** `config classification: name,description,priority` (the leading `config` is optional). */
export function parseClassificationLine(t: string): Classification | string {
  const m = /^(?:config\s+)?classification\s*:\s*(.*)$/i.exec(t);
  if (!m) return `expected 'config classification: name,description,priority', found '${t}'`;
  const parts = m[1].split(',');
  if (parts.length < 3) return `classification '${m[1]}' needs name, description and priority`;
  const name = parts[0].trim();
  const prio = parts[parts.length - 1].trim();
  const description = parts.slice(1, -1).join(',').trim();
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) return `invalid classification name '${name}'`;
  if (!/^\d+$/.test(prio) || Number(prio) < 1) return `classification '${name}' has an invalid priority '${prio}'`;
  return { name, description, priority: Number(prio) };
}

let defaultTable: Map<string, Classification> | null = null;

export function defaultClassification(): ClassificationTable {
  defaultTable ??= parseClassificationConfig(DEFAULT_CLASSIFICATION_CONFIG, '<built-in>').table;
  return defaultTable;
}

// ---------------------------------------------------------------------------------------------------------------
// References

export interface RuleReference {
  /** Reference system as written: url, cve, bugtraq, msb, … */
  system: string;
  id: string;
}

/** Snort's reference.config prefixes (url uses https:// as current Suricata does). */
export const DEFAULT_REFERENCE_SYSTEMS: ReadonlyMap<string, string> = new Map([
  ['url', 'https://'],
  ['cve', 'https://cve.mitre.org/cgi-bin/cvename.cgi?name='],
  ['bugtraq', 'http://www.securityfocus.com/bid/'],
  ['msb', 'https://technet.microsoft.com/en-us/security/bulletin/'],
  ['nessus', 'http://cgi.nessus.org/plugins/dump.php3?id='],
  ['osvdb', 'http://osvdb.org/show/osvdb/'],
  ['arachnids', 'http://www.whitehats.com/info/IDS'],
  ['mcafee', 'http://vil.nai.com/vil/content/v_'],
]);

/** The reference as a URL: ids that already carry a scheme are kept as they are. */
export function referenceUrl(ref: RuleReference, systems = DEFAULT_REFERENCE_SYSTEMS): string {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(ref.id)) return ref.id;
  const prefix = systems.get(ref.system.toLowerCase());
  return prefix !== undefined ? prefix + ref.id : `${ref.system},${ref.id}`;
}
