import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_TOPICS, kafkaClientOptionsFromEnv, topicNamesFromEnv } from '../src/env.js';

const dir = mkdtempSync(join(tmpdir(), 'kafka-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('kafkaClientOptionsFromEnv (configuration.md §2)', () => {
  it('defaults: localhost:9092, client id per component, no TLS, no SASL; empty = unset', () => {
    expect(kafkaClientOptionsFromEnv({ KAFKA_BROKERS: '' }, 'ingest')).toEqual({
      brokers: ['localhost:9092'],
      clientId: 'wmi-detect-ingest',
      ssl: false,
      sasl: undefined,
    });
  });

  it('brokers: comma-separated host:port, IPv6 in brackets', () => {
    const o = kafkaClientOptionsFromEnv({ KAFKA_BROKERS: 'k1:9092, k2.example:19093,[fd00::1]:9092' }, 'x');
    expect(o.brokers).toEqual(['k1:9092', 'k2.example:19093', '[fd00::1]:9092']);
    expect(configError(() => kafkaClientOptionsFromEnv({ KAFKA_BROKERS: 'k1' }, 'x')).variable).toBe('KAFKA_BROKERS');
    expect(configError(() => kafkaClientOptionsFromEnv({ KAFKA_BROKERS: 'k1:99999' }, 'x')).variable).toBe(
      'KAFKA_BROKERS',
    );
  });

  it('TLS: CA and client pair read from files; a half pair or TLS files without KAFKA_SSL are errors', () => {
    const ca = file('ca.crt', 'CA');
    const cert = file('tls.crt', 'CERT');
    const key = file('tls.key', 'KEY');
    const o = kafkaClientOptionsFromEnv(
      { KAFKA_SSL: 'TRUE', KAFKA_SSL_CA_FILE: ca, KAFKA_SSL_CERT_FILE: cert, KAFKA_SSL_KEY_FILE: key },
      'x',
    );
    expect(o.ssl).toEqual({ ca: Buffer.from('CA'), cert: Buffer.from('CERT'), key: Buffer.from('KEY') });
    expect(kafkaClientOptionsFromEnv({ KAFKA_SSL: 'true' }, 'x').ssl).toBe(true);
    expect(
      configError(() => kafkaClientOptionsFromEnv({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: cert }, 'x')).variable,
    ).toBe('KAFKA_SSL_KEY_FILE');
    expect(configError(() => kafkaClientOptionsFromEnv({ KAFKA_SSL_CA_FILE: ca }, 'x')).problem).toContain('KAFKA_SSL');
    expect(configError(() => kafkaClientOptionsFromEnv({ KAFKA_SSL: '1' }, 'x')).variable).toBe('KAFKA_SSL');
    const missing = configError(() =>
      kafkaClientOptionsFromEnv({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'nope') }, 'x'),
    );
    expect(missing).toMatchObject({ variable: 'KAFKA_SSL_CA_FILE' });
    expect(missing.problem).toContain('ENOENT');
  });

  it('SASL: mechanism, user, password from a file with one trailing newline ignored; the password never in errors', () => {
    const pw = file('sasl-password', 'p4ss word\n');
    const o = kafkaClientOptionsFromEnv(
      { KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'wmi', KAFKA_SASL_PASSWORD_FILE: pw },
      'x',
    );
    expect(o.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'wmi', password: 'p4ss word' });
    const e = configError(() => kafkaClientOptionsFromEnv({ KAFKA_SASL_MECHANISM: 'gssapi' }, 'x'));
    expect(e.variable).toBe('KAFKA_SASL_MECHANISM');
    expect(
      configError(() => kafkaClientOptionsFromEnv({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' }, 'x'))
        .variable,
    ).toBe('KAFKA_SASL_PASSWORD_FILE');
    expect(configError(() => kafkaClientOptionsFromEnv({ KAFKA_SASL_USERNAME: 'u' }, 'x')).variable).toBe(
      'KAFKA_SASL_USERNAME',
    );
  });
});

describe('topicNamesFromEnv', () => {
  it('defaults, overrides, and illegal names', () => {
    expect(topicNamesFromEnv({})).toEqual(DEFAULT_TOPICS);
    expect(topicNamesFromEnv({ TOPIC_PACKETS: 'site-a.packets.v1', TOPIC_DLQ: '' }).packets).toBe('site-a.packets.v1');
    expect(topicNamesFromEnv({ TOPIC_DLQ: '' }).dlq).toBe('wmi.dlq.v1');
    expect(configError(() => topicNamesFromEnv({ TOPIC_ALERTS: 'a/b' })).variable).toBe('TOPIC_ALERTS');
    expect(configError(() => topicNamesFromEnv({ TOPIC_ALERTS: '..' })).variable).toBe('TOPIC_ALERTS');
  });
});
