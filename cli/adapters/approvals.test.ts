import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateFixture } from '../../core/gate/testing';
import type { GateFixture } from '../../core/gate/testing';
import { buildCliForTests, cavra } from './testing';
import type { CliBuild } from './testing';
import { localEvaluationPrincipal } from '../../core/identity';
import { signInLocally } from '../../test/support/sign-in';
import { installApprovalPackArgs, needsApproval } from '../../test/support/approval-pack';

let cli: CliBuild;
let fx: GateFixture;
let workspace: string;

beforeAll(async () => {
  [cli, fx] = await Promise.all([buildCliForTests(), gateFixture({ approvalWaitMs: 20_000 })]);
  // The CLI approves as the labelled local evaluator (signed in through this core, as `cavra login` would).
  await signInLocally(fx.core, fx.home);
  for (const args of installApprovalPackArgs) {
    const step = await cavra(cli, fx.home, [...args]);
    if (step.code !== 0) throw new Error(`cavra ${args.join(' ')}: ${step.stderr}`);
  }
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-approvals-ws-'));
}, 60_000);
afterAll(async () => {
  await fx?.close();
  cli?.remove();
  if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
});

interface Listed {
  id: string;
  state: string;
  target: string;
  adapter: string;
  requester: string | null;
}

/** Waits for a pending request for `target`, as a reviewer would see it in `cavra approvals list`. */
async function pendingRequest(target: RegExp): Promise<Listed> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const listed = await cavra(cli, fx.home, ['approvals', 'list', '--json']);
    const found = (JSON.parse(listed.stdout || '[]') as Listed[]).find((r) => target.test(r.target));
    if (found) return found;
    if (Date.now() > deadline) throw new Error('no pending approval request appeared');
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

// The approval tests' own rule (test.needs-approval) holds it for a reviewer, inside the sandbox too.
const judged = ['exec', '--', ...needsApproval('ran after approval')];

