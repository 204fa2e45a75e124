import type pg from 'pg';
import type { PoolClient, PoolConfig } from 'pg';
import type { SqlValue, Store, StoreScope, StoreSession } from './port';
import { StoreConflictError, StoreUsageError, safeInteger, scopeTenant } from './port';
import { upsertStatement } from './sqlite-store';

/** The setting row-level security reads; set per transaction, so a pooled connection forgets it. */
export const TENANT_SETTING = 'cavra.tenant';

const INT8 = 20;
const NUMERIC = 1700;

/** The driver, loaded when a PostgreSQL store is opened: a `cavra` process on SQLite never needs it. */
export async function loadPg(): Promise<typeof pg> {
  return (await import('pg')).default;
}

// int8 (bigint, bigserial, COUNT) comes back as text from pg; the port carries numbers, exactly.
function typesOf(driver: typeof pg) {
  return {
    getTypeParser(oid: number, format?: string) {
      if (oid === INT8 || oid === NUMERIC) return (text: string) => safeInteger(text, `(type ${oid})`);
      return driver.types.getTypeParser(oid, format as 'text');
    },
  };
}

function toStoreError(error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (code === '23505') return new StoreConflictError((error as Error).message);
  // read_only_sql_transaction: a write inside a READ ONLY unit.
  if (code === '25006') return new StoreUsageError('A read-only unit of work may not write');
  return error;
}

export interface PostgresStoreOptions {
  /** The application's connection: a role without SUPERUSER or BYPASSRLS (checked on open). */
  connection: PoolConfig;
  /** Concurrent connections (default 10). */
  maxConnections?: number;
}

/**
 * The shared adapter: one PostgreSQL database for every tenant. Each unit of work is one
 * transaction that sets the tenant with `set_config(…, true)` (SET LOCAL), so row-level
 * security confines every statement to that tenant even if a query forgot to.
 */
export class PostgresStore implements Store {
  readonly dialect = 'postgresql' as const;
  private readonly pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  /** Opens the pool and refuses a role that row-level security would not bind. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const driver = await loadPg();
    const pool = new driver.Pool({ ...options.connection, max: options.maxConnections ?? 10, types: typesOf(driver) });
    // An idle connection that dies (server restart) must not crash the process.
    pool.on('error', () => undefined);
    try {
      const role = await pool.query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean }>(
        'SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user',
      );
      const me = role.rows[0];
      if (!me || me.rolsuper || me.rolbypassrls) {
        throw new StoreUsageError(
          `The database role ${me?.rolname ?? '(unknown)'} bypasses row-level security; connect CAVRA as a role without SUPERUSER or BYPASSRLS`,
        );
      }
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresStore(pool);
  }

  transaction<T>(scope: StoreScope, work: (session: StoreSession) => Promise<T>): Promise<T> {
    return this.unit(scope, work, false);
  }

  read<T>(scope: StoreScope, work: (session: StoreSession) => Promise<T>): Promise<T> {
    return this.unit(scope, work, true);
  }

  private async unit<T>(scope: StoreScope, work: (session: StoreSession) => Promise<T>, readOnly: boolean): Promise<T> {
    const tenant = scopeTenant(scope);
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query(readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
      // Install scope sets the empty string: tenant tables' policies then match no row.
      await client.query('SELECT set_config($1, $2, true)', [TENANT_SETTING, tenant ?? '']);
      const result = await work(session(client, tenant, readOnly));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw toStoreError(error);
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function session(client: PoolClient, tenant: string | null, readOnly: boolean): StoreSession {
  const query = async <R extends object>(
    sql: string,
    params: readonly SqlValue[],
  ): Promise<{ rows: R[]; rowCount: number | null }> => {
    try {
      return (await client.query(sql, params as unknown[])) as unknown as { rows: R[]; rowCount: number | null };
    } catch (error) {
      throw toStoreError(error);
    }
  };
  return {
    dialect: 'postgresql',
    all: async <R extends object>(sql: string, params: readonly SqlValue[] = []) => (await query<R>(sql, params)).rows,
    get: async <R extends object>(sql: string, params: readonly SqlValue[] = []): Promise<R | undefined> =>
      (await query<R>(sql, params)).rows[0],
    run: async (sql, params = []) => (await query(sql, params)).rowCount ?? 0,
    upsert: async (table, key, row) => {
      // Tenant tables are keyed by (tenant_id, …): the column is filled from the scope's setting.
      const statement = upsertStatement(table, key, row, tenant !== null ? ['tenant_id', ...key] : key);
      await query(statement.sql, statement.params);
    },
    lock: async (name) => {
      if (readOnly) throw new StoreUsageError('A read-only unit of work takes no lock');
      if (typeof name !== 'string' || name.length === 0) throw new StoreUsageError('A lock needs a name');
      // Keyed by tenant too: one tenant's appends never wait on another's.
      await query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${tenant ?? ''}/${name}`]);
    },
  };
}
