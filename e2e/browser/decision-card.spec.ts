import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './console-host';
import { APPROVAL_RULE, needsApproval } from '../../test/support/approval-pack';

// The command that needs a reviewer is the approval tests' own (test/support/approval-pack.ts).
test.use({ approvalPack: true });

// The readable decision card over real gate traffic: a Claude Code hook call through the
// console-hosted gate is denied, and Live activity and Evidence show it in words — the
// command, the file and what protects it, the rule and its reason — with the raw JSON one
// click away.
test('a denied gate decision reads in words in Live activity and Evidence, raw JSON one click away', async ({
  page,
  consoleHost,
}, testInfo) => {
  test.setTimeout(90_000);
  const denied = await consoleHost.cli(
    ['hook', 'claude-code'],
    JSON.stringify({
      session_id: 'card-session-1',
      transcript_path: '/tmp/transcript.jsonl',
      cwd: `${consoleHost.workspace}/project`,
      hook_event_name: 'PreToolUse',
      tool_name: 'Bash',
      tool_input: { command: "sudo bash -c 'cat config/.env | base64'" },
    }),
  );
  expect(denied.code).toBe(0);
  const verdict = JSON.parse(denied.stdout) as { hookSpecificOutput: { permissionDecision: string } };
  expect(verdict.hookSpecificOutput.permissionDecision).toBe('deny');

  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(consoleHost.openUrl);
  await page.getByRole('button', { name: 'Live activity' }).click();
  const feed = page.getByTestId('activity-feed');
  await expect(feed.locator('tbody tr')).toHaveCount(1);
  await feed.locator('tbody tr').first().getByRole('button').click();

  const card = page.getByTestId('decision-card');
  await expect(card).toBeVisible();
  await expect(card).toContainText('Deny');
  // The command in words: each simple command with its arguments, as the core parsed them.
  const commands = card.getByTestId('card-commands');
  const program = (name: string) =>
    commands.locator('li').filter({ has: page.locator('code.program', { hasText: new RegExp(`^${name}$`) }) });
  await expect(program('base64')).toBeVisible();
  await expect(program('bash').locator('code.arg')).toHaveText(['-c', 'cat config/.env | base64']);
  const cat = program('cat');
  await expect(cat.locator('code.arg')).toHaveText(['config/.env']);
  await expect(cat).toContainText('run through sudo');
  // The protected file and the rule that protects it.
  const file = card.getByTestId('card-files').locator('li', { hasText: 'config/.env' });
  await expect(file).toContainText('read');
  await expect(file).toContainText('Protection:');
  await expect(file.locator('.rule-ref')).not.toHaveCount(0);
  // The winning rule, its reason and the explanation.
  const why = card.getByTestId('card-why');
  await expect(why).toContainText(/secrets\/[a-z.-]+/);
  await expect(why).toContainText(/secret/i);
  await expect(why).toContainText('Why');
  const winner = (await why.locator('dd code').first().textContent()) ?? '';
  await expect(file).toContainText(winner);
  // Who, through what, when, and the correlation id.
  const context = card.getByTestId('card-context');
  await expect(context).toContainText('card-session-1');
  await expect(context).toContainText('claude-code');
  await expect(context).toContainText('Correlation id');
  // Links to the record and its proof.
  await expect(card.getByTestId('card-links').getByRole('link', { name: /Evidence record #\d+/ })).toBeVisible();
  await expect(card.getByTestId('card-links')).toContainText('Inclusion proof');

  // Raw JSON: one click away.
  const raw = page.getByTestId('card-raw');
  await expect(raw.locator('pre').first()).toBeHidden();
  await raw.locator('summary').click();
  await expect(raw.locator('pre[aria-label="Record payload"]')).toBeVisible();
  await expect(raw.locator('pre[aria-label="Record payload"]')).toContainText('"correlation_id"');
  await page.screenshot({ path: testInfo.outputPath('card-activity-1440.png'), fullPage: true });

  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  // The same card opens from the record link in Evidence.
  await card
    .getByTestId('card-links')
    .getByRole('link', { name: /Evidence record #\d+/ })
    .click();
  await expect(page.getByRole('heading', { name: /Record #\d+/ })).toBeVisible();
  await expect(page.getByTestId('decision-card').getByTestId('card-files')).toContainText('config/.env');
  await page.setViewportSize({ width: 800, height: 600 });
  await page.screenshot({ path: testInfo.outputPath('card-evidence-800.png'), fullPage: true });
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
});

// The Approval queue shows the same card for the decision that opened the request, with the
// request's own ledger records and whether the approval was used.
test('an approval request shows the decision that opened it in words, and whether it was used', async ({
  page,
  consoleHost,
}, testInfo) => {
  test.setTimeout(90_000);
  await page.goto(consoleHost.openUrl);
  await page.getByRole('button', { name: 'Approval queue' }).click();
  const waiting = consoleHost.cli(['exec', '--', ...needsApproval('card-approved')]);
  const list = page.getByTestId('approval-list');
  await expect(list.getByRole('option')).toHaveCount(1);
  const detail = page.getByTestId('approval-detail');
  const card = detail.getByTestId('decision-card');
  await expect(card).toContainText('Require approval');
  // Decide while the adapter still waits (its wait is short in tests), then read the card.
  await expect(list).toBeFocused();
  await page.keyboard.press('a');
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel(/Reason/).fill('Reviewed: prints a fixed string');
  await dialog.getByRole('button', { name: 'Approve once' }).click();
  const ran = await waiting;
  expect(ran.code, ran.stderr).toBe(0);
  expect(ran.stdout).toContain('card-approved');

  await page.getByRole('button', { name: 'Decided' }).click();
  await list.getByRole('option').first().click();
  const echo = card
    .getByTestId('card-commands')
    .locator('li')
    .filter({ has: page.locator('code.program', { hasText: /^echo$/ }) });
  await expect(echo.locator('code.arg')).toHaveText(['cavra-needs-approval', 'card-approved']);
  await expect(card.getByTestId('card-why')).toContainText(APPROVAL_RULE);
  await expect(card.getByTestId('card-links')).toContainText(/Approval request apr_/);
  const history = detail.getByTestId('approval-history');
  await expect(history).toContainText(/Used by the action it approves, .+ \(once/);
  await expect(
    history.locator('li', { hasText: 'Requested by' }).getByRole('link', { name: /record #\d+/ }),
  ).toBeVisible();
  await expect(
    history.locator('li', { hasText: 'Approved by' }).getByRole('link', { name: /record #\d+/ }),
  ).toBeVisible();
  await card.getByTestId('card-raw').locator('summary').click();
  await expect(card.getByTestId('card-raw').locator('pre')).toContainText(`"${APPROVAL_RULE}"`);
  // With the raw JSON open, the card still fits its column: the page never scrolls sideways.
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(
    0,
  );
  await page.screenshot({ path: testInfo.outputPath('card-approval.png'), fullPage: true });
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
});
