import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './console-host';
import { demoLicense } from '../../test/support/demo-license';

test('offline review tells a readiness packet from a closeout packet, verifies each, and refuses a tampered packet', async ({
  page,
  consoleHost,
}, testInfo) => {
  // Two consoles, two gate runs with their exports, three verifications.
  test.setTimeout(240_000);
  const license = testInfo.outputPath('license.json');
  fs.writeFileSync(license, demoLicense({ tenant: 'evaluation', licenseId: 'lic-offline-1' }));
  expect((await consoleHost.cli(['license', 'import', license])).code).toBe(0);
  const exported = await consoleHost.cli(['packet', 'export']);
  expect(exported.code, exported.stderr).toBe(2);
  const readiness = /Readiness packet: (.+)/.exec(exported.stdout)?.[1] as string;
  const closed = await consoleHost.cli([
    'packet',
    'closeout',
    '--decision',
    'extend',
    '--feedback',
    'Routing worked; we need SSO before production.',
    '--package-access-removed',
    'registry token revoked',
    '--surrender-license',
  ]);
  expect(closed.code, closed.stderr).toBe(0);
  const closeout = /Closeout packet: (.+)/.exec(closed.stdout)?.[1] as string;
  // A copy someone edited to say ready.
  const tampered = testInfo.outputPath('tampered-packet');
  fs.cpSync(readiness, tampered, { recursive: true });
  const readable = path.join(tampered, 'packet.json');
  const packet = JSON.parse(fs.readFileSync(readable, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(readable, JSON.stringify({ ...packet, ready_for_aispm_production: true, blockers: [] }, null, 2));

  // A reviewer's console with its own empty data directory.
  const reviewer = await consoleHost.fresh();
  await page.goto(reviewer.openUrl);
  await page.getByRole('button', { name: 'Offline review' }).click();
  const directory = page.getByLabel('Bundle directory or packet directory');
  const verify = page.getByRole('button', { name: 'Verify bundle or packet' });
  const result = page.getByTestId('packet-verification');

  await directory.fill(readiness);
  await verify.click();
  await expect(result).toHaveAttribute('data-ok', 'true', { timeout: 60_000 });
  await expect(result).toHaveAttribute('data-kind', 'readiness');
  await expect(result).toHaveAttribute('data-ready', 'false');
  await expect(result).toContainText('Readiness packet verified against its own key (not pinned)');
  await expect(result.locator('[data-validator]')).toHaveCount(12);
  await expect(result.locator('[data-validator="identity"]')).toHaveAttribute('data-status', 'blocker');
  await expect(page.getByTestId('packet-checked')).toContainText('against its validator_result record in the bundle');
  await expect(page.getByTestId('packet-blockers')).toContainText('identity');
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
  await page.screenshot({ path: testInfo.outputPath('offline-readiness-packet.png'), fullPage: true });

  await directory.fill(closeout);
  await verify.click();
  await expect(result).toHaveAttribute('data-kind', 'closeout', { timeout: 60_000 });
  await expect(result).toHaveAttribute('data-ok', 'true');
  await expect(result).toContainText('Trial closeout packet verified');
  await expect(result).toContainText('extend');
  await expect(result).toContainText('lic-offline-1: surrendered');
  await expect(result).toContainText('Removed: registry token revoked');
  await expect(result).toContainText('Routing worked; we need SSO before production.');
  await expect(page.getByTestId('packet-checked')).toContainText('closeout decisions against the closeout record');
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
  await page.screenshot({ path: testInfo.outputPath('offline-closeout-packet.png'), fullPage: true });

  await directory.fill(tampered);
  await verify.click();
  await expect(result).toHaveAttribute('data-ok', 'false', { timeout: 60_000 });
  await expect(result).toContainText('does NOT verify');
  await expect(result.getByRole('alert')).toContainText('packet.json was edited');
  await expect(result.locator('[data-validator]')).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('offline-tampered-packet.png'), fullPage: true });
});
