import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContractClient } from '../contract';
import type { CoreService } from '../service';
import { coreClient, deliveryIn } from '../../test/support/contract-client';
import { startHttpsReceiver } from '../../test/support/https-receiver';
import type { HttpsReceiver } from '../../test/support/https-receiver';
import { startSmtpServer } from '../../test/support/smtp-server';
import type { TestSmtpServer } from '../../test/support/smtp-server';
import { tempHome } from '../../test/support/temp-home';
import { testCertificate } from '../../test/support/tls';
import { licenseTenant } from '../../test/support/demo-license';

// Acceptance 2 (issue 14): with the server down, attempts are retried with backoff and each is
// a ledger record; after the limit the escalation route is notified; when the server is back a
// retry delivers; a worker killed mid-delivery loses nothing and the server counts no duplicate.

const tenant = { tenant: 'evaluation' };
const user = 'relay';
const password = `pw-${crypto.randomBytes(9).toString('hex')}`;
const webhookSecret = `whsec_${crypto.randomBytes(32).toString('base64')}`;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function configure(client: ContractClient, smtpPort: number, witness: HttpsReceiver): Promise<void> {
  await client.call(
    'connectors.save',
    {
      id: 'mail',
      name: 'Relay',
      kind: 'smtp',
      retry: { maxAttempts: 3, baseDelaySeconds: 0.3 },
      settings: {
        host: '127.0.0.1',
        port: smtpPort,
        security: 'starttls',
        from: 'cavra@acme.example',
        username: user,
        ca: testCertificate().cert,
        timeoutSeconds: 5,
      },
    },
    tenant,
  );
  await client.call('connectors.secret.set', { id: 'mail', value: password }, tenant);
  await client.call(
    'connectors.save',
    {
      id: 'oncall',
      name: 'On-call webhook',
      kind: 'webhook',
      settings: { url: `${witness.url}/hooks/cavra`, ca: testCertificate().cert },
    },
    tenant,
  );
  await client.call('connectors.secret.set', { id: 'oncall', value: webhookSecret }, tenant);
  await client.call(
    'reports.settings.set',
    {
      redaction: { commandArguments: true, pathPrefixes: [], actorEmails: true },
      allowedDomains: ['acme.example'],
      recipients: [],
      reportConnector: 'mail',
      escalation: { connector: 'oncall', to: [] },
    },
    tenant,
  );
}

describe('outbox faults: server down, escalation, recovery', () => {
  let home: string;
  let cleanup: () => void;
  let core: CoreService;
  let client: ContractClient;
  let receiver: HttpsReceiver;
  let smtp: TestSmtpServer | null = null;
  let port: number;

  beforeAll(async () => {
    ({ home, cleanup } = tempHome());
    receiver = await startHttpsReceiver();
    port = await freePort();
    ({ core, client } = coreClient(home, { deliveries: { run: true, tickMs: 50 } }));
    await licenseTenant(client, 'evaluation');
    await configure(client, port, receiver);
  });
  afterAll(async () => {
    await core.close();
    await smtp?.close();
    await receiver.close();
    cleanup();
  });

  it('retries with growing waits, records every attempt, escalates after the limit, and a retry delivers once the server is back', async () => {
    const { deliveries } = await client.call(
      'reports.deliver',
      { kind: 'security', recipients: ['sec@acme.example'] },
      tenant,
    );
    const id = deliveries[0]!.id;
    const failed = await deliveryIn(client, 'evaluation', id, 'failed');
    expect(failed.attempts).toBe(3);
    expect(failed.history.map((a) => a.outcome)).toEqual(['failed', 'failed', 'failed']);
    expect(failed.history.every((a) => /ECONNREFUSED|Could not deliver/.test(`${a.code} ${a.text}`))).toBe(true);
    // Equal jitter keeps each wait at least ½ of base·2^(n-1): ≥ 0.15 s, then ≥ 0.3 s (a busy
    // machine only makes them longer; backoff.test.ts checks the exact windows).
    const at = failed.history.map((a) => Date.parse(a.at));
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(150);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(300);

    // Each attempt is its own ledger record, without secret or content.
    for (const attempt of failed.history) {
      const record = await client.call('evidence.record', { seq: attempt.evidenceSeq as number }, tenant);
      expect(record.payload).toMatchObject({
        delivery_id: id,
        event: 'attempt',
        outcome: 'failed',
        attempt: attempt.attempt,
      });
      expect(JSON.stringify(record.payload)).not.toContain(password);
      expect(JSON.stringify(record.payload)).not.toContain('Security report');
    }

    // The escalation route (a signed webhook) was told, and its signature verifies.
    expect(failed.escalationId).toMatch(/^dlv_/);
    await deliveryIn(client, 'evaluation', failed.escalationId as string, 'delivered');
    const escalation = receiver.requests.find((r) => r.body.includes('cavra.delivery.escalated'));
    expect(escalation).toBeDefined();
    const payload = new Webhook(webhookSecret).verify(
      escalation!.body,
      escalation!.headers as Record<string, string>,
    ) as {
      type: string;
      data: { delivery: string; attempts: number };
    };
    expect(payload).toMatchObject({ type: 'cavra.delivery.escalated', data: { delivery: id, attempts: 3 } });
    const escalatedRecord = await client.call('evidence.query', { types: ['delivery'], limit: 100 }, tenant);
    expect(escalatedRecord.records.some((r) => r.summary.includes(`${id} escalated`))).toBe(true);

    // The server comes back; a retry from the audit delivers, numbering attempts on.
    smtp = await startSmtpServer({ user, password, port });
    const retried = await client.call('deliveries.retry', { id }, tenant);
    expect(retried.state).toBe('queued');
    const delivered = await deliveryIn(client, 'evaluation', id, 'delivered');
    expect(delivered.history.map((a) => a.outcome)).toEqual(['failed', 'failed', 'failed', 'accepted']);
    expect(smtp.accepted).toHaveLength(1);
    expect(smtp.accepted[0]!.parsed.subject).toContain('Security report');
  });

  it('reports a wrong password as an authentication failure and a server without STARTTLS as refused, without crashing', async () => {
    const plain = await startSmtpServer({ user, password, starttls: false });
    const wrong = await startSmtpServer({ user, password: 'something-else' });
    try {
      const base = {
        name: 'x',
        kind: 'smtp' as const,
        settings: {
          host: '127.0.0.1',
          security: 'starttls' as const,
          from: 'cavra@acme.example',
          username: user,
          ca: testCertificate().cert,
        },
      };
      await client.call(
        'connectors.save',
        { ...base, id: 'plain', settings: { ...base.settings, port: plain.port } },
        tenant,
      );
      await client.call(
        'connectors.save',
        { ...base, id: 'wrong', settings: { ...base.settings, port: wrong.port } },
        tenant,
      );
      await client.call('connectors.secret.set', { id: 'plain', value: password }, tenant);
      await client.call('connectors.secret.set', { id: 'wrong', value: password }, tenant);
      const refused = await client.call('connectors.test', { id: 'plain', to: 'ops@acme.example' }, tenant);
      expect(refused.ok).toBe(false);
      expect(refused.text).toMatch(/does not offer STARTTLS.*never sends mail or credentials in clear text/);
      expect(plain.accepted).toHaveLength(0);
      const denied = await client.call('connectors.test', { id: 'wrong', to: 'ops@acme.example' }, tenant);
      expect(denied.ok).toBe(false);
      expect(denied.code).toBe('535');
      expect(denied.text).toMatch(
        /^Authentication failed at 127\.0\.0\.1:\d+: the server refused the user name or password/,
      );
      expect(denied.text).not.toContain(password);
      expect(denied.evidenceSeq).not.toBeNull();
    } finally {
      await plain.close();
      await wrong.close();
    }
  });
});

