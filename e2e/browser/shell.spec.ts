import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './console-host';

test('shell shows system info and the default tenant, and a new tenant arrives by event', async ({
  page,
  context,
  consoleHost,
}, testInfo) => {
  await page.goto(consoleHost.openUrl);
  await expect(page.getByRole('navigation', { name: 'Console screens' })).toBeVisible();
  await expect(page.getByTestId('system-info')).toContainText('CAVRA Enterprise 0.1.0');
  await expect(page.getByRole('combobox', { name: 'Tenant' })).toHaveValue('evaluation');
  // The token left the address bar once read.
  expect(page.url()).not.toContain('token=');

  await page.getByRole('button', { name: 'Tenants and access' }).click();
  await expect(page.getByTestId('system-data-dir')).toHaveText(consoleHost.home);
  // The console hosts the runtime gate for its data directory.
  await expect(page.getByTestId('gate-status')).toHaveText('Gate listening');
  await expect(page.getByTestId('system-gate')).toContainText(`${consoleHost.home}/gate/gate.sock`);
  await expect(page.locator('[data-tenant-id="evaluation"]')).toContainText('Evaluation tenant');

  // A second window on the same console: it only learns of the new tenant through the event.
  const watcher = await context.newPage();
  await watcher.goto(consoleHost.openUrl);
  await watcher.getByRole('button', { name: 'Tenants and access' }).click();
  await expect(watcher.locator('[data-tenant-id="evaluation"]')).toBeVisible();

  await page.getByLabel('Tenant ID').fill('acme-eval');
  await page.getByLabel('Display name').fill('Acme Evaluation');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await expect(page.getByTestId('live-region')).toHaveText('Tenant acme-eval created');
  await expect(page.locator('[data-tenant-id="acme-eval"]')).toContainText('Acme Evaluation');
  await expect(watcher.locator('[data-tenant-id="acme-eval"]')).toContainText('Acme Evaluation');
  await expect(watcher.getByRole('combobox', { name: 'Tenant' }).locator('option[value="acme-eval"]')).toHaveCount(1);

  await page.screenshot({ path: testInfo.outputPath('shell-tenants.png'), fullPage: true });
  await testInfo.attach('shell-tenants', { path: testInfo.outputPath('shell-tenants.png'), contentType: 'image/png' });

  const axe = await new AxeBuilder({ page }).analyze();
  const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
});

test('bad tenant ids are refused with the field named, and nothing is created', async ({ page, consoleHost }) => {
  await page.goto(consoleHost.openUrl);
  await page.getByRole('button', { name: 'Tenants and access' }).click();
  await page.getByLabel('Display name').fill('Sneaky');
  for (const [id, message] of [
    ['', 'id: is required'],
    ['../etc', 'id: must not contain path characters'],
    ['evaluation', 'id: tenant "evaluation" already exists'],
    ['a'.repeat(64), 'id: must be at most 63 characters'],
  ] as const) {
    await page.getByLabel('Tenant ID').fill(id);
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await expect(page.locator('#tenant-id-error')).toContainText(message);
    await expect(page.getByLabel('Tenant ID')).toHaveAttribute('aria-invalid', 'true');
  }
  await expect(page.locator('[data-tenant-id]')).toHaveCount(1);
  const listed = await consoleHost.cli(['tenants', 'list', '--json']);
  expect(JSON.parse(listed.stdout).map((t: { id: string }) => t.id)).toEqual(['evaluation']);
});

test('the bridge refuses calls without the token and from other origins', async ({ request, consoleHost }) => {
  const body = { op: 'tenants.list', tenant: null, input: {} };
  const noToken = await request.post(`${consoleHost.origin}/api/invoke`, { data: body });
  expect(noToken.status()).toBe(401);
  const wrongToken = await request.post(`${consoleHost.origin}/api/invoke`, {
    data: body,
    headers: { authorization: 'Bearer nope' },
  });
  expect(wrongToken.status()).toBe(401);
  const crossOrigin = await request.post(`${consoleHost.origin}/api/invoke`, {
    data: body,
    headers: { authorization: `Bearer ${consoleHost.token}`, origin: 'http://evil.example' },
  });
  expect(crossOrigin.status()).toBe(403);
  const ok = await request.post(`${consoleHost.origin}/api/invoke`, {
    data: body,
    headers: { authorization: `Bearer ${consoleHost.token}` },
  });
  expect(await ok.json()).toMatchObject({ ok: true, value: { tenants: [{ id: 'evaluation' }] } });
});
