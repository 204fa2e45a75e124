// Test support for the adapter tests: a private build of the CLI (so parallel test files
// never read a bundle another is rewriting) and an async runner for it (the gate under test
// may live in the test's own event loop, which spawnSync would freeze). Not public surface.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..', '..');

export interface CliBuild {
  /** The launcher to run with node, as `npx cavra` would. */
  launcher: string;
  remove(): void;
}

/**
 * Builds the CLI and the hook bundle as scripts/build.mjs does, under node_modules/.cache
 * (so runtime packages and policy-packs/ still resolve by walking up), with its own launcher.
 */
export async function buildCliForTests(options: { channel?: 'demo' | 'production' } = {}): Promise<CliBuild> {
  const cache = path.join(root, 'node_modules', '.cache');
  fs.mkdirSync(cache, { recursive: true });
  const dir = fs.mkdtempSync(path.join(cache, 'cavra-cli-test-'));
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.copyFileSync(path.join(root, 'bin', 'cavra.cjs'), path.join(dir, 'bin', 'cavra.cjs'));
  await build({
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'error',
    absWorkingDir: root,
    packages: 'external',
    entryPoints: { cavra: 'cli/cavra.ts', 'hook-claude-code': 'cli/hook/main.ts', adapters: 'cli/adapters/main.ts' },
    outdir: path.join(dir, 'dist', 'cli'),
    outExtension: { '.js': '.cjs' },
    // Without the define a build is a production build; a test that imports demo licenses asks for demo.
    ...(options.channel ? { define: { __CAVRA_BUILD_CHANNEL__: JSON.stringify(options.channel) } } : {}),
  });
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  // Also on exit: a test file whose teardown fails or times out must not leave its build behind.
  process.once('exit', remove);
  return { launcher: path.join(dir, 'bin', 'cavra.cjs'), remove };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string | Buffer;
  timeoutMs?: number;
}

/** Runs a program to completion without blocking this process's event loop. */
export function run(program: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Runs `cavra <args>` from a test build with CAVRA_HOME set. */
export function cavra(cli: CliBuild, home: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return run(process.execPath, [cli.launcher, ...args], {
    ...options,
    env: { ...process.env, CAVRA_HOME: home, ...options.env },
  });
}
