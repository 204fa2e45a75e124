import fs from 'node:fs';
import { posix } from 'node:path';
import { segmentMatcher } from './glob-segment';
import { isGlobPattern } from './shell-words';
import type { NormalizedPath } from './types';
import {
  ABSENT_STAMP,
  type EntryStamp,
  MAX_ACTION_WALK_ENTRIES,
  type WalkBudget,
  type WalkOptions,
  type WalkResult,
  walkTree,
} from './walk';

/** What exists at a path, as far as symlink resolution needs to know. */
export type PathLocation = { kind: 'exists'; real: string } | { kind: 'dangling'; target: string };

/**
 * The file-system questions normalization asks. The default asks the real file system;
 * tests pass a fake, and `null` keeps normalization purely lexical.
 */
export interface FileSystemProbe {
  /** The canonical path of an existing entry, the stored target of a dangling symlink, or null. */
  locate(path: string): PathLocation | null;
  /** Entry names of a directory, or null when it cannot be listed. */
  list(directory: string): string[] | null;
  /** The start of a small text file (`.git/HEAD`): at most SMALL_FILE_BYTES bytes; null when it cannot be read. */
  read(path: string): string | null;
  /** Entries of a directory with their kind, for walking trees; null when it cannot be listed. */
  entries?(directory: string): DirectoryEntry[] | null;
  /** The file's identity and link count (following symlinks), for finding its other hard-linked names. */
  identity?(path: string): { inode: string; links: number; file: boolean } | null;
  /** What changes when the entry (following symlinks) changes, for reusing walks of it. */
  stamp?(path: string): EntryStamp | null;
  /** `stamp` read now, where `stamp` may answer from what the action already read. */
  freshStamp?(path: string): EntryStamp | null;
  /**
   * What is at the path itself, not following a final symlink: nothing (or nothing that can
   * be looked at), a symlink, or another entry. One lstat: enough to say that something
   * exists, and that a path's real location is its parent's plus its own name.
   */
  entryKind?(path: string): 'missing' | 'link' | 'entry';
}

/** How much of a file `FileSystemProbe.read` returns: a text this long may have been cut. */
export const SMALL_FILE_BYTES = 4096;

export interface DirectoryEntry {
  name: string;
  kind: 'file' | 'directory' | 'link' | 'other';
}

