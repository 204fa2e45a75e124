import crypto from 'node:crypto';
import os from 'node:os';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './console-host';

// The queue at scale and at width. 10,000 pending requests: the core answers `approvals.list`
// with at most 1,000 today, so this test serves the list answer itself (10,000 requests that
// pass the contract's schema) and measures what it is about — the renderer: parse, render,
// keyboard to the last one. Then real requests at 1440 and 800 px wide: no sideways scroll,
// axe clean, screenshots of the queue and the dialog for review.

const PENDING = 10_000;

function fakeRequests(tenant: string, count: number) {
  const now = Date.now();
  return Array.from({ length: count }, (_, index) => {
    const id = `apr_${crypto.randomUUID()}`;
    const command = `terraform apply -auto-approve -target=module.service_${index}`;
    return {
      id,
      tenant,
      state: 'pending',
      actionSha256: crypto.createHash('sha256').update(command).digest('hex'),
      packId: 'cavra-infrastructure',
      packVersion: '1.0.0',
      route: 'cavra-infrastructure/platform',
      ruleId: 'cavra-infrastructure/iac.apply',
      reason: 'Applying infrastructure changes needs the platform team',
      requireReason: true,
      requester: 'os:dev',
      agent: { id: 'claude-code', session: `session-${index % 50}` },
      adapter: 'claude-code',
      correlationId: `corr-${index}`,
      decisionId: `dec-${index}`,
      actionType: 'execute_command',
      target: command,
      action: { type: 'execute_command', command },
      createdAt: new Date(now - index * 1000).toISOString(),
      expiresAt: new Date(now + 4 * 3600_000).toISOString(),
      decidedAt: null,
      decidedBy: null,
      decisionReason: null,
      consumedAt: null,
      decisionSeq: null,
      requestedSeq: null,
      stateSeq: null,
      selfApproved: false,
    };
  });
}

async function noSidewaysScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => {
    const content = document.querySelector('main.content') as HTMLElement;
    return {
      page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      content: content.scrollWidth - content.clientWidth,
    };
  });
  expect(overflow, 'nothing scrolls sideways').toEqual({ page: 0, content: 0 });
}

