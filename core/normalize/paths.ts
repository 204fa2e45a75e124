import fs from 'node:fs';
import { posix } from 'node:path';
import { isGlobPattern } from './shell-words';
import type { NormalizedPath } from './types';

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
  /** The start of a small text file (`.git/HEAD`), or null when it cannot be read. */
  read(path: string): string | null;
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
  list(directory) {
    try {
      return fs.readdirSync(directory);
    } catch {
      return null;
    }
  },
  read(path) {
    let fd: number | null = null;
    try {
      fd = fs.openSync(path, 'r');
      const buffer = Buffer.alloc(4096);
      return buffer.subarray(0, fs.readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
    } catch {
      return null;
    } finally {
      if (fd !== null) fs.closeSync(fd);
    }
  },
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
}

interface GlobExpansion {
  matches: string[];
  /** False when the pattern could not be expanded (no file system, too many matches, unlistable). */
  complete: boolean;
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

  constructor(
    workspace: string | null,
    readonly home: string,
    private readonly probe: FileSystemProbe | null,
  ) {
    this.workspace = workspace;
    this.root = workspace ?? UNKNOWN_WORKSPACE;
  }

  /** Lexically absolute form of `text` against `base`: `~`, `$HOME`-less, `.`/`..`/`//` and `\` resolved. */
  absolute(text: string, base: string = this.root): string {
    let path = text.replace(/\\/g, '/');
    if (/^file:\/\//i.test(path)) path = fileUri(path);
    if (path === '~' || path.startsWith('~/')) path = this.home + path.slice(1);
    else if (path === '~+' || path.startsWith('~+/')) path = base + path.slice(2);
    else if (/^~[A-Za-z0-9._-]+(\/|$)/.test(path)) path = otherHome(path, this.home);
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
    if (!this.probe || request.pattern || lexical.startsWith(`${UNKNOWN_WORKSPACE}/`)) return out;
    const real = this.real(lexical);
    if (real === lexical) return out;
    const first = out[0] as NormalizedPath;
    const target = this.accessEntries(real, request, this.realWorkspace(), lexical);
    // A workspace reached through a symlinked cwd is the same file under the same name: one entry is enough.
    if (target[0]?.relative !== null && target[0]?.relative === first.relative) return out;
    return [...out, ...target];
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
      candidates = isLast ? next : next.filter((dir) => this.probe?.locate(dir) !== null);
    }
    return { matches: candidates.filter((path) => this.probe?.locate(path) !== null), complete: true };
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
      outsideWorkspace: relative === null,
      access: 'read',
      source: request.source,
      via: request.via,
    };
    if (linkedFrom !== null) base.linkedFrom = linkedFrom;
    if (request.pattern) base.pattern = true;
    if (request.recursive) base.recursive = true;
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
  const location = probe.locate(path);
  if (location?.kind === 'exists') return location.real;
  if (location?.kind === 'dangling' && hops < MAX_LINK_HOPS) {
    // Writing through a dangling link creates its target: judge the target.
    const target = location.target.startsWith('/') ? location.target : `${posix.dirname(path)}/${location.target}`;
    return resolveLinks(posix.normalize(target), probe, hops + 1, memo);
  }
  const parent = posix.dirname(path);
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

/** A regular expression for one path segment of a bash glob. */
function segmentMatcher(segment: string, dotglob: boolean): RegExp {
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i] as string;
    if (ch === '\\' && i + 1 < segment.length) {
      source += escapeRegExp(segment[++i] as string);
    } else if ((ch === '@' || ch === '!' || ch === '+' || ch === '*' || ch === '?') && segment[i + 1] === '(') {
      // Extended globs are widened to "anything": more matches only means more files judged.
      const close = segment.indexOf(')', i);
      source += '.*';
      i = close === -1 ? segment.length : close;
    } else if (ch === '*') {
      source += '.*';
    } else if (ch === '?') {
      source += '.';
    } else if (ch === '[') {
      const bracket = bracketExpression(segment, i);
      if (bracket === null) {
        source += '\\[';
        continue;
      }
      source += bracket.source;
      i = bracket.end;
    } else {
      source += escapeRegExp(ch);
    }
  }
  const leadingDot = dotglob || segment.startsWith('.') ? '' : '(?!\\.)';
  try {
    return new RegExp(`^${leadingDot}${source}$`, 's');
  } catch {
    // A class bash accepts but JavaScript does not (`[z-a]`): match everything, judge more files.
    return /^/;
  }
}

const POSIX_CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\s',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  print: ' -~',
  graph: '!-~',
  cntrl: '\\x00-\\x1f\\x7f',
};

/** `[abc]`, `[!a-z]`, `[]x]`, `[[:alpha:]_]` starting at `start`; null when it does not close. */
function bracketExpression(segment: string, start: number): { source: string; end: number } | null {
  let i = start + 1;
  let negate = false;
  if (segment[i] === '!' || segment[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  for (let first = true; i < segment.length; i++, first = false) {
    const ch = segment[i] as string;
    if (ch === ']' && !first) return { source: `[${negate ? '^' : ''}${body}]`, end: i };
    const posix = ch === '[' ? /^\[:([a-z]+):\]/.exec(segment.slice(i)) : null;
    if (posix) {
      // An unknown class name widens to "any character": more matches only means more files judged.
      body += POSIX_CLASSES[posix[1] as string] ?? '\\s\\S';
      i += posix[0].length - 1;
    } else {
      const literal = ch === '\\' && i + 1 < segment.length ? (segment[++i] as string) : ch;
      const escaped = literal !== ch || /[\\\]^[]/.test(ch);
      body += escaped && /[\\\]^[-]/.test(literal) ? `\\${literal}` : literal;
    }
  }
  return null;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
