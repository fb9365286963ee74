/**
 * Scenarios that stress TCP reassembly under a DCE/RPC session: impairments, midstream pickup, capture gaps.
 */
import { AUTH_LEVEL } from '../dcerpc/constants.js';
import { ctxNdr, execQuery, IF, ntlmLogin, win32ProcessCreate } from './flows.js';
import { type ScenarioDefinition, WMI_NAMESPACE, WMIEXEC_COMMAND } from './types.js';
import { ENUMERATOR, EXPORTER, impacketWmiSession, SERVICES } from './wmi.js';
import { ALICE, HOSTS, IMPACKET_AUTH_CTX } from './world.js';

/** Client/server ISNs close to 2^32 so both directions wrap during the object connection. */
const CLIENT_ISN = 0xfffff800;
const SERVER_ISN = 0xfffffe00;

export const tcpImpairments: ScenarioDefinition = {
  name: 'tcp-impairments',
  title:
    'WMI session over a messy TCP stream: wrap-around, small MSS, coalesced PDUs, retransmission, overlap, reordering',
  summary:
    'The wmi-activation-ok session, with the object connection (WS01:49702 -> SERVER:49154) using MSS 536 and initial ' +
    'sequence numbers 0xfffff800 (client) / 0xfffffe00 (server), so both directions wrap past 2^32 mid-session. The auth3 ' +
    'and the NTLMLogin request travel in one segment (two complete PDUs). The client sends the ExecMethod request in four ' +
    '400-byte segments, seen out of order (0,1,3,2); segment 0 is retransmitted byte-identically after segment 1, an ' +
    'identical overlapping copy of request bytes 300-800 arrives right after segment 0 (partly new data), and a conflicting ' +
    "copy of bytes 100-500 (all 'X') arrives last, entirely below what the receiver already holds.",
  proves: [
    'sequence-number arithmetic modulo 2^32',
    'several PDUs per segment and PDUs split across segments',
    'duplicate, overlapping and out-of-order segments reassembled into the exact byte stream the server received',
    "data that lies entirely below the receiver's next expected sequence is ignored (the conflicting copy must not win)",
    'the ExecMethod command line is still decoded after reassembly',
  ],
  build(w) {
    impacketWmiSession(w, {
      scmLevel: AUTH_LEVEL.integrity,
      objectLevel: AUTH_LEVEL.integrity,
      objectTcp: { clientIsn: CLIENT_ISN, serverIsn: SERVER_ISN, clientMss: 536, serverMss: 536 },
      coalesceAuth3: true,
      execSend: {
        mss: 400,
        impairments: [
          { kind: 'reorder', order: [0, 1, 3, 2] },
          { kind: 'retransmit', segment: 0, after: 1 },
          { kind: 'overlap', after: 0, from: 300, to: 800 },
          { kind: 'overlap', after: 2, from: 100, to: 500, conflicting: true },
        ],
      },
    });
    w.rec.tcp.push(
      {
        connection: 'wmi',
        direction: 'to_server',
        kind: 'seq_wrap',
        detail: `client ISN 0x${CLIENT_ISN.toString(16)}: sequence numbers wrap inside the ExecMethod request`,
      },
      {
        connection: 'wmi',
        direction: 'to_client',
        kind: 'seq_wrap',
        detail: `server ISN 0x${SERVER_ISN.toString(16)}: sequence numbers wrap inside the NTLMLogin response`,
      },
    );
  },
};

export const midstream: ScenarioDefinition = {
  name: 'midstream',
  title: 'Capture starts in the middle of a WMI object connection',
  summary:
    'Only the object connection WS01:49702 -> SERVER:49154 is captured, starting after its bind: there is no handshake and ' +
    'the first captured bytes are the NTLMLogin request PDU (call 2, context 0, whose bind was not seen). The capture then ' +
    'shows the alter_context for IWbemServices (context 1, new NTLM context) and Win32_Process.Create on it.',
  proves: [
    'midstream pickup of a connection without SYN, recognised as DCE/RPC from the first PDU',
    'requests on a context whose bind was missed are decoded (interface unknown), later contexts are attributed normally',
    'the ExecMethod command line is decoded on a connection picked up midstream',
  ],
  build(w) {
    const orpc = { cid: w.rng.uuid(), minor: 6 };
    const wmi = w.connect({
      id: 'wmi',
      client: HOSTS.ws01,
      server: HOSTS.server,
      clientPort: 49702,
      serverPort: EXPORTER.port,
      style: 'impacket',
      midstream: true,
      notes: 'capture starts after the bind of IWbemLevel1Login (call 1)',
    });
    wmi.assumeBound(
      [{ contextId: 0, iface: IF.IWbemLevel1Login }],
      w.ntlm(ALICE, { level: AUTH_LEVEL.integrity, authContextId: IMPACKET_AUTH_CTX + 2, style: 'impacket' }),
    );
    wmi.skipCallIds(1);
    ntlmLogin(w.rec, wmi, 0, EXPORTER.ipid, WMI_NAMESPACE, SERVICES, { orpc });
    w.net.advance(2_000);
    wmi.bind({
      alter: true,
      contexts: [ctxNdr(1, IF.IWbemServices)],
      security: w.ntlm(ALICE, { level: AUTH_LEVEL.integrity, authContextId: IMPACKET_AUTH_CTX + 3, style: 'impacket' }),
    });
    win32ProcessCreate(w.rec, wmi, 1, SERVICES.ipid, WMIEXEC_COMMAND, { orpc });
    wmi.close();
    w.rec.tcp.push({
      connection: 'wmi',
      direction: 'to_server',
      kind: 'midstream',
      detail: 'no SYN/SYN-ACK; first captured payload is the request PDU with call_id 2',
    });
  },
};

export const gap: ScenarioDefinition = {
  name: 'gap',
  title: 'WMI session with a segment lost by the sensor in the middle of the ExecMethod request',
  summary:
    'The wmi-activation-ok session with MSS 536 on the object connection; the second of three segments of the ExecMethod ' +
    "request (call 4) never reached the capture, although both hosts exchanged it (the server's ACK covers it and it " +
    'answers call 4). The client then runs ExecQuery (call 5), which must be decoded after resynchronising on the next PDU.',
  proves: [
    'a gap inside a PDU is marked and the partial PDU is dropped, not mis-parsed',
    'the decoder resynchronises on the next PDU boundary (the ExecMethod response and the ExecQuery request/response)',
    'the session before the gap (activation, NTLMLogin) is fully decoded',
  ],
  build(w) {
    impacketWmiSession(w, {
      scmLevel: AUTH_LEVEL.integrity,
      objectLevel: AUTH_LEVEL.integrity,
      objectTcp: { clientMss: 536 },
      execSend: { impairments: [{ kind: 'drop', segment: 1 }] },
      afterExec: ({ conn, orpc }) => {
        w.net.advance(3_000);
        execQuery(w.rec, conn, 1, SERVICES.ipid, 'SELECT Name, ProcessId FROM Win32_Process', ENUMERATOR, { orpc });
      },
    });
  },
};
