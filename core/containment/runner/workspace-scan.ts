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

function compile(globs: CompiledGlob[]): RegExp | null {
  if (globs.length === 0) return null;
  return new RegExp(globs.map((glob) => `(?:${glob.regex})`).join('|'), 'i');
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
  const denied = compile(deny);
  const kept = compile(except);
  const matches: ScanResult['matches'] = [];
  if (!denied) return { matches, entries: 0 };
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
      const match = denied.test(relative) && !(kept?.test(relative) ?? false);
      if (dirent.isSymbolicLink()) {
        if (!match) continue;
        try {
          const target = fs.realpathSync.native(absolute);
          matches.push({ path: target, directory: fs.statSync(target).isDirectory() });
        } catch {
          // A dangling link reads nothing.
        }
        continue;
      }
      if (match) {
        matches.push({ path: absolute, directory: dirent.isDirectory() });
        continue;
      }
      if (dirent.isDirectory() && !SKIPPED_DIRECTORIES.has(dirent.name)) stack.push(relative);
    }
  }
  return { matches, entries };
}
