import { describe, expect, it } from 'vitest';
import { WORKSPACE, command, lines, memoryFileSystem, normalize } from './fixtures';
import type { GitInvocation, GitPush } from './types';

const onBranch = (branch: string) => memoryFileSystem({ [`${WORKSPACE}/.git/HEAD`]: `ref: refs/heads/${branch}\n` });

const gitOperation = (args: string[], fs = onBranch('feature/x')): GitInvocation => {
  const normalized = normalize({ type: 'git_operation', git: { args } }, { fs });
  expect(normalized.git).toHaveLength(1);
  return normalized.git[0] as GitInvocation;
};
const push = (args: string[], fs = onBranch('feature/x')): GitPush => gitOperation(args, fs).push as GitPush;
const refs = (args: string[], fs = onBranch('feature/x')) =>
  push(args, fs).refs.map((r) => `${r.force ? '+' : ''}${r.src ?? ''}:${r.dst}${r.delete ? ' (delete)' : ''}`);

describe('git push', () => {
  it.each([
    [['push', 'origin', 'main'], ['main:main']],
    [['push', 'origin', 'HEAD:main'], ['HEAD:main']],
    [['push', 'origin', 'refs/heads/x:refs/heads/main'], ['refs/heads/x:refs/heads/main']],
    [['push', 'origin', '+main'], ['+main:main']],
    [['push', 'origin', ':main'], [':main (delete)']],
    [['push', 'origin', '--delete', 'main'], [':main (delete)']],
    [
      ['push', '-d', 'origin', 'main', 'dev'],
      [':main (delete)', ':dev (delete)'],
    ],
    [
      ['push', 'origin', 'a', 'b:c', '+d:e'],
      ['a:a', 'b:c', '+d:e'],
    ],
    [['push', '-f', 'origin', 'main'], ['+main:main']],
    [['push', 'origin', 'main', '--force'], ['+main:main']],
    [['push', 'origin', 'tag', 'v1'], ['refs/tags/v1:refs/tags/v1']],
    [['push', 'origin', 'HEAD'], ['HEAD:feature/x']],
    [['push', 'origin', 'x:'], ['x:x']],
  ])('%j', (args, expected) => {
    expect(refs(args)).toEqual(expected);
  });

  it('knows the branch an implicit push goes to', () => {
    expect(push(['push'], onBranch('main')).refs).toEqual([
      { src: 'main', dst: 'main', force: false, delete: false, implicit: true },
    ]);
    expect(push(['push', 'origin'], onBranch('main')).refs[0]).toMatchObject({ dst: 'main', implicit: true });
    expect(push(['push', '-f'], onBranch('main')).refs[0]).toMatchObject({ dst: 'main', force: true });
    expect(push(['push'], memoryFileSystem({})).refs[0]).toMatchObject({ dst: 'HEAD', implicit: true });
    const worktree = memoryFileSystem({
      [`${WORKSPACE}/.git`]: 'gitdir: /repo/.git/worktrees/w',
      '/repo/.git/worktrees/w/HEAD': 'ref: refs/heads/release/1\n',
    });
    expect(push(['push'], worktree).refs[0]?.dst).toBe('release/1');
    const nested = normalize(
      { type: 'git_operation', git: { args: ['push'] }, cwd: `${WORKSPACE}/src/deep` },
      { fs: onBranch('main') },
    );
    expect(nested.git[0]?.push?.refs[0]?.dst).toBe('main');
  });

  it.each([
    [['push', '-f', 'origin', 'main'], { force: true }],
    [['push', '--force', 'origin', 'main'], { force: true }],
    [['push', '-fu', 'origin', 'main'], { force: true }],
    [['push', '-uf', 'origin', 'main'], { force: true }],
    [['push', '--forc', 'origin', 'main'], { force: true }],
    [['push', '--force-with-lease', 'origin', 'main'], { force: true, forceWithLease: true }],
    [['push', '--force-with-lease=main:abc', 'origin', 'main'], { force: true, forceWithLease: true }],
    [['push', '--force-with', 'origin', 'main'], { force: true, forceWithLease: true }],
    [['push', '--force-if-includes', 'origin', 'main'], { force: true }],
    [['push', '--no-force-with-lease', 'origin', 'main'], { force: false, forceWithLease: false }],
    [['push', '--mirror'], { mirror: true, force: true, delete: true }],
    [['push', '--mirr', 'origin'], { mirror: true }],
    [['push', '--all', 'origin'], { all: true }],
    [['push', '--branches', 'origin'], { all: true }],
    [['push', '--tags', 'origin'], { tags: true }],
    [['push', '--prune', 'origin'], { delete: true }],
    [['push', '--no-verify', 'origin', 'main'], { noVerify: true }],
    [['push', '--no-ver', 'origin', 'main'], { noVerify: true }],
    [['push', '-o', 'ci.skip', '--push-option=x', 'origin'], { pushOptions: ['ci.skip', 'x'] }],
    [['push', '-oci.skip', 'origin'], { pushOptions: ['ci.skip'] }],
    [['push', '--repo=upstream'], { remote: 'upstream' }],
    [['push', 'git@github.com:o/r.git', 'main'], { remote: 'git@github.com:o/r.git' }],
  ])('%j', (args, expected) => {
    expect(push(args)).toMatchObject(expected);
  });

  it('counts every force spelling on each ref', () => {
    expect(push(['push', '--force-with-lease', 'origin', 'HEAD:main']).refs[0]).toMatchObject({
      dst: 'main',
      force: true,
    });
  });

  it('treats an ambiguous abbreviation as every risky option it could be', () => {
    expect(push(['push', '--f', 'origin', 'main'])).toMatchObject({ force: true, forceWithLease: true });
  });
});

