// Issue 12, acceptance 5, with real processes: a gate (`cavra gate serve`) connected to a control
// plane (`cavra server` on a real PostgreSQL 15) through a TLS-terminating load balancer. The
// server is stopped: the gate keeps deciding from its own packs, queues its evidence, and denies
// what needs approval, on record. The server returns: the queue is delivered. Once, the server
// is killed after it committed a batch and before its acknowledgement left (the balancer kills
// it when the answer arrives and drops the answer): the retried batch stores nothing twice.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharedLedger } from '../../core/evidence';
import { ControlPlaneFixture, TENANT, cluster, until } from './fixture';

describe.skipIf(cluster === null)('a gate cut off from its control plane (issue 12, acceptance 5)', () => {
  const plane = new ControlPlaneFixture();
  beforeAll(() => plane.start(), 180_000);
  afterAll(() => plane.close());

  it('keeps deciding offline, denies what needs approval on record, and delivers its queue once', async () => {
    // Olga joins the machine with her sign-in; the credential goes to the keychain, the CA is pinned.
    const laptop = await plane.machine('laptop-a');
    expect(laptop.machineId).toMatch(/^agt[0-9a-f]{16}$/);
    // The credential is nowhere on disk: not in the connection file, not in any database of the machine.
    const token = new RegExp(`${laptop.machineId}_[A-Za-z0-9_-]{43}`);
    for (const file of fs.readdirSync(laptop.home, { recursive: true }) as string[]) {
      const full = path.join(laptop.home, file);
      if (fs.statSync(full).isFile()) expect(fs.readFileSync(full).toString('latin1'), file).not.toMatch(token);
    }

    // Connected: an allowed action is decided and its record reaches the central ledger.
    expect((await laptop.hook('npm test')).decision).toBe('allow');
    await until('the first decision to reach the central ledger', async () =>
      (await plane.centralOrigins()).some((row) => row.type === 'decision'),
    );

    // The control plane goes away (graceful stop; the balancer answers 502 meanwhile).
    await plane.stopServer('SIGTERM');
    expect((await laptop.hook('npm test')).decision).toBe('allow');
    expect((await laptop.hook('rm -rf /')).decision).toBe('deny');
    const started = Date.now();
    const needsApproval = await laptop.hook('npm publish');
    expect(needsApproval.decision).toBe('deny');
    expect(needsApproval.reason).toMatch(
      /approval request could not be raised \(The control plane at .* (cannot be reached|is unavailable)/,
    );
    // Denied at once, not after the approval wait: nobody could have answered.
    expect(Date.now() - started).toBeLessThan(5_000);
    const offlineDeny = laptop
      .records()
      .filter((record) => record.type === 'decision')
      .map(
        (record) =>
          JSON.parse(record.payload) as {
            decision: { decision: string; would_be: string; explanation: { summary: string } };
          },
      )
      .find((payload) => payload.decision.would_be === 'require_approval' && payload.decision.decision === 'deny');
    expect(offlineDeny?.decision.explanation.summary).toMatch(/could not be raised/);
    // Queued, not lost: the outbox keeps trying and says why it could not deliver.
    await until('a failed shipping attempt', () => laptop.shippingAttempts().some((line) => line.startsWith('failed')));

    // The server returns; the first batch it commits, it is killed before the acknowledgement leaves.
    plane.balancer.killOnAck = () => void plane.stopServer('SIGKILL');
    await plane.startServer();
    await until('the balancer to kill the server after a commit', () => plane.balancer.killedAfterCommit === 1, 90_000);
    await plane.serverGone();
    await plane.startServer();
    // One more real record, so the tail of shipping records travels too.
    expect((await laptop.hook('npm test')).decision).toBe('allow');
    const shippable = laptop.records().filter((record) => record.type !== 'checkpoint');
    const last = shippable.filter((record) => record.type === 'decision').at(-1)!.seq;
    const expected = shippable.filter((record) => record.seq <= last);
    const central = await until(
      'every local record up to the last decision at the central ledger',
      async () => {
        const rows = await plane.centralOrigins();
        const seen = new Set(rows.map((row) => row.origin_seq));
        return expected.every((record) => seen.has(record.seq)) ? rows : null;
      },
      120_000,
    );
    // Exactly once, with the same content, under this machine's name.
    expect(new Set(central.map((row) => row.origin))).toEqual(new Set([`agent:${laptop.machineId}`]));
    const byOrigin = new Map<number, number>();
    for (const row of central) byOrigin.set(row.origin_seq, (byOrigin.get(row.origin_seq) ?? 0) + 1);
    expect([...byOrigin.values()].every((count) => count === 1)).toBe(true);
    for (const record of expected) {
      const row = central.find((candidate) => candidate.origin_seq === record.seq);
      expect(row, `local record ${record.seq}`).toMatchObject({ type: record.type, digest: record.digest });
    }
    const centralDecisions = await plane.store.read({ tenant: TENANT }, (session) =>
      session.get<{ n: number }>(`SELECT count(*)::int AS n FROM ledger_records WHERE type = 'decision'`),
    );
    expect(Number(centralDecisions?.n)).toBe(central.filter((row) => row.type === 'decision').length);
    // The batch whose acknowledgement was lost was sent again and found already stored.
    expect(laptop.shippingAttempts().some((line) => /already there/.test(line))).toBe(true);
    // And the central chain verifies from record 0.
    expect(await new SharedLedger(plane.store).verify(TENANT)).toMatchObject({ ok: true });
  }, 400_000);
});
