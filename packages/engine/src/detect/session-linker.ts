/**
 * One WMI/DCOM session across two connections (RESEARCH.md §2): the client activates the object through the
 * activator on port 135 (ISystemActivator / IActivation); the reply names the object exporter's string bindings
 * (host[port]) and the IPIDs of the interfaces it returned; the client then opens a second connection to that port
 * and calls those interfaces with the IPIDs as object UUIDs.
 *
 * Ties, strongest first:
 *   'oxid'            the later connection goes to a port the clear activation reply named, or its requests carry
 *                     an IPID that reply returned;
 *   'host_pair_time'  the reply was sealed (or not seen): a DCE/RPC connection from the same client to the same
 *                     server on a port other than 135 that starts within `windowUs` of the activation.
 * A host_pair_time tie is upgraded to oxid when a later request proves it with an IPID.
 *
 * State is bounded: a few activations per host pair, dropped once older than the window (by packet time).
 */

export type SessionLink = 'oxid' | 'host_pair_time';

export interface SessionTie {
  id: string;
  link: SessionLink;
}

interface Activation {
  readonly sessionId: string;
  /** Packet time of the latest activation request or reply. */
  tsUs: number;
  /** Caller's position (e.g. Kafka offset) of the activation's first packet: replay must start at or before it. */
  readonly position: number;
  readonly ports: Set<number>;
  readonly ipids: Set<string>;
  /** The reply was read in clear: a host_pair_time guess is not needed when it named ports. */
  clearReply: boolean;
}

const MAX_PER_PAIR = 8;
const MAX_PAIRS = 65_536;
const ENDPOINT_MAPPER_PORT = 135;

export class SessionLinker {
  private readonly byPair = new Map<string, Activation[]>();
  ties = { oxid: 0, host_pair_time: 0, upgraded: 0 };

  constructor(private readonly windowUs: number) {}

  get pairs(): number {
    return this.byPair.size;
  }

  /** An activation request from client to server (any port, usually 135): starts or refreshes its session. */
  activation(clientIp: string, serverIp: string, sessionId: string, tsUs: number, position: number): void {
    const list = this.list(clientIp, serverIp, true)!;
    let a = list.find((x) => x.sessionId === sessionId);
    if (a === undefined) {
      a = { sessionId, tsUs, position, ports: new Set(), ipids: new Set(), clearReply: false };
      list.push(a);
      if (list.length > MAX_PER_PAIR) list.shift();
    }
    a.tsUs = tsUs;
  }

  /** A clear activation reply: the exporter's ports and the IPIDs it returned. */
  activationReply(
    clientIp: string,
    serverIp: string,
    sessionId: string,
    tsUs: number,
    ports: readonly number[],
    ipids: readonly string[],
    position: number,
  ): void {
    this.activation(clientIp, serverIp, sessionId, tsUs, position);
    const a = this.list(clientIp, serverIp, false)!.find((x) => x.sessionId === sessionId)!;
    for (const p of ports) a.ports.add(p);
    for (const i of ipids) a.ipids.add(i);
    a.clearReply = true;
  }

  /** A new DCE/RPC connection (not to the activator): the session it belongs to, if any. */
  tieConnection(clientIp: string, serverIp: string, serverPort: number, tsUs: number): SessionTie | undefined {
    if (serverPort === ENDPOINT_MAPPER_PORT) return undefined;
    const list = this.list(clientIp, serverIp, false);
    if (list === undefined) return undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const a = list[i];
      if (tsUs - a.tsUs > this.windowUs) continue;
      if (a.ports.has(serverPort)) {
        this.ties.oxid++;
        return { id: a.sessionId, link: 'oxid' };
      }
    }
    for (let i = list.length - 1; i >= 0; i--) {
      const a = list[i];
      if (tsUs - a.tsUs > this.windowUs || tsUs < a.tsUs - 1_000_000) continue;
      // a clear reply that named other ports says this connection is not that session's
      if (a.clearReply && a.ports.size > 0) continue;
      this.ties.host_pair_time++;
      return { id: a.sessionId, link: 'host_pair_time' };
    }
    return undefined;
  }

  /** A request's object UUID: the session whose activation returned that IPID. */
  tieObject(clientIp: string, serverIp: string, ipid: string): SessionTie | undefined {
    const list = this.list(clientIp, serverIp, false);
    if (list === undefined) return undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i].ipids.has(ipid)) {
        this.ties.oxid++;
        return { id: list[i].sessionId, link: 'oxid' };
      }
    }
    return undefined;
  }

  /** Drops activations older than the window. */
  expire(nowUs: number): void {
    for (const [k, list] of this.byPair) {
      let keep = 0;
      for (const a of list) if (nowUs - a.tsUs <= this.windowUs) list[keep++] = a;
      list.length = keep;
      if (keep === 0) this.byPair.delete(k);
    }
  }

  /** Lowest position of an activation still held (the pipeline must be able to replay from there). */
  oldestPosition(): number | undefined {
    let min: number | undefined;
    for (const list of this.byPair.values()) {
      for (const a of list) if (min === undefined || a.position < min) min = a.position;
    }
    return min;
  }

  private list(clientIp: string, serverIp: string, create: boolean): Activation[] | undefined {
    const k = `${clientIp}|${serverIp}`;
    let list = this.byPair.get(k);
    if (list === undefined && create) {
      if (this.byPair.size >= MAX_PAIRS) {
        const oldest = this.byPair.keys().next().value;
        if (oldest !== undefined) this.byPair.delete(oldest);
      }
      list = [];
      this.byPair.set(k, list);
    }
    return list;
  }
}
