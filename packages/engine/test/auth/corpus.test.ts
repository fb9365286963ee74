import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { identityFromAuthValue } from '../../src/auth/identity.js';
import {
  authVerifiers,
  corpusPdus,
  corpusPresent,
  facts,
  pcapDir,
  tsharkAvailable,
  tsharkFields,
  tsharkText,
} from '../wmi/support.js';

// Every NTLM identity tshark saw in a DCE/RPC auth verifier of the corpus (facts: dcerpc_ntlmssp_auth) must be
// what identityFromAuthValue reads from the same verifiers, with the same multiplicity; every Kerberos AP-REQ
// tshark decodes in a DCE/RPC PDU must give the same realm and SPN. tshark extracts the PDU bytes and is the oracle.

const run = corpusPresent && tsharkAvailable();

function capturesWith(pred: (f: NonNullable<ReturnType<typeof facts>>) => boolean): string[] {
  if (!run) return [];
  const out: string[] = [];
  for (const dir of readdirSync(pcapDir)) {
    for (const file of readdirSync(path.join(pcapDir, dir))) {
      const f = facts(`${dir}/${file}`);
      if (f && pred(f)) out.push(`${dir}/${file}`);
    }
  }
  return out.sort();
}

describe.skipIf(!run)('identity over the corpus (tshark facts)', () => {
  const ntlmCaptures = capturesWith((f) => f.tshark.dcerpc_ntlmssp_auth.length > 0);

  it('finds the captures with NTLM identities in DCE/RPC', () => {
    expect(ntlmCaptures.length).toBeGreaterThanOrEqual(8);
  });

  it.each(ntlmCaptures)('%s: NTLM users as tshark counts them', (capture) => {
    const expected = new Map<string, number>();
    for (const a of facts(capture)?.tshark.dcerpc_ntlmssp_auth ?? []) {
      expected.set(`${tsharkText(a.domain)}\\${tsharkText(a.user)}@${tsharkText(a.host)}`, a.count);
    }
    const got = new Map<string, number>();
    for (const v of authVerifiers(corpusPdus(capture))) {
      const id = identityFromAuthValue(v.authType, v.value);
      if (id.mech !== 'ntlmssp' || id.ntlm_message !== 'authenticate') continue;
      expect(id.problems).toEqual([]);
      const k = `${id.domain}\\${id.user}@${id.workstation}`;
      got.set(k, (got.get(k) ?? 0) + 1);
    }
    expect(got).toEqual(expected);
  });

  const krbCaptures = capturesWith((f) => {
    const assoc = f.tshark.dcerpc_associations ?? [];
    return f.tshark.kerberos.some((k) => k.msg_type === '14') && assoc.length > 0;
  });

  it.each(krbCaptures)('%s: Kerberos AP-REQs in DCE/RPC verifiers give the realm and SPN tshark decodes', (capture) => {
    // tshark's own reading of the same frames (it does not dissect every verifier: those it skips are only counted).
    const byFrame = new Map<number, string[]>();
    for (const [frame, realm, sname] of tsharkFields(capture, 'dcerpc && kerberos.msg_type == 14', [
      'frame.number',
      'kerberos.realm',
      'kerberos.SNameString',
    ])) {
      byFrame.set(Number(frame), [realm, sname.replaceAll('|', '/')]);
    }
    let matched = 0;
    for (const v of authVerifiers(corpusPdus(capture))) {
      const id = identityFromAuthValue(v.authType, v.value);
      if (id.kerberos_message !== 'ap_req') continue;
      expect(id.problems, `frame ${v.frame}`).toEqual([]);
      expect(id.client_name_visible).toBe(false);
      const t = byFrame.get(v.frame);
      if (!t) continue;
      expect([id.realm, id.spn], `frame ${v.frame}`).toEqual(t);
      matched++;
    }
    expect(matched).toBe(byFrame.size);
  });

  it.each(capturesWith((f) => (f.tshark.dcerpc_associations ?? []).length > 0))(
    '%s: no verifier of a handshake leg yields a parse problem except the two Zeek malformed-AV traces',
    (capture) => {
      const malformed = capture.includes('ntlm-empty-av-sequence') || capture.includes('ntlm-unterminated-av-sequence');
      for (const v of authVerifiers(corpusPdus(capture))) {
        if (v.ptype === 0 || v.ptype === 2 || v.ptype === 3) continue; // request/response/fault verifiers: signatures
        const id = identityFromAuthValue(v.authType, v.value);
        if (malformed) continue;
        expect(id.problems, `frame ${v.frame} ptype ${v.ptype}`).toEqual([]);
      }
    },
  );
});
