import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseEnrichConfig } from '../src/config.js';
import { AlertDedup } from '../src/dedup.js';
import { main } from '../src/main.js';
import { ReferenceData, ReferenceFileError } from '../src/reference.js';
import { decodeDetection, forwardedAlertId } from '../src/service.js';

const dir = mkdtempSync(join(tmpdir(), 'enrich-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('parseEnrichConfig', () => {
  it('applies the documented defaults; empty means unset', () => {
    const c = parseEnrichConfig({ KAFKA_BROKERS: '', OPS_PORT: '' });
    expect(c.kafka.brokers).toEqual(['localhost:9092']);
    expect(c.kafka.clientId).toBe('wmi-detect-enrich');
    expect(c.opsPort).toBe(9464);
    expect(c.groupId).toBe('wmi-detect-enrich');
    expect(c.topics).toEqual({
      detections: 'wmi.detections.v1',
      alerts: 'wmi.alerts.v1',
      suppressed: 'wmi.alerts.suppressed.v1',
      dlq: 'wmi.dlq.v1',
      refAssets: 'wmi.reference.assets',
      refWhitelist: 'wmi.reference.whitelist',
    });
    expect(c.assetsFile).toBeUndefined();
  });

  it('reads SASL passwords from a file without the trailing newline', () => {
    const pw = file('pw', 's3cret\n');
    const c = parseEnrichConfig({
      KAFKA_BROKERS: 'a:9092, b:9093',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'enrich',
      KAFKA_SASL_PASSWORD_FILE: pw,
    });
    expect(c.kafka.brokers).toEqual(['a:9092', 'b:9093']);
    expect(c.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'enrich', password: 's3cret' });
  });

  it('names the variable that is wrong', () => {
    const bad: [Record<string, string>, string][] = [
      [{ KAFKA_SSL: 'yes' }, 'KAFKA_SSL'],
      [{ KAFKA_SSL_CA_FILE: join(dir, 'missing.pem'), KAFKA_SSL: 'true' }, 'KAFKA_SSL_CA_FILE'],
      [{ KAFKA_SSL_CERT_FILE: file('c.pem', 'x'), KAFKA_SSL: 'true' }, 'KAFKA_SSL_KEY_FILE'],
      [{ KAFKA_SSL_CA_FILE: file('ca.pem', 'x') }, 'KAFKA_SSL_CA_FILE'],
      [{ KAFKA_SASL_MECHANISM: 'plain' }, 'KAFKA_SASL_USERNAME'],
      [{ KAFKA_SASL_MECHANISM: 'gssapi' }, 'KAFKA_SASL_MECHANISM'],
      [{ KAFKA_BROKERS: 'localhost' }, 'KAFKA_BROKERS'],
      [{ OPS_PORT: '70000' }, 'OPS_PORT'],
      [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
      [{ TOPIC_ALERTS: 'wmi.detections.v1' }, 'TOPIC_DETECTIONS'],
      [{ TOPIC_SUPPRESSED: 'bad topic' }, 'TOPIC_SUPPRESSED'],
      [{ ASSETS_FILE: join(dir, 'nope.json') }, 'ASSETS_FILE'],
    ];
    for (const [env, variable] of bad) {
      let err: unknown;
      try {
        parseEnrichConfig(env);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(env)).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).variable, JSON.stringify(env)).toBe(variable);
    }
  });

  it('main exits 2 on a bad reference file, before connecting anywhere', async () => {
    const lines: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((l: string) => {
      lines.push(String(l));
      return true;
    }) as typeof process.stderr.write;
    try {
      const code = await main({
        KAFKA_BROKERS: '127.0.0.1:1',
        WHITELIST_FILE: file(
          'wl-bad.json',
          JSON.stringify([
            { id: 'ok', source: '10.0.0.1' },
            { id: 'x', source: 'nowhere' },
          ]),
        ),
      });
      expect(code).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    const rec = JSON.parse(lines.join('').trim().split('\n').at(-1)!);
    expect(rec.level).toBe('error');
    expect(rec.variable).toBe('WHITELIST_FILE');
    expect(rec.msg).toContain('entry #2: whitelist x: "source" must be an address or CIDR block');
  });
});

