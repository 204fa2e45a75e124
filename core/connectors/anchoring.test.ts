import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContractClient } from '../contract';
import type { CoreService } from '../service';
import { coreClient, waitFor } from '../../test/support/contract-client';
import { startHttpsReceiver } from '../../test/support/https-receiver';
import type { HttpsReceiver } from '../../test/support/https-receiver';
import { startSmtpServer } from '../../test/support/smtp-server';
import type { TestSmtpServer } from '../../test/support/smtp-server';
import { tempHome } from '../../test/support/temp-home';
import { testCertificate } from '../../test/support/tls';
import { licenseTenant } from '../../test/support/demo-license';

// Checkpoint anchoring (issue 14): every new signed checkpoint goes through the outbox to each
// anchor — a witness file, a webhook witness, the compliance mailbox — exactly once per anchor.

describe('checkpoint anchoring through the outbox', () => {
  let home: string;
  let cleanup: () => void;
  let core: CoreService;
  let client: ContractClient;
  let receiver: HttpsReceiver;
  let smtp: TestSmtpServer;
  const tenant = { tenant: 'evaluation' };
  const secret = `whsec_${crypto.randomBytes(32).toString('base64')}`;
  const password = `pw-${crypto.randomBytes(8).toString('hex')}`;
  let witnessFile: string;

  beforeAll(async () => {
    ({ home, cleanup } = tempHome());
    witnessFile = path.join(home, 'witness', 'evaluation.jsonl');
    receiver = await startHttpsReceiver();
    smtp = await startSmtpServer({ user: 'relay', password });
    ({ core, client } = coreClient(home, { deliveries: { run: true, tickMs: 50 } }));
    await licenseTenant(client, 'evaluation');
    const ca = testCertificate().cert;
    await client.call(
      'connectors.save',
      { id: 'witness', name: 'Witness file', kind: 'witness_file', anchor: true, settings: { path: witnessFile } },
      tenant,
    );
    await client.call(
      'connectors.save',
      {
        id: 'hook',
        name: 'Webhook witness',
        kind: 'webhook',
        anchor: true,
        settings: { url: `${receiver.url}/witness`, ca },
      },
      tenant,
    );
    await client.call('connectors.secret.set', { id: 'hook', value: secret }, tenant);
    await client.call(
      'connectors.save',
      {
        id: 'mailbox',
        name: 'Compliance mailbox',
        kind: 'smtp',
        anchor: true,
        settings: {
          host: '127.0.0.1',
          port: smtp.port,
          security: 'starttls',
          from: 'cavra@acme.example',
          username: 'relay',
          ca,
          anchorTo: 'evidence@acme.example',
        },
      },
      tenant,
    );
    await client.call('connectors.secret.set', { id: 'mailbox', value: password }, tenant);
  });
  afterAll(async () => {
    await core.close();
    await receiver.close();
    await smtp.close();
    cleanup();
  });

  it('appends only to a .jsonl witness file, never through a symlink', async () => {
    const refused = await client
      .call(
        'connectors.save',
        { id: 'rc', name: 'x', kind: 'witness_file', anchor: true, settings: { path: path.join(home, '.bashrc') } },
        tenant,
      )
      .catch((error: Error) => error.message);
    expect(refused).toMatch(/settings\.path: must name a \.jsonl file/);
    const target = path.join(home, 'victim.txt');
    fs.writeFileSync(target, 'untouched\n');
    const link = path.join(home, 'link.jsonl');
    fs.symlinkSync(target, link);
    await client.call(
      'connectors.save',
      { id: 'linked', name: 'x', kind: 'witness_file', anchor: true, settings: { path: link } },
      tenant,
    );
    await client.call('policy.evaluate', { action: { type: 'execute_command', command: 'npm test' } }, tenant);
    const exported = await client.call('evidence.export', {}, tenant);
    await waitFor(async () => (await client.call('jobs.get', { jobId: exported.jobId }, tenant)).state === 'succeeded');
    const failed = await waitFor(async () => {
      const { deliveries } = await client.call('deliveries.list', { connectorId: 'linked' }, tenant);
      return deliveries.find((d) => d.history.length > 0) ?? null;
    });
    expect(failed.history[0]).toMatchObject({ outcome: 'failed', code: 'ELOOP' });
    expect(fs.readFileSync(target, 'utf8')).toBe('untouched\n');
    await client.call('connectors.remove', { id: 'linked' }, tenant);
  });

  it('delivers each new signed checkpoint once to every anchor', async () => {
    await client.call('policy.evaluate', { action: { type: 'execute_command', command: 'npm test' } }, tenant);
    const exported = await client.call('evidence.export', {}, tenant); // signs a checkpoint first
    await waitFor(async () => (await client.call('jobs.get', { jobId: exported.jobId }, tenant)).state === 'succeeded');
    const status = await client.call('evidence.status', {}, tenant);
    const checkpoint = status.lastCheckpoint!;
    const anchored = await waitFor(async () => {
      const { deliveries } = await client.call('deliveries.list', { purpose: 'anchor' }, tenant);
      const done = deliveries.filter((d) => d.state === 'delivered' && d.subject.endsWith(`size ${checkpoint.size}`));
      return done.length === 3 ? done : null;
    });
    expect(anchored.map((d) => d.connectorId).sort()).toEqual(['hook', 'mailbox', 'witness']);

    const lines = fs
      .readFileSync(witnessFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const line = lines.find((l) => l.size === checkpoint.size);
    expect(line).toMatchObject({
      type: 'cavra.checkpoint',
      tenant: 'evaluation',
      origin: status.origin,
      root: checkpoint.root,
      key_id: checkpoint.keyId,
    });
    expect(String(line?.note)).toContain(`${status.origin}\n${checkpoint.size}\n${checkpoint.root}\n`);

    const hook = receiver.requests.find((r) => r.body.includes(`"size":${checkpoint.size}`));
    const event = new Webhook(secret).verify(hook!.body, hook!.headers as Record<string, string>) as {
      data: { root: string };
    };
    expect(event.data.root).toBe(checkpoint.root);

    const mail = smtp.accepted.find(
      (m) => m.envelopeTo.includes('evidence@acme.example') && m.parsed.subject?.endsWith(`size ${checkpoint.size}`),
    );
    expect(mail?.parsed.text).toContain(checkpoint.root);
    expect(mail?.parsed.attachments[0]?.filename).toBe(`checkpoint-evaluation-${checkpoint.size}.json`);

    // Running the producer again anchors nothing twice.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const again = await client.call('deliveries.list', { purpose: 'anchor' }, tenant);
    expect(again.deliveries.filter((d) => d.subject.endsWith(`size ${checkpoint.size}`))).toHaveLength(3);
    expect(
      fs
        .readFileSync(witnessFile, 'utf8')
        .trim()
        .split('\n')
        .filter((l) => l.includes(`"size":${checkpoint.size},`)),
    ).toHaveLength(1);
  });
});
