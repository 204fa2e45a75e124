import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CompiledGlob, ContainmentProfile } from './profile';
import { ProfileError } from './profile';
import { looseObjectsOf, objectDirectories } from './git-objects';
import { scanWorkspace } from './workspace-scan';

/**
 * Turns a profile into a bubblewrap command line (Linux). The layout, in mount order:
 *
 *   /                  read-only (everything readable except what is masked below)
 *   /dev, /proc        fresh: a minimal /dev, and /proc of the sandbox's own PID namespace
 *   /tmp /var/tmp /run /home   empty private tmpfs: a private temp dir, no sockets of the
 *                      session (keyring, D-Bus, ssh-agent, docker), no other users' homes
 *   own home(s)        bound back read-only where they were hidden
 *   workspace          writable; local remotes of its repository writable
 *   /run/cavra/home    the sandbox's HOME: a writable directory of its own per workspace
 *                      (tool caches, `git config --global`), never the real home
 *   masks              protected read paths: an empty file or an empty read-only directory,
 *                      and the loose git objects holding a protected file's content
 *                      protected write paths: bound read-only onto themselves; a missing
 *                      one gets an empty read-only directory as placeholder, so it cannot
 *                      be created (the host sees the empty directory while the sandbox runs)
 *
 * Namespaces: user, PID (nothing outside is visible or signalable), network (no network
 * but the filtering proxy's socket), IPC, UTS, cgroup; a new session (no terminal
 * injection); all capabilities dropped; the sandbox dies with its parent.
 */

/** Where the filtering proxy's socket appears inside the sandbox, and the port socat serves. */
export const SANDBOX_PROXY_SOCKET = '/run/cavra/proxy.sock';
export const SANDBOX_PROXY_PORT = 3128;
/** Where the workspace's own sandbox home appears inside, and what HOME says there. */
export const SANDBOX_HOME = '/run/cavra/home';

const HIDDEN_ROOTS = ['/tmp', '/var/tmp', '/run', '/home'];
const PROXY_VARIABLES = ['http_proxy', 'https_proxy', 'all_proxy', 'no_proxy', 'ftp_proxy'];

export interface PlanOptions {
  /** The caller's environment (HOME, CAVRA_HOME, the variables to filter). */
  env: NodeJS.ProcessEnv;
  /** The working directory inside the workspace. */
  cwd: string;
  /** The runner's CAVRA_HOME: masked too, whatever the profile says. */
  cavraHome: string;
  /** An empty, read-only regular file to mask protected files with. */
  emptyFile: string;
  /** The filtering proxy's Unix socket on the host, and socat to relay to it, when hosts are granted. */
  proxy?: { socket: string; socat: string };
  /**
   * The workspace's sandbox home on the host (see sandboxHomeFor), bound writable at
   * SANDBOX_HOME. Without it HOME stays the real, read-only home.
   */
  sandboxHome?: string;
  /**
   * Placeholders other sandboxes of this workspace hold (see leases.ts). One that is still an
   * empty directory is bound as a placeholder again (and leased), not as an existing path.
   */
  reserved?: ReadonlySet<string>;
}

export interface SandboxPlan {
  /** bubblewrap's arguments, up to and including `--`. */
  args: string[];
  /** The command to run inside (the program and its arguments, possibly behind a relay). */
  command: string[];
  env: Record<string, string>;
  /** Paths the sandbox will create on the host as mount points for missing protected paths. */
  placeholders: string[];
  /** How many workspace entries the protected-path scan looked at. */
  scanned: number;
}

function isWithin(child: string, parent: string): boolean {
  if (parent === '/') return true;
  return child === parent || child.startsWith(`${parent}/`);
}

function realDirectory(p: string | undefined): string | null {
  if (!p || !path.isAbsolute(p)) return null;
  try {
    const real = fs.realpathSync.native(p);
    return fs.statSync(real).isDirectory() ? real : null;
  } catch {
    return null;
  }
}

function isEmptyDirectory(p: string): boolean {
  try {
    return fs.lstatSync(p).isDirectory() && fs.readdirSync(p).length === 0;
  } catch {
    return false;
  }
}

function depth(p: string): number {
  return p === '/' ? 0 : p.split('/').length - 1;
}

