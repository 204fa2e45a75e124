import AxeBuilder from '@axe-core/playwright';
import { expect, seedPending, test } from './console-host';

// Break-glass from the console (issue 13): a holder of the break_glass role approves one request
// outside its route, with the keyboard only — the dialog names the critical finding and the
// escalation before anything happens, starts in the justification and will not confirm a short
// one; the core records it (break_glass record, critical finding) and the queue shows who, why and
// until when. The request is opened through the real core (its agent's OS user unknown, so the
// local evaluator, who holds every role in its evaluation tenant, may break glass on it).

test('break glass from the keyboard: justification typed, critical finding named, recorded and shown; axe clean', async ({
  page,
  consoleHost,
}, testInfo) => {
  test.setTimeout(120_000);
  const [seeded] = await seedPending(consoleHost.home, 1);
  if (!seeded) throw new Error('nothing seeded');
  await page.goto(consoleHost.openUrl);
  await page.getByRole('button', { name: /^Approval queue/ }).click();
  const list = page.getByRole('listbox', { name: /Pending approval requests/ });
  await expect(list).toHaveAttribute('data-count', '1', { timeout: 30_000 });
  await expect(list).toBeFocused();
  const detail = page.getByTestId('approval-detail');
  await expect(detail).toContainText(seeded.target);

  // From the list to the control with Tab: Approve…, Deny…, Break glass….
  const control = detail.getByRole('button', { name: 'Break glass…' });
  for (let i = 0; i < 3 && !(await control.evaluate((e) => e === document.activeElement)); i++) {
    await page.keyboard.press('Tab');
  }
  await expect(control).toBeFocused();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Break glass: approve outside the route?' });
  await expect(dialog.getByTestId('break-glass-consequences')).toContainText('approval.break_glass');
  await expect(dialog.getByTestId('break-glass-consequences')).toContainText('escalation contacts');
  const justification = dialog.getByLabel(/Justification \(required/);
  await expect(justification).toBeFocused();
  const confirm = dialog.getByRole('button', { name: 'Break glass and approve once' });
  await page.keyboard.type('prod down');
  await expect(confirm).toBeDisabled();
  await expect(dialog).toContainText('9 of at least 20 characters');
  const why = 'prod down: the payments cluster needs this migration now (INC-4711)';
  await justification.fill(why);
  await expect(confirm).toBeEnabled();
  const axe = await new AxeBuilder({ page }).analyze();
  expect(
    axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
    'axe: break-glass dialog',
  ).toEqual([]);
  await page.screenshot({ path: testInfo.outputPath('break-glass-dialog.png') });
  await page.keyboard.press('Tab'); // Cancel
  await page.keyboard.press('Tab'); // confirm
  await expect(confirm).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId('live-region')).toHaveText(`Approved once: ${seeded.target}. No requests left.`);

  // Recorded by the core: the request says who broke glass, why and until when.
  const shown = await consoleHost.cli(['approvals', 'show', seeded.id, '--json']);
  expect(shown.code, shown.stderr).toBe(0);
  expect(JSON.parse(shown.stdout)).toMatchObject({
    state: 'approved',
    breakGlass: { by: 'local:evaluator', justification: why },
  });
  // And the decided view shows it to the next reviewer.
  await page.getByRole('button', { name: 'Decided' }).click();
  await expect(page.getByTestId('approval-break-glass')).toContainText(why);
  await expect(page.getByTestId('approval-break-glass')).toContainText('critical finding');
  await page.screenshot({ path: testInfo.outputPath('break-glass-decided.png'), fullPage: true });
});
