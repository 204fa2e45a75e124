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
 * What a profile depends on besides the packs: the workspace and what its repository says
 * (remotes, linked git directories). Gathered afresh for every command (a few small reads,
 * no spawn); the profile is then a pure function of the packs and these facts.
 */
interface WorkspaceFacts {
  workspace: string;
  remotes: ReturnType<typeof repositoryRemotes> | null;
  linked: ReturnType<typeof linkedGitDirs>;
  worktreeConfig: boolean;
}

function workspaceFacts(input: CompileInput, wantsRemotes: boolean): WorkspaceFacts {
  const workspace = workspaceFor(input.cwd, input.userHome);
  const linked = linkedGitDirs(workspace);
  return {
    workspace,
    remotes: wantsRemotes ? repositoryRemotes(workspace) : null,
    linked,
    worktreeConfig: linked !== null && fs.existsSync(path.join(linked.gitDir, 'config.worktree')),
  };
}

function assertLoadable(assigned: AssignedContainment): void {
  if (assigned.broken.length > 0) {
    throw new ContainmentError(
      `the sandbox profile cannot be compiled: ${assigned.broken.join('; ')}. Fix or unassign the pack`,
    );
  }
}

const wantsRemotes = (assigned: AssignedContainment) =>
  assigned.packs.some((pack) => pack.section?.network?.repository_remotes === true);

/**
 * Compiles the sandbox profile for a command: the union of the assigned packs' containment
 * sections (every restriction of every pack applies; grants add up), the guard's own
 * files, and what the workspace's repository needs (its remotes). Deterministic: the same
 * packs and workspace give the same profile and digest.
 */
export function compileProfile(input: CompileInput): ContainmentProfile {
  assertLoadable(input.assigned);
  return profileFrom(input, workspaceFacts(input, wantsRemotes(input.assigned)));
}

function profileFrom(input: CompileInput, facts: WorkspaceFacts): ContainmentProfile {
  const { workspace } = facts;
  const sections = input.assigned.packs.flatMap((pack) => (pack.section ? [pack.section] : []));
  const readPaths = new Set<string>([`${path.resolve(input.cavraHome)}/`]);
  const readGlobs = new Set<string>();
  const readExcept = new Set<string>();
  const denyWrite = new Set<string>(GUARD_DENY_WRITE);
  const hosts = new Set<string>();
  const remove = new Set<string>(GUARD_ENVIRONMENT_REMOVE);
  const keep = new Set<string>();
  for (const section of sections) {
    for (const entry of section.deny_read ?? []) {
      if (entry.startsWith('/') || entry.startsWith('~/')) readPaths.add(entry);
      else readGlobs.add(entry.replace(/^\.\//, ''));
    }
    for (const entry of section.except_read ?? []) readExcept.add(entry.replace(/^\.\//, ''));
    for (const entry of section.deny_write ?? []) denyWrite.add(entry.replace(/^\.\//, ''));
    for (const entry of section.network?.hosts ?? []) hosts.add(entry.toLowerCase());
    for (const entry of section.environment?.remove ?? []) remove.add(entry);
    for (const entry of section.environment?.keep ?? []) keep.add(entry);
  }
  const writeAllow = new Set<string>();
  if (facts.remotes) {
    const found = facts.remotes;
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
  const linked = facts.linked;
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
    if (facts.worktreeConfig) denyWrite.add(`${linked.gitDir}/config.worktree`);
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

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * Profiles compiled for the gate's decision path, kept per pack set (the policy engine hands
 * out one AssignedContainment per tenant, repository and pack generation, so a new
 * generation is a new key and the old entries go with it) and per workspace facts. The facts
 * are read afresh for every command, so a remote added, a worktree linked or a config file
 * created since is a different key: a cached profile is always the one compileProfile would
 * return now. What only the runner sees (protected files created since, missing protected
 * paths) is never cached: the runner finds it on every run.
 */
export class ProfileCache {
  private readonly byPacks = new WeakMap<
    AssignedContainment,
    Map<string, { profile: ContainmentProfile; digest: string }>
  >();

  /** At most this many workspaces per pack set (the oldest is dropped first). */
  constructor(private readonly limit = 256) {}

  compile(input: CompileInput): { profile: ContainmentProfile; digest: string } {
    assertLoadable(input.assigned);
    const facts = workspaceFacts(input, wantsRemotes(input.assigned));
    const key = JSON.stringify([facts, path.resolve(input.cavraHome), input.userHome]);
    let entries = this.byPacks.get(input.assigned);
    if (!entries) {
      entries = new Map();
      this.byPacks.set(input.assigned, entries);
    }
    const known = entries.get(key);
    if (known) return known;
    // Shared by every command of the workspace: frozen, so no caller can change another's.
    const profile = deepFreeze(profileFrom(input, facts));
    const compiled = Object.freeze({ profile, digest: profileDigest(profile) });
    if (entries.size >= this.limit) entries.delete(entries.keys().next().value as string);
    entries.set(key, compiled);
    return compiled;
  }
}

/** The profile's digest: SHA-256 of its RFC 8785 canonical JSON, as recorded with decisions. */
export function profileDigest(profile: ContainmentProfile): string {
  return crypto.createHash('sha256').update(canonicalize(profile), 'utf8').digest('hex');
}
