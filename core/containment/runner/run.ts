import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { planSandbox, sandboxHomeFor } from './linux';
import type { SandboxPlan } from './linux';
import { LeaseLockTimeout, planUnderLease } from './leases';
import type { PlaceholderLease } from './leases';
import { explainFailure, missingBwrap, missingSocat, probeSandbox, systemTool } from './probe';
import type { ContainmentProfile } from './profile';
import { ProfileError } from './profile';
import { startFilterProxy } from './proxy';
import type { FilterProxy, ProxyDenial } from './proxy';

/** The sandbox could not be set up: nothing ran. `fix` says what to do about it. */
export class SandboxUnavailableError extends Error {
  constructor(
    readonly reason: string,
    readonly fix: string,
  ) {
    super(`${reason}. To fix: ${fix}`);
    this.name = 'SandboxUnavailableError';
  }
}

export interface ContainOptions {
  profile: ContainmentProfile;
  /** Program and arguments. */
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The runner's CAVRA_HOME (masked inside; leases for placeholders live under it). */
  cavraHome: string;
  /** Told about every connection the filtering proxy refused. */
  onDenied?: (denial: ProxyDenial) => void;
  /** What toolsFor found while the gate was deciding (cavra exec); looked up again when absent or stale. */
  tools?: SandboxTools;
}

/**
 * What every sandbox of this CAVRA_HOME needs whatever its profile: the trusted binaries and
 * the shared empty file. Looked up while the gate decides (cavra exec overlaps the two), and
 * used only if the answer came soon after: a lookup older than TOOLS_FRESH_MS (an approval
 * waited on) is done again, so that what was checked is what runs.
 */
export interface SandboxTools {
  cavraHome: string;
  bwrap: string | null;
  socat: string | null;
  emptyFile: string;
  at: number;
}

const TOOLS_FRESH_MS = 1_000;

export function toolsFor(cavraHome: string): SandboxTools {
  return {
    cavraHome,
    bwrap: systemTool('bwrap'),
    socat: systemTool('socat'),
    emptyFile: sharedEmptyFile(cavraHome),
    at: performance.now(),
  };
}

function freshTools(options: ContainOptions): SandboxTools {
  const known = options.tools;
  if (known && known.cavraHome === options.cavraHome && performance.now() - known.at < TOOLS_FRESH_MS) return known;
  return toolsFor(options.cavraHome);
}

/** A prepared sandbox: the bwrap command line to spawn, and what to release afterwards. */
export interface PreparedSandbox {
  program: string;
  args: string[];
  env: Record<string, string>;
  plan: SandboxPlan;
  /** Stops the proxy and removes placeholders no other sandbox still needs. Idempotent. */
  release(): Promise<void>;
}

/**
 * The empty, read-only file bound over every masked secret file. One per CAVRA_HOME, made
 * once: creating and deleting a file per run cost more than the rest of the set-up. It is
 * checked on every run (a regular file of ours, empty, not a link) and replaced atomically
 * when it is anything else, so nothing a masked path shows can come from a file someone wrote.
 */
