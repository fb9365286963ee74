/**
 * Deterministic identifiers. The pipeline replays packets after a crash or rebalance (docs/architecture.md), so
 * everything an alert is known by must be a function of the packets alone — never of a worker's counters or the
 * wall clock. Then a replayed alert carries the same id as the one emitted before the crash, and enrich drops it.
 */
import { hash } from 'node:crypto';
import type { ConnectionInfo } from '../tcp/types.js';

/** "client-ip:port>server-ip:port@start-µs": names one connection for as long as its first packet is the same. */
export function connectionKeyText(conn: ConnectionInfo): string {
  return `${conn.client.ip}:${conn.client.port}>${conn.server.ip}:${conn.server.port}@${conn.startTsUs}`;
}

/** First `hexDigits` hex digits of SHA-256(text). */
export function stableHex(text: string, hexDigits: number): string {
  // one-shot crypto.hash (Node >= 20.12): a third of createHash().update().digest()'s cost, same digest
  return hash('sha256', text, 'hex').slice(0, hexDigits);
}

/**
 * EVE flow_id: a 52-bit integer (exact in JSON and JavaScript numbers) from the connection key, so two workers or
 * two runs over the same packets name the flow alike.
 */
export function stableFlowId(connKey: string): number {
  return Number.parseInt(stableHex(`flow|${connKey}`, 13), 16);
}

/**
 * alert_id: the connection, the rule (gid:sid) and which unit of the connection fired it — `p<n>` for its n-th
 * packet, `d<n>` for its n-th DCE/RPC PDU. 32 hex digits (128 bits).
 */
export function alertId(connKey: string, gid: number, sid: number, unit: string): string {
  return stableHex(`alert|${connKey}|${gid}:${sid}|${unit}`, 32);
}

/** session_id of a WMI/DCOM session: named after the connection that carried its activation. */
export function sessionId(activationConnKey: string): string {
  return stableHex(`session|${activationConnKey}`, 24);
}