/** The home directories `~/` stands for: HOME and the account's home, when they are directories. */
export function homesOf(env: NodeJS.ProcessEnv): string[] {
  let account: string | undefined;
  try {
    account = os.userInfo().homedir;
  } catch {
    account = undefined;
  }
  const homes = [realDirectory(env.HOME), realDirectory(account)].filter((h): h is string => h !== null && h !== '/');
  return [...new Set(homes)];
}

function expand(entry: string, homes: string[], workspace: string): string[] {
  const bare = entry.replace(/\/+$/, '');
  if (bare.startsWith('~/')) return homes.map((home) => path.join(home, bare.slice(2)));
  if (bare.startsWith('/')) return [path.normalize(bare)];
  return [path.join(workspace, bare)];
}

export function planSandbox(profile: ContainmentProfile, argv: string[], options: PlanOptions): SandboxPlan {
  const [program] = argv;
  if (!program) throw new ProfileError('no command to run');
  const workspace = profile.workspace;
  const cwd = realDirectory(options.cwd);
  if (!cwd || !isWithin(cwd, workspace)) {
    throw new ProfileError(`the working directory ${options.cwd} is not inside the workspace ${workspace}`);
  }
  const homes = homesOf(options.env);
  // The gate checked the account's home; HOME may name another one, which must not be writable either.
  const exposedHome = homes.find((home) => isWithin(home, workspace));
  if (exposedHome) {
    throw new ProfileError(
      `${workspace} cannot be a contained workspace: it holds the home directory ${exposedHome}, which would become writable. Run the command from a project directory`,
    );
  }
  const hidden = HIDDEN_ROOTS.map((root) => realDirectory(root)).filter((r): r is string => r !== null);
  const writable = [
    workspace,
    ...profile.write_allow.map((d) => realDirectory(d)).filter((d): d is string => d !== null),
  ];

  // Binds: each later, deeper mount wins within its subtree, so order by depth.
  const binds: { path: string; how: '--tmpfs' | '--ro-bind' | '--bind' }[] = [];
  for (const root of hidden) binds.push({ path: root, how: '--tmpfs' });
  for (const home of homes) {
    if (hidden.some((root) => isWithin(home, root) && home !== root)) binds.push({ path: home, how: '--ro-bind' });
  }
  for (const dir of writable) binds.push({ path: dir, how: '--bind' });
  binds.sort((a, b) => depth(a.path) - depth(b.path));

  /** Where a path ends up inside: hidden, read-only or writable (the deepest mount decides). */
  const layer = (p: string): 'hidden' | 'read' | 'write' => {
    let best: { path: string; how: string } | null = null;
    for (const bind of binds)
      if (isWithin(p, bind.path) && (!best || depth(bind.path) >= depth(best.path))) best = bind;
    if (!best) return 'read';
    return best.how === '--tmpfs' ? (best.path === p ? 'write' : 'hidden') : best.how === '--bind' ? 'write' : 'read';
  };

  const masks = new Map<string, 'file' | 'dir' | 'ro'>();
  const mask = (target: string, kind: 'file' | 'dir' | 'ro') => {
    if (layer(target) === 'hidden') return;
    // A path inside an already masked directory is hidden by it.
    for (const [masked, how] of masks) if (how === 'dir' && isWithin(target, masked)) return;
    // Unreadable beats read-only: a file both secret and protected stays unreadable.
    if (kind === 'ro' && masks.has(target)) return;
    masks.set(target, kind);
  };

  // Protected read paths: literal entries, CAVRA_HOME, and what the workspace globs name.
  const literal = [...profile.deny_read.paths, `${path.resolve(options.cavraHome)}/`];
  for (const entry of literal) {
    for (const candidate of expand(entry, homes, workspace)) {
      // Most protected paths do not exist on a given machine: an lstat that does not throw
      // rules them out for a fraction of a failing realpath's cost (an exception each).
      let real: string;
      let stat: fs.Stats;
      try {
        if (!fs.lstatSync(candidate, { throwIfNoEntry: false })) continue;
        real = fs.realpathSync.native(candidate);
        stat = fs.statSync(real);
      } catch {
        continue;
      }
      mask(real, stat.isDirectory() ? 'dir' : 'file');
    }
  }
  const scan = scanWorkspace(workspace, profile.deny_read.globs, profile.deny_read.except);
  for (const match of scan.matches) mask(match.path, match.directory ? 'dir' : 'file');
  // The same content staged or committed: its loose git objects are masked as well.
  const objectDirs = objectDirectories(workspace);
  for (const [target, kind] of [...masks]) {
    if (kind === 'file' && isWithin(target, workspace)) {
      for (const object of looseObjectsOf(target, objectDirs)) mask(object, 'file');
    }
  }

  // Protected write paths: read-only where they would be writable; missing ones reserved.
  const placeholders: string[] = [];
  const isPlaceholder = (p: string) => options.reserved?.has(p) === true && isEmptyDirectory(p);
  for (const entry of profile.deny_write) {
    for (const candidate of expand(entry, homes, workspace)) {
      if (layer(candidate) !== 'write' && !writable.some((dir) => isWithin(candidate, dir))) continue;
      let existing = candidate;
      let missing: string | null = null;
      // The first missing component from the writable root down is what must not appear; another
      // sandbox's placeholder counts as missing.
      while (!fs.existsSync(existing) || isPlaceholder(existing)) {
        missing = existing;
        existing = path.dirname(existing);
      }
      if (missing === null) {
        const real = fs.realpathSync.native(candidate);
        if (layer(real) === 'write') mask(real, 'ro');
        continue;
      }
      const parent = fs.realpathSync.native(existing);
      if (layer(parent) !== 'write') continue;
      if (!fs.statSync(parent).isDirectory()) {
        // A file stands where a protected directory would be created: nothing can be made
        // under it unless it is replaced, so it stays read-only (bound onto itself).
        mask(parent, 'ro');
        continue;
      }
      // Always an empty read-only directory, even for a file: nothing can be created there,
      // and git does not list empty directories (an empty placeholder file would be committed
      // by `git add -A`).
      const reserved = path.join(parent, path.basename(missing));
      if (!placeholders.includes(reserved)) placeholders.push(reserved);
      mask(reserved, 'dir');
    }
  }

  const args = ['--die-with-parent', '--new-session', '--unshare-all', '--cap-drop', 'ALL'];
  args.push('--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc');
  for (const bind of binds) {
    if (bind.how === '--tmpfs') args.push('--tmpfs', bind.path);
    else args.push(bind.how, bind.path, bind.path);
  }
  const ordered = [...masks.entries()].sort((a, b) => depth(a[0]) - depth(b[0]));
  for (const [target, kind] of ordered) {
    if (kind === 'dir') args.push('--tmpfs', target, '--remount-ro', target);
    else if (kind === 'file') args.push('--ro-bind', options.emptyFile, target);
    else args.push('--ro-bind', target, target);
  }

  const env = sandboxEnvironment(profile, options.env);
  if (options.sandboxHome) {
    args.push('--bind', options.sandboxHome, SANDBOX_HOME);
    Object.assign(env, sandboxHomeEnvironment(options.env, homes));
  }
  let command = argv;
  if (profile.network.hosts.length > 0) {
    if (!options.proxy) throw new ProfileError('the profile grants hosts but no filtering proxy is running');
    args.push('--bind', options.proxy.socket, SANDBOX_PROXY_SOCKET);
    const proxy = `http://127.0.0.1:${SANDBOX_PROXY_PORT}`;
    for (const name of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) env[name] = proxy;
    command = ['/bin/sh', '-c', relayScript(options.proxy.socat), 'cavra-sandbox', ...argv];
  }
  args.push('--chdir', cwd, '--');
  return { args, command, env, placeholders, scanned: scan.entries };
}

