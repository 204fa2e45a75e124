import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type net from 'node:net';
import { gateLocation } from './client';
import { Admission } from './admission';
import { RuntimeAuthority } from './authority';
import { GateDispatcher } from './dispatcher';
import type { GateLimits } from './dispatcher';
import { HTTP_PATHS, listenOnHttp } from './http-transport';
import type { GateHost } from './host';
import { gateEvidence, gateTenants } from './host';
import { listenOnSocket } from './socket-transport';
import { ensureAgentToken, prepareGateDir } from './token';
import { currentOsUser } from '../identity';

export const DEFAULT_GATE_LIMITS: GateLimits = {
  maxRequestBytes: 10 * 1024 * 1024,
  decisionTimeoutMs: 5_000,
  maxInFlight: 256,
  maxQueued: 1024,
  maxConnections: 1024,
  heartbeatMs: 5_000,
  receiveTimeoutMs: 10_000,
};

/** The port `cavra gate serve` and the console use unless told otherwise. */
export const DEFAULT_HTTP_PORT = 47_115;

/** How long an adapter waits for an approver before it is told deny. */
export const DEFAULT_APPROVAL_WAIT_MS = 120_000;

/**
 * How often the gate abandons pending requests nobody waits for any more: an adapter whose
 * gate died re-attaches within its own wait, or that wait ends and the request is abandoned.
 */
const APPROVAL_SWEEP_MS = 10_000;

export interface GateOptions {
  host: GateHost;
  /** Loopback HTTP port (0 picks a free one); false: no HTTP endpoint. */
  httpPort?: number | false;
  approvalWaitMs?: number;
  limits?: Partial<GateLimits>;
  now?: () => Date;
  log?: (message: string) => void;
}

export interface RunningGate {
  socketPath: string;
  approvalWaitMs: number;
  /** `http://127.0.0.1:<port>`, or null when the HTTP endpoint is off. */
  httpUrl: string | null;
  /** Where Claude Code's `http` hook posts. */
  claudeCodeHookUrl: string | null;
  limits: GateLimits;
  close(): Promise<void>;
}

/** Closes a server and every connection it holds (waiting adapters then deny on their side). */
function closeServer(server: net.Server | http.Server, connections: Set<net.Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const connection of connections) connection.destroy();
  });
}

function tracked(server: net.Server | http.Server): Set<net.Socket> {
  const connections = new Set<net.Socket>();
  server.on('connection', (connection: net.Socket) => {
    connections.add(connection);
    connection.on('close', () => connections.delete(connection));
  });
  return connections;
}

/**
 * Starts the gate: the socket under CAVRA_HOME/gate and, unless turned off, the loopback
 * HTTP endpoint, both answering through one RuntimeAuthority. Refuses to start on a gate
 * directory with the wrong owner or mode, or when another gate holds the socket. Writes
 * `endpoint.json` (pid, socket, HTTP port; never the token) for `cavra hook install --http`.
 */
/**
 * The default tenant's policy is made ready before the gate listens: a fresh tenant activates
 * and tests the built-in packs, which should not eat into the first adapter's time limit. A
 * failure here is only logged: every request will meet it again and be denied with its reason.
 */
function readyDefaultTenant(host: GateHost, log: ((message: string) => void) | undefined): void {
  try {
    const tenant = host.tenants.defaultTenant();
    if (tenant !== null) host.policy.prepare?.(tenant);
  } catch (error) {
    log?.(
      `the default tenant's policy could not be prepared: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

export async function startGate(options: GateOptions): Promise<RunningGate> {
  const limits: GateLimits = { ...DEFAULT_GATE_LIMITS, ...options.limits };
  const { host } = options;
  const location = gateLocation(host.home);
  prepareGateDir(location);
  const defaultTenant = host.tenants.defaultTenant();
  if (defaultTenant === null) throw new Error('the install has no default tenant for its adapters');
  ensureAgentToken(location, host.agents, defaultTenant, currentOsUser());
  /** Tenants whose adapters this gate served: their approval requests are swept. */
  const served = new Set<string>([defaultTenant]);
  const verify = (token: unknown) => {
    const credential = host.agents.verify(token);
    // A credential for a tenant that no longer exists authenticates nobody.
    if (!credential || !host.tenants.exists(credential.tenant)) return null;
    served.add(credential.tenant);
    return credential;
  };
  readyDefaultTenant(host, options.log);
  const authority = new RuntimeAuthority({
    policy: host.policy,
    evidence: gateEvidence(host),
    tenants: gateTenants(host),
    approvals: host.gateApprovals ?? host.approvals,
    containment: host.containment,
    approvalWaitMs: options.approvalWaitMs ?? DEFAULT_APPROVAL_WAIT_MS,
    now: options.now,
    onDecision: host.onDecision,
    log: options.log,
  });
  const dispatcher = new GateDispatcher(
    authority,
    host.mcp,
    host.containment ?? null,
    new Admission(limits.maxInFlight, limits.maxQueued),
    limits,
    { socket: 'socket', claudeCode: 'claude-code' },
  );
  const socket = await listenOnSocket(location, verify, dispatcher, limits);
  const socketConnections = tracked(socket);
  let httpServer: http.Server | null = null;
  let httpConnections = new Set<net.Socket>();
  try {
    if (options.httpPort !== false) {
      httpServer = await listenOnHttp(options.httpPort ?? DEFAULT_HTTP_PORT, verify, dispatcher, limits);
      httpConnections = tracked(httpServer);
    }
  } catch (error) {
    await closeServer(socket, socketConnections);
    throw error;
  }
  const port = httpServer ? (httpServer.address() as AddressInfo).port : null;
  const httpUrl = port === null ? null : `http://127.0.0.1:${port}`;
  fs.writeFileSync(
    location.endpoint,
    `${JSON.stringify({ pid: process.pid, socket: location.socket, http_port: port, started_at: new Date().toISOString() })}\n`,
    { mode: 0o600 },
  );
  let sweeping: Promise<void> | null = null;
  const sweep = () => {
    sweeping ??= (async () => {
      for (const tenant of served) {
        await host.approvals.expireDue(tenant).catch((error: unknown) => {
          options.log?.(
            `approval sweep of ${tenant} failed: ${error instanceof Error ? error.message : String(error)}`,
          );
        });
      }
    })().finally(() => (sweeping = null));
  };
  // Requests left pending by a gate that died: abandoned once their adapter's wait is over.
  sweep();
  const sweeper = setInterval(sweep, APPROVAL_SWEEP_MS);
  sweeper.unref();
  let closed = false;
  return {
    socketPath: location.socket,
    approvalWaitMs: options.approvalWaitMs ?? DEFAULT_APPROVAL_WAIT_MS,
    httpUrl,
    claudeCodeHookUrl: httpUrl === null ? null : `${httpUrl}${HTTP_PATHS.claudeCode}`,
    limits,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
      await sweeping;
      // First: the waits that end as connections close must not abandon their requests (adapters re-attach).
      authority.stop();
      await Promise.all([
        closeServer(socket, socketConnections),
        httpServer ? closeServer(httpServer, httpConnections) : Promise.resolve(),
      ]);
      fs.rmSync(location.endpoint, { force: true });
      if (process.platform !== 'win32') fs.rmSync(location.socket, { force: true });
    },
  };
}