const repo = path.resolve(import.meta.dirname, '..', '..');

/** A separate process running only the delivery worker over `home`, as the console would. */
function startWorkerProcess(home: string): ChildProcess {
  const entry = path.join(repo, 'core', 'service', 'index.ts');
  const script = `
    import { createCore } from ${JSON.stringify(entry)};
    createCore({ home: ${JSON.stringify(home)}, shell: 'test', log: () => {}, deliveries: { run: true, tickMs: 50 } });
    process.stdout.write('worker ready\\n');
    setInterval(() => {}, 1000);`;
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repo,
    env: process.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

describe('outbox crash: the worker is killed mid-delivery', () => {
  it('loses nothing and the server counts each message once', async () => {
    const { home, cleanup } = tempHome();
    const receiver = await startHttpsReceiver();
    const smtp = await startSmtpServer({ user, password, hold: true });
    const { core, client } = coreClient(home);
    let worker: ChildProcess | null = null;
    try {
      await licenseTenant(client, 'evaluation');
      await configure(client, smtp.port, receiver);
      const recipients = ['a@acme.example', 'b@acme.example', 'c@acme.example'];
      const { deliveries } = await client.call('reports.deliver', { kind: 'compliance', recipients }, tenant);
      expect(deliveries.map((d) => d.state)).toEqual(['queued', 'queued', 'queued']);

      worker = startWorkerProcess(home);
      const held = smtp.nextHeld();
      await held; // a message's data has fully reached the server; its 250 is not yet sent
      worker.kill('SIGKILL');
      await new Promise((resolve) => worker?.once('exit', resolve));
      smtp.release(); // the server finds the client gone and discards what it held
      expect(smtp.accepted).toHaveLength(0);
      const inFlight = await client.call('deliveries.list', {}, tenant);
      expect(inFlight.deliveries.some((d) => d.state === 'sending')).toBe(true);

      worker = startWorkerProcess(home);
      for (const delivery of deliveries) await deliveryIn(client, 'evaluation', delivery.id, 'delivered', 30_000);
      expect(smtp.accepted).toHaveLength(3);
      expect(smtp.accepted.map((m) => m.envelopeTo[0]).sort()).toEqual(recipients);
      for (const mail of smtp.accepted) expect(smtp.countMessageId(mail.parsed.messageId as string)).toBe(1);
      const after = await client.call('deliveries.list', {}, tenant);
      const interrupted = after.deliveries.flatMap((d) => d.history).filter((a) => a.outcome === 'interrupted');
      expect(interrupted.length).toBeGreaterThanOrEqual(1);
      const record = await client.call('evidence.record', { seq: interrupted[0]!.evidenceSeq as number }, tenant);
      expect(record.payload).toMatchObject({ event: 'attempt', outcome: 'interrupted' });
    } finally {
      worker?.kill('SIGKILL');
      await core.close();
      await smtp.close();
      await receiver.close();
      cleanup();
    }
  }, 60_000);
});
