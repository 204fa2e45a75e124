import { posix } from 'node:path';
import { segmentMatcher } from './glob-segment';
import { directoryWatches, type WatchHolder } from './tree-watch';

/** The file-system questions a walk asks (the normalizer's TreeProbe answers them). */
interface TreeProbe {
  list(directory: string): string[] | null;
  read(path: string): string | null;
  entries?(directory: string): { name: string; kind: string }[] | null;
  stamp?(path: string): EntryStamp | null;
  /**
   * The stamp read now, never one remembered earlier in the action: what a walk is compared
   * with once its directories are watched must postdate the watches. `stamp` when absent.
   */
  freshStamp?(path: string): EntryStamp | null;
}

/**
 * What changes when a directory's entries change (a file, link or hard link added, removed or
 * renamed, a symlink swapped) or a file is rewritten: its identity, modification and change
 * times, size and link count. `changedAt` (milliseconds since the epoch) is the earlier of the
 * two times: a change in the same tick as a listing leaves the stamp as it was only when both
 * were that tick. Numbers, compared field by field: revalidating a reused walk stamps every
 * directory it listed, and formatting six numbers into a string key per directory cost more
 * than the stat itself.
 */
export interface EntryStamp {
  dev: number;
  ino: number;
  mtimeMs: number;
  ctimeMs: number;
  size: number;
  nlink: number;
  changedAt: number;
  /** A directory (following symlinks): a walk starts only at one. */
  directory: boolean;
}

/** The stamp of an entry that does not exist (a `.gitignore` that is not there). */
export const ABSENT_STAMP: EntryStamp = Object.freeze({
  dev: -1,
  ino: -1,
  mtimeMs: 0,
  ctimeMs: 0,
  size: 0,
  nlink: 0,
  changedAt: 0,
  directory: false,
});

export function sameStamp(a: EntryStamp | null, b: EntryStamp | null): boolean {
  if (a === null || b === null) return false;
  return (
    a.ino === b.ino &&
    a.mtimeMs === b.mtimeMs &&
    a.ctimeMs === b.ctimeMs &&
    a.size === b.size &&
    a.nlink === b.nlink &&
    a.dev === b.dev
  );
}

/**
 * Bounded walks of directory trees (SPEC §3: recursive readers and globs are judged by what
 * they reach on the real file system). A recursive reader over a directory holding `.env` is
 * judged as reading `.env`; a walk too large to finish is reported, never guessed.
 */

/** Entries visited by one walk before it gives up (and the action needs a reviewer). */
export const MAX_WALK_ENTRIES = 3000;
/**
 * Entries all the walks of one action may visit together: `rm -rf /*` names twenty trees, and
 * judging one action must stay bounded however many it names.
 */
export const MAX_ACTION_WALK_ENTRIES = 2 * MAX_WALK_ENTRIES;

/** What is left of one action's walking allowance (shared by all its walks). */
export interface WalkBudget {
  remaining: number;
}
const MAX_WALK_DEPTH = 24;
/** Directories no walk enters: installed packages and git's object store hold no one's secrets. */
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git']);
/**
 * A walk is reused only while every directory it listed (and the `.gitignore` it honoured)
 * still has the stamp it had before it was listed. File system times are coarse (a second on
 * some), so a listing of a directory changed within this long is never reused: a change in the
 * same tick would leave the same stamp.
 */
const RACY_MILLISECONDS = 2000;
const MAX_CACHED_WALKS = 64;

export interface WalkOptions {
  /** Dot files and directories are visited (`grep -r`); `rg` skips them unless told otherwise. */
  hidden: boolean;
  /** `.gitignore` at the walk's root is honoured (rg, ag, git grep). */
  ignoreFiles: boolean;
  /** Only files whose name matches (`find -name`, `grep --include`); null for every file. */
  names: readonly string[] | null;
  /**
   * Symbolic links found are followed (`grep -R`, `tar -h`, `find … -exec cat`); `rg`, `grep -r`
   * and git skip them. Absent means followed: judging more is the safe side.
   */
  followLinks?: boolean;
}

export interface WalkResult {
  /** Regular files reached, absolute. */
  files: string[];
  /** Symbolic links reached (to files or directories), absolute: their targets are judged too. */
  links: string[];
  /** False when the walk stopped at its limit or could not list a directory. */
  complete: boolean;
}

type Stamped = [string, EntryStamp | null];

interface CachedWalk extends WatchHolder {
  result: WalkResult;
  /** Every directory listed and file read, with its stamp taken before it was read. */
  stamps: Stamped[];
  /** The directories listed (to watch). */
  directories: string[];
  /**
   * What a watch does not see, compared even while the directories are watched: the root
   * (an ancestor renamed, the root swapped), directories entered through a symlink (the link's
   * target path changing above the target) and the `.gitignore` read (rewritten in place).
   */
  anchors: Stamped[];
  /** The directories are watched: reuse reads the watch queue and compares the anchors only. */
  watched: boolean;
}

