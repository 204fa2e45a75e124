import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalRequestView, Job, Principal, SignedIn, WorkflowRun } from '../../core/contract';
import { TRIAL_MCP_SERVER } from '../../core/contract';
import { createCore } from '../../core/service';
import type { LocalCoreService } from '../../core/service';
import { startGate } from '../../core/gate';
import type { RunningGate } from '../../core/gate';
import { requireKeychain } from '../../core/gate/testing';
import { TenantDirectory } from '../../core/tenants';
import { validators } from '../../core/readiness';
import type { EvidenceLedgers } from '../../core/evidence';
import type { Ledger } from '../../core/evidence';
import { buildCliForTests } from '../../cli/adapters/testing';
import type { CliBuild } from '../../cli/adapters/testing';
import { tempHome } from '../support/temp-home';

// Trial step 4 end to end: the governed workflow drives the real adapter processes (Claude
// Code hook, MCP proxy + @modelcontextprotocol/server-filesystem, git pre-push against a bare
// remote, `cavra exec` in bubblewrap) against a real gate, and a reviewer answers its approval.

const TENANT = 'evaluation';
let cli: CliBuild;
let core: LocalCoreService;
let ledger: Ledger;
let gate: RunningGate | null = null;
let home: string;
let cleanup: () => void;
let evaluator: Principal;
const reviewer: Principal = {
  id: 'human:trial:reviewer',
  displayName: 'Security reviewer',
  kind: 'human',
  session: 'ses_trial_reviewer',
};

async function call<T>(principal: Principal, op: string, input: unknown): Promise<T> {
  const response = await core.invoke(principal, { op, tenant: TENANT, input });
  if (!response.ok) throw new Error(`${op}: ${response.error.code}: ${response.error.message}`);
  return response.value as T;
}

async function startGateNow(): Promise<void> {
  gate = await startGate({ host: core.gateHost, httpPort: false, approvalWaitMs: 30_000, log: () => undefined });
}

beforeAll(async () => {
  requireKeychain();
  const temp = tempHome('cavra-workflow-');
  home = temp.home;
  cleanup = temp.cleanup;
  cli = await buildCliForTests();
  core = createCore({ home, shell: 'test', log: () => undefined, cavraLauncher: cli.launcher });
  const local = await core.invoke(null, { op: 'session.local', tenant: null, input: {} });
  if (!local.ok) throw new Error(local.error.message);
  evaluator = (local.value as SignedIn).principal;
  // The gate host's ledgers are the core's EvidenceLedgers; the validators read the full Ledger.
  ledger = (core.gateHost.ledgers as unknown as EvidenceLedgers).ledger(TENANT);
  const directory = new TenantDirectory(home);
  directory.setRoles(reviewer, TENANT, ['security_reviewer']);
  // Signed in through the IdP as a member of the group the packs' approval routes name.
  directory.noteLogin(reviewer.id, TENANT, ['security-reviewers', 'operators']);
  directory.close();
}, 120_000);

afterAll(async () => {
  await gate?.close();
  await core?.close();
  cli?.remove();
  cleanup?.();
});

