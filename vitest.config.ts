import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources of the workspace packages, not their (possibly stale) dist/ builds.
const src = (pkg: string) => fileURLToPath(new URL(`./${pkg}/src/index.ts`, import.meta.url));
const alias = {
  '@wmi-detect/engine': src('packages/engine'),
  '@wmi-detect/wire': src('packages/wire'),
  '@wmi-detect/kafka': src('packages/kafka'),
  '@wmi-detect/ops': src('packages/ops'),
  '@wmi-detect/cli': src('packages/cli'),
  '@wmi-detect/capture-gen': src('packages/capture-gen'),
  '@wmi-detect/ingest': src('services/ingest'),
  '@wmi-detect/detect': src('services/detect'),
  '@wmi-detect/enrich': src('services/enrich'),
};

// Two projects: `unit` needs nothing but Node; `integration` needs a real Kafka broker, which
// test/kafka/global-setup.ts provides (KAFKA_BROKERS, testcontainers, or the repo's own KRaft script).
export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'test/unit/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['test/kafka/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
