import fs from 'node:fs';
import os from 'node:os';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, seedPending, startHost, test } from './console-host';

// The queue at scale and at width. 10,000 pending requests opened through the real core (each
// recorded in the ledger first), listed by the real `approvals.page` of the console's core:
// first render measured and printed (not a gate), keyboard across page boundaries to the last
// one. Then real requests at 1440 and 800 px wide: no sideways scroll, axe clean, screenshots.

const PENDING = 10_000;
/**
 * The 10,000-request console keeps its data in memory-backed /dev/shm where there is one:
 * every open is three durable commits, and on a shared disk seeding took 50–80 s of fsyncs
 * that measure the disk, not the queue. Same core, same SQLite, same ledger.
 */
const memoryBacked = (() => {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return undefined;
  }
})();

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

test('10,000 pending through the real approvals.page: first render measured and reported, keyboard across pages to the last one', async ({
  page,
}, testInfo) => {
  test.setTimeout(240_000);
  const { host, stop } = await startHost(memoryBacked ? { dataParent: memoryBacked } : {});
  try {
    const seedStarted = performance.now();
    const seeded = await seedPending(host.home, PENDING);
    const seedMs = Math.round(performance.now() - seedStarted);
    expect(seeded).toHaveLength(PENDING);
    // In-page clocks: when the queue's first page was asked for and answered (the real op over
    // the bridge), when Enter was pressed, and when each new list element first painted with 10,000.
    await page.addInitScript(() => {
      const marks = { asked: 0, answered: 0, enter: 0, painted: [] as number[], pages: 0 };
      (window as unknown as { queueMarks: typeof marks }).queueMarks = marks;
      const original = window.fetch.bind(window);
      window.fetch = async (...args) => {
        const body = args[1]?.body;
        const queuePage = typeof body === 'string' && body.includes('"approvals.page"') && body.includes('"limit":200');
        const first = queuePage && !body.includes('"cursor"');
        if (first && marks.asked === 0) marks.asked = performance.now();
        const response = await original(...args);
        if (queuePage) marks.pages += 1;
        if (first && marks.answered === 0) {
          await response.clone().text();
          marks.answered = performance.now();
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
    type Marks = { asked: number; answered: number; enter: number; painted: number[]; pages: number };
    const readMarks = () => page.evaluate(() => (window as unknown as { queueMarks: Marks }).queueMarks);
    const list = page.getByRole('listbox', { name: /Pending approval requests/ });

    // Cold: the console is open on another screen and has settled; Enter on the queue's nav item
    // asks the core for the first page (nothing cached) and renders it.
    await page.goto(host.openUrl);
    await expect(page.getByTestId('principal')).toBeVisible();
    await page.getByRole('button', { name: 'Live activity' }).click();
    await page.waitForLoadState('networkidle');
    await page.getByRole('button', { name: /^Approval queue/ }).focus();
    await page.keyboard.press('Enter');
    await expect(list).toHaveAttribute('data-count', String(PENDING), { timeout: 60_000 });
    await expect(list).toBeFocused();
    await expect.poll(async () => (await readMarks()).painted.length).toBe(1);
    const cold = await readMarks();
    const opMs = Math.round(cold.answered - cold.asked);
    const coldMs = Math.round((cold.painted[0] as number) - cold.enter);
    // One page, not 10,000 rows: the rest load as the reviewer goes.
    await expect(list).toHaveAttribute('data-loaded', '200');

    // Warm: away and back with Enter (the first page is cached and refetched behind).
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
      `[approval queue] first render of 10,000 pending: ${coldMs} ms from Enter on the nav item to paint ` +
        `(${opMs} ms of it the real approvals.page round trip for the first 200), ${warmMs} ms with the first page ` +
        `cached (target ≤ 500 ms; seeding 10,000 through the core took ${seedMs} ms; load average ` +
        `${os.loadavg()[0]?.toFixed(1)} on ${os.cpus().length} CPUs)`,
    );
    testInfo.annotations.push({
      type: 'first render of 10,000 pending (ms)',
      description: `${coldMs} cold (${opMs} op), ${warmMs} warm`,
    });
    // The nav badge is the core's count, exact without loading the requests.
    await expect(page.getByTestId('pending-count')).toHaveText('10,000');
    await expect(page.getByRole('button', { name: /^Pending \(10,000\)/ })).toBeVisible();

    // Virtualized: a screenful of rows in the DOM, each with its place in the whole queue.
    const rendered = await list.getByRole('option').count();
    expect(rendered).toBeGreaterThan(3);
    expect(rendered).toBeLessThan(80);
    await expect(list.getByRole('option').first()).toHaveAttribute('aria-setsize', String(PENDING));
    const activeRow = async () => page.locator(`[id="${String(await list.getAttribute('aria-activedescendant'))}"]`);
    const position = async () => Number(await (await activeRow()).getAttribute('aria-posinset'));

    // Across the first page boundary with Page Down: the next page loads and the cursor lands on
    // the request the core has at that place; the detail fetches that request's exact action.
    while ((await position()) <= 200) await page.keyboard.press('PageDown');
    const crossed = await position();
    expect(Number(await list.getAttribute('data-loaded'))).toBeGreaterThan(200);
    await expect(await activeRow()).toContainText(seeded[crossed - 1]?.target as string);
    const detail = page.getByTestId('approval-detail');
    await expect(detail.getByTestId('approval-raw')).toContainText(seeded[crossed - 1]?.target as string);
    // j and k step over the boundary both ways.
    await page.keyboard.press('Home');
    await expect.poll(position).toBe(1);
    for (let i = 0; i < 3; i++) await page.keyboard.press('k');
    await expect.poll(position).toBe(1);

    // End: the remaining pages load in turn and the cursor lands on the oldest request.
    const endStarted = performance.now();
    await page.keyboard.press('End');
    await expect.poll(position, { timeout: 120_000 }).toBe(PENDING);
    const endMs = Math.round(performance.now() - endStarted);
    console.log(`[approval queue] End through ${PENDING / 200} pages of 200: ${endMs} ms`);
    const last = await activeRow();
    await expect(last).toContainText(seeded[PENDING - 1]?.target as string);
    await expect(last).toBeInViewport();
    await expect(detail).toContainText(seeded[PENDING - 1]?.target as string);
    await expect(list).toHaveAttribute('data-loaded', String(PENDING));
    // Pages were asked for one at a time, never the whole queue at once.
    expect((await readMarks()).pages).toBeGreaterThanOrEqual(PENDING / 200);
    await page.keyboard.press('Home');
    await page.keyboard.press('PageDown');
    expect(await position()).toBeGreaterThan(2);
  } finally {
    await stop();
  }
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
    // Focus comes back to the list once the previous verdict is in; typed before that, the
    // reason's letters would be shortcuts (the `a` of "layout" opens the approve dialog).
    await expect(list).toBeFocused();
    await page.keyboard.press('d');
    await expect(page.getByRole('dialog').getByLabel(/Reason \(required\)/)).toBeFocused();
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
