import type { MigrationSet, SqliteDatabase, Store, StoreSession } from '../store';
import { SqliteStore, migrate, openDatabase } from '../store';
import { cellKey } from './projection';
import type { CoverageCellState, Facts, FindingState, TrendPointState } from './projection';
import type { AispmRepository, ProjectionCommit, StoredPacket, StoredProjection } from './repository';

/**
 * AISPM's tables for the embedded store. They live in their own file beside the tenant
 * database, so ingesting never holds the write lock the gate's ledger appends need. The
 * projection's rows are JSON bodies with the columns a query filters by beside them. The
 * shared store (PostgreSQL) has the same tables with a tenant column and row-level security
 * (core/store/postgres-schema.ts, component `aispm`).
 */
export const aispmMigrations: MigrationSet = {
  aispm: [
    {
      version: 1,
      name: 'aispm-projection',
      sql: `
      CREATE TABLE aispm_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE aispm_findings (
        id TEXT PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        severity TEXT NOT NULL,
        status TEXT NOT NULL,
        owner TEXT,
        body TEXT NOT NULL
      );
      CREATE TABLE aispm_finding_links (
        finding_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (finding_id, seq)
      ) WITHOUT ROWID;
      CREATE TABLE aispm_coverage (cell TEXT PRIMARY KEY, body TEXT NOT NULL);
      CREATE TABLE aispm_trend (at_ms INTEGER PRIMARY KEY, body TEXT NOT NULL);
      CREATE TABLE aispm_packets (
        sha256 TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        generated_at TEXT NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX aispm_packets_by_kind ON aispm_packets (kind, generated_at);
    `,
    },
  ],
};

/** Packets kept per review kind; completing a review needs the one the reviewer read. */
const PACKETS_KEPT = 50;

/**
 * One tenant's AISPM state behind the store port (HOUSE rule 15): the same SQL on the embedded
 * SQLite file and on the shared PostgreSQL database, where replicas consuming one ledger
 * serialise their commits on an advisory lock and the version compare-and-set does the rest.
 */
export class StoreAispmRepository implements AispmRepository {
  private readonly scope: { tenant: string };

  constructor(
    private readonly store: Store,
    tenant: string,
    private readonly owned: { close(): void } | null = null,
  ) {
    this.scope = { tenant };
  }

  /** The embedded store: AISPM's own SQLite file for one tenant, migrated on open. */
  static openFile(file: string, tenant: string): StoreAispmRepository {
    const db: SqliteDatabase = openDatabase(file);
    try {
      migrate(db, aispmMigrations);
    } catch (error) {
      db.close();
      throw error;
    }
    return new StoreAispmRepository(new SqliteStore({ tenant: () => db }), tenant, {
      close: () => {
        if (db.open) db.close();
      },
    });
  }

  async load(): Promise<StoredProjection | null> {
    return this.store.read(this.scope, async (s) => {
      const version = await state(s, 'version');
      if (version === null) return null;
      const findings = await s.all<{ body: string }>('SELECT body FROM aispm_findings');
      const cells = await s.all<{ body: string }>('SELECT body FROM aispm_coverage');
      return {
        version: Number(version),
        cursor: Number((await state(s, 'cursor')) ?? 0),
        facts: JSON.parse((await state(s, 'facts')) ?? 'null') as Facts,
        findings: findings.map((row) => JSON.parse(row.body) as FindingState),
        cells: cells.map((row) => JSON.parse(row.body) as CoverageCellState),
      };
    });
  }

  async version(): Promise<number> {
    return this.store.read(this.scope, async (s) => Number((await state(s, 'version')) ?? 0));
  }

  async commit(commit: ProjectionCommit): Promise<number | null> {
    return this.store.transaction(this.scope, async (s) => {
      await s.lock('aispm.projection');
      const current = Number((await state(s, 'version')) ?? 0);
      if (current !== commit.expectedVersion) return null;
      for (const f of commit.findings) {
        await s.upsert('aispm_findings', ['id'], {
          id: f.id,
          key: f.key,
          kind: f.kind,
          severity: f.severity,
          status: f.status,
          owner: f.owner,
          body: JSON.stringify(f),
        });
      }
      for (const link of commit.links) {
        await s.run('INSERT INTO aispm_finding_links (finding_id, seq) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
          link.findingId,
          link.seq,
        ]);
      }
      for (const cell of commit.cells) {
        await s.upsert('aispm_coverage', ['cell'], {
          cell: cellKey(cell.surface, cell.repository, cell.agent),
          body: JSON.stringify(cell),
        });
      }
      for (const point of commit.trend) {
        await s.upsert('aispm_trend', ['at_ms'], { at_ms: point.atMs, body: JSON.stringify(point) });
      }
      await s.upsert('aispm_state', ['key'], { key: 'cursor', value: String(commit.cursor) });
      await s.upsert('aispm_state', ['key'], { key: 'facts', value: JSON.stringify(commit.facts) });
      await s.upsert('aispm_state', ['key'], { key: 'version', value: String(current + 1) });
      return current + 1;
    });
  }

  async links(findingId: string, page: { before?: number; limit: number }) {
    const rows = await this.store.read(this.scope, (s) =>
      s.all<{ seq: number }>(
        'SELECT seq FROM aispm_finding_links WHERE finding_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3',
        [findingId, page.before ?? Number.MAX_SAFE_INTEGER, page.limit + 1],
      ),
    );
    const seqs = rows.slice(0, page.limit).map((row) => row.seq);
    return { seqs, next: rows.length > page.limit ? (seqs[seqs.length - 1] ?? null) : null };
  }

  async trend(fromMs: number): Promise<TrendPointState[]> {
    const rows = await this.store.read(this.scope, (s) =>
      s.all<{ body: string }>('SELECT body FROM aispm_trend WHERE at_ms >= $1 ORDER BY at_ms', [fromMs]),
    );
    return rows.map((row) => JSON.parse(row.body) as TrendPointState);
  }

  async savePacket(packet: StoredPacket): Promise<void> {
    await this.store.transaction(this.scope, async (s) => {
      await s.run(
        'INSERT INTO aispm_packets (sha256, kind, generated_at, body) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
        [packet.sha256, packet.kind, packet.generatedAt, packet.json],
      );
      await s.run(
        `DELETE FROM aispm_packets WHERE kind = $1 AND sha256 NOT IN
           (SELECT sha256 FROM aispm_packets WHERE kind = $1 ORDER BY generated_at DESC LIMIT ${PACKETS_KEPT})`,
        [packet.kind],
      );
    });
  }

  async packet(sha256: string): Promise<StoredPacket | null> {
    const row = await this.store.read(this.scope, (s) =>
      s.get<{ sha256: string; kind: string; generated_at: string; body: string }>(
        'SELECT sha256, kind, generated_at, body FROM aispm_packets WHERE sha256 = $1',
        [sha256],
      ),
    );
    return row ? { sha256: row.sha256, kind: row.kind, generatedAt: row.generated_at, json: row.body } : null;
  }

  async close(): Promise<void> {
    this.owned?.close();
  }
}

async function state(s: StoreSession, key: string): Promise<string | null> {
  return (await s.get<{ value: string }>('SELECT value FROM aispm_state WHERE key = $1', [key]))?.value ?? null;
}