/**
 * Inside the sandbox, socat serves the proxy's socket on a loopback port, and the command
 * starts once the port listens (read from /proc/net/tcp with shell built-ins only; a few
 * hundred microseconds). If socat is missing, the command runs without network.
 */
const PORT_HEX = SANDBOX_PROXY_PORT.toString(16).toUpperCase().padStart(4, '0');
const relayScript = (socat: string) =>
  [
    `${socat} TCP-LISTEN:${SANDBOX_PROXY_PORT},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:${SANDBOX_PROXY_SOCKET} 2>/dev/null &`,
    'i=0',
    'while [ $i -lt 20000 ]; do',
    `  while read -r _ local _ state _; do case "$local:$state" in 0100007F:${PORT_HEX}:0A) i=20000; break;; esac; done < /proc/net/tcp`,
    '  i=$((i+1))',
    'done',
    'exec "$@"',
  ].join('\n');

/**
 * Tools need a writable home (npm's cache and logs, pip's and node-gyp's caches, `git config
 * --global`, shell history), and the real one must stay read-only: a write to ~/.bashrc,
 * ~/.profile or ~/.config/autostart would run later, outside any sandbox. So HOME inside is
 * the workspace's own sandbox home, kept between runs (caches stay warm; what a contained
 * command leaves there reaches only later contained commands of the same workspace, which
 * can already change that workspace). The real home stays readable, less its protected
 * paths. XDG base directories follow HOME; the user's git settings stay in force (the
 * sandbox home's .gitconfig includes them). ~/.npmrc is not carried over: it holds registry
 * tokens, which the secrets pack keeps unreadable anyway.
 */
