// The connected-mode fixture (test/support/connected-plane.ts) on the vitest run's PostgreSQL
// cluster (test/postgres-setup.ts): null, and the suites skip, where PostgreSQL is not installed.
import { ControlPlaneFixture as PlaneOnCluster } from '../support/connected-plane';
import { testCluster } from '../support/postgres';

export { TENANT, cert, until } from '../support/connected-plane';

export const cluster = testCluster();

export class ControlPlaneFixture extends PlaneOnCluster {
  constructor() {
    if (!cluster) throw new Error('No PostgreSQL cluster: guard the suite with describe.skipIf(cluster === null)');
    super(cluster);
  }
}
