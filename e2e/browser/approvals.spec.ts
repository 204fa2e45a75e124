import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './console-host';
import { APPROVAL_RULE, needsApproval } from '../../test/support/approval-pack';

// The command that needs a reviewer is the approval tests' own (test/support/approval-pack.ts).
test.use({ approvalPack: true });

// A real adapter (`cavra exec`) waits at the console-hosted gate while a reviewer decides in the
// queue, keyboard first: the approved command runs once, the denied one never runs.
test('approval queue: approve and deny waiting actions from the keyboard', async ({ page, consoleHost }, testInfo) => {
  await page.goto(consoleHost.openUrl);
  await page.getByRole('button', { name: 'Approval queue' }).click();
  await expect(page.getByTestId('queue-empty')).toBeVisible();

  const approved = consoleHost.cli(['exec', '--', ...needsApproval('ran-after-approval')]);
  const list = page.getByTestId('approval-list');
  await expect(list.getByRole('option')).toHaveCount(1);
  await expect(page.getByTestId('approval-detail')).toContainText(APPROVAL_RULE);
  await expect(page.getByTestId('approval-detail')).toContainText('"command"');
  // Focus is already in the list: the first keystroke decides.
  await expect(list).toBeFocused();
  await page.keyboard.press('a');
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  // This route wants a reason for an approval: focus starts in it, Approve waits for it.
  await expect(dialog.getByLabel(/Reason \(required\)/)).toBeFocused();
  await expect(dialog.getByRole('button', { name: 'Approve once' })).toBeDisabled();
  await page.keyboard.type('Reviewed: prints a fixed string');
  await page.screenshot({ path: testInfo.outputPath('approval-dialog.png'), fullPage: true });
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
  await dialog.getByRole('button', { name: 'Approve once' }).click();
  const ran = await approved;
  expect(ran.code, ran.stderr).toBe(0);
  expect(ran.stdout).toContain('ran-after-approval');
  await expect(page.getByTestId('queue-empty')).toBeVisible();

  const denied = consoleHost.cli(['exec', '--', ...needsApproval('must-not-run')]);
  await expect(list.getByRole('option')).toHaveCount(1);
  await expect(list).toBeFocused();
  await page.keyboard.press('d');
  await expect(dialog.getByRole('button', { name: 'Deny' })).toBeDisabled();
  await dialog.getByLabel(/Reason/).fill('Not needed for this task');
  await dialog.getByRole('button', { name: 'Deny' }).click();
  const refused = await denied;
  expect(refused.code).not.toBe(0);
  expect(refused.stdout).not.toContain('must-not-run');

  await page.getByRole('button', { name: 'Decided' }).click();
  await expect(list.getByRole('option')).toHaveCount(2);
  // The approved request was used by the one action it approved: it is `consumed` now.
  await expect(list).toContainText('consumed');
  await expect(list).toContainText('denied');
  await page.screenshot({ path: testInfo.outputPath('approval-decided.png'), fullPage: true });
});
