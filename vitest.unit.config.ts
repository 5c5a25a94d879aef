import { defineConfig } from 'vitest/config';

// `npm run test:unit`: the packages' unit tests, in seconds: no Kafka broker,
// no ClickHouse engine, no server process. Tests that need one are named
// `*.int.test.ts` in a package, or live in test/; `npm test` runs everything.
export default defineConfig({
  test: {
    include: ['proto/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'clients/typescript/test/**/*.test.ts', 'web/test/**/*.test.ts'],
    exclude: ['**/*.int.test.ts', '**/node_modules/**'],
    testTimeout: 30_000,
  },
});