async function waitForJob(jobId: string, onPoll?: (job: Job) => Promise<void>): Promise<Job> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const job = await call<Job>(evaluator, 'jobs.get', { jobId });
    if (job.state !== 'running') return job;
    await onPoll?.(job);
    if (Date.now() > deadline) throw new Error(`job still running: ${job.progress.phase}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the governed workflow (trial step 4)', () => {
  it('refuses to start, saying why, when no gate is running for the data directory', async () => {
    const response = await core.invoke(evaluator, { op: 'trial.workflow.run', tenant: TENANT, input: {} });
    expect(response).toMatchObject({
      ok: false,
      error: { code: 'unavailable', message: expect.stringMatching(/gate is not running.*cavra gate serve/) },
    });
  });

  it('every decision type happens through the real adapters; a reviewer answers the approval; progress names it', async () => {
    await startGateNow();
    await call(reviewer, 'mcp.trust.set', { server: TRIAL_MCP_SERVER, tools: ['read_text_file', 'list_directory'] });
    const { jobId } = await call<{ jobId: string }>(evaluator, 'trial.workflow.run', {});
    const phases = new Set<string>();
    let approved: string | null = null;
    const job = await waitForJob(jobId, async (running) => {
      phases.add(running.progress.phase);
      if (approved) return;
      const pending = (await call<{ requests: ApprovalRequestView[] }>(reviewer, 'approvals.list', {})).requests.filter(
        (r) => r.state === 'pending' && r.adapter === 'exec',
      );
      const request = pending[0];
      if (!request) return;
      // A request shows as pending a moment before its record commits; a reviewer tries again.
      const decided = await core.invoke(reviewer, {
        op: 'approvals.decide',
        tenant: TENANT,
        input: { id: request.id, verdict: 'approve', reason: 'trial: inline check' },
      });
      if (decided.ok) approved = request.id;
      else expect(decided.error.code).toBe('conflict');
    });
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    const run = job.result as WorkflowRun;
    for (const step of run.steps) expect(step.outcome, `${step.id}: ${step.detail}`).toBe('as_expected');
    expect(run.complete).toBe(true);
    expect(run.steps.map((s) => s.adapter)).toEqual(
      expect.arrayContaining(['claude-code', 'mcp-proxy', 'git', 'exec']),
    );
    expect(run.decisions).toEqual({ allow: 7, warn: 1, require_approval: 1, deny: 3 });
    expect([...phases].some((p) => p.includes(`approval ${approved}`))).toBe(true);
    // The scratch repository is gone; the evidence stays.
    expect(fs.existsSync(run.workspace)).toBe(false);

    // What the ledger holds is what the readiness validators read: real adapter traffic.
    const adapters = run.steps.flatMap((s) =>
      s.records.map((seq) => (ledger.record(seq)?.payload as { adapter: string }).adapter),
    );
    expect(new Set(adapters)).toEqual(new Set(['claude-code', 'mcp-proxy', 'git', 'exec']));
    const contained = run.steps.find((s) => s.id === 'contained-command');
    const payload = ledger.record(contained?.records[0] as number)?.payload as {
      containment?: { enforcement: string };
    };
    expect(payload.containment?.enforcement).toBe('sandbox');

    const context = {
      tenant: TENANT,
      gate: 'pilot' as const,
      scope: null,
      ledger,
      now: new Date(),
      signal: new AbortController().signal,
      windowDays: 14,
      entitlement: () => Promise.reject(new Error('not needed')),
      containment: () => Promise.reject(new Error('not needed')),
      ingestion: () => Promise.reject(new Error('not needed')),
      sso: () => Promise.reject(new Error('not needed')),
      probeIsolation: () => Promise.reject(new Error('not needed')),
    };
    for (const id of ['agent_workflows', 'runtime_enforcement']) {
      const outcome = await validators.find((v) => v.id === id)?.run(context);
      expect(outcome?.status, outcome?.message).toBe('pass');
    }
  }, 120_000);

  it('cancel stops the session while it waits for a reviewer, and removes the scratch repository', async () => {
    const { jobId } = await call<{ jobId: string }>(evaluator, 'trial.workflow.run', {});
    let workspace = '';
    let existedWhileWaiting = false;
    let requestId = '';
    const job = await waitForJob(jobId, async (running) => {
      const waiting = running.progress.awaitingApproval;
      if (waiting && !requestId) {
        requestId = waiting;
        expect(running.progress.phase).toContain(waiting);
        // The request holds the exact action, with the agent's working directory.
        const request = await call<ApprovalRequestView>(reviewer, 'approvals.get', { id: requestId });
        workspace = String(request.action.cwd);
        existedWhileWaiting = fs.existsSync(workspace);
        await call(evaluator, 'jobs.cancel', { jobId });
      }
    });
    expect(job.state).toBe('cancelled');
    expect(workspace).toMatch(/cavra-trial-workflow-/);
    expect(existedWhileWaiting).toBe(true);
    expect(fs.existsSync(path.dirname(workspace))).toBe(false);
    // Cancel withdrew the request the session waited on: it ends cancelled (recorded, by the
    // person who cancelled), not pending and not merely abandoned, and nobody can approve it now.
    const request = await call<ApprovalRequestView>(reviewer, 'approvals.get', { id: requestId });
    expect(request.state).toBe('cancelled');
    const events = ledger
      .query({ types: ['approval'], limit: 200 })
      .records.map((r) => ledger.record(r.seq)?.payload as { request_id: string; event: string; by: string })
      .filter((p) => p.request_id === requestId)
      .map((p) => ({ event: p.event, by: p.by }));
    expect(events).toContainEqual({ event: 'cancelled', by: evaluator.id });
    expect(events.map((e) => e.event)).not.toContain('abandoned');
    const late = await core.invoke(reviewer, {
      op: 'approvals.decide',
      tenant: TENANT,
      input: { id: requestId, verdict: 'approve', reason: 'too late' },
    });
    expect(late.ok).toBe(false);
    // The run's own agent credential was revoked with it.
    const { agents } = await call<{ agents: { label: string; revokedAt: string | null }[] }>(
      reviewer,
      'agents.list',
      {},
    );
    const runs = agents.filter((a) => a.label.startsWith('governed workflow'));
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const agent of runs) expect(agent.revokedAt).not.toBeNull();
  }, 120_000);
});
