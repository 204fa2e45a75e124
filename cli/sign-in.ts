import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { CoreService } from '../core/service';
import type { Principal } from '../core/contract';
import { localEvaluator } from '../core/identity';

/**
 * The CLI's sign-ins: one session id per tenant (and the last one used), in a 0600 file in
 * the 0700 data directory. A session id names a session the core keeps; the IdP's tokens live
 * only in the OS keychain. Without a session the CLI reads as the local evaluator but changes
 * nothing: the core refuses state changes to a caller that has not signed in.
 */
const sessionFileSchema = z.object({
  current: z.string().nullable(),
  sessions: z.record(z.string(), z.string().regex(/^sid_[A-Za-z0-9_-]{20,100}$/)),
});
type SessionFile = z.infer<typeof sessionFileSchema>;

export function sessionFilePath(home: string): string {
  return path.join(home, 'sessions', 'cli.json');
}

export function readSessions(home: string): SessionFile {
  const file = sessionFilePath(home);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { current: null, sessions: {} };
  }
  const stat = fs.statSync(file);
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    throw new Error(
      `${file} is readable by others (mode 0${(stat.mode & 0o777).toString(8)}); delete it and sign in again`,
    );
  }
  const parsed = sessionFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file} is damaged; delete it and sign in again`);
  return parsed.data;
}

export function writeSessions(home: string, sessions: SessionFile): void {
  const file = sessionFilePath(home);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(sessions)}\n`, { mode: 0o600 });
  fs.renameSync(temp, file);
}

export function rememberSession(home: string, tenant: string, sessionId: string): void {
  const sessions = readSessions(home);
  writeSessions(home, { current: tenant, sessions: { ...sessions.sessions, [tenant]: sessionId } });
}

export function forgetSession(home: string, tenant: string): string | null {
  const sessions = readSessions(home);
  const sessionId = sessions.sessions[tenant] ?? null;
  const rest = Object.fromEntries(Object.entries(sessions.sessions).filter(([key]) => key !== tenant));
  writeSessions(home, { current: sessions.current === tenant ? null : sessions.current, sessions: rest });
  return sessionId;
}

/**
 * Who the CLI acts as: the session for the named tenant, else the last one signed in; an ended
 * or expired session is reported and the CLI goes on unsigned (reads only).
 */
export async function cliPrincipal(
  core: CoreService,
  home: string,
  tenant: string | undefined,
  warn: (message: string) => void,
): Promise<Principal> {
  const sessions = readSessions(home);
  const chosen =
    (tenant !== undefined ? sessions.sessions[tenant] : undefined) ??
    (sessions.current !== null ? sessions.sessions[sessions.current] : undefined);
  if (!chosen) return localEvaluator(null);
  const resumed = await core.invoke(null, { op: 'session.resume', tenant: null, input: { sessionId: chosen } });
  if (resumed.ok) return (resumed.value as { principal: Principal }).principal;
  warn(`your sign-in is no longer valid (${resumed.error.message}); continuing without one`);
  return localEvaluator(null);
}
