import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './console-host';

test('policy screen: packs, rule browser, and the simulator explains decisions', async ({
  page,
  consoleHost,
}, testInfo) => {
  await page.goto(consoleHost.openUrl);
  await page.getByRole('button', { name: 'Policy packs' }).click();
  const packs = page.getByTestId('pack-table');
  await expect(packs.locator('tbody tr[data-pack-id]').first()).toBeVisible();
  expect(await packs.locator('tbody tr[data-pack-id]').count()).toBeGreaterThanOrEqual(5);

  // Simulator: an obfuscated Terraform apply is not allowed, and the normalized form shows why.
  await page.getByRole('button', { name: 'sudo terraform apply' }).click();
  await page.getByRole('button', { name: 'Simulate' }).click();
  const result = page.getByTestId('simulation-result');
  await expect(result).toBeVisible();
  await expect(result).not.toHaveAttribute('data-decision', 'allow');
  await expect(page.getByTestId('normalized')).toContainText('terraform -chdir=infra apply -auto-approve');
  await expect(page.getByTestId('normalized')).toContainText('sudo');
  await expect(page.getByTestId('matched-rules')).toContainText('terraform');

  // Reading .env through a path trick is denied by a named rule.
  await page.getByRole('button', { name: 'Read config/../.env' }).click();
  await page.getByRole('button', { name: 'Simulate' }).click();
  await expect(result).toHaveAttribute('data-decision', 'deny');
  await expect(page.getByTestId('normalized')).toContainText('.env');

  // Everyday work is allowed.
  await page.getByRole('button', { name: 'npm test' }).click();
  await page.getByRole('button', { name: 'Simulate' }).click();
  await expect(result).toHaveAttribute('data-decision', 'allow');
  await page.screenshot({ path: testInfo.outputPath('policy-simulator.png'), fullPage: true });

  // Rule browser.
  const firstPack = packs.locator('tbody tr[data-pack-id]').first().locator('button.link');
  const packId = (await firstPack.textContent()) ?? '';
  await firstPack.click();
  await expect(page.getByTestId('pack-detail')).toContainText(packId);
  await expect(page.getByTestId('rule-table').locator('tbody tr').first()).toBeVisible();
  await page.getByRole('button', { name: 'Run pack tests' }).click();
  await expect(page.getByTestId('pack-detail').getByRole('status')).toContainText('0 failed');
  await page.screenshot({ path: testInfo.outputPath('policy-rules.png'), fullPage: true });

  const axe = await new AxeBuilder({ page }).analyze();
  const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);
});

test('policy screen: unassigning and reassigning a pack updates the list through the event', async ({
  page,
  consoleHost,
}) => {
  await page.goto(consoleHost.openUrl);
  await page.getByRole('button', { name: 'Policy packs' }).click();
  const row = page.getByTestId('pack-table').locator('tbody tr[data-pack-id]').first();
  await expect(row).toContainText('Whole tenant');
  await row.getByRole('button', { name: /^Unassign/ }).click();
  // Loosening enforcement is confirmed, and the dialog starts on Cancel.
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(row).toContainText('Whole tenant');
  await row.getByRole('button', { name: /^Unassign/ }).click();
  await dialog.getByRole('button', { name: 'Unassign' }).click();
  await expect(row).toContainText('Not assigned');
  await row.getByRole('button', { name: /^Assign/ }).click();
  await expect(row).toContainText('Whole tenant');
});
