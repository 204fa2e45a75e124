// Per-file databases in the test run's PostgreSQL cluster (test/postgres-setup.ts).
import crypto from 'node:crypto';
import pg from 'pg';
import type { PoolConfig } from 'pg';
import { inject } from 'vitest';
import type { PostgresCluster } from './postgres-cluster';
import { connection } from './postgres-cluster';

/** The cluster, or null with the reason printed once (outside CI only: CI fails instead). */
export function testCluster(): PostgresCluster | null {
  const provided = inject('postgres');
  if ('cluster' in provided) return provided.cluster;
  console.warn(`PostgreSQL tests skipped: ${provided.missing}`);
  return null;
}

export interface TestDatabase {
  name: string;
  /** The owner's connection: migrations, and raw SQL a test runs around the store. */
  owner: PoolConfig;
  /** The application role's connection: what PostgresStore uses. */
  app: PoolConfig;
  appRole: string;
  drop: () => Promise<void>;
}

export async function createTestDatabase(cluster: PostgresCluster): Promise<TestDatabase> {
  const name = `cavra_test_${crypto.randomBytes(6).toString('hex')}`;
  const ownerAt = (database: string) => ({ ...connection(cluster, database), ...cluster.owner });
  const admin = new pg.Client(ownerAt('postgres'));
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} OWNER ${cluster.owner.user}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    owner: ownerAt(name),
    app: { ...connection(cluster, name), ...cluster.app },
    appRole: cluster.app.user,
    drop: async () => {
      const client = new pg.Client(ownerAt('postgres'));
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
