import { defineConfig } from 'vitest/config';

// One run for every package: unit tests beside each package, cross-service
// and real-infrastructure tests (Kafka broker, embedded ClickHouse) in test/.
export default defineConfig({
  test: {
    include: ['proto/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'clients/typescript/test/**/*.test.ts', 'web/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: files run in a small pool; Kafka and engine tests are heavy.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
