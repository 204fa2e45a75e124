import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { postgresMissing } from '../../test/support/postgres-cluster';
import { ControlPlaneHost } from './control-plane-host';
import { startHost } from './console-host';

// Issue 12, acceptance 2, end to end with real processes: `cavra server` on a PostgreSQL 15
// cluster started here, behind TLS; machine A (its own CAVRA_HOME, `cavra connect`, `cavra gate
// serve`) gets a Claude Code hook payload that needs approval, and its real hook client waits;
// machine B (its own CAVRA_HOME, connected) runs the console in browser mode, where a reviewer
// signs in through the test IdP's form, finds the request in the queue — the shared one, on the
// server, heard live from its event stream — and approves it; A's hook prints allow. The central ledger holds the request, the
// verdict and its use, and A's decision; B's CLI exports the central ledger as a bundle (as the
// reviewer, `cavra evidence export --central`) and `cavra evidence verify` accepts it.

const missing = postgresMissing();
// CI (.ci/run) sets CAVRA_REQUIRE_POSTGRES=1: there a missing PostgreSQL fails instead of skipping.
test.skip(missing !== null && process.env.CAVRA_REQUIRE_POSTGRES !== '1', `PostgreSQL tests skipped: ${missing ?? ''}`);

test('two machines: A’s hook waits, a reviewer on B’s console approves through the control plane, A is allowed; the central ledger exports and verifies', async ({
  page,
}, testInfo) => {
  test.setTimeout(420_000);
  const plane = await ControlPlaneHost.start();
  const { tenant, a, b } = plane.machines;
  const { host, stop } = await startHost({ home: b.home, localEvaluation: false });
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-two-machines-'));
  try {
    // The reviewer signs in on B's console through the IdP's form.
    await page.goto(host.openUrl);
    await page.getByRole('button', { name: /Sign in to .* with SSO/ }).click();
    await page.getByLabel('Username').fill('rita');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('principal')).toContainText('Rita Reviewer');
    await page.getByRole('button', { name: /^Approval queue/ }).click();
    await expect(page.getByTestId('queue-empty')).toBeVisible();

    // Machine A's agent wants to publish a package: the hook raises the request on the server and waits.
    const answer = plane.hook('npm publish');
    const list = page.getByTestId('approval-list');
    // B's console hears of the shared request from the server's event stream (its 15 s poll is the fallback).
    await expect(list.getByRole('option')).toHaveCount(1, { timeout: 60_000 });
    const detail = page.getByTestId('approval-detail');
    await expect(detail).toContainText('npm publish');
    // The request is machine A's agent's (its Claude Code session), raised on the server, not on B.
    await expect(detail).toContainText('laptop-a-session');
    // …and B's reviewer sees which machine's credential raised it, not only what the agent says.
    await expect(detail.getByTestId('approval-credential')).toContainText(`agent:${a.machineId}`);
    const requestId = ((await list.getAttribute('aria-activedescendant')) ?? '').replace(/^approval-/, '');
    expect(requestId).toMatch(/^apr_/);
    // A waits 240 s in long polls of 20 s: B shows A's end (minutes), never the poll's window.
    await expect(detail.getByTestId('approval-expiry')).toContainText(/in [1-4]m \d+s/, { timeout: 40_000 });
    await expect(detail.getByTestId('approval-expiry')).toContainText('the agent stops waiting');
    await expect(list.getByRole('option').first()).toContainText(/expires in [1-4]m \d+s/);
    // The request's records are the central ledger's: named as such, never linked to B's own records.
    const history = detail.getByTestId('approval-history');
    await expect(history).toContainText('central record #');
    await expect(history.getByRole('link')).toHaveCount(0);
    await page.screenshot({ path: testInfo.outputPath('machine-b-queue-1440.png'), fullPage: true });
    await page.setViewportSize({ width: 800, height: 900 });
    await page.screenshot({ path: testInfo.outputPath('machine-b-queue-800.png'), fullPage: true });
    await page.setViewportSize({ width: 1360, height: 860 });
    const axe = await new AxeBuilder({ page }).analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual(
      [],
    );

    await list.focus();
    await page.keyboard.press('a');
    const dialog = page.getByRole('dialog');
    await expect(dialog).toBeVisible();
    await dialog.getByLabel(/Reason/).fill('Release 4.2 agreed with the owners');
    await dialog.getByRole('button', { name: 'Approve once' }).click();

    const verdict = await answer;
    expect(verdict.decision).toBe('allow');
    expect(verdict.reason).toContain(requestId);
    await expect(page.getByTestId('queue-empty')).toBeVisible({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Decided' }).click();
    await expect(list).toContainText('consumed', { timeout: 30_000 });
    // The open request is the server's as it is now (the event refetched it): used, nothing left to decide.
    await expect(detail).toContainText('consumed', { timeout: 30_000 });
    await expect(detail.getByRole('button', { name: /^Approve/ })).toHaveCount(0);
    await page.screenshot({ path: testInfo.outputPath('machine-b-decided.png'), fullPage: true });

    // The central ledger: the shared desk's request, the reviewer's verdict and its use, in that
    // order; and machine A's own decision about the request, shipped by its outbox.
    await expect
      .poll(
        async () => {
          const central = await plane.central(requestId);
          const shippedByA = central.origins.filter((row) => row.origin === `agent:${a.machineId}`);
          return {
            events: central.approvals.map((event) => event.event).filter((event) => event !== 'viewed'),
            decisions: shippedByA.some((row) => row.type === 'decision'),
          };
        },
        { timeout: 90_000 },
      )
      .toEqual({ events: ['requested', 'approved', 'consumed'], decisions: true });
    const central = await plane.central(requestId);
    expect(central.approvals.find((event) => event.event === 'approved')?.by).toMatch(/rita/);

    // B's CLI, signed in as the reviewer, exports the central ledger; it verifies offline.
    await plane.signIn(b.home, 'rita');
    const bundle = path.join(out, 'central');
    const exported = await host.cli(['evidence', 'export', '--central', '--tenant', tenant, '--out', bundle]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain('verified here');
    const verified = await host.cli(['evidence', 'verify', bundle, '--json']);
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, tenant });
    const records = fs
      .readFileSync(path.join(bundle, 'records.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: number; type: string; payload: Record<string, unknown> });
    const aboutRequest = records.filter(
      (record) => record.type === 'approval' && record.payload.request_id === requestId,
    );
    expect(aboutRequest.map((record) => record.payload.event)).toEqual(
      expect.arrayContaining(['requested', 'approved', 'consumed']),
    );
    for (const row of central.approvals) expect(records[row.seq]?.payload.request_id).toBe(requestId);
  } finally {
    await stop();
    await plane.stop();
    fs.rmSync(out, { recursive: true, force: true });
  }
});
