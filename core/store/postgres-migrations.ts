import type { PoolConfig } from 'pg';
import type { MigrationSet } from './migrations';
import { StoreUsageError, identifier } from './port';
import { loadPg } from './postgres-store';

export interface PostgresMigrateOptions {
  /** The owner's connection: migrations create and own the tables (never the app's role). */
  owner: PoolConfig;
  /** The role CAVRA's store connects as; migrations grant it exactly what it needs. */
  appRole: string;
}

/**
 * Numbered migrations on PostgreSQL, the same rules as SQLite's (`migrate`): per component,
 * numbered 1, 2, 3 … without gaps, each in its own transaction, a schema newer than this build
 * refused. Replicas starting together take one advisory lock, so exactly one applies each
 * migration. `{{app}}` in a migration's SQL is the application role, quoted.
 */
export async function migratePostgres(sets: MigrationSet, options: PostgresMigrateOptions): Promise<void> {
  const app = quoteIdent(identifier(options.appRole));
  const client = new (await loadPg()).Client(options.owner);
  await client.connect();
  try {
    await client.query(`SELECT pg_advisory_lock(hashtextextended('cavra.migrations', 0))`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      component TEXT NOT NULL,
      version INTEGER NOT NULL,
      name TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      PRIMARY KEY (component, version)
    )`);
    // The app reads which versions are applied (cavra server's /readyz), never changes them.
    await client.query(`GRANT SELECT ON schema_migrations TO ${app}`);
    for (const [component, migrations] of Object.entries(sets)) {
      migrations.forEach((migration, index) => {
        if (migration.version !== index + 1) {
          throw new StoreUsageError(
            `Migration ${component}/${migration.name} is numbered ${migration.version}, expected ${index + 1}`,
          );
        }
      });
      const result = await client.query<{ v: number }>(
        'SELECT COALESCE(MAX(version), 0)::int AS v FROM schema_migrations WHERE component = $1',
        [component],
      );
      const applied = result.rows[0]?.v ?? 0;
      if (applied > migrations.length) {
        throw new StoreUsageError(
          `Database schema ${component} v${applied} is newer than this build understands (v${migrations.length}); upgrade CAVRA`,
        );
      }
      for (const migration of migrations.slice(applied)) {
        await client.query('BEGIN');
        try {
          await client.query(migration.sql.replaceAll('{{app}}', app));
          await client.query('INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)', [
            component,
            migration.version,
            migration.name,
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new Error(`PostgreSQL migration ${component}/${migration.name} failed: ${(error as Error).message}`, {
            cause: error,
          });
        }
      }
    }
  } finally {
    await client.query(`SELECT pg_advisory_unlock(hashtextextended('cavra.migrations', 0))`).catch(() => undefined);
    await client.end();
  }
}

function quoteIdent(name: string): string {
  return `"${name}"`;
}