async function seriousViolations(page: Page): Promise<string[]> {
  const axe = await new AxeBuilder({ page }).analyze();
  return axe.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

test('10,000 pending: first render measured and reported, keyboard reaches the last one', async ({
  page,
  consoleHost,
}, testInfo) => {
  test.setTimeout(120_000);
  let served = 0;
  await page.route('**/api/invoke', async (route) => {
    const body = route.request().postDataJSON() as { op: string; tenant: string; input: { states?: string[] } };
    if (body.op !== 'approvals.list' || body.input.states?.join() !== 'pending') return route.continue();
    served++;
    await route.fulfill({
      contentType: 'application/json',
      body: JSON.stringify({ ok: true, value: { requests: fakeRequests(body.tenant, PENDING) } }),
    });
  });
  // In-page clocks: when the list answer reached the page, when Enter was pressed, and when
  // each new list element first painted with all 10,000.
  await page.addInitScript(() => {
    const marks = { answered: 0, enter: 0, painted: [] as number[] };
    (window as unknown as { queueMarks: typeof marks }).queueMarks = marks;
    const original = window.fetch.bind(window);
    window.fetch = async (...args) => {
      const response = await original(...args);
      const body = args[1]?.body;
      if (typeof body === 'string' && body.includes('"approvals.list"') && body.includes('"pending"')) {
        const text = await response.clone().text();
        if (text.length > 1_000_000 && marks.answered === 0) marks.answered = performance.now();
      }
      return response;
    };
    document.addEventListener('keydown', (event) => event.key === 'Enter' && (marks.enter = performance.now()), true);
    let seen: Element | null = null;
    new MutationObserver(() => {
      const list = document.querySelector('[data-testid="approval-list"][data-count="10000"]');
      if (list && list !== seen && list.querySelector('[role="option"]')) {
        seen = list;
        requestAnimationFrame(() => marks.painted.push(performance.now()));
      }
    }).observe(document, { childList: true, subtree: true, attributes: true });
  });
  type Marks = { answered: number; enter: number; painted: number[] };
  const readMarks = () => page.evaluate(() => (window as unknown as { queueMarks: Marks }).queueMarks);
  const list = page.getByRole('listbox', { name: /Pending approval requests/ });

  // Cold: the console opens on the queue; the answer is parsed and the list rendered.
  await page.goto(consoleHost.openUrl);
  await expect(page.getByTestId('principal')).toBeVisible();
  await page.goto(`${consoleHost.origin}/#/approvals`);
  await expect(list).toHaveAttribute('data-count', String(PENDING), { timeout: 60_000 });
  await expect(list).toBeFocused();
  await expect.poll(async () => (await readMarks()).painted.length).toBe(1);
  const cold = await readMarks();
  const coldMs = Math.round((cold.painted[0] as number) - cold.answered);

  // Warm: from another screen, Enter on the nav item (the badge has the answer already).
  await page.getByRole('button', { name: 'Live activity' }).click();
  await expect(list).toHaveCount(0);
  await page.getByRole('button', { name: /^Approval queue/ }).focus();
  await page.keyboard.press('Enter');
  await expect(list).toBeFocused();
  await expect.poll(async () => (await readMarks()).painted.length).toBe(2);
  const warm = await readMarks();
  const warmMs = Math.round((warm.painted[1] as number) - warm.enter);
  // Reported, not a gate: the target is 500 ms in Chromium on a quiet machine; this one is shared.
  console.log(
    `[approval queue] first render of 10,000 pending: ${coldMs} ms from the list answer to paint (parse, ` +
      `render, paint), ${warmMs} ms from Enter on the nav item to paint with the answer cached (target ≤ 500 ms; ` +
      `load average ${os.loadavg()[0]?.toFixed(1)} on ${os.cpus().length} CPUs)`,
  );
  testInfo.annotations.push({
    type: 'first render of 10,000 pending (ms)',
    description: `${coldMs} cold, ${warmMs} warm`,
  });
  expect(served).toBeGreaterThan(0);
  // The nav badge shares the list's answer; a full answer says more may be waiting.
  await expect(page.getByTestId('pending-count')).toHaveText('10,000+');

  // Virtualized: a screenful of rows in the DOM, each with its place in the whole list.
  const rendered = await list.getByRole('option').count();
  expect(rendered).toBeGreaterThan(3);
  expect(rendered).toBeLessThan(80);
  await expect(list.getByRole('option').first()).toHaveAttribute('aria-setsize', String(PENDING));
  await page.keyboard.press('End');
  const last = page.locator(`[id="${await list.getAttribute('aria-activedescendant')}"]`);
  await expect(last).toHaveAttribute('aria-posinset', String(PENDING));
  await expect(last).toContainText('module.service_9999');
  await expect(last).toBeInViewport();
  await expect(page.getByTestId('approval-detail')).toContainText('module.service_9999');
  await page.keyboard.press('Home');
  await page.keyboard.press('PageDown');
  const paged = Number(
    await page.locator(`[id="${await list.getAttribute('aria-activedescendant')}"]`).getAttribute('aria-posinset'),
  );
  expect(paged).toBeGreaterThan(2);
});

test('queue and dialog at 1440 and 800 px wide: no sideways scroll, axe clean, screenshots', async ({
  page,
  consoleHost,
}, testInfo) => {
  test.setTimeout(150_000);
  const hook = (toolName: string, toolInput: Record<string, unknown>) =>
    consoleHost.cli(
      ['hook', 'claude-code'],
      JSON.stringify({
        session_id: 'queue-layout-session',
        transcript_path: '/tmp/transcript.jsonl',
        cwd: consoleHost.workspace,
        hook_event_name: 'PreToolUse',
        tool_name: toolName,
        tool_input: toolInput,
      }),
    );
  await page.goto(consoleHost.openUrl);
  await page.getByRole('button', { name: /^Approval queue/ }).click();
  const list = page.getByRole('listbox', { name: /Pending approval requests/ });
  // One after the other, so the write is the newest (two hooks at once arrive in either order).
  const waiting = [hook('Bash', { command: 'sudo systemctl restart nginx && node -e "require(\'./deploy\').run()"' })];
  await expect(list).toHaveAttribute('data-count', '1', { timeout: 60_000 });
  // A write the packs ask about: the dialog shows the content it would put in the file.
  waiting.push(
    hook('Write', {
      file_path: `${consoleHost.workspace}/.github/workflows/release.yml`,
      content:
        'name: release\non:\n  push:\n    tags: ["v*"]\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm publish\n',
    }),
  );
  await expect(list).toHaveAttribute('data-count', String(waiting.length), { timeout: 60_000 });
  await expect(list).toBeFocused();
  // The newest first: the write, with its content as added lines.
  const detail = page.getByTestId('approval-detail');
  await expect(detail.getByTestId('card-content')).toContainText('npm publish');
  await expect(detail.getByTestId('approval-history')).toContainText('Requested by');
  await expect(detail.getByTestId('approval-expiry')).toContainText(/in \d/);

  for (const width of [1440, 800]) {
    await page.setViewportSize({ width, height: 900 });
    await expect(detail).toBeVisible();
    await noSidewaysScroll(page);
    expect(await seriousViolations(page), `axe: queue at ${width}`).toEqual([]);
    await page.screenshot({ path: testInfo.outputPath(`queue-${width}.png`), fullPage: true });
    await list.focus();
    await page.keyboard.press('j');
    await expect(detail.getByTestId('card-commands')).toContainText('systemctl');
    await page.screenshot({ path: testInfo.outputPath(`queue-command-${width}.png`), fullPage: true });
    await page.keyboard.press('k');
    await page.keyboard.press('d');
    const dialog = page.getByRole('dialog');
    await expect(dialog.getByLabel(/Reason \(required\)/)).toBeFocused();
    await noSidewaysScroll(page);
    expect(await seriousViolations(page), `axe: dialog at ${width}`).toEqual([]);
    await page.screenshot({ path: testInfo.outputPath(`dialog-${width}.png`) });
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(list).toBeFocused();
  }
  // Leave nothing waiting: deny both from the keyboard.
  for (let i = 0; i < waiting.length; i++) {
    await page.keyboard.press('d');
    await page.keyboard.type('layout test');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect(page.getByRole('dialog')).toHaveCount(0);
  }
  for (const answer of await Promise.all(waiting)) {
    expect(JSON.parse(answer.stdout).hookSpecificOutput.permissionDecision).toBe('deny');
  }
});
