import { centralBundleRoutes } from './bundle-routes';
import { contractRoutes } from './contract-routes';
import { healthRoutes } from './health';
import { ledgerRoutes } from './ledger-routes';
import { machineRoutes } from './machine-routes';
import type { RouteModule } from './routes';

/**
 * Every route `cavra server` serves, one module per file. To add routes, write a module
 * (`(deps) => ServerRoute[]`) in its own file under core/server/ and add it here; the server
 * refuses two routes for the same method and path.
 */
export const routeModules: readonly RouteModule[] = [
  healthRoutes,
  contractRoutes,
  ledgerRoutes,
  centralBundleRoutes,
  machineRoutes,
];
