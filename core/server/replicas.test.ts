// Issue 12, acceptance 3: two real `cavra server` processes on one PostgreSQL database, 16
// concurrent gates appending over HTTPS, one replica SIGKILLed mid-load. Every acknowledged
// record is in the central ledger exactly once at the sequence number it was acknowledged with;
// the sequence is contiguous and the chain verifies; every record every gate sent is there once
// (the gates retried on the surviving replica and nothing was duplicated).
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../service';
import { PostgresStore } from '../store';
import { testCertificate } from '../../test/support/tls';
import { createTestDatabase, testCluster } from '../../test/support/postgres';
import type { TestDatabase } from '../../test/support/postgres';
import { tempHome } from '../../test/support/temp-home';
import { databaseEnv, startServerProcess } from '../../test/support/control-plane';
import type { ServerProcess } from '../../test/support/control-plane';
import { runGateLoad } from '../../test/support/gate-load';
import { CentralLedger } from './index';
import { issueSharedCredential } from '../../test/support/machine-credentials';

const launcher = path.resolve(import.meta.dirname, '..', '..', 'bin', 'cavra.cjs');
const cluster = testCluster();
const GATES = 16;
const BATCHES = 12;
const BATCH_SIZE = 25;

describe.skipIf(cluster === null)('two cavra server replicas on one database (acceptance 3)', () => {
  let database: TestDatabase;
  let home: { home: string; cleanup: () => void };
  const replicas: ServerProcess[] = [];
  const tokens: string[] = [];
  let tenant: string;
  const cert = testCertificate();

  beforeAll(async () => {
    database = await createTestDatabase(cluster!);
    home = tempHome('cavra-replicas-');
    const core = createCore({ home: home.home, shell: 'test', log: () => undefined });
    tenant = core.gateHost.tenants.defaultTenant() as string;
    for (let gate = 0; gate < GATES; gate++) {
      tokens.push(
        (await issueSharedCredential(database, tenant, `gate-${gate}`, { uid: 1000 + gate, name: `dev${gate}` })).token,
      );
    }
    await core.close();
    // Both start together: the advisory lock lets exactly one apply each migration.
    const env = databaseEnv(database);
    const tls = { certFile: cert.certFile, keyFile: cert.keyFile };
    replicas.push(
      ...(await Promise.all([0, 1].map(() => startServerProcess({ launcher, home: home.home, env, tls })))),
    );
  }, 180_000);

  afterAll(async () => {
    for (const replica of replicas) await replica.stop();
    await database?.drop();
    home?.cleanup();
  });

  it('SIGKILL of one replica mid-load loses nothing acknowledged; no record lost, duplicated or reordered', async () => {
    const [victim, survivor] = replicas as [ServerProcess, ServerProcess];
    let killed = false;
    const load = await runGateLoad({
      urls: () => (killed ? [survivor.url] : [victim.url, survivor.url]),
      tokens,
      batches: BATCHES,
      batchSize: BATCH_SIZE,
      ca: cert.cert,
      onAck: (acks) => {
        // A third of the way in, with batches in flight on both replicas.
        if (!killed && acks >= (GATES * BATCHES) / 3) {
          victim.proc.kill('SIGKILL');
          // Gates keep trying the dead replica until they notice (connection refused), as behind a balancer.
          setTimeout(() => (killed = true), 200);
        }
      },
    });
    expect(victim.proc.signalCode ?? (await new Promise((r) => victim.proc.once('exit', (_c, s) => r(s))))).toBe(
      'SIGKILL',
    );
    const total = GATES * BATCHES * BATCH_SIZE;
    expect(load.records).toBe(total);
    // The kill hit gates mid-load: some batches failed on the victim and were sent again.
    expect(load.retries).toBeGreaterThan(0);

    const owner = new pg.Client(database.owner);
    await owner.connect();
    try {
      // Row-level security is forced on the owner too: look as the tenant.
      await owner.query(`SELECT set_config('cavra.tenant', $1, false)`, [tenant]);
      const rows = await owner.query<{ origin: string; origin_seq: string; seq: string }>(
        `SELECT o.origin, o.origin_seq, o.seq FROM ledger_origins o WHERE o.tenant_id = $1`,
        [tenant],
      );
      const records = await owner.query<{ n: string; low: string; high: string }>(
        `SELECT count(*) AS n, min(seq) AS low, max(seq) AS high FROM ledger_records WHERE tenant_id = $1`,
        [tenant],
      );
      // Exactly once: as many records as were sent, sequence 0…n−1 without a gap.
      expect(records.rows[0]).toEqual({ n: String(total), low: '0', high: String(total - 1) });
      expect(rows.rowCount).toBe(total);
      // Every acknowledged record is where its receipt said, under its gate's origin.
      const stored = new Map(rows.rows.map((row) => [`${row.origin}#${row.origin_seq}`, Number(row.seq)]));
      const origins = [...new Set(rows.rows.map((row) => row.origin))];
      expect(origins).toHaveLength(GATES);
      let acknowledged = 0;
      load.acknowledged.forEach((receipts, gate) => {
        const origin = origins.find((o) =>
          rows.rows.some((row) => row.origin === o && stored.get(`${o}#0`) === receipts.get(0)),
        );
        expect(origin, `gate ${gate}`).toBeDefined();
        expect(receipts.size).toBe(BATCHES * BATCH_SIZE);
        for (const [originSeq, seq] of receipts) {
          expect(stored.get(`${origin}#${originSeq}`)).toBe(seq);
          acknowledged += 1;
        }
        // Within a gate, its records keep its order.
        const seqs = [...receipts.entries()].sort((a, b) => a[0] - b[0]).map(([, seq]) => seq);
        const inversions = seqs.flatMap((seq, i) =>
          i > 0 && seq < (seqs[i - 1] as number) ? [`${i}: ${seqs[i - 1]}→${seq}`] : [],
        );
        expect(inversions, `gate ${gate}`).toEqual([]);
      });
      expect(acknowledged).toBe(total);
    } finally {
      await owner.end();
    }
    // The chain: every header rebuilt and hashed, every prev linked, every payload digest matching.
    const store = await PostgresStore.open({ connection: database.app, maxConnections: 2 });
    try {
      expect(await new CentralLedger(store).verify(tenant)).toEqual({ ok: true, size: total });
    } finally {
      await store.close();
    }
    // The survivor is still healthy and ready.
    expect(survivor.proc.exitCode).toBeNull();
  }, 300_000);
});