const cache = new Map<string, CachedWalk>();
/** Below this many directories, stat-ing them again costs less than reading the watch queue. */
const WATCH_FROM_DIRECTORIES = 4;
let watching = true;

/**
 * Whether reused walks may be validated through directory watches (where the addon is
 * available) or only by stamps: tests run both. Walks cached so far are forgotten.
 */
export function validateWalksBy(mode: 'watches' | 'stamps'): void {
  watching = mode === 'watches';
  for (const cached of cache.values()) forget(cached);
  cache.clear();
}

function forget(cached: CachedWalk): void {
  if (cached.watched) directoryWatches()?.release(cached);
  cached.watched = false;
}

function sameStamps(stamp: (path: string) => EntryStamp | null, stamps: readonly Stamped[]): boolean {
  // A path that could not be stamped when it was listed never matches (the walk was racy then).
  for (const [path, known] of stamps) if (!sameStamp(stamp(path), known)) return false;
  return true;
}

function stillValid(probe: TreeProbe, cached: CachedWalk): boolean {
  const stamp = probe.stamp;
  if (stamp === undefined) return false;
  const current = (path: string) => stamp.call(probe, path);
  if (cached.watched) {
    (directoryWatches() as NonNullable<ReturnType<typeof directoryWatches>>).sync();
    return !cached.changed && sameStamps(current, cached.anchors);
  }
  const watches = watching && cached.directories.length >= WATCH_FROM_DIRECTORIES ? directoryWatches() : null;
  if (watches === null || !watches.watch(cached, cached.directories)) return sameStamps(current, cached.stamps);
  // Reused a second time: watched from now on. The watches are in place before every stamp is
  // read again (afresh, not as remembered earlier in this action), so a change before them
  // shows in a stamp and one after them in the queue.
  const fresh = probe.freshStamp ?? stamp;
  cached.changed = false;
  cached.watched = true;
  if (sameStamps((path) => fresh.call(probe, path), cached.stamps)) return true;
  forget(cached);
  return false;
}

/**
 * Walks `root` (absolute, existing directory) breadth first, within MAX_WALK_ENTRIES and what
 * is left of the action's `budget`.
 */
export function walkTree(
  probe: TreeProbe,
  root: string,
  options: WalkOptions,
  cacheable: boolean,
  budget: WalkBudget,
): WalkResult {
  const key = `${root}\0${options.hidden ? 1 : 0}${options.ignoreFiles ? 1 : 0}${options.followLinks === false ? 0 : 1}\0${options.names?.join('\0') ?? ''}`;
  const stamping = cacheable && probe.stamp !== undefined;
  if (stamping) {
    const hit = cache.get(key);
    if (hit) {
      cache.delete(key);
      if (stillValid(probe, hit)) {
        // Most recently used last: the map's first key is the one to evict.
        cache.set(key, hit);
        return hit.result;
      }
      forget(hit);
    }
  }
  const limit = Math.min(MAX_WALK_ENTRIES, budget.remaining);
  const stamps: Recorded | null = stamping ? { stamps: [], directories: [], anchors: [] } : null;
  const { result, visited, racy } = walkUncached(probe, root, options, limit, stamps);
  budget.remaining = Math.max(0, budget.remaining - visited);
  // A walk cut short by this action's allowance may finish for another action: not cached.
  if (stamps !== null && !racy && (result.complete || limit === MAX_WALK_ENTRIES)) {
    if (cache.size >= MAX_CACHED_WALKS) {
      const oldest = cache.keys().next().value as string;
      forget(cache.get(oldest) as CachedWalk);
      cache.delete(oldest);
    }
    cache.set(key, { result, ...stamps, watched: false, changed: false });
  }
  return result;
}

/** What a walk recorded to be reused: see CachedWalk. */
interface Recorded {
  stamps: Stamped[];
  directories: string[];
  anchors: Stamped[];
}

