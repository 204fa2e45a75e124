// The approval desk on the store port, on both engines (issue 12): the same cases against a
// tenant's SQLite file and against the shared PostgreSQL database (a real PostgreSQL 15 cluster
// started by test/postgres-setup.ts; skipped without one, exactly like the conformance suite).
// On PostgreSQL each "replica" is its own desk on its own connection pool, as two `cavra server`
// processes are: one queue, one vote per reviewer, one use per approval, and a waiter on one
// sees the verdict given on the other.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action } from '../contract';
import type { ContractError } from '../contract';
import { createTestDatabase, testCluster } from '../../test/support/postgres';
import type { TestDatabase } from '../../test/support/postgres';
import { tempHome } from '../../test/support/temp-home';
import {
  PostgresStore,
  SqliteStore,
  migrate,
  migratePostgres,
  openDatabase,
  postgresMigrations,
  tenantMigrations,
} from '../store';
import type { SqliteDatabase, Store } from '../store';
import { approvalBinding } from './binding';
import { ApprovalDesk } from './desk';
import type { NewApprovalRequest } from './desk';
import { StoredApprovalRepository } from './repository';
import type { Decider } from './separation';

const TENANT = 'acme';
const OTHER = 'globex';

interface Engine {
  /** A desk as one replica (or process) has it; `second` gives the other replica its own connection where the engine allows. */
  desk(options?: { failRecord?: () => boolean; now?: () => Date }): ApprovalDesk;
  /** Approval records appended, in order, across every desk of the engine (the central ledger's part). */
  records: { tenant: string; event: string; request_id: string; by: string }[];
  close(): Promise<void>;
}

/** The ledger every desk of an engine appends to; a failing append is the ledger refusing. */
function recorder(records: Engine['records']) {
  let seq = 0;
  return (failRecord?: () => boolean) => async (tenant: string, event: object) => {
    await new Promise((resolve) => setImmediate(resolve));
    if (failRecord?.()) throw new Error('ledger unavailable');
    const e = event as { event: string; request_id: string; by: string };
    records.push({ tenant, event: e.event, request_id: e.request_id, by: e.by });
    seq += 1;
    return seq;
  };
}

const standing = () => ({ groups: ['platform-security'], roles: ['security_reviewer' as const] });

async function sqliteEngine(): Promise<Engine> {
  const { home, cleanup } = tempHome('cavra-approvals-store-');
  const files = new Map<string, SqliteDatabase>();
  const tenant = (id: string) => {
    let db = files.get(id);
    if (!db) {
      db = openDatabase(path.join(home, `${id}.sqlite`));
      migrate(db, tenantMigrations);
      files.set(id, db);
    }
    return db;
  };
  // One connection per file in a process, so the desks of this process share one store.
  const store = new SqliteStore({ tenant });
  const records: Engine['records'] = [];
  const record = recorder(records);
  const desks: ApprovalDesk[] = [];
  return {
    records,
    desk: (options = {}) => {
      const desk = new ApprovalDesk({
        repository: new StoredApprovalRepository(store),
        record: record(options.failRecord),
        standing,
        tenantKind: () => 'production',
        now: options.now,
        log: () => undefined,
      });
      desks.push(desk);
      return desk;
    },
    close: async () => {
      for (const desk of desks) desk.close();
      await store.close();
      for (const db of files.values()) db.close();
      cleanup();
    },
  };
}

async function postgresEngine(database: TestDatabase): Promise<Engine> {
  await migratePostgres(postgresMigrations, { owner: database.owner, appRole: database.appRole });
  const stores: Store[] = [];
  const records: Engine['records'] = [];
  const record = recorder(records);
  const desks: ApprovalDesk[] = [];
  const ensureTenant = async (store: Store, tenant: string) => {
    await store.transaction('install', (s) =>
      s.run(
        `INSERT INTO tenants (id, display_name, kind, created_at, created_by) VALUES ($1, $1, 'production', $2, 'test')
         ON CONFLICT (id) DO NOTHING`,
        [tenant, new Date().toISOString()],
      ),
    );
  };
  return {
    records,
    desk: (options = {}) => {
      // Every desk is a replica: its own pool of connections to the one database.
      const opened = PostgresStore.open({ connection: database.app, maxConnections: 8 });
      const lazy: Store = {
        dialect: 'postgresql',
        transaction: async (scope, work) => (await opened).transaction(scope, work),
        read: async (scope, work) => (await opened).read(scope, work),
        close: async () => (await opened).close(),
      };
      stores.push(lazy);
      const desk = new ApprovalDesk({
        repository: new StoredApprovalRepository(lazy, (tenant) => ensureTenant(lazy, tenant)),
        record: record(options.failRecord),
        standing,
        tenantKind: () => 'production',
        now: options.now,
        log: () => undefined,
      });
      desks.push(desk);
      return desk;
    },
    close: async () => {
      for (const desk of desks) desk.close();
      for (const store of stores) await store.close();
    },
  };
}

