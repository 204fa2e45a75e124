// Per-file databases in the test run's PostgreSQL cluster (test/postgres-setup.ts).
import { inject } from 'vitest';
import type { PostgresCluster } from './postgres-cluster';

export { createTestDatabase } from './postgres-cluster';
export type { TestDatabase } from './postgres-cluster';

/** The cluster, or null with the reason printed once (outside CI only: CI fails instead). */
export function testCluster(): PostgresCluster | null {
  const provided = inject('postgres');
  if ('cluster' in provided) return provided.cluster;
  console.warn(`PostgreSQL tests skipped: ${provided.missing}`);
  return null;
}
