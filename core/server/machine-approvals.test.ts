// Issue 12: an approval request a connected machine raises gets its terms from the tenant's
// policy on the control plane, never from the machine. The attack: an enrolled gate (or anyone
// holding its credential) asks for an approval with its own terms — fewer approvers, no IdP
// attestation, reusable, a week long — or names a lenient rule and route for a dangerous action.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../approvals';
import { MACHINE_PATHS } from '../connect';
import { requireKeychain } from '../gate/testing';
import { localEvaluationPrincipal } from '../identity';
import { createCore } from '../service';
import { call, databaseEnv, testEvidenceKey } from '../../test/support/control-plane';
import { createTestDatabase, testCluster } from '../../test/support/postgres';
import type { TestDatabase } from '../../test/support/postgres';
import { tempHome } from '../../test/support/temp-home';
import { databaseConfig, startControlPlane } from './index';
import type { ControlPlane } from './index';
import { machineApprovalRequest } from '../../test/support/acme-release';
import { issueSharedCredential } from '../../test/support/machine-credentials';

const cluster = testCluster();

const PACK = `id: acme-release
version: 1.0.0
description: ACME release rules
approval_routes:
  two-keys:
    approvers: [secops]
    required_approvals: 2
    expires_after: 2h
    require_reason: true
    attest: idp
  lenient:
    approvers: [anyone]
    required_approvals: 1
    expires_after: 2d
    allow_reuse: true
    attest: none
rules:
  - { id: release.publish, commands: [frobpublish], decision: require_approval, severity: critical, reason: a release needs two keys, approval_route: two-keys }
  - { id: docs.preview, commands: [frobdocs], decision: require_approval, severity: low, reason: a docs preview, approval_route: lenient }
  - { id: frob.nuke, commands: [frobnuke], decision: deny, severity: critical, reason: never }
tests:
  - { name: publish asks, action: { type: execute_command, command: frobpublish }, expect: require_approval }
  - { name: docs ask, action: { type: execute_command, command: frobdocs }, expect: require_approval }
  - { name: nuke is denied, action: { type: execute_command, command: frobnuke }, expect: deny }
`;

