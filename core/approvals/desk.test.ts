import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ContractError } from '../contract';
import type { Action } from '../contract';
import { createCore } from '../service';
import type { LocalCoreService } from '../service';
import { requireKeychain } from '../gate/testing';
import { tempHome } from '../../test/support/temp-home';
import { approvalBinding } from './binding';
import { ApprovalDesk } from './desk';
import type { NewApprovalRequest } from './desk';
import { localEvaluationPrincipal } from '../identity';
import type { TenantDirectory } from '../tenants';
import type { Decider } from './separation';

const evaluator: Decider = { id: 'local:evaluator', kind: 'local_evaluation', uid: 4242 };
const asEvaluator = (verdict: 'approve' | 'deny', reason?: string) => ({
  verdict,
  decider: evaluator,
  ...(reason ? { reason } : {}),
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const TENANT = 'evaluation';
const action: Action = {
  type: 'execute_command',
  command: 'terraform apply -auto-approve',
  cwd: '/work/payments',
  actor: 'dev@acme.example',
  agent: { id: 'claude-code', session: 's-1' },
  correlation_id: 'c-1',
};

function open(clock: { ms: number }, home?: string): { core: LocalCoreService; desk: ApprovalDesk; home: string } {
  requireKeychain();
  let dir = home;
  if (!dir) {
    const temp = tempHome('cavra-approvals-');
    dir = temp.home;
    cleanups.push(temp.cleanup);
  }
  const core = createCore({ home: dir, shell: 'test', now: () => new Date(clock.ms), log: () => undefined });
  cleanups.push(() => core.close());
  return { core, desk: core.gateHost.approvals, home: dir };
}

function request(overrides: Partial<NewApprovalRequest> = {}): NewApprovalRequest {
  return {
    binding: approvalBinding(action, TENANT, { id: 'cavra-infrastructure', version: '1.0.0' }),
    route: 'cavra-infrastructure/platform-security',
    ruleId: 'cavra-infrastructure/iac.apply',
    reason: 'Infrastructure changes need a reviewer',
    requester: 'dev@acme.example',
    agent: { id: 'claude-code', session: 's-1' },
    adapter: 'exec',
    correlationId: 'c-1',
    decisionId: 'dec-1',
    actionType: 'execute_command',
    target: 'terraform apply',
    action,
    expiresInMs: 60_000,
    ...overrides,
  };
}

async function approvalRecords(core: LocalCoreService): Promise<unknown[]> {
  const ledger = core.gateHost.ledgers.ledger(TENANT);
  const page = (ledger as unknown as { query(q: unknown): { records: { seq: number }[] } }).query({
    types: ['approval'],
    limit: 100,
  });
  const detail = ledger as unknown as { record(seq: number): { payload: unknown } | null };
  return page.records.map((r) => detail.record(r.seq)?.payload).reverse();
}

describe('approval requests', () => {
  it('bind to the exact action: retries match, another command, pack version or tenant does not', () => {
    const pack = { id: 'p', version: '1.0.0' };
    const base = approvalBinding(action, TENANT, pack);
    expect(
      approvalBinding(
        { ...action, correlation_id: 'other', agent: { id: 'claude-code', session: 's-9' } },
        TENANT,
        pack,
      ),
    ).toEqual(base);
    expect(approvalBinding({ ...action, command: 'terraform apply' }, TENANT, pack).actionSha256).not.toBe(
      base.actionSha256,
    );
    expect(approvalBinding(action, TENANT, { id: 'p', version: '1.0.1' })).not.toEqual(base);
    expect(approvalBinding(action, 'acme', pack)).not.toEqual(base);
  });

  it('go pending → approved with a ledger record for each state, are used once, and never by the requester', async () => {
    const clock = { ms: Date.parse('2026-11-25T10:00:00Z') };
    const { core, desk } = open(clock);
    const opened = await desk.open(request());
    expect(opened.state).toBe('pending');
    await expect(
      desk.decide(TENANT, opened.id, { verdict: 'approve', decider: { ...evaluator, id: 'dev@acme.example' } }),
    ).rejects.toThrow(/self-approval/);
    await expect(desk.decide(TENANT, opened.id, asEvaluator('deny'))).rejects.toThrow(/reason: is required/);
    const approved = await desk.decide(TENANT, opened.id, asEvaluator('approve'));
    expect(approved).toMatchObject({ state: 'approved', decidedBy: 'local:evaluator' });
    await expect(desk.decide(TENANT, opened.id, asEvaluator('deny', 'late'))).rejects.toThrow(
      /is approved, not pending/,
    );
    // A retry does not find it (the route did not opt into "approve for retry"); the waiter uses it once.
    expect(await desk.consume(opened.binding, 'c-2')).toBeNull();
    expect((await desk.consume(opened.binding, 'c-2', opened.id, 'agent:agt1'))?.state).toBe('consumed');
    expect(await desk.consume(opened.binding, 'c-3', opened.id)).toBeNull();
    const records = (await approvalRecords(core)) as { event: string; request_id: string; by: string }[];
    expect(records.map((r) => [r.event, r.by])).toEqual([
      ['requested', 'cavra'],
      ['approved', 'local:evaluator'],
      ['consumed', 'agent:agt1'],
    ]);
    expect(records.every((r) => r.request_id === opened.id)).toBe(true);
  });

  it('expire by the core: a request past its time cannot be approved', async () => {
    const clock = { ms: Date.parse('2026-11-25T10:00:00Z') };
    const { desk } = open(clock);
    const opened = await desk.open(request({ expiresInMs: 5_000 }));
    clock.ms += 6_000;
    const error = await desk.decide(TENANT, opened.id, asEvaluator('approve')).catch((e) => e);
    expect(error).toBeInstanceOf(ContractError);
    expect((error as ContractError).message).toMatch(/is expired, not pending/);
    expect((await desk.get(TENANT, opened.id))?.state).toBe('expired');
    expect(await desk.consume(opened.binding, 'c-2', opened.id)).toBeNull();
  });

  it('survive a restart, and a waiter sees a decision made by another process', async () => {
    const clock = { ms: Date.now() };
    const first = open(clock);
    const opened = await first.desk.open(request());
    await first.core.close();
    const second = open(clock, first.home);
    expect((await second.desk.get(TENANT, opened.id))?.state).toBe('pending');
    const waiting = second.desk.wait(TENANT, opened.id, 10_000);
    // Another core on the same data directory, as the CLI would be.
    const third = open(clock, first.home);
    await third.desk.decide(TENANT, opened.id, asEvaluator('deny', 'not today'));
    const settled = await waiting;
    expect(settled).toMatchObject({ state: 'denied', decisionReason: 'not today' });
  });

  it('are visible only once their requested record commits: a decide the instant the list shows one stands', async () => {
    const clock = { ms: Date.now() };
    const { core, desk } = open(clock);
    core.gateHost.policy.prepare?.(TENANT);
    // The gate's desk (in production another process on this data directory) with a slow ledger append.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const ledger = core.gateHost.ledgers.ledger(TENANT) as unknown as {
      append(input: { type: string; payload: unknown }): Promise<{ seq: number }>;
    };
    const gateDesk = new ApprovalDesk({
      repository: desk.repository,
      now: () => new Date(clock.ms),
      record: async (_tenant, event) => {
        await held;
        return (await ledger.append({ type: 'approval', payload: event })).seq;
      },
    });
    cleanups.push(() => gateDesk.close());
    const id = `apr_${crypto.randomUUID()}`;
    const opening = gateDesk.open(request({ id }));
    const listed = async () => {
      const response = await core.invoke(localEvaluationPrincipal, {
        op: 'approvals.list',
        tenant: TENANT,
        input: { states: ['pending'] },
      });
      if (!response.ok) throw new Error(response.error.message);
      return (response.value as { requests: { id: string }[] }).requests;
    };
    // While its `requested` record is not committed, nobody sees it: not the list, not get, not decide.
    for (let i = 0; i < 20; i += 1) {
      expect(await listed()).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    for (const op of ['approvals.get', 'approvals.decide'] as const) {
      const input = op === 'approvals.get' ? { id } : { id, verdict: 'approve' };
      const early = await core.invoke(localEvaluationPrincipal, { op, tenant: TENANT, input });
      expect(early.ok ? null : early.error.code, op).toBe('not_found');
    }
    release();
    let shown: { id: string }[] = [];
    while (shown.length === 0) {
      // A macrotask between looks, so the append (which needs one) can finish.
      await new Promise((resolve) => setImmediate(resolve));
      shown = await listed();
    }
    // The instant the list shows it, a decision stands (it used to answer "is pending, not pending").
    const decided = await core.invoke(localEvaluationPrincipal, {
      op: 'approvals.decide',
      tenant: TENANT,
      input: { id: shown[0]?.id as string, verdict: 'approve' },
    });
    expect(decided.ok, JSON.stringify(decided)).toBe(true);
    expect(shown[0]?.id).toBe(id);
    await opening;
    expect((await desk.get(TENANT, shown[0]?.id as string))?.state).toBe('approved');
  });

  it('page through 10,000 pending requests: stable order, no duplicates, no action content, counts', async () => {
    const clock = { ms: Date.now() };
    const { core, desk } = open(clock);
    core.gateHost.policy.prepare?.(TENANT);
    const big = { ...action, type: 'write_file' as const, path: '/work/big.txt', content: 'x'.repeat(60_000) };
    const first = await desk.open(request({ action: big }));
    // Seeded straight into the table (the console spec seeds through the core): copies of the one
    // recorded request, with 1 in 10 carrying its 60 KB action (the rest a small command), many
    // sharing a creation time so that ties must page stably too.
    const db = (core.gateHost.tenants as unknown as TenantDirectory).store(TENANT);
    const row = db.prepare(`SELECT * FROM approval_requests WHERE id = ?`).get(first.id) as Record<string, unknown>;
    const columns = Object.keys(row);
    const insert = db.prepare(
      `INSERT INTO approval_requests (${columns.join(',')}) VALUES (${columns.map(() => '?').join(',')})`,
    );
    db.transaction(() => {
      for (let i = 1; i < 10_000; i += 1) {
        const copy: Record<string, unknown> = {
          ...row,
          id: `apr_${crypto.randomUUID()}`,
          created_at: (row.created_at as number) - (i % 700),
          ...(i % 10 === 0 ? {} : { action: JSON.stringify(action) }),
        };
        insert.run(...columns.map((column) => copy[column]));
      }
    })();
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    const started = performance.now();
    for (;;) {
      const response = await core.invoke(localEvaluationPrincipal, {
        op: 'approvals.page',
        tenant: TENANT,
        input: { states: ['pending'], limit: 500, ...(cursor ? { cursor } : {}) },
      });
      if (!response.ok) throw new Error(response.error.message);
      const page = response.value as {
        requests: Record<string, unknown>[];
        nextCursor: string | null;
        total: number;
        pending: number;
      };
      expect(page).toMatchObject({ total: 10_000, pending: 10_000 });
      // The summary carries no action (content only through approvals.get).
      expect(page.requests.every((r) => !('action' in r))).toBe(true);
      seen.push(...page.requests.map((r) => String(r.id)));
      pages += 1;
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    const elapsed = performance.now() - started;
    console.log(`approvals.page: 10,000 pending in ${pages} pages of 500, ${Math.round(elapsed)} ms`);
    expect(seen).toHaveLength(10_000);
    expect(new Set(seen).size).toBe(10_000);
    // The same order as one sorted pass over the table: newest first, then by id.
    const sorted = db
      .prepare(`SELECT id FROM approval_requests ORDER BY created_at DESC, id`)
      .all()
      .map((r) => (r as { id: string }).id);
    expect(seen).toEqual(sorted);
    // A cursor that is not one is refused with the field named.
    const bad = await core.invoke(localEvaluationPrincipal, {
      op: 'approvals.page',
      tenant: TENANT,
      input: { cursor: 'not-a-cursor' },
    });
    expect(bad.ok ? null : bad.error).toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/^cursor:/),
    });
    // Content stays available one request at a time.
    const one = await core.invoke(localEvaluationPrincipal, {
      op: 'approvals.get',
      tenant: TENANT,
      input: { id: first.id },
    });
    expect(one.ok && (one.value as { action: { content: string } }).action.content).toHaveLength(60_000);
  }, 120_000);

  it('do not change state when the ledger cannot record the change', async () => {
    const clock = { ms: Date.now() };
    const { core, desk } = open(clock);
    const opened = await desk.open(request());
    core.gateHost.policy.prepare?.(TENANT);
    // The tenant's ledger stops accepting appends (closed); the approvals table still works.
    (core.gateHost.ledgers.ledger(TENANT) as unknown as { close(): void }).close();
    const error = await desk.decide(TENANT, opened.id, asEvaluator('approve')).catch((e) => e);
    expect(error).toBeInstanceOf(ContractError);
    expect((error as ContractError).message).toMatch(
      /could not be recorded in the evidence ledger, so it did not take effect/,
    );
    expect(await desk.get(TENANT, opened.id)).toMatchObject({ state: 'pending', decidedBy: null });
    await expect(desk.open(request({ correlationId: 'c-9' }))).rejects.toThrow(/closed/);
    expect((await desk.list(TENANT)).map((r) => r.id)).toEqual([opened.id]);
  });
});
