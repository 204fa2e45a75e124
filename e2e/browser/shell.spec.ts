import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './console-host';

test('shell shows system info and the default tenant, and a new tenant arrives by event', async ({
  page,
  context,
  consoleHost,
}, testInfo) => {
  // The Tenants and access screen carries the access controls and onboarding wizard now: axe takes longer.
  test.slow();
  await page.goto(consoleHost.openUrl);
  await expect(page.getByRole('navigation', { name: 'Console screens' })).toBeVisible();
  await expect(page.getByTestId('system-info')).toContainText('CAVRA Enterprise 0.1.0');
  await expect(page.getByRole('combobox', { name: 'Tenant' })).toHaveValue('evaluation');
  // The token left the address bar once read.
  expect(page.url()).not.toContain('token=');

  await page.getByRole('button', { name: 'Tenants and access' }).click();
  await expect(page.getByTestId('system-data-dir')).toHaveText(consoleHost.home);
  // The console hosts the runtime gate for its data directory.
  await expect(page.getByTestId('gate-status')).toContainText('Gate listening');
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

test('a tenant created with the CLI while the console is open appears in the switcher within a second', async ({
  page,
  consoleHost,
}) => {
  await page.goto(consoleHost.openUrl);
  const switcher = page.getByRole('combobox', { name: 'Tenant' });
  await expect(switcher).toHaveValue('evaluation');
  // Let the event channel settle, then create the tenant from another process.
  await page.waitForTimeout(500);
  const created = await consoleHost.cli(['tenants', 'create', 'cli-made', '--name', 'Made on the CLI']);
  const exitedAt = Date.now();
  expect(created.code, created.stderr).toBe(0);
  await expect(switcher.locator('option[value="cli-made"]')).toHaveCount(1, { timeout: 5_000 });
  expect(Date.now() - exitedAt).toBeLessThan(1000);
  await expect(switcher.locator('option[value="cli-made"]')).toHaveText('Made on the CLI (cli-made)');
});

test('the create-tenant form submitted empty shows every error at once, each next to its field', async ({
  page,
  consoleHost,
}, testInfo) => {
  await page.goto(consoleHost.openUrl);
  await page.getByRole('button', { name: 'Tenants and access' }).click();
  const form = page.getByTestId('create-tenant-form');
  const submit = form.getByRole('button', { name: 'Create tenant' });
  // Before anything is typed, the button already says what it is waiting for.
  await expect(form.getByTestId('submit-missing')).toHaveText('Still needed: Tenant ID, Display name');
  await expect(submit).toHaveAccessibleDescription('Still needed: Tenant ID, Display name');
  await expect(form.locator('.field-error')).toHaveCount(0);

  await submit.click();
  const idField = form.locator('[data-field="id"]');
  const nameField = form.locator('[data-field="displayName"]');
  await expect(idField.getByTestId('id-error')).toHaveText('Tenant ID is required');
  await expect(nameField.getByTestId('displayName-error')).toHaveText('Display name is required');
  await expect(form.locator('.field-error')).toHaveCount(2);
  for (const [label, error] of [
    ['Tenant ID', 'Tenant ID is required'],
    ['Display name', 'Display name is required'],
  ] as const) {
    const input = form.getByLabel(label);
    await expect(input).toHaveAttribute('aria-invalid', 'true');
    // Each error is read with its field.
    await expect(input).toHaveAccessibleDescription(new RegExp(error));
  }
  // The keyboard lands on the first field at fault.
  await expect(form.getByLabel('Tenant ID')).toBeFocused();
  await page.screenshot({ path: testInfo.outputPath('create-tenant-empty.png'), fullPage: true });

  // Errors follow the typing: fixing one leaves the other.
  await form.getByLabel('Display name').fill('Acme');
  await expect(nameField.getByTestId('displayName-error')).toHaveCount(0);
  await expect(idField.getByTestId('id-error')).toHaveText('Tenant ID is required');
  await expect(form.getByTestId('submit-missing')).toHaveText('Still needed: Tenant ID');
  await expect(page.locator('[data-tenant-id]')).toHaveCount(1);
});

test('bad tenant ids are refused in words next to the field, and nothing is created', async ({ page, consoleHost }) => {
  await page.goto(consoleHost.openUrl);
  await page.getByRole('button', { name: 'Tenants and access' }).click();
  await page.getByLabel('Display name').fill('Sneaky');
  for (const [id, message] of [
    ['', 'Tenant ID is required'],
    ['../etc', 'Tenant ID must not contain path characters'],
    // Refused by the core (the id exists), shown the same way.
    ['evaluation', 'Tenant ID is already taken: tenant "evaluation" exists'],
    ['a'.repeat(64), 'Tenant ID must be at most 63 characters'],
  ] as const) {
    await page.getByLabel('Tenant ID').fill(id);
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await expect(page.getByTestId('id-error')).toContainText(message);
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

// Issue 8 item 9: without a keychain every gated action is denied; the console must say so.
test('without a keychain the sidebar says it cannot enforce, health says how to fix it, and gate denials show as gaps', async ({
  page,
  consoleHost,
}, testInfo) => {
  const broken = await consoleHost.fresh({ keychain: false });
  await page.goto(broken.openUrl);
  const status = page.getByTestId('gate-status');
  await expect(status).toContainText('Cannot enforce');
  await expect(status).toContainText('OS keychain');
  await expect(status).not.toHaveText('Gate listening');
  await status.click();
  await expect(page.getByTestId('health-report')).toHaveAttribute('data-status', 'fail');
  await expect(page.locator('[data-check="keychain"]')).toHaveAttribute('data-status', 'fail');
  await expect(page.locator('[data-check="signing-keys"]')).toContainText('cavra keys provision --tenant evaluation');
  await expect(page.locator('[data-check="gate"]')).toHaveAttribute('data-status', 'ok');
  await page.screenshot({ path: testInfo.outputPath('health-no-keychain.png'), fullPage: true });
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);

  // The console's gate cannot sign, so it denies and leaves a gap record, which Live activity shows.
  const run = await broken.cli(['exec', '--', 'true']);
  expect(run.code).not.toBe(0);
  await page.getByRole('button', { name: 'Live activity' }).click();
  await expect(page.getByTestId('activity-feed')).toContainText('gap');
  await page.screenshot({ path: testInfo.outputPath('activity-gap.png'), fullPage: true });
});
