import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Action, Principal } from '../contract';
import { createCore } from '../service';
import type { LocalCoreService } from '../service';
import { requireKeychain } from '../gate/testing';
import { tempHome } from '../../test/support/temp-home';
import { bundledScript } from '../../test/support/bundled-script';
import { localEvaluationPrincipal } from '../identity';
import { approvalBinding } from './binding';
import type { ApprovalDesk, NewApprovalRequest } from './desk';
import type { Decider } from './separation';
import type { TenantDirectory } from '../tenants';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const TENANT = 'evaluation';
const AGENT_UID = 5001;
const action: Action = {
  type: 'execute_command',
  command: 'terraform apply -auto-approve',
  cwd: '/work/payments',
  actor: 'dev@acme.example',
  agent: { id: 'claude-code', session: 's-1' },
  correlation_id: 'c-1',
};

function open(home?: string): { core: LocalCoreService; desk: ApprovalDesk; home: string } {
  requireKeychain();
  let dir = home;
  if (!dir) {
    const temp = tempHome('cavra-lifecycle-');
    dir = temp.home;
    cleanups.push(temp.cleanup);
  }
  const core = createCore({ home: dir, shell: 'test', log: () => undefined });
  cleanups.push(() => core.close());
  core.gateHost.policy.prepare?.(TENANT);
  return { core, desk: core.gateHost.approvals, home: dir };
}

/** The active version of the infrastructure pack, so requests are bound to what is assigned now. */
function infraVersion(core: LocalCoreService): string {
  const version = (
    core.gateHost.policy as unknown as { activeVersion(t: string, p: string): string | null }
  ).activeVersion(TENANT, 'cavra-infrastructure');
  if (!version) throw new Error('cavra-infrastructure is not active');
  return version;
}

function request(core: LocalCoreService, overrides: Partial<NewApprovalRequest> = {}): NewApprovalRequest {
  return {
    binding: approvalBinding(action, TENANT, { id: 'cavra-infrastructure', version: infraVersion(core) }),
    route: 'cavra-infrastructure/platform-security',
    ruleId: 'cavra-infrastructure/iac.apply',
    reason: 'Infrastructure changes need a reviewer',
    requester: 'os:dev',
    requesterUid: AGENT_UID,
    agent: { id: 'claude-code', session: 's-1' },
    adapter: 'exec',
    correlationId: 'c-1',
    decisionId: 'dec-1',
    actionType: 'execute_command',
    target: 'terraform apply',
    action,
    expiresInMs: 60_000,
    terms: { approverGroups: ['platform-security'] },
    ...overrides,
  };
}

/** A human reviewer of the tenant, signed in through the IdP with these groups. */
function reviewer(core: LocalCoreService, name: string, groups: string[], uid = 6000): Decider {
  const principal: Principal = { id: `human:test:${name}`, displayName: name, kind: 'human', session: 'ses_x' };
  const directory = core.gateHost.tenants as unknown as TenantDirectory;
  directory.setRoles(principal, TENANT, ['security_reviewer']);
  directory.noteLogin(principal.id, TENANT, groups);
  return { id: principal.id, displayName: name, kind: 'human', uid };
}

async function events(core: LocalCoreService, id: string): Promise<{ event: string; by: string }[]> {
  const ledger = core.gateHost.ledgers.ledger(TENANT) as unknown as {
    query(q: unknown): { records: { seq: number }[] };
    record(seq: number): { payload: { request_id: string; event: string; by: string } } | null;
  };
  return ledger
    .query({ types: ['approval'], limit: 200 })
    .records.map((r) => ledger.record(r.seq)?.payload)
    .filter((p): p is { request_id: string; event: string; by: string } => p?.request_id === id)
    .reverse()
    .map((p) => ({ event: p.event, by: p.by }));
}

