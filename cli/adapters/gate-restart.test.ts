import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SignedIn } from '../../core/contract';
import { localEvaluationPrincipal } from '../../core/identity';
import { createCore } from '../../core/service';
import type { LocalCoreService } from '../../core/service';
import { requireKeychain } from '../../core/gate/testing';
import { tempHome } from '../../test/support/temp-home';
import { signInOverHttp, startTestIdp } from '../../test/support/oidc-idp';
import type { TestIdp } from '../../test/support/oidc-idp';
import { rememberSession } from '../sign-in';
import { buildCliForTests } from './testing';
import type { CliBuild } from './testing';

// Issue 13, acceptance 4 with real processes: `cavra gate serve` (or the console) is killed and
// restarted while a Claude Code hook waits for an approval; the hook re-attaches to the same
// request, a reviewer of the tenant (an IdP principal, not the agent) approves it from the CLI
// in another process, and only then does the hook get allow. A gate that does not come back
// in time, or a Ctrl-C, ends in deny — never allow.
const TENANT = 'evaluation';
const users = { alice: { name: 'Alice Reviewer', email: 'alice@acme.example', groups: ['security-reviewers'] } };
const repoLauncher = path.resolve(import.meta.dirname, '..', '..', 'bin', 'cavra.cjs');

let cli: CliBuild;
let idp: TestIdp;
let core: LocalCoreService;
let home: string;
let cleanup: () => void;
const running = new Set<ChildProcessWithoutNullStreams>();

beforeAll(async () => {
  requireKeychain();
  [cli, idp] = await Promise.all([buildCliForTests(), startTestIdp(users)]);
  const temp = tempHome('cavra-gate-restart-');
  home = temp.home;
  cleanup = temp.cleanup;
  core = createCore({ home, shell: 'test', log: () => undefined });
  // The hook's credential is the install's default (this tenant); its reviewers sign in through the IdP.
  const configured = await core.invoke(localEvaluationPrincipal, {
    op: 'tenants.profile.update',
    tenant: TENANT,
    input: {
      sso: { issuer: idp.issuer, client_id: idp.clientId, scopes: ['profile', 'email', 'groups', 'offline_access'] },
      role_mappings: [{ group: 'security-reviewers', roles: ['security_reviewer'] }],
    },
  });
  expect(configured.ok, JSON.stringify(configured)).toBe(true);
  const begun = await core.invoke(null, {
    op: 'session.begin',
    tenant: null,
    input: { tenant: TENANT, redirectUri: 'http://127.0.0.1:49155/callback' },
  });
  if (!begun.ok) throw new Error(begun.error.message);
  const flow = begun.value as { flowId: string; authorizationUrl: string };
  const done = await core.invoke(null, {
    op: 'session.complete',
    tenant: null,
    input: { flowId: flow.flowId, callbackUrl: await signInOverHttp(flow.authorizationUrl, 'alice') },
  });
  if (!done.ok) throw new Error(done.error.message);
  rememberSession(home, TENANT, (done.value as SignedIn).sessionId);
}, 120_000);
// A failed test must not leave a gate holding the socket for the next one.
afterEach(async () => {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise((resolve) => {
          child.once('exit', resolve);
          child.kill('SIGKILL');
        }),
    ),
  );
});
afterAll(async () => {
  await core?.close();
  await idp?.close();
  cli?.remove();
  cleanup?.();
});

