/**
 * Pieces of EVE records: flow fields, alert{}, dcerpc{}. Names follow Suricata's EVE where they overlap
 * (src/dest in the direction of the unit that fired, app_proto, alert.signature_id …); dcerpc{} adds what EVE lacks:
 * the interface name, the operation name, the security context and whether the stub was sealed.
 */
import { PTYPE } from '../dcerpc/constants.js';
import type { DcePduEvent } from '../dcerpc/event.js';
import {
  authLevelName,
  authTypeName,
  faultStatusName,
  interfaceName,
  operationName,
  ptypeEveName,
} from '../dcerpc/names.js';
import type { EveAlertInfo, EveDcerpcInfo, EveFlowFields } from '../output/eve.js';
import { eveTimestamp } from '../output/time.js';
import { referenceUrl } from '../rules/classification.js';
import type { Rule } from '../rules/rule.js';
import type { Direction } from '../tcp/types.js';
import type { FlowState } from './flow-state.js';

export function flowFields(flow: FlowState, dir: Direction, tsUs: number, capture: string | undefined): EveFlowFields {
  const c = flow.conn;
  const src = dir === 0 ? c.client : c.server;
  const dst = dir === 0 ? c.server : c.client;
  const f: EveFlowFields = {
    timestamp: eveTimestamp(tsUs),
    flow_id: flow.flowId,
    src_ip: src.ip,
    src_port: src.port,
    dest_ip: dst.ip,
    dest_port: dst.port,
    proto: 'TCP',
  };
  const cid = flow.communityId;
  if (cid !== null) f.community_id = cid;
  if (flow.isDcerpc === true) f.app_proto = 'dcerpc';
  if (capture !== undefined) f.capture = capture;
  return f;
}

const alertInfoCache = new WeakMap<Rule, EveAlertInfo>();

/** alert{} of a rule; built once per rule (records are serialised right away, never mutated). */
export function alertInfo(rule: Rule): EveAlertInfo {
  let a = alertInfoCache.get(rule);
  if (a !== undefined) return a;
  a = {
    action: 'allowed',
    gid: rule.gid,
    signature_id: rule.sid,
    rev: rule.rev,
    signature: rule.msg,
    category: rule.category,
    severity: rule.severity,
  };
  const keys = Object.keys(rule.metadata);
  if (keys.length > 0) {
    const md: Record<string, string[]> = {};
    for (const k of keys) md[k] = [...rule.metadata[k]];
    a.metadata = md;
  }
  if (rule.references.length > 0) a.references = rule.references.map((r) => referenceUrl(r));
  alertInfoCache.set(rule, a);
  return a;
}

/** dcerpc{} for the PDU that fired. */
export function dcerpcInfo(ev: DcePduEvent): EveDcerpcInfo {
  const d: EveDcerpcInfo = { request: ptypeEveName(ev.ptype), call_id: ev.callId, stub_sealed: ev.sealed };
  const ifc = ev.iface;
  if (ifc !== undefined) {
    d.interface = { uuid: ifc.uuid, version: `${ifc.verMajor}.${ifc.verMinor}`, accepted: ifc.accepted };
    const name = interfaceName(ifc.uuid);
    if (name !== undefined) d.interface.name = name;
  }
  if (ev.opnum !== undefined) {
    d.opnum = ev.opnum;
    const op = ifc !== undefined ? operationName(ifc.uuid, ev.opnum) : undefined;
    if (op !== undefined) d.operation = op;
  }
  if (ev.contextId !== undefined) d.context_id = ev.contextId;
  const auth = ev.effectiveAuth;
  if (auth !== null && auth.authType !== 0) {
    d.auth = {
      type: authTypeName(auth.authType),
      level: authLevelName(auth.authLevel),
      context_id: auth.authContextId,
    };
  }
  if (ev.ptype === PTYPE.fault && ev.faultStatus !== undefined) {
    d.fault_status = faultStatusName(ev.faultStatus) ?? `0x${ev.faultStatus.toString(16).padStart(8, '0')}`;
  }
  if (ev.ptype === PTYPE.request) {
    const o = ev.objectUuid;
    if (o !== undefined) d.object_uuid = o;
  }
  return d;
}
