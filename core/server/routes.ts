import type http from 'node:http';
import type { Writable } from 'node:stream';
import type { LocalCoreService } from '../service';
import type { Principal } from '../contract';
import type { Store } from '../store';
import type { StoredAgentCredentials } from '../gate';
import type { CentralLedger } from './central-ledger';
import type { ServerLog } from './log';
import type { Readiness } from './readiness';

/**
 * Who may call a route:
 * - `none`: anybody (health probes only);
 * - `caller`: any authenticated principal, human (OIDC bearer) or machine (enrolled gate);
 * - `human`: a person signed in at the tenant's IdP;
 * - `machine`: an enrolled gate (an `agent` principal bound to one tenant; it never decides).
 */
export type RouteAuth = 'none' | 'caller' | 'human' | 'machine';

export interface RouteContext {
  /** Null only on `auth: 'none'` routes. */
  principal: Principal | null;
  /** The tenant the caller authenticated for; every tenant-scoped read and write uses this one. */
  tenant: string | null;
  /** The parsed JSON body of a POST/PUT (the server refuses other content types). */
  body: unknown;
  url: URL;
  req: http.IncomingMessage;
}

export interface RouteResult {
  /** 200 unless given. */
  status?: number;
  body: unknown;
}

/**
 * An answer too large to hold in memory (the central ledger's bundle): the headers go first,
 * then `stream` writes the bytes. A failure once it has begun cuts the connection, so the
 * client sees a truncated answer, never a complete-looking one.
 */
export interface StreamedResult {
  status?: number;
  contentType: string;
  stream(out: Writable): Promise<void>;
}

export interface ServerRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Exact path, e.g. `/v1/ledger/batches`; no parameters in the path (put them in the body). */
  path: string;
  auth: RouteAuth;
  /** Throw ContractError for a refusal: the server turns it into the error envelope and status. */
  handle(ctx: RouteContext): Promise<RouteResult | StreamedResult> | RouteResult | StreamedResult;
}

/** What routes may use. */
export interface ServerDeps {
  /** The core in this process: the contract for callers, and the gate's services for machines (machine-routes.ts). */
  core: LocalCoreService;
  /** The shared store (PostgreSQL in production): tenant-scoped units of work behind RLS. */
  store: Store;
  ledger: CentralLedger;
  /** Machine credentials in the shared store (enrol, verify, revoke on any replica). */
  credentials: StoredAgentCredentials;
  readiness: Readiness;
  log: ServerLog;
}

/** A file's routes, registered by adding it to the server's list (core/server/route-modules.ts). */
export type RouteModule = (deps: ServerDeps) => ServerRoute[];
