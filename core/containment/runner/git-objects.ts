import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A protected file that was staged or committed also lives in the repository's object
 * store, where `git show :.env` or `git cat-file` read it back. Loose objects are one file
 * per object, named by the hash of the content: for every masked workspace file, the
 * objects its current content would be stored as are masked too. Objects in pack files
 * (after a clone or `git gc`) cannot be masked one by one; judgement covers git reads of
 * protected paths, and a committed secret is a finding (README, "What containment cannot
 * mask").
 */
const MAX_HASHED_BYTES = 8 * 1024 * 1024;

/** The object directories of the workspace's repository (`.git`, or where a `.git` file points). */
export function objectDirectories(workspace: string): string[] {
  const dotGit = path.join(workspace, '.git');
  let gitDir: string | null = null;
  try {
    const stat = fs.lstatSync(dotGit);
    if (stat.isDirectory()) gitDir = dotGit;
    else if (stat.isFile()) {
      const match = /^gitdir:\s*(.+?)\s*$/m.exec(fs.readFileSync(dotGit, 'utf8'));
      if (match?.[1]) gitDir = path.resolve(workspace, match[1]);
    }
  } catch {
    return [];
  }
  if (!gitDir) return [];
  const dirs = new Set([path.join(gitDir, 'objects')]);
  try {
    const common = fs.readFileSync(path.join(gitDir, 'commondir'), 'utf8').trim();
    if (common) dirs.add(path.join(path.resolve(gitDir, common), 'objects'));
  } catch {
    // Not a linked worktree.
  }
  return [...dirs].filter((dir) => fs.existsSync(dir));
}

/** Loose object files holding exactly this file's current content (SHA-1 and SHA-256 repositories). */
export function looseObjectsOf(file: string, objectDirs: string[]): string[] {
  if (objectDirs.length === 0) return [];
  let content: Buffer;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile() || stat.size > MAX_HASHED_BYTES) return [];
    content = fs.readFileSync(file);
  } catch {
    return [];
  }
  const header = Buffer.from(`blob ${content.length}\0`);
  const found: string[] = [];
  for (const algorithm of ['sha1', 'sha256']) {
    const id = crypto.createHash(algorithm).update(header).update(content).digest('hex');
    for (const dir of objectDirs) {
      const object = path.join(dir, id.slice(0, 2), id.slice(2));
      if (fs.existsSync(object)) found.push(object);
    }
  }
  return found;
}