const action: Action = {
  type: 'execute_command',
  command: 'terraform apply -auto-approve',
  cwd: '/work/payments',
  agent: { id: 'claude-code', session: 's-1' },
  correlation_id: 'c-1',
};

function request(overrides: Partial<NewApprovalRequest> = {}, tenant = TENANT): NewApprovalRequest {
  return {
    binding: approvalBinding(action, tenant, { id: 'cavra-infrastructure', version: '1.0.0' }),
    route: 'cavra-infrastructure/platform-security',
    ruleId: 'cavra-infrastructure/iac.apply',
    reason: 'Infrastructure changes need a reviewer',
    requester: 'os:dev',
    requesterUid: 5001,
    agent: { id: 'claude-code', session: 's-1' },
    adapter: 'exec',
    correlationId: 'c-1',
    decisionId: 'dec-1',
    actionType: 'execute_command',
    target: 'terraform apply',
    action,
    expiresInMs: 60_000,
    terms: { approverGroups: ['platform-security'], attest: 'none' },
    ...overrides,
  };
}

const reviewer = (name: string): Decider => ({
  id: `human:test:${name}`,
  displayName: name,
  kind: 'human',
  uid: null,
});

const cluster = testCluster();
let database: TestDatabase | null = null;
beforeAll(async () => {
  if (cluster) database = await createTestDatabase(cluster);
}, 60_000);
afterAll(async () => {
  await database?.drop();
});

const engines: { name: string; skip: boolean; open: () => Promise<Engine> }[] = [
  { name: 'SQLite', skip: false, open: sqliteEngine },
  { name: 'PostgreSQL', skip: cluster === null, open: () => postgresEngine(database as TestDatabase) },
];

