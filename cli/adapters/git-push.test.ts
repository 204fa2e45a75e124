import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateFixture } from '../../core/gate/testing';
import type { GateFixture } from '../../core/gate/testing';
import { buildCliForTests, cavra, run } from './testing';
import type { CliBuild } from './testing';

let cli: CliBuild;
let fx: GateFixture;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  [cli, fx] = await Promise.all([buildCliForTests(), gateFixture({ approvalWaitMs: 400 })]);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-git-'));
  // Real git with no user or system configuration leaking in.
  env = {
    ...process.env,
    HOME: dir,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Dev',
    GIT_AUTHOR_EMAIL: 'dev@acme.example',
    GIT_COMMITTER_NAME: 'Dev',
    GIT_COMMITTER_EMAIL: 'dev@acme.example',
    CAVRA_HOME: fx.home,
  };
}, 60_000);
afterAll(async () => {
  await fx?.close();
  cli?.remove();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function git(cwd: string, ...args: string[]) {
  return run('git', args, { cwd, env });
}

async function ok(cwd: string, ...args: string[]): Promise<string> {
  const result = await git(cwd, ...args);
  if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

/** A bare remote with main, and a clone with a feature branch and a rewritten main. */
async function repository(name: string): Promise<{ work: string; remote: string }> {
  const remote = path.join(dir, `${name}-remote.git`);
  const work = path.join(dir, name);
  await ok(dir, 'init', '--bare', '-b', 'main', remote);
  await ok(dir, 'init', '-b', 'main', work);
  await ok(work, 'remote', 'add', 'origin', remote);
  fs.writeFileSync(path.join(work, 'README.md'), '# payments\n');
  await ok(work, 'add', '.');
  await ok(work, 'commit', '-m', 'initial');
  await ok(work, 'push', 'origin', 'main');
  return { work, remote };
}

describe('git pre-push hook (real git, bare remote)', () => {
  it('lets a feature branch through and blocks every forced rewrite of main', async () => {
    const { work, remote } = await repository('payments');
    // Someone's own pre-push hook is already there: it must be chained, not lost.
    const hooks = path.join(work, '.git', 'hooks');
    const marker = path.join(dir, 'previous-hook-ran');
    fs.writeFileSync(path.join(hooks, 'pre-push'), `#!/bin/sh\ncat > /dev/null\necho "$1" >> '${marker}'\n`, {
      mode: 0o755,
    });
    const install = await cavra(cli, fx.home, ['git', 'install-hooks', '--repo', work]);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toMatch(/runs after CAVRA's/);
    const again = await cavra(cli, fx.home, ['git', 'install-hooks', '--repo', work]);
    expect(again.stdout).toMatch(/Already installed/);

    await ok(work, 'checkout', '-b', 'feature/refunds');
    fs.writeFileSync(path.join(work, 'refunds.ts'), 'export const refund = 1;\n');
    await ok(work, 'add', '.');
    await ok(work, 'commit', '-m', 'refunds');
    const feature = await git(work, 'push', 'origin', 'feature/refunds');
    expect(feature.code, feature.stderr).toBe(0);
    expect(await ok(remote, 'rev-parse', 'refs/heads/feature/refunds')).toBe(await ok(work, 'rev-parse', 'HEAD'));
    expect(fs.readFileSync(marker, 'utf8')).toBe('origin\n');

    const mainBefore = await ok(remote, 'rev-parse', 'refs/heads/main');
    await ok(work, 'checkout', 'main');
    await ok(work, 'commit', '--amend', '-m', 'initial, rewritten');
    expect(await ok(work, 'rev-parse', 'HEAD')).not.toBe(mainBefore);
    for (const args of [
      ['push', '--force', 'origin', 'main'],
      ['push', 'origin', '+main'],
      ['push', 'origin', 'HEAD:main', '--force-with-lease'],
    ]) {
      const pushed = await git(work, ...args);
      expect(pushed.code, `git ${args.join(' ')} must be blocked`).not.toBe(0);
      expect(pushed.stderr).toMatch(/CAVRA blocked this push/);
      expect(pushed.stderr).toMatch(/git\.force-push-protected|git\.protected-push/);
      expect(await ok(remote, 'rev-parse', 'refs/heads/main')).toBe(mainBefore);
    }
    // The chained hook never ran for the blocked pushes.
    expect(fs.readFileSync(marker, 'utf8')).toBe('origin\n');

    const ledger = fx.core.gateHost.ledgers.ledger(fx.tenant) as unknown as {
      query(q: unknown): { records: { seq: number }[] };
      record(seq: number): { payload: { adapter: string; decision: { decision: string; target: string } } } | null;
    };
    const gitDecisions = ledger
      .query({ types: ['decision'], agent: 'git', limit: 50 })
      .records.map((r) => ledger.record(r.seq)?.payload)
      .filter((p) => p?.adapter === 'git');
    expect(gitDecisions.map((p) => p?.decision.decision).sort()).toEqual(['allow', 'deny', 'deny', 'deny']);
  });

  it('installs where core.hooksPath points', async () => {
    const { work } = await repository('hookspath');
    await ok(work, 'config', 'core.hooksPath', '.githooks');
    const install = await cavra(cli, fx.home, ['git', 'install-hooks', '--repo', work]);
    expect(install.code, install.stderr).toBe(0);
    expect(fs.readFileSync(path.join(work, '.githooks', 'pre-push'), 'utf8')).toMatch(/CAVRA pre-push hook/);
    await ok(work, 'commit', '--allow-empty', '-m', 'direct');
    const direct = await git(work, 'push', 'origin', 'main');
    expect(direct.code).not.toBe(0);
    expect(direct.stderr).toMatch(/git\.protected-push/);
  });
});
