import fs from 'node:fs';
import type { APIRequestContext } from '@playwright/test';
import { expect, test } from './console-host';
import { needsApproval } from '../../test/support/approval-pack';
import type { ConsoleHost } from './console-host';

// The command that needs a reviewer is the approval tests' own (test/support/approval-pack.ts).
test.use({ approvalPack: true });

/** Judges and records an action in a tenant through the bridge (fast: no CLI start-up per action). */
async function evaluate(request: APIRequestContext, host: ConsoleHost, tenant: string, action: object) {
  const response = await request.post(`${host.origin}/api/invoke`, {
    data: { op: 'policy.evaluate', tenant, input: { action } },
    headers: { authorization: `Bearer ${host.token}` },
  });
  const body = (await response.json()) as { ok: boolean };
  expect(body.ok).toBe(true);
}

const deny = (i: number, agent = 'claude-code') => ({
  type: 'read_file',
  path: `config/../.env.${i}`,
  agent: { id: agent, session: `s-${i}` },
});
const allow = (i: number) => ({ type: 'execute_command', command: `npm test -- shard ${i}`, agent: { id: 'cursor' } });

/** Parses the CSV the console writes (every field quoted, CRLF, BOM). */
function parseCsv(text: string): string[][] {
  return text
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\r\n')
    .map((line) => [...line.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => (m[1] ?? '').replace(/""/g, '"')));
}

test('a filtered Live activity view, its tenant and an open record survive a reload', async ({
  page,
  request,
  consoleHost,
}) => {
  expect((await consoleHost.cli(['tenants', 'create', 'acme-eval', '--name', 'Acme Evaluation'])).code).toBe(0);
  for (let i = 0; i < 3; i++)
    await evaluate(request, consoleHost, 'acme-eval', deny(i, i === 2 ? 'cursor' : 'claude-code'));
  await evaluate(request, consoleHost, 'acme-eval', allow(0));
  await evaluate(request, consoleHost, 'evaluation', deny(9));

  await page.goto(consoleHost.openUrl);
  await page.getByRole('combobox', { name: 'Tenant' }).selectOption('acme-eval');
  await page.getByRole('button', { name: 'Live activity' }).click();
  await page.getByRole('combobox', { name: 'Decision' }).selectOption('deny');
  await page.getByRole('textbox', { name: 'Agent' }).fill('claude-code');
  const feed = page.getByTestId('activity-feed');
  await expect(feed.locator('tbody tr[data-key]')).toHaveCount(2);
  const seqs = await feed
    .locator('tbody tr[data-key]')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')));
  await expect(page).toHaveURL(/#\/activity\?tenant=acme-eval&agent=claude-code&decision=deny$/);

  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Live activity');
  await expect(page.getByRole('combobox', { name: 'Tenant' })).toHaveValue('acme-eval');
  await expect(page.getByRole('combobox', { name: 'Decision' })).toHaveValue('deny');
  await expect(page.getByRole('textbox', { name: 'Agent' })).toHaveValue('claude-code');
  await expect(feed.locator('tbody tr[data-key]')).toHaveCount(2);
  expect(
    await feed.locator('tbody tr[data-key]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key'))),
  ).toEqual(seqs);

  // Open a record: the address names it, and a reload opens it again in the same tenant.
  await feed.getByRole('button', { name: `Open record ${seqs[0]}` }).click();
  await expect(page.getByTestId('record-detail')).toContainText(`Record #${seqs[0]}`);
  await expect(page).toHaveURL(new RegExp(`#/activity/${seqs[0]}\\?tenant=acme-eval`));
  await page.reload();
  await expect(page.getByTestId('record-detail')).toContainText(`Record #${seqs[0]}`);
  await expect(page.getByRole('combobox', { name: 'Tenant' })).toHaveValue('acme-eval');

  // Back closes the record, then returns to the screen before.
  await page.goBack();
  await expect(page.getByTestId('record-detail')).toHaveCount(0);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Live activity');
});

