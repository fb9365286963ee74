/**
 * The fixed world every scenario lives in: hosts on 10.0.0.0/24, the CORP domain, identities and the
 * helpers that open connections and security contexts. Nothing here sends traffic anywhere; it only
 * builds frames for a capture file.
 */

import { NtlmExchange, type NtlmIdentity } from '../auth/ntlm.js';
import { KerberosScheme, NtlmScheme } from '../auth/scheme.js';
import { DEFAULT_START_MICROS, type Host, Network } from '../capture/network.js';
import type { Drep } from '../dcerpc/pdu.js';
import { DceConnection, type SecurityContext } from '../session/dce-connection.js';
import { FactRecorder } from '../session/facts.js';
import { TcpConversation, type TcpConversationOptions } from '../tcp/conversation.js';
import { Rng } from '../util/rng.js';

export const HOSTS = {
  ws01: { name: 'WS01', mac: '02:00:0a:00:00:0a', ip: '10.0.0.10' },
  ws02: { name: 'WS02', mac: '02:00:0a:00:00:0b', ip: '10.0.0.11' },
  server: { name: 'SERVER', mac: '02:00:0a:00:00:14', ip: '10.0.0.20' },
  web: { name: 'WEB', mac: '02:00:0a:00:00:28', ip: '10.0.0.40' },
  client30: { name: 'LAPTOP30', mac: '02:00:0a:00:00:1e', ip: '10.0.0.30' },
  dns: { name: 'DC01', mac: '02:00:0a:00:00:02', ip: '10.0.0.2' },
  client30v6: { name: 'LAPTOP30', mac: '02:00:0a:00:00:1e', ip: 'fd00::30' },
  webv6: { name: 'WEB', mac: '02:00:0a:00:00:28', ip: 'fd00::40' },
} as const satisfies Record<string, Host>;

export const DOMAIN = {
  nb: 'CORP',
  dns: 'corp.local',
  realm: 'CORP.LOCAL',
  serverDns: 'server.corp.local',
  serverSpn: 'host/server.corp.local',
};

export const ALICE: NtlmIdentity = { domain: 'CORP', user: 'alice', workstation: 'WS01', password: 'Summer2024!' };
export const MALLORY: NtlmIdentity = { domain: 'CORP', user: 'mallory', workstation: 'WS02', password: 'Winter2023#' };

/** impacket numbers auth contexts from 79231 (rpcrt.py); native Windows starts at 0. */
export const IMPACKET_AUTH_CTX = 79231;

export class World {
  readonly net: Network;
  readonly rec = new FactRecorder();
  readonly rng: Rng;

  constructor(
    readonly scenario: string,
    startMicros = DEFAULT_START_MICROS,
  ) {
    this.net = new Network(startMicros);
    this.rng = new Rng(`wmi-detect/capture-gen/${scenario}`);
  }

  conversation(o: TcpConversationOptions): TcpConversation {
    return new TcpConversation(this.net, o);
  }

  connect(o: {
    id: string;
    client: Host;
    server: Host;
    clientPort: number;
    serverPort: number;
    drep?: Drep;
    style: 'windows' | 'impacket';
    midstream?: boolean;
    maxFrag?: number;
    tcp?: Partial<TcpConversationOptions>;
    notes?: string;
    headerSign?: boolean;
  }): DceConnection {
    const conv = this.conversation({
      client: o.client,
      server: o.server,
      clientPort: o.clientPort,
      serverPort: o.serverPort,
      clientIsn: this.rng.u32(),
      serverIsn: this.rng.u32(),
      ...o.tcp,
    });
    const impacket = o.style === 'impacket';
    return new DceConnection({
      id: o.id,
      conv,
      rec: this.rec,
      rng: this.rng,
      drep: o.drep,
      maxFrag: o.maxFrag ?? (impacket ? 4280 : 5840),
      clientPadAlign: impacket ? 4 : 16,
      serverPadAlign: 16,
      midstream: o.midstream,
      notes: o.notes,
      headerSign: o.headerSign,
    });
  }

  ntlm(
    identity: NtlmIdentity,
    o: { level: number; authContextId: number; style: 'windows' | 'impacket'; spnego?: boolean; version?: 'v1' | 'v2' },
  ): SecurityContext {
    const ex = new NtlmExchange(
      identity,
      { nbDomain: DOMAIN.nb, nbComputer: HOSTS.server.name, dnsDomain: DOMAIN.dns, dnsComputer: DOMAIN.serverDns },
      this.rng,
      {
        style: o.style,
        seal: o.level === 6,
        version: o.version,
        timeMicros: this.net.now,
        targetName: o.style === 'windows' ? DOMAIN.serverSpn : undefined,
      },
    );
    return { scheme: new NtlmScheme(ex, this.rng, o.spnego ?? false), level: o.level, authContextId: o.authContextId };
  }

  kerberos(o: { level: number; authContextId: number; spnego: boolean }): SecurityContext {
    return {
      scheme: new KerberosScheme({ realm: DOMAIN.realm, spn: DOMAIN.serverSpn, spnego: o.spnego }, this.rng),
      level: o.level,
      authContextId: o.authContextId,
    };
  }
}
