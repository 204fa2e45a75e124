import type { EvidenceSigner } from '../evidence';
import { StoredAgentCredentials, agentPrincipal } from '../gate';
import { createCore } from '../service';
import { PostgresStore, migratePostgres, postgresMigrations, sharedTenantRows } from '../store';
import { bearerAuthenticator } from './auth';
import type { HumanVerifier, MachineVerifier } from './auth';
import { CentralLedger } from './central-ledger';
import type { DatabaseConfig } from './config';
import { storeReadiness } from './readiness';
import type { Readiness } from './readiness';
import type { ServerLog } from './log';
import { routeModules } from './route-modules';
import type { RouteModule } from './routes';
import { startServer } from './server';
import type { RunningServer, ServerTls } from './server';

export interface ControlPlaneOptions {
  /**
   * The server's own data directory: its mirror of the shared tenant registry and the core's
   * per-replica files (core/server/README.md says which). May start empty.
   */
  home: string;
  database: DatabaseConfig;
  /** Each tenant's evidence signing key: the configured one (`signingKeyConfig`), the same on every replica. */
  signingKey: (tenant: string) => EvidenceSigner;
  tls: ServerTls;
  host?: string;
  port?: number;
  log: ServerLog;
  /** How enrolled machines are recognised; the shared machine credentials unless given. */
  machines?: MachineVerifier;
  routes?: readonly RouteModule[];
}

export interface ControlPlane {
  url: string;
  port: number;
  /** Graceful stop: no new connections, requests in flight finish, then the pool and the core close. */
  close(): Promise<void>;
}

/**
 * `cavra server`: migrations (under the advisory lock, so replicas starting together apply
 * each once), the shared store, the core, and the HTTPS server in front of them.
 */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const { database, log } = options;
  if (database.owner) {
    await migratePostgres(postgresMigrations, { owner: database.owner, appRole: database.appRole });
    log({ level: 'info', msg: 'migrations applied' });
  }
  const store = await PostgresStore.open({ connection: database.app, maxConnections: 16 });
  const ledger = new CentralLedger(store);
  const ensureTenant = sharedTenantRows(store);
  // Machine credentials in the shared database: one enrolled through any replica verifies on
  // every replica, and a revocation reaches all of them within the verification cache (1 s).
  const credentials = new StoredAgentCredentials(store, { ensureTenant });
  const core = createCore({
    // The tenant registry (tenants, members, roles, IdP profiles and role mappings), each
    // tenant's policy, and the approval desk's requests, verdicts and views live in the shared
    // database: a replica started on an empty data directory serves every tenant, every
    // replica serves one queue, and a waiter on one sees a verdict given on another.
    shared: { store, ensureTenant },
    // Every caller is on another machine: a path in an action they send is theirs, never ours to read.
    actionsFromOtherMachines: true,
    signingKey: options.signingKey,
    home: options.home,
    shell: 'cli',
    deliveries: { run: true },
    // The shared desk's requests and verdicts go to the central ledger, beside the machines' evidence.
    recordApproval: async (tenant, event) => (await ledger.append(tenant, { type: 'approval', payload: event })).seq,
    log: (message) => log({ level: 'warn', msg: message.slice(0, 500) }),
  });
  let server: RunningServer;
  try {
    const storeReady = storeReadiness(store, postgresMigrations);
    // On a migrated database the replica serves only once it mirrored the shared registry (a
    // failure stops the start); on one not migrated yet it starts not ready and keeps trying.
    if ((await storeReady.check()).ready) {
      await core.ready();
      log({ level: 'info', msg: 'tenant registry loaded' });
    }
    const readiness: Readiness = {
      async check() {
        const report = await storeReady.check();
        if (!report.ready || core.isReady()) return report;
        return { ready: false, checks: { ...report.checks, registry: 'not loaded yet' } };
      },
    };
    const machines: MachineVerifier =
      options.machines ??
      (async (token) => {
        const credential = await credentials.verify(token);
        return credential ? agentPrincipal(credential) : null;
      });
    const humans: HumanVerifier = (tenant, token) => core.bearerPrincipal(tenant, token);
    server = await startServer({
      deps: { core, store, ledger, credentials, readiness, log },
      authenticator: bearerAuthenticator({ machines, humans }),
      routes: options.routes ?? routeModules,
      tls: options.tls,
      host: options.host,
      port: options.port,
    });
  } catch (error) {
    await core.close();
    await store.close();
    throw error;
  }
  return {
    url: server.url,
    port: server.port,
    async close() {
      await server.close();
      await core.close();
      await store.close();
    },
  };
}