function walkUncached(
  probe: TreeProbe,
  root: string,
  options: WalkOptions,
  limit: number,
  recorded: Recorded | null,
): { result: WalkResult; visited: number; racy: boolean } {
  let racy = false;
  const now = Date.now();
  const seen = new Set<string>([root]);
  /** Records `path`'s stamp before it is read; one that cannot be stamped, or changed just now, keeps the walk from being reused. */
  const stamp = (path: string, directory: boolean) => {
    if (recorded === null) return;
    const current = probe.stamp?.(path) ?? null;
    if (current === null || now - current.changedAt < RACY_MILLISECONDS) racy = true;
    const entry: Stamped = [path, current];
    recorded.stamps.push(entry);
    if (directory) recorded.directories.push(path);
    // The root, and directories reached through a link (`seen`), lie where no watched directory's entries say.
    if (!directory || seen.has(path)) recorded.anchors.push(entry);
  };
  const files: string[] = [];
  const links: string[] = [];
  // Names compare case-insensitively: `-iname`, and file systems that ignore case.
  const names = options.names?.map((name) => new RegExp(segmentMatcher(name, true).source, 'is')) ?? null;
  if (options.ignoreFiles) stamp(posix.join(root, '.gitignore'), false);
  const patterns = options.ignoreFiles ? ignorePatterns(probe, root) : [];
  let visited = 0;
  let complete = true;
  let level: string[] = [root];
  for (let depth = 0; level.length > 0 && depth < MAX_WALK_DEPTH; depth++) {
    const next: string[] = [];
    for (const directory of level) {
      stamp(directory, true);
      const entries = listing(probe, directory);
      if (entries === null) {
        complete = false;
        continue;
      }
      for (const entry of entries) {
        if (++visited > limit) return { result: { files, links, complete: false }, visited: limit, racy };
        if (!options.hidden && entry.name.startsWith('.')) continue;
        const path = directory === '/' ? `/${entry.name}` : `${directory}/${entry.name}`;
        if (
          patterns.length > 0 &&
          ignored(patterns, path.slice(root.length + 1), entry.name, entry.kind === 'directory')
        )
          continue;
        if (entry.kind === 'link' && options.followLinks === false) continue;
        if (entry.kind === 'directory') {
          // `find . -name .git -exec rm -rf {} +` reaches the directory itself.
          if (names !== null && names.some((matcher) => matcher.test(entry.name))) files.push(path);
          if (!SKIPPED_DIRECTORIES.has(entry.name)) next.push(path);
        } else if (entry.kind === 'link' && !seen.has(path) && probe.list(path) !== null) {
          // A link to a directory is walked as well (grep -R, tar -h, cp -L follow them; judging more is safe).
          seen.add(path);
          links.push(path);
          if (seen.size < 64) next.push(path);
        } else if (names === null || names.some((matcher) => matcher.test(entry.name))) {
          if (entry.kind === 'link') links.push(path);
          else if (entry.kind === 'file') files.push(path);
        }
      }
    }
    level = next;
  }
  if (level.length > 0) complete = false;
  return { result: { files, links, complete }, visited, racy };
}

function listing(probe: TreeProbe, directory: string): { name: string; kind: string }[] | null {
  if (probe.entries) return probe.entries(directory);
  const names = probe.list(directory);
  if (names === null) return null;
  // Without typed listings every name is judged as a file, and the ones that list as directories are walked.
  return names.map((name) => {
    const path = directory === '/' ? `/${name}` : `${directory}/${name}`;
    return { name, kind: probe.list(path) !== null ? 'directory' : 'file' };
  });
}

/** One `.gitignore` pattern: a name anywhere, or a path anchored at the root; `dir/` only matches directories. */
interface IgnorePattern {
  /** Matchers for each segment of an anchored path; null for a name matched anywhere. */
  segments: RegExp[] | null;
  name: RegExp | null;
  directoryOnly: boolean;
}

/**
 * The root's `.gitignore`, as far as skipping files needs. None at all when a `!` pattern
 * re-includes something, or a pattern uses `**`: skipping less is the safe side.
 */
function ignorePatterns(probe: TreeProbe, root: string): IgnorePattern[] {
  const text = probe.read(posix.join(root, '.gitignore'));
  if (text === null) return [];
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (lines.some((line) => line.startsWith('!') || line.includes('**'))) return [];
  return lines.map((line) => {
    const directoryOnly = line.endsWith('/');
    const body = line.replace(/^\//, '').replace(/\/$/, '');
    const anchored = line.startsWith('/') || body.includes('/');
    return anchored
      ? { segments: body.split('/').map((segment) => segmentMatcher(segment, true)), name: null, directoryOnly }
      : { segments: null, name: segmentMatcher(body, true), directoryOnly };
  });
}

function ignored(patterns: readonly IgnorePattern[], relative: string, name: string, directory: boolean): boolean {
  const parts = relative.split('/');
  return patterns.some((pattern) => {
    if (pattern.directoryOnly && !directory) return false;
    if (pattern.name) return pattern.name.test(name);
    const segments = pattern.segments as RegExp[];
    return segments.length === parts.length && segments.every((matcher, i) => matcher.test(parts[i] as string));
  });
}
