import { describe, expect, it } from 'vitest';
import { ContextEntry } from '../../src/dcerpc/context-table.js';
import type { DcePduEvent } from '../../src/dcerpc/event.js';
import { SessionSummary } from '../../src/detect/session-record.js';

const IREMUNKNOWN2 = '00000143-0000-0000-c000-000000000046';

function entry(callId: number, ptype: number): ContextEntry {
  return new ContextEntry(0, IREMUNKNOWN2, 0, 0, [], ptype, callId, 0, true, null, 0);
}

/** The fields SessionSummary.observe reads of a bind/alter_context(_resp) event. */
function pdu(ptype: number, contexts: ContextEntry[]): DcePduEvent {
  return {
    ptype,
    dir: ptype === 11 || ptype === 14 ? 0 : 1,
    callId: 2,
    contexts,
    sealed: false,
    auth: null,
  } as unknown as DcePduEvent;
}

describe('SessionSummary interfaces: the server’s last answer per context', () => {
  // zeek's dce_rpc_ntlm.pcapng: bind (ctx 0 accepted), alter_context ctx 0 + NTLMSSP_NEGOTIATE (accepted), then
  // alter_context ctx 0 + NTLMSSP_AUTH whose response is not in the capture — tshark: IRemUnknown2 accepted
  it('an unanswered re-proposal of an accepted context leaves it accepted', () => {
    const s = new SessionSummary();
    const bound = entry(2, 11);
    s.observe(pdu(11, [bound]), null);
    bound.ack(0, 0, undefined);
    s.observe(pdu(12, [bound]), null);
    const again = entry(2, 14);
    s.observe(pdu(14, [again]), null);
    expect(s.body().interfaces).toEqual([{ uuid: IREMUNKNOWN2, version: '0.0', accepted: true, name: 'IRemUnknown2' }]);
  });

  it('an answered re-proposal sets the state: rejected, then accepted again', () => {
    const s = new SessionSummary();
    const first = entry(3, 14);
    s.observe(pdu(14, [first]), null);
    first.ack(2, 1, undefined);
    s.observe(pdu(15, [first]), null);
    expect(s.body().interfaces[0].accepted).toBe(false);
    const second = entry(4, 14);
    s.observe(pdu(14, [second]), null);
    second.ack(0, 0, undefined);
    s.observe(pdu(15, [second]), null);
    expect(s.body().interfaces[0].accepted).toBe(true);
  });
});
