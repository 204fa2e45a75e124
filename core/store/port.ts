import { tenantIdSchema } from '../contract';

/**
 * The store port (HOUSE rule 15). Capabilities keep their repository interfaces in their own
 * folders and implement them once, against this port; core/store supplies the adapters
 * (SQLite: one file per tenant; PostgreSQL: one shared database with row-level security).
 *
 * SQL written against the port is the subset both engines share: `$1, $2, …` placeholders,
 * `ON CONFLICT … DO NOTHING`, no tenant column. The tenant is the unit of work's scope: the
 * SQLite adapter opens that tenant's file, the PostgreSQL adapter sets it for the transaction
 * and row-level security keeps every other tenant's rows out of reach. Upserts go through
 * `upsert` because PostgreSQL's conflict target carries the tenant column.
 */

/** The values that cross the port: integers come back as numbers (never above 2^53 − 1). */
export type SqlValue = string | number | Buffer | null;
export type SqlRow = Record<string, SqlValue>;

/** Tenant data, or the install's own tables (the tenant registry). */
export type StoreScope = { readonly tenant: string } | 'install';

export type StoreDialect = 'sqlite' | 'postgresql';

export interface StoreSession {
  readonly dialect: StoreDialect;
  all<T extends object = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T extends object = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Resolves with the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Inserts `row`, or updates its other columns when a row with the same `key` columns exists. */
  upsert(table: string, key: readonly string[], row: Readonly<Record<string, SqlValue>>): Promise<void>;
  /**
   * Serialises units of work on one name until this one ends (a PostgreSQL advisory lock;
   * SQLite's write transactions are serial already). Order-sensitive appends take it first.
   */
  lock(name: string): Promise<void>;
}

export interface Store {
  readonly dialect: StoreDialect;
  /**
   * One unit of work: commits when `work` resolves, rolls back when it throws. Statements
   * see only `scope`'s data. On SQLite, `work` must await only its session: the transaction
   * holds the file's write lock, and the adapter refuses a unit that waits on anything else.
   */
  transaction<T>(scope: StoreScope, work: (session: StoreSession) => Promise<T>): Promise<T>;
  /**
   * A unit of work that only reads: it takes no write lock (SQLite: a deferred transaction, so
   * reading works on a file another writer holds or that is read-only; PostgreSQL: READ ONLY),
   * and any statement that would write is refused with StoreUsageError.
   */
  read<T>(scope: StoreScope, work: (session: StoreSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A unique or primary-key constraint refused a write, whichever engine said so. */
export class StoreConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreConflictError';
  }
}

/** The store refused what it was asked (a malformed scope or name, an unsafe integer). */
export class StoreUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUsageError';
  }
}

// The contract validates tenant ids at the boundary already; the store checks again because a
// tenant id becomes a file name on SQLite and a row-level-security setting on PostgreSQL.
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function scopeTenant(scope: StoreScope): string | null {
  if (scope === 'install') return null;
  if (typeof scope !== 'object' || scope === null || !tenantIdSchema.safeParse(scope.tenant).success) {
    throw new StoreUsageError('The store scope must be "install" or { tenant } with a valid tenant id');
  }
  return scope.tenant;
}

/** Table and column names are spliced into SQL by `upsert`: only plain lower-case identifiers. */
export function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new StoreUsageError(`"${name}" is not a table or column name the store accepts`);
  return name;
}

/** Integers cross the port as numbers; one beyond 2^53 − 1 would silently change, so it is refused. */
export function safeInteger(value: bigint | string, column: string): number {
  const n = typeof value === 'bigint' ? value : BigInt(value);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new StoreUsageError(`Column ${column} holds ${n}, beyond the integers the store carries exactly`);
  }
  return Number(n);
}
