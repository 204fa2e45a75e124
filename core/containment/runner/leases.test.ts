// The placeholder leases on their own (no bubblewrap): who may remove a placeholder, and when.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaseDirectory, planUnderLease } from './leases';

let base: string;
beforeAll(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-leases-')));
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

function site(name: string) {
  const workspace = path.join(base, name, 'ws');
  const cavraHome = path.join(base, name, 'cavra');
  fs.mkdirSync(workspace, { recursive: true });
  fs.mkdirSync(cavraHome, { recursive: true });
  return { workspace, cavraHome, placeholder: path.join(workspace, '.mcp.json') };
}

/** What the sandbox plan does with one protected path: reserve it when missing or another's placeholder. */
const planFor = (placeholder: string) => (reserved: ReadonlySet<string>) => ({
  placeholders: !fs.existsSync(placeholder) || reserved.has(placeholder) ? [placeholder] : [],
});

describe('placeholder leases', () => {
  it('leave a placeholder in place until its last holder ends, whoever made it', async () => {
    const s = site('last');
    const first = await planUnderLease(s.cavraHome, s.workspace, planFor(s.placeholder));
    fs.mkdirSync(s.placeholder); // what bubblewrap does for the first run
    const second = await planUnderLease(s.cavraHome, s.workspace, planFor(s.placeholder));
    expect(second.planned.placeholders).toEqual([s.placeholder]); // found, and leased as a placeholder
    await first.lease.release();
    expect(fs.statSync(s.placeholder).isDirectory()).toBe(true);
    await second.lease.release();
    expect(fs.existsSync(s.placeholder)).toBe(false);
    expect(fs.readdirSync(leaseDirectory(s.cavraHome, s.workspace))).toEqual([]);
  });

  it('never take an existing directory for a placeholder, nor remove one that is no longer empty', async () => {
    const s = site('real');
    fs.mkdirSync(s.placeholder);
    const run = await planUnderLease(s.cavraHome, s.workspace, planFor(s.placeholder));
    expect(run.planned.placeholders).toEqual([]); // not named by any lease: a real directory
    await run.lease.release();
    expect(fs.existsSync(s.placeholder)).toBe(true);
    fs.rmdirSync(s.placeholder);
    const leased = await planUnderLease(s.cavraHome, s.workspace, planFor(s.placeholder));
    fs.mkdirSync(s.placeholder);
    fs.writeFileSync(path.join(s.placeholder, 'kept'), 'user data\n');
    await leased.lease.release();
    expect(fs.readFileSync(path.join(s.placeholder, 'kept'), 'utf8')).toBe('user data\n');
  });

  it('treat the lease of a dead runner, or of a reused pid, as stale, and clean up after it', async () => {
    const s = site('stale');
    const dir = leaseDirectory(s.cavraHome, s.workspace);
    fs.mkdirSync(dir, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const gone = path.join(s.workspace, '.github');
    const reused = path.join(s.workspace, '.claude');
    fs.mkdirSync(gone);
    fs.mkdirSync(reused);
    fs.writeFileSync(path.join(dir, `${dead.stdout}.1.aaaa`), JSON.stringify([gone]));
    // This very process's pid, with another start time: a runner that died and whose pid was reused.
    fs.writeFileSync(path.join(dir, `${process.pid}.1.bbbb`), JSON.stringify([reused]));
    const run = await planUnderLease(s.cavraHome, s.workspace, planFor(s.placeholder));
    await run.lease.release();
    expect(fs.existsSync(gone)).toBe(false);
    expect(fs.existsSync(reused)).toBe(false);
    expect(fs.existsSync(s.placeholder)).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('keep the leases of other live runners, and this process tells its own live leases from ended ones', async () => {
    const s = site('live');
    const dir = leaseDirectory(s.cavraHome, s.workspace);
    fs.mkdirSync(dir, { recursive: true });
    // A live runner in another process (this test's parent, whose start time is real).
    const parent = process.ppid;
    const stat = fs.readFileSync(`/proc/${parent}/stat`, 'utf8');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    const theirs = path.join(s.workspace, '.github');
    fs.mkdirSync(theirs);
    fs.writeFileSync(path.join(dir, `${parent}.${start}.cccc`), JSON.stringify([theirs]));
    const runs = await Promise.all(
      [1, 2, 3].map(() => planUnderLease(s.cavraHome, s.workspace, planFor(s.placeholder))),
    );
    fs.mkdirSync(s.placeholder);
    for (const [i, run] of runs.entries()) {
      await run.lease.release();
      expect(fs.existsSync(s.placeholder)).toBe(i < runs.length - 1);
      expect(fs.existsSync(theirs)).toBe(true);
    }
    expect(fs.readdirSync(dir)).toEqual([`${parent}.${start}.cccc`]);
  });

  it('are live for every copy of the runner loaded in one process, not only the copy that took them', async () => {
    const s = site('copies');
    fs.mkdirSync(s.placeholder);
    // Two bundles of the runner, as exec and mcp-proxy each carry one, loaded into one process.
    const copies = await Promise.all(
      ['a', 'b'].map(async (name) => {
        const outfile = path.join(base, `leases-${name}.cjs`);
        await build({
          entryPoints: [path.join(import.meta.dirname, 'leases.ts')],
          bundle: true,
          platform: 'node',
          format: 'cjs',
          outfile,
          logLevel: 'error',
        });
        return outfile;
      }),
    );
    const script = `
const [a, b] = ${JSON.stringify(copies)}.map((file) => require(file));
const [cavraHome, workspace, placeholder] = process.argv.slice(1);
const plan = () => ({ placeholders: [placeholder] });
(async () => {
  const first = await a.planUnderLease(cavraHome, workspace, plan);
  const second = await b.planUnderLease(cavraHome, workspace, () => ({ placeholders: [] }));
  await second.lease.release();
  const kept = require('fs').existsSync(placeholder);
  await first.lease.release();
  console.log(JSON.stringify({ kept, removed: !require('fs').existsSync(placeholder) }));
})();
`;
    const result = spawnSync(process.execPath, ['-e', script, s.cavraHome, s.workspace, s.placeholder], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ kept: true, removed: true });
  });
});
