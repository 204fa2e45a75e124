import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './database';
import type { SqlValue, Store, StoreScope, StoreSession } from './port';
import { StoreConflictError, StoreUsageError, identifier, safeInteger, scopeTenant } from './port';

export interface SqliteStoreOptions {
  /** The install's registry database. */
  install?: () => SqliteDatabase;
  /** A tenant's own database file, opened (and migrated) by whoever owns the files. */
  tenant: (tenantId: string) => SqliteDatabase;
}

/**
 * Rewrites the port's `$n` placeholders to SQLite's anonymous `?`, repeating values in order of
 * appearance (better-sqlite3 does not bind numbered `?NNN`). Quoted text is left alone.
 */
export function sqliteStatement(sql: string, params: readonly SqlValue[]): { sql: string; params: SqlValue[] } {
  let rewrite = rewrites.get(sql);
  if (!rewrite) {
    rewrite = rewritePlaceholders(sql);
    if (rewrites.size >= STATEMENTS_KEPT) rewrites.clear();
    rewrites.set(sql, rewrite);
  }
  const bound = rewrite.order.map((index) => {
    if (index < 0 || index >= params.length) {
      throw new StoreUsageError(`Placeholder $${index + 1} has no value (${params.length} given)`);
    }
    return params[index] as SqlValue;
  });
  return { sql: rewrite.sql, params: bound };
}

/** Statement texts are the code's own constants: a bound on them only guards against a leak. */
const STATEMENTS_KEPT = 1_000;
const rewrites = new Map<string, { sql: string; order: number[] }>();

function rewritePlaceholders(sql: string): { sql: string; order: number[] } {
  const order: number[] = [];
  let out = '';
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i += 1) {
    const ch = sql[i] as string;
    if (quote) {
      out += ch;
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
      continue;
    }
    if (ch === '$' && /[0-9]/.test(sql[i + 1] ?? '')) {
      let j = i + 1;
      while (j < sql.length && /[0-9]/.test(sql[j] as string)) j += 1;
      order.push(Number(sql.slice(i + 1, j)) - 1);
      out += '?';
      i = j - 1;
      continue;
    }
    out += ch;
  }
  return { sql: out, order };
}

function toStoreError(error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
    return new StoreConflictError((error as Error).message);
  }
  return error;
}

/** Integers come back as BigInt and are narrowed exactly, or refused (better-sqlite3 would round them). */
function reading(statement: ReturnType<SqliteDatabase['prepare']>) {
  return statement.reader ? statement.safeIntegers(true) : statement;
}

function readRow<T>(row: unknown): T {
  if (row === undefined) return row as T;
  const record = row as Record<string, unknown>;
  for (const [column, value] of Object.entries(record)) {
    if (typeof value === 'bigint') record[column] = safeInteger(value, column);
  }
  return record as T;
}

/**
 * The embedded adapter: one SQLite file per tenant (WAL, FULL sync, numbered migrations — see
 * database.ts and migrations.ts). SQLite has one writer per file, so units of work on one file
 * run one after another through a queue, each inside BEGIN IMMEDIATE.
 */