describe('separation of duties (issue 13, acceptance 2): each refusal says why', () => {
  it('refuses the requester, the agent’s OS user, a role outside the route, another tenant and an agent', async () => {
    const { core, desk } = open();
    const opened = await desk.open(request(core));
    const alice = reviewer(core, 'alice', ['platform-security']);
    const refusals: [Decider, RegExp][] = [
      // The human behind the agent (same actor) approving their own request.
      [{ ...alice, id: 'os:dev' }, /self-approval/],
      // A reviewer running as the agent's OS user: a stored session proves nothing.
      [{ ...alice, uid: AGENT_UID }, /agent running as your OS user .* fresh IdP sign-in/],
      // A security reviewer whose groups are not the route's.
      [
        reviewer(core, 'bob', ['developers']),
        /not in an approver group of route cavra-infrastructure\/platform-security/,
      ],
      // A principal of another tenant.
      [{ ...alice, tenant: 'acme' }, /belongs to tenant "acme"/],
      // An agent principal, whatever it holds.
      [{ id: 'agent:agt0123', kind: 'agent', uid: 7000, tenant: TENANT }, /agent principal can never decide/],
    ];
    for (const [decider, why] of refusals) {
      await expect(desk.decide(TENANT, opened.id, { verdict: 'approve', decider }), decider.id).rejects.toThrow(why);
    }
    expect(await desk.get(TENANT, opened.id)).toMatchObject({ state: 'pending', votes: [] });
    // Deny needs a reason, always.
    await expect(desk.decide(TENANT, opened.id, { verdict: 'deny', decider: alice })).rejects.toThrow(
      /reason: is required to deny/,
    );
    // Control: the same reviewer from their own OS account may decide.
    expect(await desk.decide(TENANT, opened.id, { verdict: 'approve', decider: alice })).toMatchObject({
      state: 'approved',
      decidedBy: alice.id,
    });
  });

  it('N-of-M: a repeated approver does not count; the N-th distinct approver approves', async () => {
    const { core, desk } = open();
    const opened = await desk.open(
      request(core, { terms: { approverGroups: ['platform-security'], requiredApprovals: 2 } }),
    );
    const alice = reviewer(core, 'alice', ['platform-security']);
    const carol = reviewer(core, 'carol', ['platform-security'], 6001);
    // What the console is told: the first of two approvals is a verdict on a known request, not a new one.
    const changes: unknown[] = [];
    cleanups.push(
      core.subscribe(localEvaluationPrincipal, (envelope) => {
        if (envelope.event === 'approvals.changed') changes.push(envelope.payload);
      }),
    );
    const first = await desk.decide(TENANT, opened.id, { verdict: 'approve', decider: alice });
    expect(first).toMatchObject({ state: 'pending', votes: [{ by: alice.id, verdict: 'approve' }] });
    await expect(desk.decide(TENANT, opened.id, { verdict: 'approve', decider: alice })).rejects.toThrow(
      /already approved this request; route .* needs distinct approvers/,
    );
    // Not usable before the N-th approval.
    expect(await desk.consume(opened.binding, 'c-1', opened.id)).toBeNull();
    const second = await desk.decide(TENANT, opened.id, { verdict: 'approve', decider: carol });
    expect(second.state).toBe('approved');
    expect(second.votes.map((v) => v.by)).toEqual([alice.id, carol.id]);
    expect((await events(core, opened.id)).map((e) => e.event)).toEqual(['requested', 'approved', 'approved']);
    expect(changes).toEqual([
      { tenantId: TENANT, id: opened.id, state: 'pending', change: 'verdict' },
      { tenantId: TENANT, id: opened.id, state: 'approved', change: 'state' },
    ]);
  });
});

