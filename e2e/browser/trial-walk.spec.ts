import crypto from 'node:crypto';
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import type { Browser, Page } from '@playwright/test';
import { startHost } from './console-host';
import type { ConsoleHost } from './console-host';
import { demoLicense } from '../../test/support/demo-license';
import { startTestIdp } from '../../test/support/oidc-idp';
import type { TestIdp } from '../../test/support/oidc-idp';
import { startSmtpServer } from '../../test/support/smtp-server';
import type { TestSmtpServer } from '../../test/support/smtp-server';
import { testCertificate } from '../../test/support/tls';

// Issue 16, acceptance 3: the guided trial walked in the console (browser mode) from a fresh data
// directory, with a real OIDC provider and a real SMTP server on loopback. Every step is done
// through the UI by the person whose role it needs, each in their own browser context (their own
// IdP session); the console shell holds one signed-in session at a time, as the desktop app does,
// so each person signs in when it is their turn. Each of the nine steps must turn complete on the
// trial home, whose status is derived from the tenant's evidence ledger.

const people = {
  eve: { name: 'Eve Evaluator', email: 'eve@acme.example', groups: ['trial-evaluators'] },
  sam: { name: 'Sam Reviewer', email: 'sam@acme.example', groups: ['security-reviewers'] },
  oscar: { name: 'Oscar Operator', email: 'oscar@acme.example', groups: ['platform-ops'] },
  rita: { name: 'Rita Recipient', email: 'rita@acme.example', groups: ['report-readers'] },
};
type Login = keyof typeof people;

const stepIds = ['tenant', 'roles', 'policy', 'workflow', 'approval', 'aispm', 'report', 'packet', 'closeout'];

let idp: TestIdp;
let smtp: TestSmtpServer;
let host: ConsoleHost;
let stopHost: () => Promise<void>;
const password = `walk-${crypto.randomBytes(10).toString('hex')}`;

test.beforeAll(async () => {
  [idp, smtp] = await Promise.all([startTestIdp(people), startSmtpServer({ user: 'relay', password })]);
  // A fresh data directory: no license, no SSO; the labelled local evaluation identity opens it.
  ({ host, stop: stopHost } = await startHost({ licensed: false }));
});

test.afterAll(async () => {
  await stopHost?.();
  await Promise.allSettled([idp?.close(), smtp?.close()]);
});

/** Opens the console in this person's own browser context and signs them in at the IdP. */
async function signIn(browser: Browser, pages: Map<Login, Page>, login: Login): Promise<Page> {
  let page = pages.get(login);
  if (!page) {
    page = await (await browser.newContext()).newPage();
    pages.set(login, page);
  }
  await page.goto(host.openUrl);
  const signOut = page.getByRole('button', { name: 'Sign out' });
  const signInHeading = page.getByRole('heading', { name: 'Sign in', exact: true });
  await expect(signOut.or(signInHeading)).toBeVisible({ timeout: 30_000 });
  // The shell holds whoever signed in last: they sign out first.
  if (await signOut.isVisible()) await signOut.click();
  await page.getByRole('button', { name: /Sign in to .* with SSO/ }).click();
  await page.getByLabel('Username').fill(login);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('principal')).toContainText(people[login].name, { timeout: 30_000 });
  return page;
}

async function home(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Trial checklist', exact: true }).click();
  await expect(page.getByTestId('trial-progress')).toBeVisible();
}

/** The step on the trial home: its state attribute and the status text a person reads. */
async function expectStep(page: Page, id: string, state: 'complete' | 'incomplete', timeout = 30_000) {
  const step = page.locator(`[data-step="${id}"]`);
  await expect(step, `step ${id}`).toHaveAttribute('data-state', state, { timeout });
  await expect(step.locator('.badge').first()).toHaveText(state === 'complete' ? 'Complete' : 'To do');
}

