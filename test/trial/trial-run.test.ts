import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliForTests, cavra } from '../../cli/adapters/testing';
import type { CliBuild, RunResult } from '../../cli/adapters/testing';
import { requireKeychain } from '../../core/gate/testing';
import { demoLicense, demoRevocationList } from '../support/demo-license';
import { startTestIdp } from '../support/oidc-idp';
import type { TestIdp } from '../support/oidc-idp';
import { startSmtpServer } from '../support/smtp-server';
import type { TestSmtpServer } from '../support/smtp-server';
import { tempHome } from '../support/temp-home';
import { bundledScript } from '../support/bundled-script';
import { testCertificate } from '../support/tls';

// Issue 16, acceptance 1 and 2: `cavra trial run` end to end with a real SMTP server
// (smtp-server, STARTTLS + AUTH, the password from the real Secret Service), a real OIDC
// provider (oidc-provider) where the four trial roles sign in through a headless browser,
// and the real adapters for the governed workflow. One set of servers and one CLI build
// serve every case; each case gets a fresh data directory.

const root = path.resolve(import.meta.dirname, '..', '..');
const TENANT = 'evaluation';
const password = `pw-${crypto.randomBytes(12).toString('hex')}`;
let cli: CliBuild;
let smtp: TestSmtpServer;
let idp: TestIdp;
let fixtures: { home: string; cleanup: () => void };
/** The headless browser the trial runs for each sign-in. */
let browser: string;
const homes: (() => void)[] = [];

const users = {
  eve: { name: 'Eve Evaluator', email: 'eve@acme.example', groups: ['trial-evaluators'] },
  sam: { name: 'Sam Reviewer', email: 'sam@acme.example', groups: ['security'] },
  oscar: { name: 'Oscar Operator', email: 'oscar@acme.example', groups: ['platform-ops'] },
  rita: { name: 'Rita Recipient', email: 'rita@acme.example', groups: ['report-readers'] },
};

beforeAll(async () => {
  requireKeychain();
  fixtures = tempHome('cavra-trial-fixtures-');
  [cli, smtp, idp, browser] = await Promise.all([
    buildCliForTests({ channel: 'demo' }),
    startSmtpServer({ user: 'cavra-relay', password }),
    startTestIdp(users),
    bundledScript(path.join(root, 'test', 'support', 'idp-browser.ts'), fixtures.home),
  ]);
  fs.writeFileSync(
    path.join(fixtures.home, 'license.json'),
    demoLicense({ tenant: TENANT, licenseId: 'lic-trial-ok' }),
  );
  fs.writeFileSync(
    path.join(fixtures.home, 'expired.json'),
    demoLicense({
      tenant: TENANT,
      licenseId: 'lic-trial-expired',
      notBefore: new Date(Date.now() - 40 * 86_400_000),
      expiresAt: new Date(Date.now() - 86_400_000),
    }),
  );
  fs.writeFileSync(
    path.join(fixtures.home, 'revoked.json'),
    demoRevocationList([{ licenseId: 'lic-trial-ok', reason: 'evaluation ended' }]),
  );
  fs.writeFileSync(path.join(fixtures.home, 'relay-ca.pem'), testCertificate().cert);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([smtp?.close(), idp?.close()]);
  cli?.remove();
  for (const cleanup of homes) cleanup();
  fixtures?.cleanup();
});

