import type { SqliteDatabase } from './database';

export interface Migration {
  /** 1, 2, 3, … in order within its component. */
  version: number;
  name: string;
  sql: string;
}

/**
 * Numbered migrations, kept per component (`registry`, `tenant`, `ledger`, `policy`, …) so
 * that capabilities evolve their own tables independently. Applied versions are recorded
 * in `schema_migrations`; each migration runs in its own transaction.
 */
export type MigrationSet = Readonly<Record<string, readonly Migration[]>>;

export function migrate(db: SqliteDatabase, sets: MigrationSet): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (component, version)
  )`);
  const appliedStmt = db.prepare(`SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations WHERE component = ?`);
  const record = db.prepare(`INSERT INTO schema_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)`);
  for (const [component, migrations] of Object.entries(sets)) {
    migrations.forEach((migration, index) => {
      if (migration.version !== index + 1) {
        throw new Error(
          `Migration ${component}/${migration.name} is numbered ${migration.version}, expected ${index + 1}`,
        );
      }
    });
    const applied = (appliedStmt.get(component) as { v: number }).v;
    if (applied > migrations.length) {
      throw new Error(
        `Database schema ${component} v${applied} is newer than this build understands (v${migrations.length}); upgrade CAVRA`,
      );
    }
    for (const migration of migrations.slice(applied)) {
      // IMMEDIATE takes the write lock before re-reading the version: two processes opening one
      // fresh file both saw v0 above, and the second must skip what the first just applied.
      db.transaction(() => {
        if ((appliedStmt.get(component) as { v: number }).v >= migration.version) return;
        db.exec(migration.sql);
        record.run(component, migration.version, migration.name, new Date().toISOString());
      }).immediate();
    }
  }
}
