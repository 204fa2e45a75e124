import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MESSAGE_MARK } from '../../test/support/two-machines-wire';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface TwoMachines {
  tenant: string;
  /** The control plane's address (its TLS balancer). */
  server: string;
  a: { home: string; machineId: string };
  b: { home: string; machineId: string };
}

/**
 * The control plane of the two-machines walk, run by test/support/two-machines-main.ts in a
 * process of its own (Playwright's loader cannot load the core; tsx runs it): PostgreSQL,
 * `cavra server`, the test IdP, machine A with its gate, machine B's joined home.
 */
export class ControlPlaneHost {
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 1;

  private constructor(
    private readonly child: ChildProcess,
    readonly machines: TwoMachines,
  ) {}

  static async start(): Promise<ControlPlaneHost> {
    const child = spawn(
      path.join(repo, 'node_modules', '.bin', 'tsx'),
      [path.join(repo, 'test', 'support', 'two-machines-main.ts'), path.join(repo, 'bin', 'cavra.cjs')],
      { env: process.env, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let host: ControlPlaneHost | null = null;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
    const ready = new Promise<TwoMachines>((resolve, reject) => {
      let buffered = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (!line.startsWith(MESSAGE_MARK)) continue;
          const message = JSON.parse(line.slice(MESSAGE_MARK.length)) as {
            ready?: TwoMachines;
            id?: number;
            value?: unknown;
            error?: string;
          };
          if (message.ready) resolve(message.ready);
          else if (message.id !== undefined && host) host.settle(message.id, message.value, message.error);
        }
      });
      child.once('exit', (code) => reject(new Error(`the control plane exited with ${code}:\n${stderr}`)));
    });
    host = new ControlPlaneHost(child, await ready);
    return host;
  }

  private settle(id: number, value: unknown, error: string | undefined): void {
    const waiter = this.pending.get(id);
    this.pending.delete(id);
    if (error !== undefined) waiter?.reject(new Error(error));
    else waiter?.resolve(value);
  }

  private request<T>(op: string, input: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.stdin?.write(`${JSON.stringify({ id, op, ...input })}\n`);
    });
  }

  /** Machine A's agent asks through the real Claude Code hook (`cavra hook claude-code`); resolves with its answer. */
  hook(command: string): Promise<{ decision: string; reason: string }> {
    return this.request('hook', { command });
  }

  /** `user` signs the CLI of `home` in at the tenant's IdP, as `cavra login` would. */
  signIn(home: string, user: string): Promise<void> {
    return this.request('signIn', { home, user });
  }

  /** The central ledger as stored: the shared desk's events about one request, and what machines shipped. */
  central(requestId: string): Promise<{
    approvals: { seq: number; event: string; by: string }[];
    origins: { origin: string; origin_seq: number; seq: number; type: string }[];
  }> {
    return this.request('central', { requestId });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin?.end();
    await exited;
  }
}
