import crypto from 'node:crypto';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { approvalRequestSchema, operations } from '../../core/contract';
import type { ApprovalRequestView } from '../../core/contract';
import { expect, test } from './console-host';

// What the queue shows of what the core knows (issue 13): N-of-M votes so far (k of N, who),
// attestation status (required / attested by whom and when / missing), approve-for-retry,
// break-glass (justification, who, until when, the critical finding), and the abandoned and
// consumed endings in the history — each as text a screen reader reads, keyboard-reachable,
// axe clean, at full width and at 800 px (screenshots for review).
//
// The core's answers to approvals.page / approvals.get are served by this test (each one parsed
// with the contract's schema first): building a 2-of-N attested route, a break-glass principal
// and an abandoned request through real sign-ins would cost minutes per state. The real
// attested path — IdP step-up, ledger, offline verification — is e2e/browser/approvals-sso.spec.ts.

const minutes = (n: number) => new Date(Date.now() + n * 60_000).toISOString();
const sha = (text: string) => crypto.createHash('sha256').update(text).digest('hex');

function request(tenant: string, command: string, patch: Partial<ApprovalRequestView>): ApprovalRequestView {
  return approvalRequestSchema.parse({
    id: `apr_${crypto.randomUUID()}`,
    tenant,
    state: 'pending',
    actionSha256: sha(command),
    packId: 'acme-prod-pack',
    packVersion: '2.1.0',
    route: 'acme/production-deploy',
    ruleId: 'acme/deploy.production',
    reason: 'Production deploys need two platform approvers',
    requireReason: false,
    requester: 'human:1:dana',
    agent: { id: 'claude-code', session: 'session-7' },
    adapter: 'claude-code',
    correlationId: `cor_${crypto.randomUUID()}`,
    decisionId: `dec_${crypto.randomUUID()}`,
    actionType: 'execute_command',
    target: command,
    action: { type: 'execute_command', command },
    createdAt: minutes(-12),
    expiresAt: minutes(8 * 60),
    decidedAt: null,
    decidedBy: null,
    decisionReason: null,
    consumedAt: null,
    decisionSeq: null,
    requestedSeq: 40,
    stateSeq: 40,
    selfApproved: false,
    waitUntil: minutes(3),
    effectiveExpiresAt: minutes(3),
    allowReuse: false,
    approverGroups: ['platform-approvers'],
    requiredApprovals: 1,
    attest: 'idp',
    votes: [],
    agentPrincipal: 'agent:agt0123456789abcdef',
    breakGlass: null,
    ...patch,
  });
}

const attestedBy = (subject: string, name: string, at: string) => ({
  issuer: 'https://idp.acme.example',
  subject,
  authTime: at,
  name,
});

function scenario(tenant: string) {
  const nOfM = request(tenant, 'kubectl apply -f deploy/production.yaml', {
    requiredApprovals: 2,
    allowReuse: true,
    votes: [
      {
        by: 'human:1:alice',
        byDisplayName: 'Alice Reviewer',
        verdict: 'approve',
        reason: 'Change ticket CHG-4411 approved',
        at: minutes(-5),
        seq: 41,
        attestation: attestedBy('alice', 'Alice Reviewer', minutes(-5)),
      },
    ],
  });
  const breakGlass = request(tenant, 'psql -c "ALTER SYSTEM SET max_connections = 500"', {
    state: 'consumed',
    route: 'acme/database-admin',
    ruleId: 'acme/db.alter-system',
    reason: 'Changing database server settings needs a DBA',
    approverGroups: ['dba'],
    decidedAt: minutes(-3),
    decidedBy: 'human:1:erin',
    decisionReason: null,
    consumedAt: minutes(-2),
    stateSeq: 52,
    waitUntil: null,
    effectiveExpiresAt: minutes(60),
    votes: [
      {
        by: 'human:1:erin',
        byDisplayName: 'Erin Oncall',
        verdict: 'approve',
        reason: null,
        at: minutes(-3),
        seq: 51,
        attestation: attestedBy('erin', 'Erin Oncall', minutes(-3)),
      },
    ],
    breakGlass: {
      by: 'Erin Oncall',
      justification: 'Production outage INC-2207: connection pool exhausted, DBA unreachable',
      at: minutes(-3),
      validUntil: minutes(12),
    },
  });
  const abandoned = request(tenant, 'terraform destroy -target=module.cache', {
    state: 'abandoned',
    route: 'acme/infrastructure',
    attest: 'none',
    decidedAt: minutes(-1),
    decidedBy: 'cavra',
    stateSeq: 60,
    waitUntil: null,
  });
  return { pending: [nOfM], decided: [breakGlass, abandoned], all: [nOfM, breakGlass, abandoned] };
}

async function serve(page: Page, tenantOf: () => string | null) {
  let data: ReturnType<typeof scenario> | null = null;
  await page.route('**/api/invoke', async (route) => {
    const body = route.request().postDataJSON() as {
      op: string;
      tenant: string;
      input: { states?: string[]; id?: string };
    };
    if (body.op !== 'approvals.page' && body.op !== 'approvals.get') return route.continue();
    data ??= scenario(tenantOf() ?? body.tenant);
    if (body.op === 'approvals.get') {
      const found = data.all.find((r) => r.id === body.input.id);
      return route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify(
          found ? { ok: true, value: found } : { ok: false, error: { code: 'not_found', message: 'no such request' } },
        ),
      });
    }
    const pendingOnly = body.input.states?.join() === 'pending';
    const requests = (pendingOnly ? data.pending : data.decided).map(({ action: _action, ...summary }) => summary);
    const value = operations['approvals.page'].output.parse({
      requests,
      nextCursor: null,
      total: requests.length,
      pending: data.pending.length,
    });
    return route.fulfill({ contentType: 'application/json', body: JSON.stringify({ ok: true, value }) });
  });
}

