import fs from 'node:fs';
import path from 'node:path';
import type { CompiledGlob } from './profile';
import { ProfileError } from './profile';

/** Directories the scan never descends into: git's own store and dependency trees. */
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);

/** Beyond this many entries the scan gives up, and the command does not run. */
export const DEFAULT_SCAN_LIMIT = 200_000;

export interface ScanResult {
  /** Absolute real paths to mask, each with whether it is a directory. */
  matches: { path: string; directory: boolean }[];
  entries: number;
}

// What a glob starting `**` then `/` compiles to in front of its last part (core/policy's glob compiler).
const ANY_DIRECTORIES = '(?:^|\\/)(?:[^/]*\\/)*';
/**
 * A last part that cannot match a `/`: literal letters, digits, `_` and `-`, escaped
 * punctuation other than `/`, and `[^/]*`, ending at `$`. Anything else stays a path test.
 */
const NAME_ONLY = /^(?:[A-Za-z0-9_-]|\\[^A-Za-z0-9/]|\[\^\/\]\*)*\$$/;

/**
 * Globs compiled for the scan. A glob `**` `/` name whose name cannot match a `/` matches a
 * path exactly when its name matches the entry's own name, so those are tested once per
 * entry as one anchored regular expression on the name (short, no backtracking over the
 * directories); the rest are tested on the workspace-relative path as written.
 */
export interface ScanMatcher {
  name: RegExp | null;
  path: RegExp | null;
}

/** Compiled once per list: a profile's lists are reused across the runs of one process. */
const matchers = new WeakMap<CompiledGlob[], ScanMatcher>();

export function scanMatcher(globs: CompiledGlob[]): ScanMatcher {
  const known = matchers.get(globs);
  if (known) return known;
  const names: string[] = [];
  const paths: string[] = [];
  for (const glob of globs) {
    const rest = glob.regex.startsWith(ANY_DIRECTORIES) ? glob.regex.slice(ANY_DIRECTORIES.length) : null;
    if (rest !== null && NAME_ONLY.test(rest)) names.push(rest);
    else paths.push(glob.regex);
  }
  const matcher = {
    name: names.length > 0 ? new RegExp(`^(?:${names.join('|')})`, 'i') : null,
    path: paths.length > 0 ? new RegExp(paths.map((regex) => `(?:${regex})`).join('|'), 'i') : null,
  };
  matchers.set(globs, matcher);
  return matcher;
}

function matches(matcher: ScanMatcher, name: string, relative: string): boolean {
  return (matcher.name?.test(name) ?? false) || (matcher.path?.test(relative) ?? false);
}

/**
 * Finds the workspace files a profile's deny_read globs name, so they can be masked. A
 * matching directory is masked whole (and not descended into). A symbolic link whose name
 * matches is resolved and its target masked, wherever it lives: reading through the link
 * would read the target. `.git` and `node_modules` are not searched (documented limits).
 */
export function scanWorkspace(
  workspace: string,
  deny: CompiledGlob[],
  except: CompiledGlob[],
  limit = DEFAULT_SCAN_LIMIT,
): ScanResult {
  const denied = scanMatcher(deny);
  const kept = scanMatcher(except);
  const found: ScanResult['matches'] = [];
  if (!denied.name && !denied.path) return { matches: found, entries: 0 };
  let entries = 0;
  const stack: string[] = [''];
  while (stack.length > 0) {
    const relativeDir = stack.pop() as string;
    let dirents: fs.Dirent[];
    try {
      dirents = fs.readdirSync(path.join(workspace, relativeDir), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const dirent of dirents) {
      entries++;
      if (entries > limit) {
        throw new ProfileError(
          `the workspace has more than ${limit} entries outside .git and node_modules, too many to find its protected files; run the command in a smaller workspace`,
        );
      }
      const relative = relativeDir === '' ? dirent.name : `${relativeDir}/${dirent.name}`;
      const absolute = path.join(workspace, relative);
      const match = matches(denied, dirent.name, relative) && !matches(kept, dirent.name, relative);
      if (dirent.isSymbolicLink()) {
        if (!match) continue;
        try {
          const target = fs.realpathSync.native(absolute);
          found.push({ path: target, directory: fs.statSync(target).isDirectory() });
        } catch {
          // A dangling link reads nothing.
        }
        continue;
      }
      if (match) {
        found.push({ path: absolute, directory: dirent.isDirectory() });
        continue;
      }
      if (dirent.isDirectory() && !SKIPPED_DIRECTORIES.has(dirent.name)) stack.push(relative);
    }
  }
  return { matches: found, entries };
}
