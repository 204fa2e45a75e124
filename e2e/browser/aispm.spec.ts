import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './console-host';
import { needsApproval } from '../../test/support/approval-pack';
import type { ConsoleHost } from './console-host';

// The command that needs a reviewer is the approval tests' own (test/support/approval-pack.ts).
test.use({ approvalPack: true });

// AISPM and Operating reviews from real gate traffic: real adapters (the Claude Code hook,
// `cavra exec`) ask the console-hosted gate, a reviewer decides on the CLI, and the console
// turns the ledger into posture. A finding opens the very records that caused it.

async function pendingRequest(host: ConsoleHost): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const listed = await host.cli(['approvals', 'list', '--json']);
    const pending = JSON.parse(listed.stdout || '[]') as { id: string }[];
    if (pending[0]) return pending[0].id;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('no approval request appeared');
}

async function seriousAxe(page: Page): Promise<string[]> {
  const axe = await new AxeBuilder({ page }).analyze();
  return axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
}

test('AISPM posture and operating reviews from real gate traffic', async ({ page, consoleHost }, testInfo) => {
  test.setTimeout(180_000);
  const project = path.join(consoleHost.workspace, 'project');
  fs.mkdirSync(project, { recursive: true });
  const hook = (tool: string, input: Record<string, unknown>) =>
    consoleHost.cli(
      ['hook', 'claude-code'],
      JSON.stringify({
        session_id: 'cc-aispm-1',
        transcript_path: '/tmp/transcript.jsonl',
        cwd: project,
        hook_event_name: 'PreToolUse',
        tool_name: tool,
        tool_input: input,
      }),
    );
  const answer = (result: { stdout: string }) =>
    (JSON.parse(result.stdout) as { hookSpecificOutput: { permissionDecision: string } }).hookSpecificOutput
      .permissionDecision;

  expect(answer(await hook('Read', { file_path: `${project}/.env` }))).toBe('deny');
  expect(answer(await hook('Bash', { command: 'npm test' }))).toBe('allow');
  expect(answer(await hook('Bash', { command: 'git push --force origin main' }))).toBe('deny');
  // An approval-gated action a reviewer refuses: a near miss.
  const apply = hook('Bash', { command: 'terraform apply -auto-approve' });
  const applyRequest = await pendingRequest(consoleHost);
  const refused = await consoleHost.cli([
    'approvals',
    'deny',
    applyRequest,
    '--reason',
    'Change freeze: not by an agent',
  ]);
  expect(refused.code, refused.stderr).toBe(0);
  expect(answer(await apply)).toBe('deny');
  // One a reviewer approves: it runs once.
  const ran = consoleHost.cli(['exec', '--', ...needsApproval('approved-run')]);
  const runRequest = await pendingRequest(consoleHost);
  expect((await consoleHost.cli(['approvals', 'approve', runRequest, '--reason', 'prints a string'])).code).toBe(0);
  expect((await ran).stdout).toContain('approved-run');

  await page.goto(consoleHost.openUrl);
  await page.getByRole('button', { name: 'AISPM posture' }).click();
  await expect(page.getByTestId('ingestion-lag')).toContainText('caught up');
  const score = Number(await page.getByTestId('posture-score').textContent());
  expect(score).toBeGreaterThan(0);
  expect(score).toBeLessThan(100);
  await expect(page.getByTestId('risk-level')).toContainText('risk');

  const heatmap = page.getByTestId('coverage-heatmap');
  const agentRow = heatmap.getByRole('row', { name: /dir:project claude-code/ });
  await expect(agentRow.locator('[data-surface="secrets"]')).toContainText('Enforced');
  await expect(agentRow.locator('[data-surface="source_control"]')).toContainText('Enforced');
  await expect(agentRow.locator('[data-surface="infrastructure"]')).toContainText('Approval-gated');
  await expect(agentRow.locator('[data-surface="mcp_tools"]')).toContainText('Not observed');

  const findings = page.getByTestId('findings-table');
  await expect(findings).toContainText('Denied by cavra-secrets/secrets.env-read');
  await expect(findings).toContainText('Denied by cavra-source-control/git.force-push-protected');
  await expect(findings).toContainText('Approval denied: cavra-infrastructure/iac.apply');
  await expect(page.getByTestId('trend-chart')).toBeVisible();
  await page.getByTestId('score-breakdown').locator('summary').click();
  await page.screenshot({ path: testInfo.outputPath('aispm-posture.png'), fullPage: true });
  expect(await seriousAxe(page)).toEqual([]);

  // Owner assignment is recorded, then applied.
  const secretsRow = findings.getByRole('row', { name: /secrets\.env-read/ });
  await secretsRow.getByRole('button', { name: 'Denied by cavra-secrets/secrets.env-read', exact: true }).click();
  const detail = page.getByTestId('finding-detail');
  await detail.getByLabel('Owner (principal id)').fill('secops@acme.example');
  await detail.getByLabel('Note (recorded with the change)').fill('SecOps owns secret handling');
  await detail.getByRole('button', { name: 'Assign owner' }).click();
  await expect(secretsRow).toContainText('secops@acme.example');
  await detail.getByRole('button', { name: 'Acknowledge' }).click();
  await expect(secretsRow).toContainText('Acknowledged');
  await page.screenshot({ path: testInfo.outputPath('aispm-finding.png'), fullPage: true });

  // The finding opens the records that caused it.
  await secretsRow.getByRole('button', { name: /records? behind/ }).click();
  const focused = page.getByTestId('focused-records');
  await expect(focused).toContainText('Records behind the finding');
  const rows = focused.getByTestId('record-table').locator('tbody tr');
  // A decision row shows its decision; the two triage records show their type.
  const denial = rows.filter({ hasText: 'deny read_file' });
  await expect(denial).toHaveCount(1);
  await expect(denial).toContainText('Deny');
  await expect(rows.filter({ hasText: 'finding_triage' })).toHaveCount(2);
  await denial.getByRole('button', { name: /^Open record \d+$/ }).click();
  const payload = page.getByLabel('Record payload');
  await expect(payload).toContainText('"adapter": "claude-code"');
  await expect(payload).toContainText('secrets.env-read');
  await page.screenshot({ path: testInfo.outputPath('aispm-evidence.png'), fullPage: true });

  // Operating reviews: read the packet, complete it; the reviewer is recorded.
  await page.getByRole('button', { name: 'Operating reviews' }).click();
  const reviews = page.getByTestId('reviews-table');
  await expect(reviews.locator('tbody tr')).toHaveCount(8);
  await reviews.getByRole('button', { name: 'Open the Weekly posture review' }).click();
  const packet = page.getByTestId('review-packet');
  await expect(packet).toContainText('Coverage by control surface');
  await expect(packet).toContainText('Denied by cavra-secrets/secrets.env-read');
  await page.screenshot({ path: testInfo.outputPath('reviews-packet.png'), fullPage: true });
  expect(await seriousAxe(page)).toEqual([]);
  await packet.getByLabel(/Your notes/).fill('Secrets denial owned by SecOps; approvals behaved.');
  await packet.getByRole('button', { name: 'Complete review' }).click();
  const weekly = reviews.locator('tr[data-review="weekly_posture"]');
  await expect(weekly).toContainText('local:evaluator');
  await page.screenshot({ path: testInfo.outputPath('reviews.png'), fullPage: true });

  // The CLI reads the same posture.
  const status = await consoleHost.cli(['aispm', 'status', '--json']);
  expect(status.code, status.stderr).toBe(0);
  const posture = JSON.parse(status.stdout) as { score: number; openFindings: { high: number; critical: number } };
  expect(posture.openFindings.high + posture.openFindings.critical).toBeGreaterThan(0);
  const owned = JSON.parse(
    (await consoleHost.cli(['aispm', 'findings', '--owner', 'secops@acme.example', '--json'])).stdout,
  ) as {
    findings: { title: string }[];
  };
  expect(owned.findings.map((f) => f.title)).toEqual(['Denied by cavra-secrets/secrets.env-read']);
  const coverage = JSON.parse((await consoleHost.cli(['aispm', 'coverage', '--json'])).stdout) as {
    rows: { repository: string; cells: Record<string, { state: string }> }[];
  };
  expect(coverage.rows.find((r) => r.repository === 'dir:project')?.cells.mcp_tools?.state).toBe('not_observed');
});
