/**
 * The DCE/RPC layer against the repository's capture generator (packages/capture-gen): an encoder written
 * independently from the specifications, whose recorder states what it put on the wire. Every scenario — WMI
 * activation granted and refused, a fault with another call in flight, big-endian drep, multi-fragment calls,
 * retransmitted/overlapping/reordered segments, midstream pickup, a sealed session, Kerberos, a gap, and the
 * negative controls — is written to a pcap, replayed through DcerpcConnection, and every captured PDU compared
 * field by field with the generator's ground truth. Needs tshark only to read the pcap.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildScenario, type PduFact, scenarioNames, writeScenario } from '@wmi-detect/capture-gen';
import { afterAll, describe, expect, it } from 'vitest';
import type { DcePduEvent } from '../../src/dcerpc/event.js';
import { ptypeName } from '../../src/dcerpc/names.js';
import type { BindAckPdu, BindNakPdu, BindPdu } from '../../src/dcerpc/pdu/index.js';
import { haveTshark, replayCapture } from './capture-replay.js';

const tshark = haveTshark();
if (!tshark) console.warn('[dcerpc generated] tshark not available: skipping the capture-gen ground-truth comparison');

const dir = mkdtempSync(path.join(tmpdir(), 'dcerpc-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const isCall = (ptype: string) => ptype === 'request' || ptype === 'response' || ptype === 'fault';

/** The generator's view of one captured PDU, as the fields a passive decoder can know. */
function expected(p: PduFact, requestSeen: Set<number>): string {
  const call = isCall(p.ptype);
  return JSON.stringify({
    ptype: p.ptype,
    callId: p.callId,
    flags: p.flags,
    fragLength: p.fragLength,
    authLength: p.authLength,
    contextId: call ? p.contextId : undefined,
    // responses/faults learn their opnum and interface from the request: unknowable when it was not captured
    opnum: p.ptype === 'request' || (call && requestSeen.has(p.callId)) ? p.opnum : undefined,
    iface: call && p.contextVisible !== false ? p.interface : undefined,
    status: p.status,
    sealed: p.sealed === true,
    auth: p.authLength > 0 ? [p.authType, p.authLevel, p.authContextId] : undefined,
    objectUuid: p.ptype === 'request' ? p.objectUuid : undefined,
    stubLength: p.ptype === 'request' || p.ptype === 'response' ? p.stubLength : undefined,
    contexts: p.contexts?.map((c) => [c.contextId, c.interface, c.transferSyntaxes]),
    results: p.results?.map((r) => [r.result, r.reason]),
    secAddr: p.secAddr,
    rejectReason: p.rejectReason,
  });
}

function observed(ev: DcePduEvent): string {
  const ptype = ptypeName(ev.ptype);
  const call = isCall(ptype);
  const d = ev.decoded;
  const bind = d && (d.type === 'bind' || d.type === 'alter_context') ? (d as BindPdu) : undefined;
  const ack = d && (d.type === 'bind_ack' || d.type === 'alter_context_resp') ? (d as BindAckPdu) : undefined;
  const nak = d && d.type === 'bind_nak' ? (d as BindNakPdu) : undefined;
  const a = ev.auth;
  return JSON.stringify({
    ptype,
    callId: ev.callId,
    flags: ev.pfcFlags,
    fragLength: ev.fragLength,
    authLength: ev.authLength,
    contextId: call ? ev.contextId : undefined,
    opnum: call ? ev.opnum : undefined,
    iface: call ? ev.iface?.uuid : undefined,
    status: ev.faultStatus,
    sealed: ev.sealed,
    auth: a ? [a.authType, a.authLevel, a.contextId] : undefined,
    objectUuid: ptype === 'request' ? ev.objectUuid : undefined,
    stubLength: d && (d.type === 'request' || d.type === 'response') ? d.stubLength : undefined,
    contexts: bind?.contexts.map((c) => [c.contextId, c.abstractSyntax.uuid, c.transferSyntaxes.map((t) => t.uuid)]),
    results: ack?.results.map((r) => [r.result, r.reason]),
    secAddr: ack?.secAddr,
    rejectReason: nak?.reason,
  });
}

describe.skipIf(!tshark)('capture-gen scenarios decode to their ground truth', () => {
  it.each(scenarioNames())('%s', async (name) => {
    const file = path.join(dir, `${name}.pcap`);
    await writeScenario(name, file);
    const truth = buildScenario(name).describe();
    const replay = replayCapture(file);
    for (const c of truth.connections) {
      const a = `${c.client.ip}:${c.client.port}`;
      const b = `${c.server.ip}:${c.server.port}`;
      const stream = [...replay.endpoints].find(
        ([, e]) => (e[0] === a && e[1] === b) || (e[0] === b && e[1] === a),
      )?.[0];
      const mine = replay.events.filter((e) => e.stream === stream).map((e) => observed(e.ev));
      if (!c.dcerpc) {
        expect(mine, `${c.id} is a negative control`).toEqual([]);
        expect(stream === undefined || replay.connections.get(stream)?.isDcerpc !== true).toBe(true);
        continue;
      }
      const captured = truth.pdus.filter((p) => p.connection === c.id && p.captured);
      const requestSeen = new Set(captured.filter((p) => p.ptype === 'request').map((p) => p.callId));
      const want = captured.map((p) => expected(p, requestSeen));
      expect([...mine].sort(), `connection ${c.id}`).toEqual([...want].sort());
      expect(replay.connections.get(stream!)?.isDcerpc).toBe(true);
    }
  });
});