describe('git global options', () => {
  it('records -c config with lowercased names, and global options', () => {
    const invocation = gitOperation([
      '-c',
      'Core.HooksPath=/dev/null',
      '-C',
      'sub',
      '--no-pager',
      'push',
      '-f',
      'origin',
      'main',
    ]);
    expect(invocation.subcommand).toBe('push');
    expect(invocation.config).toEqual({ 'core.hookspath': '/dev/null' });
    expect(invocation.globalOptions).toEqual(['-c', 'Core.HooksPath=/dev/null', '-C', 'sub', '--no-pager']);
    expect(invocation.args).toEqual(['-f', 'origin', 'main']);
  });

  it.each([
    [['--git-dir=/x/.git', '--work-tree', '/x', 'status'], 'status'],
    [['-P', '-p', '--bare', '--literal-pathspecs', 'log'], 'log'],
    [['--namespace', 'n', '--exec-path=/tmp', 'fetch'], 'fetch'],
    [['-c', 'user.name=x', '-c', 'a.b.c=d', 'commit'], 'commit'],
    [['--config-env=core.sshCommand=EVIL', 'fetch'], 'fetch'],
  ])('%j → %s', (args, subcommand) => {
    expect(gitOperation(args).subcommand).toBe(subcommand);
  });

  it('keeps subsection case', () => {
    expect(gitOperation(['-c', 'Remote.Origin.URL=x', 'fetch']).config).toEqual({ 'remote.Origin.url': 'x' });
    expect(gitOperation(['-c', 'flag', 'fetch']).config).toEqual({ flag: 'true' });
  });

  it('reads config passed through the environment', () => {
    const normalized = command(
      'GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.hooksPath GIT_CONFIG_VALUE_0=/dev/null git push',
    );
    expect(normalized.git[0]?.config).toEqual({ 'core.hookspath': '/dev/null' });
    const parameters = command(`GIT_CONFIG_PARAMETERS="'core.hooksPath'='/dev/null'" git push`);
    expect(parameters.git[0]?.config).toEqual({ 'core.hookspath': '/dev/null' });
  });

  it('expands aliases given with -c', () => {
    const invocation = gitOperation(['-c', 'alias.p=push --force', 'p', 'origin', 'main']);
    expect(invocation.subcommand).toBe('push');
    expect(invocation.push).toMatchObject({ force: true });
    expect(gitOperation(['-c', 'alias.a=b', '-c', 'alias.b=push -f', 'a', 'origin', 'main']).push?.force).toBe(true);
  });

  it('follows commands git runs for itself', () => {
    expect(lines(command(`git -c alias.x='!rm -rf /' x`))).toContain('rm -rf /');
    expect(lines(command(`git -c core.sshCommand='sh -c "rm -rf /"' fetch`))).toContain('rm -rf /');
    expect(lines(command(`git -c core.pager='rm -rf /' log`))).toContain('rm -rf /');
    expect(lines(command(`git -c credential.helper='!rm -rf /' fetch`))).toContain('rm -rf /');
    expect(lines(command(`GIT_SSH_COMMAND='rm -rf /' git fetch`))).toContain('rm -rf /');
    expect(lines(command(`git push --receive-pack='rm -rf /' origin main`))).toContain('rm -rf /');
    const operation = normalize({ type: 'git_operation', git: { args: ['-c', 'alias.x=!rm -rf /', 'x'] } });
    expect(lines(operation)).toContain('rm -rf /');
    expect(command('git -c core.fsmonitor=true status').commands).toHaveLength(1);
  });
});

