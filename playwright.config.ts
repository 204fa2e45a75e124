import { defineConfig } from '@playwright/test';

// Browser tier: Debian's Chromium against the browser-mode host (runs everywhere).
// Electron tier: e2e/electron, skipped with a message when no Electron binary is present.
export const chromiumLaunch = {
  executablePath: process.env.CAVRA_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};

export default defineConfig({
  outputDir: 'test-results/playwright',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  workers: 1,
  reporter: [['list']],
  use: { trace: 'retain-on-failure', screenshot: 'only-on-failure' },
  projects: [
    {
      name: 'browser',
      testDir: 'e2e/browser',
      use: { launchOptions: chromiumLaunch, viewport: { width: 1360, height: 860 } },
    },
    { name: 'electron', testDir: 'e2e/electron' },
  ],
});
