import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './console-host';
import { demoLicense } from '../../test/support/demo-license';

test('license: missing, check a wrong-tenant file, import a trial license, see days and features', async ({
  page,
  consoleHost,
}, testInfo) => {
  await page.goto(consoleHost.openUrl);
  await expect(page.getByTestId('build-channel')).toHaveText('Demo build');
  await page.getByRole('button', { name: 'License', exact: true }).click();
  const entitlement = page.getByTestId('entitlement');
  await expect(entitlement).toHaveAttribute('data-status', 'missing');
  await expect(page.getByTestId('entitlement-reason')).toContainText('No license is imported');

  // A license for another tenant: the check says so and nothing is imported.
  const text = page.getByLabel('Signed document').first();
  await text.fill(demoLicense({ tenant: 'acme-eval' }));
  await page.getByRole('button', { name: 'Check', exact: true }).click();
  await expect(page.getByTestId('license-check')).toContainText('for tenant "acme-eval"');
  await expect(entitlement).toHaveAttribute('data-status', 'missing');

  // The right one, chosen as a file.
  const file = path.join(consoleHost.home, 'license.json');
  fs.writeFileSync(file, demoLicense({ tenant: 'evaluation', licenseId: 'lic-e2e-1' }));
  await page.getByLabel('File').first().setInputFiles(file);
  await expect(text).toHaveValue(/payloadType/);
  await page.getByRole('button', { name: 'Import', exact: true }).first().click();
  await expect(entitlement).toHaveAttribute('data-status', 'trial');
  await expect(page.getByTestId('days-remaining')).toHaveText(/^(29|30)$/);
  await expect(entitlement).toContainText('Demo key: not valid in production builds');
  await expect(entitlement.locator('[data-feature="readiness"]')).toHaveAttribute('data-enabled', 'true');

  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations).toEqual([]);
  await page.screenshot({ path: testInfo.outputPath('license.png'), fullPage: true });
});
