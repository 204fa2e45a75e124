import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionPayload } from '../../core/contract';
import { localEvaluationPrincipal } from '../../core/identity';
import { createCore } from '../../core/service';
import type { LocalCoreService } from '../../core/service';
import { startGate } from '../../core/gate';
import type { RunningGate } from '../../core/gate';
import type { EvidenceLedgers } from '../../core/evidence';
import { requireKeychain } from '../../core/gate/testing';
import { tempHome } from '../../test/support/temp-home';
import { signInToCore, startTestIdp } from '../../test/support/oidc-idp';
import type { TestIdp } from '../../test/support/oidc-idp';
import { rememberSession } from '../sign-in';
import { buildCliForTests, cavra } from '../adapters/testing';
import type { CliBuild } from '../adapters/testing';

// `cavra agents enroll --tenant T`: without it no adapter can act in an SSO-onboarded tenant
// (the install's credential is bound to the default tenant). A tenant admin signed in through
// the IdP enrols this install's adapters in T; a hook decision then lands in T's ledger, and
// the credential acts nowhere else.
const TENANT = 'acme';
const users = {
  tara: { name: 'Tara Admin', email: 'tara@acme.example', groups: ['platform-admins'] },
  sam: { name: 'Sam Reviewer', email: 'sam@acme.example', groups: ['platform-security'] },
};

let cli: CliBuild;
let idp: TestIdp;
let core: LocalCoreService;
let gate: RunningGate;
let home: string;
let workspace: string;
let cleanup: () => void;

async function signIn(user: keyof typeof users): Promise<string> {
  return (await signInToCore(core, TENANT, user, 'http://127.0.0.1:49154/callback')).sessionId;
}

beforeAll(async () => {
  requireKeychain();
  [cli, idp] = await Promise.all([buildCliForTests(), startTestIdp(users)]);
  const temp = tempHome('cavra-agents-enroll-');
  home = temp.home;
  cleanup = temp.cleanup;
  workspace = fs.mkdtempSync(path.join(path.dirname(home), 'cavra-agents-ws-'));
  core = createCore({ home, shell: 'test', log: () => undefined });
  for (const [op, tenant, input] of [
    ['tenants.create', null, { id: TENANT, displayName: 'Acme' }],
    [
      'tenants.profile.update',
      TENANT,
      {
        sso: { issuer: idp.issuer, client_id: idp.clientId, scopes: ['profile', 'email', 'groups', 'offline_access'] },
        role_mappings: [
          { group: 'platform-admins', roles: ['tenant_admin'] },
          { group: 'platform-security', roles: ['security_reviewer'] },
        ],
      },
    ],
  ] as const) {
    const response = await core.invoke(localEvaluationPrincipal, { op, tenant, input });
    expect(response.ok, JSON.stringify(response)).toBe(true);
  }
  gate = await startGate({ host: core.gateHost, httpPort: false, approvalWaitMs: 1_000, log: () => undefined });
}, 120_000);

afterAll(async () => {
  await gate?.close();
  await core?.close();
  await idp?.close();
  cli?.remove();
  cleanup?.();
  if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
});

/** A Read through the real `cavra hook claude-code` process; its exit code and what it said. */
async function hookRead(env: NodeJS.ProcessEnv, marker: string) {
  const result = await cavra(cli, home, ['hook', 'claude-code'], {
    env,
    input: JSON.stringify({
      session_id: marker,
      cwd: workspace,
      hook_event_name: 'PreToolUse',
      tool_name: 'Read',
      tool_input: { file_path: path.join(workspace, 'README.md') },
    }),
  });
  const decision =
    result.code === 0 ? (JSON.parse(result.stdout) as { hookSpecificOutput: Record<string, string> }) : null;
  return {
    ...result,
    decision: decision?.hookSpecificOutput.permissionDecision ?? null,
    said: decision?.hookSpecificOutput.permissionDecisionReason ?? result.stderr,
  };
}

/** Decision records of `tenant` for the hook session `marker`. */
function decisionsOf(tenant: string, marker: string): DecisionPayload[] {
  const ledger = (core.gateHost.ledgers as unknown as EvidenceLedgers).ledger(tenant);
  return ledger
    .query({ types: ['decision'], limit: 500 })
    .records.map((summary) => ledger.record(summary.seq)?.payload as DecisionPayload)
    .filter((payload) => payload.agent?.session === marker);
}

const tokenFile = () => path.join(home, 'gate', 'agents', `${TENANT}.token`);

