/** The parts of the local broker launcher that need no JVM: config, paths, preflight errors. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkJava,
  checkLibs,
  defaultKafkaLibsDir,
  KAFKA_VERSION,
  LocalBrokerError,
  newClusterId,
  serverProperties,
} from '../src/local-broker.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const scratch = mkdtempSync(join(tmpdir(), 'local-broker-unit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const parse = (props: string) =>
  Object.fromEntries(
    props
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe('local broker configuration', () => {
  it('uses the Kafka version that scripts/kafka/pom.xml resolves', () => {
    const pom = readFileSync(join(repoRoot, 'scripts/kafka/pom.xml'), 'utf8');
    expect(/<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1]).toBe(KAFKA_VERSION);
  });

  it('writes a single-node KRaft config bound to the given host, with every replication setting at 1', () => {
    const p = parse(serverProperties({ host: '127.0.0.1', port: 40001, controllerPort: 40002, dataDir: '/x/data' }));
    expect(p['process.roles']).toBe('broker,controller');
    expect(p.listeners).toBe('PLAINTEXT://127.0.0.1:40001,CONTROLLER://127.0.0.1:40002');
    expect(p['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:40001');
    expect(p['controller.quorum.bootstrap.servers']).toBe('127.0.0.1:40002');
    expect(p['log.dirs']).toBe('/x/data');
    for (const k of [
      'offsets.topic.replication.factor',
      'transaction.state.log.replication.factor',
      'transaction.state.log.min.isr',
      'default.replication.factor',
      'min.insync.replicas',
    ]) {
      expect(p[k], k).toBe('1');
    }
    expect(p['group.initial.rebalance.delay.ms']).toBe('0');
  });

  it('lets extra properties override the defaults', () => {
    const p = parse(
      serverProperties({
        host: '127.0.0.1',
        port: 1,
        controllerPort: 2,
        dataDir: '/d',
        extra: { 'auto.create.topics.enable': 'true', 'message.max.bytes': '2097152' },
      }),
    );
    expect(p['auto.create.topics.enable']).toBe('true');
    expect(p['message.max.bytes']).toBe('2097152');
  });

  it('makes cluster ids in Kafka Uuid form: 16 bytes, base64url, 22 chars, no leading dash', () => {
    for (let i = 0; i < 500; i++) {
      const id = newClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url').length).toBe(16);
    }
  });

  it('finds the jars where scripts/kafka/fetch.sh puts them, with the same overrides', () => {
    expect(defaultKafkaLibsDir('4.1.2', { HOME: '/h', XDG_CACHE_HOME: '/c' })).toBe('/c/wmi-detect/kafka-4.1.2/libs');
    expect(defaultKafkaLibsDir('4.1.2', { WMI_DETECT_CACHE: '/w' })).toBe('/w/kafka-4.1.2/libs');
    expect(defaultKafkaLibsDir('4.1.2', { KAFKA_LIBS: '/l' })).toBe('/l');
  });
});

describe('local broker preflight', () => {
  it('says to run fetch.sh when the jars are missing', () => {
    const err = (() => {
      try {
        checkLibs(join(scratch, 'nope'), '4.1.2');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(LocalBrokerError);
    expect((err as LocalBrokerError).hint).toContain('scripts/kafka/fetch.sh');
  });

  it('rejects a jar dir without the completion stamp (an interrupted fetch)', () => {
    const dir = join(scratch, 'partial');
    mkdirSync(dir);
    writeFileSync(join(dir, 'kafka_2.13-4.1.2.jar'), '');
    expect(() => checkLibs(dir, '4.1.2')).toThrow(/incomplete Kafka 4\.1\.2 jar set/);
    writeFileSync(join(dir, '.complete'), 'version=4.1.2\n');
    expect(() => checkLibs(dir, '4.1.2')).not.toThrow();
  });

  it('says how to install Java when the java command does not exist', () => {
    expect(() => checkJava(join(scratch, 'no-such-java'))).toThrow(/Java is needed[\s\S]*openjdk-17/);
  });

  it('rejects a Java older than 17', () => {
    const fake = join(scratch, 'java11');
    writeFileSync(fake, '#!/bin/sh\necho \'openjdk version "11.0.20" 2023-07-18\' >&2\n', { mode: 0o755 });
    expect(() => checkJava(fake)).toThrow(/needs Java 17\+, .* is Java 11/);
  });
});
