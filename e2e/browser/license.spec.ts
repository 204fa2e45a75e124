import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './console-host';
import { demoLicense } from '../../test/support/demo-license';

// The spec is about a tenant that has no license yet.
test.use({ licensed: false });

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

test('without a license the Enterprise screens are locked with the reason; importing one unlocks them', async ({
  page,
  consoleHost,
}, testInfo) => {
  await page.goto(consoleHost.openUrl);
  for (const screen of ['aispm', 'reviews', 'connectors', 'reports'])
    await expect(page.getByTestId(`locked-${screen}`)).toHaveText('Locked');
  // Enforcement screens are never locked.
  for (const screen of ['approvals', 'activity', 'evidence', 'policy', 'readiness'])
    await expect(page.getByTestId(`locked-${screen}`)).toHaveCount(0);
  await page.getByRole('button', { name: /^AISPM posture/ }).click();
  const locked = page.getByTestId('license-locked');
  await expect(locked).toHaveAttribute('data-feature', 'aispm');
  await expect(locked.getByRole('heading')).toHaveText('Locked: AISPM posture');
  await expect(page.getByTestId('license-locked-reason')).toContainText('No license is imported');
  await expect(locked).toContainText('Enforcement is not affected');
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
  await page.screenshot({ path: testInfo.outputPath('aispm-locked.png'), fullPage: true });
  // The core refuses the feature too (the lock is not only in the UI).
  const refused = await consoleHost.cli(['aispm', 'status', '--json']);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/AISPM posture is an Enterprise feature \("aispm"\).*no valid license \(missing\)/);

  await locked.getByRole('link', { name: 'Open the License screen' }).click();
  await page
    .getByLabel('Signed document')
    .first()
    .fill(demoLicense({ tenant: 'evaluation', features: ['aispm', 'readiness'] }));
  await page.getByRole('button', { name: 'Import', exact: true }).first().click();
  await expect(page.getByTestId('entitlement')).toHaveAttribute('data-status', 'trial');
  await expect(page.getByTestId('locked-aispm')).toHaveCount(0);
  // A valid license without the connectors feature still locks connectors, saying so.
  await expect(page.getByTestId('locked-connectors')).toHaveText('Locked');
  await page.getByRole('button', { name: /^Connectors/ }).click();
  await expect(page.getByTestId('license-locked')).toContainText(
    'does not include the "connectors" feature (SIEM, ITSM, ChatOps and webhook connectors); ask the vendor',
  );
  await page.getByRole('button', { name: /^AISPM posture/ }).click();
  await expect(page.getByTestId('license-locked')).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'AISPM posture', level: 1 })).toBeVisible();
});