describe('approval wait through an adapter', () => {
  it('holds `cavra exec` until an approver approves on the CLI, then runs it once', async () => {
    const running = cavra(cli, fx.home, judged, { cwd: workspace, env: { CAVRA_ACTOR: 'dev@acme.example' } });
    const request = await pendingRequest(/cavra-needs-approval .ran after approval/);
    // The requester is the OS user the gate verified on its socket, not what the agent claimed.
    expect(request).toMatchObject({ state: 'pending', adapter: 'exec', requester: `os:${os.userInfo().username}` });
    const shown = await cavra(cli, fx.home, ['approvals', 'show', request.id]);
    expect(shown.stdout).toMatch(/test\.needs-approval/);
    expect(shown.stdout).toMatch(/Exact action:/);
    const approved = await cavra(cli, fx.home, ['approvals', 'approve', request.id, '--reason', 'one-off check']);
    expect(approved.code, approved.stderr).toBe(0);
    const result = await running;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('cavra-needs-approval ran after approval\n');
    expect(result.stderr).toMatch(new RegExp(`waiting up to \\d+ s for approval ${request.id}`));

    // Allowed once: the same command again needs a new approval; this time it is denied.
    const again = cavra(cli, fx.home, judged, { cwd: workspace, env: { CAVRA_ACTOR: 'dev@acme.example' } });
    const second = await pendingRequest(/cavra-needs-approval .ran after approval/);
    expect(second.id).not.toBe(request.id);
    const noReason = await cavra(cli, fx.home, ['approvals', 'deny', second.id]);
    expect(noReason.code).toBe(1);
    expect(noReason.stderr).toMatch(/--reason is required/);
    const denied = await cavra(cli, fx.home, ['approvals', 'deny', second.id, '--reason', 'not twice']);
    expect(denied.code, denied.stderr).toBe(0);
    const refused = await again;
    expect(refused.code).toBe(126);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/Approval denied by local:evaluator: not twice/);

    const ledger = fx.core.gateHost.ledgers.ledger(fx.tenant) as unknown as {
      query(q: unknown): { records: { seq: number }[] };
      record(seq: number): { payload: Record<string, unknown> } | null;
    };
    const events = ledger
      .query({ types: ['approval'], limit: 20 })
      .records.map((r) => ledger.record(r.seq)?.payload)
      .reverse()
      .map((p) => [p?.request_id, p?.event]);
    // Every event with its principal: the reviewer's first look (`approvals show`) and the one use are records too.
    expect(events).toEqual([
      [request.id, 'requested'],
      [request.id, 'viewed'],
      [request.id, 'approved'],
      [request.id, 'consumed'],
      [second.id, 'requested'],
      [second.id, 'denied'],
    ]);
    const finals = ledger
      .query({ types: ['decision'], limit: 20 })
      .records.map(
        (r) =>
          ledger.record(r.seq)?.payload as {
            decision: { decision: string; approval?: { state: string; request_id: string } };
          },
      )
      .filter((p) => p.decision.approval?.request_id === request.id)
      .map((p) => [p.decision.decision, p.decision.approval?.state]);
    expect(finals.sort()).toEqual([
      ['allow', 'consumed'],
      ['require_approval', 'pending'],
    ]);
  }, 60_000);

  it('self-approval (issue 11): refused without a sign-in; by the local evaluator it is recorded self_approved and blocks readiness', async () => {
    // The agent claims someone else is behind it; the gate records the OS user it verified.
    const running = cavra(cli, fx.home, [...judged.slice(0, -1), 'self'], {
      cwd: workspace,
      env: { CAVRA_ACTOR: 'someone-else@acme.example' },
    });
    const request = await pendingRequest(/self/);
    expect(request.requester).toBe(`os:${os.userInfo().username}`);

    // The agent itself, through its Claude Code hook: deciding its own request or switching the
    // secrets pack off is refused before it runs, by whatever path it reaches the CLI.
    for (const command of [
      `node ${cli.launcher} approvals approve ${request.id} --reason looks-fine`,
      `cd /tmp && npx cavra approvals approve ${request.id}`,
      `node ${cli.launcher} policy unassign cavra-secrets`,
    ]) {
      const hooked = await cavra(cli, fx.home, ['hook', 'claude-code'], {
        cwd: workspace,
        input: JSON.stringify({
          session_id: 'agent-session',
          cwd: workspace,
          hook_event_name: 'PreToolUse',
          tool_name: 'Bash',
          tool_input: { command },
        }),
      });
      expect(JSON.parse(hooked.stdout).hookSpecificOutput, command).toMatchObject({
        permissionDecision: 'deny',
        permissionDecisionReason: expect.stringMatching(/guard\.cavra-state/),
      });
    }
    expect(
      await fx.core.invoke(localEvaluationPrincipal, {
        op: 'approvals.get',
        tenant: fx.tenant,
        input: { id: request.id },
      }),
    ).toMatchObject({ ok: true, value: { state: 'pending' } });

    // The same OS user with nobody signed in: the core refuses the state change.
    expect((await cavra(cli, fx.home, ['logout'])).code).toBe(0);
    const unsigned = await cavra(cli, fx.home, ['approvals', 'approve', request.id]);
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toMatch(/Sign in first/);
    const unassign = await cavra(cli, fx.home, ['policy', 'unassign', 'cavra-secrets']);
    expect(unassign.code).toBe(1);
    expect(unassign.stderr).toMatch(/Sign in first/);

    // As the labelled local evaluator it goes through, and says what it is.
    expect((await cavra(cli, fx.home, ['login', '--local-evaluation'])).code).toBe(0);
    const self = await cavra(cli, fx.home, ['approvals', 'approve', request.id, '--reason', 'evaluating', '--json']);
    expect(self.code, self.stderr).toBe(0);
    expect(JSON.parse(self.stdout)).toMatchObject({
      state: 'approved',
      selfApproved: true,
      decidedBy: 'local:evaluator',
    });
    expect((await running).code).toBe(0);
    const ledger = fx.core.gateHost.ledgers.ledger(fx.tenant) as unknown as {
      query(q: unknown): { records: { seq: number }[] };
      record(seq: number): { payload: Record<string, unknown> } | null;
    };
    const approvals = ledger
      .query({ types: ['approval'], limit: 50 })
      .records.map((r) => ledger.record(r.seq)?.payload)
      .filter((p) => p?.request_id === request.id && p?.event === 'approved');
    expect(approvals).toEqual([expect.objectContaining({ self_approved: true, by_kind: 'local_evaluation' })]);

    const status = await cavra(cli, fx.home, ['approvals', 'show', request.id]);
    expect(status.stdout).toMatch(/SELF-APPROVED/);
    const blockers = await fx.core.invoke(localEvaluationPrincipal, {
      op: 'identity.blockers',
      tenant: fx.tenant,
      input: {},
    });
    expect(blockers).toMatchObject({
      ok: true,
      value: {
        // The first test's approval was the local evaluator's too: every such approval is listed.
        blockers: expect.arrayContaining([
          expect.objectContaining({ code: 'self_approved', refs: expect.arrayContaining([request.id]) }),
        ]),
      },
    });
  }, 60_000);
});