describe('lifecycle (issue 13)', () => {
  it('abandoned when the adapter stops waiting: never approvable, never pre-approves a retry', async () => {
    const { core, desk } = open();
    const opened = await desk.open(request(core));
    const alice = reviewer(core, 'alice', ['platform-security']);
    const abandoned = await desk.abandon(TENANT, opened.id, 'agent:agt1', 'the adapter stopped waiting');
    expect(abandoned?.state).toBe('abandoned');
    await expect(desk.decide(TENANT, opened.id, { verdict: 'approve', decider: alice })).rejects.toThrow(
      /is abandoned, not pending/,
    );
    expect(await desk.consume(opened.binding, 'c-2')).toBeNull();
    expect(await events(core, opened.id)).toEqual([
      { event: 'requested', by: 'cavra' },
      { event: 'abandoned', by: 'agent:agt1' },
    ]);
  });

  it('"approve for retry" is an explicit route opt-in: the request stays pending and one identical retry uses it', async () => {
    const { core, desk } = open();
    const opened = await desk.open(
      request(core, { terms: { approverGroups: ['platform-security'], allowReuse: true } }),
    );
    expect(opened.terms.allowReuse).toBe(true);
    expect((await desk.abandon(TENANT, opened.id, 'agent:agt1', 'timeout'))?.state).toBe('pending');
    await desk.decide(TENANT, opened.id, {
      verdict: 'approve',
      decider: reviewer(core, 'alice', ['platform-security']),
    });
    expect((await desk.consume(opened.binding, 'c-retry'))?.state).toBe('consumed');
    expect(await desk.consume(opened.binding, 'c-retry-2')).toBeNull();
  });

  it('shows the real time to expiry: the adapter’s wait when it ends first; abandons once nobody waits', async () => {
    const clock = { ms: Date.now() };
    const temp = tempHome('cavra-lifecycle-');
    cleanups.push(temp.cleanup);
    requireKeychain();
    const core = createCore({ home: temp.home, shell: 'test', log: () => undefined, now: () => new Date(clock.ms) });
    cleanups.push(() => core.close());
    core.gateHost.policy.prepare?.(TENANT);
    const desk = core.gateHost.approvals;
    const opened = await desk.open(request(core, { expiresInMs: 3_600_000 }));
    expect(opened.effectiveExpiresAt).toBe(opened.expiresAt);
    await desk.noteWait(TENANT, opened.id, clock.ms + 120_000);
    const waiting = await desk.get(TENANT, opened.id);
    expect(waiting?.effectiveExpiresAt).toBe(new Date(clock.ms + 120_000).toISOString());
    // The gate that waited went away without a word: after its wait the request is abandoned, not left pending.
    clock.ms += 130_000;
    await desk.expireDue(TENANT);
    expect((await desk.get(TENANT, opened.id))?.state).toBe('abandoned');
  });

  it('a pack version change invalidates a pending request', async () => {
    const { core, desk } = open();
    const opened = await desk.open(
      request(core, {
        binding: approvalBinding(action, TENANT, { id: 'cavra-infrastructure', version: '0.0.1-old' }),
      }),
    );
    const alice = reviewer(core, 'alice', ['platform-security']);
    await expect(desk.decide(TENANT, opened.id, { verdict: 'approve', decider: alice })).rejects.toThrow(
      /no longer valid: pack cavra-infrastructure changed from 0\.0\.1-old/,
    );
    expect((await desk.get(TENANT, opened.id))?.state).toBe('cancelled');
  });

  it('consume is once under concurrency: four processes on one SQLite file race for one approval', async () => {
    const { core, desk, home } = open();
    const opened = await desk.open(request(core));
    await desk.decide(TENANT, opened.id, {
      verdict: 'approve',
      decider: reviewer(core, 'alice', ['platform-security']),
    });
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-consume-race-'));
    cleanups.push(() => fs.rmSync(scratch, { recursive: true, force: true }));
    const script = await bundledScript(path.join(import.meta.dirname, 'consume-race.ts'), scratch);
    const racers = [1, 2, 3, 4].map((n) => {
      const child = spawn(process.execPath, [script, home, TENANT, opened.id, `race-${n}`], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      let out = '';
      const ready = new Promise<void>((resolve) =>
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('ready')) resolve();
        }),
      );
      const done = new Promise<string>((resolve) => child.on('exit', () => resolve(out)));
      cleanups.push(() => void child.kill('SIGKILL'));
      return { child, ready, done };
    });
    await Promise.all(racers.map((r) => r.ready));
    for (const racer of racers) racer.child.stdin.write('go\n');
    const outputs = await Promise.all(racers.map((r) => r.done));
    const used = outputs.filter((out) => /used consumed/.test(out));
    expect(used, outputs.join(' | ')).toHaveLength(1);
    expect(outputs.filter((out) => /\bnone\b/.test(out))).toHaveLength(3);
    expect((await desk.get(TENANT, opened.id))?.state).toBe('consumed');
    expect((await events(core, opened.id)).filter((e) => e.event === 'consumed')).toHaveLength(1);
  }, 60_000);

  it('break-glass: outside the route with a written justification, time-limited, recorded critical, escalation recorded', async () => {
    const clock = { ms: Date.now() };
    const temp = tempHome('cavra-lifecycle-');
    cleanups.push(temp.cleanup);
    requireKeychain();
    const core = createCore({ home: temp.home, shell: 'test', log: () => undefined, now: () => new Date(clock.ms) });
    cleanups.push(() => core.close());
    core.gateHost.policy.prepare?.(TENANT);
    const desk = core.gateHost.approvals;
    const opened = await desk.open(request(core, { expiresInMs: 3_600_000 }));
    // On call, not in the route's approver group: the normal path refuses them.
    const oncall = reviewer(core, 'oncall', ['sre']);
    await expect(desk.decide(TENANT, opened.id, { verdict: 'approve', decider: oncall })).rejects.toThrow(
      /not in an approver group/,
    );
    await expect(desk.breakGlass(TENANT, opened.id, oncall, 'prod down')).rejects.toThrow(/at least 20 characters/);
    await expect(
      desk.breakGlass(TENANT, opened.id, { ...oncall, uid: AGENT_UID }, 'database migration stuck, prod down'),
    ).rejects.toThrow(/agent running as your OS user/);
    const glass = await desk.breakGlass(TENANT, opened.id, oncall, 'database migration stuck, prod down (INC-4711)');
    expect(glass).toMatchObject({ state: 'approved', breakGlass: { by: oncall.id } });
    const ledger = core.gateHost.ledgers.ledger(TENANT) as unknown as {
      query(q: unknown): { records: { seq: number }[] };
      record(seq: number): { payload: Record<string, unknown> } | null;
    };
    const payloads = (type: string) =>
      ledger.query({ types: [type], limit: 100 }).records.map((r) => ledger.record(r.seq)?.payload ?? {});
    const event = payloads('approval').find((p) => p.event === 'break_glass');
    // The AISPM projection raises a critical finding from exactly these fields.
    expect(event).toMatchObject({
      break_glass: true,
      by: oncall.id,
      reason: 'database migration stuck, prod down (INC-4711)',
    });
    // No escalation route configured: the notice is recorded as not delivered, for the console.
    expect(payloads('delivery')).toContainEqual(
      expect.objectContaining({
        purpose: 'escalation',
        event: 'refused',
        text: expect.stringMatching(/Break-glass notice not sent/),
      }),
    );
    // Time-limited: after its window the approval allows nothing.
    clock.ms += 16 * 60_000;
    expect(await desk.consume(opened.binding, 'c-late', opened.id)).toBeNull();
  });
});