describe('cavra agents enroll --tenant', () => {
  it('before any enrolment, an adapter acting in the tenant is refused with the command that fixes it', async () => {
    const result = await hookRead({ CAVRA_TENANT: TENANT }, 'before-enrolment');
    expect(result.decision).toBe('deny');
    expect(result.said).toMatch(/bound to tenant "evaluation", not "acme".*cavra agents enroll --tenant acme/);
    expect(decisionsOf(TENANT, 'before-enrolment')).toEqual([]);
  });

  it('is refused to a person without tenant_admin or operator in the tenant, and nothing is written', async () => {
    rememberSession(home, TENANT, await signIn('sam'));
    const result = await cavra(cli, home, ['agents', 'enroll', '--tenant', TENANT]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/tenant_admin, operator/);
    expect(fs.existsSync(tokenFile())).toBe(false);
  }, 60_000);

  it('enrols in the tenant: the hook acts there, its decision lands in that ledger only, and the credential is refused elsewhere', async () => {
    rememberSession(home, TENANT, await signIn('tara'));
    const enrolled = await cavra(cli, home, ['agents', 'enroll', '--tenant', TENANT, '--label', 'ci runner', '--json']);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const view = JSON.parse(enrolled.stdout) as { id: string; tenant: string; label: string; file: string };
    expect(view).toMatchObject({ tenant: TENANT, label: 'ci runner', file: tokenFile() });
    // The secret is in a 0600 file only: never printed, never in the registry.
    const token = fs.readFileSync(tokenFile(), 'utf8').trim();
    expect(token.startsWith(`${view.id}_`)).toBe(true);
    expect(fs.statSync(tokenFile()).mode & 0o777).toBe(0o600);
    expect(enrolled.stdout).not.toContain(token.split('_').slice(1).join('_'));
    const registry = fs.readFileSync(path.join(home, 'registry.sqlite'));
    expect(registry.includes(Buffer.from(token.slice(view.id.length + 1)))).toBe(false);

    // The enrolment is evidence in the tenant, recorded by the person who did it.
    const ledger = (core.gateHost.ledgers as unknown as EvidenceLedgers).ledger(TENANT);
    const changes = ledger
      .query({ types: ['config_change'], limit: 100 })
      .records.map((s) => ledger.record(s.seq)?.payload as { change: string; credential?: string; by: string });
    expect(changes.find((c) => c.change === 'agent.enrolled' && c.credential === view.id)?.by).toMatch(/tara|human/);

    const acted = await hookRead({ CAVRA_TENANT: TENANT }, 'enrolled');
    expect(acted.code, acted.stderr).toBe(0);
    expect(acted.decision).not.toBeNull();
    expect(decisionsOf(TENANT, 'enrolled')).toHaveLength(1);
    expect(decisionsOf('evaluation', 'enrolled')).toEqual([]);

    // The same credential naming another tenant is refused at the gate, not obeyed.
    const elsewhere = await hookRead({ CAVRA_TENANT: 'evaluation', CAVRA_AGENT_TOKEN_FILE: tokenFile() }, 'elsewhere');
    expect(elsewhere.decision).toBe('deny');
    expect(elsewhere.said).toMatch(/bound to tenant "acme", not "evaluation"/);
    expect(decisionsOf('evaluation', 'elsewhere')).toEqual([]);
    expect(decisionsOf(TENANT, 'elsewhere')).toEqual([]);
    // The install's default credential still acts in the default tenant, and only there.
    const home_ = await hookRead({}, 'default-tenant');
    expect(home_.code, home_.stderr).toBe(0);
    expect(decisionsOf('evaluation', 'default-tenant')).toHaveLength(1);
    expect(decisionsOf(TENANT, 'default-tenant')).toEqual([]);

    // Enrolling again replaces the file and revokes the credential it held.
    const again = await cavra(cli, home, ['agents', 'enroll', '--tenant', TENANT, '--json']);
    expect(again.code, again.stderr).toBe(0);
    const second = JSON.parse(again.stdout) as { id: string; revoked: string | null };
    expect(second.revoked).toBe(view.id);
    const listed = await cavra(cli, home, ['agents', 'list', '--tenant', TENANT, '--json']);
    const agents = JSON.parse(listed.stdout) as { id: string; revokedAt: string | null }[];
    expect(agents.find((a) => a.id === view.id)?.revokedAt).not.toBeNull();
    expect(agents.find((a) => a.id === second.id)?.revokedAt).toBeNull();
    expect(listed.stdout).not.toMatch(/_[A-Za-z0-9_-]{43}/);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the gate's verified-token cache (1 s)
    const stale = await hookRead({ CAVRA_TENANT: TENANT, CAVRA_AGENT_TOKEN_FILE: writeToken(token) }, 'stale');
    expect(stale.decision).toBe('deny');
    expect(stale.said).toMatch(/no valid gate token/);

    // Revoked: the adapters acting in the tenant are refused from the next decision on.
    const revoked = await cavra(cli, home, ['agents', 'revoke', second.id, '--tenant', TENANT]);
    expect(revoked.code, revoked.stderr).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the gate's verified-token cache
    const after = await hookRead({ CAVRA_TENANT: TENANT }, 'after-revoke');
    expect(after.decision).toBe('deny');
    expect(after.said).toMatch(/no valid gate token/);
    expect(decisionsOf(TENANT, 'after-revoke')).toEqual([]);
  }, 120_000);
});

/** A copy of a token in its own 0600 file, as an adapter pointed at it would read. */
function writeToken(token: string): string {
  const file = path.join(workspace, `old-${Date.now()}.token`);
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return file;
}
