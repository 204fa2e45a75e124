// Issue 12, connected mode, approvals through the control plane (real processes): a gate on one
// machine raises an approval in the shared queue through a Claude Code hook; a reviewer at
// another desk decides it over the server's contract route with her IdP bearer token; the
// waiting hook gets allow, the answer is on record on the machine and in the central ledger,
// and the approval allows one action once — another machine can neither use nor decide it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MACHINE_PATHS, TENANT_HEADER } from '../../core/connect';
import { createCore } from '../../core/service';
import { call } from '../support/control-plane';
import { ControlPlaneFixture, TENANT, cert, cluster, until } from './fixture';

describe.skipIf(cluster === null)('approvals through the control plane', () => {
  const plane = new ControlPlaneFixture();
  beforeAll(() => plane.start(), 180_000);
  afterAll(() => plane.close());

  /** A machine's own client, with its credential from its keychain. */
  async function machineCall(home: string, path: string, body: unknown) {
    const core = createCore({ home, shell: 'test', log: () => undefined });
    try {
      const client = core.controlPlane.remote(TENANT);
      if (!client) throw new Error('not connected');
      return await client.call('POST', path, body).then(
        (value) => ({ ok: true as const, value }),
        (error: Error & { code?: string }) => ({ ok: false as const, code: error.code, message: error.message }),
      );
    } finally {
      await core.close();
    }
  }

  it('a reviewer on another desk approves; the waiting hook gets allow; the approval is used once', async () => {
    const [laptopA, laptopB] = await Promise.all([plane.machine('laptop-a', 90), plane.machine('laptop-b')]);
    const rita = await plane.bearerOf('rita');
    const invoke = (bearer: string, op: string, input: unknown) =>
      call(`${plane.url}/v1/invoke`, {
        ca: cert.cert,
        headers: { authorization: `Bearer ${bearer}`, [TENANT_HEADER]: TENANT },
        body: { op, tenant: TENANT, input },
      });

    const answer = laptopA.hook('npm publish');
    const pending = await until('the request in the shared queue', async () => {
      const listed = await invoke(rita, 'approvals.list', { states: ['pending'] });
      expect(listed.status, listed.text).toBe(200);
      const requests = (
        listed.body as {
          value: {
            requests: {
              id: string;
              target: string;
              actionSha256: string;
              packId: string | null;
              packVersion: string | null;
            }[];
          };
        }
      ).value.requests;
      return requests.find((request) => request.target.includes('npm publish'));
    });

    const binding = {
      tenant: TENANT,
      actionSha256: pending.actionSha256,
      packId: pending.packId,
      packVersion: pending.packVersion,
    };
    // Another machine cannot use it, and no machine can decide anything.
    const stolen = await machineCall(laptopB.home, MACHINE_PATHS.approvalConsume, {
      binding,
      correlationId: 'cor_theft',
      requestId: pending.id,
    });
    expect(stolen).toMatchObject({ ok: false, code: 'not_found' });
    const machineDecides = await machineCall(laptopB.home, '/v1/invoke', {
      op: 'approvals.decide',
      tenant: TENANT,
      input: { id: pending.id, verdict: 'approve' },
    });
    expect(machineDecides.ok).toBe(false);

    const decided = await invoke(rita, 'approvals.decide', {
      id: pending.id,
      verdict: 'approve',
      reason: 'release 4.2',
    });
    expect(decided.status, decided.text).toBe(200);
    const verdict = await answer;
    expect(verdict.decision).toBe('allow');
    expect(verdict.reason).toMatch(/allow after approval/);
    expect(verdict.reason).toContain(pending.id);

    // On record on the machine: the pending decision and the allow after approval, naming the request.
    const decisions = laptopA
      .records()
      .filter((record) => record.type === 'decision')
      .map(
        (record) =>
          JSON.parse(record.payload) as {
            decision: { decision: string; approval?: { state: string; request_id?: string } };
          },
      )
      .filter((payload) => payload.decision.approval?.request_id === pending.id);
    expect(decisions.map((payload) => [payload.decision.decision, payload.decision.approval?.state])).toEqual([
      ['require_approval', 'pending'],
      ['allow', 'consumed'],
    ]);

    // Used once: the same request cannot allow a second action, on this machine or any other.
    const again = await machineCall(laptopA.home, MACHINE_PATHS.approvalConsume, {
      binding,
      correlationId: 'cor_again',
      requestId: pending.id,
    });
    expect(again).toMatchObject({ ok: true, value: { request: null } });
    const shown = await invoke(rita, 'approvals.get', { id: pending.id });
    expect(shown.body).toMatchObject({ ok: true, value: { state: 'consumed' } });

    // Both decision records reach the central ledger, under laptop A's name.
    const seqs = laptopA
      .records()
      .filter((record) => record.type === 'decision')
      .map((record) => record.seq);
    await until('both decisions in the central ledger', async () => {
      const shipped = new Set(
        (await plane.centralOrigins())
          .filter((row) => row.origin === `agent:${laptopA.machineId}`)
          .map((row) => row.origin_seq),
      );
      return seqs.every((seq) => shipped.has(seq));
    });
  }, 400_000);
});
