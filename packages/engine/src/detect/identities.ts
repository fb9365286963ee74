/**
 * Who authenticated on one connection, per security context. MS-RPCE lets a connection carry several security
 * contexts at once (auth_context_id in every sec_trailer; native WMI clients run IWbemServices on a second one), so
 * identities are kept apart by that id and an alert gets the identity of the context its PDU ran under.
 */
import { identityFromAuthValue, identityRecord } from '../auth/identity.js';
import type { DcePduEvent } from '../dcerpc/event.js';
import type { EveIdentity } from '../output/eve.js';

/** PTYPEs whose verifier is a handshake token (bind, bind_ack, alter_context, alter_context_resp, auth3). */
const HANDSHAKE = new Set([11, 12, 14, 15, 16]);
const MAX_CONTEXTS = 16;

const NO_IDENTITIES: Map<number, EveIdentity> = new Map();

export class IdentityBook {
  /** NO_IDENTITIES (shared, only read) until the first identity: most connections never authenticate. */
  private byContext = NO_IDENTITIES;
  /** Tokens whose parse reported problems (counted by the engine). */
  problems = 0;

  get size(): number {
    return this.byContext.size;
  }

  /** Reads the verifier of a handshake PDU; keeps the identity when the token names the client. */
  observe(ev: DcePduEvent): void {
    const auth = ev.auth;
    if (auth === null || !HANDSHAKE.has(ev.ptype) || ev.authLength === 0) return;
    const id = identityFromAuthValue(auth.authType, auth.value);
    if (id.problems.length > 0) this.problems++;
    if (!id.carriesIdentity) return;
    if (!this.byContext.has(auth.contextId) && this.byContext.size >= MAX_CONTEXTS) return;
    if (this.byContext === NO_IDENTITIES) this.byContext = new Map();
    const rec: EveIdentity = identityRecord(id);
    rec.auth_context_id = auth.contextId;
    if (id.mech !== undefined) rec.mech = id.mech;
    this.byContext.set(auth.contextId, rec);
  }

  /** The identity of one security context, if its client leg was seen. */
  forContext(authContextId: number): EveIdentity | undefined {
    return this.byContext.get(authContextId);
  }

  /** Identities for a unit that ran under `authContextId` (or none): that context's, else every one on the connection. */
  forUnit(authContextId: number | undefined): EveIdentity[] | undefined {
    if (authContextId !== undefined) {
      const one = this.byContext.get(authContextId);
      if (one !== undefined) return [one];
    }
    return this.byContext.size === 0 ? undefined : [...this.byContext.values()];
  }

  all(): EveIdentity[] {
    return [...this.byContext.values()];
  }
}
