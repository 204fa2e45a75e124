// Machine credentials as `cavra server` keeps them: in the shared database, so every replica
// verifies them (core/gate/credentials.ts, StoredAgentCredentials). Tests that need a machine
// before a server runs issue it here, exactly as the enrolment route does.
import type { OsUser } from '../../core/contract';
import { StoredAgentCredentials } from '../../core/gate';
import type { AgentCredential } from '../../core/gate/credentials';
import { PostgresStore, migratePostgres, postgresMigrations, sharedTenantRows } from '../../core/store';
import type { TestDatabase } from './postgres-cluster';

export async function issueSharedCredential(
  database: TestDatabase,
  tenant: string,
  label: string,
  owner: OsUser,
): Promise<{ credential: AgentCredential; token: string }> {
  await migratePostgres(postgresMigrations, { owner: database.owner, appRole: database.appRole });
  const store = await PostgresStore.open({ connection: database.app, maxConnections: 2 });
  try {
    return await new StoredAgentCredentials(store, { ensureTenant: sharedTenantRows(store) }).issue(
      tenant,
      label,
      owner,
      'test',
    );
  } finally {
    await store.close();
  }
}
