import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/source.js';
import { PacketDecoder } from '../../src/packet/decoder.js';
import { TCP_RST, TCP_SYN } from '../../src/packet/types.js';

// The decoder against tshark on real traffic: for every TCP conversation with port 135 that tshark lists in a
// capture's facts (client, server, frames, payload bytes, SYN and RST seen), the decoded packets between the same two
// endpoints must add up to the same numbers. Read from ../shared, never copied into the repository.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const corpus = path.resolve(repoRoot, '../shared/corpus');
const present = existsSync(path.join(corpus, 'pcaps'));
if (!present)
  console.warn(`SKIPPED: capture corpus not found at ${corpus}/pcaps — the corpus decoder test did not run`);

interface Conversation {
  client: string;
  server: string;
  frames: number;
  payload_bytes: number;
  syn: boolean;
  rst: boolean;
}

interface Tally {
  frames: number;
  payload_bytes: number;
  syn: boolean;
  rst: boolean;
}

const endpoint = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
const pairKey = (a: string, b: string) => (a < b ? `${a} ${b}` : `${b} ${a}`);

function withConversations(): { rel: string; file: string; convs: Conversation[] }[] {
  if (!present) return [];
  const out: { rel: string; file: string; convs: Conversation[] }[] = [];
  for (const dir of readdirSync(path.join(corpus, 'pcaps')).sort()) {
    for (const name of readdirSync(path.join(corpus, 'pcaps', dir)).sort()) {
      const facts = JSON.parse(readFileSync(path.join(corpus, 'facts', dir, `${name}.json`), 'utf8'));
      const convs: Conversation[] = facts.tshark?.port135_conversations ?? [];
      if (convs.length > 0) out.push({ rel: `${dir}/${name}`, file: path.join(corpus, 'pcaps', dir, name), convs });
    }
  }
  return out;
}

describe.skipIf(!present)('packet decoder on the corpus: port-135 conversations as tshark counts them', () => {
  const files = withConversations();

  it('finds conversations to compare', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  for (const { rel, file, convs } of files) {
    it(rel, async () => {
      // tshark may list one endpoint pair several times (port reuse): compare the sums.
      const want = new Map<string, Tally>();
      for (const c of convs) {
        const k = pairKey(c.client, c.server);
        const t = want.get(k) ?? { frames: 0, payload_bytes: 0, syn: false, rst: false };
        t.frames += c.frames;
        t.payload_bytes += c.payload_bytes;
        t.syn ||= c.syn;
        t.rst ||= c.rst;
        want.set(k, t);
      }
      const got = new Map<string, Tally>();
      for (const k of want.keys()) got.set(k, { frames: 0, payload_bytes: 0, syn: false, rst: false });
      const decoder = new PacketDecoder();
      try {
        await openCapture(file).forEach((frame) => {
          const p = decoder.decode(frame);
          if (typeof p === 'string' || p.tcp === undefined) return;
          const t = got.get(pairKey(endpoint(p.srcIp, p.srcPort), endpoint(p.dstIp, p.dstPort)));
          if (t === undefined) return;
          t.frames++;
          t.payload_bytes += p.payload.length;
          if (p.tcp.flags & TCP_SYN) t.syn = true;
          if (p.tcp.flags & TCP_RST) t.rst = true;
        });
      } catch {
        // the cut-short captures end in a CaptureError (tested in test/capture/corpus.test.ts); tshark's facts
        // likewise cover only the complete records
      }
      expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want));
      expect(decoder.problems.bad_tcp_header).toBe(0);
      expect(decoder.problems.truncated_ip).toBe(0);
    });
  }
});
