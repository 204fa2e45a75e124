import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './console-host';
import { startSmtpServer } from '../../test/support/smtp-server';
import { testCertificate } from '../../test/support/tls';

// Acceptance 6 (issue 14): configure SMTP in the console, send a test message, deliver a report,
// see the audit row with the server's answer, and look at the executive PDF's first page.

test('connectors and reports: configure SMTP, test it, deliver the executive report, audit it', async ({
  page,
  consoleHost,
}, testInfo) => {
  // One long journey (two screens, a real SMTP exchange, an axe scan of a large page): generous on a busy machine.
  test.setTimeout(240_000);
  const password = `e2e-${crypto.randomBytes(10).toString('hex')}`;
  const smtp = await startSmtpServer({ user: 'relay', password });
  try {
    for (const action of [
      { type: 'read_file', path: 'config/../.env', agent: { id: 'claude-code', session: 'e2e' } },
      {
        type: 'execute_command',
        command: 'terraform apply -auto-approve',
        agent: { id: 'claude-code', session: 'e2e' },
      },
      { type: 'execute_command', command: 'npm test', agent: { id: 'claude-code', session: 'e2e' } },
    ]) {
      const result = await consoleHost.cli(['evaluate'], JSON.stringify(action));
      expect([0, 2, 3]).toContain(result.code);
    }
    await page.goto(consoleHost.openUrl);
    await page.getByRole('button', { name: 'Connectors', exact: true }).click();
    await expect(page.getByTestId('connector-table')).toContainText('No connectors yet');

    // Configure SMTP.
    await page.getByRole('button', { name: 'Add connector' }).click();
    const form = page.getByRole('form', { name: 'Connector settings' });
    await form.getByLabel('Kind', { exact: true }).selectOption('smtp');
    await form.getByLabel('Connector ID', { exact: true }).fill('mail');
    await form.getByLabel('Name', { exact: true }).fill('Compliance relay');
    await form.getByLabel('Host', { exact: true }).fill('127.0.0.1');
    await form.getByLabel('Port', { exact: true }).fill(String(smtp.port));
    await form.getByLabel('TLS', { exact: true }).selectOption('starttls');
    await form.getByLabel('Sender address', { exact: true }).fill('cavra@acme.example');
    await form.getByLabel(/User name/).fill('relay');
    await form.getByLabel(/CA certificates/).fill(testCertificate().cert);
    await form.getByRole('button', { name: 'Save connector' }).click();
    const panel = page.getByTestId('connector-panel');
    await expect(panel).toContainText('Compliance relay');

    // Set the password; the page says it is set and never shows it.
    await panel.getByRole('textbox', { name: /SMTP password/ }).fill(password);
    await panel.getByRole('button', { name: 'Set secret' }).click();
    const row = page.locator('tr[data-connector="mail"]');
    await expect(row).toContainText('SMTP password: set');
    await expect(panel.getByRole('textbox', { name: /SMTP password/ })).toHaveValue('');
    expect(await page.content()).not.toContain(password);

    // Send a real test message.
    await panel.getByLabel('Send a test message to').fill('ops@acme.example');
    await panel.getByRole('button', { name: 'Send test message' }).click();
    await expect(panel.getByTestId('test-result')).toContainText('Delivered: 250');
    await expect.poll(() => smtp.accepted.length).toBe(1);
    expect(smtp.accepted[0]!.parsed.subject).toBe('CAVRA connector test (Compliance relay)');
    await expect(page.getByTestId('health-mail')).toContainText('accepted');
    await page.screenshot({ path: testInfo.outputPath('connectors.png'), fullPage: true });

    // Report policy, preview, delivery.
    await page.getByRole('button', { name: 'Reports', exact: true }).click();
    const policy = page.getByRole('form', { name: 'Report and delivery policy' });
    await policy.getByLabel('Reports are e-mailed through').selectOption('mail');
    await policy.getByLabel('Allowed recipient domains').fill('acme.example');
    await policy.getByRole('button', { name: 'Save policy' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Report policy saved' })).toHaveCount(1);

    await page.getByRole('combobox', { name: 'Report', exact: true }).selectOption('executive');
    await page.getByRole('button', { name: 'Render preview' }).click();
    const preview = page.getByTestId('report-preview');
    await expect(preview).toContainText('Executive posture summary');
    await expect(preview).toContainText('Agent actions judged');

    await page.getByLabel('Recipients', { exact: true }).fill('ciso@acme.example, auditor@outside.example');
    await expect(page.getByTestId('external-recipients')).toContainText('auditor@outside.example');
    await page.getByLabel('Recipients', { exact: true }).fill('ciso@acme.example');
    await page.getByRole('button', { name: 'Deliver executive report now' }).click();
    const audit = page.getByTestId('delivery-audit').first();
    const reportRow = audit.locator('tr', { hasText: 'ciso@acme.example' });
    await expect(reportRow).toContainText('delivered', { timeout: 20_000 });
    await expect(reportRow).toContainText('250');
    await reportRow.getByRole('button', { name: 'Attempts' }).click();
    await expect(audit).toContainText(/#1 .* accepted 250 OK/);
    await page.screenshot({ path: testInfo.outputPath('reports.png'), fullPage: true });

    const axe = await new AxeBuilder({ page }).analyze();
    const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);

    // The executive PDF as the recipient got it: its first page as an image to look at.
    const mail = smtp.accepted.find((m) => m.envelopeTo.includes('ciso@acme.example'));
    const pdf = mail?.parsed.attachments.find((a) => a.contentType === 'application/pdf');
    expect(pdf).toBeDefined();
    const pdfFile = testInfo.outputPath('executive.pdf');
    fs.writeFileSync(pdfFile, pdf!.content);
    execFileSync('pdftoppm', [
      '-png',
      '-r',
      '80',
      '-f',
      '1',
      '-l',
      '1',
      '-singlefile',
      pdfFile,
      testInfo.outputPath('executive-page-1'),
    ]);
    const image = testInfo.outputPath('executive-page-1.png');
    expect(fs.statSync(image).size).toBeGreaterThan(10_000);
    await testInfo.attach('executive PDF, page 1', { path: image, contentType: 'image/png' });
  } finally {
    await smtp.close();
  }
});