interface Proc {
  child: ChildProcessWithoutNullStreams;
  output(): { stdout: string; stderr: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once stdout matches (rejects if the process exits first). */
  printed(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

function start(args: string[], options: { input?: string; launcher?: string } = {}): Proc {
  const child = spawn(process.execPath, [options.launcher ?? cli.launcher, ...args], {
    env: { ...process.env, CAVRA_HOME: home },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const listener of listeners) listener();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      for (const listener of listeners) listener();
      resolve({ code, signal });
    }),
  );
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.input ?? '');
  return {
    child,
    output: () => ({ stdout, stderr }),
    exited,
    printed: (pattern, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${pattern} within ${timeoutMs} ms: ${stdout} ${stderr}`)),
          timeoutMs,
        );
        const check = () => {
          const found = pattern.exec(stdout);
          if (found) {
            clearTimeout(timer);
            listeners.delete(check);
            resolve(found);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            listeners.delete(check);
            reject(new Error(`exited before ${pattern}: ${stdout} ${stderr}`));
          }
        };
        listeners.add(check);
        check();
      }),
  };
}

async function startGate(waitS: number): Promise<Proc> {
  const gate = start(['gate', 'serve', '--no-http', '--approval-wait', String(waitS)]);
  await gate.printed(/CAVRA gate listening/);
  return gate;
}

async function startConsole(): Promise<Proc> {
  // The console hosts the core service and the gate in one process (browser mode, repo build).
  const console = start(['console', '--port', '0', '--gate-http-port', '0'], { launcher: repoLauncher });
  await console.printed(/Open: /);
  return console;
}

async function kill(proc: Proc, signal: NodeJS.Signals): Promise<void> {
  proc.child.kill(signal);
  await proc.exited;
}

function hook(command: string): Proc {
  return start(['hook', 'claude-code'], {
    input: JSON.stringify({
      session_id: 'agent-session',
      tool_use_id: `toolu_${command.length}`,
      cwd: home,
      hook_event_name: 'PreToolUse',
      tool_name: 'Bash',
      tool_input: { command },
    }),
  });
}

type Ledger = {
  query(q: unknown): { records: { seq: number }[] };
  record(seq: number): { payload: Record<string, unknown> } | null;
};
const ledger = () => core.gateHost.ledgers.ledger(TENANT) as unknown as Ledger;

/** The approval events of a request, oldest first. */
function events(id: string): string[] {
  const l = ledger();
  return l
    .query({ types: ['approval'], limit: 500 })
    .records.map((r) => l.record(r.seq)?.payload)
    .filter((p) => p?.request_id === id)
    .reverse()
    .map((p) => String(p?.event));
}

/** How many gates announced this request pending to an adapter (the first wait, then each re-attach). */
function announced(id: string): number {
  const l = ledger();
  return l
    .query({ types: ['decision'], limit: 500 })
    .records.map((r) => l.record(r.seq)?.payload.decision as { approval?: { request_id?: string; state: string } })
    .filter((d) => d?.approval?.request_id === id && d.approval.state === 'pending').length;
}

async function until<T>(
  what: string,
  probe: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The pending request for a command, once the gate has told the hook about it (it notes the
 * adapter's wait just before it sends `pending`; the hook can only re-attach to what it was told).
 */
async function pendingFor(command: string) {
  const request = await until(`a pending request for ${command}`, async () =>
    (await core.gateHost.approvals.list(TENANT, { states: ['pending'] })).find(
      (r) => r.target.includes(command) && r.waitUntil !== null,
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  return request;
}

/** `cavra approvals approve` in its own process, completing the reviewer's fresh IdP sign-in. */
async function approveFromCli(id: string): Promise<void> {
  const approving = start(['approvals', 'approve', id, '--tenant', TENANT, '--reason', 'checked it', '--no-browser']);
  const [url] = await approving.printed(/http:\/\/127\.0\.0\.1:\d+\/auth\S*/);
  const callback = await signInOverHttp(url, 'alice');
  expect((await fetch(callback)).status).toBe(200);
  const { code } = await approving.exited;
  expect(code, JSON.stringify(approving.output())).toBe(0);
}

const allowed = (proc: Proc) => /"permissionDecision":"allow"/.test(proc.output().stdout);

describe('a hook waiting for an approval across gate restarts (real processes)', () => {
  it('survives SIGKILL and SIGTERM of `cavra gate serve`, re-attaches, and is allowed after a reviewer approves', async () => {
    let gate = await startGate(90);
    const command = 'node -e "console.log(41)"';
    const waiting = hook(command);
    const request = await pendingFor(command);
    expect(request.agentPrincipal).toMatch(/^agent:/);

    await kill(gate, 'SIGKILL');
    gate = await startGate(90);
    await until('the re-attach after SIGKILL', () => announced(request.id) >= 2);
    await kill(gate, 'SIGTERM');
    // A gate stopping on SIGTERM leaves the request pending for the adapter: not abandoned.
    expect((await core.gateHost.approvals.get(TENANT, request.id))?.state).toBe('pending');
    expect(waiting.child.exitCode).toBeNull();
    gate = await startGate(90);
    await until('the re-attach after SIGTERM', () => announced(request.id) >= 3);

    await approveFromCli(request.id);
    const { code } = await waiting.exited;
    expect(code, JSON.stringify(waiting.output())).toBe(0);
    expect(allowed(waiting)).toBe(true);
    const approved = await core.gateHost.approvals.get(TENANT, request.id);
    expect(approved).toMatchObject({ state: 'consumed' });
    expect(approved?.votes[0]).toMatchObject({ by: expect.stringMatching(/alice/) });
    expect(events(request.id)).toEqual(['requested', 'approved', 'consumed']);

    // The same action again needs a new approval: the hook waits on a new request.
    const again = hook(command);
    const second = await pendingFor(command);
    expect(second.id).not.toBe(request.id);
    await kill(again, 'SIGINT');
    expect(allowed(again)).toBe(false);
    await kill(gate, 'SIGTERM');
  }, 240_000);

  it('denies when the gate does not come back within the wait; the request is abandoned when the gate next runs', async () => {
    let gate = await startGate(8);
    const command = 'node -e "console.log(42)"';
    const waiting = hook(command);
    const request = await pendingFor(command);
    await kill(gate, 'SIGKILL');
    const { code } = await waiting.exited;
    expect(code).toBe(2);
    expect(allowed(waiting)).toBe(false);
    expect(waiting.output().stderr).toMatch(
      new RegExp(`went away while approval ${request.id} was awaited(,| and did not come back)`),
    );
    gate = await startGate(8);
    await until(
      'abandonment',
      async () => (await core.gateHost.approvals.get(TENANT, request.id))?.state === 'abandoned',
    );
    expect(events(request.id)).toEqual(['requested', 'abandoned']);
    await kill(gate, 'SIGTERM');
  }, 120_000);

  it('Ctrl-C of the hook while it re-attaches: deny, and the request is abandoned, never approvable', async () => {
    let gate = await startGate(60);
    const downCommand = 'node -e "console.log(43)"';
    const down = hook(downCommand);
    const downRequest = await pendingFor(downCommand);
    await kill(gate, 'SIGKILL');
    // Ctrl-C while no gate runs (the hook is retrying the connection).
    await new Promise((resolve) => setTimeout(resolve, 300));
    await kill(down, 'SIGINT');
    expect((await down.exited).code).toBe(2);
    expect(down.output().stderr).toMatch(/interrupted \(SIGINT\)/);
    expect(allowed(down)).toBe(false);

    gate = await startGate(60);
    const command = 'node -e "console.log(44)"';
    const waiting = hook(command);
    const request = await pendingFor(command);
    await kill(gate, 'SIGKILL');
    gate = await startGate(60);
    await until('the re-attach', () => announced(request.id) >= 2);
    // Ctrl-C while re-attached to the restarted gate: it sees the adapter go and abandons the request.
    await kill(waiting, 'SIGINT');
    expect((await waiting.exited).code).toBe(2);
    expect(allowed(waiting)).toBe(false);
    await until(
      'abandonment',
      async () => (await core.gateHost.approvals.get(TENANT, request.id))?.state === 'abandoned',
    );
    const late = start(['approvals', 'approve', request.id, '--tenant', TENANT, '--reason', 'too late']);
    expect((await late.exited).code).not.toBe(0);
    expect(late.output().stderr).toMatch(/abandoned, not pending/);
    // The one interrupted while no gate ran is never approved either (abandoned once its wait is over).
    expect((await core.gateHost.approvals.get(TENANT, downRequest.id))?.state).not.toMatch(/approved|consumed/);
    await kill(gate, 'SIGTERM');
  }, 180_000);

  it('the console (core service + gate in one process) killed and restarted: the hook re-attaches and is allowed', async () => {
    let consoleProc = await startConsole();
    const command = 'node -e "console.log(45)"';
    const waiting = hook(command);
    const request = await pendingFor(command);
    await kill(consoleProc, 'SIGKILL');
    consoleProc = await startConsole();
    await until('the re-attach', () => announced(request.id) >= 2);
    await approveFromCli(request.id);
    expect((await waiting.exited).code, JSON.stringify(waiting.output())).toBe(0);
    expect(allowed(waiting)).toBe(true);
    expect(events(request.id)).toEqual(['requested', 'approved', 'consumed']);
    await kill(consoleProc, 'SIGTERM');
  }, 180_000);
});