function sandboxHomeEnvironment(source: NodeJS.ProcessEnv, homes: string[]): Record<string, string> {
  const env: Record<string, string> = {
    HOME: SANDBOX_HOME,
    XDG_CACHE_HOME: `${SANDBOX_HOME}/.cache`,
    XDG_DATA_HOME: `${SANDBOX_HOME}/.local/share`,
    XDG_STATE_HOME: `${SANDBOX_HOME}/.local/state`,
    XDG_CONFIG_HOME: `${SANDBOX_HOME}/.config`,
  };
  // A cache named explicitly inside the real home (npm sets npm_config_cache for every script
  // it runs) moves to the same place in the sandbox home.
  for (const [name, value] of Object.entries(source)) {
    if (!value || !CACHE_VARIABLES.has(name.toLowerCase())) continue;
    const home = homes.find((h) => isWithin(path.resolve(value), h));
    if (home) env[name] = path.join(SANDBOX_HOME, path.relative(home, path.resolve(value)));
  }
  return env;
}

/** Variables that only say where a tool keeps its cache. */
const CACHE_VARIABLES = new Set([
  'npm_config_cache',
  'npm_config_devdir',
  'pip_cache_dir',
  'yarn_cache_folder',
  'gocache',
  'gomodcache',
]);

/**
 * The workspace's sandbox home on the host: under CAVRA_HOME (masked inside, so no sandbox
 * sees another workspace's), one per workspace, created on first use with a .gitconfig that
 * includes the user's own (`git config --global` then writes the sandbox's copy only).
 */
export function sandboxHomeFor(cavraHome: string, workspace: string, env: NodeJS.ProcessEnv): string {
  const dir = path.join(
    cavraHome,
    'containment',
    'homes',
    crypto.createHash('sha256').update(workspace).digest('hex').slice(0, 32),
  );
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const gitconfig = path.join(dir, '.gitconfig');
  if (!fs.existsSync(gitconfig)) {
    const includes = homesOf(env).flatMap((home) => [
      path.join(home, '.gitconfig'),
      path.join(
        env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config'),
        'git',
        'config',
      ),
    ]);
    const text = [
      `# CAVRA sandbox home of ${workspace}: \`git config --global\` inside the sandbox writes here.`,
      '# Your own git settings are included (read-only inside the sandbox); missing files are skipped.',
      '[include]',
      ...[...new Set(includes)].map((file) => `\tpath = ${JSON.stringify(file)}`),
      '',
    ].join('\n');
    try {
      fs.writeFileSync(gitconfig, text, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another run of the same workspace wrote it first.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return dir;
}

/** One regular expression for a list of name globs (each anchored), compiled once per list. */
const nameMatchers = new WeakMap<CompiledGlob[], RegExp | null>();
function anyOf(globs: CompiledGlob[]): RegExp | null {
  if (!nameMatchers.has(globs)) {
    nameMatchers.set(globs, globs.length > 0 ? new RegExp(globs.map((g) => `(?:${g.regex})`).join('|'), 'i') : null);
  }
  return nameMatchers.get(globs) ?? null;
}

/**
 * The environment inside: the caller's, less every variable the profile removes (and does
 * not keep) and any proxy settings from outside; TMPDIR is the private /tmp; the profile's
 * digest is announced so that tools can tell they are contained.
 */
export function sandboxEnvironment(profile: ContainmentProfile, source: NodeJS.ProcessEnv): Record<string, string> {
  const remove = anyOf(profile.environment.remove);
  const keep = anyOf(profile.environment.keep);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    if (PROXY_VARIABLES.includes(name.toLowerCase())) continue;
    if (remove?.test(name) && !keep?.test(name)) continue;
    env[name] = value;
  }
  env.TMPDIR = '/tmp';
  return env;
}
