// Runtime gate figures for `npm run bench gate`: the Claude Code hook command round trip
// (spawn `cavra hook claude-code`, get the answer), the loopback HTTP hook endpoint round
// trip, and sustained durable decisions/s over the socket with 16 concurrent clients.
//
// Everything is real (policy engine with the built-in packs, SQLite ledger with
// synchronous=FULL, group commit) except the keychain: the tenant signs with a throwaway
// in-memory key, so the figures measure the gate, not the Secret Service.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HTTP_PATHS, startGate } from '../../core/gate';
import { GateConnection, gateLocation, readGateToken } from '../../core/gate/client';
import type { SecretRef, SecretStore } from '../../core/secrets';
import { createCore } from '../../core/service';
import { HOOK_PROCESS_ENV } from '../../cli/adapters/shell-quote';
import type { BenchSuite } from './harness';
import { latencySummary, percentile } from './harness';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const HOOK_RUNS = 120;
const HTTP_RUNS = 3_000;
const CLIENTS = 16;
const SUSTAIN_MS = 8_000;

/** The bench's stand-in for the OS keychain: keys live in memory for the run only. */
export class ThrowawaySecrets implements SecretStore {
  private readonly values = new Map<string, string>();
  private key(ref: SecretRef): string {
    return `${ref.tenant}\n${ref.service}\n${ref.account}`;
  }
  get(ref: SecretRef): string | null {
    return this.values.get(this.key(ref)) ?? null;
  }
  set(ref: SecretRef, value: string): void {
    this.values.set(this.key(ref), value);
  }
  delete(ref: SecretRef): boolean {
    return this.values.delete(this.key(ref));
  }
}

/** Everyday and risky tool calls, as Claude Code sends them (most are allowed, some denied). */
function toolCall(i: number, cwd: string): Record<string, unknown> {
  const calls: [string, Record<string, unknown>][] = [
    ['Bash', { command: 'npm test' }],
    ['Bash', { command: 'git status' }],
    ['Read', { file_path: 'src/index.ts' }],
    ['Bash', { command: 'ls -la src | grep test' }],
    ['Edit', { file_path: 'src/app.ts', old_string: 'a', new_string: 'b' }],
    ['Bash', { command: 'rm -rf ~' }],
    ['Read', { file_path: 'config/.env' }],
    ['Grep', { pattern: 'TODO', path: 'src' }],
  ];
  const [tool, input] = calls[i % calls.length] as [string, Record<string, unknown>];
  return {
    session_id: `bench-${i % 7}`,
    cwd,
    hook_event_name: 'PreToolUse',
    tool_name: tool,
    tool_input: input,
    tool_use_id: `toolu_bench_${i}`,
  };
}

function action(i: number, cwd: string): Record<string, unknown> {
  const commands = ['npm test', 'git status', 'ls -la', 'cat README.md', 'rm -rf ~', 'npm run build', 'git diff'];
  return {
    type: 'execute_command',
    command: commands[i % commands.length],
    cwd,
    agent: { id: `bench-agent-${i % CLIENTS}`, session: `bench-session-${i % 64}` },
  };
}

/** 16 socket clients in one process of their own: each sends a decide request, waits, repeats. */
const CLIENT_SCRIPT = `
const net = require('node:net');
let input = '';
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', async () => {
  const job = JSON.parse(input);
  const stats = { decided: 0, allowed: 0, failed: 0, seconds: 0 };
  const started = performance.now();
  const deadline = started + job.ms;
  await Promise.all(Array.from({ length: job.clients }, (_, c) => new Promise((resolve) => {
    const socket = net.createConnection(job.socket);
    let buffer = '';
    let n = c;
    const next = () => {
      if (performance.now() >= deadline) { socket.end(); return resolve(); }
      const action = job.actions[n++ % job.actions.length];
      socket.write(JSON.stringify({ v: 1, id: String(n), token: job.token, op: 'decide', adapter: 'bench', action }) + '\\n');
    };
    socket.setEncoding('utf8');
    socket.on('connect', next);
    socket.on('error', () => { stats.failed += 1; resolve(); });
    socket.on('data', (chunk) => {
      buffer += chunk;
      let at;
      while ((at = buffer.indexOf('\\n')) !== -1) {
        const message = JSON.parse(buffer.slice(0, at));
        buffer = buffer.slice(at + 1);
        if (message.type !== 'answer') continue;
        stats.decided += 1;
        if (message.outcome === 'allow') stats.allowed += 1;
        next();
      }
    });
  })));
  stats.seconds = (performance.now() - started) / 1000;
  process.stdout.write(JSON.stringify(stats));
});
`;

