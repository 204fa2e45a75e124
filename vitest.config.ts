import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests run as a demo build: they sign licenses with the demo key (core/license).
  define: { __CAVRA_BUILD_CHANNEL__: JSON.stringify('demo') },
  test: {
    include: ['{core,cli,main,preload,renderer,test}/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // The CLI bundle, and one PostgreSQL cluster for the store's PostgreSQL adapter tests.
    globalSetup: ['test/global-setup.ts', 'test/postgres-setup.ts'],
  },
});
