import fs from 'node:fs';
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
  if (!readonly && options.create !== false) createPrivately(file);
  const db = new Database(file, { readonly, fileMustExist: readonly || options.create === false });
  try {
    // The busy wait first: switching a fresh file to WAL takes a write lock, and another process
    // opening a fresh CAVRA_HOME at the same moment must wait for it, not fail `database is locked`.
    db.pragma('busy_timeout = 5000');
    if (!readonly) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    // FULL makes every commit durable on its own; the ledger depends on it (no record, no action).
    db.pragma('synchronous = FULL');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * Databases hold who may act and what agents did: readable by their owner only. The file is
 * created 0600 before SQLite opens it (SQLite gives its -wal and -shm files the same mode),
 * and an existing file with group or other bits is narrowed.
 */
function createPrivately(file: string): void {
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_WRONLY, 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if (process.platform === 'win32') return;
  const stat = fs.statSync(file);
  if ((stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.()) fs.chmodSync(file, 0o600);
}
