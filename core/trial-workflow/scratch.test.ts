import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createScratchRepository, sweepStaleScratch } from './scratch';

// A runner killed mid-run (console or CLI died) never reaches its `finally`, so its scratch
// repository stays in the temp directory. The next run sweeps those — and only those: a marked
// root whose process is gone. Anything else under the same prefix is somebody else's.
const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-sweep-test-'));
afterAll(() => fs.rmSync(parent, { recursive: true, force: true }));

/** The pid of a process that has exited (so it names nobody now). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function planted(name: string, marker: unknown | null): string {
  const root = path.join(parent, name);
  fs.mkdirSync(root);
  fs.writeFileSync(path.join(root, 'keep.txt'), 'data');
  if (marker !== null) fs.writeFileSync(path.join(root, '.cavra-trial-workflow'), JSON.stringify(marker));
  return root;
}

describe('sweeping stale scratch repositories', () => {
  it('removes a marked root whose runner is gone; keeps live, unmarked, foreign-marked and linked ones', async () => {
    const stale = planted('cavra-trial-workflow-stale', { runner: 'cavra-trial-workflow', pid: deadPid() });
    const live = planted('cavra-trial-workflow-live', { runner: 'cavra-trial-workflow', pid: process.pid });
    const unmarked = planted('cavra-trial-workflow-unmarked', null);
    const foreign = planted('cavra-trial-workflow-foreign', { runner: 'something-else', pid: deadPid() });
    const garbage = planted('cavra-trial-workflow-garbage', null);
    fs.writeFileSync(path.join(garbage, '.cavra-trial-workflow'), 'not json');
    // A marked, stale directory reached through a symlink named like a scratch root: never followed.
    const elsewhere = planted('victim', { runner: 'cavra-trial-workflow', pid: deadPid() });
    fs.symlinkSync(elsewhere, path.join(parent, 'cavra-trial-workflow-link'));
    // A marker that is itself a symlink proves nothing.
    const linkedMarker = planted('cavra-trial-workflow-linked-marker', null);
    fs.symlinkSync(path.join(elsewhere, '.cavra-trial-workflow'), path.join(linkedMarker, '.cavra-trial-workflow'));
    const otherPrefix = planted('cavra-something-stale', { runner: 'cavra-trial-workflow', pid: deadPid() });

    expect(sweepStaleScratch(parent)).toEqual([stale]);
    expect(fs.existsSync(stale)).toBe(false);
    for (const kept of [live, unmarked, foreign, garbage, elsewhere, linkedMarker, otherPrefix])
      expect(fs.existsSync(path.join(kept, 'keep.txt')), kept).toBe(true);
    expect(fs.lstatSync(path.join(parent, 'cavra-trial-workflow-link')).isSymbolicLink()).toBe(true);
  });

  it("a new scratch repository carries this process's marker, so a sweep meanwhile leaves it alone", async () => {
    const repo = await createScratchRepository(new AbortController().signal, parent);
    try {
      const marker = JSON.parse(fs.readFileSync(path.join(repo.root, '.cavra-trial-workflow'), 'utf8')) as {
        pid: number;
      };
      expect(marker.pid).toBe(process.pid);
      expect(sweepStaleScratch(parent)).toEqual([]);
      expect(fs.existsSync(repo.workspace)).toBe(true);
    } finally {
      repo.remove();
    }
  }, 60_000);
});
