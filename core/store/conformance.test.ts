// The store conformance suite (issue 12, acceptance 1): one set of cases, run against the
// SQLite adapter (a file per tenant) and the PostgreSQL adapter (a real PostgreSQL 15 cluster
// started for the test run by test/postgres-setup.ts, one database per file). The repositories
// already behind the port run here too, so both adapters are held to the same behaviour.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerConsumer, StoreAispmRepository, aispmMigrations, ledgerSource } from '../aispm';
import { HOUR, MINUTE, T0, constructedLedger, rules } from '../aispm/testing';
import { StoredContainmentSettings } from '../containment';
import { DEFAULT_REPORT_SETTINGS, StoredReportRepository } from '../reports';
import { SharedLedger } from '../evidence';
import { createTestDatabase, testCluster } from '../../test/support/postgres';
import type { TestDatabase } from '../../test/support/postgres';
import { tempHome } from '../../test/support/temp-home';
import type { SqliteDatabase, Store, StoreSession } from './index';
import {
  PostgresStore,
  SqliteStore,
  StoreConflictError,
  StoreUsageError,
  migratePostgres,
  migrate,
  openDatabase,
  postgresMigrations,
  registryMigrations,
  tenantMigrations,
} from './index';
import type { MigrationSet } from './migrations';

interface Fixture {
  store: Store;
  /** Applies a migration set the way this adapter does. */
  migrate: (sets: MigrationSet) => Promise<void>;
  close: () => Promise<void>;
}

const TENANTS = ['acme', 'globex'] as const;

async function sqliteFixture(): Promise<Fixture> {
  const { home, cleanup } = tempHome('cavra-store-');
  const registry = openDatabase(path.join(home, 'registry.sqlite'));
  migrate(registry, registryMigrations);
  const files = new Map<string, SqliteDatabase>();
  const tenant = (id: string) => {
    let db = files.get(id);
    if (!db) {
      db = openDatabase(path.join(home, `${id}.sqlite`));
      migrate(db, tenantMigrations);
      migrate(db, aispmMigrations);
      files.set(id, db);
    }
    return db;
  };
  const store = new SqliteStore({ install: () => registry, tenant });
  return {
    store,
    migrate: async (sets) => migrate(tenant('acme'), sets),
    close: async () => {
      await store.close();
      for (const db of files.values()) db.close();
      registry.close();
      cleanup();
    },
  };
}

async function postgresFixture(database: TestDatabase): Promise<Fixture> {
  await migratePostgres(postgresMigrations, { owner: database.owner, appRole: database.appRole });
  const store = await PostgresStore.open({ connection: database.app, maxConnections: 20 });
  return {
    store,
    migrate: (sets) => migratePostgres(sets, { owner: database.owner, appRole: database.appRole }),
    close: () => store.close(),
  };
}

const cluster = testCluster();
let pgDatabase: TestDatabase | null = null;

const adapters: Array<{ name: string; open: () => Promise<Fixture>; skip: boolean }> = [
  { name: 'SQLite', open: sqliteFixture, skip: false },
  {
    name: 'PostgreSQL 15',
    open: async () => {
      if (!cluster) throw new Error('no cluster');
      pgDatabase = await createTestDatabase(cluster);
      return postgresFixture(pgDatabase);
    },
    skip: cluster === null,
  },
];

