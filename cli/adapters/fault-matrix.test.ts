// The fault matrix (issue 5): every way the gate can fail, through every adapter it
// applies to. Each cell must end in deny (an MCP error result, a blocked push, exit 2 or
// 126) with a reason; zero cells may end in allow. A control row first shows that the
// same requests are allowed when nothing is wrong, so every deny below is the fault's.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askGate, gateLocation, readGateToken } from '../../core/gate/client';
import { HTTP_PATHS } from '../../core/gate';
import { gateFixture, requireKeychain } from '../../core/gate/testing';
import type { GateFixture, GateFixtureOptions } from '../../core/gate/testing';
import { createCore } from '../../core/service';
import type { LocalCoreService } from '../../core/service';
import { tempHome } from '../../test/support/temp-home';
import { buildCliForTests, cavra, run } from './testing';
import type { CliBuild } from './testing';

const root = path.resolve(import.meta.dirname, '..', '..');
const filesystemServer = path.join(
  root,
  'node_modules',
  '@modelcontextprotocol',
  'server-filesystem',
  'dist',
  'index.js',
);

const adapters = ['claude-code hook', 'http hook endpoint', 'mcp-proxy', 'git pre-push', 'exec'] as const;
type Adapter = (typeof adapters)[number];
type Kind = 'everyday' | 'approval';
type Verdict = { allowed: boolean; reason: string } | { na: string };

interface Target {
  home: string;
  httpUrl: string | null;
  /** Replaces the Authorization header the HTTP driver sends (token cases). */
  authorization?: string | null;
}