describe('ReferenceData', () => {
  it('loads the baseline files and refuses duplicates and non-arrays', () => {
    const r = ReferenceData.fromFiles({
      assetsFile: file('a.json', JSON.stringify([{ id: 'dc01', cidr: '10.1.0.10', hostname: 'dc01' }])),
      whitelistFile: file('w.json', JSON.stringify([{ id: 'sccm', source: '10.5.0.0/24' }])),
    });
    expect(r.assets.lookup('10.1.0.10')?.hostname).toBe('dc01');
    expect(r.whitelist.match('10.5.0.3', '10.1.0.10', 1, 0)?.id).toBe('sccm');
    const dup = file(
      'dup.json',
      JSON.stringify([
        { id: 'a', source: '10.0.0.1' },
        { id: 'a', source: '10.0.0.2' },
      ]),
    );
    expect(() => ReferenceData.fromFiles({ whitelistFile: dup })).toThrow(/entry #2: duplicate id 'a'/);
    expect(() => ReferenceData.fromFiles({ assetsFile: file('obj.json', '{}') })).toThrow(ReferenceFileError);
    expect(() => ReferenceData.fromFiles({ assetsFile: file('trunc.json', '[{"id":') })).toThrow(/is not JSON/);
  });

  it('applies topic records: put, tombstone, and rejects bad ones keeping the previous entry', () => {
    const r = new ReferenceData();
    const put = (k: string, v: unknown) =>
      r.apply('whitelist', Buffer.from(k), typeof v === 'string' ? Buffer.from(v) : Buffer.from(JSON.stringify(v)));
    expect(put('jump', { id: 'jump', source: '10.9.0.4' })).toEqual({ kind: 'whitelist', action: 'put', id: 'jump' });
    expect(put('jump', { id: 'jump', source: '10.9.0.400' }).action).toBe('rejected');
    expect(put('jump', '{"id":"jump"').action).toBe('rejected');
    expect(put('other', { id: 'jump', source: '10.9.0.5' })).toMatchObject({ action: 'rejected', id: 'other' });
    expect(r.apply('whitelist', null, Buffer.from('{}'))).toMatchObject({ action: 'rejected', id: null });
    expect(r.whitelist.match('10.9.0.4', '10.0.0.1', 1, 0)?.id).toBe('jump');
    expect(r.apply('whitelist', Buffer.from('jump'), null)).toEqual({
      kind: 'whitelist',
      action: 'delete',
      id: 'jump',
    });
    expect(r.whitelist.size).toBe(0);
    expect(r.applied.whitelist).toBe(2);
    expect(r.rejected.whitelist).toBe(4);
    r.apply('assets', Buffer.from('dc'), Buffer.from(JSON.stringify({ id: 'dc', cidr: '10.1.0.0/16' })));
    expect(r.assets.lookup('10.1.2.3')?.id).toBe('dc');
  });
});

describe('decodeDetection', () => {
  it('accepts EVE objects and names what is wrong with anything else', () => {
    expect(decodeDetection(Buffer.from('{"event_type":"alert","alert_id":"a"}'))).toMatchObject({ ok: true });
    expect(decodeDetection(Buffer.from('{"event_type":"dcerpc_session"}'))).toMatchObject({ ok: true });
    expect(decodeDetection(null)).toEqual({ ok: false, reason: 'record has no value' });
    expect(decodeDetection(Buffer.from('[1]'))).toEqual({ ok: false, reason: 'value is not a JSON object' });
    expect(decodeDetection(Buffer.from('{"x":1}'))).toEqual({ ok: false, reason: 'record has no string "event_type"' });
    expect(decodeDetection(Buffer.from('{"event_type":"alert"}'))).toEqual({
      ok: false,
      reason: 'alert record has no string "alert_id"',
    });
    expect(decodeDetection(Buffer.from([0x82, 0xa1]))).toMatchObject({ ok: false });
  });
});

describe('AlertDedup.forget', () => {
  it('lets an id from an uncommitted batch through again', () => {
    const d = new AlertDedup(10);
    expect(d.firstTime('a')).toBe(true);
    expect(d.firstTime('a')).toBe(false);
    d.forget(['a']);
    expect(d.firstTime('a')).toBe(true);
  });
});

describe('forwardedAlertId', () => {
  it("reads detect's headers, and the value when they are missing", () => {
    const h = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Buffer.from(v)]));
    expect(forwardedAlertId(h({ event_type: 'alert', alert_id: 'a1' }), null)).toBe('a1');
    expect(forwardedAlertId(h({ event_type: 'tag', alert_id: 'a1' }), null)).toBeUndefined();
    expect(forwardedAlertId({}, Buffer.from('{"event_type":"alert","alert_id":"a2"}'))).toBe('a2');
    expect(forwardedAlertId({}, Buffer.from('{"event_type":"dcerpc_session"}'))).toBeUndefined();
    expect(forwardedAlertId({}, Buffer.from('garbage'))).toBeUndefined();
  });
});