test('a deep link to an evidence record opens that record in its tenant, even on a fresh load', async ({
  page,
  request,
  consoleHost,
}) => {
  expect((await consoleHost.cli(['tenants', 'create', 'acme-eval', '--name', 'Acme Evaluation'])).code).toBe(0);
  await evaluate(request, consoleHost, 'acme-eval', deny(1));
  await page.goto(consoleHost.openUrl);
  await expect(page.getByRole('combobox', { name: 'Tenant' })).toHaveValue('evaluation');
  // The same page, pointed at a record of the other tenant by its address alone.
  await page.goto(`${consoleHost.origin}/#/evidence/1?tenant=acme-eval&type=decision`);
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Evidence');
  await expect(page.getByRole('combobox', { name: 'Tenant' })).toHaveValue('acme-eval');
  await expect(page.getByTestId('record-detail')).toContainText('Record #1');
  await expect(page.getByRole('combobox', { name: 'Type' })).toHaveValue('decision');

  // A tenant the link names but the caller cannot open is not used.
  await page.goto(`${consoleHost.origin}/#/evidence?tenant=not-mine`);
  await page.reload();
  await expect(page.getByRole('combobox', { name: 'Tenant' })).toHaveValue('evaluation');
  await expect(page).toHaveURL(/tenant=evaluation/);
});

test('a deep link to an approval request restores it after a reload, pending and then decided', async ({
  page,
  consoleHost,
}) => {
  await page.goto(consoleHost.openUrl);
  await page.getByRole('button', { name: 'Approval queue' }).click();
  const waiting = consoleHost.cli(['exec', '--', ...needsApproval('1')]);
  const list = page.getByTestId('approval-list');
  await expect(list.getByRole('option')).toHaveCount(1);
  await list.getByRole('option').first().click();
  await expect(page).toHaveURL(/#\/approvals\/apr_[0-9a-f-]{36}\?tenant=evaluation$/);
  const link = page.url();
  const id = /apr_[0-9a-f-]{36}/.exec(link)?.[0] ?? '';

  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Approval queue');
  await expect(page.getByTestId('approval-detail')).toContainText('echo cavra-needs-approval 1');
  await expect(list.getByRole('option', { selected: true })).toHaveAttribute('id', `approval-${id}`);

  const denied = await consoleHost.cli(['approvals', 'deny', id, '--reason', 'not needed']);
  expect(denied.code, denied.stderr).toBe(0);
  expect((await waiting).code).not.toBe(0);
  // The same link, now to a decided request: it opens in the decided view.
  await page.goto(link);
  await page.reload();
  await expect(page.getByTestId('approval-detail')).toContainText('denied');
  await expect(page.getByRole('button', { name: 'Decided' })).toHaveAttribute('aria-pressed', 'true');
});

test('CSV export of a filtered record table holds exactly the rows on screen', async ({
  page,
  request,
  consoleHost,
}) => {
  for (let i = 0; i < 4; i++) await evaluate(request, consoleHost, 'evaluation', deny(i));
  // The agent names itself: formula text must stay text in a spreadsheet.
  await evaluate(request, consoleHost, 'evaluation', deny(4, '=HYPERLINK("http://x.example")'));
  for (let i = 0; i < 3; i++) await evaluate(request, consoleHost, 'evaluation', allow(i));
  await page.goto(consoleHost.openUrl);
  await page.getByRole('button', { name: 'Evidence', exact: true }).click();
  await page.getByRole('combobox', { name: 'Type' }).selectOption('decision');
  await page.getByRole('combobox', { name: 'Decision' }).selectOption('deny');
  await page.getByRole('button', { name: 'Search' }).click();
  const table = page.getByTestId('record-table');
  await expect(table.locator('tbody tr[data-key]')).not.toHaveCount(0);
  await expect(table.locator('tbody tr[data-key]').first()).toContainText('Deny');
  const onScreen = await table
    .locator('tbody tr[data-key]')
    .evaluateAll((rows) =>
      rows.map((r) => [r.getAttribute('data-key'), r.querySelector('td:last-child')?.textContent]),
    );

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  expect(download.suggestedFilename()).toMatch(/^records-evaluation-decision_deny-type_decision-\d+-\d+\.csv$/);
  const rows = parseCsv(fs.readFileSync((await download.path()) ?? '', 'utf8'));
  expect(rows[0]).toEqual(['#', 'Time', 'Record', 'Agent · session', 'Summary', 'Record hash']);
  expect(rows.slice(1).map((row) => [row[0], row[4]])).toEqual(onScreen);
  expect(rows.slice(1).every((row) => row[2]?.includes('deny'))).toBe(true);
  expect(rows.find((row) => row[3]?.includes('HYPERLINK'))?.[3]).toBe(`'=HYPERLINK("http://x.example") · s-4`);
});
