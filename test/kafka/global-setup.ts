/**
 * vitest globalSetup of the `integration` project: one Kafka broker for the whole run.
 *
 *   1. KAFKA_BROKERS set            → use that cluster (nothing started or stopped here)
 *   2. a Docker engine answers      → testcontainers with the official apache/kafka image
 *   3. otherwise                    → the repo's own KRaft broker from Maven jars (packages/kafka/src/local-broker.ts)
 *
 * Tests read the address with kafkaBrokers() (test/kafka/brokers.ts; also in process.env.KAFKA_BROKERS). When no
 * broker can be had, every integration test fails with the reason and the fix — never a silent pass or skip.
 * After stopping a broker it started, teardown checks that no broker process and no temp dir are left, and fails
 * the run if there are.
 */
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import type { TestProject } from 'vitest/node';
import {
  findBrokerLeftovers,
  freePort,
  type KafkaLogger,
  kafkaVersion,
  type LocalBroker,
  startLocalBroker,
  waitForKafka,
} from '../../packages/kafka/src/index.js';
import './brokers.js';

const say = (msg: string) => console.log(`kafka: ${msg}`);

const logger: KafkaLogger = {
  debug() {},
  info: (msg, f) => say(`${msg.replace(/^kafka: /, '')} ${f ? JSON.stringify(f) : ''}`),
  warn: (msg, f) => console.warn(`kafka: ${msg.replace(/^kafka: /, '')} ${f ? JSON.stringify(f) : ''}`),
  error: (msg, f) => console.error(`kafka: ${msg.replace(/^kafka: /, '')} ${f ? JSON.stringify(f) : ''}`),
};

/** True when a Docker engine answers /_ping on the local socket (or DOCKER_HOST points somewhere). */
async function dockerReachable(): Promise<boolean> {
  if (process.env.WMI_KAFKA_DOCKER === '0') return false;
  const host = process.env.DOCKER_HOST;
  if (host && !host.startsWith('unix://')) return true; // tcp/ssh engine: let testcontainers try it
  const socketPath = host ? host.slice('unix://'.length) : '/var/run/docker.sock';
  if (!existsSync(socketPath)) return false;
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

interface Started {
  brokers: string;
  stop: () => Promise<void>;
}

/**
 * apache/kafka in KRaft combined mode. The client port is bound to a host port chosen up front so the advertised
 * listener is known before the container starts; a second listener serves inter-broker traffic inside it.
 */
async function startContainer(): Promise<Started> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const hostPort = await freePort();
  const container = await new GenericContainer(`apache/kafka:${kafkaVersion()}`)
    .withExposedPorts({ container: 9092, host: hostPort })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,BROKER://:9094,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://localhost:${hostPort},BROKER://localhost:9094`,
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withWaitStrategy(Wait.forListeningPorts())
    .withStartupTimeout(180_000)
    .start();
  const brokers = `localhost:${hostPort}`;
  try {
    await waitForKafka([brokers], { timeoutMs: 120_000 });
  } catch (e) {
    await container.stop();
    throw e;
  }
  return {
    brokers,
    stop: async () => {
      await container.stop();
    },
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let started: Started | null = null;
  let local: LocalBroker | null = null;
  let unavailable = '';
  let brokers = '';
  const t0 = Date.now();

  if (process.env.KAFKA_BROKERS) {
    brokers = process.env.KAFKA_BROKERS;
    try {
      await waitForKafka(brokers.split(','), { timeoutMs: 60_000 });
      say(`using KAFKA_BROKERS=${brokers} (not started here, not stopped here)`);
    } catch (e) {
      unavailable = `KAFKA_BROKERS=${brokers} is set but not usable: ${(e as Error).message}\n  fix: point KAFKA_BROKERS at a running cluster, or unset it to let the tests start a broker`;
    }
  } else {
    if (await dockerReachable()) {
      try {
        started = await startContainer();
        say(`started broker apache/kafka:${kafkaVersion()} in Docker at ${started.brokers} (${Date.now() - t0} ms)`);
      } catch (e) {
        console.warn(
          `kafka: Docker is reachable but the container failed (${(e as Error).message}); using the local broker`,
        );
      }
    }
    if (!started) {
      try {
        local = await startLocalBroker({ logger });
        started = { brokers: local.bootstrap, stop: () => local!.stop() };
        say(
          `started broker Kafka ${local.version} (KRaft, local JVM, pgid ${local.pgid}) at ${local.bootstrap} in ${local.dir} (${Date.now() - t0} ms)`,
        );
      } catch (e) {
        unavailable = (e as Error).message;
      }
    }
    if (started) brokers = started.brokers;
  }

  if (unavailable) {
    console.error(`\nkafka: NO BROKER — every integration test will fail:\n${unavailable}\n`);
    brokers = '';
  } else {
    process.env.KAFKA_BROKERS = brokers;
  }
  project.provide('kafkaBrokers', brokers);
  project.provide('kafkaUnavailable', unavailable);

  return async () => {
    if (!started) return;
    const t1 = Date.now();
    await started.stop();
    if (!local) {
      say(`stopped broker ${brokers} (${Date.now() - t1} ms)`);
      return;
    }
    const left = findBrokerLeftovers(local.dir);
    if (left.dirs.length > 0 || left.processes.length > 0) {
      throw new Error(
        `kafka: broker leftovers after stop: dirs ${JSON.stringify(left.dirs)} processes ${JSON.stringify(left.processes)}`,
      );
    }
    say(
      `stopped broker ${local.bootstrap} (${Date.now() - t1} ms); no broker process and no temp dir left (${local.dir} gone)`,
    );
  };
}
