import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action, ApprovalRequestView, Principal, SignedIn } from '../contract';
import { createCore } from '../service';
import type { LocalCoreService } from '../service';
import { requireKeychain } from '../gate/testing';
import { tempHome } from '../../test/support/temp-home';
import { signInOverHttp, startTestIdp } from '../../test/support/oidc-idp';
import type { TestIdp } from '../../test/support/oidc-idp';
import { localEvaluationPrincipal } from '../identity';
import { approvalBinding } from './binding';
import { checkAttestation, verifyAttestedBundle } from './attestation';

// Issue 13, acceptance 3 (core half): a verdict on an attested route needs a fresh sign-in at
// the tenant's real IdP whose nonce commits to the request, the action and the verdict; the
// record keeps the ID token and the IdP's keys; swapping tokens or editing the action fails.
const TENANT = 'acme';
const REDIRECT = 'http://127.0.0.1:49153/callback';
const users = {
  alice: { name: 'Alice Reviewer', email: 'alice@acme.example', groups: ['platform-security'] },
  bob: { name: 'Bob Reviewer', email: 'bob@acme.example', groups: ['platform-security'] },
};

let idp: TestIdp;
let core: LocalCoreService;
let cleanup: () => void;
const session: Record<string, Principal> = {};

async function call<T>(principal: Principal, op: string, input: unknown): Promise<T> {
  const response = await core.invoke(principal, { op, tenant: TENANT, input });
  if (!response.ok) throw new Error(`${response.error.code}: ${response.error.message}`);
  return response.value as T;
}

async function signIn(user: keyof typeof users): Promise<Principal> {
  const begun = await core.invoke(null, {
    op: 'session.begin',
    tenant: null,
    input: { tenant: TENANT, redirectUri: REDIRECT },
  });
  if (!begun.ok) throw new Error(begun.error.message);
  const { flowId, authorizationUrl } = begun.value as { flowId: string; authorizationUrl: string };
  const callbackUrl = await signInOverHttp(authorizationUrl, user);
  const done = await core.invoke(null, { op: 'session.complete', tenant: null, input: { flowId, callbackUrl } });
  if (!done.ok) throw new Error(done.error.message);
  return (done.value as SignedIn).principal;
}

/** A request an agent of another OS user raised on an attested route (as the gate opens it). */
async function pendingRequest(command: string): Promise<string> {
  const action: Action = { type: 'execute_command', command, cwd: '/srv/app', correlation_id: `c-${command}` };
  const opened = await core.gateHost.approvals.open({
    binding: approvalBinding(action, TENANT, null),
    route: 'cavra-infrastructure/platform-security',
    ruleId: 'cavra-infrastructure/iac.apply',
    reason: 'Infrastructure changes need a reviewer',
    requester: 'os:build-agent',
    requesterUid: 54321,
    agent: { id: 'claude-code' },
    adapter: 'claude-code',
    correlationId: `c-${command}`,
    decisionId: `dec-${command}`,
    actionType: 'execute_command',
    target: command,
    action,
    expiresInMs: 600_000,
    terms: { approverGroups: ['platform-security'], attest: 'idp' },
  });
  return opened.id;
}

/** Approves with a step-up: decide → the IdP's sign-in page (as `who`) → approvals.attest. */
async function attestedVerdict(
  reviewer: Principal,
  id: string,
  verdict: 'approve' | 'deny',
  who: keyof typeof users,
): Promise<ApprovalRequestView> {
  const started = await call<ApprovalRequestView>(reviewer, 'approvals.decide', {
    id,
    verdict,
    ...(verdict === 'deny' ? { reason: 'not during the freeze' } : {}),
    redirectUri: REDIRECT,
  });
  expect(started.state).toBe('pending');
  const url = new URL(started.stepUp?.authorizationUrl ?? '');
  expect(url.searchParams.get('prompt')).toBe('login');
  expect(url.searchParams.get('max_age')).toBe('300');
  const callbackUrl = await signInOverHttp(url.href, who);
  return call<ApprovalRequestView>(reviewer, 'approvals.attest', { flowId: started.stepUp?.flowId, callbackUrl });
}

function approvalRecords(): { seq: number; payload: Record<string, unknown> }[] {
  const ledger = core.gateHost.ledgers.ledger(TENANT) as unknown as {
    query(q: unknown): { records: { seq: number }[] };
    record(seq: number): { payload: Record<string, unknown> } | null;
  };
  return ledger
    .query({ types: ['approval'], limit: 500 })
    .records.map((r) => ({ seq: r.seq, payload: ledger.record(r.seq)?.payload ?? {} }))
    .reverse();
}

beforeAll(async () => {
  requireKeychain();
  idp = await startTestIdp(users);
  const temp = tempHome('cavra-attest-');
  cleanup = temp.cleanup;
  core = createCore({ home: temp.home, shell: 'test', log: () => undefined });
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
  session.alice = await signIn('alice');
  session.bob = await signIn('bob');
}, 90_000);
afterAll(async () => {
  await core?.close();
  await idp?.close();
  cleanup?.();
});