function spawnHook(env: NodeJS.ProcessEnv, input: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    // The environment the installed hook command gives it (see cavraCommand).
    const child = spawn(process.execPath, [path.join(root, 'bin', 'cavra.cjs'), 'hook', 'claude-code'], {
      env: { ...env, ...HOOK_PROCESS_ENV },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
    child.stdin.end(input);
  });
}

function post(agent: http.Agent, port: number, token: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        path: HTTP_PATHS.claudeCode,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve(text));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

export const gateBench: BenchSuite = {
  name: 'gate',
  async run(print) {
    // The hook round trip runs the real launcher and bundle: build them fresh.
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), 'cli'], { cwd: root, stdio: 'ignore' });
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-bench-gate-'));
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-bench-ws-'));
    const core = createCore({ home, shell: 'test', secrets: new ThrowawaySecrets(), log: () => undefined });
    const gate = await startGate({ host: core.gateHost, httpPort: 0, log: () => undefined });
    const ledger = core.gateHost.ledgers.ledger('evaluation') as unknown as { size(): number };
    try {
      const token = readGateToken(gateLocation(home));
      const port = Number(new URL(gate.httpUrl as string).port);
      const env = { ...process.env, CAVRA_HOME: home };

      // Warm up: packs loaded and compiled, SQLite pages cached, the bundle in the page cache.
      const warm = await GateConnection.open({ home });
      await Promise.all(
        Array.from({ length: 200 }, (_, i) => warm.ask({ op: 'decide', action: action(i, cwd) }, { home })),
      );
      warm.close();
      await spawnHook(env, JSON.stringify(toolCall(0, cwd)));

      const hookSamples: number[] = [];
      for (let i = 0; i < HOOK_RUNS; i++) {
        const start = process.hrtime.bigint();
        const result = await spawnHook(env, JSON.stringify(toolCall(i, cwd)));
        hookSamples.push(Number(process.hrtime.bigint() - start));
        if (result.code !== 0 || !result.stdout.includes('permissionDecision')) throw new Error('hook run failed');
      }
      const bare: number[] = [];
      for (let i = 0; i < 30; i++) {
        const start = process.hrtime.bigint();
        await new Promise((resolve) =>
          spawn(process.execPath, ['-e', '0'], { stdio: 'ignore', env: { ...process.env, ...HOOK_PROCESS_ENV } }).on(
            'close',
            resolve,
          ),
        );
        bare.push(Number(process.hrtime.bigint() - start));
      }
      print(
        `hook command round trip (spawn cavra hook claude-code): ${latencySummary(hookSamples, 'ms')}  target p95 ≤ 80 ms`,
      );
      print(
        `  Node start-up floor here (node -e 0): p50 ${(
          percentile(
            [...bare].sort((a, b) => a - b),
            50,
          ) / 1e6
        ).toFixed(1)} ms`,
      );

      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = 0; i < 100; i++) await post(agent, port, token, JSON.stringify(toolCall(i, cwd)));
      const httpSamples: number[] = [];
      for (let i = 0; i < HTTP_RUNS; i++) {
        const body = JSON.stringify(toolCall(i, cwd));
        const start = process.hrtime.bigint();
        const reply = await post(agent, port, token, body);
        httpSamples.push(Number(process.hrtime.bigint() - start));
        if (!reply.includes('permissionDecision')) throw new Error('HTTP hook answer malformed');
      }
      agent.destroy();
      print(
        `HTTP hook endpoint round trip (durable decision each): ${latencySummary(httpSamples, 'ms')}  target p95 ≤ 5 ms`,
      );

      // The clients run in their own process, as adapters do, so they do not share the gate's CPU
      // time. They speak the socket protocol (client/wire.ts) directly, one request in flight each.
      const before = ledger.size();
      const clients = spawn(process.execPath, ['-e', CLIENT_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
      let output = '';
      clients.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const done = new Promise<void>((resolve) => clients.on('close', () => resolve()));
      clients.stdin.end(
        JSON.stringify({
          socket: gateLocation(home).socket,
          token,
          clients: CLIENTS,
          ms: SUSTAIN_MS,
          actions: Array.from({ length: 64 }, (_, i) => action(i, cwd)),
        }),
      );
      await done;
      const result = JSON.parse(output) as { decided: number; allowed: number; failed: number; seconds: number };
      const recorded = ledger.size() - before;
      print(
        `sustained over the socket, ${CLIENTS} concurrent clients: ${Math.round(result.decided / result.seconds)} durable decisions/s ` +
          `(${result.decided} in ${result.seconds.toFixed(1)} s, ${result.allowed} allowed, ${result.failed} failed; ${recorded} ledger records)  target ≥ 2,000/s`,
      );
    } finally {
      await gate.close();
      await core.close();
      fs.rmSync(home, { recursive: true, force: true });
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  },
};