async function seriousViolations(page: Page): Promise<string[]> {
  const axe = await new AxeBuilder({ page }).analyze();
  return axe.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function noSidewaysScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow, 'nothing scrolls sideways').toBe(0);
}

test('the queue shows N-of-M votes, attestation, approve-for-retry, break-glass and abandoned/consumed endings', async ({
  page,
  consoleHost,
}, testInfo) => {
  test.setTimeout(120_000);
  let tenant: string | null = null;
  await serve(page, () => tenant);
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto(consoleHost.openUrl);
  await expect(page.getByTestId('principal')).toBeVisible();
  tenant = await page.getByRole('combobox', { name: 'Tenant' }).inputValue();

  // Pending, 2 of N with one attested vote: keyboard from the first keystroke.
  await page.getByRole('button', { name: /^Approval queue/ }).focus();
  await page.keyboard.press('Enter');
  const list = page.getByRole('listbox', { name: /Pending approval requests/ });
  await expect(list).toBeFocused();
  await expect(list.getByRole('option')).toContainText('1 of 2 approvals');
  const detail = page.getByTestId('approval-detail');
  await expect(detail.getByTestId('approval-approvers')).toHaveText(
    'Members of platform-approvers; 1 of 2 distinct approvals so far — 1 more needed; never the requester or the agent’s OS user',
  );
  await expect(detail.getByTestId('approval-vote')).toHaveText(
    /^Approved by Alice Reviewer, .+ — “?Change ticket CHG-4411 approved”?; attested by Alice Reviewer \(IdP subject alice\) at .+ · record #41$/,
  );
  await expect(detail.getByTestId('approval-attestation')).toHaveText(
    "Attested: every verdict (1) carries the IdP's signed token",
  );
  await expect(detail.getByTestId('approval-retry')).toContainText('one identical retry');
  // The real time to expiry: the agent's wait (3 min) ends before the route's (8 h).
  await expect(detail.getByTestId('approval-expiry')).toHaveText(
    /^in [23]m .*then the agent stops waiting and is refused$/,
  );
  // The attested route: the dialog says a fresh sign-in follows; Escape closes it, focus returns.
  await page.keyboard.press('a');
  await expect(page.getByRole('dialog').getByTestId('attest-note')).toBeVisible();
  await expect(await seriousViolations(page)).toEqual([]);
  await page.screenshot({ path: testInfo.outputPath('queue-n-of-m-dialog-1440.png'), fullPage: true });
  await page.keyboard.press('Escape');
  await expect(list).toBeFocused();
  await page.screenshot({ path: testInfo.outputPath('queue-n-of-m-1440.png'), fullPage: true });
  expect(await seriousViolations(page)).toEqual([]);
  await page.setViewportSize({ width: 800, height: 900 });
  await noSidewaysScroll(page);
  await page.screenshot({ path: testInfo.outputPath('queue-n-of-m-800.png'), fullPage: true });

  // Decided: the break-glass approval that was used, then the abandoned request (j moves).
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.getByRole('button', { name: 'Decided' }).click();
  const decided = page.getByRole('listbox', { name: 'Decided approval requests' });
  await decided.focus();
  await expect(decided.getByRole('option').first()).toContainText('break-glass');
  await expect(detail.getByTestId('approval-break-glass')).toHaveText(
    /^Approved outside the route by Erin Oncall, .+: “?Production outage INC-2207: connection pool exhausted, DBA unreachable”?\. Usable until .+\. A critical finding was raised \(AISPM posture\) and the tenant's escalation contacts are notified\.$/,
  );
  await expect(detail.getByTestId('approval-vote')).toContainText('attested by Erin Oncall (IdP subject erin)');
  await expect(detail.getByTestId('approval-ending')).toContainText(
    'Approved outside the route (break-glass) by Erin Oncall',
  );
  await expect(detail.getByTestId('approval-history').locator('li', { hasText: 'Used by' })).toContainText(
    'record #52',
  );
  await page.screenshot({ path: testInfo.outputPath('queue-break-glass-1440.png'), fullPage: true });
  expect(await seriousViolations(page)).toEqual([]);
  await page.setViewportSize({ width: 800, height: 900 });
  await noSidewaysScroll(page);
  await page.screenshot({ path: testInfo.outputPath('queue-break-glass-800.png'), fullPage: true });

  await page.keyboard.press('j');
  await expect(detail.getByTestId('approval-ending')).toContainText(
    'Abandoned: the agent stopped waiting, so it can no longer be approved',
  );
  await expect(detail.getByTestId('approval-attestation')).toHaveText('Not required on this route');
  await expect(detail.getByRole('button', { name: 'Approve…' })).toHaveCount(0);
  expect(await seriousViolations(page)).toEqual([]);
});