describe.each(engines)('the approval desk on $name', ({ skip, open }) => {
  let engine: Engine;
  beforeAll(async () => {
    if (!skip) engine = await open();
  }, 60_000);
  afterAll(async () => {
    await engine?.close();
  });

  it.skipIf(skip)(
    'one queue: a request opened on one desk is listed, paged and decided on another; used once',
    async () => {
      const one = engine.desk();
      const two = engine.desk();
      const opened = await one.open(request({ correlationId: 'queue' }));
      expect((await two.list(TENANT, { states: ['pending'] })).map((r) => r.id)).toContain(opened.id);
      const page = await two.page(TENANT, { states: ['pending'], limit: 50 });
      expect(page.requests.map((r) => r.id)).toContain(opened.id);
      expect(page.pending).toBeGreaterThanOrEqual(1);
      // Another tenant's queue never shows it, on either desk.
      expect((await two.list(OTHER)).map((r) => r.id)).not.toContain(opened.id);
      expect(await two.get(OTHER, opened.id)).toBeNull();
      const approved = await two.decide(TENANT, opened.id, { verdict: 'approve', decider: reviewer('alice') });
      expect(approved).toMatchObject({ state: 'approved', decidedBy: 'human:test:alice' });
      expect((await one.get(TENANT, opened.id))?.votes.map((v) => v.by)).toEqual(['human:test:alice']);
      expect((await one.consume(opened.binding, 'use-1', opened.id))?.state).toBe('consumed');
      expect(await two.consume(opened.binding, 'use-2', opened.id)).toBeNull();
      expect(engine.records.filter((r) => r.request_id === opened.id).map((r) => r.event)).toEqual([
        'requested',
        'approved',
        'consumed',
      ]);
    },
  );

  it.skipIf(skip)('a waiter on one desk gets the verdict given on the other', async () => {
    const one = engine.desk();
    const two = engine.desk();
    const opened = await one.open(request({ correlationId: 'wait' }));
    const waiting = one.wait(TENANT, opened.id, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await two.decide(TENANT, opened.id, { verdict: 'deny', decider: reviewer('bob'), reason: 'not today' });
    const started = performance.now();
    expect(await waiting).toMatchObject({ state: 'denied', decisionReason: 'not today', decidedBy: 'human:test:bob' });
    // Seen by the poll, not by the 20 s timeout.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it.skipIf(skip)(
    'N-of-M under concurrency: eight reviewers at once on two desks, one vote each, exactly one is the N-th',
    async () => {
      const desks = [engine.desk(), engine.desk()];
      const opened = await desks[0]!.open(
        request({ correlationId: 'n-of-m', terms: { approverGroups: ['platform-security'], requiredApprovals: 3 } }),
      );
      const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
      // Each reviewer also tries twice at once: the second of the pair is refused by the key.
      const outcomes = await Promise.allSettled(
        names.flatMap((name, i) =>
          [0, 1].map(() => desks[i % 2]!.decide(TENANT, opened.id, { verdict: 'approve', decider: reviewer(name) })),
        ),
      );
      const settled = await desks[1]!.get(TENANT, opened.id);
      expect(settled?.state).toBe('approved');
      const voters = settled?.votes.map((v) => v.by) ?? [];
      expect(new Set(voters).size).toBe(voters.length);
      const approvedRecords = engine.records.filter((r) => r.request_id === opened.id && r.event === 'approved');
      // Three distinct approvals were recorded, each by someone else, and the request approved once.
      expect(approvedRecords).toHaveLength(3);
      expect(new Set(approvedRecords.map((r) => r.by)).size).toBe(3);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
      for (const outcome of outcomes) {
        // Refused as a repeat (by the key, or by the separation check once the first was recorded),
        // or because the request was no longer pending: never anything else.
        if (outcome.status === 'rejected') {
          expect((outcome.reason as ContractError).message).toMatch(
            /already|distinct approvers|not pending|someone else/,
          );
        }
      }
    },
    60_000,
  );

  it.skipIf(skip)(
    'votes are counted one after another: concurrent claims on two replicas count 1…8, no count twice',
    async () => {
      const desks = [engine.desk(), engine.desk()];
      const opened = await desks[0]!.open(request({ correlationId: 'count' }));
      const counts = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          desks[i % 2]!.repository.claimVote(TENANT, opened.id, {
            by: `human:test:v${i}`,
            displayName: null,
            verdict: 'approve',
            reason: null,
            at: Date.now(),
            kind: 'human',
          }),
        ),
      );
      expect(counts.map((c) => c?.approvals).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      // A second claim by the same reviewer is refused, whichever replica it reaches.
      const again = await desks[1]!.repository.claimVote(TENANT, opened.id, {
        by: 'human:test:v0',
        displayName: null,
        verdict: 'approve',
        reason: null,
        at: Date.now(),
        kind: 'human',
      });
      expect(again).toBeNull();
    },
  );

  it.skipIf(skip)('consume-once under concurrency: sixteen uses race on two desks, one wins', async () => {
    const desks = [engine.desk(), engine.desk()];
    const opened = await desks[0]!.open(request({ correlationId: 'race' }));
    await desks[1]!.decide(TENANT, opened.id, { verdict: 'approve', decider: reviewer('carol') });
    const uses = await Promise.all(
      Array.from({ length: 16 }, (_, i) => desks[i % 2]!.consume(opened.binding, `race-${i}`, opened.id)),
    );
    expect(uses.filter((use) => use !== null)).toHaveLength(1);
    expect(engine.records.filter((r) => r.request_id === opened.id && r.event === 'consumed')).toHaveLength(1);
  });

  it.skipIf(skip)('expiry by the core, on whichever desk looks first; once', async () => {
    let ms = Date.now();
    const now = () => new Date(ms);
    const desks = [engine.desk({ now }), engine.desk({ now })];
    const opened = await desks[0]!.open(request({ correlationId: 'expiry', expiresInMs: 5_000 }));
    ms += 6_000;
    const changed = await Promise.all(desks.map((desk) => desk.expireDue(TENANT)));
    expect(changed.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    expect((await desks[1]!.get(TENANT, opened.id))?.state).toBe('expired');
    expect(engine.records.filter((r) => r.request_id === opened.id && r.event === 'expired')).toHaveLength(1);
    const late = await desks[1]!
      .decide(TENANT, opened.id, { verdict: 'approve', decider: reviewer('dan') })
      .catch((e: unknown) => e);
    expect((late as ContractError).message).toMatch(/is expired, not pending/);
  });

  it.skipIf(skip)(
    'no record, no effect: a verdict the ledger refuses leaves the request pending with no vote',
    async () => {
      let failing = false;
      const desk = engine.desk({ failRecord: () => failing });
      const opened = await desk.open(request({ correlationId: 'no-record' }));
      failing = true;
      const error = await desk
        .decide(TENANT, opened.id, { verdict: 'approve', decider: reviewer('erin') })
        .catch((e: unknown) => e);
      expect((error as ContractError).code).toBe('unavailable');
      expect(await engine.desk().get(TENANT, opened.id)).toMatchObject({
        state: 'pending',
        votes: [],
        decidedBy: null,
      });
      // A request whose own record fails is never seen.
      const refused = await desk.open(request({ correlationId: 'never' })).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(Error);
      failing = false;
      expect((await desk.list(TENANT)).filter((r) => r.correlationId === 'never')).toEqual([]);
    },
  );

  it.skipIf(skip)('a waited request notes its wait, joins by binding, and abandons once nobody waits', async () => {
    let ms = Date.now();
    const now = () => new Date(ms);
    const desk = engine.desk({ now });
    const opened = await desk.open(
      request({
        correlationId: 'abandon',
        binding: approvalBinding({ ...action, command: 'make deploy' }, TENANT, null),
      }),
    );
    expect((await engine.desk({ now }).pendingFor(opened.binding))?.id).toBe(opened.id);
    await desk.noteWait(TENANT, opened.id, ms + 1_000);
    await desk.noteWait(TENANT, opened.id, ms + 500);
    expect((await desk.get(TENANT, opened.id))?.waitUntil).toBe(new Date(ms + 1_000).toISOString());
    ms += 10_000;
    expect(await desk.expireDue(TENANT)).toBeGreaterThanOrEqual(1);
    expect((await desk.get(TENANT, opened.id))?.state).toBe('abandoned');
    expect(await desk.pendingFor(opened.binding)).toBeNull();
  });
});
