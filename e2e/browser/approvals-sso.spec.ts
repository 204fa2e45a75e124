import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { startHost } from './console-host';
import type { ConsoleHost } from './console-host';
import { startTestIdp } from '../../test/support/oidc-idp';

// Issue 13, acceptance 1, end to end: a Claude Code hook payload that needs approval waits at
// the console's gate (the real `cavra hook claude-code` client); a security reviewer signed in
// through a real OpenID Provider approves it with the keyboard alone — including the step-up
// sign-in that attests the verdict (a fresh IdP authentication whose nonce commits to this
// request, action and verdict); the hook gets allow; the ledger holds the request, the attested
// approval and its consumption; the same action again needs a new approval — which the reviewer
// denies (reason typed, attested too), and the hook gets deny. The ledger is read back twice:
// through evidence.query as the reviewer, and as an exported bundle the CLI verifies offline.
//
// The tenant is the install's default tenant with SSO configured: the install's adapter
// credential is bound to it. (An adapter acting in another tenant is enrolled there with
// `cavra agents enroll --tenant`; the gate refuses a hook naming a tenant its credential is not for.)

const cavra = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'cavra.cjs');

function hook(host: ConsoleHost, payload: unknown): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const run = spawn(process.execPath, [cavra, 'hook', 'claude-code'], {
      env: { ...process.env, CAVRA_HOME: host.home },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    run.stdin.end(JSON.stringify(payload));
    let stdout = '';
    let stderr = '';
    run.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    run.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    run.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function invoke<T>(page: Page, token: string, request: unknown): Promise<T> {
  const answer = (await page.evaluate(
    async ({ token, request }) => {
      const response = await fetch('/api/invoke', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(request),
      });
      return response.json();
    },
    { token, request },
  )) as { ok: boolean; value: T; error?: unknown };
  expect(answer.ok, JSON.stringify(answer.error)).toBe(true);
  return answer.value;
}

interface RecordSummary {
  seq: number;
  type: string;
}

/** The ledger's records about one request, read back as the reviewer (evidence.query + evidence.record). */
async function ledgerFor(page: Page, token: string, tenant: string, requestId: string) {
  const { records } = await invoke<{ records: RecordSummary[] }>(page, token, {
    op: 'evidence.query',
    tenant,
    input: { limit: 500 },
  });
  const payloads = await Promise.all(
    records.map(async (r) => ({
      seq: r.seq,
      type: r.type,
      payload: (
        await invoke<{ payload: unknown }>(page, token, {
          op: 'evidence.record',
          tenant,
          input: { seq: r.seq },
        })
      ).payload as Record<string, unknown>,
    })),
  );
  // Oldest first (the query answers newest first): the order of events is part of what is asserted.
  payloads.sort((a, b) => a.seq - b.seq);
  const approvalEvents = payloads
    .filter((r) => r.type === 'approval' && r.payload.request_id === requestId)
    .map((r) => ({
      seq: r.seq,
      event: r.payload.event as string,
      by: r.payload.by as string,
      attestation: (r.payload.attestation ?? null) as { subject?: string; id_token?: string } | null,
    }));
  const decisions = payloads
    .filter((r) => r.type === 'decision')
    .map((r) => r.payload.decision as { decision: string; approval?: { request_id?: string; state: string } })
    .filter((d) => d.approval?.request_id === requestId);
  return { approvalEvents, decisions };
}

test('a hook waits, a reviewer signed in through the IdP approves with the keyboard (attested), the hook is allowed once; again: denied', async ({
  page,
}, testInfo) => {
  test.setTimeout(240_000);
  const idp = await startTestIdp({
    // The route for running as another user names the `operators` group as its approvers.
    alice: { name: 'Alice Reviewer', email: 'alice@acme.example', groups: ['secops', 'operators'] },
  });
  const { host, stop } = await startHost({ localEvaluation: false });
  try {
    // Set-up (not the reviewer's part): the evaluator gives the install's default tenant an IdP.
    await page.goto(host.openUrl);
    await invoke(page, host.token, { op: 'session.local', tenant: null, input: {} });
    const { defaultTenant } = await invoke<{ defaultTenant: string }>(page, host.token, {
      op: 'system.info',
      tenant: null,
      input: {},
    });
    const tenant = defaultTenant;
    await invoke(page, host.token, {
      op: 'tenants.profile.update',
      tenant,
      input: {
        sso: {
          issuer: idp.issuer,
          client_id: idp.clientId,
          scopes: ['profile', 'email', 'groups', 'offline_access'],
        },
        role_mappings: [{ group: 'secops', roles: ['security_reviewer'] }],
      },
    });
    await invoke(page, host.token, { op: 'session.logout', tenant: null, input: { sessionId: 'held-by-the-shell' } });
    await page.reload();

    // The reviewer signs in through the IdP.
    await page.getByRole('button', { name: /Sign in to .* with SSO/ }).click();
    await page.getByLabel('Username').fill('alice');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('principal')).toContainText('Alice Reviewer');
    await expect(page.getByRole('combobox', { name: 'Tenant' })).toHaveValue(tenant);

    // The agent asks to run a command as root: a person must approve it.
    const payload = {
      session_id: 'sso-acceptance-session',
      transcript_path: '/tmp/transcript.jsonl',
      cwd: host.workspace,
      hook_event_name: 'PreToolUse',
      tool_name: 'Bash',
      tool_input: { command: 'sudo systemctl restart nginx' },
    };
    const list = page.getByRole('listbox', { name: /Pending approval requests/ });
    const live = page.getByTestId('live-region');
    const decideByKeyboard = async (verdict: 'approve' | 'deny', reason: string) => {
      // Keyboard only: to the queue from the nav, focus lands in the list, the key opens the dialog.
      await page.getByRole('button', { name: /^Approval queue/ }).focus();
      await page.keyboard.press('Enter');
      await expect(list).toBeFocused({ timeout: 60_000 });
      await expect(list).toHaveAttribute('data-count', '1');
      const id = ((await list.getAttribute('aria-activedescendant')) ?? '').replace(/^approval-/, '');
      expect(id).toMatch(/^apr_/);
      await page.keyboard.press(verdict === 'approve' ? 'a' : 'd');
      const dialog = page.getByRole('dialog');
      await expect(dialog).toBeVisible();
      // The route is attested: the dialog says a fresh sign-in follows.
      await expect(dialog.getByTestId('attest-note')).toBeVisible();
      if (verdict === 'deny') await expect(dialog.getByLabel(/Reason \(required\)/)).toBeFocused();
      else await page.keyboard.press('Shift+Tab'); // from Cancel back to the optional reason
      await page.keyboard.type(reason);
      await page.keyboard.press('Tab'); // Cancel
      await page.keyboard.press('Tab'); // Approve once / Deny
      await page.keyboard.press('Enter');
      // Step-up: the IdP asks the reviewer to sign in again (prompt=login), by keyboard too.
      const username = page.getByLabel('Username');
      await expect(username).toBeVisible({ timeout: 30_000 });
      expect(new URL(page.url()).origin).toBe(idp.issuer);
      await page.keyboard.press('Tab');
      await expect(username).toBeFocused();
      await page.keyboard.type('alice');
      await page.keyboard.press('Enter');
      // Back in the queue: the verdict is recorded with the attestation, focus is in the queue.
      await page.waitForURL((url) => url.origin === host.origin, { timeout: 30_000 });
      return id;
    };

    // 1. Approve: the waiting hook is allowed.
    const first = hook(host, payload);
    const approvedId = await decideByKeyboard('approve', 'Restart agreed in the incident channel');
    await expect(live).toHaveText(
      /^Approved (once|and used): sudo systemctl restart nginx\. No requests left\. Attested by Alice Reviewer \(alice\) at /,
      { timeout: 30_000 },
    );
    await expect(page.getByTestId('queue-empty')).toBeVisible();
    await page.screenshot({ path: testInfo.outputPath('after-attested-approval.png'), fullPage: true });
    const allowed = await first;
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(JSON.parse(allowed.stdout).hookSpecificOutput.permissionDecision).toBe('allow');

    // The ledger: requested, approved by the reviewer with the IdP's token, and consumed by the
    // allowed action.
    await expect
      .poll(async () => (await ledgerFor(page, host.token, tenant, approvedId)).approvalEvents.map((e) => e.event))
      .toContain('consumed');
    const approvedLedger = await ledgerFor(page, host.token, tenant, approvedId);
    const events = approvedLedger.approvalEvents.map((e) => e.event);
    expect(events).toEqual(expect.arrayContaining(['requested', 'approved', 'consumed']));
    expect(events.indexOf('requested')).toBeLessThan(events.indexOf('approved'));
    expect(events.indexOf('approved')).toBeLessThan(events.indexOf('consumed'));
    const approval = approvedLedger.approvalEvents.find((e) => e.event === 'approved');
    expect(approval?.by).toMatch(/alice/);
    expect(approval?.attestation?.subject).toBe('alice');
    expect(approval?.attestation?.id_token).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(approvedLedger.decisions.map((d) => d.decision)).toEqual(
      expect.arrayContaining(['require_approval', 'allow']),
    );

    // The queue's history of that request: the attested verdict in words, and its use.
    await page.goto(`${host.origin}/#/approvals/${approvedId}?tenant=${tenant}&view=decided`);
    const detail = page.getByTestId('approval-detail');
    await expect(detail.getByTestId('approval-vote')).toContainText(
      /^Approved by Alice Reviewer, .+ — “?Restart agreed in the incident channel”?; attested by Alice Reviewer \(IdP subject alice\) at /,
    );
    await expect(detail.getByTestId('approval-attestation')).toHaveText(
      "Attested: every verdict (1) carries the IdP's signed token",
    );
    // One line per recorded step, each with its own record: no second "Approved" line.
    const history = detail.getByTestId('approval-history');
    await expect(history.locator('li')).toHaveCount(3);
    await expect(history.locator('li', { hasText: 'Used by the action it approves' })).toContainText(/record #\d+/);
    await page.screenshot({ path: testInfo.outputPath('attested-decision-1440.png'), fullPage: true });
    await page.setViewportSize({ width: 800, height: 900 });
    await page.screenshot({ path: testInfo.outputPath('attested-decision-800.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });

    // 2. The same action again: a new request, not the used approval — and this time denied.
    const second = hook(host, payload);
    const deniedId = await decideByKeyboard('deny', 'One restart was enough');
    expect(deniedId).not.toBe(approvedId);
    await expect(live).toHaveText(
      /^Denied: sudo systemctl restart nginx\. No requests left\. Attested by Alice Reviewer \(alice\) at /,
      { timeout: 30_000 },
    );
    const refused = await second;
    expect(refused.code, refused.stderr).toBe(0);
    expect(JSON.parse(refused.stdout).hookSpecificOutput.permissionDecision).toBe('deny');
    const deniedLedger = await ledgerFor(page, host.token, tenant, deniedId);
    expect(deniedLedger.approvalEvents.map((e) => e.event)).toEqual(expect.arrayContaining(['requested', 'denied']));
    expect(deniedLedger.approvalEvents.find((e) => e.event === 'denied')?.attestation?.subject).toBe('alice');
    expect(deniedLedger.decisions.map((d) => d.decision)).not.toContain('allow');

    // Offline: an exported bundle verifies, and the CLI names, per verdict, whom the IdP
    // authenticated and that the token was issued for this exact request and action.
    const bundle = path.join(host.workspace, 'bundle');
    const exported = await host.cli(['evidence', 'export', '--tenant', tenant, '--out', bundle]);
    expect(exported.code, exported.stderr).toBe(0);
    const verified = await host.cli(['evidence', 'verify', bundle, '--json']);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    const attestations = (
      JSON.parse(verified.stdout) as {
        attestations: { ok: boolean; requestId: string; event: string; subject: string | null }[];
      }
    ).attestations.map((a) => ({ ok: a.ok, requestId: a.requestId, event: a.event, subject: a.subject }));
    expect(attestations).toEqual([
      { ok: true, requestId: approvedId, event: 'approved', subject: 'alice' },
      { ok: true, requestId: deniedId, event: 'denied', subject: 'alice' },
    ]);
    // Offline review in the console reports the same, per verdict, from the same checker.
    await page.getByRole('button', { name: 'Offline review' }).click();
    await page.getByLabel('Bundle directory or packet directory').fill(bundle);
    await page.getByRole('button', { name: 'Verify bundle or packet' }).click();
    const result = page.getByTestId('bundle-result');
    await expect(result).toHaveAttribute('data-ok', 'true', { timeout: 60_000 });
    const verdicts = result.getByTestId('attested-verdict');
    await expect(verdicts).toHaveCount(2);
    for (const [i, [id, event]] of [
      [approvedId, 'approved'],
      [deniedId, 'denied'],
    ].entries()) {
      await expect(verdicts.nth(i)).toHaveAttribute('data-ok', 'true');
      await expect(verdicts.nth(i)).toContainText(`${event} of request ${id}`);
      await expect(verdicts.nth(i)).toContainText('IdP subject alice');
      await expect(verdicts.nth(i)).toContainText(`authenticated by ${idp.issuer}`);
    }
    await page.screenshot({ path: testInfo.outputPath('offline-attested-verdicts.png'), fullPage: true });
  } finally {
    await stop();
    await idp.close();
  }
});
