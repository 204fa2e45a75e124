// Shared-store figures for `npm run bench store`: the evidence ledger on PostgreSQL 15, in a
// throwaway cluster started like the tests' (test/support/postgres-cluster.ts). Durable means
// the server's defaults: fsync on, synchronous_commit on; an append resolves after COMMIT.
import { SharedLedger } from '../../core/evidence';
import { PostgresStore, migratePostgres, postgresMigrations } from '../../core/store';
import { createTestDatabase, postgresMissing, startPostgresCluster } from '../../test/support/postgres-cluster';
import { decision } from './evidence';
import type { BenchSuite } from './harness';
import { latencySummary } from './harness';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function run(print: (line: string) => void): Promise<void> {
  const missing = postgresMissing();
  if (missing) {
    print(`skipped: ${missing}`);
    return;
  }
  const { cluster, stop } = await startPostgresCluster();
  const stores: PostgresStore[] = [];
  try {
    const database = await createTestDatabase(cluster);
    await migratePostgres(postgresMigrations, { owner: database.owner, appRole: database.appRole });
    const open = async () => {
      const store = await PostgresStore.open({ connection: database.app, maxConnections: 8 });
      stores.push(store);
      return store;
    };
    const first = await open();
    await first.transaction('install', async (session) => {
      for (const id of ['bench-one', 'bench']) {
        await session.run(
          `INSERT INTO tenants (id, display_name, kind, created_at, created_by) VALUES ($1, $1, 'production', 'x', 'bench')`,
          [id],
        );
      }
    });

    // One writer awaiting each append: a durable commit per record.
    const single = new SharedLedger(first);
    for (let i = 0; i < 100; i++) await single.append('bench-one', decision(i));
    const samples: number[] = [];
    const n = 1500;
    let started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const t = process.hrtime.bigint();
      await single.append('bench-one', decision(i));
      samples.push(Number(process.hrtime.bigint() - t));
    }
    let seconds = Number(process.hrtime.bigint() - started) / 1e9;
    print(`PostgreSQL ledger append, 1 writer:   ${fmt(n / seconds)} records/s`);
    print(`  latency                             ${latencySummary(samples, 'ms')}`);

    // Two replicas (own pools, own ledgers) on one database, 16 concurrent appenders between
    // them, one tenant: the advisory lock orders them, each replica group-commits its queue.
    const replicas = [new SharedLedger(await open()), new SharedLedger(await open())];
    const perWriter = 1000;
    const latencies: number[] = [];
    started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        const ledger = replicas[w % 2] as SharedLedger;
        for (let i = 0; i < perWriter; i++) {
          const t = process.hrtime.bigint();
          await ledger.append('bench', decision(w * perWriter + i));
          latencies.push(Number(process.hrtime.bigint() - t));
        }
      }),
    );
    seconds = Number(process.hrtime.bigint() - started) / 1e9;
    print(
      `PostgreSQL ledger append, 16 appenders on 2 replicas: ${fmt((16 * perWriter) / seconds)} durable records/s   target ≥ 2,000/s`,
    );
    print(`  latency                             ${latencySummary(latencies, 'ms')}`);
    started = process.hrtime.bigint();
    const verified = await single.verify('bench');
    seconds = Number(process.hrtime.bigint() - started) / 1e9;
    print(
      `  chain after the run                 ${verified.ok ? `verifies: ${fmt(verified.size)} records, seq 0…${verified.size - 1} without a gap (${fmt(verified.size / seconds)} records/s)` : `DOES NOT VERIFY: ${JSON.stringify(verified)}`}`,
    );
  } finally {
    for (const store of stores) await store.close();
    stop();
  }
}

export const storeBench: BenchSuite = { name: 'store', run };