describe('IdP-attested verdicts (issue 13)', () => {
  it('refuse an unattested verdict, bind the fresh sign-in to the verdict, and keep only the ID token', async () => {
    const id = await pendingRequest('terraform apply -target=module.db');
    await expect(call(session.alice as Principal, 'approvals.decide', { id, verdict: 'approve' })).rejects.toThrow(
      /step_up_required: Step-up required/,
    );
    const approved = await attestedVerdict(session.alice as Principal, id, 'approve', 'alice');
    expect(approved).toMatchObject({ state: 'approved', decidedBy: session.alice?.id });
    expect(approved.votes?.[0]?.attestation).toMatchObject({
      issuer: idp.issuer,
      subject: 'alice',
      name: 'Alice Reviewer',
    });
    const record = approvalRecords().find((r) => r.payload.request_id === id && r.payload.event === 'approved');
    const attestation = record?.payload.attestation as Record<string, unknown>;
    expect(typeof attestation.id_token).toBe('string');
    expect((attestation.jwks as { keys: unknown[] }).keys.length).toBeGreaterThan(0);
    // A signed public assertion, never a bearer credential: no access or refresh token, no private key member.
    const text = JSON.stringify(record?.payload);
    expect(text).not.toMatch(/access_token|refresh_token|"d":/);
    expect(checkAttestation(record?.payload as never)).toMatchObject({ ok: true, subject: 'alice', problems: [] });
  }, 60_000);

  it('refuse a step-up completed by another person at the IdP', async () => {
    const id = await pendingRequest('terraform destroy -target=module.cache');
    await expect(attestedVerdict(session.alice as Principal, id, 'approve', 'bob')).rejects.toThrow(
      /IdP authenticated Bob Reviewer, not the signed-in reviewer/,
    );
    expect((await core.gateHost.approvals.get(TENANT, id))?.state).toBe('pending');
  }, 60_000);

  it('verification fails when an ID token is swapped into another verdict or the action is edited', async () => {
    const first = await pendingRequest('kubectl delete ns staging');
    const second = await pendingRequest('kubectl delete ns preview');
    await attestedVerdict(session.alice as Principal, first, 'approve', 'alice');
    await attestedVerdict(session.bob as Principal, second, 'deny', 'bob');
    const records = approvalRecords();
    const one = records.find((r) => r.payload.request_id === first && r.payload.event === 'approved')
      ?.payload as Record<string, unknown>;
    const two = records.find((r) => r.payload.request_id === second && r.payload.event === 'denied')?.payload as Record<
      string,
      unknown
    >;
    expect(checkAttestation(one as never).ok).toBe(true);
    expect(checkAttestation(two as never).ok).toBe(true);
    // Alice's token carried into Bob's deny of another request.
    const swapped = checkAttestation({ ...two, attestation: one.attestation } as never);
    expect(swapped.ok).toBe(false);
    expect(swapped.problems.join()).toMatch(/not issued for this request, action and verdict/);
    // The same request, another action.
    const edited = checkAttestation({ ...one, action_sha256: 'f'.repeat(64) } as never);
    expect(edited.problems.join()).toMatch(/nonce mismatch/);
    // The same token read as the opposite verdict.
    expect(checkAttestation({ ...one, event: 'denied' } as never).ok).toBe(false);
    // A JWKS that is not the IdP's: the signature no longer verifies.
    const foreign = checkAttestation(one as never, { keys: [{ kty: 'RSA', kid: 'other', n: 'AQAB', e: 'AQAB' }] });
    expect(foreign.problems.join()).toMatch(/signature does not verify against the pinned IdP keys/);
  }, 90_000);
  it('Offline review shows, per attested verdict in an exported bundle, who the IdP authenticated and for which action', async () => {
    const id = await pendingRequest('terraform apply -auto-approve');
    await attestedVerdict(session.alice as Principal, id, 'approve', 'alice');
    const finished = async (principal: Principal, jobId: string) => {
      for (let i = 0; i < 600; i++) {
        const job = await call<{ state: string; result?: unknown }>(principal, 'jobs.get', { jobId });
        if (job.state !== 'running' && job.state !== 'queued') return job;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error('the job did not finish');
    };
    const admin = localEvaluationPrincipal;
    const exportJob = await finished(admin, (await call<{ jobId: string }>(admin, 'evidence.export', {})).jobId);
    expect(exportJob.state, JSON.stringify(exportJob)).toBe('succeeded');
    const dir = (exportJob.result as { dir: string }).dir;
    const reviewer = session.alice as Principal;
    const review = await finished(
      reviewer,
      (await call<{ jobId: string }>(reviewer, 'offline.verify', { path: dir })).jobId,
    );
    expect(review.state, JSON.stringify(review)).toBe('succeeded');
    const bundle = (
      review.result as { kind: string; bundle: { ok: boolean; attestations?: Record<string, unknown>[] } }
    ).bundle;
    expect(bundle.ok).toBe(true);
    const mine = bundle.attestations?.find((verdict) => verdict.requestId === id && verdict.event === 'approved');
    expect(mine).toMatchObject({ ok: true, subject: 'alice', issuer: idp.issuer, problems: [] });
    expect(typeof mine?.authTime).toBe('string');
    expect(mine?.actionSha256).toMatch(/^[0-9a-f]{64}$/);
    // Checked against keys that are not the IdP's, the same bundle fails at its first attested
    // verdict's record (earlier tests in this file left attested verdicts in the same ledger).
    const first = bundle.attestations?.reduce((a, b) => ((a.seq as number) < (b.seq as number) ? a : b));
    const foreign = await verifyAttestedBundle(dir, {
      pinnedJwks: { keys: [{ kty: 'RSA', kid: 'other', n: 'AQAB', e: 'AQAB' }] },
    });
    expect(foreign.ok).toBe(false);
    expect(foreign.failure).toMatchObject({ kind: 'integrity', seq: first?.seq });
    expect(foreign.failure?.reason).toMatch(
      new RegExp(`attestation of approval ${String(first?.requestId)} \\(${String(first?.event)}\\) does not verify`),
    );
  }, 90_000);
});
