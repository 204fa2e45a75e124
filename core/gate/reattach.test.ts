import net from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATE_PROTOCOL_VERSION, askGate, gateLocation, readGateToken } from './client';
import type { GateAnswer } from './client';
import { startGate } from './gate';
import type { RunningGate } from './gate';
import { gateFixture } from './testing';
import type { GateFixture } from './testing';
import type { ApprovalRequest } from '../approvals';
import type { Decider } from '../approvals';

// Issue 13, acceptance 4, at the protocol level (the real-process walk is
// cli/adapters/gate-restart.test.ts): a waiting adapter whose gate goes away re-attaches to the
// restarted gate on the same request, and nobody else's adapter can.
const WAIT_MS = 20_000;
let fx: GateFixture;
let gate: RunningGate | null = null;
beforeAll(async () => {
  fx = await gateFixture({ approvalWaitMs: WAIT_MS });
}, 30_000);
afterAll(async () => {
  await gate?.close();
  await fx?.close();
});

const evaluator: Decider = { id: 'local:evaluator', kind: 'local_evaluation', uid: os.userInfo().uid };

/** `node -e` asks for an approval (rce.inline-interpreter, reason required). */
const inline = (code: string) => ({
  type: 'execute_command',
  command: `node -e "${code}"`,
  cwd: '/tmp/ws',
  agent: { id: 'tester', session: 's-reattach' },
});

async function pendingFor(command: RegExp): Promise<ApprovalRequest> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = (await fx.core.gateHost.approvals.list(fx.tenant, { states: ['pending'] })).find((request) =>
      command.test(request.target),
    );
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no pending request for ${command}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function restartGate(): Promise<void> {
  await (gate ?? fx.gate).close();
  gate = await startGate({ host: fx.core.gateHost, httpPort: false, approvalWaitMs: WAIT_MS, log: () => undefined });
}

/** One raw request line with the given token; resolves with the final answer line. */
function rawAsk(token: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(gateLocation(fx.home).socket);
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (const line of buffer.split('\n').slice(0, -1)) {
        const message = JSON.parse(line) as Record<string, unknown>;
        if (message.type === 'answer') {
          socket.destroy();
          resolve(message);
        }
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
    });
    socket.on('error', reject);
    socket.write(`${JSON.stringify({ v: GATE_PROTOCOL_VERSION, id: 'r-1', token, ...body })}\n`);
  });
}

function approvalEvents(id: string): string[] {
  const ledger = fx.core.gateHost.ledgers.ledger(fx.tenant) as unknown as {
    query(q: unknown): { records: { seq: number }[] };
    record(seq: number): { payload: { request_id: string; event: string } } | null;
  };
  return ledger
    .query({ types: ['approval'], limit: 500 })
    .records.map((r) => ledger.record(r.seq)?.payload)
    .filter((p) => p?.request_id === id)
    .reverse()
    .map((p) => p?.event as string);
}

describe('a waiting adapter across a gate restart (issue 13, acceptance 4)', () => {
  it('re-attaches to the same request and is allowed only once its recorded approval is consumed', async () => {
    const action = inline('console.log(1)');
    const pendings: string[] = [];
    const answer = askGate(
      { op: 'decide', adapter: 'exec', action },
      { home: fx.home, onPending: ({ requestId }) => pendings.push(requestId) },
    );
    const request = await pendingFor(/console\.log\(1\)/);
    await restartGate();
    // A gate that stops leaves the request pending for the adapter to come back to.
    expect((await fx.core.gateHost.approvals.get(fx.tenant, request.id))?.state).toBe('pending');
    // The adapter re-attached: the restarted gate announced the same request again.
    const deadline = Date.now() + 10_000;
    while (pendings.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pendings).toEqual([request.id, request.id]);
    await fx.core.gateHost.approvals.decide(fx.tenant, request.id, {
      verdict: 'approve',
      decider: evaluator,
      reason: 'checked the one-liner',
    });
    const final: GateAnswer = await answer;
    expect(final).toMatchObject({ outcome: 'allow', failed: false });
    expect(final.reason).toMatch(new RegExp(`Approved by local:evaluator.*${request.id}`));
    expect(approvalEvents(request.id)).toEqual(['requested', 'approved', 'consumed']);
  }, 60_000);

  it('refuses to resume somebody else’s request, another action’s, an unknown one and a used one', async () => {
    const action = inline('console.log(2)');
    const waiting = askGate({ op: 'decide', adapter: 'exec', action }, { home: fx.home });
    const request = await pendingFor(/console\.log\(2\)/);
    const mine = readGateToken(gateLocation(fx.home));
    const other = fx.core.gateHost.agents.issue(
      fx.tenant,
      'another agent',
      { uid: os.userInfo().uid, name: os.userInfo().username },
      'test',
    ).token;
    const resume = { request_id: request.id, wait_ms: 5_000 };
    const attempts: [string, Record<string, unknown>, RegExp][] = [
      [other, { op: 'decide', adapter: 'exec', action, resume }, /was not raised by this adapter's credential/],
      [mine, { op: 'decide', adapter: 'exec', action: inline('process.exit(0)'), resume }, /bound to another action/],
      [
        mine,
        {
          op: 'decide',
          adapter: 'exec',
          action,
          resume: { ...resume, request_id: 'apr_00000000-0000-0000-0000-000000000000' },
        },
        /does not exist/,
      ],
      [mine, { op: 'decide', adapter: 'exec', action, resume: { ...resume, wait_ms: -1 } }, /resume\.wait_ms/],
      [mine, { op: 'decide', adapter: 'exec', action, resume: { ...resume, request_id: 'x' } }, /resume\.request_id/],
    ];
    for (const [token, body, why] of attempts) {
      const answer = await rawAsk(token, body);
      expect(answer.outcome, String(answer.reason)).toBe('deny');
      expect(answer.reason).toMatch(why);
    }
    // None of them touched the request: still pending, nothing approved or used.
    expect(await fx.core.gateHost.approvals.get(fx.tenant, request.id)).toMatchObject({ state: 'pending', votes: [] });

    await fx.core.gateHost.approvals.decide(fx.tenant, request.id, {
      verdict: 'approve',
      decider: evaluator,
      reason: 'fine once',
    });
    expect(await waiting).toMatchObject({ outcome: 'allow' });
    // The approval was used once: resuming it again (a replayed re-attach) is a deny, never a second allow.
    const replay = await rawAsk(mine, { op: 'decide', adapter: 'exec', action, resume });
    expect(replay.outcome).toBe('deny');
    expect(replay.reason).toMatch(/already used|consumed/);
    expect(approvalEvents(request.id)).toEqual(['requested', 'approved', 'consumed']);
  }, 60_000);

  it('an approval given while no gate ran is used by the re-attaching adapter, once', async () => {
    const action = inline('console.log(3)');
    const answer = askGate({ op: 'decide', adapter: 'exec', action }, { home: fx.home });
    const request = await pendingFor(/console\.log\(3\)/);
    await (gate ?? fx.gate).close();
    // Decided by a reviewer while the gate is down (the CLI or the console work on the database).
    await fx.core.gateHost.approvals.decide(fx.tenant, request.id, {
      verdict: 'approve',
      decider: evaluator,
      reason: 'approved while the gate was down',
    });
    gate = await startGate({ host: fx.core.gateHost, httpPort: false, approvalWaitMs: WAIT_MS, log: () => undefined });
    expect(await answer).toMatchObject({ outcome: 'allow', failed: false });
    expect(approvalEvents(request.id)).toEqual(['requested', 'approved', 'consumed']);
  }, 60_000);
});
