// Central ledger ingest (issue 12): a gate's batch is stored once whatever is retried, where
// and how often; a record under an existing key with other content is refused; machines cannot
// collide with each other's origins; malformed batches are refused naming the field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../service';
import { PostgresStore } from '../store';
import { createTestDatabase, testCluster } from '../../test/support/postgres';
import type { TestDatabase } from '../../test/support/postgres';
import { tempHome } from '../../test/support/temp-home';
import { call, databaseEnv, testEvidenceKey } from '../../test/support/control-plane';
import { configRecord } from '../../test/support/gate-load';
import { CentralLedger, LEDGER_BATCH_PATH, databaseConfig, startControlPlane } from './index';
import type { ControlPlane } from './index';
import { issueSharedCredential } from '../../test/support/machine-credentials';

const cluster = testCluster();

describe.skipIf(cluster === null)('central ledger ingest', () => {
  let database: TestDatabase;
  let home: { home: string; cleanup: () => void };
  const planes: ControlPlane[] = [];
  let gateA: string;
  let gateB: string;
  let tenant: string;
  let store: PostgresStore;

  beforeAll(async () => {
    database = await createTestDatabase(cluster!);
    home = tempHome('cavra-ingest-');
    const core = createCore({ home: home.home, shell: 'test', log: () => undefined });
    tenant = core.gateHost.tenants.defaultTenant() as string;
    gateA = (await issueSharedCredential(database, tenant, 'a', { uid: 1000, name: 'a' })).token;
    gateB = (await issueSharedCredential(database, tenant, 'b', { uid: 1001, name: 'b' })).token;
    await core.close();
    for (const withOwner of [true, false]) {
      planes.push(
        await startControlPlane({
          signingKey: testEvidenceKey,
          home: home.home,
          database: databaseConfig(databaseEnv(database, withOwner)),
          tls: 'insecure-loopback',
          log: () => undefined,
        }),
      );
    }
    store = await PostgresStore.open({ connection: database.app, maxConnections: 2 });
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    for (const plane of planes) await plane.close();
    await database?.drop();
    home?.cleanup();
  });

  const ship = (plane: ControlPlane, token: string, records: unknown[]) =>
    call(`${plane.url}${LEDGER_BATCH_PATH}`, { headers: { authorization: `Bearer ${token}` }, body: { records } });
  const batch = (from: number, count: number, gate = 0) =>
    Array.from({ length: count }, (_, i) => ({ originSeq: from + i, ...configRecord(gate, from + i) }));
  const size = async () => {
    const verified = await new CentralLedger(store).verify(tenant);
    expect(verified.ok).toBe(true);
    return verified.size;
  };

  it('a retried batch — whole, overlapping, or racing on two replicas — is stored once, with its first receipts', async () => {
    const [one, two] = planes as [ControlPlane, ControlPlane];
    const first = await ship(one, gateA, batch(0, 10));
    expect(first.status).toBe(200);
    const receipts = (first.body as { value: { receipts: { originSeq: number; seq: number; duplicate: boolean }[] } })
      .value.receipts;
    expect(receipts.map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(await size()).toBe(10);

    const again = await ship(two, gateA, batch(0, 10));
    expect(again.body).toEqual({
      ok: true,
      value: { receipts: receipts.map((r) => ({ ...r, duplicate: true })) },
    });
    expect(await size()).toBe(10);

    // Half stored, half new: only the new half is appended.
    const overlap = await ship(one, gateA, batch(5, 10));
    const overlapReceipts = (overlap.body as { value: { receipts: { seq: number; duplicate: boolean }[] } }).value
      .receipts;
    expect(overlapReceipts.map((r) => r.duplicate)).toEqual([...Array(5).fill(true), ...Array(5).fill(false)]);
    expect(overlapReceipts.slice(5).map((r) => r.seq)).toEqual([10, 11, 12, 13, 14]);
    expect(await size()).toBe(15);

    // The same new batch sent to both replicas at once, several times: one copy.
    const racing = await Promise.all([one, two, one, two].map((plane) => ship(plane, gateA, batch(15, 20))));
    expect(racing.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    const seqsOf = (answer: (typeof racing)[number]) =>
      (answer.body as { value: { receipts: { seq: number }[] } }).value.receipts.map((r) => r.seq);
    for (const answer of racing) expect(seqsOf(answer)).toEqual(seqsOf(racing[0] as (typeof racing)[number]));
    expect(await size()).toBe(35);
  });

  it('another machine’s records with the same origin sequence numbers are its own; a changed record under a stored key is refused', async () => {
    const [one] = planes as [ControlPlane];
    const other = await ship(one, gateB, batch(0, 3, 1));
    expect(
      (other.body as { value: { receipts: { duplicate: boolean }[] } }).value.receipts.map((r) => r.duplicate),
    ).toEqual([false, false, false]);
    const before = await size();
    const changed = await ship(one, gateA, [{ originSeq: 2, ...configRecord(9, 999) }]);
    expect(changed).toMatchObject({ status: 400, body: { ok: false, error: { code: 'invalid_input' } } });
    expect((changed.body as { error: { message: string } }).error.message).toMatch(/already stored with other content/);
    expect(await size()).toBe(before);
  });

  it.each([
    ['no records', { records: [] }, /records/],
    ['too many records', { records: batch(0, 1001) }, /records/],
    ['a negative origin sequence', { records: [{ originSeq: -1, ...configRecord(0, 0) }] }, /originSeq/],
    ['an unknown field', { records: batch(0, 1), origin: 'someone-else' }, /origin/],
    [
      'a record type gates may not append',
      { records: [{ originSeq: 900, type: 'checkpoint', payload: {} }] },
      /checkpoint/,
    ],
    [
      'a payload its type refuses',
      { records: [{ originSeq: 901, type: 'config_change', payload: { nope: 1 } }] },
      /payload/,
    ],
  ])('refuses a batch with %s (400, naming the field), storing nothing', async (_case, body, message) => {
    const before = await size();
    const answer = await call(`${(planes[0] as ControlPlane).url}${LEDGER_BATCH_PATH}`, {
      headers: { authorization: `Bearer ${gateA}` },
      body,
    });
    expect(answer.status).toBe(400);
    expect((answer.body as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(message),
    });
    expect(await size()).toBe(before);
  });
});
