import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normalizeAction } from './normalize';
import { realFileSystem } from './paths';
import { directoryWatches } from './tree-watch';
import { validateWalksBy, walkTree, type WalkOptions } from './walk';

/*
 * Walks are reused across actions only while nothing that matters to protection changed:
 * every directory listed keeps its stamp (identity, times, size), and so does the .gitignore
 * honoured. A symlink or hard link added, a link swapped, a .gitignore rewritten is seen by
 * the very next walk, not after a time-to-live.
 */

let root: string;
let lists: number;
let stamps: number;
const probe = {
  ...realFileSystem,
  entries(directory: string) {
    lists++;
    return realFileSystem.entries?.(directory) ?? null;
  },
  stamp(path: string) {
    stamps++;
    return realFileSystem.stamp?.(path) ?? null;
  },
};
const everything: WalkOptions = { hidden: true, ignoreFiles: false, names: null };
const honouringIgnores: WalkOptions = { hidden: true, ignoreFiles: true, names: null };
const walk = (options = everything) => walkTree(probe, root, options, true, { remaining: 6000 });
const names = (options = everything) => {
  const result = walk(options);
  return [...result.files, ...result.links].map((file) => path.relative(root, file)).sort();
};

/** Moves every directory's modification time into the past, as for a tree nobody touched lately. */
function settle(): void {
  const past = new Date(Date.now() - 60_000);
  const visit = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }))
      if (entry.isDirectory()) visit(path.join(dir, entry.name));
    fs.utimesSync(dir, past, past);
  };
  visit(root);
  const ignore = path.join(root, '.gitignore');
  if (fs.existsSync(ignore)) fs.utimesSync(ignore, past, past);
}

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-walk-'));
  fs.mkdirSync(path.join(root, 'src', 'deep'), { recursive: true });
  fs.writeFileSync(path.join(root, 'src', 'a.ts'), 'a\n');
  fs.writeFileSync(path.join(root, 'src', 'deep', 'b.ts'), 'b\n');
  fs.writeFileSync(path.join(root, 'secret.env'), 'TOKEN=x\n');
  lists = 0;
  stamps = 0;
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
  validateWalksBy('watches');
});

// The addon is built with the CLI (scripts/build.mjs); on Linux every CI run has it, and a
// missing one must fail here rather than quietly test stamps twice.
const watchesAvailable = process.platform === 'linux';

describe.each(['stamps', 'watches'] as const)('walk reuse, validated by %s', (mode) => {
  beforeEach(() => {
    validateWalksBy(mode);
    if (mode === 'watches')
      expect(directoryWatches(), 'native/tree-watch is built (node scripts/build.mjs)').not.toBeNull();
  });
  if (mode === 'watches' && !watchesAvailable) return;

  it('reuses a walk of a tree nobody changed, without listing it again', () => {
    settle();
    expect(names()).toEqual(['secret.env', 'src/a.ts', 'src/deep/b.ts']);
    const listed = lists;
    expect(listed).toBeGreaterThanOrEqual(3);
    expect(names()).toEqual(['secret.env', 'src/a.ts', 'src/deep/b.ts']);
    expect(lists).toBe(listed);
  });

  it('sees a symlink or a hard link added deep in the tree at once', () => {
    settle();
    names();
    fs.symlinkSync(path.join(root, 'secret.env'), path.join(root, 'src', 'deep', 'notes.txt'));
    expect(names()).toContain('src/deep/notes.txt');
    settle();
    names();
    fs.linkSync(path.join(root, 'secret.env'), path.join(root, 'src', 'copy.txt'));
    expect(names()).toContain('src/copy.txt');
  });

  it('sees a link swapped for another of the same name, and a directory replaced', () => {
    fs.symlinkSync(path.join(root, 'src', 'a.ts'), path.join(root, 'src', 'deep', 'link'));
    settle();
    const before = lists;
    names();
    names();
    const listedOnce = lists - before;
    fs.rmSync(path.join(root, 'src', 'deep', 'link'));
    fs.symlinkSync(path.join(root, 'secret.env'), path.join(root, 'src', 'deep', 'link'));
    names();
    expect(lists - before).toBeGreaterThan(listedOnce);
    // A whole directory swapped for another (rename over it) is a change of its parent.
    settle();
    names();
    const other = path.join(root, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'id_rsa'), 'key\n');
    fs.rmSync(path.join(root, 'src', 'deep'), { recursive: true });
    fs.renameSync(other, path.join(root, 'src', 'deep'));
    expect(names()).toContain('src/deep/id_rsa');
  });

  it('sees a .gitignore rewritten in place', () => {
    fs.writeFileSync(path.join(root, '.gitignore'), 'secret.env\n');
    settle();
    expect(names(honouringIgnores)).not.toContain('secret.env');
    // Same directory entries, same file: only the file's content (and so its stamp) changed.
    fs.writeFileSync(path.join(root, '.gitignore'), 'nothing\n');
    expect(names(honouringIgnores)).toContain('secret.env');
  });

  it('judges a file created after the walk was cached, however deep, on the next action', () => {
    // Through the normalizer, as the gate does: two recursive readers in one action share the
    // stamps of the directories they revalidate; the next action stamps them again.
    const paths = () =>
      normalizeAction({ type: 'execute_command', command: 'grep -r token src; rg token src', cwd: root })
        .paths.map((entry) => entry.relative)
        .sort();
    settle();
    expect(paths()).not.toContain('src/deep/.env');
    fs.writeFileSync(path.join(root, 'src', 'deep', '.env'), 'TOKEN=x\n');
    expect(paths()).toContain('src/deep/.env');
    // And a file created in a directory of the cached walk by a file rename, no new directory.
    settle();
    paths();
    fs.writeFileSync(path.join(os.tmpdir(), `cavra-walk-move-${process.pid}`), 'k\n');
    fs.renameSync(path.join(os.tmpdir(), `cavra-walk-move-${process.pid}`), path.join(root, 'src', 'id_rsa'));
    expect(paths()).toContain('src/id_rsa');
  });

  it('does not reuse the listing of a directory changed within the last moments', () => {
    names();
    const listed = lists;
    names();
    expect(lists).toBe(2 * listed);
  });
});

