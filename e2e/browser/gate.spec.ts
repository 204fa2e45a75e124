import { expect, test } from './console-host';

// The console is the runtime gate: a real adapter (the Claude Code hook) asks it, and the
// decision shows up in Live activity as it is recorded.
test('a Claude Code hook call through the console-hosted gate appears in Live activity', async ({
  page,
  consoleHost,
}, testInfo) => {
  await page.goto(consoleHost.openUrl);
  await page.getByRole('button', { name: 'Live activity' }).click();
  const feed = page.getByTestId('activity-feed');

  const payload = {
    session_id: 'cc-session-7',
    transcript_path: '/tmp/transcript.jsonl',
    cwd: consoleHost.workspace,
    hook_event_name: 'PreToolUse',
    tool_name: 'Read',
    tool_input: { file_path: `${consoleHost.workspace}/project/.env` },
  };
  const denied = await consoleHost.cli(['hook', 'claude-code'], JSON.stringify(payload));
  expect(denied.code).toBe(0);
  const output = JSON.parse(denied.stdout) as {
    hookSpecificOutput: { permissionDecision: string; permissionDecisionReason: string };
  };
  expect(output.hookSpecificOutput.permissionDecision).toBe('deny');
  expect(output.hookSpecificOutput.permissionDecisionReason).toContain('secrets');

  const allowed = await consoleHost.cli(
    ['hook', 'claude-code'],
    JSON.stringify({ ...payload, tool_name: 'Bash', tool_input: { command: 'npm test' } }),
  );
  expect(JSON.parse(allowed.stdout).hookSpecificOutput.permissionDecision).toBe('allow');

  await expect(feed).toContainText('cc-session-7');
  await expect(feed.locator('tbody tr')).toHaveCount(2);
  await expect(feed.locator('tbody tr').first()).toContainText('Allow');
  await expect(feed.locator('tbody tr').nth(1)).toContainText('Deny');
  await page.screenshot({ path: testInfo.outputPath('gate-activity.png'), fullPage: true });
});