for (const adapter of adapters) {
  describe.skipIf(adapter.skip)(`store conformance: ${adapter.name}`, () => {
    let fixture: Fixture;
    let store: Store;

    beforeAll(async () => {
      fixture = await adapter.open();
      store = fixture.store;
      await store.transaction('install', async (session) => {
        for (const id of TENANTS) {
          await session.run(
            'INSERT INTO tenants (id, display_name, kind, created_at, created_by) VALUES ($1, $2, $3, $4, $5)',
            [id, id.toUpperCase(), 'evaluation', '2026-12-07T00:00:00.000Z', 'test'],
          );
        }
      });
    });

    afterAll(async () => {
      await fixture?.close();
      if (adapter.name.startsWith('PostgreSQL')) await pgDatabase?.drop();
    });

    it('carries text, integers up to 2^53 − 1, bytes and NULL unchanged, and binds $n in any order and more than once', async () => {
      const bytes = Buffer.from([0, 1, 2, 254, 255]);
      const text = `it's "quoted" — ünïcode $1 ?`;
      await store.transaction({ tenant: 'acme' }, async (session) => {
        await session.run(
          `INSERT INTO ledger_records (seq, time_ms, type, record_hash, payload_sha256, payload, decision, agent, session)
           VALUES ($2, $1, $3, $4, $4, $5, NULL, $3, NULL)`,
          [Number.MAX_SAFE_INTEGER, 900_000, 'decision', bytes, text],
        );
      });
      const row = await store.transaction({ tenant: 'acme' }, (session) =>
        session.get<Record<string, unknown>>(
          `SELECT seq, time_ms, type, record_hash, payload, decision, agent FROM ledger_records WHERE seq = $1 AND '$1' = '$1'`,
          [900_000],
        ),
      );
      expect(row).toEqual({
        seq: 900_000,
        time_ms: Number.MAX_SAFE_INTEGER,
        type: 'decision',
        record_hash: bytes,
        payload: text,
        decision: null,
        agent: 'decision',
      });
      expect(Buffer.isBuffer(row?.record_hash)).toBe(true);
    });

    it('refuses to carry an integer beyond 2^53 − 1 rather than round it', async () => {
      await expect(
        store.transaction({ tenant: 'acme' }, (session) => session.get('SELECT 9007199254740993 AS n')),
      ).rejects.toThrow(StoreUsageError);
    });

    it('commits a unit of work that resolves and rolls back every statement of one that throws', async () => {
      await store.transaction({ tenant: 'acme' }, (session) =>
        session.run('INSERT INTO containment_settings (key, value) VALUES ($1, $2)', ['kept', '1']),
      );
      await expect(
        store.transaction({ tenant: 'acme' }, async (session) => {
          await session.run('INSERT INTO containment_settings (key, value) VALUES ($1, $2)', ['lost', '1']);
          await session.run('UPDATE containment_settings SET value = $1 WHERE key = $2', ['2', 'kept']);
          throw new Error('the record could not be written');
        }),
      ).rejects.toThrow('the record could not be written');
      const rows = await store.transaction({ tenant: 'acme' }, (session) =>
        session.all<{ key: string; value: string }>(
          `SELECT key, value FROM containment_settings WHERE key IN ('kept', 'lost') ORDER BY key`,
        ),
      );
      expect(rows).toEqual([{ key: 'kept', value: '1' }]);
    });

    it('a read-only unit reads, and refuses any statement that would write (and any lock)', async () => {
      const rows = await store.read({ tenant: 'acme' }, (session) =>
        session.all<{ key: string }>(`SELECT key FROM containment_settings WHERE key = 'kept'`),
      );
      expect(rows).toEqual([{ key: 'kept' }]);
      for (const write of <Array<(s: StoreSession) => Promise<unknown>>>[
        (s: StoreSession) => s.run(`INSERT INTO containment_settings (key, value) VALUES ('ro', '1')`),
        (s: StoreSession) => s.run(`DELETE FROM containment_settings`),
        (s: StoreSession) => s.upsert('containment_settings', ['key'], { key: 'ro', value: '1' }),
        (s: StoreSession) => s.lock('ledger'),
      ]) {
        await expect(store.read({ tenant: 'acme' }, write)).rejects.toThrow(StoreUsageError);
      }
      const after = await store.read({ tenant: 'acme' }, (session) =>
        session.all(`SELECT key FROM containment_settings WHERE key IN ('ro', 'kept')`),
      );
      expect(after).toHaveLength(1);
    });

    it('reports a duplicate key as StoreConflictError, and the unit that hit it leaves nothing behind', async () => {
      await expect(
        store.transaction({ tenant: 'acme' }, async (session) => {
          await session.run('INSERT INTO containment_settings (key, value) VALUES ($1, $2)', ['dup-a', 'x']);
          await session.run('INSERT INTO containment_settings (key, value) VALUES ($1, $2)', ['dup-a', 'y']);
        }),
      ).rejects.toThrow(StoreConflictError);
      const row = await store.transaction({ tenant: 'acme' }, (session) =>
        session.get(`SELECT value FROM containment_settings WHERE key = 'dup-a'`),
      );
      expect(row).toBeUndefined();
    });

    it('upserts by key: one row, the latest value, and the count of changed rows is exact', async () => {
      await store.transaction({ tenant: 'acme' }, async (session) => {
        await session.upsert('containment_settings', ['key'], { key: 'mode', value: 'a' });
        await session.upsert('containment_settings', ['key'], { key: 'mode', value: 'b' });
      });
      const result = await store.transaction({ tenant: 'acme' }, async (session) => ({
        rows: await session.all<{ value: string }>(`SELECT value FROM containment_settings WHERE key = 'mode'`),
        changed: await session.run(
          `UPDATE containment_settings SET value = value WHERE key IN ('mode', 'kept', 'none')`,
        ),
      }));
      expect(result).toEqual({ rows: [{ value: 'b' }], changed: 2 });
      await expect(
        store.transaction({ tenant: 'acme' }, (session) =>
          session.upsert('containment_settings; DROP TABLE tenants', ['key'], { key: 'x', value: 'y' }),
        ),
      ).rejects.toThrow(StoreUsageError);
    });

    it('keeps tenants apart: the same key in two tenants holds two values, and neither sees the other', async () => {
      await store.transaction({ tenant: 'acme' }, (session) =>
        session.upsert('containment_settings', ['key'], { key: 'shared-name', value: 'acme-value' }),
      );
      await store.transaction({ tenant: 'globex' }, (session) =>
        session.upsert('containment_settings', ['key'], { key: 'shared-name', value: 'globex-value' }),
      );
      const read = (tenant: string) =>
        store.transaction({ tenant }, (session) =>
          session.all<{ key: string; value: string }>('SELECT key, value FROM containment_settings ORDER BY key'),
        );
      const globex = await read('globex');
      expect(globex).toEqual([{ key: 'shared-name', value: 'globex-value' }]);
      expect((await read('acme')).find((row) => row.key === 'shared-name')).toEqual({
        key: 'shared-name',
        value: 'acme-value',
      });
    });

    it('refuses a scope that is not a valid tenant id (path characters, upper case, empty, not an object)', async () => {
      for (const scope of [{ tenant: '../acme' }, { tenant: 'ACME' }, { tenant: '' }, { tenant: 'a/b' }, 'acme']) {
        await expect(store.transaction(scope as never, async () => 1)).rejects.toThrow(StoreUsageError);
      }
    });

    it('serialises units of work that take the same lock: 16 concurrent read-then-write appenders lose nothing', async () => {
      const append = (writer: number) =>
        store.transaction({ tenant: 'globex' }, async (session) => {
          await session.lock('counter');
          const top = await session.get<{ seq: number }>('SELECT seq FROM ledger_records ORDER BY seq DESC LIMIT 1');
          const seq = top ? top.seq + 1 : 0;
          await session.run(
            `INSERT INTO ledger_records (seq, time_ms, type, record_hash, payload_sha256, payload) VALUES ($1, $2, 'decision', $3, $3, NULL)`,
            [seq, writer, Buffer.alloc(32)],
          );
        });
      const writers = Array.from({ length: 16 }, (_, writer) =>
        (async () => {
          for (let i = 0; i < 10; i += 1) await append(writer);
        })(),
      );
      await Promise.all(writers);
      const seqs = await store.transaction({ tenant: 'globex' }, (session) =>
        session.all<{ seq: number }>('SELECT seq FROM ledger_records ORDER BY seq'),
      );
      expect(seqs.map((row) => row.seq)).toEqual(Array.from({ length: 160 }, (_, i) => i));
    });

    it('applies numbered migrations once, refuses a gap and refuses a schema newer than the build', async () => {
      const sets: MigrationSet = {
        conformance_probe: [{ version: 1, name: 'probe', sql: 'CREATE TABLE conformance_probe (k TEXT PRIMARY KEY)' }],
      };
      await fixture.migrate(sets);
      await fixture.migrate(sets);
      await expect(
        fixture.migrate({ conformance_gap: [{ version: 2, name: 'gap', sql: 'SELECT 1' }] }),
      ).rejects.toThrow(/numbered 2, expected 1/);
      await expect(fixture.migrate({ conformance_probe: [] })).rejects.toThrow(/newer than this build/);
    });

    it('containment settings repository: the default until saved, then exactly what was saved, per tenant', async () => {
      const settings = new StoredContainmentSettings(store);
      expect(await settings.get('globex')).toEqual({
        enforcement: 'sandbox',
        reason: null,
        changedAt: null,
        changedBy: null,
      });
      const saved = {
        enforcement: 'judgement_only' as const,
        reason: 'bubblewrap is not available on the build hosts',
        changedAt: '2026-12-07T10:00:00.000Z',
        changedBy: 'alice@acme.example',
      };
      await settings.save('acme', saved);
      expect(await settings.get('acme')).toEqual(saved);
      expect((await settings.get('globex')).enforcement).toBe('sandbox');
      await settings.save('acme', { ...saved, enforcement: 'sandbox', reason: null });
      expect((await settings.get('acme')).enforcement).toBe('sandbox');
    });

    it('report repository: settings default then saved; schedules listed per tenant; one of several racing workers advances a due schedule', async () => {
      const reports = new StoredReportRepository(store);
      expect(await reports.settings('globex')).toEqual(DEFAULT_REPORT_SETTINGS);
      const policy = {
        ...DEFAULT_REPORT_SETTINGS,
        allowedDomains: ['acme.example'],
        recipients: ['ciso@acme.example'],
      };
      await reports.saveSettings('acme', policy);
      expect(await reports.settings('acme')).toEqual(policy);
      expect(await reports.settings('globex')).toEqual(DEFAULT_REPORT_SETTINGS);

      const due = 1_760_000_000_000;
      const schedule = await reports.addSchedule(
        'acme',
        { kind: 'executive', cadence: 'weekly', recipients: ['ciso@acme.example'], nextRunAt: due, createdBy: 'alice' },
        due - 1000,
      );
      expect(await reports.schedules('acme')).toEqual([schedule]);
      expect(await reports.schedules('globex')).toEqual([]);
      // Another tenant cannot remove or advance it by id.
      expect(await reports.removeSchedule('globex', schedule.id)).toBe(false);
      expect(await reports.advanceSchedule('globex', schedule.id, due, due, due + 1)).toBe(false);

      const week = 7 * 24 * 3600 * 1000;
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, () => reports.advanceSchedule('acme', schedule.id, due + 5, due, due + week)),
      );
      expect(outcomes.filter(Boolean)).toHaveLength(1);
      expect(await reports.schedules('acme')).toEqual([{ ...schedule, nextRunAt: due + week, lastRunAt: due + 5 }]);
      expect(await reports.removeSchedule('acme', schedule.id)).toBe(true);
      expect(await reports.schedules('acme')).toEqual([]);
    });

    it('AISPM repository: a consumer projects the same state as on its own file; racing consumers apply each record once; other tenants see nothing', async () => {
      const fx = constructedLedger();
      try {
        fx.at(T0);
        for (let i = 0; i < 30; i++) {
          fx.advance(MINUTE);
          await fx.decide({ ...rules.envRead, repository: `repo-${i % 3}`, agent: `agent-${i % 2}` });
          await fx.decide({ ...rules.npmTest, repository: `repo-${i % 3}` });
          if (i % 10 === 0) await fx.decide(rules.forcePush);
        }
        const now = T0 + 2 * HOUR;
        const reference = fx.consumer('reference');
        await reference.consumer.catchUp({ budgetMs: Number.POSITIVE_INFINITY, now });
        const expected = await reference.repository.load();

        // Three consumers on the shared store race over the same ledger, in small chunks.
        const racers = [0, 1, 2].map(
          () =>
            new LedgerConsumer(ledgerSource(fx.ledger), new StoreAispmRepository(store, 'acme'), {
              chunk: 7,
            }),
        );
        await Promise.all(racers.map((c) => c.catchUp({ budgetMs: Number.POSITIVE_INFINITY, now })));
        const shared = new StoreAispmRepository(store, 'acme');
        const stored = await shared.load();
        expect(stored?.cursor).toBe(expected?.cursor);
        const byId = <T extends { id: string }>(list: T[] | undefined) =>
          [...(list ?? [])].sort((a, b) => a.id.localeCompare(b.id));
        expect(byId(stored?.findings).map((f) => [f.id, f.occurrences, f.severity])).toEqual(
          byId(expected?.findings).map((f) => [f.id, f.occurrences, f.severity]),
        );
        expect(stored?.cells.length).toBe(expected?.cells.length);
        const finding = byId(stored?.findings).find((f) => f.kind !== '') as { id: string };
        const all: number[] = [];
        let before: number | undefined;
        for (;;) {
          const page = await shared.links(finding.id, { before, limit: 4 });
          all.push(...page.seqs);
          if (page.next === null) break;
          before = page.next;
        }
        expect(new Set(all).size).toBe(all.length); // each record linked once, whoever won the race
        expect(all).toEqual((await reference.repository.links(finding.id, { limit: 1000 })).seqs);
        expect(await shared.trend(0)).toEqual(await reference.repository.trend(0));

        // A stale compare-and-set is refused and changes nothing.
        const version = await shared.version();
        expect(
          await shared.commit({
            expectedVersion: version - 1,
            cursor: 0,
            facts: stored!.facts,
            findings: [],
            cells: [],
            links: [],
            trend: [],
          }),
        ).toBeNull();
        expect(await shared.version()).toBe(version);

        // Packets: kept by digest, the newest 50 per kind.
        for (let i = 0; i < 53; i++) {
          await shared.savePacket({
            sha256: `p${String(i).padStart(3, '0')}`,
            kind: 'weekly',
            generatedAt: new Date(T0 + i * MINUTE).toISOString(),
            json: `{"n":${i}}`,
          });
        }
        expect(await shared.packet('p000')).toBeNull();
        expect(await shared.packet('p052')).toEqual({
          sha256: 'p052',
          kind: 'weekly',
          generatedAt: new Date(T0 + 52 * MINUTE).toISOString(),
          json: '{"n":52}',
        });

        const other = new StoreAispmRepository(store, 'globex');
        expect(await other.load()).toBeNull();
        expect(await other.packet('p052')).toBeNull();
        expect((await other.links(finding.id, { limit: 10 })).seqs).toEqual([]);
      } finally {
        await fx.close();
      }
    }, 60_000);

    it('evidence ledger: 16 concurrent appenders (separate ledgers on one store) chain one gap-free sequence that verifies', async () => {
      // A tenant of its own: the cases above wrote raw rows into acme's and globex's records.
      await store.transaction('install', async (session) => {
        for (const id of ['initech', 'hooli']) {
          await session.run(
            `INSERT INTO tenants (id, display_name, kind, created_at, created_by) VALUES ($1, $1, 'evaluation', 'x', 'test')`,
            [id],
          );
        }
      });
      const ledgers = Array.from({ length: 16 }, () => new SharedLedger(store));
      const receipts = await Promise.all(
        ledgers.flatMap((ledger, appender) =>
          Array.from({ length: 25 }, (_, i) =>
            ledger.append('initech', {
              type: 'config_change',
              payload: { change: 'conformance.append', by: `appender-${appender}`, before: null, after: i },
            }),
          ),
        ),
      );
      const seqs = receipts.map((receipt) => receipt.seq).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: 400 }, (_, i) => i));
      expect(await ledgers[0]?.verify('initech')).toEqual({ ok: true, size: 400 });
      // Another tenant's ledger is its own chain, starting at 0.
      const other = await new SharedLedger(store).append('hooli', {
        type: 'config_change',
        payload: { change: 'conformance.append', by: 'x', before: null, after: 0 },
      });
      expect(other.seq).toBe(0);
      expect(await ledgers[0]?.verify('hooli')).toEqual({ ok: true, size: 1 });
    });

    it('evidence ledger: refuses a payload its record type does not accept, before anything is stored', async () => {
      const ledger = new SharedLedger(store);
      await expect(ledger.append('initech', { type: 'decision', payload: { nope: true } })).rejects.toThrow(/payload/);
      await expect(ledger.append('initech', { type: 'checkpoint', payload: {} })).rejects.toThrow(/may append/);
      expect(await ledger.verify('initech')).toEqual({ ok: true, size: 400 });
    });
  });
}