/** A deeper tree, reused until its directories are watched (the second reuse onwards). */
describe.runIf(watchesAvailable)('a walk whose directories are watched', () => {
  const deep = () => path.join(root, 'src', 'deep', 'deeper', 'deepest');
  beforeEach(() => {
    validateWalksBy('watches');
    fs.mkdirSync(deep(), { recursive: true });
    fs.mkdirSync(path.join(root, 'docs'));
    fs.writeFileSync(path.join(deep(), 'c.ts'), 'c\n');
    settle();
  });
  /** Walks until reuse no longer stamps every directory: then only the root is stat-ed. */
  const watched = (options = everything) => {
    names(options);
    names(options);
    const before = stamps;
    const listed = lists;
    const result = names(options);
    expect(lists, 'reused without listing').toBe(listed);
    expect(stamps - before, 'only the root (and a .gitignore) are stat-ed').toBeLessThanOrEqual(
      options.ignoreFiles ? 2 : 1,
    );
    return result;
  };

  it('reuses the walk by reading the watch queue, not by stat-ing its six directories', () => {
    expect(watched()).toEqual(['secret.env', 'src/a.ts', 'src/deep/b.ts', 'src/deep/deeper/deepest/c.ts']);
  });

  it('sees a protected file created deep inside the tree on the next walk', () => {
    watched();
    fs.writeFileSync(path.join(deep(), '.env'), 'TOKEN=x\n');
    expect(names()).toContain('src/deep/deeper/deepest/.env');
  });

  it('sees a new symlink to a secret, and a hard link, in a watched directory', () => {
    watched();
    fs.symlinkSync(path.join(root, 'secret.env'), path.join(deep(), 'notes.txt'));
    expect(names()).toContain('src/deep/deeper/deepest/notes.txt');
    settle();
    watched();
    fs.linkSync(path.join(root, 'secret.env'), path.join(root, 'docs', 'copy.txt'));
    expect(names()).toContain('docs/copy.txt');
  });

  it('sees a file renamed into the tree, and a directory renamed over another', () => {
    watched();
    const outside = path.join(os.tmpdir(), `cavra-walk-watched-${process.pid}`);
    fs.writeFileSync(outside, 'key\n');
    fs.renameSync(outside, path.join(deep(), 'id_rsa'));
    expect(names()).toContain('src/deep/deeper/deepest/id_rsa');
    settle();
    watched();
    // A directory swapped for one holding a key: the rename replaces a watched directory.
    const other = path.join(root, 'docs', 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'id_ed25519'), 'key\n');
    settle();
    watched();
    fs.rmSync(path.join(root, 'src', 'deep', 'deeper'), { recursive: true });
    fs.renameSync(other, path.join(root, 'src', 'deep', 'deeper'));
    expect(names()).toContain('src/deep/deeper/id_ed25519');
  });

  it('sees the root itself swapped for another directory, and an ancestor of it renamed', () => {
    watched();
    const moved = `${root}-moved`;
    fs.renameSync(root, moved);
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(root, '.env'), 'TOKEN=x\n');
    try {
      expect(names()).toEqual(['.env']);
    } finally {
      fs.rmSync(moved, { recursive: true, force: true });
    }
    // The tree's parent renamed away and another tree put in its place: no watched directory
    // changes, only the root's path now leads elsewhere.
    const tree = path.join(root, 'parent', 'tree');
    for (const dir of ['a', 'b', 'c/d']) fs.mkdirSync(path.join(tree, dir), { recursive: true });
    settle();
    const walkTreeNames = () =>
      walkTree(probe, tree, everything, true, { remaining: 6000 }).files.map((file) => path.relative(tree, file));
    walkTreeNames();
    walkTreeNames();
    expect(walkTreeNames()).toEqual([]);
    fs.renameSync(path.join(root, 'parent'), path.join(root, 'elsewhere'));
    fs.mkdirSync(path.join(tree, 'a'), { recursive: true });
    fs.writeFileSync(path.join(tree, 'a', 'id_rsa'), 'key\n');
    expect(walkTreeNames()).toEqual(['a/id_rsa']);
  });

  it('sees a .gitignore rewritten in place, which no directory watch reports', () => {
    fs.writeFileSync(path.join(root, '.gitignore'), 'secret.env\n');
    settle();
    expect(watched(honouringIgnores)).not.toContain('secret.env');
    fs.writeFileSync(path.join(root, '.gitignore'), 'nothing\n');
    expect(names(honouringIgnores)).toContain('secret.env');
  });

  it('lists again a directory whose mode changed (it may no longer be listable)', () => {
    watched();
    const listed = lists;
    fs.chmodSync(path.join(root, 'docs'), 0o700);
    walk();
    expect(lists).toBeGreaterThan(listed);
  });

  it('sees a directory of the tree covered by a bind mount (no inotify event), where mounting is allowed', (context) => {
    const secrets = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-walk-mounted-'));
    fs.writeFileSync(path.join(secrets, 'id_rsa'), 'key\n');
    try {
      watched();
      const mounted = spawnSync('mount', ['--bind', secrets, path.join(root, 'docs')]);
      if (mounted.status !== 0) {
        context.skip();
        return;
      }
      try {
        expect(names()).toContain('docs/id_rsa');
      } finally {
        spawnSync('umount', [path.join(root, 'docs')]);
      }
    } finally {
      fs.rmSync(secrets, { recursive: true, force: true });
    }
  });

  it('judges a protected file created after the walk was watched on the very next decision', () => {
    // `grep -R` follows links, `rg` does not: one action, two walks of the same tree.
    const paths = () =>
      normalizeAction({ type: 'execute_command', command: 'grep -R token src; rg token src', cwd: root })
        .paths.map((entry) => entry.relative)
        .sort();
    paths();
    paths();
    expect(paths()).not.toContain('src/deep/deeper/deepest/.env');
    fs.writeFileSync(path.join(deep(), '.env'), 'TOKEN=x\n');
    expect(paths()).toContain('src/deep/deeper/deepest/.env');
    settle();
    paths();
    paths();
    expect(paths()).not.toContain('secret.env');
    fs.symlinkSync(path.join(root, 'secret.env'), path.join(deep(), 'notes.txt'));
    expect(paths()).toEqual(expect.arrayContaining(['src/deep/deeper/deepest/notes.txt', 'secret.env']));
  });
});

