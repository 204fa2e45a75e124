import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runProgram } from './processes';

/** The scratch repository the scripted agent works in, its bare remote, and a file outside it. */
export interface ScratchRepository {
  root: string;
  workspace: string;
  remote: string;
  /** A file beside the workspace, for the read that is allowed but noted (warn). */
  outsideFile: string;
  /** Real git with no user or system configuration leaking in, and no prompts. */
  gitEnv: NodeJS.ProcessEnv;
  remove(): void;
}

const FILES: Record<string, string> = {
  'README.md': '# payments-service\n\nA scratch repository for the CAVRA governed workflow (trial step 4).\n',
  'src/refunds.js': 'export function refund(amount) {\n  return { amount, status: "queued" };\n}\n',
  // `npm run release` is the workflow's command that needs a reviewer (js.release-scripts):
  // a release is not made harmless by the sandbox, so it asks inside it too.
  'package.json': `${JSON.stringify(
    {
      name: 'payments-service',
      version: '1.0.0',
      private: true,
      scripts: { release: 'node scripts/release-check.js' },
    },
    null,
    2,
  )}\n`,
  'scripts/release-check.js': 'console.log("refund limit verified");\n',
  '.gitignore': '.env\n',
  // Not a real secret: the workflow shows that reading it is refused.
  '.env': 'STRIPE_SECRET_KEY=sk_test_cavra_trial_not_a_real_key\n',
};

const PREFIX = 'cavra-trial-workflow-';
/** Written first into every scratch root: proves the runner made it, and which process owns it. */
const MARKER = '.cavra-trial-workflow';

interface Marker {
  runner: 'cavra-trial-workflow';
  pid: number;
  createdAt: string;
}

const uid = () => (typeof process.getuid === 'function' ? process.getuid() : null);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: a process of another user holds the pid, so it is alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes scratch repositories left by runners that were killed mid-run (their `finally` never
 * ran). Only directories that carry this runner's marker — a regular file, owned by this user,
 * naming a process that no longer exists — are removed; anything else under the same prefix,
 * symlinks included, is left alone. Returns the roots removed.
 */
export function sweepStaleScratch(parent: string = os.tmpdir()): string[] {
  const removed: string[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(parent, { withFileTypes: true });
  } catch {
    return removed;
  }
  for (const entry of entries) {
    if (!entry.name.startsWith(PREFIX) || !entry.isDirectory()) continue;
    const root = path.join(parent, entry.name);
    try {
      const dir = fs.lstatSync(root);
      const marker = fs.lstatSync(path.join(root, MARKER));
      const me = uid();
      if (!dir.isDirectory() || !marker.isFile() || (me !== null && (dir.uid !== me || marker.uid !== me))) continue;
      if (marker.size > 512) continue;
      const parsed = JSON.parse(fs.readFileSync(path.join(root, MARKER), 'utf8')) as Partial<Marker>;
      if (parsed.runner !== 'cavra-trial-workflow' || !Number.isInteger(parsed.pid) || (parsed.pid as number) <= 0)
        continue;
      if (alive(parsed.pid as number)) continue;
      fs.rmSync(root, { recursive: true, force: true });
      removed.push(root);
    } catch {
      // No marker, unreadable, or gone meanwhile: not ours to remove.
    }
  }
  return removed;
}

export async function createScratchRepository(
  signal: AbortSignal,
  parent: string = os.tmpdir(),
): Promise<ScratchRepository> {
  // Outside CAVRA_HOME: the engine protects the data directory from every agent action.
  const root = fs.realpathSync(fs.mkdtempSync(path.join(parent, PREFIX)));
  const marker: Marker = { runner: 'cavra-trial-workflow', pid: process.pid, createdAt: new Date().toISOString() };
  fs.writeFileSync(path.join(root, MARKER), JSON.stringify(marker), { mode: 0o600, flag: 'wx' });
  const workspace = path.join(root, 'payments-service');
  const remote = path.join(root, 'payments-service.git');
  const outside = path.join(root, 'shared-notes');
  const remove = () => fs.rmSync(root, { recursive: true, force: true });
  const gitEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: root,
    LANG: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'CAVRA trial agent',
    GIT_AUTHOR_EMAIL: 'trial-agent@cavra.invalid',
    GIT_COMMITTER_NAME: 'CAVRA trial agent',
    GIT_COMMITTER_EMAIL: 'trial-agent@cavra.invalid',
  };
  try {
    fs.mkdirSync(workspace);
    fs.mkdirSync(outside);
    const outsideFile = path.join(outside, 'runbook.md');
    fs.writeFileSync(outsideFile, '# Payments runbook\n\nRefunds above 1,000 EUR need a second pair of eyes.\n');
    for (const [name, text] of Object.entries(FILES)) {
      fs.mkdirSync(path.dirname(path.join(workspace, name)), { recursive: true });
      fs.writeFileSync(path.join(workspace, name), text);
    }
    const git = async (cwd: string, ...args: string[]) => {
      const result = await runProgram('git', args, { cwd, env: gitEnv, signal, timeoutMs: 30_000 });
      if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr.trim()}`);
    };
    await git(root, 'init', '--quiet', '--bare', '-b', 'main', remote);
    await git(workspace, 'init', '--quiet', '-b', 'main');
    await git(workspace, 'remote', 'add', 'origin', remote);
    await git(workspace, 'add', '.');
    await git(workspace, 'commit', '--quiet', '-m', 'Initial import');
    // Published before CAVRA's hook is installed: only the session's own pushes are judged.
    await git(workspace, 'push', '--quiet', 'origin', 'main');
    return { root, workspace, remote, outsideFile, gitEnv, remove };
  } catch (error) {
    remove();
    throw error;
  }
}
