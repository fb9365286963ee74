import { describe, expect, it } from 'vitest';
import { dcerpcSenderRole } from '../../src/tcp/role-hint.js';
import { ACK, PA, setup } from './helpers.js';

/** A 16-byte DCE/RPC CO common header: version 5.0, the given PTYPE, flags 0x03, little-endian drep, frag_length. */
function header(ptype: number, drep0 = 0x10, fragLength = 72): Uint8Array {
  const h = new Uint8Array([5, 0, ptype, 0x03, drep0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
  if (drep0 === 0x10) h.set([fragLength & 0xff, fragLength >> 8], 8);
  else h.set([fragLength >> 8, fragLength & 0xff], 8);
  return h;
}

describe('dcerpcSenderRole', () => {
  it('client-only PTYPEs (request, bind, alter_context, auth3, co_cancel, orphaned) mean the sender is the client', () => {
    for (const p of [0, 11, 14, 16, 18, 19]) expect(dcerpcSenderRole(header(p)), `ptype ${p}`).toBe(0);
  });
  it('server-only PTYPEs (response, fault, bind_ack, bind_nak, alter_context_resp, shutdown) mean the server', () => {
    for (const p of [2, 3, 12, 13, 15, 17]) expect(dcerpcSenderRole(header(p)), `ptype ${p}`).toBe(1);
    expect(dcerpcSenderRole(header(3, 0x00)), 'a big-endian fault').toBe(1);
  });
  it('says nothing for other payloads: short, wrong version, bad drep, frag_length < 16, unknown PTYPE', () => {
    expect(dcerpcSenderRole(header(11).subarray(0, 15))).toBe(-1);
    expect(dcerpcSenderRole(new Uint8Array([4, 0, 11, 3, 0x10, 0, 0, 0, 72, 0, 0, 0, 1, 0, 0, 0]))).toBe(-1);
    expect(dcerpcSenderRole(new Uint8Array([5, 0, 11, 3, 0x20, 0, 0, 0, 72, 0, 0, 0, 1, 0, 0, 0]))).toBe(-1);
    expect(dcerpcSenderRole(header(11, 0x10, 8))).toBe(-1);
    expect(dcerpcSenderRole(header(1))).toBe(-1); // ping: connectionless only
    expect(dcerpcSenderRole(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n'))).toBe(-1);
  });
});

describe('midstream pickup: roles from a DCE/RPC first payload beat the port heuristic', () => {
  // zeek's dce_rpc_ntlm.pcapng: the bind goes from 10.10.10.120:54784 to 10.10.10.121:58772 (the server has the
  // higher port), and the capture starts with it
  const client = { ip: '10.10.10.120', port: 54784 };
  const server = { ip: '10.10.10.121', port: 58772 };

  it('a bind from the lower port makes that endpoint the client', () => {
    const { rec, c } = setup({}, client, server);
    c({ seq: 1000, ack: 5000, flags: PA, data: header(11) });
    expect(rec.conns[0]).toMatchObject({ midstream: true, client, server });
  });

  it('a bind_ack from the higher port makes that endpoint the server', () => {
    const { rec, s } = setup({}, client, server);
    s({ seq: 5000, ack: 1000, flags: PA, data: header(12) });
    expect(rec.conns[0]).toMatchObject({ midstream: true, client, server });
  });

  it('without a DCE/RPC header the lower port still serves', () => {
    const { rec, c } = setup({}, client, server);
    c({ seq: 1000, ack: 5000, flags: ACK });
    expect(rec.conns[0]).toMatchObject({ midstream: true, client: server, server: client });
  });
});