describe.skipIf(cluster === null)('approval requests raised by a machine', () => {
  let database: TestDatabase;
  let home: { home: string; cleanup: () => void };
  let plane: ControlPlane;
  let tenant: string;
  let machineToken: string;

  beforeAll(async () => {
    requireKeychain();
    database = await createTestDatabase(cluster!);
    home = tempHome('cavra-machine-approvals-');
    const core = createCore({ home: home.home, shell: 'test', log: () => undefined });
    tenant = core.gateHost.tenants.defaultTenant() as string;
    for (const [op, input] of [
      ['policy.pack.import', { yaml: PACK }],
      ['policy.assign', { packId: 'acme-release' }],
    ] as const) {
      const answer = await core.invoke(localEvaluationPrincipal, { op, tenant, input });
      expect(answer.ok, JSON.stringify(answer)).toBe(true);
    }
    machineToken = (await issueSharedCredential(database, tenant, 'machine laptop-a', { uid: 1000, name: 'dev' }))
      .token;
    await core.close();
    plane = await startControlPlane({
      signingKey: testEvidenceKey,
      home: home.home,
      database: databaseConfig(databaseEnv(database)),
      tls: 'insecure-loopback',
      log: () => undefined,
    });
  }, 120_000);

  afterAll(async () => {
    await plane?.close();
    await database?.drop();
    home?.cleanup();
  });

  /** A request as a connected gate raises it, naming `ruleId`/`route` as the gate's decision did. */
  const raised = (command: string, ruleId: string | null, route: string, extra: Record<string, unknown> = {}) =>
    machineApprovalRequest(tenant, command, ruleId, route, extra);

  const open = (body: unknown) =>
    call(`${plane.url}${MACHINE_PATHS.approvalOpen}`, {
      headers: { authorization: `Bearer ${machineToken}` },
      body,
    });

  const lifetimeMs = (request: ApprovalRequest) => Date.parse(request.expiresAt) - Date.parse(request.createdAt);

  it.each([
    ['terms', { terms: { requiredApprovals: 1, attest: 'none', allowReuse: true, approverGroups: [] } }],
    ['expiresInMs', { expiresInMs: 7 * 86_400_000 }],
    ['requireReason', { requireReason: false }],
    ['agentPrincipal', { agentPrincipal: 'agent:someone-else' }],
    ['decisionSeq', { decisionSeq: 1 }],
  ])('refuses a request that carries %s: the machine does not set terms', async (key, extra) => {
    const answer = await open(
      raised('frobpublish --tag latest', 'acme-release/release.publish', 'acme-release/two-keys', extra),
    );
    expect(answer.status, answer.text).toBe(400);
    expect(answer.body).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect((answer.body as { error: { message: string } }).error.message).toContain(key);
  });

  it('notes when the agent really stops waiting, not the long poll’s window, bounded by the server', async () => {
    const wait = (body: unknown) =>
      call(`${plane.url}${MACHINE_PATHS.approvalWait}`, { headers: { authorization: `Bearer ${machineToken}` }, body });
    const opened = async (command: string) => {
      const answer = await open(raised(command, 'acme-release/release.publish', 'acme-release/two-keys'));
      expect(answer.status, answer.text).toBe(201);
      return (answer.body as { request: ApprovalRequest }).request;
    };
    const waitUntilOf = (answer: { body: unknown }) =>
      Date.parse((answer.body as { request: ApprovalRequest }).request.waitUntil as string);

    // The agent waits 240 s; each poll is 20 s at most. Reviewers are shown the 240 s.
    const first = await opened('frobpublish --tag wait-240');
    const before = Date.now();
    const polled = await wait({ id: first.id, waitMs: 0, untilMs: before + 240_000 });
    expect(polled.status, polled.text).toBe(200);
    expect(waitUntilOf(polled)).toBeGreaterThanOrEqual(before + 239_000);
    expect(waitUntilOf(polled)).toBeLessThanOrEqual(before + 241_000);
    // A later poll that says less does not shorten it; an older gate that says nothing gets its poll's window.
    expect(waitUntilOf(await wait({ id: first.id, waitMs: 0, untilMs: before + 1_000 }))).toBe(waitUntilOf(polled));
    const second = await opened('frobpublish --tag wait-unsaid');
    const unsaid = await wait({ id: second.id, waitMs: 0 });
    expect(waitUntilOf(unsaid)).toBeLessThanOrEqual(Date.now() + 1_000);

    // A machine cannot note a wait beyond the server's bound (a day), nor send keys the wire does not have.
    const third = await opened('frobpublish --tag wait-forever');
    const forever = await wait({ id: third.id, waitMs: 0, untilMs: Date.now() + 365 * 86_400_000 });
    expect(waitUntilOf(forever)).toBeLessThanOrEqual(Date.now() + 86_400_000);
    const extra = await wait({ id: third.id, waitMs: 0, forever: true });
    expect(extra).toMatchObject({ status: 400, body: { error: { code: 'invalid_input' } } });
  });

  it('derives the terms from the route of the rule the tenant’s policy says decided', async () => {
    const answer = await open(
      raised('frobpublish --tag latest', 'acme-release/release.publish', 'acme-release/two-keys'),
    );
    expect(answer.status, answer.text).toBe(201);
    const { request } = answer.body as { request: ApprovalRequest };
    expect(request.terms).toEqual({
      approverGroups: ['secops'],
      requiredApprovals: 2,
      requireReason: true,
      allowReuse: false,
      attest: 'idp',
    });
    expect(lifetimeMs(request)).toBe(2 * 3_600_000);
    expect(request.agentPrincipal).toMatch(/^agent:/);
  });

  it('ignores a lenient rule and route the machine names for an action the policy routes elsewhere', async () => {
    const answer = await open(raised('frobpublish --tag latest', 'acme-release/docs.preview', 'acme-release/lenient'));
    expect(answer.status, answer.text).toBe(201);
    const { request } = answer.body as { request: ApprovalRequest };
    // The server judged the action itself: the request is on the two-keys route, as recorded.
    expect(request.route).toBe('acme-release/two-keys');
    expect(request.ruleId).toBe('acme-release/release.publish');
    expect(request.terms).toMatchObject({ requiredApprovals: 2, attest: 'idp', allowReuse: false });
    expect(lifetimeMs(request)).toBe(2 * 3_600_000);
  });

  it('gives the lenient route only to the action the policy sends there', async () => {
    const answer = await open(raised('frobdocs build', 'acme-release/docs.preview', 'acme-release/lenient'));
    expect(answer.status, answer.text).toBe(201);
    const { request } = answer.body as { request: ApprovalRequest };
    expect(request.terms).toEqual({
      approverGroups: ['anyone'],
      requiredApprovals: 1,
      requireReason: false,
      allowReuse: true,
      attest: 'none',
    });
    expect(lifetimeMs(request)).toBe(2 * 86_400_000);
  });

  it('raises no request for an action the tenant’s policy denies', async () => {
    const answer = await open(raised('frobnuke --everything', 'acme-release/docs.preview', 'acme-release/lenient'));
    expect(answer.status, answer.text).toBe(403);
    expect((answer.body as { error: { message: string } }).error.message).toMatch(/denies this action/);
  });

  it('holds to the strict default when its own judgement asks for no approval', async () => {
    // The machine says a lenient rule decided `pwd`; the server's policy would not ask at all.
    const answer = await open(raised('pwd', 'acme-release/docs.preview', 'acme-release/lenient'));
    expect(answer.status, answer.text).toBe(201);
    const { request } = answer.body as { request: ApprovalRequest };
    expect(request.terms).toMatchObject({ requiredApprovals: 1, attest: 'idp', allowReuse: false, approverGroups: [] });
    expect(lifetimeMs(request)).toBe(8 * 3_600_000);
  });
});
