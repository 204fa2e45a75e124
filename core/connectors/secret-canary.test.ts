import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContractClient } from '../contract';
import { connectorSecrets } from '../contract';
import type { CoreService } from '../service';
import { KeychainSecretStore } from '../secrets';
import { localEvaluationPrincipal } from '../identity';
import { coreClient, waitFor } from '../../test/support/contract-client';
import { startSmtpServer } from '../../test/support/smtp-server';
import type { TestSmtpServer } from '../../test/support/smtp-server';
import { tempHome } from '../../test/support/temp-home';
import { testCertificate } from '../../test/support/tls';
import { licenseTenant } from '../../test/support/demo-license';

// Acceptance 4 (issue 14): a unique secret set on every connector never appears in any database
// file, WAL, ledger, export, log, error message or report. The control: the same scan finds it
// in the keychain, so the scan can see it where it does belong.

const canary = `cnry${crypto.randomBytes(18).toString('hex')}`;
/** Every form a leak could take: as is, base64 (SMTP AUTH, Basic auth), URL-encoded, hex. */
const forms = (secret: string) => [
  secret,
  Buffer.from(secret).toString('base64'),
  Buffer.from(secret).toString('base64').slice(4, -4),
  Buffer.from(secret).toString('hex'),
];

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

describe('secret canary: connector secrets stay in the keychain', () => {
  let home: string;
  let cleanup: () => void;
  let core: CoreService;
  let client: ContractClient;
  let smtp: TestSmtpServer;
  const logs: string[] = [];
  const errors: string[] = [];
  const tenant = { tenant: 'evaluation' };
  const secretsSet = new Map<string, string>();
  const closed = 'https://127.0.0.1:9'; // discard port: nothing listens, every send fails

  beforeAll(async () => {
    ({ home, cleanup } = tempHome());
    smtp = await startSmtpServer({ user: 'relay', password: canary });
    ({ core, client } = coreClient(home, {
      log: (message) => logs.push(message),
      deliveries: { run: true, tickMs: 50 },
    }));
    await licenseTenant(client, 'evaluation');
  });
  afterAll(async () => {
    await core.close();
    await smtp.close();
    cleanup();
  });

  it('never leaks the canary, whatever the connectors do', async () => {
    const ca = testCertificate().cert;
    const dkim = crypto
      .generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const configs = [
      {
        id: 'mail',
        kind: 'smtp',
        settings: {
          host: '127.0.0.1',
          port: smtp.port,
          security: 'starttls',
          from: 'cavra@acme.example',
          username: 'relay',
          ca,
          dkim: { domain: 'acme.example', selector: 's1' },
        },
      },
      {
        id: 'mail-bad',
        kind: 'smtp',
        settings: {
          host: '127.0.0.1',
          port: smtp.port,
          security: 'starttls',
          from: 'cavra@acme.example',
          username: 'someone-else',
          ca,
        },
      },
      { id: 'hook', kind: 'webhook', settings: { url: `${closed}/hook`, ca } },
      { id: 'splunk', kind: 'splunk_hec', settings: { url: `${closed}/services/collector/event`, ca } },
      { id: 'slack', kind: 'slack', settings: { ca } },
      { id: 'teams', kind: 'teams', settings: { ca } },
      { id: 'jira', kind: 'jira', settings: { baseUrl: closed, projectKey: 'SEC', username: 'bot@acme.example', ca } },
      { id: 'snow', kind: 'servicenow', settings: { instanceUrl: closed, username: 'bot', ca } },
    ] as const;
    for (const config of configs) {
      await client.call(
        'connectors.save',
        { ...config, name: config.id, retry: { maxAttempts: 1, baseDelaySeconds: 0.1 } } as never,
        tenant,
      );
      const value =
        config.kind === 'webhook'
          ? `whsec_${Buffer.from(`${canary}xxxxxxxx`).toString('base64')}`
          : config.kind === 'slack' || config.kind === 'teams'
            ? `${closed}/services/${canary}`
            : canary;
      await client.call('connectors.secret.set', { id: config.id, value }, tenant);
      secretsSet.set(config.id, value);
    }
    // Every kind with a credential got one (the test covers them all, not a sample).
    const withCredential = Object.entries(connectorSecrets)
      .filter(([, s]) => s.some((x) => x.slot === 'credential'))
      .map(([k]) => k);
    expect(new Set(configs.map((c) => c.kind))).toEqual(new Set(withCredential));
    await client.call('connectors.secret.set', { id: 'mail', slot: 'dkim', value: dkim }, tenant);

    // Malformed secrets are refused without being repeated.
    for (const [id, value] of [
      ['hook', `not-a-whsec-${canary}`],
      ['slack', `ftp://${canary}`],
      ['mail', `${canary}\n`],
    ] as const) {
      const refused = await core.invoke(localEvaluationPrincipal, {
        op: 'connectors.secret.set',
        tenant: 'evaluation',
        input: { id, value },
      });
      expect(refused.ok).toBe(false);
      if (!refused.ok) errors.push(refused.error.message);
    }

    // Use every connector: tests (real sends that fail or succeed), a report, an escalation.
    for (const config of configs) {
      const result = await client.call(
        'connectors.test',
        { id: config.id, ...(config.kind === 'smtp' ? { to: 'ops@acme.example' } : {}) },
        tenant,
      );
      errors.push(result.text);
    }
    await client.call(
      'reports.settings.set',
      {
        redaction: { commandArguments: true, pathPrefixes: [], actorEmails: false },
        allowedDomains: ['acme.example'],
        recipients: [],
        reportConnector: 'mail',
        escalation: { connector: 'mail-bad', to: ['oncall@acme.example'] },
      },
      tenant,
    );
    const { deliveries } = await client.call(
      'reports.deliver',
      { kind: 'operator', recipients: ['ops@acme.example'] },
      tenant,
    );
    await waitFor(async () => {
      const { deliveries: all } = await client.call('deliveries.list', {}, tenant);
      return all.find((d) => d.id === deliveries[0]!.id)?.state === 'delivered';
    });
    const { deliveries: audit } = await client.call('deliveries.list', { limit: 500 }, tenant);
    errors.push(JSON.stringify(audit));
    const rendered = await Promise.all(
      (['security', 'compliance', 'executive', 'operator'] as const).map((kind) =>
        client.call('reports.render', { kind }, tenant),
      ),
    );
    const listed = await client.call('connectors.list', {}, tenant);
    errors.push(JSON.stringify(listed));
    const exported = await client.call('evidence.export', {}, tenant);
    await waitFor(async () => (await client.call('jobs.get', { jobId: exported.jobId }, tenant)).state === 'succeeded');
    // The message that reached the SMTP server is a report too: scan it as well.
    const mailed = smtp.accepted.map((m) => m.raw.toString('utf8')).join('\n');
    expect(smtp.accepted.length).toBeGreaterThanOrEqual(2);

    const haystacks: [string, Buffer][] = [
      ...filesUnder(home).map((file) => [file, fs.readFileSync(file)] as [string, Buffer]),
      ['logs', Buffer.from(logs.join('\n'))],
      ['errors and audit views', Buffer.from(errors.join('\n'))],
      ['rendered reports', Buffer.from(JSON.stringify(rendered))],
      ['mail received by the server', Buffer.from(mailed)],
    ];
    expect(haystacks.some(([file]) => file.endsWith('-wal'))).toBe(true);
    expect(haystacks.some(([file]) => file.includes(`${path.sep}archive${path.sep}`))).toBe(true);
    const needles = [
      ...new Set([...secretsSet.values()].flatMap(forms).concat(forms(canary), [dkim.split('\n')[1] as string])),
    ];
    for (const [where, content] of haystacks) {
      for (const needle of needles) {
        expect(content.includes(needle), `${needle.slice(0, 12)}… found in ${where}`).toBe(false);
      }
    }
    // Control: the keychain does hold it, so the scan is looking for something that exists.
    const registry = new Database(path.join(home, 'registry.sqlite'), { readonly: true });
    const installId = (
      registry.prepare(`SELECT value FROM settings WHERE key = 'install_id'`).get() as { value: string }
    ).value;
    registry.close();
    const keychain = new KeychainSecretStore(installId);
    expect(keychain.get({ tenant: 'evaluation', service: 'connector/mail-bad', account: 'credential' })).toBe(canary);
    expect(keychain.get({ tenant: 'evaluation', service: 'connector/hook', account: 'credential' })).toBe(
      secretsSet.get('hook'),
    );
    expect(listed.connectors.every((c) => c.secrets.filter((s) => s.slot === 'credential').every((s) => s.set))).toBe(
      true,
    );
  });
});
