import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../store';

/**
 * What one agent session downloaded (SPEC §3, download-then-run across actions): the paths a
 * fetch wrote, so that a later action of the same session running one of them is known to
 * run code from the network. Kept per tenant (migrations: `sessions` in core/store/schema.ts).
 *
 * The repository a store port adapts (SQLite here; a PostgreSQL adapter will follow). It is
 * synchronous like the rest of the decision path (the gate judges without awaiting): an
 * adapter over a store without synchronous reads keeps a per-session cache in front of it.
 */
export interface SessionDownloadRepository {
  /** The paths among `runs` (or directories holding them) that the session downloaded before. */
  downloadedAmong(session: string, runs: readonly string[]): string[];
  /** Remembers paths the session downloads into. */
  remember(session: string, paths: readonly string[], at: Date): void;
}

/** Sessions keep at most this many downloads; the oldest are forgotten first. */
const MAX_PER_SESSION = 256;

export class SqliteSessionDownloadRepository implements SessionDownloadRepository {
  private readonly select: Statement;
  private readonly insert: Statement;
  private readonly trim: Statement;

  constructor(db: SqliteDatabase) {
    this.select = db.prepare('SELECT path FROM agent_session_downloads WHERE session = ?');
    this.insert = db.prepare(
      'INSERT INTO agent_session_downloads (session, path, at) VALUES (?, ?, ?) ON CONFLICT (session, path) DO UPDATE SET at = excluded.at',
    );
    this.trim = db.prepare(
      `DELETE FROM agent_session_downloads WHERE session = ? AND path NOT IN
         (SELECT path FROM agent_session_downloads WHERE session = ? ORDER BY at DESC LIMIT ${MAX_PER_SESSION})`,
    );
  }

  downloadedAmong(session: string, runs: readonly string[]): string[] {
    if (runs.length === 0) return [];
    const downloaded = (this.select.all(session) as { path: string }[]).map((row) => row.path);
    return runs.filter((ran) => downloaded.some((path) => ran === path || ran.startsWith(`${path}/`)));
  }

  remember(session: string, paths: readonly string[], at: Date): void {
    for (const path of paths) this.insert.run(session, path, at.toISOString());
    this.trim.run(session, session);
  }
}

/** The session key of an action: its agent and session, or null when it names none. */
export function sessionKey(agent: { id: string; session?: string } | undefined): string | null {
  return agent?.session ? `${agent.id}\u0000${agent.session}` : null;
}