describe('walks shared between contained and ordinary actions', () => {
  // The user's home is `root`; the sandbox's home is a directory in it (as the host side of the
  // sandbox's home bind is). A tree in the sandbox's home is the command's own scratch when
  // contained, and a directory outside the workspace when the same path is named outside the
  // sandbox: entries made for one context must never answer for the other.
  const workspaceIn = () => path.join(root, 'proj');
  const sandboxHome = () => path.join(root, 'sbx');
  const outsideFlags = (command: string, contained: boolean) =>
    normalizeAction(
      { type: 'execute_command', command, cwd: workspaceIn() },
      { home: root, ...(contained ? { containment: { home: sandboxHome() } } : {}) },
    )
      .paths.filter((entry) => entry.absolute.startsWith(`${sandboxHome()}/cache/`))
      .map((entry) => [path.relative(root, entry.absolute), entry.outsideWorkspace]);

  beforeEach(() => {
    fs.mkdirSync(path.join(workspaceIn(), 'src'), { recursive: true });
    fs.mkdirSync(path.join(sandboxHome(), 'cache', 'deep'), { recursive: true });
    fs.writeFileSync(path.join(sandboxHome(), 'cache', 'deep', 'blob'), 'x\n');
    settle();
  });

  it('judges a tree under the sandbox home as outside the workspace when the action is not contained', () => {
    // Contained first: the walk and its entries are cached with the sandbox home as the command's own.
    expect(outsideFlags('rm -rf ~/cache', true)).toContainEqual(['sbx/cache/deep/blob', false]);
    // The same tree named by an ordinary action is outside the workspace, whatever was cached.
    expect(outsideFlags(`rm -rf ${sandboxHome()}/cache`, false)).toEqual([['sbx/cache/deep/blob', true]]);
    // And the other way round: an ordinary walk cached first does not answer for a contained one.
    expect(outsideFlags('rm -rf ~/cache', true)).toContainEqual(['sbx/cache/deep/blob', false]);
  });

  it('refuses to walk the user home behind a contained command as it refuses the home itself', () => {
    // A workspace outside the home (`/work/app`): the home is not above it, only behind `~`.
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-walk-ws-'));
    try {
      for (const command of [`grep -r token ${root}`, `find ${root} -name blob -exec cat {} +`]) {
        const normalized = normalizeAction(
          { type: 'execute_command', command, cwd: elsewhere },
          { home: root, containment: { home: sandboxHome() } },
        );
        expect(normalized.problems.map((problem) => problem.message).join('\n'), command).toMatch(
          /reaches every file under/,
        );
      }
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
