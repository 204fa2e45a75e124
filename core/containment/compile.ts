import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { canonicalize } from '../evidence';
import { compilePathGlob, wordGlobSource } from '../policy';
import type { AssignedContainment } from '../policy';
import { linkedGitDirs, repositoryRemotes } from './git-remotes';
import { PROFILE_VERSION } from './runner';
import type { CompiledGlob, ContainmentProfile, HostGrant } from './runner';

/**
 * The guard's own files: read-only inside every sandbox whatever the packs say, so that
 * nothing an allowed command runs can rewrite the agent's hooks, MCP servers or git hooks
 * (SPEC §3, "the guard protects itself"). CAVRA_HOME itself is unreadable.
 */
export const GUARD_DENY_WRITE: readonly string[] = ['.claude/', '.mcp.json', '.git/hooks/', '.git/config'];

/** Removed from every sandbox's environment: the gate's own credential. */
export const GUARD_ENVIRONMENT_REMOVE: readonly string[] = ['CAVRA_GATE_TOKEN'];

/** A profile that cannot be compiled: the command must not run; `message` says what to do. */
export class ContainmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainmentError';
  }
}

export interface CompileInput {
  assigned: AssignedContainment;
  /** The action's working directory. */
  cwd: string;
  /** The gate's CAVRA_HOME: unreadable inside the sandbox. */
  cavraHome: string;
  /** The account's home directory: never a workspace, nor inside one. */
  userHome: string;
}

