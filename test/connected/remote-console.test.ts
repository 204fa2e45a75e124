// Issue 12, acceptance 2, the console's half without a browser (real processes: `cavra server`
// on PostgreSQL, two machines joined with `cavra connect`, a real IdP): the console core of
// machine B, with a reviewer signed in there, serves the approval operations of the connected
// tenant from the control plane — one seam, the approvals source — so the queue it lists is
// the shared one and its verdict releases the hook waiting on machine A. The shared desk's
// request and verdict are in the central ledger.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../core/contract';
import { createCore } from '../../core/service';
import type { LocalCoreService } from '../../core/service';
import { checkAttestation } from '../../core/approvals';
import { signInOverHttp } from '../support/idp-sign-in';
import { signInToCore } from '../support/oidc-idp';
import { ControlPlaneFixture, TENANT, cluster, until } from './fixture';

describe.skipIf(cluster === null)('a console on another machine, connected to the control plane', () => {
  const plane = new ControlPlaneFixture();
  const cores: LocalCoreService[] = [];
  beforeAll(() => plane.start(), 180_000);
  afterAll(async () => {
    for (const core of cores) await core.close();
    await plane.close();
  });

  /** `user` signs in to the console core of `home` at the tenant's IdP, as the console's sign-in does. */
  async function consoleOf(home: string, user: string): Promise<{ core: LocalCoreService; principal: Principal }> {
    const core = createCore({ home, shell: 'test', log: () => undefined });
    cores.push(core);
    return { core, principal: (await signInToCore(core, TENANT, user, 'http://127.0.0.1:49155/callback')).principal };
  }

  it('lists the shared queue, approves there, and machine A’s hook is allowed; request and verdict are central', async () => {
    // Machine B's own role mappings say Olga's group may review too (a local misconfiguration, or
    // a tampered install); the control plane maps it to operator only.
    const [laptopA, laptopB] = await Promise.all([
      plane.machine('laptop-a', 90),
      plane.machine('laptop-b', 5, {
        roleMappings: [
          { group: 'platform-ops', roles: ['operator', 'security_reviewer'] },
          { group: 'secops', roles: ['security_reviewer'] },
        ],
      }),
    ]);
    const { core, principal } = await consoleOf(laptopB.home, 'rita');
    const call = async <T>(op: string, input: unknown): Promise<T> => {
      const answer = await core.invoke(principal, { op, tenant: TENANT, input });
      if (!answer.ok) throw Object.assign(new Error(answer.error.message), { code: answer.error.code });
      return answer.value as T;
    };

    const answer = laptopA.hook('npm publish');
    const pending = await until('the request in machine B’s queue, with A’s wait noted', async () => {
      const { requests } = await call<{
        requests: {
          id: string;
          target: string;
          state: string;
          waitUntil?: string | null;
          effectiveExpiresAt?: string;
          recordsIn?: string;
        }[];
      }>('approvals.list', { states: ['pending'] });
      return requests.find((request) => request.target.includes('npm publish') && request.waitUntil);
    });
    // A waits 90 s in long polls of 20 s: B is shown A's end, not the poll's.
    expect(Date.parse(pending.effectiveExpiresAt as string) - Date.now()).toBeGreaterThan(40_000);
    // Its record numbers are the central ledger's: B's console must not link them to its own records.
    expect(pending.recordsIn).toBe('central');
    // B's own desk never saw it: the list came from the control plane.
    expect(await core.gateHost.approvals.get(TENANT, pending.id)).toBeNull();
    const shown = await call<{ id: string; agentPrincipal: string | null; recordsIn?: string }>('approvals.get', {
      id: pending.id,
    });
    expect(shown.agentPrincipal).toBe(`agent:${laptopA.machineId}`);
    expect(shown.recordsIn).toBe('central');

    await call('approvals.decide', { id: pending.id, verdict: 'approve', reason: 'release 4.2 agreed' });
    const verdict = await answer;
    expect(verdict.decision).toBe('allow');
    expect(verdict.reason).toContain(pending.id);
    await until('the approval used', async () => {
      const after = await call<{ state: string }>('approvals.get', { id: pending.id });
      return after.state === 'consumed';
    });

    // The shared desk's records are in the central ledger, in order, with the reviewer's name.
    const central = await plane.centralApprovalEvents(pending.id);
    // (`viewed`: the reviewer opened the request on B's console, recorded by the server's desk.)
    expect(central.map((event) => event.event).filter((event) => event !== 'viewed')).toEqual([
      'requested',
      'approved',
      'consumed',
    ]);
    expect(central.find((event) => event.event === 'viewed')?.by).toBe(principal.id);
    expect(central.find((event) => event.event === 'approved')?.by).toBe(principal.id);

    // Each machine's enrolment is on record centrally under the id its credential has.
    const enrolled = await plane.store.read({ tenant: TENANT }, (session) =>
      session.all<{ payload: string }>(`SELECT payload FROM ledger_records WHERE type = 'config_change' ORDER BY seq`),
    );
    const machines = enrolled
      .map((row) => JSON.parse(String(row.payload)) as { change?: string; machine?: string })
      .filter((payload) => payload.change === 'machine_enrolled')
      .map((payload) => payload.machine);
    expect(machines).toEqual(expect.arrayContaining([laptopA.machineId, laptopB.machineId]));

    // The server's guard still applies: B's guard lets Olga's verdict through (its mappings make
    // her a reviewer), and the control plane, which maps her group to operator only, refuses it.
    const { core: olgaCore, principal: olga } = await consoleOf(laptopB.home, 'olga');
    const again = laptopA.hook('npm publish --tag next');
    const second = await until('the second request', async () => {
      const { requests } = await call<{ requests: { id: string; target: string }[] }>('approvals.list', {
        states: ['pending'],
      });
      return requests.find((request) => request.target.includes('--tag next'));
    });
    const refused = await olgaCore.invoke(olga, {
      op: 'approvals.decide',
      tenant: TENANT,
      input: { id: second.id, verdict: 'approve', reason: 'I am not a reviewer' },
    });
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.error.code).toBe('forbidden');
    expect(refused.error.message).toMatch(/control plane refused/);
    expect((await call<{ state: string }>('approvals.get', { id: second.id })).state).toBe('pending');
    await call('approvals.decide', { id: second.id, verdict: 'deny', reason: 'not this tag' });
    expect((await again).decision).toBe('deny');
  }, 400_000);

  it('step-up from B: an IdP-attested verdict is begun, checked and recorded by the control plane; another reviewer’s or a replayed attestation is refused', async () => {
    const [laptopA, laptopB] = await Promise.all([plane.machine('laptop-e', 120), plane.machine('laptop-f', 5)]);
    const { core, principal: sam } = await consoleOf(laptopB.home, 'sam');
    const { core: ritaCore, principal: rita } = await consoleOf(laptopB.home, 'rita');
    const as = async <T>(who: 'sam' | 'rita', op: string, input: unknown) => {
      const answer = await (who === 'sam' ? core : ritaCore).invoke(who === 'sam' ? sam : rita, {
        op,
        tenant: TENANT,
        input,
      });
      return answer as { ok: true; value: T } | { ok: false; error: { code: string; message: string } };
    };
    const value = <T>(answer: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
      if (!answer.ok) throw new Error(answer.error.message);
      return answer.value;
    };
    const redirectUri = 'http://127.0.0.1:49155/callback';

    // A high-severity rule on the operators' route: the control plane's own judgement makes it attested.
    const answer = laptopA.hook('sudo apt-get install jq');
    const pending = await until('the request in machine B’s queue', async () => {
      const { requests } = value(
        await as<{ requests: { id: string; target: string; attest?: string }[] }>('sam', 'approvals.list', {
          states: ['pending'],
        }),
      );
      return requests.find((request) => request.target.includes('apt-get install jq'));
    });
    expect(pending.attest).toBe('idp');
    // Without a step-up the server's desk refuses the verdict.
    const bare = await as('sam', 'approvals.decide', { id: pending.id, verdict: 'approve', reason: 'patch' });
    expect(bare).toMatchObject({ ok: false, error: { code: 'step_up_required' } });

    const begin = async () => {
      const view = value(
        await as<{ stepUp?: { flowId: string; authorizationUrl: string } }>('sam', 'approvals.decide', {
          id: pending.id,
          verdict: 'approve',
          reason: 'patch window',
          redirectUri,
        }),
      );
      expect(view.stepUp?.authorizationUrl.startsWith(plane.idp.issuer)).toBe(true);
      return view.stepUp as { flowId: string; authorizationUrl: string };
    };

    // Another person completes Sam's step-up sign-in at the IdP: the server refuses the verdict.
    const first = await begin();
    const ritaAtIdp = await signInOverHttp(first.authorizationUrl, 'rita');
    const impostor = await as('sam', 'approvals.attest', { flowId: first.flowId, callbackUrl: ritaAtIdp });
    expect(impostor).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect((impostor as { error: { message: string } }).error.message).toMatch(/not the signed-in reviewer/);

    // Sam's own fresh sign-in, presented by another reviewer: not hers to complete.
    const second = await begin();
    const samAtIdp = await signInOverHttp(second.authorizationUrl, 'sam');
    const stolen = await as('rita', 'approvals.attest', { flowId: second.flowId, callbackUrl: samAtIdp });
    expect(stolen).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });
    expect((await as<{ state: string }>('sam', 'approvals.get', { id: pending.id })) as unknown).toMatchObject({
      ok: true,
      value: { state: 'pending' },
    });

    // Sam completes it: the control plane's desk records the attested verdict and A is allowed.
    const attested = value(
      await as<{ state: string }>('sam', 'approvals.attest', { flowId: second.flowId, callbackUrl: samAtIdp }),
    );
    expect(attested.state).toBe('approved');
    expect((await answer).decision).toBe('allow');

    // Replayed: the same redirect again is refused, and nothing more is recorded.
    const replay = await as('sam', 'approvals.attest', { flowId: second.flowId, callbackUrl: samAtIdp });
    expect(replay).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });

    const central = await plane.centralApprovalEvents(pending.id);
    expect(central.filter((event) => event.event === 'approved')).toHaveLength(1);
    // The verdict's record carries the IdP's proof, and it checks offline: Sam, this request, this verdict.
    const rows = await plane.store.read({ tenant: TENANT }, (session) =>
      session.all<{ payload: string }>(`SELECT payload FROM ledger_records WHERE type = 'approval' ORDER BY seq`),
    );
    const approved = rows
      .map((row) => JSON.parse(String(row.payload)) as Record<string, unknown>)
      .find((payload) => payload.request_id === pending.id && payload.event === 'approved');
    expect(approved?.by).toBe(sam.id);
    const check = checkAttestation({
      request_id: approved?.request_id,
      action_sha256: approved?.action_sha256,
      event: approved?.event,
      attestation: approved?.attestation,
    });
    expect(check.problems).toEqual([]);
    expect(check.subject).toBe(sam.id.split(':').at(-1));
  }, 400_000);

  it('B’s console hears the shared queue live: the control plane’s events reach its event bus, down to the use on machine A', async () => {
    const [laptopA, laptopB] = await Promise.all([plane.machine('laptop-c', 90), plane.machine('laptop-d', 5)]);
    const { core, principal } = await consoleOf(laptopB.home, 'rita');
    const heard: { id: string; state: string }[] = [];
    const stop = core.subscribe(principal, (event) => {
      if (event.event === 'approvals.changed') heard.push(event.payload as { id: string; state: string });
    });
    try {
      const call = async <T>(op: string, input: unknown): Promise<T> => {
        const answer = await core.invoke(principal, { op, tenant: TENANT, input });
        if (!answer.ok) throw new Error(answer.error.message);
        return answer.value as T;
      };
      const answer = laptopA.hook('npm publish --tag live');
      const pending = await until('the request in machine B’s queue', async () => {
        const { requests } = await call<{ requests: { id: string; target: string }[] }>('approvals.list', {
          states: ['pending'],
        });
        return requests.find((request) => request.target.includes('--tag live'));
      });
      await call('approvals.decide', { id: pending.id, verdict: 'approve', reason: 'live' });
      expect((await answer).decision).toBe('allow');
      // Only the control plane knows the approval was used (on machine A): B hears it from there.
      await until('the use, heard on B', () =>
        heard.some((event) => event.id === pending.id && event.state === 'consumed'),
      );
    } finally {
      stop();
    }
  }, 300_000);
});
