import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './console-host';
import { demoLicense } from '../../test/support/demo-license';

// The spec is about a tenant that has no license yet.
test.use({ licensed: false });

test('trial home and readiness: steps from evidence, license, production gate, packet export', async ({
  page,
  consoleHost,
}, testInfo) => {
  test.setTimeout(180_000);
  await page.goto(consoleHost.openUrl);
  // The home screen on a fresh data directory: nine steps, only the tenant done.
  const progress = page.getByTestId('trial-progress');
  await expect(progress).toHaveAttribute('data-complete', '1');
  await expect(page.locator('.trial-step')).toHaveCount(9);
  await expect(page.locator('[data-step="packet"]')).toHaveAttribute('data-state', 'incomplete');
  await expect(page.locator('[data-step="roles"]')).toContainText('No SSO identity provider is configured');
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
  await page.screenshot({ path: testInfo.outputPath('trial-before.png'), fullPage: true });

  // Readiness without a license: refused, pointing at the License screen.
  await page.getByRole('button', { name: 'Readiness', exact: true }).click();
  await page.getByRole('button', { name: 'Run production gate' }).click();
  await expect(page.getByRole('alert')).toContainText('no valid license');
  await page.getByRole('link', { name: 'Open the License screen' }).click();
  await page
    .getByLabel('Signed document')
    .first()
    .fill(demoLicense({ tenant: 'evaluation' }));
  await page.getByRole('button', { name: 'Import', exact: true }).first().click();
  await expect(page.getByTestId('entitlement')).toHaveAttribute('data-status', 'trial');

  await page.getByRole('button', { name: 'Readiness', exact: true }).click();
  await page.getByRole('button', { name: 'Run production gate' }).click();
  const report = page.getByTestId('readiness-report');
  await expect(report).toHaveAttribute('data-rating', 'red', { timeout: 60_000 });
  await expect(report).toHaveAttribute('data-ready', 'false');
  await expect(report.locator('[data-validator="tenant_isolation"]')).toHaveAttribute('data-status', 'pass');
  await expect(report.locator('[data-validator="identity"]')).toHaveAttribute('data-status', 'blocker');
  await expect(report).toContainText('No report was accepted by an SMTP server');
  await page.getByRole('button', { name: 'Export readiness packet' }).click();
  await expect(page.getByTestId('packet-result')).toContainText('ready_for_aispm_production false', {
    timeout: 60_000,
  });
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
  await page.screenshot({ path: testInfo.outputPath('readiness.png'), fullPage: true });

  await page.getByRole('button', { name: 'Trial checklist', exact: true }).click();
  await expect(page.locator('[data-step="packet"]')).toContainText(/exported with \d+ blockers/);
  await expect(page.locator('[data-step="tenant"]')).toContainText('License: trial');
  await expect(page.locator('[data-step="closeout"]')).toHaveAttribute('data-state', 'incomplete');

  // Step 9: the closeout form refuses what is missing, all at once, then signs the closeout.
  await page.getByRole('button', { name: 'Readiness', exact: true }).click();
  const closeout = page.getByTestId('closeout');
  await closeout.getByRole('button', { name: /Close out and export/ }).click();
  for (const label of [
    'Pilot decision',
    'Evaluator feedback',
    'Package access',
    'What was removed, or why access stays',
  ]) {
    await expect(page.getByLabel(label, { exact: true })).toHaveAttribute('aria-invalid', 'true');
  }
  await page.getByLabel('Pilot decision', { exact: true }).selectOption('extend');
  await page.getByLabel('Evaluator feedback', { exact: true }).fill('Routing worked; SSO is the missing piece.');
  await page.getByLabel('Package access', { exact: true }).selectOption('removed');
  await page.getByLabel('What was removed, or why access stays', { exact: true }).fill('registry token revoked');
  await page.getByLabel(/Surrender the license now/).check();
  await closeout.getByRole('button', { name: /Close out and export/ }).click();
  await expect(page.getByTestId('closeout-result')).toContainText('license surrendered (entitlement suspended)', {
    timeout: 90_000,
  });
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
  await page.screenshot({ path: testInfo.outputPath('closeout.png'), fullPage: true });
  await page.getByRole('button', { name: 'Trial checklist', exact: true }).click();
  await expect(page.locator('[data-step="closeout"]')).toHaveAttribute('data-state', 'complete');
  await expect(page.locator('[data-step="closeout"]')).toContainText('pilot decision "extend", license surrendered');
  await page.screenshot({ path: testInfo.outputPath('trial-after.png'), fullPage: true });
});