export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  private readonly queues = new WeakMap<SqliteDatabase, Promise<unknown>>();
  /** Prepared statements per file: compiling one costs more than running it. */
  private readonly statements = new WeakMap<SqliteDatabase, Map<string, Statement<unknown[]>>>();
  private closed = false;

  constructor(private readonly options: SqliteStoreOptions) {}

  private database(scope: StoreScope): SqliteDatabase {
    const tenant = scopeTenant(scope);
    if (tenant !== null) return this.options.tenant(tenant);
    if (!this.options.install) throw new StoreUsageError('This store has no install database');
    return this.options.install();
  }

  transaction<T>(scope: StoreScope, work: (session: StoreSession) => Promise<T>): Promise<T> {
    return this.enqueue(scope, work, false);
  }

  read<T>(scope: StoreScope, work: (session: StoreSession) => Promise<T>): Promise<T> {
    return this.enqueue(scope, work, true);
  }

  private async enqueue<T>(
    scope: StoreScope,
    work: (session: StoreSession) => Promise<T>,
    readOnly: boolean,
  ): Promise<T> {
    if (this.closed) throw new StoreUsageError('The store is closed');
    const db = this.database(scope);
    const previous = this.queues.get(db) ?? Promise.resolve();
    const run = previous.then(
      () => this.unit(db, work, readOnly),
      () => this.unit(db, work, readOnly),
    );
    this.queues.set(
      db,
      run.catch(() => undefined),
    );
    return run;
  }

  private async unit<T>(
    db: SqliteDatabase,
    work: (session: StoreSession) => Promise<T>,
    readOnly: boolean,
  ): Promise<T> {
    // The file's write lock is held from BEGIN to COMMIT on this thread. A unit that yielded to
    // the event loop would let other code write inside it (or wait on the lock forever), so a
    // statement issued after a macrotask boundary is refused and the unit rolled back.
    let yielded = false;
    const tick = setImmediate(() => {
      yielded = true;
    });
    const guard = () => {
      if (yielded) {
        throw new StoreUsageError('A SQLite unit of work awaited something other than its session; it was rolled back');
      }
    };
    let cache = this.statements.get(db);
    if (!cache) {
      cache = new Map();
      this.statements.set(db, cache);
    }
    const statements = cache;
    const compiled = (sql: string): Statement<unknown[]> => {
      let statement = statements.get(sql);
      if (!statement) {
        statement = db.prepare<unknown[]>(sql);
        if (statements.size >= STATEMENTS_KEPT) statements.clear();
        statements.set(sql, statement);
      }
      return statement;
    };
    const prepare = (sql: string) => {
      const statement = compiled(sql);
      if (readOnly && !statement.readonly) throw new StoreUsageError('A read-only unit of work may not write');
      return statement;
    };
    const session: StoreSession = {
      dialect: 'sqlite',
      all: async <R extends object>(sql: string, params: readonly SqlValue[] = []) => {
        guard();
        const statement = sqliteStatement(sql, params);
        return reading(prepare(statement.sql))
          .all(...statement.params)
          .map((row) => readRow<R>(row));
      },
      get: async <R extends object>(sql: string, params: readonly SqlValue[] = []) => {
        guard();
        const statement = sqliteStatement(sql, params);
        return readRow<R | undefined>(reading(prepare(statement.sql)).get(...statement.params));
      },
      run: async (sql: string, params: readonly SqlValue[] = []) => {
        guard();
        const statement = sqliteStatement(sql, params);
        try {
          return prepare(statement.sql).run(...statement.params).changes;
        } catch (error) {
          throw toStoreError(error);
        }
      },
      upsert: async (table, key, row) => {
        guard();
        const { sql, params } = upsertStatement(table, key, row, key);
        try {
          prepare(sqliteStatement(sql, params).sql).run(...params);
        } catch (error) {
          throw toStoreError(error);
        }
      },
      lock: async () => {
        guard();
        if (readOnly) throw new StoreUsageError('A read-only unit of work takes no lock');
      },
    };
    // A writer takes the write lock up front (no deadlock upgrading a read lock later); a reader
    // takes none, so it also works on a file that is read-only or held by a writer elsewhere.
    compiled(readOnly ? 'BEGIN DEFERRED' : 'BEGIN IMMEDIATE').run();
    try {
      const result = await work(session);
      guard();
      compiled('COMMIT').run();
      return result;
    } catch (error) {
      if (db.inTransaction) compiled('ROLLBACK').run();
      throw toStoreError(error);
    } finally {
      clearImmediate(tick);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * `INSERT … ON CONFLICT (conflict) DO UPDATE` for either engine; `conflict` is the key plus,
 * on PostgreSQL, the tenant column.
 */
export function upsertStatement(
  table: string,
  key: readonly string[],
  row: Readonly<Record<string, SqlValue>>,
  conflict: readonly string[],
): { sql: string; params: SqlValue[] } {
  const columns = Object.keys(row).map(identifier);
  for (const column of key) {
    if (!columns.includes(identifier(column)))
      throw new StoreUsageError(`upsert into ${table}: key column ${column} has no value`);
  }
  if (key.length === 0) throw new StoreUsageError(`upsert into ${table} needs a key`);
  const rest = columns.filter((column) => !key.includes(column));
  const placeholders = columns.map((_, i) => `$${i + 1}`).join(', ');
  const update =
    rest.length === 0
      ? 'DO NOTHING'
      : `DO UPDATE SET ${rest.map((column) => `${column} = excluded.${column}`).join(', ')}`;
  return {
    sql: `INSERT INTO ${identifier(table)} (${columns.join(', ')}) VALUES (${placeholders}) ON CONFLICT (${conflict.map(identifier).join(', ')}) ${update}`,
    params: columns.map((column) => row[column] as SqlValue),
  };
}
