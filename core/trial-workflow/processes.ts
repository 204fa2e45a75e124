import { spawn } from 'node:child_process';

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  input?: string;
  signal: AbortSignal;
  timeoutMs: number;
  /** Called with each piece of stderr as it arrives (the approval wait is announced there). */
  onStderr?: (text: string) => void;
}

/**
 * Runs a program to completion without blocking the core's event loop (the gate that
 * answers it may live in the same process). Cancel and the time limit kill it.
 */
export function runProgram(program: string, args: string[], options: SpawnOptions): Promise<Finished> {
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) {
      reject(options.signal.reason ?? new Error('cancelled'));
      return;
    }
    const child = spawn(program, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const kill = () => child.kill('SIGKILL');
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    options.signal.addEventListener('abort', kill, { once: true });
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      err.push(chunk);
      options.onStderr?.(chunk.toString('utf8'));
    });
    const done = () => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', kill);
    };
    child.on('error', (error) => {
      done();
      reject(error);
    });
    child.on('close', (code) => {
      done();
      if (options.signal.aborted) {
        reject(options.signal.reason ?? new Error('cancelled'));
        return;
      }
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: timedOut ? `${stderr}\n(stopped after ${Math.round(options.timeoutMs / 1000)} s)` : stderr,
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
