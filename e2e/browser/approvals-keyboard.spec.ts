import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './console-host';

// Issue 13, acceptance 5: a reviewer works through 20 waiting Claude Code tool calls with the
// keyboard alone — focus starts in the list, a/d open the decision, the reason field or Cancel
// is focused, focus moves on to the next request, and the live region says what happened.

async function seriousViolations(page: Page): Promise<string[]> {
  const axe = await new AxeBuilder({ page }).analyze();
  return axe.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

function hookPayload(workspace: string, index: number): string {
  return JSON.stringify({
    session_id: 'queue-keyboard-session',
    transcript_path: '/tmp/transcript.jsonl',
    cwd: workspace,
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    // Two routes of the built-in packs: an inline interpreter (rce.inline-interpreter, whose
    // route wants a reason for an approval too) and sudo (privilege.escalation, no reason needed).
    tool_input: {
      command:
        index % 2 === 0
          ? `node -e "console.log('request ${String(index).padStart(2, '0')}')"`
          : `sudo echo 'request ${String(index).padStart(2, '0')}'`,
    },
  });
}

test('keyboard only: 20 waiting requests approved and denied in turn, each announced, axe clean', async ({
  page,
  consoleHost,
}, testInfo) => {
  test.setTimeout(240_000);
  await page.goto(consoleHost.openUrl);
  await expect(page.getByTestId('principal')).toBeVisible();

  const hooks = Array.from({ length: 20 }, (_, index) =>
    consoleHost.cli(['hook', 'claude-code'], hookPayload(consoleHost.workspace, index)).then((result) => ({
      index,
      result,
    })),
  );
  // The in-app indicator counts them wherever the reviewer is.
  await expect(page.getByTestId('pending-count')).toHaveText('20', { timeout: 90_000 });

  // Open the queue from the keyboard: focus lands in the list, not on the page.
  await page.getByRole('button', { name: /^Approval queue/ }).focus();
  await page.keyboard.press('Enter');
  const list = page.getByRole('listbox', { name: /Pending approval requests/ });
  await expect(list).toBeFocused();
  await expect(list).toHaveAttribute('data-count', '20');

  // `?` lists the queue's shortcuts; Escape returns to the list.
  await page.keyboard.press('?');
  const help = page.getByTestId('shortcut-help');
  await expect(help).toContainText('Approve the request');
  await expect(help).toContainText('Deny the request');
  await page.keyboard.press('Escape');
  await expect(help).toHaveCount(0);
  await expect(list).toBeFocused();

  expect(await seriousViolations(page), 'axe: queue').toEqual([]);
  const live = page.getByTestId('live-region');
  const activeTarget = async () => {
    const id = await list.getAttribute('aria-activedescendant');
    expect(id).toBeTruthy();
    return (await page.locator(`[id="${id}"] .queue-target`).textContent()) ?? '';
  };

  const verdicts = new Map<string, 'allow' | 'deny'>();
  let approvalsWithReason = 0;
  let approvalsOnCancel = 0;
  // j then k: the arrow keys and j/k move the active request without leaving the list.
  const first = await activeTarget();
  await page.keyboard.press('j');
  expect(await activeTarget()).not.toBe(first);
  await page.keyboard.press('k');
  expect(await activeTarget()).toBe(first);

  for (let turn = 0; turn < 20; turn++) {
    const target = await activeTarget();
    const deny = turn % 3 === 1;
    const dialog = page.getByRole('dialog');
    if (deny) {
      await page.keyboard.press('d');
      // A reason is required: focus starts in it and Deny stays disabled until it is filled.
      const reason = dialog.getByLabel(/Reason \(required\)/);
      await expect(reason).toBeFocused();
      await expect(dialog.getByRole('button', { name: 'Deny' })).toBeDisabled();
      await page.keyboard.type(`not needed (${turn})`);
      await page.keyboard.press('Tab'); // Cancel
      await page.keyboard.press('Tab'); // Deny
      await expect(dialog.getByRole('button', { name: 'Deny' })).toBeFocused();
    } else {
      await page.keyboard.press('a');
      await expect(dialog).toBeVisible();
      if (await dialog.getByLabel(/Reason \(required\)/).count()) {
        // This route wants a reason for an approval too: focus starts in it.
        approvalsWithReason++;
        await expect(dialog.getByLabel(/Reason/)).toBeFocused();
        await expect(dialog.getByRole('button', { name: 'Approve once' })).toBeDisabled();
        await page.keyboard.type(`reviewed (${turn})`);
        await page.keyboard.press('Tab');
      } else {
        // A risky confirmation starts on Cancel: Enter right away would not approve.
        approvalsOnCancel++;
        await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
        if (approvalsOnCancel === 1) {
          await page.screenshot({ path: testInfo.outputPath('queue-dialog-keyboard.png') });
          expect(await seriousViolations(page), 'axe: decision dialog').toEqual([]);
        }
      }
      await page.keyboard.press('Tab');
      await expect(dialog.getByRole('button', { name: 'Approve once' })).toBeFocused();
    }
    await page.keyboard.press('Enter');
    await expect(dialog).toHaveCount(0);
    verdicts.set(target, deny ? 'deny' : 'allow');
    const left = 19 - turn;
    const said = deny ? 'Denied' : 'Approved once';
    if (left === 0) {
      await expect(live).toHaveText(`${said}: ${target}. No requests left.`);
    } else {
      await expect(live).toHaveText(new RegExp(`^${said}: ${escape(target)}\\. ${left} pending\\. Next: .+\\.$`));
      // Focus stayed in the list, on the next request.
      await expect(list).toBeFocused();
      const next = /Next: (.+)\.$/.exec((await live.textContent()) ?? '')?.[1];
      expect(await activeTarget()).toBe(next);
    }
  }
  await expect(page.getByTestId('queue-empty')).toBeVisible();
  await expect(page.getByTestId('pending-count')).toHaveCount(0);
  expect(verdicts.size).toBe(20);
  expect(approvalsWithReason, 'approvals on a route that wants a reason').toBeGreaterThan(0);
  expect(approvalsOnCancel, 'approvals that started on Cancel').toBeGreaterThan(0);

  // Each waiting hook got the verdict the reviewer gave its exact command.
  for (const { index, result } of await Promise.all(hooks)) {
    expect(result.code, result.stderr).toBe(0);
    const answer = JSON.parse(result.stdout) as { hookSpecificOutput: { permissionDecision: string } };
    const target = [...verdicts.keys()].find((t) => t.includes(`request ${String(index).padStart(2, '0')}`));
    expect(target, `request ${index} was shown in the queue`).toBeDefined();
    expect(answer.hookSpecificOutput.permissionDecision).toBe(verdicts.get(target as string));
  }
});

test('single-key shortcuts can be turned off, and the choice survives a reload', async ({ page, consoleHost }) => {
  test.setTimeout(120_000);
  await page.goto(consoleHost.openUrl);
  const waiting = consoleHost.cli(['hook', 'claude-code'], hookPayload(consoleHost.workspace, 99));
  await page.getByRole('button', { name: /^Approval queue/ }).click();
  const list = page.getByRole('listbox', { name: /Pending approval requests/ });
  await expect(list).toHaveAttribute('data-count', '1', { timeout: 60_000 });
  await page.getByLabel(/Single-key shortcuts/).uncheck();
  await page.reload();
  await expect(list).toBeFocused();
  await expect(page.getByLabel(/Single-key shortcuts/)).not.toBeChecked();
  await page.keyboard.press('a');
  await page.keyboard.press('?');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  // Buttons still work without shortcuts.
  await page.getByRole('button', { name: 'Deny…' }).click();
  await page
    .getByRole('dialog')
    .getByLabel(/Reason/)
    .fill('no');
  await page.getByRole('dialog').getByRole('button', { name: 'Deny' }).click();
  const answer = await waiting;
  expect(JSON.parse(answer.stdout).hookSpecificOutput.permissionDecision).toBe('deny');
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
