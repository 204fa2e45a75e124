import type { MigrationSet, SqliteDatabase } from '../store';
import { migrate, openDatabase } from '../store';
import { cellKey } from './projection';
import type { CoverageCellState, Facts, FindingState, TrendPointState } from './projection';
import type { AispmRepository, ProjectionCommit, StoredPacket, StoredProjection } from './repository';

/**
 * AISPM's tables live in their own file beside the tenant database, so ingesting never holds
 * the write lock the gate's ledger appends need. The projection's rows are JSON bodies with
 * the columns a query filters by beside them.
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

export class SqliteAispmRepository implements AispmRepository {
  private readonly db: SqliteDatabase;
  private readonly stmts;

  constructor(file: string) {
    this.db = openDatabase(file);
    try {
      migrate(this.db, aispmMigrations);
    } catch (error) {
      this.db.close();
      throw error;
    }
    const db = this.db;
    this.stmts = {
      state: db.prepare<[string], { value: string }>('SELECT value FROM aispm_state WHERE key = ?'),
      setState: db.prepare(
        'INSERT INTO aispm_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      ),
      findings: db.prepare<[], { body: string }>('SELECT body FROM aispm_findings'),
      cells: db.prepare<[], { body: string }>('SELECT body FROM aispm_coverage'),
      upsertFinding: db.prepare(
        `INSERT INTO aispm_findings (id, key, kind, severity, status, owner, body) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET severity = excluded.severity, status = excluded.status,
           owner = excluded.owner, body = excluded.body`,
      ),
      link: db.prepare('INSERT OR IGNORE INTO aispm_finding_links (finding_id, seq) VALUES (?, ?)'),
      upsertCell: db.prepare(
        'INSERT INTO aispm_coverage (cell, body) VALUES (?, ?) ON CONFLICT(cell) DO UPDATE SET body = excluded.body',
      ),
      upsertTrend: db.prepare(
        'INSERT INTO aispm_trend (at_ms, body) VALUES (?, ?) ON CONFLICT(at_ms) DO UPDATE SET body = excluded.body',
      ),
      links: db.prepare<[string, number, number], { seq: number }>(
        'SELECT seq FROM aispm_finding_links WHERE finding_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
      ),
      trend: db.prepare<[number], { body: string }>('SELECT body FROM aispm_trend WHERE at_ms >= ? ORDER BY at_ms'),
      savePacket: db.prepare(
        'INSERT OR IGNORE INTO aispm_packets (sha256, kind, generated_at, body) VALUES (?, ?, ?, ?)',
      ),
      prunePackets: db.prepare(
        `DELETE FROM aispm_packets WHERE kind = ? AND sha256 NOT IN
           (SELECT sha256 FROM aispm_packets WHERE kind = ? ORDER BY generated_at DESC LIMIT ${PACKETS_KEPT})`,
      ),
      packet: db.prepare<[string], { sha256: string; kind: string; generated_at: string; body: string }>(
        'SELECT sha256, kind, generated_at, body FROM aispm_packets WHERE sha256 = ?',
      ),
    };
  }

  async load(): Promise<StoredProjection | null> {
    return this.db.transaction(() => {
      const version = this.stmts.state.get('version');
      if (!version) return null;
      return {
        version: Number(version.value),
        cursor: Number(this.stmts.state.get('cursor')?.value ?? 0),
        facts: JSON.parse(this.stmts.state.get('facts')?.value ?? 'null') as Facts,
        findings: this.stmts.findings.all().map((row) => JSON.parse(row.body) as FindingState),
        cells: this.stmts.cells.all().map((row) => JSON.parse(row.body) as CoverageCellState),
      };
    })();
  }

  async version(): Promise<number> {
    return Number(this.stmts.state.get('version')?.value ?? 0);
  }

  async commit(commit: ProjectionCommit): Promise<number | null> {
    return this.db
      .transaction((): number | null => {
        const current = Number(this.stmts.state.get('version')?.value ?? 0);
        if (current !== commit.expectedVersion) return null;
        for (const f of commit.findings) {
          this.stmts.upsertFinding.run(f.id, f.key, f.kind, f.severity, f.status, f.owner, JSON.stringify(f));
        }
        for (const link of commit.links) this.stmts.link.run(link.findingId, link.seq);
        for (const cell of commit.cells) {
          this.stmts.upsertCell.run(cellKey(cell.surface, cell.repository, cell.agent), JSON.stringify(cell));
        }
        for (const point of commit.trend) this.stmts.upsertTrend.run(point.atMs, JSON.stringify(point));
        this.stmts.setState.run('cursor', String(commit.cursor));
        this.stmts.setState.run('facts', JSON.stringify(commit.facts));
        this.stmts.setState.run('version', String(current + 1));
        return current + 1;
      })
      .immediate();
  }

  async links(findingId: string, page: { before?: number; limit: number }) {
    const rows = this.stmts.links.all(findingId, page.before ?? Number.MAX_SAFE_INTEGER, page.limit + 1);
    const seqs = rows.slice(0, page.limit).map((row) => row.seq);
    return { seqs, next: rows.length > page.limit ? (seqs[seqs.length - 1] ?? null) : null };
  }

  async trend(fromMs: number): Promise<TrendPointState[]> {
    return this.stmts.trend.all(fromMs).map((row) => JSON.parse(row.body) as TrendPointState);
  }

  async savePacket(packet: StoredPacket): Promise<void> {
    this.db.transaction(() => {
      this.stmts.savePacket.run(packet.sha256, packet.kind, packet.generatedAt, packet.json);
      this.stmts.prunePackets.run(packet.kind, packet.kind);
    })();
  }

  async packet(sha256: string): Promise<StoredPacket | null> {
    const row = this.stmts.packet.get(sha256);
    return row ? { sha256: row.sha256, kind: row.kind, generatedAt: row.generated_at, json: row.body } : null;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