describe('git in shell commands', () => {
  it.each([
    ['git -c core.hooksPath=/dev/null push -f origin main', { force: true }],
    ['git push origin +main', { force: false }],
    ['git push origin HEAD:main --force-with-lease', { force: true, forceWithLease: true }],
    ['git push origin :main', { delete: false }],
    ['git push --mirror', { mirror: true }],
    ['sudo -u git /usr/bin/git push -f origin main', { force: true }],
    ['cd repo && git push -f', { force: true }],
    [`bash -c 'git push --force origin main'`, { force: true }],
  ])('%s', (text, expected) => {
    const normalized = command(text);
    expect(normalized.git.find((g) => g.subcommand === 'push')?.push).toMatchObject(expected);
  });

  it('judges files git reads or changes for the command', () => {
    const touched = (text: string) => command(text).paths.map((p) => `${p.access} ${p.relative} ${p.via}`);
    expect(touched('git show HEAD:.env')).toEqual(['read .env git']);
    expect(touched('git cat-file -p main:config/.env')).toEqual(['read config/.env git']);
    expect(touched('git log -p -- .env')).toEqual(['read .env git']);
    expect(touched('git add .env')).toEqual(['read .env git']);
    expect(touched('git rm --cached .env')).toEqual(['write .env git']);
    expect(touched('git checkout -- .github/workflows/ci.yml')).toEqual(['write .github/workflows/ci.yml git']);
    expect(touched('git -C sub show HEAD:.env')).toEqual(['read sub/.env git']);
    expect(touched('git clone https://github.com/x/y')).toEqual([]);
  });

  it('records every git invocation in order', () => {
    expect(command('git status && git commit -m "x" && git push').git.map((g) => g.subcommand)).toEqual([
      'status',
      'commit',
      'push',
    ]);
  });
});

describe('git fetch and pull', () => {
  const fetchFrom = (args: string[]) => gitOperation(args).fetch;
  it.each([
    [['fetch'], [], false],
    [['fetch', 'origin'], ['origin'], false],
    [['pull', '--rebase', 'origin', 'main'], ['origin'], false],
    [['fetch', '--depth', '1', 'upstream', 'main'], ['upstream'], false],
    // git takes any unambiguous prefix of a long option: `--dep` is `--depth`, so 1 is its value.
    [['fetch', '--dep', '1', 'origin'], ['origin'], false],
    [['fetch', '-j', '4', 'https://evil.example/x.git'], ['https://evil.example/x.git'], true],
    [['pull', '-s', 'ours', '../other', 'main'], ['../other'], true],
    [['fetch', 'git@evil.example:x/y.git'], ['git@evil.example:x/y.git'], true],
    [['fetch', '--', '/tmp/bare.git'], ['/tmp/bare.git'], true],
    [['fetch', '--multiple', 'origin', 'file:///tmp/x'], ['origin', 'file:///tmp/x'], true],
    [['fetch', 'origin', 'https://evil.example/x.git'], ['origin'], false],
  ])('%j', (args, remotes, location) => {
    expect(fetchFrom(args)).toEqual({ remotes, remoteIsLocation: location });
  });

  it('is not read for other subcommands', () => {
    expect(gitOperation(['push', 'origin', 'feature/x']).fetch).toBeUndefined();
  });
});
