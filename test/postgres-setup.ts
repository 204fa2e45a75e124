import type { TestProject } from 'vitest/node';
import type { PostgresCluster } from './support/postgres-cluster';
import { postgresMissing, startPostgresCluster } from './support/postgres-cluster';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's PostgreSQL cluster, or why there is none (tests then skip, never in CI). */
    postgres: { cluster: PostgresCluster } | { missing: string };
  }
}

// One PostgreSQL cluster per test run; each test file makes its own database in it. CI
// (.ci/run) installs postgresql and sets CAVRA_REQUIRE_POSTGRES=1: there, missing binaries fail
// the run instead of skipping the store's PostgreSQL half.
export default async function setup(project: TestProject): Promise<() => void> {
  const missing = postgresMissing();
  if (missing) {
    if (process.env.CAVRA_REQUIRE_POSTGRES === '1') throw new Error(`CAVRA_REQUIRE_POSTGRES=1 but ${missing}`);
    project.provide('postgres', { missing });
    return () => undefined;
  }
  const { cluster, stop } = await startPostgresCluster();
  project.provide('postgres', { cluster });
  // A run that is interrupted (Ctrl-C, a killed CI step) skips teardown: stop the cluster on exit too.
  let stopped = false;
  const stopOnce = () => {
    if (stopped) return;
    stopped = true;
    stop();
  };
  process.once('exit', stopOnce);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopOnce();
      process.exit(130);
    });
  }
  return stopOnce;
}
