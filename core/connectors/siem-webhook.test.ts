import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContractClient } from '../contract';
import type { CoreService } from '../service';
import { coreClient, waitFor } from '../../test/support/contract-client';
import { startHttpsReceiver } from '../../test/support/https-receiver';
import { tempHome } from '../../test/support/temp-home';
import { testCertificate } from '../../test/support/tls';
import { licenseTenant } from '../../test/support/demo-license';

// Acceptance 3 (issue 14): RFC 5424 over TCP+TLS reaches Debian's rsyslog, started here on an
// ephemeral loopback port, and rsyslog parses it as RFC 5424; a webhook's signature verifies
// with the Standard Webhooks reference library in the receiver.

interface Rsyslog {
  port: number;
  output: string;
  stop(): Promise<void>;
}

/** rsyslogd in the foreground with a private config: imtcp over the OpenSSL TLS driver. */
async function startRsyslog(dir: string): Promise<Rsyslog> {
  const { certFile, keyFile } = testCertificate();
  const output = path.join(dir, 'received.jsonl');
  const portFile = path.join(dir, 'port');
  const conf = path.join(dir, 'rsyslog.conf');
  fs.writeFileSync(
    conf,
    `global(workDirectory="${dir}" maxMessageSize="64k"
  defaultNetstreamDriverCAFile="${certFile}" defaultNetstreamDriverCertFile="${certFile}" defaultNetstreamDriverKeyFile="${keyFile}")
module(load="imtcp" streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon")
template(name="fields" type="list") {
  constant(value="{\\"version\\":\\"") property(name="protocol-version" format="json")
  constant(value="\\",\\"pri\\":\\"") property(name="pri" format="json")
  constant(value="\\",\\"app\\":\\"") property(name="app-name" format="json")
  constant(value="\\",\\"procid\\":\\"") property(name="procid" format="json")
  constant(value="\\",\\"msgid\\":\\"") property(name="msgid" format="json")
  constant(value="\\",\\"sd\\":\\"") property(name="structured-data" format="json")
  constant(value="\\",\\"time\\":\\"") property(name="timereported" dateFormat="rfc3339" format="json")
  constant(value="\\",\\"msg\\":\\"") property(name="msg" format="json")
  constant(value="\\"}\\n")
}
ruleset(name="cavra") { action(type="omfile" file="${output}" template="fields") }
input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="${portFile}" ruleset="cavra")
`,
  );
  const child: ChildProcess = spawn('rsyslogd', ['-n', '-f', conf, '-i', path.join(dir, 'rsyslogd.pid')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  const port = await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`rsyslogd exited: ${log}`);
    const text = fs.existsSync(portFile) ? fs.readFileSync(portFile, 'utf8').trim() : '';
    return /^\d+$/.test(text) && text !== '0' ? Number(text) : null;
  }, 15_000);
  return {
    port,
    output,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('SIEM and webhook connectors against real receivers', () => {
  let home: string;
  let cleanup: () => void;
  let core: CoreService;
  let client: ContractClient;
  const tenant = { tenant: 'evaluation' };

  beforeAll(async () => {
    ({ home, cleanup } = tempHome());
    ({ core, client } = coreClient(home));
    await licenseTenant(client, 'evaluation');
  });
  afterAll(async () => {
    await core.close();
    cleanup();
  });

  it('delivers well-formed RFC 5424 over TLS to rsyslog', async () => {
    const dir = fs.mkdtempSync(path.join(home, 'rsyslog-'));
    const rsyslog = await startRsyslog(dir);
    try {
      await client.call(
        'connectors.save',
        {
          id: 'siem',
          name: 'SIEM',
          kind: 'syslog',
          settings: { host: '127.0.0.1', port: rsyslog.port, ca: testCertificate().cert, appName: 'cavra' },
        },
        tenant,
      );
      const result = await client.call('connectors.test', { id: 'siem' }, tenant);
      expect(result, result.text).toMatchObject({ ok: true, code: 'TLS' });
      const line = await waitFor(async () => {
        const text = fs.existsSync(rsyslog.output) ? fs.readFileSync(rsyslog.output, 'utf8').trim() : '';
        return text === '' ? null : text.split('\n')[0];
      });
      const parsed = JSON.parse(line as string) as Record<string, string>;
      // rsyslog fills these only when it parsed the message as RFC 5424.
      expect(parsed.version).toBe('1');
      expect(parsed.pri).toBe(String(13 * 8 + 6));
      expect(parsed.app).toBe('cavra');
      expect(parsed.procid).toBe(String(process.pid));
      expect(parsed.msgid).toBe('cavra.connector.test');
      expect(parsed.sd).toMatch(
        /^\[cavra@32473 tenant="evaluation" delivery="dlv_[0-9a-f-]{36}" key="test:siem:[0-9a-f-]{36}" type="cavra\.connector\.test"\]$/,
      );
      expect(parsed.msg).toContain('CAVRA connector test (SIEM): This is a test message');
      expect(Date.parse(parsed.time as string)).not.toBeNaN();
    } finally {
      await rsyslog.stop();
    }
  });

  it('refuses a syslog receiver whose certificate it does not trust', async () => {
    const dir = fs.mkdtempSync(path.join(home, 'rsyslog-'));
    const rsyslog = await startRsyslog(dir);
    try {
      await client.call(
        'connectors.save',
        { id: 'siem-untrusted', name: 'SIEM', kind: 'syslog', settings: { host: '127.0.0.1', port: rsyslog.port } },
        tenant,
      );
      const result = await client.call('connectors.test', { id: 'siem-untrusted' }, tenant);
      expect(result.ok).toBe(false);
      expect(result.text).toMatch(/certificate .* is not trusted/);
      expect(fs.existsSync(rsyslog.output)).toBe(false);
    } finally {
      await rsyslog.stop();
    }
  });

  it('signs webhooks so the Standard Webhooks library verifies them, and a changed body does not verify', async () => {
    const receiver = await startHttpsReceiver();
    const secret = `whsec_${crypto.randomBytes(32).toString('base64')}`;
    try {
      await client.call(
        'connectors.save',
        {
          id: 'hook',
          name: 'Witness',
          kind: 'webhook',
          settings: { url: `${receiver.url}/in`, ca: testCertificate().cert },
        },
        tenant,
      );
      const unset = await client.call('connectors.test', { id: 'hook' }, tenant);
      expect(unset).toMatchObject({ ok: false });
      expect(unset.text).toMatch(/signing secret is not set/);
      expect(receiver.requests).toHaveLength(0);
      await client.call('connectors.secret.set', { id: 'hook', value: secret }, tenant);
      const sent = await client.call('connectors.test', { id: 'hook' }, tenant);
      expect(sent).toMatchObject({ ok: true, code: '200' });
      const request = receiver.requests[0]!;
      const headers = request.headers as Record<string, string>;
      expect(headers['webhook-id']).toMatch(/^test:hook:/);
      const event = new Webhook(secret).verify(request.body, headers) as { type: string; data: { tenant: string } };
      expect(event).toMatchObject({ type: 'cavra.connector.test', data: { tenant: 'evaluation' } });
      expect(() => new Webhook(secret).verify(request.body.replace('evaluation', 'evaluatioN'), headers)).toThrow();
      expect(() =>
        new Webhook(`whsec_${crypto.randomBytes(32).toString('base64')}`).verify(request.body, headers),
      ).toThrow();
      // A 5xx is worth another try; a 4xx is final. Both say what the server answered.
      receiver.respondWith(503, 'busy');
      const busy = await client.call('connectors.test', { id: 'hook' }, tenant);
      expect(busy).toMatchObject({ ok: false, code: '503' });
      expect(busy.text).toContain('503');
    } finally {
      await receiver.close();
    }
  });
});