/** A port nothing listens on: an SMTP server that is down. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function config(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    license: path.join(fixtures.home, 'license.json'),
    idp: {
      issuer: idp.issuer,
      client_id: idp.clientId,
      scopes: ['profile', 'email', 'groups'],
      role_mappings: [
        { group: 'trial-evaluators', roles: ['evaluator', 'tenant_admin', 'compliance'] },
        { group: 'security', roles: ['security_reviewer'] },
        { group: 'platform-ops', roles: ['operator'] },
        { group: 'report-readers', roles: ['report_recipient'] },
      ],
      users: {
        evaluator: { login: 'eve' },
        security_reviewer: { login: 'sam' },
        operator: { login: 'oscar' },
        report_recipient: { login: 'rita' },
      },
      sign_in_command: [process.execPath, browser],
    },
    smtp: {
      host: '127.0.0.1',
      port: smtp.port,
      security: 'starttls',
      from: 'cavra@acme.example',
      username: 'cavra-relay',
      password_env: 'TRIAL_SMTP_PASSWORD',
      ca_file: 'relay-ca.pem',
      timeout_seconds: 5,
    },
    report_recipients: [{ email: 'rita@acme.example', name: 'Rita Recipient' }],
    repository: 'payments-service',
    workflow: { mode: 'governed', approval_wait_seconds: 60 },
    closeout: {
      pilot_decision: 'proceed',
      feedback: 'The governed workflow showed every decision type; proceed to a production pilot.',
      package_access: { removed: false, detail: 'Kept for the production pilot' },
      license: 'let_expire',
    },
    ...overrides,
  };
}

interface Outcome {
  ready: boolean;
  packetDir: string | null;
  closeoutDir: string | null;
  blockers: { validator: string; message: string }[];
  steps: { n: number; id: string; state: string; detail: string }[];
}

async function trialRun(
  settings: Record<string, unknown>,
  env: Record<string, string> = { TRIAL_SMTP_PASSWORD: password },
): Promise<{ home: string; run: RunResult; outcome: Outcome | null }> {
  const temp = tempHome('cavra-trial-run-');
  homes.push(temp.cleanup);
  const file = path.join(fixtures.home, `trial-${crypto.randomBytes(4).toString('hex')}.yaml`);
  // JSON is YAML: the file is written as JSON to keep the test free of a YAML writer.
  fs.writeFileSync(file, JSON.stringify(settings, null, 2));
  const run = await cavra(cli, temp.home, ['trial', 'run', '--config', file, '--json'], {
    cwd: root,
    env,
    timeoutMs: 110_000,
  });
  let outcome: Outcome | null = null;
  try {
    outcome = JSON.parse(run.stdout) as Outcome;
  } catch {
    outcome = null;
  }
  return { home: temp.home, run, outcome };
}

const blockerIds = (outcome: Outcome | null) => (outcome?.blockers ?? []).map((b) => b.validator).sort();

describe('cavra trial run (headless trial)', () => {
  let readyPacket = '';
  let readyHome = '';

  it('with SSO, SMTP and the governed workflow: all nine steps complete and the packet is ready and verifies offline', async () => {
    const { home, run, outcome } = await trialRun(config());
    expect(outcome, run.stderr).not.toBeNull();
    const steps = outcome?.steps ?? [];
    for (const step of steps) expect(step.state, `step ${step.n} ${step.id}: ${step.detail}`).toBe('complete');
    expect(outcome?.blockers, run.stderr).toEqual([]);
    expect(outcome?.ready).toBe(true);
    expect(run.code).toBe(0);
    // The report reached the real SMTP server for the recipient group, over TLS with AUTH.
    const reports = smtp.accepted.filter((mail) => mail.parsed.subject?.startsWith('Executive posture summary'));
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(reports[0]).toMatchObject({ secure: true, user: 'cavra-relay', envelopeTo: ['rita@acme.example'] });

    readyPacket = outcome?.packetDir as string;
    readyHome = home;
    const key = await cavra(cli, home, ['evidence', 'key']);
    fs.writeFileSync(path.join(home, 'tenant-key.pub'), key.stdout);
    // Offline: no gate, no servers consulted; the tenant key pinned.
    const verified = await cavra(cli, home, [
      'packet',
      'verify',
      readyPacket,
      '--trusted-key',
      path.join(home, 'tenant-key.pub'),
    ]);
    expect(verified.code, verified.stdout).toBe(0);
    expect(verified.stdout).toMatch(/ready_for_aispm_production {2}true/);
    expect(verified.stdout).toMatch(/pinned with --trusted-key/);
    // Step 9: the closeout packet verifies offline too.
    const closeout = await cavra(cli, home, [
      'packet',
      'verify',
      outcome?.closeoutDir as string,
      '--trusted-key',
      path.join(home, 'tenant-key.pub'),
    ]);
    expect(closeout.code, closeout.stdout).toBe(0);
  }, 110_000);

  it('a packet hand-edited to say ready fails verification', async () => {
    expect(readyPacket).not.toBe('');
    // A copy of the ready packet whose signed content is rewritten: a blocker added, then ready restored.
    const readable = path.join(readyPacket, 'packet.json');
    const packet = JSON.parse(fs.readFileSync(readable, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(
      readable,
      JSON.stringify({ ...packet, ready_for_aispm_production: true, blockers: [], edited_by: 'someone' }),
    );
    const edited = await cavra(cli, readyHome, ['packet', 'verify', readyPacket]);
    expect(edited.code).toBe(2);
    expect(edited.stdout).toMatch(/VERIFICATION FAILED/);
  });

  let simulated: string[] = [];

  it('workflow actions only simulated (adapters bypassed): not ready, runtime-workflow blockers', async () => {
    const { run, outcome } = await trialRun(config({ workflow: { mode: 'simulated' } }));
    expect(run.code, run.stderr).toBe(2);
    expect(outcome?.ready).toBe(false);
    // Everything else as in the ready run; what only real adapter traffic proves is missing.
    simulated = blockerIds(outcome);
    expect(simulated).toEqual(['agent_workflows', 'containment', 'live_ingestion', 'runtime_enforcement']);
    const workflows = outcome?.blockers.find((b) => b.validator === 'agent_workflows');
    expect(workflows?.message).toMatch(/6 decisions recorded by policy\.evaluate were not intercepted/);
    expect(outcome?.steps.find((s) => s.id === 'workflow')?.state).toBe('incomplete');
  }, 110_000);

  it('SMTP server down: not ready, a report-delivery blocker naming the failed attempts', async () => {
    expect(simulated).not.toEqual([]);
    const settings = config({ workflow: { mode: 'simulated' } });
    const { run, outcome } = await trialRun({
      ...settings,
      smtp: { ...(settings.smtp as object), port: await closedPort() },
    });
    expect(run.code, run.stderr).toBe(2);
    expect(outcome?.ready).toBe(false);
    // The same run as the simulated one, with the relay down: exactly the two delivery blockers more.
    expect(blockerIds(outcome)).toEqual([...simulated, 'connector_delivery', 'report_delivery'].sort());
    const report = outcome?.blockers.find((b) => b.validator === 'report_delivery');
    expect(report?.message).toMatch(/failed attempts: delivery \S+ attempt 1 via trial-mail/);
  }, 110_000);

  it('the local evaluation identity instead of SSO: not ready, an identity blocker', async () => {
    expect(simulated).not.toEqual([]);
    const { idp: _omitted, ...settings } = config({ workflow: { mode: 'simulated' } });
    void _omitted;
    const { run, outcome } = await trialRun(settings);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/every role is the local evaluation identity/);
    expect(blockerIds(outcome)).toEqual([...simulated, 'identity'].sort());
    expect(outcome?.blockers.find((b) => b.validator === 'identity')?.message).toMatch(/SSO|sign/i);
  }, 110_000);

  it('an expired license, and a revoked one, block before anything else runs', async () => {
    // Without SSO (the license blocks whoever imports it): both runs stop before any sign-in.
    const { idp: _omitted, ...local } = config();
    void _omitted;
    const expired = await trialRun({ ...local, license: path.join(fixtures.home, 'expired.json') });
    expect(expired.run.code).not.toBe(0);
    expect(`${expired.run.stdout}${expired.run.stderr}`).toMatch(/license.*expired/i);
    const revoked = await trialRun({ ...local, revocations: path.join(fixtures.home, 'revoked.json') });
    expect(revoked.run.code).toBe(2);
    expect(revoked.outcome?.ready).toBe(false);
    expect(revoked.outcome?.packetDir).toBeNull();
    expect(revoked.outcome?.blockers).toEqual([
      { validator: 'license', message: expect.stringMatching(/revoked|suspended/i) },
    ]);
  }, 110_000);

  it('configuration mistakes are listed at once, each naming its field; nothing runs', async () => {
    const { smtp: mail, ...settings } = config();
    const { run } = await trialRun(
      {
        ...settings,
        smtp: { ...(mail as object), port: 'twenty-five' },
        idp: { ...(settings.idp as object), users: {} },
      },
      {},
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/smtp\.port: must be a number/);
    expect(run.stderr).toMatch(/idp\.users\.evaluator: is required/);
    const unset = await trialRun(config(), {});
    expect(unset.run.code).toBe(1);
    expect(unset.run.stderr).toMatch(/smtp\.password_env: the environment variable TRIAL_SMTP_PASSWORD is not set/);
  });
});
