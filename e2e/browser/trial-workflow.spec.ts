import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './console-host';

// Trial step 4 from the console: "Run governed workflow" starts trial.workflow.run as a job,
// shows its progress with Cancel, sends the reviewer to the request it waits on, and reports
// which decision types the gate recorded, with links to the evidence.
test('trial home: run the governed workflow, cancel it, decide its approval in the queue, read the outcome', async ({
  page,
  consoleHost,
}, testInfo) => {
  test.setTimeout(240_000);
  await page.goto(consoleHost.openUrl);
  const step = page.locator('[data-step="workflow"]');
  await expect(step).toHaveAttribute('data-state', 'incomplete');
  const panel = page.getByTestId('governed-workflow');

  // A first run, cancelled while it waits for a reviewer: nothing is approved.
  await panel.getByRole('button', { name: 'Run governed workflow' }).click();
  await expect(panel.getByRole('progressbar', { name: 'Governed workflow' })).toBeVisible();
  await expect(panel.getByRole('button', { name: 'Run governed workflow' })).toBeDisabled();
  await expect(page.getByTestId('workflow-approval')).toBeVisible({ timeout: 120_000 });
  await panel.getByRole('button', { name: 'Cancel' }).click();
  await expect(panel.getByTestId('job-trial.workflow.run')).toHaveAttribute('data-state', 'cancelled');
  await expect(page.getByTestId('workflow-approval')).toHaveCount(0);

  // The workflow's MCP server on the tenant's trust list (a reviewer's decision, taken here with the CLI).
  const trusted = await consoleHost.cli([
    'mcp',
    'trust',
    'trial-filesystem',
    '--tools',
    'read_text_file,list_directory',
  ]);
  expect(trusted.code, trusted.stderr).toBe(0);

  await panel.getByRole('button', { name: 'Run governed workflow' }).click();
  const waiting = page.getByTestId('workflow-approval');
  await expect(waiting).toBeVisible({ timeout: 120_000 });
  await page.screenshot({ path: testInfo.outputPath('workflow-waiting.png'), fullPage: true });
  await waiting.getByRole('link', { name: 'decide it in the Approval queue' }).click();
  const detail = page.getByTestId('approval-detail');
  await expect(detail).toContainText('js.release-scripts');
  await page.keyboard.press('a');
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel(/Reason/).fill('Trial: the scripted agent prints a fixed string');
  await dialog.getByRole('button', { name: 'Approve once' }).click();

  await page.getByRole('button', { name: 'Trial checklist', exact: true }).click();
  const outcome = page.getByTestId('workflow-outcome');
  await expect(outcome).toHaveAttribute('data-complete', 'true', { timeout: 120_000 });
  await expect(outcome.getByRole('status')).toContainText(
    'Decisions recorded: allow 7, warn 1, require_approval 1, deny 3',
  );
  for (const id of ['read-file', 'read-outside', 'destroy-neighbours', 'mcp-secret', 'force-push', 'approved-command'])
    await expect(outcome.locator(`[data-workflow-step="${id}"]`)).toHaveAttribute('data-outcome', 'as_expected');
  await expect(outcome.locator('[data-workflow-step="approved-command"]')).toContainText('require_approval then allow');
  // Each action links to the decision records the gate wrote.
  const link = outcome.locator('[data-workflow-step="destroy-neighbours"]').getByRole('link').first();
  await expect(link).toHaveAttribute('href', /#\/evidence\/\d+\?tenant=evaluation/);
  await expect(step).toHaveAttribute('data-state', 'complete');
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
  await page.screenshot({ path: testInfo.outputPath('workflow-outcome.png'), fullPage: true });
});