let cli: CliBuild;
let workspace: string;
let gitDir: string;
let remote: string;
let work: string;
let branch = 0;
const matrix: { fault: string; adapter: Adapter; verdict: Verdict }[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

const gitEnv = () => ({
  ...process.env,
  HOME: gitDir,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Dev',
  GIT_AUTHOR_EMAIL: 'dev@acme.example',
  GIT_COMMITTER_NAME: 'Dev',
  GIT_COMMITTER_EMAIL: 'dev@acme.example',
});

async function git(...args: string[]) {
  const result = await run('git', args, { cwd: work, env: gitEnv() });
  if (result.code !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

beforeAll(async () => {
  requireKeychain();
  cli = await buildCliForTests();
  workspace = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-faults-ws-')));
  fs.mkdirSync(path.join(workspace, 'notes'));
  fs.mkdirSync(path.join(workspace, '.github', 'workflows'), { recursive: true });
  fs.writeFileSync(path.join(workspace, 'notes', 'hello.txt'), 'hello\n');
  fs.writeFileSync(path.join(workspace, '.github', 'workflows', 'ci.yml'), 'on: push\n');
  gitDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-faults-git-'));
  remote = path.join(gitDir, 'remote.git');
  work = path.join(gitDir, 'work');
  await run('git', ['init', '--bare', '-b', 'main', remote], { env: gitEnv() });
  await run('git', ['init', '-b', 'main', work], { env: gitEnv() });
  await git('remote', 'add', 'origin', remote);
  await git('commit', '--allow-empty', '-m', 'initial');
  // Branches the approval case will try to delete (pushed before any hook is installed).
  for (let i = 0; i < 20; i++) await git('branch', `keep-${i}`);
  await git('push', 'origin', 'main', ...Array.from({ length: 20 }, (_, i) => `keep-${i}`));
}, 120_000);

afterAll(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  cli?.remove();
  for (const dir of [workspace, gitDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  const rows = adapters.map((adapter) => adapter.padEnd(20)).join(' ');
  const lines = [...new Set(matrix.map((m) => m.fault))].map((fault) => {
    const cells = adapters.map((adapter) => {
      const verdict = matrix.find((m) => m.fault === fault && m.adapter === adapter)?.verdict;
      const text = !verdict ? '-' : 'na' in verdict ? 'n/a' : verdict.allowed ? 'ALLOW' : 'deny';
      return text.padEnd(20);
    });
    return `${fault.padEnd(44)} ${cells.join(' ')}`;
  });
  process.stdout.write(`\nFault matrix\n${''.padEnd(44)} ${rows}\n${lines.join('\n')}\n`);
  if (process.env.CAVRA_FAULT_REASONS) {
    for (const m of matrix) {
      if (!('na' in m.verdict))
        process.stdout.write(`${m.fault} | ${m.adapter} | ${m.verdict.reason.replace(/\s+/g, ' ').slice(0, 300)}\n`);
    }
  }
});

// ── drivers: one real request through each adapter ───────────────────────────

async function hookDriver(target: Target, kind: Kind, env: NodeJS.ProcessEnv): Promise<Verdict> {
  const result = await cavra(cli, target.home, ['hook', 'claude-code'], {
    env,
    input: JSON.stringify({
      session_id: 'fault-session',
      cwd: workspace,
      hook_event_name: 'PreToolUse',
      tool_name: 'Bash',
      tool_input: { command: kind === 'everyday' ? 'ls -la' : 'terraform apply -auto-approve' },
      tool_use_id: `toolu_fault_${Date.now()}`,
    }),
  });
  if (result.code === 1) return { allowed: true, reason: 'exit 1 (Claude Code would let the call through)' };
  if (result.code !== 0) return { allowed: false, reason: result.stderr.trim() };
  const out = JSON.parse(result.stdout) as {
    hookSpecificOutput: { permissionDecision: string; permissionDecisionReason: string };
  };
  return {
    allowed: out.hookSpecificOutput.permissionDecision === 'allow',
    reason: out.hookSpecificOutput.permissionDecisionReason,
  };
}

async function httpDriver(target: Target, kind: Kind): Promise<Verdict> {
  if (!target.httpUrl) return { na: 'no HTTP endpoint: Claude Code fails the call itself (onFailure: block)' };
  const authorization =
    target.authorization !== undefined ? target.authorization : `Bearer ${readGateToken(gateLocation(target.home))}`;
  try {
    const response = await fetch(`${target.httpUrl}${HTTP_PATHS.claudeCode}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({
        session_id: 'fault-session-http',
        cwd: workspace,
        hook_event_name: 'PreToolUse',
        tool_name: 'Bash',
        tool_input: { command: kind === 'everyday' ? 'ls -la' : 'terraform apply -auto-approve' },
      }),
      signal: AbortSignal.timeout(30_000),
    });
    // Claude Code treats a non-2xx answer as a non-blocking error: that would be an allow.
    if (response.status !== 200) return { allowed: true, reason: `HTTP ${response.status}` };
    const out = (await response.json()) as {
      hookSpecificOutput: { permissionDecision: string; permissionDecisionReason: string };
    };
    return {
      allowed: out.hookSpecificOutput.permissionDecision === 'allow',
      reason: out.hookSpecificOutput.permissionDecisionReason,
    };
  } catch (error) {
    // No answer at all; Claude Code blocks the call (onFailure: block in the installed hook).
    return { allowed: false, reason: `no answer: ${error instanceof Error ? error.message : String(error)}` };
  }
}

async function mcpDriver(target: Target, kind: Kind, env: NodeJS.ProcessEnv): Promise<Verdict> {
  const client = new Client({ name: 'fault-agent', version: '1.0.0' });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [
      cli.launcher,
      'mcp-proxy',
      '--server-name',
      'filesystem',
      '--',
      process.execPath,
      filesystemServer,
      workspace,
    ],
    env: { ...(process.env as Record<string, string>), CAVRA_HOME: target.home, ...(env as Record<string, string>) },
    cwd: workspace,
    stderr: 'pipe',
  });
  try {
    await client.connect(transport);
    const workflow = path.join(workspace, '.github', 'workflows', 'ci.yml');
    const result = await client.callTool(
      kind === 'everyday'
        ? { name: 'read_text_file', arguments: { path: path.join(workspace, 'notes', 'hello.txt') } }
        : { name: 'write_file', arguments: { path: workflow, content: 'on: pwned\n' } },
      undefined,
      { timeout: 60_000 },
    );
    const text = ((result.content as { text?: string }[]) ?? []).map((c) => c.text ?? '').join(' ');
    if (fs.readFileSync(workflow, 'utf8') !== 'on: push\n')
      return { allowed: true, reason: 'the workflow was written' };
    return { allowed: !result.isError, reason: text };
  } catch (error) {
    return { allowed: false, reason: `the MCP call failed: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    await client.close().catch(() => undefined);
  }
}

let hooksFor: string | null = null;

async function gitDriver(target: Target, kind: Kind, env: NodeJS.ProcessEnv): Promise<Verdict> {
  if (hooksFor !== target.home) {
    const install = await cavra(cli, target.home, ['git', 'install-hooks', '--repo', work]);
    if (install.code !== 0) throw new Error(install.stderr);
    hooksFor = target.home;
  }
  const n = branch++;
  let args: string[];
  let landed: () => Promise<boolean>;
  const remoteHas = async (ref: string) =>
    (await run('git', ['rev-parse', '--verify', '--quiet', ref], { cwd: remote, env: gitEnv() })).code === 0;
  if (kind === 'everyday') {
    await git('branch', `feature-${n}`, 'main');
    args = ['push', 'origin', `feature-${n}`];
    landed = () => remoteHas(`refs/heads/feature-${n}`);
  } else {
    args = ['push', 'origin', '--delete', `keep-${n % 20}`];
    landed = async () => !(await remoteHas(`refs/heads/keep-${n % 20}`));
  }
  const pushed = await run('git', args, { cwd: work, env: { ...gitEnv(), ...env } });
  const allowed = pushed.code === 0 || (await landed());
  return { allowed, reason: pushed.stderr.trim() };
}

async function execDriver(target: Target, kind: Kind, env: NodeJS.ProcessEnv): Promise<Verdict> {
  const marker = path.join(workspace, `exec-ran-${branch++}`);
  const command = kind === 'everyday' ? ['touch', marker] : ['terraform', 'apply', '-auto-approve'];
  const result = await cavra(cli, target.home, ['exec', '--', ...command], { env, cwd: workspace });
  const ran = kind === 'everyday' ? fs.existsSync(marker) : result.code !== 126;
  return { allowed: ran || result.code === 0, reason: result.stderr.trim() };
}

const drivers: Record<Adapter, (target: Target, kind: Kind, env: NodeJS.ProcessEnv) => Promise<Verdict>> = {
  'claude-code hook': hookDriver,
  'http hook endpoint': (target, kind) => httpDriver(target, kind),
  'mcp-proxy': mcpDriver,
  'git pre-push': gitDriver,
  exec: execDriver,
};

interface CaseOptions {
  /** What every adapter's reason must say: the fault itself, not some other refusal. */
  because: RegExp;
  kind?: Kind;
  env?: NodeJS.ProcessEnv;
  notApplicable?: Partial<Record<Adapter, string>>;
  /** Runs while the adapters' requests are in flight (to kill or confuse the gate). */
  during?: () => Promise<void>;
}

/** Runs every applicable adapter against the target and asserts none of them allowed. */
async function faultCase(fault: string, target: Target, options: CaseOptions): Promise<void> {
  const kind = options.kind ?? 'everyday';
  const env = options.env ?? {};
  const pending = adapters.map(async (adapter): Promise<Verdict> => {
    const na = options.notApplicable?.[adapter];
    if (na) return { na };
    return drivers[adapter](target, kind, env);
  });
  if (options.during) await options.during();
  const verdicts = await Promise.all(pending);
  verdicts.forEach((verdict, i) => matrix.push({ fault, adapter: adapters[i] as Adapter, verdict }));
  for (const [i, verdict] of verdicts.entries()) {
    if ('na' in verdict) continue;
    expect(verdict.allowed, `${fault} / ${adapters[i]}: ${verdict.reason}`).toBe(false);
    expect(verdict.reason, `${fault} / ${adapters[i]} must say why`).toMatch(options.because);
  }
}

// ── gates: real ones in this process, a real `cavra gate serve`, and named stand-ins ──

interface LedgerView {
  query(q: unknown): { records: { seq: number }[] };
  record(seq: number): { payload: Record<string, unknown> } | null;
  verify(): Promise<{ ok: boolean; reason?: string; size: number }>;
}

const ledgerOf = (core: LocalCoreService, tenant = 'evaluation') =>
  core.gateHost.ledgers.ledger(tenant) as unknown as LedgerView;

const live: GateFixture[] = [];

async function liveGate(options: GateFixtureOptions = {}): Promise<GateFixture> {
  const fx = await gateFixture({ approvalWaitMs: 600, ...options });
  cleanups.push(() => fx.close());
  live.push(fx);
  await fx.core.gateHost.mcp.trust(fx.tenant, 'filesystem', null, 'local:evaluator');
  // Loads and assigns the built-in packs before any fault is injected.
  await askGate(
    { op: 'decide', action: { type: 'execute_command', command: 'ls', cwd: workspace } },
    { home: fx.home },
  );
  return fx;
}

const target = (fx: GateFixture, extra: Partial<Target> = {}): Target => ({
  home: fx.home,
  httpUrl: fx.gate.httpUrl,
  ...extra,
});

/** A prepared data directory (tenant, packs, trust) for a gate run as its own process. */
async function preparedHome(): Promise<string> {
  const { home, cleanup } = tempHome('cavra-faults-home-');
  cleanups.push(cleanup);
  const core = createCore({ home, shell: 'test', log: () => undefined });
  await core.gateHost.mcp.trust('evaluation', 'filesystem', null, 'local:evaluator');
  core.gateHost.policy.evaluate('evaluation', { type: 'execute_command', command: 'ls', cwd: workspace });
  await core.close();
  return home;
}

/** `cavra gate serve` as a process; resolves once it listens. */
async function spawnedGate(
  home: string,
  env: NodeJS.ProcessEnv = process.env,
  approvalWaitS = 60,
): Promise<{ child: ChildProcess; httpUrl: string }> {
  const args = ['gate', 'serve', '--http-port', '0', '--approval-wait', String(approvalWaitS)];
  const child = spawn(process.execPath, [cli.launcher, ...args], {
    env: { ...env, CAVRA_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => {
    child.kill('SIGKILL');
  });
  const httpUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /HTTP: (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) resolve(match[1] as string);
    });
    child.on('exit', (code) => reject(new Error(`gate exited ${code}: ${out}`)));
  });
  return { child, httpUrl };
}

/**
 * A stand-in gate (named as such: no real gate misbehaves on purpose): a socket with the
 * right permissions and a valid token that answers each request line as `answer` says.
 */
async function standInGate(answer: (request: { id: string }, socket: net.Socket) => void): Promise<Target> {
  const { home, cleanup } = tempHome('cavra-faults-standin-');
  const location = gateLocation(home);
  fs.mkdirSync(location.dir, { mode: 0o700 });
  fs.writeFileSync(location.token, `${'t'.repeat(43)}\n`, { mode: 0o600 });
  const server = net.createServer((socket) => {
    let buffer = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      let newline = buffer.indexOf('\n');
      while (newline !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        answer(JSON.parse(line) as { id: string }, socket);
        newline = buffer.indexOf('\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(location.socket, resolve));
  fs.chmodSync(location.socket, 0o600);
  cleanups.push(async () => {
    await new Promise((resolve) => server.close(resolve));
    cleanup();
  });
  return { home, httpUrl: null };
}

/** Approval requests opened in a data directory (read-only, from outside any gate). */
function openedApprovals(home: string): number {
  const db = new Database(path.join(home, 'tenants', 'evaluation', 'tenant.sqlite'), { readonly: true });
  try {
    // Requests opened, whatever became of them: an adapter whose wait already ended (the machine
    // is slow) has an abandoned request, and it did reach the wait.
    return (db.prepare(`SELECT COUNT(*) AS n FROM approval_requests`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Waits until every adapter of an approval case holds a pending request (hook and HTTP share one). */
async function allWaiting(home: string, before = 0): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (openedApprovals(home) < before + 4) {
    if (Date.now() > deadline) throw new Error('the adapters never reached the approval wait');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const standInOnly = { 'http hook endpoint': 'the stand-in has no HTTP endpoint; Claude Code fails the call itself' };
// Short enough for the hang to be quick, long enough that 28 CLI processes starting at once on two
// cores still read a stand-in's immediate answer before their own deadline.
const quick = { CAVRA_GATE_TIMEOUT_MS: '4000' };

describe('fault matrix: every fault ends in deny, through every adapter', () => {
  let main: GateFixture;

  it('control: with nothing wrong, the same requests are allowed (so the denies below are the faults)', async () => {
    main = await liveGate();
    const fx = main;
    const verdicts = await Promise.all(adapters.map((adapter) => drivers[adapter](target(fx), 'everyday', {})));
    verdicts.forEach((verdict, i) => expect(verdict, adapters[i]).toMatchObject({ allowed: true }));
    // Acceptance 6: each decision is in the ledger with adapter, agent, session and correlation id.
    const ledger = ledgerOf(fx.core);
    const decisions = ledger
      .query({ types: ['decision'], limit: 500 })
      .records.map((r) => ledger.record(r.seq)?.payload as Record<string, never>);
    for (const adapter of ['claude-code', 'claude-code-http', 'mcp-proxy', 'git', 'exec']) {
      const recorded = decisions.filter((p) => p.adapter === adapter);
      expect(recorded.length, adapter).toBeGreaterThan(0);
      for (const payload of recorded) {
        const decision = payload.decision as unknown as { decision: string; correlation_id: string };
        // One decision-record shape: the correlation id is the Decision's own.
        expect(payload, adapter).toMatchObject({ agent: { id: expect.any(String), session: expect.any(String) } });
        expect(payload).not.toHaveProperty('correlation_id');
        expect(decision.correlation_id.length).toBeGreaterThan(0);
      }
    }
  }, 60_000);

  it('gate not running', async () => {
    const { home, cleanup } = tempHome('cavra-faults-none-');
    cleanups.push(cleanup);
    await faultCase('gate not running', { home, httpUrl: null }, { because: /CAVRA gate unavailable/ });
  }, 60_000);

  it('gate killed mid-request', async () => {
    const home = await preparedHome();
    // Adapters waiting on an approval try to re-attach to a restarted gate within their own wait
    // (issue 13): a short wait, and this gate never comes back, so each ends in deny.
    const { child, httpUrl } = await spawnedGate(home, process.env, 15);
    await faultCase(
      'gate killed mid-request',
      { home, httpUrl },
      {
        because: /closed the connection|no answer|went away while approval apr_\S+ was awaited/,
        kind: 'approval',
        during: async () => {
          // The gate now holds every request, waiting for an approver; then it dies.
          await allWaiting(home);
          child.kill('SIGKILL');
        },
      },
    );
    // What the killed gate acknowledged is intact: its ledger verifies.
    const after = createCore({ home, shell: 'test', log: () => undefined });
    try {
      expect(await ledgerOf(after).verify()).toMatchObject({ ok: true });
    } finally {
      await after.close();
    }
  }, 90_000);

  const standIns: [string, RegExp, (request: { id: string }, socket: net.Socket) => void][] = [
    ['gate hangs past the timeout', /did not answer within/, () => undefined],
    ['gate answers garbage', /not JSON/, (_r, s) => s.write('this is not json\n')],
    [
      'gate answers an oversized line',
      /longer than/,
      (r, s) => s.write(`{"v":1,"id":"${r.id}","reason":"${'x'.repeat(2 << 20)}"}\n`),
    ],
    ['gate answer truncated', /truncated/, (r, s) => s.end(`{"v":1,"id":"${r.id}","type":"answer","outcome":"al`)],
    [
      'gate answers "ALLOW" (not an outcome)',
      /without a valid outcome/,
      (r, s) => s.write(`${JSON.stringify({ v: 1, id: r.id, type: 'answer', outcome: 'ALLOW', reason: 'ok' })}\n`),
    ],
    [
      'gate answers another request',
      /did not answer within/,
      (_r, s) => s.write(`${JSON.stringify({ v: 1, id: 'other', type: 'answer', outcome: 'allow', reason: 'ok' })}\n`),
    ],
    [
      'gate answers in protocol version 2',
      /not a version-1 gate message/,
      (r, s) => s.write(`${JSON.stringify({ v: 2, id: r.id, type: 'answer', outcome: 'allow', reason: 'ok' })}\n`),
    ],
  ];

  it('a gate that hangs or answers garbage (seven stand-ins, concurrently)', async () => {
    const targets = await Promise.all(standIns.map(([, , answer]) => standInGate(answer)));
    // The git driver shares one work tree, so its pushes take turns.
    let gitTurn: Promise<unknown> = Promise.resolve();
    const outcomes = await Promise.all(
      standIns.map(async ([fault, because], i) => {
        const target = targets[i] as Target;
        const verdicts = await Promise.all(
          adapters.map((adapter): Promise<Verdict> => {
            if (adapter === 'http hook endpoint') return Promise.resolve({ na: standInOnly[adapter] });
            if (adapter !== 'git pre-push') return drivers[adapter](target, 'everyday', quick);
            const turn = gitTurn.then(() => drivers[adapter](target, 'everyday', quick));
            gitTurn = turn.catch(() => undefined);
            return turn;
          }),
        );
        verdicts.forEach((verdict, j) => matrix.push({ fault, adapter: adapters[j] as Adapter, verdict }));
        return { fault, because, verdicts };
      }),
    );
    // Asserted only once every push has ended: a failure must not leave pushes running into the next case.
    for (const { fault, because, verdicts } of outcomes) {
      verdicts.forEach((verdict, j) => {
        if ('na' in verdict) return;
        expect(verdict.allowed, `${fault} / ${adapters[j]}: ${verdict.reason}`).toBe(false);
        expect(verdict.reason, `${fault} / ${adapters[j]}`).toMatch(because);
      });
    }
  }, 120_000);

  it('malformed or oversized hook input', async () => {
    const fx = main;
    const hookInputs = ['{"tool_name": "Bash", "tool_input": ', '"just a string"', 'x'.repeat(11 << 20)];
    for (const input of hookInputs) {
      const result = await cavra(cli, fx.home, ['hook', 'claude-code'], { input });
      matrix.push({
        fault: 'malformed or oversized hook input',
        adapter: 'claude-code hook',
        verdict: { allowed: result.code !== 2, reason: result.stderr.trim() },
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/CAVRA denied/);
    }
    for (const body of [
      '{"tool_name": "Bash", "tool_input": ',
      JSON.stringify({ tool_name: 'Bash', tool_input: {} }),
      'x'.repeat(11 << 20),
    ]) {
      const response = await fetch(`${fx.gate.httpUrl}${HTTP_PATHS.claudeCode}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${readGateToken(gateLocation(fx.home))}` },
        body,
      });
      const out = (await response.json()) as {
        hookSpecificOutput: { permissionDecision: string; permissionDecisionReason: string };
      };
      const verdict = {
        allowed: response.status !== 200 || out.hookSpecificOutput.permissionDecision !== 'deny',
        reason: out.hookSpecificOutput.permissionDecisionReason,
      };
      matrix.push({ fault: 'malformed or oversized hook input', adapter: 'http hook endpoint', verdict });
      expect(verdict.allowed, verdict.reason).toBe(false);
    }
    const prePush = await cavra(cli, fx.home, ['git', 'pre-push', 'origin', remote], {
      cwd: work,
      input: 'refs/heads/main not-a-sha\n',
    });
    matrix.push({
      fault: 'malformed or oversized hook input',
      adapter: 'git pre-push',
      verdict: { allowed: prePush.code === 0, reason: prePush.stderr.trim() },
    });
    expect(prePush.code).not.toBe(0);
    // A tools/call without a tool name, straight into the proxy.
    const proxy = await cavra(
      cli,
      fx.home,
      ['mcp-proxy', '--server-name', 'filesystem', '--', process.execPath, filesystemServer, workspace],
      {
        cwd: workspace,
        input: `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { arguments: { path: 'notes/hello.txt' } } })}\n`,
        timeoutMs: 30_000,
      },
    );
    const reply = proxy.stdout
      .split('\n')
      .filter(Boolean)
      .map(
        (line) =>
          JSON.parse(line) as {
            id: number;
            result?: { isError?: boolean; content: { text: string }[] };
            error?: { message: string };
          },
      )
      .find((m) => m.id === 1);
    // Refused as invalid params (a JSON-RPC error) before the gate is asked; never served.
    const refused = reply?.error !== undefined || reply?.result?.isError === true;
    matrix.push({
      fault: 'malformed or oversized hook input',
      adapter: 'mcp-proxy',
      verdict: { allowed: !refused, reason: reply?.error?.message ?? reply?.result?.content[0]?.text ?? '' },
    });
    expect(reply?.error?.message).toMatch(/tools\/call params must name the tool/);
    matrix.push({
      fault: 'malformed or oversized hook input',
      adapter: 'exec',
      verdict: { na: 'exec takes argv, not hook input' },
    });
  }, 90_000);

  it('ledger write failure: database read-only', async () => {
    const fx = main;
    const store = (fx.core.gateHost.tenants as unknown as { store(t: string): { pragma(p: string): unknown } }).store(
      fx.tenant,
    );
    store.pragma('query_only = ON');
    try {
      await faultCase('ledger write failure: database read-only', target(fx), {
        because: /could not be recorded in the evidence ledger.*readonly/,
      });
    } finally {
      store.pragma('query_only = OFF');
    }
  }, 60_000);

  it('ledger write failure: disk full', async () => {
    const fx = main;
    const store = (
      fx.core.gateHost.tenants as unknown as {
        store(t: string): { pragma(p: string, o?: { simple: boolean }): unknown };
      }
    ).store(fx.tenant);
    const limit = Number(store.pragma('max_page_count', { simple: true }));
    // SQLite reports SQLITE_FULL ("database or disk is full") once the file may not grow, but a
    // small insert may still fit in free space inside existing pages: fill that space first.
    const db = store as unknown as { exec(sql: string): void; prepare(sql: string): { run(...a: unknown[]): void } };
    db.exec('CREATE TABLE IF NOT EXISTS fault_fill (x BLOB)');
    const pages = Number(store.pragma('page_count', { simple: true }));
    store.pragma(`max_page_count = ${pages}`);
    const fill = db.prepare('INSERT INTO fault_fill VALUES (randomblob(?))');
    for (const size of [4096, 512, 64, 8, 1]) {
      try {
        for (let i = 0; i < 100_000; i++) fill.run(size);
      } catch {
        // full at this size; try smaller pieces
      }
    }
    // The ledger's own pages may still hold a record or two: an insert with the next key goes
    // into the last leaf of each of its b-trees without a new page. Use that room up with the
    // smallest valid records until the ledger itself reports the disk full; a decision record
    // is larger, so none of the adapters' appends can fit (no fault injected means no test).
    const ledger = fx.core.gateHost.ledgers.ledger(fx.tenant) as unknown as {
      appendNow(input: { type: string; payload: unknown }): unknown;
    };
    let full = false;
    for (let i = 0; i < 10_000 && !full; i++) {
      try {
        ledger.appendNow({ type: 'config_change', payload: { change: 'f', by: 'f' } });
      } catch (error) {
        expect(String(error)).toMatch(/disk is full/);
        full = true;
      }
    }
    expect(full, 'the ledger must be full before the fault case runs').toBe(true);
    cleanups.push(() => {
      store.pragma(`max_page_count = ${limit}`);
      db.exec('DROP TABLE IF EXISTS fault_fill');
    });
    try {
      await faultCase('ledger write failure: disk full', target(fx), {
        because: /could not be recorded in the evidence ledger.*disk is full/,
      });
    } finally {
      store.pragma(`max_page_count = ${limit}`);
    }
  }, 60_000);

  it('database locked', async () => {
    // A gate process of its own: SQLite's busy wait stalls that gate, not this test.
    const home = await preparedHome();
    const { httpUrl } = await spawnedGate(home);
    const db = path.join(home, 'tenants', 'evaluation', 'tenant.sqlite');
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require('better-sqlite3'))(${JSON.stringify(db)}); db.exec('BEGIN EXCLUSIVE');
         process.stdout.write('locked\\n'); process.stdin.on('end', () => { db.exec('ROLLBACK'); process.exit(0); }); process.stdin.resume();`,
      ],
      { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    cleanups.push(() => {
      holder.kill('SIGKILL');
    });
    await new Promise((resolve) => holder.stdout?.once('data', resolve));
    try {
      await faultCase(
        'database locked',
        { home, httpUrl },
        {
          env: { CAVRA_GATE_TIMEOUT_MS: '8000' },
          because: /did not answer within|database is locked/,
        },
      );
    } finally {
      holder.stdin?.end();
    }
  }, 120_000);

  it('signing key unavailable', async () => {
    const home = await preparedHome();
    // The same install, but the gate runs where no keychain answers (no D-Bus session).
    const env = { ...process.env };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    const { httpUrl } = await spawnedGate(home, env);
    await faultCase('signing key unavailable', { home, httpUrl }, { because: /cannot be signed/ });
    const one = await askGate(
      { op: 'decide', action: { type: 'execute_command', command: 'ls', cwd: workspace } },
      { home },
    );
    expect(one.reason).toMatch(/cannot be signed/);
    // What could not be decided is still on record: a gap record per refused request.
    const reader = createCore({ home, shell: 'test', log: () => undefined });
    try {
      const ledger = ledgerOf(reader);
      const gaps = ledger
        .query({ types: ['gap'], limit: 50 })
        .records.map((r) => ledger.record(r.seq)?.payload as { source: string; reason: string });
      expect(
        gaps.filter((g) => g.source.startsWith('gate/') && /cannot be signed/.test(g.reason)).length,
      ).toBeGreaterThan(3);
    } finally {
      await reader.close();
    }
  }, 60_000);

  it('policy pack missing', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-faults-nopacks-'));
    fs.writeFileSync(path.join(empty, 'README'), 'no packs here\n');
    cleanups.push(() => fs.rmSync(empty, { recursive: true, force: true }));
    const fx = await liveGate({ policyPacksDir: empty });
    await faultCase('policy pack missing (no built-in packs)', target(fx), { because: /No policy pack is assigned/ });
  }, 60_000);

  it('policy pack invalid', async () => {
    const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-faults-badpack-'));
    fs.writeFileSync(
      path.join(broken, 'allow-all.yaml'),
      'id: allow-all\nversion: 1.0.0\ndescription: broken\nrules:\n  - id: everything\n    decision: allow-please\n    reason: x\n',
    );
    cleanups.push(() => fs.rmSync(broken, { recursive: true, force: true }));
    const fx = await liveGate({ policyPacksDir: broken });
    await faultCase('policy pack invalid', target(fx), { because: /No policy pack is assigned/ });
  }, 60_000);

  it('no pack assigned', async () => {
    const fx = await liveGate();
    const policy = fx.core.gateHost.policy as unknown as {
      listPacks(t: string): { packs: { id: string; assignments: (string | null)[] }[] };
      unassign(t: string, id: string, repository: string | null, principal: unknown): boolean;
    };
    for (const pack of policy.listPacks(fx.tenant).packs) {
      for (const repository of pack.assignments) {
        policy.unassign(fx.tenant, pack.id, repository, {
          id: 'local:evaluator',
          displayName: 'x',
          kind: 'local_evaluation',
        });
      }
    }
    await faultCase('no pack assigned', target(fx), { because: /No policy pack is assigned/ });
  }, 60_000);

  it('approval timeout', async () => {
    const fx = main;
    await faultCase('approval timeout', target(fx), { kind: 'approval', because: /no approver decided within/ });
  }, 60_000);

  it('token wrong', async () => {
    const fx = main;
    const file = gateLocation(fx.home).token;
    const real = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, `${'w'.repeat(43)}\n`, { mode: 0o600 });
    try {
      await faultCase('token wrong', target(fx, { authorization: `Bearer ${'w'.repeat(43)}` }), {
        because: /no valid gate token/,
      });
    } finally {
      fs.writeFileSync(file, real, { mode: 0o600 });
    }
  }, 60_000);

  it('token missing', async () => {
    const fx = main;
    const file = gateLocation(fx.home).token;
    const real = fs.readFileSync(file, 'utf8');
    fs.rmSync(file);
    try {
      await faultCase('token missing', target(fx, { authorization: null }), {
        because: /no gate token at|no valid gate token/,
      });
    } finally {
      fs.writeFileSync(file, real, { mode: 0o600 });
    }
  }, 60_000);

  it('socket directory with wrong permissions', async () => {
    const fx = main;
    const dir = gateLocation(fx.home).dir;
    fs.chmodSync(dir, 0o755);
    try {
      await faultCase('socket directory with wrong permissions', target(fx), {
        because: /must be 0700/,
        notApplicable: { 'http hook endpoint': 'the HTTP endpoint uses no socket' },
      });
    } finally {
      fs.chmodSync(dir, 0o700);
    }
  }, 60_000);

  it('socket with wrong permissions', async () => {
    const fx = main;
    const socket = gateLocation(fx.home).socket;
    fs.chmodSync(socket, 0o666);
    try {
      await faultCase('socket with wrong permissions', target(fx), {
        because: /must be 0600/,
        notApplicable: { 'http hook endpoint': 'the HTTP endpoint uses no socket' },
      });
    } finally {
      fs.chmodSync(socket, 0o600);
    }
  }, 60_000);

  it('concurrent burst beyond capacity', async () => {
    // A gate already at capacity: nothing may run and nothing may queue.
    const fx = await liveGate({ limits: { maxInFlight: 0, maxQueued: 0 } });
    await faultCase('concurrent burst beyond capacity', target(fx), { because: /over capacity/ });
  }, 60_000);

  it('clock jump forward past the approval expiry while adapters wait', async () => {
    let offset = 0;
    const fx = await liveGate({ approvalWaitMs: 15_000, now: () => new Date(Date.now() + offset) });
    await faultCase('clock jump forward (+30 days)', target(fx), {
      because: /Approval expired/,
      kind: 'approval',
      during: async () => {
        await allWaiting(fx.home);
        offset += 30 * 86_400_000;
      },
    });
  }, 90_000);

  it('clock jump backward while adapters wait', async () => {
    let offset = 0;
    const fx = await liveGate({ approvalWaitMs: 6_000, now: () => new Date(Date.now() + offset) });
    await faultCase('clock jump backward (−1 day)', target(fx), {
      because: /no approver decided within/,
      kind: 'approval',
      during: async () => {
        await allWaiting(fx.home);
        offset -= 86_400_000;
      },
    });
  }, 90_000);

  it('leaves every ledger verifying, whatever failed', async () => {
    for (const fx of live) {
      const verification = await ledgerOf(fx.core).verify();
      expect(verification, fx.home).toMatchObject({ ok: true });
      expect(verification.size).toBeGreaterThan(0);
    }
  }, 60_000);

  it('adds up: zero cells of the matrix ended in allow', () => {
    const decided = matrix.filter((m) => !('na' in m.verdict));
    expect(decided.length).toBeGreaterThan(80);
    expect(decided.filter((m) => 'allowed' in m.verdict && m.verdict.allowed)).toEqual([]);
  });
});
