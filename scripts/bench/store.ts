// Shared-store figures for `npm run bench store`: the evidence ledger on PostgreSQL 15, in a
// throwaway cluster started like the tests' (test/support/postgres-cluster.ts). Durable means
// the server's defaults: fsync on, synchronous_commit on; an append resolves after COMMIT.
import fs from 'node:fs';
import path from 'node:path';
import { SharedLedger } from '../../core/evidence';
import { createCore } from '../../core/service';
import { PostgresStore, migratePostgres, postgresMigrations } from '../../core/store';
import { createTestDatabase, postgresMissing, startPostgresCluster } from '../../test/support/postgres-cluster';
import { databaseEnv, startServerProcess } from '../../test/support/control-plane';
import type { ServerProcess } from '../../test/support/control-plane';
import { runGateLoad } from '../../test/support/gate-load';
import { tempHome } from '../../test/support/temp-home';
import { testCertificate } from '../../test/support/tls';
import { decision } from './evidence';
import { ThrowawaySecrets } from './gate';
import type { BenchSuite } from './harness';
import { latencySummary } from './harness';
import { issueSharedCredential } from '../../test/support/machine-credentials';

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
    await throughReplicas(cluster, print);
  } finally {
    for (const store of stores) await store.close();
    stop();
  }
}

const root = path.resolve(import.meta.dirname, '..', '..');

/**
 * Acceptance 3's figure: two `cavra server` processes on one database, 16 gates shipping
 * decision records over HTTPS in batches of 100 (a gate's outbox ships in batches), each batch
 * answered only after COMMIT. Durable records/s = records acknowledged / wall time.
 */
async function throughReplicas(
  cluster: Parameters<typeof createTestDatabase>[0],
  print: (line: string) => void,
): Promise<void> {
  const launcher = path.join(root, 'bin', 'cavra.cjs');
  if (!fs.existsSync(path.join(root, 'dist', 'cli', 'cavra.cjs'))) {
    print('two cavra server replicas: skipped (run "npm run build" first)');
    return;
  }
  const database = await createTestDatabase(cluster);
  const home = tempHome('cavra-bench-server-');
  const replicas: ServerProcess[] = [];
  try {
    const core = createCore({ home: home.home, shell: 'test', secrets: new ThrowawaySecrets(), log: () => undefined });
    const tenant = core.gateHost.tenants.defaultTenant() as string;
    // The replicas verify machines against the shared database (StoredAgentCredentials).
    const tokens: string[] = [];
    for (let gate = 0; gate < 16; gate += 1) {
      tokens.push((await issueSharedCredential(database, tenant, `gate-${gate}`, { uid: 1000, name: 'bench' })).token);
    }
    await core.close();
    const cert = testCertificate();
    const env = databaseEnv(database);
    const tls = { certFile: cert.certFile, keyFile: cert.keyFile };
    replicas.push(
      ...(await Promise.all([0, 1].map(() => startServerProcess({ launcher, home: home.home, env, tls })))),
    );
    const urls = replicas.map((replica) => replica.url);
    const record = (gate: number, originSeq: number) => decision(gate * 1_000_000 + originSeq);
    // Warm-up: connections, JIT, the tenant row.
    await runGateLoad({ urls: () => urls, tokens, batches: 1, batchSize: 20, ca: cert.cert, record });
    const batches = 10;
    const batchSize = 100;
    const load = await runGateLoad({
      urls: () => urls,
      tokens,
      batches,
      batchSize,
      ca: cert.cert,
      // Past the warm-up's origin sequence numbers: every record here is new.
      firstOriginSeq: 20,
      record,
    });
    print(
      `cavra server, 2 replicas over HTTPS, 16 gates × batches of ${batchSize}: ${fmt(load.records / load.seconds)} durable records/s   target ≥ 2,000/s`,
    );
    print(`  batch round trip                    ${latencySummary(load.latencies, 'ms')}`);
    const store = await PostgresStore.open({ connection: database.app, maxConnections: 2 });
    try {
      const verified = await new SharedLedger(store).verify(tenant);
      print(
        `  central ledger after the run        ${verified.ok ? `verifies: ${fmt(verified.size)} records, seq 0…${verified.size - 1} without a gap` : `DOES NOT VERIFY: ${JSON.stringify(verified)}`}`,
      );
    } finally {
      await store.close();
    }
  } finally {
    for (const replica of replicas) await replica.stop();
    await database.drop();
    home.cleanup();
  }
}

export const storeBench: BenchSuite = { name: 'store', run };