function sharedEmptyFile(cavraHome: string): string {
  const dir = path.join(cavraHome, 'containment');
  const file = path.join(dir, 'empty');
  try {
    const stat = fs.lstatSync(file);
    const ours = typeof process.getuid !== 'function' || stat.uid === process.getuid();
    if (stat.isFile() && stat.size === 0 && ours && (stat.mode & 0o222) === 0) return file;
  } catch {
    // Missing: made below.
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const fresh = path.join(dir, `.empty-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  fs.writeFileSync(fresh, '', { mode: 0o444, flag: 'wx' });
  fs.renameSync(fresh, file);
  return file;
}

/** Sets up everything a sandboxed command needs except the spawn itself. */
export async function prepareSandbox(options: ContainOptions): Promise<PreparedSandbox> {
  if (process.platform !== 'linux') {
    throw new SandboxUnavailableError(
      `containment runs on Linux only (this is ${process.platform})`,
      "use Claude Code's own sandbox with CAVRA's profile (cavra sandbox export --format claude-code), or a Linux machine",
    );
  }
  const tools = freshTools(options);
  const bwrap = tools.bwrap;
  if (!bwrap) {
    const missing = missingBwrap();
    throw new SandboxUnavailableError(missing.reason, missing.fix);
  }
  const needsNetwork = options.profile.network.hosts.length > 0;
  const socat = needsNetwork ? tools.socat : null;
  if (needsNetwork && !socat) {
    const missing = missingSocat();
    throw new SandboxUnavailableError(missing.reason, missing.fix);
  }
  // A run directory only for the proxy's socket: an offline sandbox needs none.
  const runDir = needsNetwork ? fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-sandbox-')) : null;
  let proxy: FilterProxy | null = null;
  let lease: PlaceholderLease | null = null;
  let released = false;
  let plan: SandboxPlan | null = null;
  const release = async () => {
    if (released) return;
    released = true;
    // Independent: the proxy's connections, and the placeholders only the last run removes.
    await Promise.all([proxy?.close(), lease?.release()]);
    if (runDir) fs.rmSync(runDir, { recursive: true, force: true });
  };
  try {
    const emptyFile = tools.emptyFile;
    if (runDir) {
      proxy = await startFilterProxy({
        socketPath: path.join(runDir, 'proxy.sock'),
        hosts: options.profile.network.hosts,
        onDenied: (denial) => options.onDenied?.(denial),
      });
    }
    const sandboxHome = sandboxHomeFor(options.cavraHome, options.profile.workspace, options.env);
    const relay = proxy && socat ? { proxy: { socket: proxy.socketPath, socat } } : {};
    const leased = await planUnderLease(options.cavraHome, options.profile.workspace, (reserved) =>
      planSandbox(options.profile, options.argv, {
        env: options.env,
        cwd: options.cwd,
        cavraHome: options.cavraHome,
        emptyFile,
        sandboxHome,
        reserved,
        ...relay,
      }),
    );
    lease = leased.lease;
    plan = leased.planned;
    return { program: bwrap, args: [...plan.args, ...plan.command], env: plan.env, plan, release };
  } catch (error) {
    await release();
    if (error instanceof ProfileError) throw new SandboxUnavailableError(error.message, 'see the message above');
    if (error instanceof LeaseLockTimeout) {
      throw new SandboxUnavailableError(
        error.message,
        `let the other CAVRA sandbox of this workspace finish setting up (or end it), then run the command again; the leases are in ${error.leaseDirectory}`,
      );
    }
    throw error;
  }
}

export interface ContainedRun {
  /** The command's exit code (128 + signal number when it was killed). */
  code: number;
}

/**
 * Runs a command inside its sandbox with the caller's terminal (stdio inherited). Resolves
 * once the command has finished; rejects with SandboxUnavailableError when the sandbox
 * could not be set up, in which case nothing ran. bubblewrap reports the command's exit
 * on a status descriptor: no report means its own setup failed.
 */
export async function runContained(options: ContainOptions): Promise<ContainedRun> {
  const prepared = await prepareSandbox(options);
  try {
    const outcome = await new Promise<{ code: number; exited: boolean; spawnError: string | null }>((resolve) => {
      const child = spawn(prepared.program, ['--json-status-fd', '3', ...prepared.args], {
        env: prepared.env,
        cwd: options.profile.workspace,
        stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
      });
      let status = '';
      const statusStream = child.stdio[3] as NodeJS.ReadableStream | null;
      statusStream?.setEncoding('utf8');
      statusStream?.on('data', (chunk: string) => {
        if (status.length < 65_536) status += chunk;
      });
      statusStream?.on('error', () => undefined);
      // A terminated runner forwards the signal and still cleans up; its sandbox dies with it.
      const forward = (signal: NodeJS.Signals) => child.kill(signal);
      const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
      for (const signal of signals) process.on(signal, forward);
      child.on('close', () => {
        for (const signal of signals) process.off(signal, forward);
      });
      child.on('error', (error) => resolve({ code: 127, exited: false, spawnError: error.message }));
      child.on('close', (code, signal) => {
        const reported = /"exit-code"\s*:\s*(-?[0-9]+)/.exec(status);
        const signalled = signal ? 128 + (os.constants.signals[signal] ?? 0) : null;
        resolve({
          code: reported ? Number(reported[1]) : (signalled ?? code ?? 1),
          exited: reported !== null || signalled !== null,
          spawnError: null,
        });
      });
    });
    if (outcome.spawnError !== null) {
      const failure = explainFailure(outcome.spawnError);
      throw new SandboxUnavailableError(failure.reason, failure.fix);
    }
    if (!outcome.exited) {
      // bubblewrap printed its own error on the inherited stderr; find out why, for the fix.
      const probe = probeSandbox();
      throw new SandboxUnavailableError(
        probe.available ? 'bubblewrap could not set up this sandbox (its message is above)' : probe.reason,
        probe.available ? 'check the paths it names; nothing ran' : probe.fix,
      );
    }
    return { code: outcome.code };
  } finally {
    await prepared.release();
  }
}
