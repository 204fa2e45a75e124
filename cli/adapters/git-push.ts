import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ZERO = /^0+$/;
const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** One line of pre-push stdin: `<local ref> <local sha> <remote ref> <remote sha>`. */
export interface RefUpdate {
  localRef: string;
  localSha: string;
  remoteRef: string;
  remoteSha: string;
  kind: 'create' | 'update' | 'delete';
  /** Rewrites the remote ref: the old remote commit is not an ancestor of the new one (or unknown). */
  force: boolean;
}

export class PushInputError extends Error {}

function git(repo: string, args: string[]): { status: number | null; stdout: string } {
  const result = spawnSync('git', args, { cwd: repo, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout ?? '' };
}

/**
 * Reads what git is about to push. Force is decided from the SHAs, not from flags git does
 * not pass to hooks: an update is forced unless `git merge-base --is-ancestor old new`
 * says it fast-forwards; an old commit this clone does not have counts as forced.
 */
export function readRefUpdates(stdin: string, repo: string): RefUpdate[] {
  const updates: RefUpdate[] = [];
  for (const line of stdin.split('\n')) {
    if (line.trim() === '') continue;
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 4) throw new PushInputError(`unexpected pre-push line "${line.slice(0, 200)}"`);
    const [localRef, localSha, remoteRef, remoteSha] = parts as [string, string, string, string];
    if (!SHA.test(localSha) || !SHA.test(remoteSha)) throw new PushInputError(`not a SHA in "${line.slice(0, 200)}"`);
    const kind = ZERO.test(localSha) ? 'delete' : ZERO.test(remoteSha) ? 'create' : 'update';
    let force = false;
    if (kind === 'update') force = git(repo, ['merge-base', '--is-ancestor', remoteSha, localSha]).status !== 0;
    updates.push({ localRef, localSha, remoteRef, remoteSha, kind, force });
  }
  return updates;
}

/** The push as git arguments the normalizer understands: `+src:dst` forced, `:dst` deleted. */
export function pushArgs(remote: string, updates: readonly RefUpdate[]): string[] {
  return [
    'push',
    remote,
    ...updates.map((u) =>
      u.kind === 'delete' ? `:${u.remoteRef}` : `${u.force ? '+' : ''}${u.localRef}:${u.remoteRef}`,
    ),
  ];
}

export function repositoryRoot(dir: string): string {
  const result = git(dir, ['rev-parse', '--show-toplevel']);
  if (result.status !== 0) throw new Error(`${dir} is not inside a git repository`);
  return result.stdout.trim();
}

const MARKER = '# CAVRA pre-push hook';
export const CHAINED_HOOK = 'pre-push.cavra-chained';

/** The hook script: CAVRA judges first; then any hook that was there before runs, with the same input. */
function hookScript(cavra: string): string {
  return `#!/bin/sh
${MARKER} (installed by "cavra git install-hooks"). A non-zero exit blocks the push,
# so anything that goes wrong here (no gate, no node, a denied push) keeps it from happening.
input=$(cat)
printf '%s\\n' "$input" | ${cavra} "$1" "$2" || exit 1
chained="$(dirname "$0")/${CHAINED_HOOK}"
if [ -x "$chained" ]; then
  printf '%s\\n' "$input" | "$chained" "$@" || exit $?
fi
exit 0
`;
}

export interface HookInstall {
  hook: string;
  /** The hook that was there before and now runs after CAVRA's, if any. */
  chained: string | null;
  unchanged: boolean;
}

/**
 * Installs the pre-push hook where git looks for hooks (core.hooksPath respected). An
 * existing hook of someone else is kept and chained, never overwritten; re-installing
 * replaces only CAVRA's own script.
 */
export function installPrePushHook(repo: string, cavra: string): HookInstall {
  const located = git(repo, ['rev-parse', '--git-path', 'hooks']);
  if (located.status !== 0) throw new Error(`${repo} is not inside a git repository`);
  const dir = path.resolve(repo, located.stdout.trim());
  fs.mkdirSync(dir, { recursive: true });
  const hook = path.join(dir, 'pre-push');
  const chainedPath = path.join(dir, CHAINED_HOOK);
  const script = hookScript(cavra);
  if (fs.existsSync(hook)) {
    const current = fs.readFileSync(hook, 'utf8');
    if (current.includes(MARKER)) {
      const unchanged = current === script;
      if (!unchanged) fs.writeFileSync(hook, script, { mode: 0o755 });
      return { hook, chained: fs.existsSync(chainedPath) ? chainedPath : null, unchanged };
    }
    if (fs.existsSync(chainedPath)) {
      throw new Error(
        `${hook} is not CAVRA's and ${chainedPath} already exists; merge them by hand, nothing was changed`,
      );
    }
    fs.renameSync(hook, chainedPath);
  }
  fs.writeFileSync(hook, script, { mode: 0o755 });
  fs.chmodSync(hook, 0o755);
  return { hook, chained: fs.existsSync(chainedPath) ? chainedPath : null, unchanged: false };
}
