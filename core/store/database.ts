import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';

export type { SqliteDatabase };

export interface OpenOptions {
  readonly?: boolean;
  /** Create the file when missing (default true unless readonly). */
  create?: boolean;
}

/** Opens a SQLite file with the house pragmas: WAL, foreign keys, a bounded busy wait. */
export function openDatabase(file: string, options: OpenOptions = {}): SqliteDatabase {
  const readonly = options.readonly ?? false;
  const db = new Database(file, { readonly, fileMustExist: readonly || options.create === false });
  try {
    if (!readonly) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // FULL makes every commit durable on its own; the ledger depends on it (no record, no action).
    db.pragma('synchronous = FULL');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
