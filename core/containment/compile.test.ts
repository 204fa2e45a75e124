import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AssignedContainment } from '../policy';
import {
  compileProfile,
  ContainmentError,
  GUARD_DENY_WRITE,
  ProfileCache,
  profileDigest,
  workspaceFor,
} from './compile';
import { parseProfile, probeSandbox, runContained } from './runner';

let root: string;
let home: string;
let cavraHome: string;

beforeAll(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-compile-')));
  home = path.join(root, 'home');
  cavraHome = path.join(root, 'cavra-home');
  fs.mkdirSync(home);
  fs.mkdirSync(cavraHome);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function workspace(name: string): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const assigned = (...packs: AssignedContainment['packs']): AssignedContainment => ({ packs, broken: [] });

describe('compileProfile', () => {
  it('unions the packs: every restriction applies, grants add up; guard files and CAVRA_HOME always', () => {
    const ws = workspace('union');
    const profile = compileProfile({
      assigned: assigned(
        {
          id: 'a',
          version: '1.0.0',
          section: {
            deny_read: ['~/.ssh/', '**/.env', '/etc/shadow'],
            except_read: ['**/.env.example'],
            environment: { remove: ['*TOKEN*'], keep: ['GIT_AUTHOR_*'] },
          },
        },
        {
          id: 'b',
          version: '2.0.0',
          section: { deny_write: ['.github/workflows/'], network: { hosts: ['Registry.npmjs.org:443'] } },
        },
        { id: 'c', version: '1.0.0', section: null },
      ),
      cwd: ws,
      cavraHome,
      userHome: home,
    });
    expect(profile.workspace).toBe(ws);
    expect(profile.deny_read.paths).toEqual([`${cavraHome}/`, '/etc/shadow', '~/.ssh/'].sort());
    expect(profile.deny_read.globs.map((g) => g.pattern)).toEqual(['**/.env']);
    expect(profile.deny_read.except.map((g) => g.pattern)).toEqual(['**/.env.example']);
    expect(profile.deny_write).toEqual([...GUARD_DENY_WRITE, '.github/workflows/'].sort());
    expect(profile.network.hosts).toEqual([
      { pattern: 'registry.npmjs.org:443', regex: expect.any(String), port: 443 },
    ]);
    expect(profile.environment.remove.map((g) => g.pattern)).toEqual(['*TOKEN*', 'CAVRA_GATE_TOKEN']);
    expect(profile.packs).toEqual([
      { id: 'a', version: '1.0.0' },
      { id: 'b', version: '2.0.0' },
      { id: 'c', version: '1.0.0' },
    ]);
    // The compiled globs are the policy's own: the runner applies them as given.
    const env = new RegExp(profile.deny_read.globs[0]?.regex as string, 'i');
    expect(env.test('config/.env')).toBe(true);
    expect(env.test('.env')).toBe(true);
    expect(env.test('config/.envelope')).toBe(false);
    expect(new RegExp(profile.network.hosts[0]?.regex as string, 'i').test('registry.npmjs.org')).toBe(true);
    expect(parseProfile(JSON.parse(JSON.stringify(profile)))).toEqual(profile);
  });

  it('gives the same digest for the same packs and workspace, another when either changes', () => {
    const ws = workspace('digest');
    const packs = assigned({ id: 'a', version: '1.0.0', section: { deny_read: ['**/.env'] } });
    const first = profileDigest(compileProfile({ assigned: packs, cwd: ws, cavraHome, userHome: home }));
    const again = profileDigest(compileProfile({ assigned: packs, cwd: ws, cavraHome, userHome: home }));
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(again).toBe(first);
    const otherPack = assigned({ id: 'a', version: '1.0.1', section: { deny_read: ['**/.env'] } });
    expect(profileDigest(compileProfile({ assigned: otherPack, cwd: ws, cavraHome, userHome: home }))).not.toBe(first);
    expect(
      profileDigest(compileProfile({ assigned: packs, cwd: workspace('digest-2'), cavraHome, userHome: home })),
    ).not.toBe(first);
  });

  it('takes the repository around the working directory as the workspace', () => {
    const repo = workspace('repo');
    fs.mkdirSync(path.join(repo, '.git'));
    fs.mkdirSync(path.join(repo, 'src', 'deep'), { recursive: true });
    expect(workspaceFor(path.join(repo, 'src', 'deep'), home)).toBe(repo);
    expect(workspaceFor(workspace('plain/sub'), home)).toBe(path.join(root, 'plain', 'sub'));
  });

  it('refuses a workspace that would make the home directory or the whole system writable', () => {
    expect(() => workspaceFor(home, home)).toThrow(ContainmentError);
    expect(() => workspaceFor(root, path.join(root, 'home'))).toThrow(/cannot be a contained workspace/);
    expect(() => workspaceFor('/', home)).toThrow(ContainmentError);
    expect(() => workspaceFor('/tmp', home)).toThrow(ContainmentError);
    expect(() => workspaceFor('relative/dir', home)).toThrow(/not an absolute path/);
    expect(() => workspaceFor(path.join(root, 'missing'), home)).toThrow(/does not exist/);
    // A repository in the home directory itself (dotfiles) does not make home the workspace.
    fs.mkdirSync(path.join(home, '.git'), { recursive: true });
    fs.mkdirSync(path.join(home, 'project'), { recursive: true });
    expect(workspaceFor(path.join(home, 'project'), home)).toBe(path.join(home, 'project'));
  });

  it('refuses to compile when an assigned pack cannot be loaded (nothing runs on half a policy)', () => {
    expect(() =>
      compileProfile({
        assigned: { packs: [], broken: ['assigned pack x cannot be loaded: bad'] },
        cwd: workspace('broken'),
        cavraHome,
        userHome: home,
      }),
    ).toThrow(/cannot be compiled: assigned pack x/);
  });

  it("grants the repository's own remotes: http(s) hosts through the proxy, local repositories writable but not their hooks", () => {
    const repo = workspace('remotes');
    const bare = path.join(root, 'origin.git');
    const run = (cwd: string, ...args: string[]) => {
      const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(result.stderr);
    };
    run(root, 'init', '-q', '--bare', bare);
    run(repo, 'init', '-q');
    run(repo, 'remote', 'add', 'origin', bare);
    run(repo, 'remote', 'add', 'github', 'https://token@github.com/acme/app.git');
    run(repo, 'remote', 'add', 'mirror', 'http://git.acme.example:8080/app.git');
    run(repo, 'remote', 'add', 'ssh', 'git@github.com:acme/app.git');
    // The home directory as a repository (dotfiles): never writable through a remote.
    fs.rmSync(path.join(home, '.git'), { recursive: true, force: true });
    run(home, 'init', '-q');
    run(repo, 'remote', 'add', 'trap', home);
    const section = { network: { repository_remotes: true } };
    const profile = compileProfile({
      assigned: assigned({ id: 'a', version: '1', section }),
      cwd: repo,
      cavraHome,
      userHome: home,
    });
    expect(profile.network.hosts.map((h) => h.pattern)).toEqual(['git.acme.example:8080', 'github.com:443']);
    expect(profile.write_allow).toEqual([bare]);
    expect(profile.deny_write).toEqual(expect.arrayContaining([`${bare}/hooks/`, `${bare}/config`]));
    // Without the grant, remotes give nothing.
    const none = compileProfile({
      assigned: assigned({ id: 'a', version: '1', section: {} }),
      cwd: repo,
      cavraHome,
      userHome: home,
    });
    expect(none.network.hosts).toEqual([]);
    expect(none.write_allow).toEqual([]);
  });

  it("contains a linked worktree: commits work, its repository's hooks, config and the .git pointer stay protected", async () => {
    const main = workspace('linked-main');
    const git = (cwd: string, ...args: string[]) => {
      const result = spawnSync('git', ['-c', 'user.name=Dev', '-c', 'user.email=dev@acme.example', ...args], {
        cwd,
        encoding: 'utf8',
      });
      if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
      return result.stdout;
    };
    git(main, 'init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(main, 'README.md'), '# app\n');
    git(main, 'add', '-A');
    git(main, 'commit', '-q', '-m', 'initial');
    const linked = path.join(root, 'linked-wt');
    git(main, 'worktree', 'add', '-q', '-b', 'feature', linked);
    const common = path.join(main, '.git');
    const gitDir = path.join(common, 'worktrees', 'linked-wt');

    const profile = compileProfile({ assigned: assigned(), cwd: linked, cavraHome, userHome: home });
    expect(profile.workspace).toBe(linked);
    expect(profile.write_allow).toEqual([common]);
    expect(profile.deny_write).toEqual(
      expect.arrayContaining(['.git', `${common}/hooks/`, `${common}/config`, `${gitDir}/commondir`]),
    );
    // An ordinary repository's .git directory stays writable (only its hooks and config are not).
    expect(compileProfile({ assigned: assigned(), cwd: main, cavraHome, userHome: home }).deny_write).not.toContain(
      '.git',
    );

    const probe = probeSandbox();
    expect(probe.available, probe.available ? '' : probe.reason).toBe(true);
    const watched = [
      path.join(linked, '.git'),
      path.join(common, 'config'),
      path.join(common, 'hooks'),
      path.join(gitDir, 'commondir'),
    ];
    const state = () =>
      watched.map((p) =>
        fs.statSync(p).isDirectory() ? fs.readdirSync(p).sort().join(',') : fs.readFileSync(p, 'utf8'),
      );
    const before = state();
    const contained = (script: string) =>
      runContained({
        profile,
        argv: ['sh', '-c', script],
        cwd: linked,
        env: { PATH: process.env.PATH, HOME: home },
        cavraHome,
      });
    const work = await contained(
      'echo feature > feature.txt && git add feature.txt && git -c user.name=Dev -c user.email=dev@acme.example commit -q -m feature',
    );
    expect(work.code).toBe(0);
    expect(git(main, 'log', '--format=%s', '-1', 'feature').trim()).toBe('feature');
    for (const attack of [
      `printf '#!/bin/sh\\necho evil\\n' > "${common}/hooks/pre-commit"`,
      'git config core.hooksPath /tmp/evil-hooks',
      `echo "gitdir: ${root}/planted" > .git`,
      'rm -f .git',
      `echo ../../../planted > "${gitDir}/commondir"`,
    ]) {
      expect((await contained(attack)).code, attack).not.toBe(0);
    }
    expect(state()).toEqual(before);
    // The same attacks without containment do change them: the test can fail.
    spawnSync('sh', ['-c', `git config core.hooksPath /tmp/evil-hooks && echo "gitdir: ${root}/planted" > .git`], {
      cwd: linked,
    });
    expect(state()).not.toEqual(before);
  }, 60_000);
});

describe('ProfileCache (the gate compiles a profile once per pack set and workspace)', () => {
  const gitIn = (cwd: string, ...args: string[]) => {
    const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(result.stderr);
    return result.stdout;
  };
  const section = {
    deny_read: ['**/.env', '~/.aws/'],
    deny_write: ['.github/workflows/', '.gitlab-ci.yml'],
    network: { repository_remotes: true },
  };

  it('serves the same profile while nothing changed, and exactly what compileProfile gives now after a change', () => {
    const repo = workspace('cache-facts');
    gitIn(repo, 'init', '-q');
    const cache = new ProfileCache();
    const packs = assigned({ id: 'a', version: '1', section });
    const input = { assigned: packs, cwd: repo, cavraHome, userHome: home };
    const first = cache.compile(input);
    expect(first.digest).toBe(profileDigest(compileProfile(input)));
    expect(cache.compile(input)).toBe(first);
    expect(Object.isFrozen(first.profile.deny_write)).toBe(true);
    // A local remote added after the profile was cached: the next command gets its grant.
    const bare = path.join(root, 'cache-origin.git');
    gitIn(root, 'init', '-q', '--bare', bare);
    gitIn(repo, 'remote', 'add', 'origin', bare);
    const second = cache.compile(input);
    expect(second.profile.write_allow).toEqual([bare]);
    expect(second.digest).toBe(profileDigest(compileProfile(input)));
    // A new pack generation is a new pack set: nothing of the old one is served.
    const next = assigned({ id: 'a', version: '2', section: { ...section, deny_read: ['**/*.pem'] } });
    const third = cache.compile({ ...input, assigned: next });
    expect(third.profile.packs).toEqual([{ id: 'a', version: '2' }]);
    expect(third.digest).toBe(profileDigest(compileProfile({ ...input, assigned: next })));
    // Another working directory of the same repository is the same workspace and profile.
    fs.mkdirSync(path.join(repo, 'src'));
    expect(cache.compile({ ...input, cwd: path.join(repo, 'src') })).toBe(second);
    // A broken pack set is refused even when it is cached.
    expect(() => cache.compile({ ...input, assigned: { packs: packs.packs, broken: ['x: bad'] } })).toThrow(
      ContainmentError,
    );
  });

  it('keeps protecting what was created after the profile was cached (real bubblewrap)', async () => {
    const probe = probeSandbox();
    expect(probe.available, probe.available ? '' : probe.reason).toBe(true);
    const repo = workspace('cache-later');
    gitIn(repo, 'init', '-q');
    fs.mkdirSync(path.join(home, '.aws'), { recursive: true });
    const cache = new ProfileCache();
    const input = { assigned: assigned({ id: 'a', version: '1', section }), cwd: repo, cavraHome, userHome: home };
    // Each run asks the cache, as the gate does for every command.
    const run = (script: string) =>
      runContained({
        profile: cache.compile(input).profile,
        argv: ['sh', '-c', script],
        cwd: repo,
        env: { PATH: process.env.PATH, HOME: home },
        cavraHome,
      });
    // Build the cache with a clean workspace, then create protected things behind its back.
    const cached = cache.compile(input);
    fs.mkdirSync(path.join(repo, 'deep', 'er'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'deep', 'er', '.env'), 'CANARY-later-env\n');
    fs.writeFileSync(path.join(home, '.aws', 'credentials'), 'CANARY-later-aws\n');
    expect(cache.compile(input)).toBe(cached);
    const marker = path.join(repo, 'read.txt');
    const reads = await run(`cat deep/er/.env "${home}/.aws/credentials" > read.txt; true`);
    expect(reads.code).toBe(0);
    expect(fs.readFileSync(marker, 'utf8')).not.toMatch(/CANARY/);
    const writes = await run(
      'mkdir -p .github/workflows && echo "on: push" > .github/workflows/x.yml; echo x > .gitlab-ci.yml',
    );
    expect(writes.code).not.toBe(0);
    expect(fs.existsSync(path.join(repo, '.github', 'workflows', 'x.yml'))).toBe(false);
    expect(fs.existsSync(path.join(repo, '.gitlab-ci.yml'))).toBe(false);
    // Control: the same read without the sandbox does leak, so the test can fail.
    spawnSync('sh', ['-c', `cat deep/er/.env "${home}/.aws/credentials" > read.txt`], { cwd: repo });
    expect(fs.readFileSync(marker, 'utf8')).toMatch(/CANARY-later-env[\s\S]*CANARY-later-aws/);
  }, 60_000);
});
