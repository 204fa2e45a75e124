import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { startHost } from './console-host';
import { startTestIdp } from '../../test/support/oidc-idp';
import type { TestIdp } from '../../test/support/oidc-idp';

// Issue 11, acceptances 1 and 5: a real OpenID Provider on 127.0.0.1, the console in browser
// mode with nobody signed in, and Chromium driving the real sign-in (PKCE, loopback redirect
// to the console host). A security reviewer sees no tenant-admin controls, and the core
// refuses those operations when they are called directly over the bridge.
const users = {
  alice: { name: 'Alice Reviewer', email: 'alice@acme.example', groups: ['secops'] },
  bob: { name: 'Bob Admin', email: 'bob@acme.example', groups: ['platform-admins'] },
};

async function invoke(page: Page, token: string, request: unknown): Promise<unknown> {
  return page.evaluate(
    async ({ token, request }) => {
      const response = await fetch('/api/invoke', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(request),
      });
      return response.json();
    },
    { token, request },
  );
}

async function signIn(page: Page, idp: TestIdp, user: string): Promise<void> {
  // A fresh IdP session each time (the console itself keeps no cookies).
  await page.context().clearCookies();
  const authorization = page.waitForRequest((request) => request.url().startsWith(`${idp.issuer}/auth`));
  await page.getByRole('button', { name: 'Sign in to Acme Production with SSO' }).click();
  const url = new URL((await authorization).url());
  expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  expect(url.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth\/callback$/);
  expect(url.searchParams.get('state')).toBeTruthy();
  expect(url.searchParams.get('nonce')).toBeTruthy();
  await page.getByLabel('Username').fill(user);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('SSO sign-in in browser mode; a security reviewer sees no tenant-admin controls and the core refuses them', async ({
  page,
}, testInfo) => {
  const idp = await startTestIdp(users);
  const { host, stop } = await startHost({ localEvaluation: false });
  try {
    const file = path.join(host.home, 'tenant.yaml');
    fs.writeFileSync(
      file,
      [
        'id: acme-prod',
        'display_name: Acme Production',
        `sso: { issuer: "${idp.issuer}", client_id: ${idp.clientId}, scopes: [profile, email, groups, offline_access] }`,
        'role_mappings:',
        '  - { group: secops, roles: [security_reviewer] }',
        '  - { group: platform-admins, roles: [tenant_admin] }',
        '',
      ].join('\n'),
    );
    const onboarded = await host.cli(['tenants', 'onboard', '--file', file]);
    expect(onboarded.code, onboarded.stderr).toBe(0);

    // Nobody is signed in: the console shows only the sign-in screen, and the core answers nothing else.
    await page.goto(host.openUrl);
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    expect(await invoke(page, host.token, { op: 'tenants.list', tenant: null, input: {} })).toMatchObject({
      ok: false,
      error: { code: 'unauthenticated' },
    });
    expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
    await page.screenshot({ path: testInfo.outputPath('sign-in.png'), fullPage: true });

    // A forged redirect is refused with a clear message.
    await page.goto(`${host.origin}/auth/callback?code=forged&state=forged`);
    await expect(page.getByRole('alert')).toContainText('Sign-in failed');
    await page.goto(host.origin);

    await signIn(page, idp, 'alice');
    await expect(page.getByTestId('principal')).toContainText('Alice Reviewer');
    await expect(page.getByRole('combobox', { name: 'Tenant' })).toHaveValue('acme-prod');
    await page.getByRole('button', { name: 'Tenants and access' }).click();
    await expect(page.locator('[data-tenant-id="acme-prod"]')).toContainText('security_reviewer');
    await expect(page.getByRole('heading', { name: 'Role mappings' })).toBeVisible();
    await expect(page.getByRole('cell', { name: 'secops' })).toBeVisible();
    for (const control of [
      'Save SSO configuration',
      'Test sign-in',
      'Add mapping',
      'Remove secops',
      'Create tenant',
      'Next',
    ]) {
      await expect(page.getByRole('button', { name: control })).toHaveCount(0);
    }
    await expect(page.getByRole('heading', { name: 'Members seen so far' })).toHaveCount(0);
    await expect(page.getByRole('heading', { name: 'Onboard a tenant' })).toHaveCount(0);
    await page.screenshot({ path: testInfo.outputPath('reviewer-tenants.png'), fullPage: true });
    expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

    // Called directly, the core refuses the tenant-admin operations to the reviewer.
    for (const request of [
      {
        op: 'tenants.profile.update',
        tenant: 'acme-prod',
        input: { role_mappings: [{ group: 'secops', roles: ['tenant_admin'] }] },
      },
      { op: 'tenants.members', tenant: 'acme-prod', input: {} },
      { op: 'policy.settings.update', tenant: 'acme-prod', input: { mode: 'shadow' } },
      { op: 'tenants.create', tenant: null, input: { id: 'sneaky', displayName: 'Sneaky' } },
    ]) {
      expect(await invoke(page, host.token, request), request.op).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      });
    }

    // Sign out; the tenant admin signs in and gets the controls.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await signIn(page, idp, 'bob');
    await expect(page.getByTestId('principal')).toContainText('Bob Admin');
    await page.getByRole('button', { name: 'Tenants and access' }).click();
    await expect(page.getByRole('button', { name: 'Save SSO configuration' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Members seen so far' })).toBeVisible();
    await expect(page.getByTestId('members')).toContainText('Alice Reviewer');
    await page.getByLabel('IdP group').fill('compliance-team');
    await page.getByRole('checkbox', { name: 'compliance' }).check();
    await page.getByRole('button', { name: 'Add mapping' }).click();
    await expect(page.getByRole('cell', { name: 'compliance-team', exact: true })).toBeVisible();
    await page.screenshot({ path: testInfo.outputPath('admin-tenants.png'), fullPage: true });
    expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
  } finally {
    await stop();
    await idp.close();
  }
});
