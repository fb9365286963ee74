/**
 * Negative control: common non-DCE/RPC traffic (which must be dropped from deep inspection early),
 * one stream that starts like DCE/RPC but is not, plus a genuine DCE/RPC session on a non-standard port.
 *
 * Payload layouts:
 *   SMB2 over NetBIOS session service (MS-SMB2 2.2.1, 2.2.3): 0x00 | length u24 BE | 0xFE 'SMB' | StructureSize 64
 *     | CreditCharge | Status | Command 0 (NEGOTIATE) | Credits | Flags | NextCommand | MessageId u64 | Reserved
 *     | TreeId | SessionId u64 | Signature[16] | NEGOTIATE { StructureSize 36 | DialectCount | SecurityMode | Reserved
 *     | Capabilities | ClientGuid | ClientStartTime | Dialects[] }
 *   TLS 1.2 ClientHello (RFC 5246 7.4.1.2) with server_name (RFC 6066).
 *   DNS (RFC 1035) A query / answer over UDP.
 */
import { AUTH_LEVEL, BIND_NAK_REASON } from '../dcerpc/constants.js';
import { CLSID, IID } from '../dcom/guids.js';
import type { TcpConversation } from '../tcp/conversation.js';
import { ascii, ByteWriter, concat, utf16 } from '../util/bytes.js';
import { uuidBytes } from '../util/uuid.js';
import { activationOk, activationRequest, ctxNdr, IF } from './flows.js';
import type { ScenarioDefinition } from './types.js';
import { EXPORTER } from './wmi.js';
import { HOSTS, type World } from './world.js';

function rawConnection(w: World, id: string, conv: TcpConversation, notes: string): void {
  w.rec.connections.push({
    id,
    client: { ip: conv.client.ip, port: conv.clientPort, host: conv.client.name },
    server: { ip: conv.server.ip, port: conv.serverPort, host: conv.server.name },
    handshake: true,
    drep: 'le',
    dcerpc: false,
    notes,
  });
}