export const realFileSystem: FileSystemProbe = {
  locate(path) {
    try {
      const stat = fs.lstatSync(path, { throwIfNoEntry: false });
      if (!stat) return null;
      try {
        return { kind: 'exists', real: fs.realpathSync.native(path) };
      } catch {
        return stat.isSymbolicLink() ? { kind: 'dangling', target: fs.readlinkSync(path) } : null;
      }
    } catch {
      return null;
    }
  },
  entryKind(path) {
    try {
      const stat = fs.lstatSync(path, { throwIfNoEntry: false });
      return stat === undefined ? 'missing' : stat.isSymbolicLink() ? 'link' : 'entry';
    } catch {
      return 'missing';
    }
  },
  list(directory) {
    try {
      return fs.readdirSync(directory);
    } catch {
      return null;
    }
  },
  entries(directory) {
    try {
      return fs.readdirSync(directory, { withFileTypes: true }).map((entry) => ({
        name: entry.name,
        kind: entry.isFile() ? 'file' : entry.isDirectory() ? 'directory' : entry.isSymbolicLink() ? 'link' : 'other',
      }));
    } catch {
      return null;
    }
  },
  stamp(path) {
    try {
      const stat = fs.statSync(path, { throwIfNoEntry: false });
      if (!stat) return ABSENT_STAMP;
      return {
        dev: stat.dev,
        ino: stat.ino,
        mtimeMs: stat.mtimeMs,
        ctimeMs: stat.ctimeMs,
        size: stat.size,
        nlink: stat.nlink,
        // A change sets both times; one the same tick as a listing goes unseen only when both are that recent.
        changedAt: Math.min(stat.mtimeMs, stat.ctimeMs),
        directory: stat.isDirectory(),
      };
    } catch {
      return null;
    }
  },
  identity(path) {
    try {
      const stat = fs.statSync(path, { throwIfNoEntry: false });
      return stat ? { inode: `${stat.dev}:${stat.ino}`, links: stat.nlink, file: stat.isFile() } : null;
    } catch {
      return null;
    }
  },
  read(path) {
    let fd: number | null = null;
    try {
      fd = fs.openSync(path, 'r');
      const buffer = Buffer.alloc(SMALL_FILE_BYTES);
      return buffer.subarray(0, fs.readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
    } catch {
      return null;
    } finally {
      if (fd !== null) fs.closeSync(fd);
    }
  },
};

/**
 * A file system with nothing on it: normalization that must not depend on the machine it runs
 * on (a pack's own tests) asks this one, so globs match nothing and no tree has files.
 */
export const emptyFileSystem: FileSystemProbe = {
  locate: () => null,
  list: () => null,
  read: () => null,
  entries: () => null,
  identity: () => null,
};

/**
 * Stands in for the workspace root when an action gives no `cwd`: relative paths stay
 * recognisable (`/unknown-workspace/config/.env`) without claiming a real location.
 */
const UNKNOWN_WORKSPACE = '/unknown-workspace';
const MAX_LINK_HOPS = 16;
const MAX_GLOB_MATCHES = 256;
const MAX_GLOB_LISTINGS = 32;

/** Device files that every shell script touches and that carry no data of their own. */
const HARMLESS_DEVICES = /^\/dev\/(null|zero|full|random|urandom|tty|stdin|stdout|stderr|fd\/\d+)$/;

export type Access = NormalizedPath['access'] | 'readwrite';

export interface PathRequest {
  access: Access;
  source: NormalizedPath['source'];
  via: string | null;
  /** Directory a relative path is resolved against (absolute); the workspace when absent. */
  base?: string;
  /** The text is a glob pattern standing for the files it matches. */
  pattern?: boolean;
  /** The command walks the directory recursively. */
  recursive?: boolean;
  /** How the command walks it (dot files, ignore files, name filters); every file when absent. */
  walk?: Partial<WalkOptions>;
  /** Set on entries found on disk rather than named. */
  reached?: NormalizedPath['reached'];
}

/** Entries made for the files of one walk, with their de-duplication keys, in the same order. */
export interface WalkedEntries {
  readonly entries: readonly NormalizedPath[];
  readonly keys: readonly string[];
}

/**
 * A cell carried, not enumerable, by each frozen entry of a walk (shared between actions while
 * the walk holds): what a consumer works out from an entry's own fields may be kept there, for
 * the `owner` it worked it out for (the policy keeps the rules an entry matched, per index). A
 * WeakMap lookup per file cost more than the rest of judging a remembered one, and a recursive
 * reader over a repository reaches hundreds.
 */
export const SHARED_ENTRY_MEMO: unique symbol = Symbol('cavra.sharedEntryMemo');
export interface SharedEntryMemo {
  owner: object | null;
  value: unknown;
}

/** Entries of a walk by the request that read it; a walk no longer cached takes its entries with it. */
const walkedEntryCache = new WeakMap<WalkResult, Map<string, WalkedEntries>>();

/** What makes two entries of one action the same entry. */
export function pathKey(entry: NormalizedPath): string {
  return `${entry.absolute}\0${entry.access}\0${entry.via}\0${entry.pattern ? 1 : 0}\0${entry.linkedFrom ?? ''}`;
}

/** Temporary directories: what sits beside a workspace in them is other scratch work, not a neighbour. */
const TEMP_ROOTS =
  /^(\/tmp|\/var\/tmp|\/private\/tmp|\/private\/var\/folders\/[^/]+\/[^/]+\/T|\/var\/folders\/[^/]+\/[^/]+\/T)$/;
/** A glob segment standing for every name in its directory (`*`, `.*`, `.[!.]*`, `**`). */
const EVERY_NAME = /^[*?.[\]!^-]*\*[*?.[\]!^-]*$/;

interface GlobExpansion {
  matches: string[];
  /** False when the pattern could not be expanded (no file system, too many matches, unlistable). */
  complete: boolean;
}

/** The glob's last segment matches every name in its directory (`*`, `.*`, `dir/*`). */
export function standsForEveryName(text: string): boolean {
  const normalized = text.replace(/\\/g, '/').replace(/\/+$/, '');
  return EVERY_NAME.test(normalized.slice(normalized.lastIndexOf('/') + 1));
}

/** Turns path text into NormalizedPath entries for one workspace and home directory. */
export class PathResolver {
  /** Absolute, lexically normalized workspace root, or null when the action gave none. */
  readonly workspace: string | null;
  /** Directory relative paths resolve against: the workspace, or a placeholder. */
  readonly root: string;
  private realWorkspaceCache: string | null | undefined;
  /** Symlink resolutions already made for this action: the same directories come up again and again. */
  private readonly resolved = new Map<string, string>();
  /** Entries every walk of this action may still visit. */
  private readonly walkBudget: WalkBudget = { remaining: MAX_ACTION_WALK_ENTRIES };
  private walkProbeCache: FileSystemProbe | null = null;

  constructor(
    workspace: string | null,
    readonly home: string,
    private readonly probe: FileSystemProbe | null,
    /** Contained: the user's own home, standing behind `home` (the sandbox's); null otherwise. */
    readonly userHome: string | null = null,
  ) {
    this.workspace = workspace;
    this.root = workspace ?? UNKNOWN_WORKSPACE;
  }

  /** The start of a small text file (at most SMALL_FILE_BYTES bytes); null without a file system. */
  head(path: string): string | null {
    return this.probe?.read(path) ?? null;
  }

  /** Lexically absolute form of `text` against `base`: `~`, `$HOME`-less, `.`/`..`/`//` and `\` resolved. */
  absolute(text: string, base: string = this.root): string {
    let path = text.replace(/\\/g, '/');
    if (/^file:\/\//i.test(path)) path = fileUri(path);
    if (path === '~' || path.startsWith('~/')) path = this.home + path.slice(1);
    else if (path === '~+' || path.startsWith('~+/')) path = base + path.slice(2);
    else if (/^~[A-Za-z0-9._-]+(\/|$)/.test(path)) path = otherHome(path, this.userHome ?? this.home);
    const drive = /^([A-Za-z]):\//.exec(path);
    if (drive) return `${(drive[1] as string).toUpperCase()}:${posix.normalize(path.slice(2))}`.replace(/(.)\/$/, '$1');
    const joined = path.startsWith('/') ? path : `${base}/${path}`;
    const normalized = posix.normalize(joined);
    return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
  }

  /** One entry for the path as written, and one for its symlink target when that is somewhere else. */
  entries(text: string, request: PathRequest): NormalizedPath[] {
    const lexical = this.absolute(text, request.base);
    if (HARMLESS_DEVICES.test(lexical)) return [];
    const out = this.accessEntries(lexical, request, this.workspace, null);
    const spans = this.spansOf(lexical, text, request);
    if (spans !== undefined) for (const entry of out) entry.spans = spans;
    if (!this.probe || request.pattern || lexical.startsWith(`${UNKNOWN_WORKSPACE}/`)) return out;
    const real = this.real(lexical);
    const hardLinks = request.reached === undefined ? this.otherNames(real, request) : [];
    if (real === lexical) return hardLinks.length > 0 ? [...out, ...hardLinks] : out;
    const first = out[0] as NormalizedPath;
    const target = this.accessEntries(real, request, this.realWorkspace(), lexical);
    // A workspace reached through a symlinked cwd is the same file under the same name: one entry is enough.
    if (target[0]?.relative !== null && target[0]?.relative === first.relative) return [...out, ...hardLinks];
    return [...out, ...target, ...hardLinks];
  }

  private inSandboxHome(absolute: string): boolean {
    return this.userHome !== null && (absolute === this.home || absolute.startsWith(`${this.home}/`));
  }

  /** In a contained action, the path in the user's own home that one in the sandbox's home stands for. */
  userHomeBehind(lexical: string): string | null {
    const user = this.userHome;
    if (user === null || user === this.home) return null;
    if (lexical === this.home) return user;
    return lexical.startsWith(`${this.home}/`) ? user + lexical.slice(this.home.length) : null;
  }

  /**
   * The workspace itself, a directory above it, or a neighbour beside it. A neighbour is
   * reached by climbing out of the workspace (`../other`), or named absolutely under the
   * workspace's parent unless that parent is a temporary directory (where neighbours are scratch).
   */
  private spansOf(lexical: string, text: string, request: PathRequest): NormalizedPath['spans'] {
    const workspace = this.workspace;
    if (workspace === null) return undefined;
    let path = lexical;
    if (request.pattern) {
      const slash = lexical.lastIndexOf('/');
      if (!EVERY_NAME.test(lexical.slice(slash + 1))) return undefined;
      // `rm -rf *` stands for everything in the workspace: the workspace itself.
      path = slash <= 0 ? '/' : lexical.slice(0, slash);
    }
    if (path === workspace) return 'workspace';
    if (path === '/' || workspace.startsWith(`${path}/`)) return 'ancestor';
    const parent = posix.dirname(workspace);
    if (!path.startsWith(`${parent}/`) || path.startsWith(`${workspace}/`)) return this.inHome(path);
    const climbed = !/^([/\\~]|[A-Za-z]:)/.test(text) && (request.base === undefined || request.base === this.root);
    return climbed || !TEMP_ROOTS.test(parent) ? 'sibling' : this.inHome(path);
  }

  /**
   * The home directory, or a directory directly in it that is not a dot directory: where the
   * user's other projects live (`~/projects`, `~/src`). Caches and tool settings (`~/.cache`) are not.
   */
  private inHome(path: string): NormalizedPath['spans'] {
    const home = this.home.replace(/\/+$/, '');
    if (home === '' || path.startsWith(`${this.workspace ?? '\0'}/`)) return undefined;
    if (path === home) return 'home';
    return posix.dirname(path) === home && !posix.basename(path).startsWith('.') ? 'home' : undefined;
  }

  /**
   * Other names of a file with several hard links, found in the workspace: writing or reading
   * `notes.txt` hard-linked to `.env` is reading `.env`. A link whose other names are not in the
   * workspace is reported as such (`hard_link` entry on itself), so it cannot pass unnoticed.
   */
  private otherNames(real: string, request: PathRequest): NormalizedPath[] {
    const identity = this.probe?.identity?.(real);
    if (!identity || identity.links < 2 || !identity.file || /\/node_modules\//.test(real)) return [];
    const names =
      this.inodeNames()
        .get(identity.inode)
        ?.filter((name) => name !== real) ?? [];
    const found: NormalizedPath[] = [];
    for (const name of names) {
      for (const entry of this.accessEntries(name, { ...request, reached: 'hard_link' }, this.realWorkspace(), real))
        found.push(entry);
    }
    if (names.length === 0) this.unresolvedHardLinks.push(real);
    return found;
  }

  /** Hard links whose other names lie outside the workspace. */
  readonly unresolvedHardLinks: string[] = [];

  private inodes: Map<string, string[]> | null = null;

  /** Files of the workspace with more than one link, by inode; walked once per action. */
  private inodeNames(): Map<string, string[]> {
    if (this.inodes !== null) return this.inodes;
    this.inodes = new Map();
    const root = this.realWorkspace();
    const probe = this.probe;
    if (root === null || probe === null || !probe.identity) return this.inodes;
    const walked = walkTree(
      this.walkProbe(probe),
      root,
      { hidden: true, ignoreFiles: false, names: null },
      probe === realFileSystem,
      this.walkBudget,
    );
    for (const file of walked.files) {
      const identity = probe.identity(file);
      if (identity && identity.links > 1) {
        const list = this.inodes.get(identity.inode) ?? [];
        list.push(file);
        this.inodes.set(identity.inode, list);
      }
    }
    return this.inodes;
  }

  /**
   * The probe walks use: each path stamped at most once per action. The walks of one action
   * (a recursive reader, `git ls-files | xargs`, the hard-link census) revalidate the same
   * directories, and within one action a stamp taken once is as good as one taken again.
   */
  private walkProbe(probe: FileSystemProbe): FileSystemProbe {
    if (this.walkProbeCache !== null) return this.walkProbeCache;
    const stamp = probe.stamp;
    if (stamp === undefined) return (this.walkProbeCache = probe);
    const stamps = new Map<string, EntryStamp | null>();
    const memo: FileSystemProbe = Object.create(probe) as FileSystemProbe;
    memo.stamp = (path: string) => {
      let known = stamps.get(path);
      if (known === undefined) stamps.set(path, (known = stamp.call(probe, path)));
      return known;
    };
    memo.freshStamp = (path: string) => stamp.call(probe, path);
    return (this.walkProbeCache = memo);
  }

  /** Whether a directory exists at the path now (following links); false without a file system. */
  isDirectory(absolute: string): boolean {
    return this.probe !== null && this.probe.list(absolute) !== null;
  }

  /** Whether something exists at the path now; false without a file system. */
  exists(absolute: string): boolean {
    if (this.probe === null) return false;
    // A symlink exists only if its target does; anything else, the one lstat says.
    const kind = this.probe.entryKind?.(absolute);
    if (kind === 'missing') return false;
    if (kind === 'entry') return true;
    return this.probe.locate(absolute)?.kind === 'exists';
  }

  /**
   * The entries for every file a walk found (the walk already resolved its directories), with
   * their keys for de-duplication. A walk reused while its directories are unchanged gives the
   * same entries, frozen and shared between actions, so the policy can remember their verdicts
   * instead of judging hundreds of unchanged files again (what made recursive readers slow).
   */
  walkedEntries(walked: WalkResult, request: PathRequest): WalkedEntries {
    const workspace = this.realWorkspace();
    const reached = request.reached ?? 'walk';
    // Entries depend on the homes too (a file in a contained command's sandbox home is its own,
    // the same file named outside the sandbox is outside the workspace): one context's frozen
    // entries must never answer for another's.
    const key = `${request.access}\0${request.source}\0${request.via ?? ''}\0${workspace ?? ''}\0${reached}\0${this.home}\0${this.userHome ?? ''}`;
    let byRequest = walkedEntryCache.get(walked);
    const known = byRequest?.get(key);
    if (known) return known;
    const entries: NormalizedPath[] = [];
    const keys: string[] = [];
    const entry: PathRequest = { access: request.access, source: request.source, via: request.via, reached };
    for (const file of walked.files) {
      for (const found of this.accessEntries(file, entry, workspace, null)) {
        Object.defineProperty(found, SHARED_ENTRY_MEMO, { value: { owner: null, value: null } });
        entries.push(Object.freeze(found));
        keys.push(pathKey(found));
      }
    }
    const made: WalkedEntries = { entries: Object.freeze(entries), keys: Object.freeze(keys) };
    if (!byRequest) walkedEntryCache.set(walked, (byRequest = new Map()));
    // A handful of ways to read one tree (read by grep, written by rm): bounded all the same.
    if (byRequest.size >= 8) byRequest.clear();
    byRequest.set(key, made);
    return made;
  }

  /**
   * The files a recursive command reaches under `directory` (lexical, absolute), or null when
   * nothing can be walked there (no file system, not a directory, unknown workspace).
   */
  walk(directory: string, options: Partial<WalkOptions>): WalkResult | null {
    if (!this.probe || directory.startsWith(`${UNKNOWN_WORKSPACE}/`) || directory === UNKNOWN_WORKSPACE) return null;
    const real = this.real(directory);
    const probe = this.walkProbe(this.probe);
    // The stamp says whether it is a directory, and the walk's revalidation reuses it; a probe
    // without stamps is asked for a listing.
    const stamp = probe.stamp?.(real);
    if (stamp === undefined ? probe.list(real) === null : stamp === null || !stamp.directory) return null;
    return walkTree(
      probe,
      real,
      {
        hidden: options.hidden ?? true,
        ignoreFiles: options.ignoreFiles ?? false,
        names: options.names ?? null,
        ...(options.followLinks === false ? { followLinks: false } : {}),
      },
      this.probe === realFileSystem,
      this.walkBudget,
    );
  }

  /** Expands a glob against the file system, as bash would at run time. */
  expandGlob(text: string, base: string = this.root, options: { dotglob: boolean }): GlobExpansion {
    const pattern = this.absolute(text, base);
    if (!this.probe || pattern.startsWith(`${UNKNOWN_WORKSPACE}/`)) return { matches: [], complete: false };
    const segments = pattern.split('/').slice(1);
    let candidates = [''];
    let listings = 0;
    for (const [index, segment] of segments.entries()) {
      const isLast = index === segments.length - 1;
      if (!isGlobPattern(segment)) {
        candidates = candidates.map((dir) => `${dir}/${segment.replace(/\\(.)/g, '$1')}`);
        continue;
      }
      const matcher = segmentMatcher(segment, options.dotglob);
      const next: string[] = [];
      for (const dir of candidates) {
        if (++listings > MAX_GLOB_LISTINGS) return { matches: [], complete: false };
        const names = this.probe.list(dir === '' ? '/' : dir);
        if (names === null) continue;
        for (const name of names) if (matcher.test(name)) next.push(`${dir}/${name}`);
        if (next.length > MAX_GLOB_MATCHES) return { matches: [], complete: false };
      }
      candidates = isLast ? next : next.filter((dir) => this.present(dir));
    }
    return { matches: candidates.filter((path) => this.present(path)), complete: true };
  }

  /** Something is at the path: an entry, or a symlink even if it dangles (what a glob matches). */
  private present(path: string): boolean {
    const kind = this.probe?.entryKind?.(path);
    if (kind !== undefined) return kind !== 'missing';
    return this.probe?.locate(path) !== null;
  }

  private accessEntries(
    absolute: string,
    request: PathRequest,
    workspace: string | null,
    linkedFrom: string | null,
  ): NormalizedPath[] {
    const relative = relativeTo(absolute, workspace ?? UNKNOWN_WORKSPACE);
    const base: NormalizedPath = {
      absolute,
      relative,
      // Contained, the sandbox's home is the workspace's own (one per workspace, writable only
      // inside): its files are where the command may write, like the workspace's.
      outsideWorkspace: relative === null && !this.inSandboxHome(absolute),
      access: 'read',
      source: request.source,
      via: request.via,
    };
    if (linkedFrom !== null) base.linkedFrom = linkedFrom;
    if (request.pattern) base.pattern = true;
    if (request.recursive) base.recursive = true;
    if (request.reached) base.reached = request.reached;
    if (request.access === 'readwrite') return [base, { ...base, access: 'write' }];
    base.access = request.access;
    return [base];
  }

  /** The branch checked out in the repository containing `directory`, read from its HEAD. */
  currentBranch(directory: string): string | null {
    if (!this.probe || directory.startsWith(UNKNOWN_WORKSPACE)) return null;
    for (let dir = directory, steps = 0; steps < 64; steps++) {
      const dotGit = `${dir === '/' ? '' : dir}/.git`;
      let head = this.probe.read(`${dotGit}/HEAD`);
      if (head === null) {
        // A worktree or submodule: `.git` is a file naming the real git directory.
        const pointer = /^gitdir:\s*(.+)$/m.exec(this.probe.read(dotGit) ?? '');
        if (pointer) head = this.probe.read(`${this.absolute((pointer[1] as string).trim(), dir)}/HEAD`);
      }
      if (head !== null) return /^ref:\s*refs\/heads\/(.+?)\s*$/m.exec(head)?.[1] ?? null;
      const parent = posix.dirname(dir);
      if (parent === dir) return null;
      dir = parent;
    }
    return null;
  }

  private realWorkspace(): string | null {
    if (this.realWorkspaceCache === undefined) {
      this.realWorkspaceCache = this.workspace && this.probe ? this.real(this.workspace) : this.workspace;
    }
    return this.realWorkspaceCache;
  }

  private real(path: string): string {
    return resolveLinks(path, this.probe as FileSystemProbe, 0, this.resolved);
  }
}

function resolveLinks(path: string, probe: FileSystemProbe, hops: number, memo: Map<string, string>): string {
  const known = memo.get(path);
  if (known !== undefined) return known;
  const real = locateReal(path, probe, hops, memo);
  memo.set(path, real);
  return real;
}

function locateReal(path: string, probe: FileSystemProbe, hops: number, memo: Map<string, string>): string {
  const parent = posix.dirname(path);
  const knownParent = parent === path ? undefined : memo.get(parent);
  if (knownParent !== undefined && probe.entryKind) {
    // Its parent already resolved in this action (the same few directories hold an action's
    // paths): a path that is not a symlink itself lies there under its own name, which one
    // lstat tells, instead of an lstat and a realpath walking every component again.
    const kind = probe.entryKind(path);
    if (kind !== 'link')
      return knownParent === '/' ? `/${posix.basename(path)}` : `${knownParent}/${posix.basename(path)}`;
  }
  const location = probe.locate(path);
  if (location?.kind === 'exists') return location.real;
  if (location?.kind === 'dangling' && hops < MAX_LINK_HOPS) {
    // Writing through a dangling link creates its target: judge the target.
    const target = location.target.startsWith('/') ? location.target : `${posix.dirname(path)}/${location.target}`;
    return resolveLinks(posix.normalize(target), probe, hops + 1, memo);
  }
  if (parent === path) return path;
  const realParent = resolveLinks(parent, probe, hops, memo);
  return realParent === '/' ? `/${posix.basename(path)}` : `${realParent}/${posix.basename(path)}`;
}

function relativeTo(absolute: string, workspace: string): string | null {
  if (absolute === workspace) return '.';
  if (workspace === '/') return absolute.slice(1);
  return absolute.startsWith(`${workspace}/`) ? absolute.slice(workspace.length + 1) : null;
}

/** `~/…` when the path lies in the home directory, for showing it to people. */
export function homeForm(absolute: string, home: string): string | null {
  if (home === '' || home === '/') return null;
  if (absolute === home) return '~';
  return absolute.startsWith(`${home}/`) ? `~${absolute.slice(home.length)}` : null;
}

function fileUri(uri: string): string {
  const rest = uri.slice('file://'.length);
  const path = rest.startsWith('/') ? rest : rest.slice(Math.max(0, rest.indexOf('/')));
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** `~name/x`: the home directory of another user, assumed to sit beside ours (`/home/name`, `/Users/name`). */
function otherHome(path: string, home: string): string {
  const slash = path.indexOf('/');
  const user = slash === -1 ? path.slice(1) : path.slice(1, slash);
  const rest = slash === -1 ? '' : path.slice(slash);
  if (user === posix.basename(home)) return home + rest;
  return `${user === 'root' ? '/root' : `${posix.dirname(home)}/${user}`}${rest}`;
}