function isWithin(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * The workspace a command runs in: the repository around `cwd` (its top level, so that
 * `git commit` from a subdirectory can write the repository), or `cwd` itself. The search
 * stops below the home directory, and a workspace that is `/`, a top-level directory or the
 * home directory (or holds it) is refused: it would make the user's whole home writable.
 */
export function workspaceFor(cwd: string, userHome: string): string {
  if (!path.isAbsolute(cwd)) throw new ContainmentError(`cwd: "${cwd}" is not an absolute path`);
  let real: string;
  try {
    real = fs.realpathSync(cwd);
  } catch {
    throw new ContainmentError(`cwd: ${cwd} does not exist`);
  }
  if (!fs.statSync(real).isDirectory()) throw new ContainmentError(`cwd: ${cwd} is not a directory`);
  let home = userHome;
  try {
    home = fs.realpathSync(userHome);
  } catch {
    // A home that does not exist bounds nothing.
  }
  let workspace = real;
  for (let dir = real; ;) {
    if (dir === home || dir === path.dirname(dir)) break;
    if (fs.existsSync(path.join(dir, '.git'))) {
      workspace = dir;
      break;
    }
    dir = path.dirname(dir);
  }
  if (workspace.split('/').filter(Boolean).length < 2 || isWithin(home, workspace)) {
    throw new ContainmentError(
      `${workspace} cannot be a contained workspace: everything under it would be writable. Run the command from a project directory`,
    );
  }
  return workspace;
}

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

function pathGlobs(patterns: Iterable<string>): CompiledGlob[] {
  return sorted(patterns).flatMap((pattern) =>
    compilePathGlob(pattern, '/').map((glob) => ({ pattern, regex: glob.regex.source })),
  );
}

function nameGlobs(patterns: Iterable<string>): CompiledGlob[] {
  return sorted(patterns).map((pattern) => ({ pattern, regex: wordGlobSource(pattern) }));
}

function hostGrant(entry: string): HostGrant {
  const port = /:([0-9]{1,5})$/.exec(entry);
  const host = (port ? entry.slice(0, port.index) : entry).toLowerCase();
  return {
    pattern: entry.toLowerCase(),
    regex: wordGlobSource(host.replace(/^\[|\]$/g, '')),
    port: port ? Number(port[1]) : null,
  };
}

/**
 * Compiles the sandbox profile for a command: the union of the assigned packs' containment
 * sections (every restriction of every pack applies; grants add up), the guard's own
 * files, and what the workspace's repository needs (its remotes). Deterministic: the same
 * packs and workspace give the same profile and digest.
 */
export function compileProfile(input: CompileInput): ContainmentProfile {
  if (input.assigned.broken.length > 0) {
    throw new ContainmentError(
      `the sandbox profile cannot be compiled: ${input.assigned.broken.join('; ')}. Fix or unassign the pack`,
    );
  }
  const workspace = workspaceFor(input.cwd, input.userHome);
  const sections = input.assigned.packs.flatMap((pack) => (pack.section ? [pack.section] : []));
  const readPaths = new Set<string>([`${path.resolve(input.cavraHome)}/`]);
  const readGlobs = new Set<string>();
  const readExcept = new Set<string>();
  const denyWrite = new Set<string>(GUARD_DENY_WRITE);
  const hosts = new Set<string>();
  const remove = new Set<string>(GUARD_ENVIRONMENT_REMOVE);
  const keep = new Set<string>();
  let remotes = false;
  for (const section of sections) {
    for (const entry of section.deny_read ?? []) {
      if (entry.startsWith('/') || entry.startsWith('~/')) readPaths.add(entry);
      else readGlobs.add(entry.replace(/^\.\//, ''));
    }
    for (const entry of section.except_read ?? []) readExcept.add(entry.replace(/^\.\//, ''));
    for (const entry of section.deny_write ?? []) denyWrite.add(entry.replace(/^\.\//, ''));
    for (const entry of section.network?.hosts ?? []) hosts.add(entry.toLowerCase());
    if (section.network?.repository_remotes) remotes = true;
    for (const entry of section.environment?.remove ?? []) remove.add(entry);
    for (const entry of section.environment?.keep ?? []) keep.add(entry);
  }
  const writeAllow = new Set<string>();
  if (remotes) {
    const found = repositoryRemotes(workspace);
    for (const { host, port } of found.hosts) hosts.add(`${host.includes(':') ? `[${host}]` : host}:${port}`);
    for (const dir of found.localGitDirs) {
      // Never the home directory (or what holds it), never CAVRA_HOME: a remote there is a trap.
      const repository = path.basename(dir) === '.git' ? path.dirname(dir) : dir;
      if (isWithin(input.userHome, repository) || isWithin(dir, input.cavraHome) || isWithin(input.cavraHome, dir)) {
        continue;
      }
      writeAllow.add(dir);
      // Writable for pushes, but its own hooks and config stay read-only: they run when
      // anyone pushes to it later, outside any sandbox.
      denyWrite.add(`${dir}/hooks/`);
      denyWrite.add(`${dir}/config`);
    }
  }
  // A linked worktree (or submodule) keeps its repository outside the workspace: writable,
  // so that `git commit` works, with the same protections as an ordinary `.git` — and the
  // `.git` file itself read-only, so that it cannot be made to point at a planted repository.
  const linked = linkedGitDirs(workspace);
  if (linked) {
    denyWrite.add('.git');
    const dirs = isWithin(linked.gitDir, linked.commonDir) ? [linked.commonDir] : [linked.commonDir, linked.gitDir];
    for (const dir of dirs) {
      if (isWithin(input.userHome, dir) || isWithin(dir, input.cavraHome) || isWithin(input.cavraHome, dir)) continue;
      if (!isWithin(dir, workspace)) writeAllow.add(dir);
    }
    denyWrite.add(`${linked.commonDir}/hooks/`);
    denyWrite.add(`${linked.commonDir}/config`);
    denyWrite.add(`${linked.gitDir}/commondir`);
    if (fs.existsSync(path.join(linked.gitDir, 'config.worktree'))) denyWrite.add(`${linked.gitDir}/config.worktree`);
  }
  return {
    v: PROFILE_VERSION,
    workspace,
    deny_read: { paths: sorted(readPaths), globs: pathGlobs(readGlobs), except: pathGlobs(readExcept) },
    deny_write: sorted(denyWrite),
    write_allow: sorted(writeAllow),
    network: { hosts: sorted(hosts).map(hostGrant) },
    environment: { remove: nameGlobs(remove), keep: nameGlobs(keep) },
    packs: input.assigned.packs.map((pack) => ({ id: pack.id, version: pack.version })),
  };
}

/** The profile's digest: SHA-256 of its RFC 8785 canonical JSON, as recorded with decisions. */
export function profileDigest(profile: ContainmentProfile): string {
  return crypto.createHash('sha256').update(canonicalize(profile), 'utf8').digest('hex');
}
