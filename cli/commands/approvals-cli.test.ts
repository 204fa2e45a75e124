import { spawn } from 'node:child_process';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action, SignedIn } from '../../core/contract';
import { approvalBinding } from '../../core/approvals';
import { localEvaluationPrincipal } from '../../core/identity';
import { createCore } from '../../core/service';
import type { LocalCoreService } from '../../core/service';
import { requireKeychain } from '../../core/gate/testing';
import { tempHome } from '../../test/support/temp-home';
import { signInOverHttp, startTestIdp } from '../../test/support/oidc-idp';
import type { TestIdp } from '../../test/support/oidc-idp';
import { rememberSession } from '../sign-in';
import { buildCliForTests, cavra } from '../adapters/testing';
import type { CliBuild } from '../adapters/testing';

// Issue 13, the adversarial review's headline finding: an agent runs as its user's OS account,
// so it can reach the reviewer's stored CLI session. Through `cavra approvals approve` it still
// cannot approve its own request: a request raised by an agent of your OS user needs a fresh
// IdP sign-in (which the agent cannot complete), bound to this request, action and verdict.
const TENANT = 'acme';
const users = { alice: { name: 'Alice Reviewer', email: 'alice@acme.example', groups: ['platform-security'] } };

let cli: CliBuild;
let idp: TestIdp;
let core: LocalCoreService;
let home: string;
let cleanup: () => void;

beforeAll(async () => {
  requireKeychain();
  [cli, idp] = await Promise.all([buildCliForTests(), startTestIdp(users)]);
  const temp = tempHome('cavra-approvals-cli-');
  home = temp.home;
  cleanup = temp.cleanup;
  core = createCore({ home, shell: 'test', log: () => undefined });
  for (const [op, tenant, input] of [
    ['tenants.create', null, { id: TENANT, displayName: 'Acme' }],
    [
      'tenants.profile.update',
      TENANT,
      {
        sso: { issuer: idp.issuer, client_id: idp.clientId, scopes: ['profile', 'email', 'groups', 'offline_access'] },
        role_mappings: [{ group: 'platform-security', roles: ['security_reviewer'] }],
      },
    ],
  ] as const) {
    const response = await core.invoke(localEvaluationPrincipal, { op, tenant, input });
    expect(response.ok, JSON.stringify(response)).toBe(true);
  }
  // Alice signed the CLI in earlier (as `cavra login --tenant acme` does): her session is on disk.
  const begun = await core.invoke(null, {
    op: 'session.begin',
    tenant: null,
    input: { tenant: TENANT, redirectUri: 'http://127.0.0.1:49154/callback' },
  });
  if (!begun.ok) throw new Error(begun.error.message);
  const flow = begun.value as { flowId: string; authorizationUrl: string };
  const callbackUrl = await signInOverHttp(flow.authorizationUrl, 'alice');
  const done = await core.invoke(null, {
    op: 'session.complete',
    tenant: null,
    input: { flowId: flow.flowId, callbackUrl },
  });
  if (!done.ok) throw new Error(done.error.message);
  rememberSession(home, TENANT, (done.value as SignedIn).sessionId);
}, 120_000);
afterAll(async () => {
  await core?.close();
  await idp?.close();
  cli?.remove();
  cleanup?.();
});

/** A request raised by an agent running as this very OS user (what the gate verifies on its socket). */
async function agentRequest(command: string): Promise<string> {
  const action: Action = { type: 'execute_command', command, cwd: '/srv/app', correlation_id: `c-${command}` };
  const opened = await core.gateHost.approvals.open({
    binding: approvalBinding(action, TENANT, null),
    route: 'default',
    ruleId: null,
    reason: 'The tenant default asks for an approval',
    requester: `os:${os.userInfo().username}`,
    requesterUid: os.userInfo().uid,
    agent: { id: 'claude-code' },
    adapter: 'claude-code',
    correlationId: `c-${command}`,
    decisionId: `dec-${command}`,
    actionType: 'execute_command',
    target: command,
    action,
    expiresInMs: 600_000,
  });
  return opened.id;
}

/** Runs `cavra approvals approve` and hands back the step-up URL it prints, with the process. */
function approveInteractively(id: string) {
  const child = spawn(
    process.execPath,
    [cli.launcher, 'approvals', 'approve', id, '--tenant', TENANT, '--no-browser'],
    {
      env: { ...process.env, CAVRA_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const found = /(http:\/\/127\.0\.0\.1:\d+\/auth\S*)/.exec(stdout);
      if (found?.[1]) resolve(found[1]);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', () => reject(new Error(`cavra exited before printing a URL: ${stdout} ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, url, exited, output: () => stdout + stderr };
}

describe('cavra approvals: the agent’s OS user cannot approve its own request', () => {
  it('refuses the stored session; only a fresh IdP sign-in for this verdict approves it', async () => {
    const id = await agentRequest('psql -c "drop table invoices"');
    // The agent holds the reviewer's stored session: the CLI is sent to the IdP instead of approving.
    const attempt = approveInteractively(id);
    const stepUp = new URL(await attempt.url);
    expect(stepUp.origin).toBe(idp.issuer);
    expect(stepUp.searchParams.get('prompt')).toBe('login');
    expect((await core.gateHost.approvals.get(TENANT, id))?.state).toBe('pending');
    // The agent cannot complete the IdP's login: it gives up, and nothing was approved.
    attempt.child.kill('SIGTERM');
    await attempt.exited;
    expect(await core.gateHost.approvals.get(TENANT, id)).toMatchObject({ state: 'pending', votes: [] });

    // Control: the person completes the fresh sign-in in the browser, and the verdict stands, attested.
    const human = approveInteractively(id);
    const callback = await signInOverHttp(await human.url, 'alice');
    const landed = await fetch(callback);
    expect(landed.status).toBe(200);
    expect(await human.exited, human.output()).toBe(0);
    expect(human.output()).toMatch(/is approved \(recorded in the evidence ledger\)/);
    const approved = await core.gateHost.approvals.get(TENANT, id);
    expect(approved?.state).toBe('approved');
    expect(approved?.votes[0]?.attestation).toMatchObject({ subject: 'alice', issuer: idp.issuer });

    // `show` prints who the IdP authenticated for the verdict.
    const shown = await cavra(cli, home, ['approvals', 'show', id, '--tenant', TENANT]);
    expect(shown.stdout).toMatch(/IdP http:\/\/127\.0\.0\.1:\d+ authenticated Alice Reviewer/);
  }, 120_000);
});
