import { posix } from 'node:path';
import type { Action } from '../contract';
import { normalizeAction } from './normalize';
import type { FileSystemProbe, PathLocation } from './paths';
import type { NormalizedAction, SimpleCommand } from './types';

/** Test support: a workspace and home that exist only in memory, and shorthands for actions. */
export const WORKSPACE = '/work/app';
export const HOME = '/home/dev';

type Entry = { kind: 'file'; text: string } | { kind: 'dir' } | { kind: 'link'; target: string };

/**
 * An in-memory file system: keys are absolute paths; a string value is a file, `{ link }` a
 * symlink, `null` an empty directory. Parent directories are implied.
 */
export function memoryFileSystem(tree: Record<string, string | { link: string } | null>): FileSystemProbe {
  const entries = new Map<string, Entry>([['/', { kind: 'dir' }]]);
  for (const [path, value] of Object.entries(tree)) {
    for (let dir = posix.dirname(path); !entries.has(dir); dir = posix.dirname(dir)) entries.set(dir, { kind: 'dir' });
    entries.set(
      path,
      value === null
        ? { kind: 'dir' }
        : typeof value === 'string'
          ? { kind: 'file', text: value }
          : { kind: 'link', target: value.link },
    );
  }
  const realpath = (path: string, hops = 0): string | null => {
    let current = '';
    for (const segment of path.split('/').filter(Boolean)) {
      const next = `${current}/${segment}`;
      const entry = entries.get(next);
      if (entry === undefined) return null;
      if (entry.kind === 'link') {
        if (hops > 32) return null;
        const resolved = realpath(posix.resolve(current || '/', entry.target), hops + 1);
        if (resolved === null) return null;
        current = resolved === '/' ? '' : resolved;
      } else {
        current = next;
      }
    }
    return current || '/';
  };
  return {
    locate(path): PathLocation | null {
      const real = realpath(path);
      if (real !== null) return { kind: 'exists', real };
      const parent = realpath(posix.dirname(path));
      const entry = parent === null ? undefined : entries.get(posix.join(parent, posix.basename(path)));
      return entry?.kind === 'link' ? { kind: 'dangling', target: entry.target } : null;
    },
    list(directory) {
      const real = realpath(directory);
      if (real === null || entries.get(real)?.kind !== 'dir') return null;
      return [...entries.keys()]
        .filter((path) => path !== '/' && posix.dirname(path) === real)
        .map((path) => posix.basename(path));
    },
    read(path) {
      const real = realpath(path);
      const entry = real === null ? undefined : entries.get(real);
      return entry?.kind === 'file' ? entry.text : null;
    },
  };
}

const defaultFs = memoryFileSystem({ [`${WORKSPACE}/package.json`]: '{}', [`${HOME}/.bashrc`]: '' });

export interface Options {
  fs?: FileSystemProbe | null;
  cwd?: string | null;
}

export function normalize(action: Omit<Action, 'cwd'> & { cwd?: string }, options: Options = {}): NormalizedAction {
  const cwd = options.cwd === null ? undefined : (options.cwd ?? action.cwd ?? WORKSPACE);
  return normalizeAction({ ...action, ...(cwd !== undefined ? { cwd } : {}) } as Action, {
    home: HOME,
    fs: options.fs === undefined ? defaultFs : options.fs,
  });
}

export function command(text: string, options: Options = {}): NormalizedAction {
  return normalize({ type: 'execute_command', command: text }, options);
}

/** `program arg…` of every simple command, for compact assertions. */
export function lines(normalized: NormalizedAction): string[] {
  return normalized.commands.map((c: SimpleCommand) => [c.program, ...c.args].join(' '));
}
