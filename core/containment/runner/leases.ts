import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * Placeholders are the empty directories bubblewrap creates on the host as mount points for
 * missing protected paths (`.mcp.json`, `.github/`): inside, each is an empty read-only tmpfs,
 * so the path cannot be created. On the host they must go again once no sandbox needs them,
 * and never before: removing a directory that is a mount point in another mount namespace
 * detaches that mount there (Linux ≥ 3.18), so the protected path would become writable
 * inside a sandbox that is still running.
 *
 * So every sandbox whose plan binds a placeholder holds a lease naming it, whether it made the
 * placeholder or found it made by another, written before its bubblewrap starts; and a
 * placeholder is removed only by the last holder, when no live lease names it. Reading the
 * leases, planning and writing the lease happen under one lock per workspace, as do releasing
 * and removing, so no run can plan around a placeholder that is being removed.
 *
 * A lease is a file `<pid>.<start time>.<nonce>` holding the JSON list of its placeholders. The
 * runner's pid and start time (from /proc) tell a live lease from one a killed runner left:
 * a pid alone could have been reused. Leases of this process are also known in memory, so
 * that one process running several sandboxes keeps exactly those alive that it still runs.
 */

/** One lease file read back: its owner and what it names. */
interface LeaseFile {
  file: string;
  pid: number;
  start: string;
  placeholders: string[];
}

/** The workspace's lock stayed taken: nothing was planned or removed. */
export class LeaseLockTimeout extends Error {
  constructor(readonly leaseDirectory: string) {
    super(`another process held the placeholder lock of this workspace for ${LOCK_WAIT_MS / 1000} s`);
    this.name = 'LeaseLockTimeout';
  }
}

export interface PlaceholderLease {
  /** Ends the lease, and removes the placeholders no other live lease names. Idempotent. */
  release(): Promise<void>;
}

/**
 * The leases this process holds and has not released (file names). Kept on a process-wide
 * symbol: the runner is bundled into more than one entry point (exec, mcp-proxy, the CLI), and
 * two copies loaded in one process must not each take the other's live leases for stale.
 */
const HELD = Symbol.for('cavra.containment.heldLeases');
const held: Set<string> = ((globalThis as Record<symbol, unknown>)[HELD] as Set<string> | undefined) ?? new Set();
(globalThis as Record<symbol, unknown>)[HELD] = held;
let ownStart: string | null = null;

const LOCK_WAIT_MS = 15_000;

export function leaseDirectory(cavraHome: string, workspace: string): string {
  return path.join(
    cavraHome,
    'containment',
    'leases',
    crypto.createHash('sha256').update(workspace).digest('hex').slice(0, 32),
  );
}

/** A process's start time in clock ticks since boot (/proc/<pid>/stat field 22); null when it is gone. */
function startTimeOf(pid: number): string | null | 'unknown' {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? null : 'unknown';
  }
  // The command name (field 2) is in parentheses and may hold spaces: count after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? 'unknown';
}

function ownStartTime(): string {
  ownStart ??= String(startTimeOf(process.pid));
  return ownStart;
}

function isLive(lease: LeaseFile): boolean {
  if (lease.pid === process.pid && lease.start === ownStartTime()) return held.has(path.basename(lease.file));
  const start = startTimeOf(lease.pid);
  // Unreadable (another user's process under hidepid): assume alive, so nothing is removed early.
  return start === 'unknown' || (start !== null && start === lease.start);
}

function readLeases(dir: string): LeaseFile[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const leases: LeaseFile[] = [];
  for (const name of names) {
    const [pid, start] = name.split('.');
    const file = path.join(dir, name);
    let placeholders: string[] = [];
    try {
      const named = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
      if (Array.isArray(named))
        placeholders = named.filter((p): p is string => typeof p === 'string' && path.isAbsolute(p));
    } catch {
      // Unreadable or half written: it names nothing, and still counts as a holder while its owner lives.
    }
    leases.push({ file, pid: Number(pid), start: start ?? '', placeholders });
  }
  return leases;
}

/**
 * The workspace's lock: an abstract Unix socket bound by the holder. The kernel frees it when
 * the holder dies, so a killed runner never leaves a lock behind to be broken (and no two
 * breakers can both take it). Held for milliseconds: reading leases, planning, one write.
 */
async function lock(dir: string): Promise<() => Promise<void>> {
  const name = `\0cavra-containment-${crypto.createHash('sha256').update(dir).digest('hex').slice(0, 40)}`;
  const deadline = performance.now() + LOCK_WAIT_MS;
  for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
    const server = net.createServer();
    const bound = await new Promise<boolean>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        error.code === 'EADDRINUSE' ? resolve(false) : reject(error),
      );
      server.listen({ path: name }, () => resolve(true));
    });
    if (bound) {
      server.unref();
      return () => new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (performance.now() > deadline) throw new LeaseLockTimeout(dir);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** Removes placeholders that are still what a sandbox made: an empty directory (deepest first). */
function removePlaceholders(placeholders: Iterable<string>): void {
  for (const placeholder of [...placeholders].sort((a, b) => b.length - a.length)) {
    try {
      if (fs.lstatSync(placeholder).isDirectory()) fs.rmdirSync(placeholder);
    } catch {
      // Gone already, or not empty (someone put something there): leave it.
    }
  }
}

/**
 * Plans a sandbox under the workspace's lock and leases what the plan binds. `plan` is told the
 * placeholders other leases name (live or left by a killed runner): an empty directory among
 * them is a placeholder to bind as such, not a protected path that exists. It returns the
 * placeholders it binds; when there are none, no lease file is written.
 */
export async function planUnderLease<T extends { placeholders: string[] }>(
  cavraHome: string,
  workspace: string,
  plan: (reserved: ReadonlySet<string>) => T,
): Promise<{ planned: T; lease: PlaceholderLease }> {
  const dir = leaseDirectory(cavraHome, workspace);
  const unlock = await lock(dir);
  let own: string | null = null;
  let planned: T;
  let others = 0;
  try {
    const leases = readLeases(dir);
    others = leases.length;
    const reserved = new Set(leases.flatMap((lease) => lease.placeholders));
    planned = plan(reserved);
    if (planned.placeholders.length > 0) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const name = `${process.pid}.${ownStartTime()}.${crypto.randomBytes(6).toString('hex')}`;
      held.add(name);
      own = path.join(dir, name);
      fs.writeFileSync(own, JSON.stringify(planned.placeholders), { mode: 0o600 });
    }
  } catch (error) {
    if (own) {
      held.delete(path.basename(own));
      fs.rmSync(own, { force: true });
    }
    await unlock();
    throw error;
  }
  await unlock();
  const mine = own;
  let released = false;
  return {
    planned,
    lease: {
      async release() {
        // Nothing to end, and no lease of a killed runner to clean up after: no lock either.
        if (released || (mine === null && others === 0)) return;
        released = true;
        const unlockRelease = await lock(dir);
        try {
          if (mine) {
            held.delete(path.basename(mine));
            fs.rmSync(mine, { force: true });
          }
          const candidates = new Set(planned.placeholders);
          const needed = new Set<string>();
          for (const lease of readLeases(dir)) {
            if (isLive(lease)) {
              for (const p of lease.placeholders) needed.add(p);
            } else {
              // A killed runner's lease: its placeholders are removed here unless still needed.
              for (const p of lease.placeholders) candidates.add(p);
              fs.rmSync(lease.file, { force: true });
            }
          }
          removePlaceholders([...candidates].filter((p) => !needed.has(p)));
        } finally {
          await unlockRelease();
        }
      },
    },
  };
}
