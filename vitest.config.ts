import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{core,cli,main,preload,renderer,test}/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
  },
});