function httpExchange(
  w: World,
  id: string,
  client: typeof HOSTS.client30 | typeof HOSTS.client30v6,
  server: typeof HOSTS.web | typeof HOSTS.webv6,
  clientPort: number,
): void {
  const conv = w.conversation({
    client,
    server,
    clientPort,
    serverPort: 80,
    clientIsn: w.rng.u32(),
    serverIsn: w.rng.u32(),
  });
  rawConnection(w, id, conv, `HTTP/1.1 over IPv${client.ip.includes(':') ? 6 : 4}`);
  conv.handshake();
  conv.send(
    'client',
    ascii(
      `GET /reports/q1.html HTTP/1.1\r\nHost: web.corp.local\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)\r\nAccept: text/html\r\nConnection: close\r\n\r\n`,
    ),
  );
  const body = `<html><head><title>Q1</title></head><body>${'<p>quarterly numbers</p>'.repeat(80)}</body></html>`;
  w.net.advance(4_000);
  conv.send(
    'server',
    ascii(
      `HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    ),
  );
  conv.close('server');
}

function smb2Negotiate(): { request: Uint8Array; response: Uint8Array } {
  const header = (command: number, flags: number, credits: number): ByteWriter => {
    const h = new ByteWriter(true);
    h.u8(0xfe)
      .bytes(ascii('SMB'))
      .u16(64)
      .u16(0)
      .u32(0)
      .u16(command)
      .u16(credits)
      .u32(flags)
      .u32(0)
      .u64(0n)
      .u32(0xfeff)
      .u32(0)
      .u64(0n)
      .fill(16);
    return h;
  };
  const req = header(0, 0, 31);
  req.u16(36).u16(4).u16(1).u16(0).u32(0x7f);
  req.bytes(uuidBytes('3f9b1c2e-55aa-4c1d-9e0f-123456789abc'));
  req.u64(0n);
  for (const d of [0x0202, 0x0210, 0x0300, 0x0302]) req.u16(d);
  const resp = header(0, 1, 1);
  resp.u16(65).u16(1).u16(0x0302).u16(0);
  resp.bytes(uuidBytes('a1b2c3d4-0000-4000-8000-00000000beef'));
  resp.u32(0x2f).u32(8388608).u32(8388608).u32(8388608).u64(133548000000000000n).u64(0n);
  resp.u16(0x80).u16(0).u32(0);
  const nb = (b: Uint8Array): Uint8Array =>
    concat([Uint8Array.of(0, (b.length >> 16) & 0xff, (b.length >> 8) & 0xff, b.length & 0xff), b]);
  return { request: nb(req.toBytes()), response: nb(resp.toBytes()) };
}

function tlsClientHello(rng: World['rng'], sni: string): Uint8Array {
  const ext = new ByteWriter(false);
  const name = ascii(sni);
  ext
    .u16(0)
    .u16(name.length + 5)
    .u16(name.length + 3)
    .u8(0)
    .u16(name.length)
    .bytes(name); // server_name
  ext.u16(0x000a).u16(6).u16(4).u16(0x001d).u16(0x0017); // supported_groups
  ext.u16(0x000d).u16(6).u16(4).u16(0x0804).u16(0x0403); // signature_algorithms
  const exts = ext.toBytes();
  const body = new ByteWriter(false);
  body.u16(0x0303).bytes(rng.bytes(32)).u8(0);
  body.u16(4).u16(0xc02f).u16(0xc030);
  body.u8(1).u8(0);
  body.u16(exts.length).bytes(exts);
  const hs = body.toBytes();
  const rec = new ByteWriter(false);
  rec
    .u8(0x16)
    .u16(0x0301)
    .u16(hs.length + 4)
    .u8(1)
    .u8(0)
    .u16(hs.length)
    .bytes(hs);
  return rec.toBytes();
}

function dnsQuery(id: number, name: string, answer?: string): Uint8Array {
  const w = new ByteWriter(false);
  w.u16(id)
    .u16(answer ? 0x8180 : 0x0100)
    .u16(1)
    .u16(answer ? 1 : 0)
    .u16(0)
    .u16(0);
  for (const label of name.split('.')) w.u8(label.length).bytes(ascii(label));
  w.u8(0).u16(1).u16(1);
  if (answer) {
    w.u16(0xc00c).u16(1).u16(1).u32(3600).u16(4);
    for (const p of answer.split('.')) w.u8(Number(p));
  }
  return w.toBytes();
}

export const notDcerpc: ScenarioDefinition = {
  name: 'not-dcerpc',
  title: 'Negative control: HTTP, SMB2, TLS, DNS and a fake "05 00" stream, plus DCE/RPC on port 8080',
  summary:
    'LAPTOP30 (10.0.0.30) talks HTTP to WEB (10.0.0.40:80), over IPv6 (fd00::30 -> fd00::40:80) too, and TLS to :443; ' +
    'WS01 resolves server.corp.local over DNS, negotiates SMB2 with SERVER:445, and sends a stream on port 9000 that begins ' +
    'with 05 00 but has an invalid packet type and length. The only DCE/RPC is on SERVER:8080 (non-standard port): a bind ' +
    'refused with bind_nak (reason 8, authentication type not recognized), then an unauthenticated WMI activation.',
  proves: [
    'non-DCE/RPC flows are not decoded as DCE/RPC and produce no DCE/RPC alerts',
    'a stream starting with 05 00 is rejected by the version/type/length checks',
    'DCE/RPC is recognised by content on a non-standard port (8080) and service rules apply there',
    'bind_nak decoded with its reject reason',
    'IPv6 and UDP frames pass through the decoder',
  ],
  build(w) {
    httpExchange(w, 'http', HOSTS.client30, HOSTS.web, 51000);
    w.net.advance(3_000);
    httpExchange(w, 'http6', HOSTS.client30v6, HOSTS.webv6, 51001);
    w.net.advance(3_000);

    const tls = w.conversation({
      client: HOSTS.client30,
      server: HOSTS.web,
      clientPort: 51002,
      serverPort: 443,
      clientIsn: w.rng.u32(),
      serverIsn: w.rng.u32(),
    });
    rawConnection(w, 'tls', tls, 'TLS ClientHello');
    tls.handshake();
    tls.send('client', tlsClientHello(w.rng, 'web.corp.local'));
    tls.reset('server');
    w.net.advance(3_000);

    w.rec.connections.push({
      id: 'dns',
      client: { ip: HOSTS.ws01.ip, port: 53012, host: HOSTS.ws01.name },
      server: { ip: HOSTS.dns.ip, port: 53, host: HOSTS.dns.name },
      handshake: false,
      drep: 'le',
      dcerpc: false,
      notes: 'UDP DNS query and answer',
    });
    w.net.udp(HOSTS.ws01, HOSTS.dns, 53012, 53, dnsQuery(0x4d2a, 'server.corp.local'));
    w.net.advance(800);
    w.net.udp(HOSTS.dns, HOSTS.ws01, 53, 53012, dnsQuery(0x4d2a, 'server.corp.local', HOSTS.server.ip));
    w.net.advance(2_000);

    const smb = w.conversation({
      client: HOSTS.ws01,
      server: HOSTS.server,
      clientPort: 49990,
      serverPort: 445,
      clientIsn: w.rng.u32(),
      serverIsn: w.rng.u32(),
    });
    rawConnection(w, 'smb', smb, 'SMB2 NEGOTIATE over NetBIOS session service');
    smb.handshake();
    const n = smb2Negotiate();
    smb.send('client', n.request);
    w.net.advance(900);
    smb.send('server', n.response);
    smb.close();
    w.net.advance(3_000);

    const fake = w.conversation({
      client: HOSTS.ws01,
      server: HOSTS.server,
      clientPort: 49991,
      serverPort: 9000,
      clientIsn: w.rng.u32(),
      serverIsn: w.rng.u32(),
    });
    rawConnection(w, 'fake-05', fake, 'begins with 05 00 but PTYPE 0x30 and frag_length 8: not DCE/RPC');
    fake.handshake();
    fake.send(
      'client',
      concat([
        Uint8Array.of(0x05, 0x00, 0x30, 0x03, 0x10, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00),
        ascii('STATUS?\r\n'),
        utf16('ok'),
      ]),
    );
    w.net.advance(500);
    fake.send('server', ascii('ERR unknown command\r\n'));
    fake.close();
    w.net.advance(3_000);

    // A first attempt on 8080 offers an authentication service the server does not support: bind_nak.
    const refused = w.connect({
      id: 'dcerpc-8080-nak',
      client: HOSTS.ws01,
      server: HOSTS.server,
      clientPort: 49993,
      serverPort: 8080,
      style: 'impacket',
      notes: 'bind refused with bind_nak (authentication type not recognized)',
    });
    refused.bindRejected({
      contexts: [ctxNdr(0, IF.ISystemActivator)],
      security: w.kerberos({ level: AUTH_LEVEL.integrity, authContextId: 0, spnego: false }),
      reason: BIND_NAK_REASON.authentication_type_not_recognized,
    });
    refused.close('server');
    w.net.advance(1_000);

    const orpc = { cid: w.rng.uuid(), minor: 6 };
    const alt = w.connect({
      id: 'dcerpc-8080',
      client: HOSTS.ws01,
      server: HOSTS.server,
      clientPort: 49992,
      serverPort: 8080,
      style: 'impacket',
      notes: 'DCE/RPC (ISystemActivator) on a non-standard port, unauthenticated',
    });
    alt.bind({ contexts: [ctxNdr(0, IF.ISystemActivator)] });
    const spec = {
      contextId: 0,
      opnum: 4 as const,
      clsid: CLSID.WbemLevel1Login,
      iid: IID.IWbemLevel1Login,
      style: 'impacket' as const,
      orpc,
    };
    const call = activationRequest(alt, spec);
    w.net.advance(1_500);
    activationOk(w.rec, alt, call, spec, { ...EXPORTER, authnHint: AUTH_LEVEL.connect });
    alt.close();
  },
};