test('the guided trial, walked in the console: nine steps complete, packet exported, closed out', async ({
  browser,
}, testInfo) => {
  test.setTimeout(420_000);
  const pages = new Map<Login, Page>();
  const setup = await (await browser.newContext()).newPage();

  // Before: the home screen of a fresh install, as the local evaluation identity sees it.
  await setup.goto(host.openUrl);
  await expect(setup.locator('.trial-step')).toHaveCount(9);
  await expectStep(setup, 'tenant', 'complete');
  for (const id of stepIds.slice(1)) await expectStep(setup, id, 'incomplete');
  await setup.screenshot({ path: testInfo.outputPath('trial-home-before.png'), fullPage: true });

  // Step 2, first half: the evaluator gives the tenant its IdP and role mappings (before SSO is on,
  // the local identity may; afterwards it has no authority here).
  await setup.getByRole('button', { name: 'Tenants and access', exact: true }).click();
  const mappings: [string, string[]][] = [
    ['trial-evaluators', ['evaluator', 'tenant_admin', 'compliance']],
    ['security-reviewers', ['security_reviewer']],
    ['platform-ops', ['operator']],
    ['report-readers', ['report_recipient']],
  ];
  for (const [group, roles] of mappings) {
    await setup.getByLabel('IdP group').fill(group);
    for (const role of roles) await setup.getByRole('checkbox', { name: role, exact: true }).check();
    await setup.getByRole('button', { name: 'Add mapping' }).click();
    await expect(setup.getByRole('cell', { name: group, exact: true })).toBeVisible();
  }
  const sso = setup.getByRole('form', { name: 'SSO configuration' });
  await sso.getByLabel('Issuer URL').fill(idp.issuer);
  await sso.getByLabel('Client ID').fill(idp.clientId);
  await sso.getByLabel('Scopes (besides openid)').fill('profile email groups offline_access');
  await sso.getByLabel('Groups claim').fill('groups');
  await sso.getByRole('button', { name: 'Save SSO configuration' }).click();
  await expect(sso.getByRole('button', { name: 'Test sign-in' })).toBeEnabled();
  await setup.getByRole('button', { name: 'Sign out' }).click();
  await setup.context().close();

  // Step 1: the evaluator (also the tenant admin) signs in through the IdP and imports the license.
  const eve = await signIn(browser, pages, 'eve');
  await eve.getByRole('button', { name: 'License', exact: true }).click();
  await eve
    .getByLabel('Signed document')
    .first()
    .fill(demoLicense({ tenant: 'evaluation' }));
  await eve.getByRole('button', { name: 'Import', exact: true }).first().click();
  await expect(eve.getByTestId('entitlement')).toHaveAttribute('data-status', 'trial');

  // Step 3: the operator attaches a pack to the evaluation repository and configures the SMTP relay.
  const oscar = await signIn(browser, pages, 'oscar');
  await oscar.getByRole('button', { name: 'Policy packs', exact: true }).click();
  const packs = oscar.getByTestId('pack-table');
  await packs.locator('tr[data-pack-id="cavra-remote-code"] button.link').click();
  const assign = oscar.getByRole('form', { name: 'Assign to one repository' });
  await assign.getByLabel('Repository').fill('payments-service');
  await assign.getByRole('button', { name: 'Assign to repository' }).click();
  await home(oscar);
  await expectStep(oscar, 'policy', 'complete');

  await oscar.getByRole('button', { name: 'Connectors', exact: true }).click();
  await oscar.getByRole('button', { name: 'Add connector' }).click();
  const form = oscar.getByRole('form', { name: 'Connector settings' });
  await form.getByLabel('Kind', { exact: true }).selectOption('smtp');
  await form.getByLabel('Connector ID', { exact: true }).fill('mail');
  await form.getByLabel('Name', { exact: true }).fill('Trial mail relay');
  await form.getByLabel('Host', { exact: true }).fill('127.0.0.1');
  await form.getByLabel('Port', { exact: true }).fill(String(smtp.port));
  await form.getByLabel('TLS', { exact: true }).selectOption('starttls');
  await form.getByLabel('Sender address', { exact: true }).fill('cavra@acme.example');
  await form.getByLabel(/User name/).fill('relay');
  await form.getByLabel(/CA certificates/).fill(testCertificate().cert);
  await form.getByRole('button', { name: 'Save connector' }).click();
  const connector = oscar.getByTestId('connector-panel');
  await connector.getByRole('textbox', { name: /SMTP password/ }).fill(password);
  await connector.getByRole('button', { name: 'Set secret' }).click();
  await expect(oscar.locator('tr[data-connector="mail"]')).toContainText('SMTP password: set');
  await connector.getByLabel('Send a test message to').fill('rita@acme.example');
  await connector.getByRole('button', { name: 'Send test message' }).click();
  await expect(connector.getByTestId('test-result')).toContainText('Delivered: 250', { timeout: 30_000 });

  // The security reviewer puts the workflow's MCP server on the trust list.
  const sam = await signIn(browser, pages, 'sam');
  await sam.getByRole('button', { name: 'Policy packs', exact: true }).click();
  const trust = sam.getByRole('form', { name: 'Trust an MCP server' });
  await trust.getByLabel('Server name').fill('trial-filesystem');
  await trust.getByLabel(/Only these tools/).fill('read_text_file, list_directory');
  await trust.getByRole('button', { name: 'Trust MCP server' }).click();
  await expect(sam.locator('tr[data-mcp-server="trial-filesystem"]')).toContainText('list_directory, read_text_file');
  expect((await new AxeBuilder({ page: sam }).include('[data-testid="mcp-trust"]').analyze()).violations).toEqual([]);
  await sam.getByTestId('mcp-trust').screenshot({ path: testInfo.outputPath('mcp-trust.png') });

  // The report recipient signs in (step 2 needs all four roles to have).
  await signIn(browser, pages, 'rita');

  // Step 7: the evaluator (compliance) sets the report policy and delivers the executive report.
  await signIn(browser, pages, 'eve');
  await eve.getByRole('button', { name: 'Reports', exact: true }).click();
  const policy = eve.getByRole('form', { name: 'Report and delivery policy' });
  await policy.getByLabel('Reports are e-mailed through').selectOption('mail');
  await policy.getByLabel('Allowed recipient domains').fill('acme.example');
  await policy.getByRole('button', { name: 'Save policy' }).click();
  await expect(eve.getByRole('status').filter({ hasText: 'Report policy saved' })).toHaveCount(1);
  await eve.getByRole('combobox', { name: 'Report', exact: true }).selectOption('executive');
  await eve.getByLabel('Recipients', { exact: true }).fill('rita@acme.example');
  await eve.getByRole('button', { name: 'Deliver executive report now' }).click();
  await expect(eve.getByTestId('delivery-audit').first().locator('tr', { hasText: 'rita@acme.example' })).toContainText(
    'delivered',
    { timeout: 30_000 },
  );

  // Step 4: the evaluator runs the governed workflow from the trial home; it waits for a reviewer.
  await home(eve);
  await expectStep(eve, 'roles', 'complete');
  await expectStep(eve, 'report', 'complete');
  const panel = eve.getByTestId('governed-workflow');
  await panel.getByRole('button', { name: 'Run governed workflow' }).click();
  await expect(eve.getByTestId('workflow-approval')).toBeVisible({ timeout: 120_000 });

  // Step 5: the security reviewer decides it in the queue (an IdP step-up where the route attests).
  await signIn(browser, pages, 'sam');
  await sam.getByRole('button', { name: /^Approval queue/ }).click();
  const detail = sam.getByTestId('approval-detail');
  await expect(detail).toContainText('js.release-scripts', { timeout: 30_000 });
  await sam.keyboard.press('a');
  const dialog = sam.getByRole('dialog');
  await dialog.getByLabel(/Reason/).fill('Trial: the scripted agent prints a fixed string');
  await dialog.getByRole('button', { name: 'Approve once' }).click();
  const username = sam.getByLabel('Username');
  const approved = sam.getByTestId('queue-empty');
  await expect(username.or(approved)).toBeVisible({ timeout: 30_000 });
  if (await username.isVisible()) {
    await username.fill('sam');
    await sam.getByRole('button', { name: 'Sign in' }).click();
  }
  await expect(approved).toBeVisible({ timeout: 30_000 });

  // Steps 4–6 from the evaluator's home once the workflow ends; AISPM ingests on its screen.
  await signIn(browser, pages, 'eve');
  await eve.getByRole('button', { name: 'AISPM posture', exact: true }).click();
  await expect(eve.getByRole('heading', { name: /posture/i }).first()).toBeVisible();
  await home(eve);
  await expectStep(eve, 'workflow', 'complete', 180_000);
  await expectStep(eve, 'approval', 'complete');
  await expectStep(eve, 'aispm', 'complete', 60_000);

  // Step 8: the production gate, then the packet, on the Readiness screen.
  await eve.getByRole('button', { name: 'Readiness', exact: true }).click();
  await eve.getByRole('button', { name: 'Run production gate' }).click();
  const report = eve.getByTestId('readiness-report');
  await expect(report).toHaveAttribute('data-ready', /true|false/, { timeout: 120_000 });
  const blockers = await report.locator('[data-status="blocker"]').allTextContents();
  expect(blockers, 'production gate blockers').toEqual([]);
  await expect(report).toHaveAttribute('data-ready', 'true');
  await eve.getByRole('button', { name: 'Export readiness packet' }).click();
  await expect(eve.getByTestId('packet-result')).toContainText('ready_for_aispm_production true', {
    timeout: 120_000,
  });
  expect((await new AxeBuilder({ page: eve }).analyze()).violations).toEqual([]);
  await eve.screenshot({ path: testInfo.outputPath('readiness.png'), fullPage: true });

  // Step 9: the closeout, signed into the tenant archive.
  const closeout = eve.getByTestId('closeout');
  await eve.getByLabel('Pilot decision', { exact: true }).selectOption('proceed');
  await eve.getByLabel('Evaluator feedback', { exact: true }).fill('Every decision type happened; proceed.');
  await eve.getByLabel('Package access', { exact: true }).selectOption('kept');
  await eve.getByLabel('What was removed, or why access stays', { exact: true }).fill('Kept for the pilot');
  await closeout.getByRole('button', { name: /Close out and export/ }).click();
  await expect(eve.getByTestId('closeout-result')).toBeVisible({ timeout: 120_000 });

  // After: every step complete on the home screen, in words.
  await home(eve);
  for (const id of stepIds) await expectStep(eve, id, 'complete');
  await expect(eve.getByTestId('trial-progress')).toHaveAttribute('data-complete', '9');
  await expect(eve.getByRole('heading', { name: 'Guided trial: 9 of 9 steps complete' })).toBeVisible();
  expect((await new AxeBuilder({ page: eve }).analyze()).violations).toEqual([]);
  await eve.evaluate(() => window.scrollTo(0, 0));
  await eve.screenshot({ path: testInfo.outputPath('trial-home-after.png'), fullPage: true });
  for (const page of pages.values()) await page.context().close();
});
