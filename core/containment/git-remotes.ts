import fs from 'node:fs';
import path from 'node:path';

/**
 * The remotes of the workspace's repository, read from its git config (no `git` spawned:
 * the gate compiles profiles on the decision path). Only what a profile can grant is
 * kept: http(s) hosts (through the filtering proxy) and local repositories (writable, so a
 * push to them works). ssh remotes cannot pass an HTTP proxy and are left out.
 */
export interface RepositoryRemotes {
  hosts: { host: string; port: number }[];
  /** Git directories of local remotes (bare repositories, or the .git of a local clone). */
  localGitDirs: string[];
}

/** The repository's git directory for a workspace: `.git`, or where a `.git` file points. */
export function gitDirOf(workspace: string): string | null {
  const dotGit = path.join(workspace, '.git');
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(dotGit);
  } catch {
    return null;
  }
  if (stat.isDirectory()) return dotGit;
  if (!stat.isFile()) return null;
  const match = /^gitdir:\s*(.+?)\s*$/m.exec(readSmall(dotGit) ?? '');
  return match?.[1] ? path.resolve(workspace, match[1]) : null;
}

/**
 * A workspace whose `.git` is a file (a linked worktree, a submodule): its git directory and
 * the common one, both outside the workspace. Null for an ordinary `.git` directory.
 */
export function linkedGitDirs(workspace: string): { gitDir: string; commonDir: string } | null {
  try {
    if (!fs.lstatSync(path.join(workspace, '.git')).isFile()) return null;
  } catch {
    return null;
  }
  const pointed = gitDirOf(workspace);
  if (!pointed) return null;
  try {
    const gitDir = fs.realpathSync(pointed);
    const commonDir = fs.realpathSync(commonGitDir(gitDir));
    return fs.statSync(gitDir).isDirectory() && fs.statSync(commonDir).isDirectory() ? { gitDir, commonDir } : null;
  } catch {
    return null;
  }
}

/** The common git directory (where config, hooks and objects live) of a git directory. */
export function commonGitDir(gitDir: string): string {
  const common = readSmall(path.join(gitDir, 'commondir'))?.trim();
  return common ? path.resolve(gitDir, common) : gitDir;
}

function readSmall(file: string): string | null {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile() || stat.size > 1024 * 1024) return null;
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function unquote(value: string): string {
  const trimmed = value.trim();
  return trimmed.startsWith('"') && trimmed.endsWith('"') && trimmed.length >= 2 ? trimmed.slice(1, -1) : trimmed;
}

/** `url` and `pushurl` values of `[remote "…"]` sections. */
function remoteUrls(configText: string): string[] {
  const urls: string[] = [];
  let inRemote = false;
  for (const raw of configText.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)[#;].*$/, '').trim();
    if (line === '') continue;
    const section = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"[^"]*")?\s*\]$/.exec(line);
    if (section) {
      inRemote = section[1]?.toLowerCase() === 'remote';
      continue;
    }
    if (!inRemote) continue;
    const entry = /^([A-Za-z][A-Za-z0-9-]*)\s*=\s*(.*)$/.exec(line);
    const key = entry?.[1]?.toLowerCase();
    if (entry && (key === 'url' || key === 'pushurl')) urls.push(unquote(entry[2] ?? ''));
  }
  return urls;
}

/** A directory git would accept as a repository's git directory. */
function isGitDir(dir: string): boolean {
  try {
    return (
      fs.statSync(path.join(dir, 'HEAD')).isFile() &&
      fs.statSync(path.join(dir, 'objects')).isDirectory() &&
      fs.statSync(path.join(dir, 'refs')).isDirectory()
    );
  } catch {
    return false;
  }
}

function localGitDir(location: string, workspace: string): string | null {
  let dir: string;
  try {
    dir = fs.realpathSync(path.resolve(workspace, location));
  } catch {
    return null;
  }
  if (isGitDir(dir)) return dir;
  const nested = path.join(dir, '.git');
  return isGitDir(nested) ? nested : null;
}

export function repositoryRemotes(workspace: string): RepositoryRemotes {
  const gitDir = gitDirOf(workspace);
  const out: RepositoryRemotes = { hosts: [], localGitDirs: [] };
  if (!gitDir) return out;
  const config = readSmall(path.join(commonGitDir(gitDir), 'config'));
  if (!config) return out;
  for (const url of remoteUrls(config)) {
    const web = /^(https?):\/\/(?:[^@/]*@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::([0-9]{1,5}))?(?:[/?#]|$)/i.exec(url);
    if (web) {
      const port = web[3] ? Number(web[3]) : web[1]?.toLowerCase() === 'https' ? 443 : 80;
      if (port >= 1 && port <= 65535) out.hosts.push({ host: (web[2] as string).toLowerCase(), port });
      continue;
    }
    const file = /^file:\/\/(\/.*)$/.exec(url)?.[1] ?? (/^(\/|\.{1,2}\/)/.test(url) ? url : null);
    if (file) {
      const dir = localGitDir(decodeURI(file), workspace);
      if (dir && !out.localGitDirs.includes(dir)) out.localGitDirs.push(dir);
    }
  }
  return out;
}
