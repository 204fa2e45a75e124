// Machine credentials on the store port (issue 12): a credential issued through one replica
// verifies on another, a revocation made on one is seen by every replica (within the 1 s
// verification cache), and only a SHA-256 of the secret is stored. The same cases on the
// install registry (SQLite) and on the shared database (a real PostgreSQL 15, skipped without
// one like the conformance suite), each "replica" on its own connection.
import crypto from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testCluster } from '../../test/support/postgres';
import type { TestDatabase } from '../../test/support/postgres';
import { tempHome } from '../../test/support/temp-home';
import {
  PostgresStore,
  SqliteStore,
  migrate,
  migratePostgres,
  openDatabase,
  postgresMigrations,
  registryMigrations,
  sharedTenantRows,
} from '../store';
import type { Store } from '../store';
import { StoredAgentCredentials } from './credentials';

interface Replicas {
  stores: [Store, Store];
  /** Every stored column of every credential, as the database holds them. */
  rows(): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

async function sqliteReplicas(): Promise<Replicas> {
  const { home, cleanup } = tempHome('cavra-credentials-');
  const file = path.join(home, 'registry.sqlite');
  // Two connections to one registry file, as two processes of one install have.
  const dbs = [openDatabase(file), openDatabase(file)] as const;
  migrate(dbs[0], registryMigrations);
  const stores = dbs.map((db) => new SqliteStore({ install: () => db, tenant: () => db })) as unknown as [Store, Store];
  return {
    stores,
    rows: async () => dbs[0].prepare('SELECT * FROM agent_credentials').all() as Record<string, unknown>[],
    close: async () => {
      for (const db of dbs) db.close();
      cleanup();
    },
  };
}

async function postgresReplicas(database: TestDatabase): Promise<Replicas> {
  await migratePostgres(postgresMigrations, { owner: database.owner, appRole: database.appRole });
  const stores = [
    await PostgresStore.open({ connection: database.app, maxConnections: 2 }),
    await PostgresStore.open({ connection: database.app, maxConnections: 2 }),
  ] as [Store, Store];
  return {
    stores,
    rows: () => stores[0].read('install', (s) => s.all('SELECT * FROM agent_credentials')),
    close: async () => {
      for (const store of stores) await store.close();
    },
  };
}

const cluster = testCluster();
let database: TestDatabase | null = null;
beforeAll(async () => {
  if (cluster) database = await createTestDatabase(cluster);
}, 60_000);
afterAll(async () => {
  await database?.drop();
});

const engines = [
  { name: 'SQLite', skip: false, open: sqliteReplicas },
  { name: 'PostgreSQL', skip: cluster === null, open: () => postgresReplicas(database as TestDatabase) },
];

describe.each(engines)('machine credentials on $name', ({ skip, open }) => {
  let replicas: Replicas;
  beforeAll(async () => {
    if (!skip) replicas = await open();
  }, 60_000);
  afterAll(async () => {
    await replicas?.close();
  });

  const credentials = (store: Store) => new StoredAgentCredentials(store, { ensureTenant: sharedTenantRows(store) });

  it.skipIf(skip)('issued on one replica, verified on the other; revoked on one, refused by both', async () => {
    const [one, two] = replicas.stores.map(credentials) as [StoredAgentCredentials, StoredAgentCredentials];
    const issued = await one.issue('acme', 'machine laptop-a', { uid: 1000, name: 'dev' }, 'human:x:alice');
    // The other replica has never seen it, and verifies it.
    expect(await two.verify(issued.token)).toEqual({
      id: issued.credential.id,
      tenant: 'acme',
      label: 'machine laptop-a',
      owner: { uid: 1000, name: 'dev' },
    });
    expect((await two.list('acme')).map((c) => c.id)).toContain(issued.credential.id);
    expect((await two.list('globex')).map((c) => c.id)).not.toContain(issued.credential.id);
    // Only its own tenant may revoke it: another tenant's revoke finds nothing.
    expect(await two.revoke('globex', issued.credential.id)).toBe(false);
    expect(await two.verify(issued.token)).not.toBeNull();
    expect(await two.revoke('acme', issued.credential.id)).toBe(true);
    expect(await two.verify(issued.token)).toBeNull();
    // The replica that issued it had it cached as valid: the revocation reaches it within 1 s.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await one.verify(issued.token)).toBeNull();
    expect(await one.revoke('acme', issued.credential.id)).toBe(false);
  });

  it.skipIf(skip)(
    'a wrong secret, another id, or a malformed token proves nothing; only a digest is stored',
    async () => {
      const [one, two] = replicas.stores.map(credentials) as [StoredAgentCredentials, StoredAgentCredentials];
      const issued = await one.issue('acme', 'machine laptop-b', { uid: 1001, name: 'ops' }, 'human:x:alice');
      // `agt<16 hex>_<secret>`; the secret is base64url and may hold `_` itself.
      const id = issued.token.slice(0, 19);
      const secret = issued.token.slice(20);
      const otherSecret = crypto.randomBytes(32).toString('base64url');
      for (const token of [
        `${id}_${otherSecret}`,
        `agt${'0'.repeat(16)}_${secret}`,
        `${id}_${secret.slice(1)}`,
        issued.token.toUpperCase(),
        `${issued.token}x`,
        '',
        null,
      ]) {
        expect(await two.verify(token), String(token)).toBeNull();
      }
      const stored = (await replicas.rows()).find((row) => row.id === issued.credential.id);
      expect(stored?.secret_sha256).toBe(crypto.createHash('sha256').update(secret).digest('hex'));
      expect(JSON.stringify(await replicas.rows())).not.toContain(secret);
    },
  );
});
