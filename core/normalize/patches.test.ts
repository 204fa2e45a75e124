import { describe, expect, it } from 'vitest';
import { patchTargets, readPatchApplication } from './patches';
import { staticFields } from './git';

const gitDiff = (from: string, to: string) =>
  `diff --git a/${from} b/${to}\n--- a/${from}\n+++ b/${to}\n@@ -1 +1 @@\n-old\n+new\n`;

describe('the files a patch writes', () => {
  it('names every file a git or unified diff changes, creates, deletes or renames to', () => {
    expect(patchTargets(gitDiff('src/a.ts', 'src/a.ts'), 1)).toEqual(['src/a.ts']);
    const created = '--- /dev/null\n+++ b/.github/workflows/x.yml\n@@ -0,0 +1 @@\n+on: push\n';
    expect(patchTargets(created, 1)).toEqual(['.github/workflows/x.yml']);
    const deleted = '--- a/.claude/settings.json\n+++ /dev/null\n@@ -1 +0,0 @@\n-{}\n';
    expect(patchTargets(deleted, 1)).toEqual(['.claude/settings.json']);
    const renamed =
      'diff --git a/notes.md b/.mcp.json\nsimilarity index 100%\nrename from notes.md\nrename to .mcp.json\n';
    expect(patchTargets(renamed, 1)?.sort()).toEqual(['.mcp.json', 'notes.md']);
  });

  it('removes as many leading components as -p says', () => {
    expect(patchTargets('--- x/y/src/a.ts\n+++ x/y/src/a.ts\n', 2)).toEqual(['src/a.ts']);
    expect(patchTargets('--- .git/hooks/pre-commit\n+++ .git/hooks/pre-commit\n', 0)).toEqual([
      '.git/hooks/pre-commit',
    ]);
  });

  it('does not take a removed line that began with "-- " for a file header', () => {
    const text = `${gitDiff('src/a.ts', 'src/a.ts')}--- a comment line\n`;
    expect(patchTargets(text, 1)).toEqual(['src/a.ts']);
  });

  it('cannot name the files of a patch without headers, with quoted names or too few components', () => {
    expect(patchTargets('just some text\n', 1)).toBeNull();
    expect(patchTargets('diff --git "a/x y" "b/x y"\n', 1)).toBeNull();
    expect(patchTargets('--- a\n+++ a\n', 1)).toBeNull();
  });
});

describe('what git apply and git am apply', () => {
  const read = (subcommand: string, ...args: string[]) => readPatchApplication(subcommand, staticFields(args));

  it('reads the patch files, -p and --directory', () => {
    expect(read('apply', '-p0', '--directory=lib/', 'fix.patch')).toMatchObject({ strip: 0, directory: 'lib' });
    expect(read('apply', 'fix.patch')?.sources.map((field) => field.text)).toEqual(['fix.patch']);
    expect(read('am', '-p', '2', 'series.mbox')).toMatchObject({ strip: 2 });
    expect(read('apply')?.sources).toEqual([]);
  });

  it('writes nothing when it only checks or lists, unless --apply asks for both', () => {
    expect(read('apply', '--check', 'x.patch')).toBeNull();
    expect(read('apply', '--stat', 'x.patch')).toBeNull();
    expect(read('apply', '--stat', '--apply', 'x.patch')).not.toBeNull();
    expect(read('am', '--abort')).toBeNull();
    expect(read('status')).toBeNull();
  });
});
