import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base } from '@playwright/test';
import { installApprovalPackArgs } from '../../test/support/approval-pack';
import { demoLicense } from '../../test/support/demo-license';

export interface ConsoleHost {
  /** The URL with the token fragment, as printed for a person. */
  openUrl: string;
  origin: string;
  token: string;
  home: string;
  /**
   * A scratch directory for projects the agent works in, outside CAVRA_HOME (CAVRA's data
   * directory is protected as a whole, so a project inside it would be judged as that).
   */
  workspace: string;
  /** Runs the real CLI against the same data directory, with optional standard input. */
  cli(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Another console with its own, empty data directory (stopped with this one); optionally with no OS keychain. */
  fresh(options?: { keychain?: boolean; licensed?: boolean }): Promise<ConsoleHost>;
}

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cavra = path.join(repo, 'bin', 'cavra.cjs');

/** Starts `cavra console` (browser mode) on a random loopback port with a fresh CAVRA_HOME. */
export async function startHost(
  options: {
    keychain?: boolean;
    localEvaluation?: boolean;
    licensed?: boolean;
    /** Where the data directory is made (default the system's temporary directory). */
    dataParent?: string;
    /** A data directory prepared beforehand (a machine joined to a control plane); removed at stop. */
    home?: string;
    /** Install and assign the approval tests' pack (test/support/approval-pack.ts). */
    approvalPack?: boolean;
  } = {},
): Promise<{ host: ConsoleHost; stop: () => Promise<void> }> {
  const home = options.home ?? fs.mkdtempSync(path.join(options.dataParent ?? os.tmpdir(), 'cavra-e2e-'));
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-e2e-work-'));
  // Without the session bus address no Secret Service can be reached: a machine with no keychain.
  const env =
    options.keychain === false
      ? { PATH: process.env.PATH, HOME: process.env.HOME, CAVRA_HOME: home }
      : { ...process.env, CAVRA_HOME: home };
  const localEvaluation = options.localEvaluation ?? true;
  const args = ['console', '--port', '0', '--gate-http-port', '0', ...(localEvaluation ? ['--local-evaluation'] : [])];
  const child: ChildProcess = spawn(process.execPath, [cavra, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const openUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`console did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Open: (http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`console exited with ${code}:\n${output}`)));
  });
  // The CLI beside the console changes state only when signed in: as the labelled local evaluator
  // here, unless the data directory came prepared with its own sign-ins.
  if (!options.home) {
    const login = spawnSync(process.execPath, [cavra, 'login', '--local-evaluation'], { env, encoding: 'utf8' });
    if (login.status !== 0) throw new Error(`cavra login --local-evaluation failed: ${login.stderr}`);
  }
  // The Enterprise screens (AISPM, connectors, reports, reviews) need a license: import a demo
  // one as an evaluator would, unless the spec is about having none.
  if (localEvaluation && (options.licensed ?? true)) {
    const file = path.join(home, 'demo-license.json');
    fs.writeFileSync(file, demoLicense({ tenant: 'evaluation' }));
    const imported = spawnSync(process.execPath, [cavra, 'license', 'import', file], { env, encoding: 'utf8' });
    fs.rmSync(file);
    if (imported.status !== 0) throw new Error(`cavra license import failed: ${imported.stderr}`);
  }
  if (options.approvalPack) {
    for (const args of installApprovalPackArgs) {
      const step = spawnSync(process.execPath, [cavra, ...args], { env, encoding: 'utf8' });
      if (step.status !== 0) throw new Error(`cavra ${args.join(' ')} failed: ${step.stderr}`);
    }
  }
  const url = new URL(openUrl);
  const others: (() => Promise<void>)[] = [];
  const host: ConsoleHost = {
    openUrl,
    origin: url.origin,
    token: url.hash.replace('#token=', ''),
    home,
    workspace,
    fresh: async (freshOptions) => {
      const other = await startHost(freshOptions);
      others.push(other.stop);
      return other.host;
    },
    cli: (args, stdin) =>
      new Promise((resolve) => {
        const run = spawn(process.execPath, [cavra, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
        run.stdin.end(stdin ?? '');
        let stdout = '';
        let stderr = '';
        run.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        run.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        run.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      }),
  };
  const stop = async () => {
    await Promise.all(others.map((stopOther) => stopOther()));
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(workspace, { recursive: true, force: true });
  };
  return { host, stop };
}

export const test = base.extend<{ consoleHost: ConsoleHost; licensed: boolean; approvalPack: boolean }>({
  /** Whether the fresh console's tenant holds a demo license (`test.use({ licensed: false })` for none). */
  licensed: [true, { option: true }],
  /** Whether the approval tests' pack is assigned (`test.use({ approvalPack: true })`). */
  approvalPack: [false, { option: true }],
  consoleHost: async ({ licensed, approvalPack }, use) => {
    const { host, stop } = await startHost({ licensed, approvalPack });
    await use(host);
    await stop();
  },
});

/**
 * Opens `count` pending approval requests through the real core on `home` (another process, as
 * the CLI would; test/support/seed-approvals.ts), returned in queue order. Playwright's loader
 * cannot load the core itself, so tsx runs it.
 */
export function seedPending(home: string, count: number): Promise<{ id: string; target: string }[]> {
  return new Promise((resolve, reject) => {
    const seeder = spawn(
      path.join(repo, 'node_modules', '.bin', 'tsx'),
      [path.join(repo, 'test', 'support', 'seed-approvals-main.ts'), home, String(count)],
      { env: { ...process.env, CAVRA_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    seeder.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    seeder.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    seeder.on('error', reject);
    seeder.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(stdout) as { id: string; target: string }[]) : reject(new Error(stderr)),
    );
  });
}

export { expect } from '@playwright/test';
