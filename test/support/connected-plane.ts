// Connected mode with real processes: `cavra server` on a real PostgreSQL 15 behind a
// TLS-terminating load balancer, a test IdP, and machines — each its own CAVRA_HOME with an
// operator's sign-in, joined with `cavra connect` and running `cavra gate serve`. Free of any
// test runner: the vitest suites (test/connected/fixture.ts) and the Playwright walk of two
// machines (e2e/browser/two-machines.spec.ts) share it.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { buildCliForTests, cavra } from '../../cli/adapters/testing';
import type { CliBuild } from '../../cli/adapters/testing';
import { rememberSession } from '../../cli/sign-in';
import { requireKeychain } from '../../core/gate/testing';
import { localEvaluationPrincipal } from '../../core/identity';
import { createCore } from '../../core/service';
import { PostgresStore, tenantDatabasePath } from '../../core/store';
import { databaseEnv } from './control-plane';
import { signInToCore, startTestIdp } from './oidc-idp';
import type { IdpUser, TestIdp } from './oidc-idp';
import { createTestDatabase } from './postgres-cluster';
import type { PostgresCluster, TestDatabase } from './postgres-cluster';
import { tempHome } from './temp-home';
import { testCertificate } from './tls';

export const TENANT = 'evaluation';
export const cert = testCertificate();

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

export async function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 60_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface RunningProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
}

/** A long-running `cavra` process whose output the test reads as it comes. */
function startProcess(cli: CliBuild, home: string, args: string[], env: Record<string, string> = {}): RunningProcess {
  const child = spawn(process.execPath, [cli.launcher, ...args], {
    env: { ...process.env, CAVRA_HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, output: () => output, exited };
}

/**
 * The load balancer in front of the control plane: terminates TLS with the server's certificate
 * and forwards to whichever port the server listens on now (502 while it is down). Armed, it
 * kills the server the moment a committed evidence batch is acknowledged, and drops the answer.
 */
export class Balancer {
  upstreamPort = 0;
  killOnAck: (() => void) | null = null;
  killedAfterCommit = 0;
  port = 0;
  private server!: https.Server;
  private readonly upgrades = new Set<Duplex>();

  async start(): Promise<void> {
    this.server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
      const upstream = https.request(
        {
          host: '127.0.0.1',
          port: this.upstreamPort,
          path: req.url,
          method: req.method,
          headers: req.headers,
          ca: cert.cert,
          servername: 'localhost',
        },
        (answer) => {
          if (this.killOnAck && req.url === '/v1/ledger/batches' && answer.statusCode === 200) {
            // The batch is committed (the route answers after COMMIT); the acknowledgement never arrives.
            const kill = this.killOnAck;
            this.killOnAck = null;
            this.killedAfterCommit += 1;
            kill();
            res.destroy();
            answer.destroy();
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end('{"ok":false,"error":{"code":"unavailable","message":"no upstream"}}');
      });
      req.pipe(upstream);
    });
    // WebSocket upgrades (the event stream) pass through as raw TLS streams, headers as sent.
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const upstream = tls.connect(
        { host: '127.0.0.1', port: this.upstreamPort, ca: cert.cert, servername: 'localhost' },
        () => {
          const headers: string[] = [];
          for (let i = 0; i < req.rawHeaders.length; i += 2)
            headers.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
          upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`);
          if (head.length > 0) upstream.write(head);
          upstream.pipe(socket);
          socket.pipe(upstream);
        },
      );
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
      this.upgrades.add(socket);
      socket.once('close', () => this.upgrades.delete(socket));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const socket of this.upgrades) socket.destroy();
    });
  }
}

/** A machine's own CAVRA_HOME, joined to the control plane with `cavra connect`. */
export interface JoinedHome {
  home: string;
  machineId: string;
  /** A project directory outside CAVRA_HOME. */
  workspace: string;
}

export interface Machine {
  home: string;
  machineId: string;
  /** A Claude Code Bash tool call through the real hook; the hook's answer. */
  hook(command: string): Promise<{ decision: string; reason: string }>;
  /** The machine's ledger as stored. */
  records(): { seq: number; type: string; digest: string; payload: string }[];
  /** Attempts of the outbox to ship evidence, oldest first: `outcome: text`. */
  shippingAttempts(): string[];
  stopGate(): Promise<void>;
}

/** The IdP's users in the tests: an operator who joins machines and reviewers who decide. */
const users: Record<string, IdpUser> = {
  olga: { name: 'Olga Operator', email: 'olga@acme.example', groups: ['platform-ops'] },
  rita: { name: 'Rita Reviewer', email: 'rita@acme.example', groups: ['secops'] },
  // A reviewer who is also in the operators' approval route (cavra-destructive/operators).
  sam: { name: 'Sam Oncall', email: 'sam@acme.example', groups: ['secops', 'operators'] },
};
const ROLE_MAPPINGS = [
  { group: 'platform-ops', roles: ['operator'] },
  { group: 'secops', roles: ['security_reviewer'] },
];

export class ControlPlaneFixture {
  cli!: CliBuild;
  idp!: TestIdp;
  database!: TestDatabase;
  store!: PostgresStore;
  readonly balancer = new Balancer();
  readonly serverHome = tempHome('cavra-plane-');
  private readonly homes = [this.serverHome];
  private readonly gates: RunningProcess[] = [];
  private server: RunningProcess | null = null;
  private serverPort = 0;

  /**
   * `launcher`: run this built CLI (bin/cavra.cjs after `node scripts/build.mjs`) instead of a
   * private build of the sources (vitest files build their own, so parallel files never share one).
   */
  constructor(
    private readonly cluster: PostgresCluster,
    private readonly options: { launcher?: string } = {},
  ) {}

  get url(): string {
    return `https://127.0.0.1:${this.balancer.port}`;
  }

  async start(): Promise<void> {
    requireKeychain();
    const launcher = this.options.launcher;
    [this.cli, this.idp, this.database] = await Promise.all([
      launcher ? { launcher, remove: () => undefined } : buildCliForTests(),
      startTestIdp(users),
      createTestDatabase(this.cluster),
    ]);
    await this.prepareHome(this.serverHome.home);
    await this.balancer.start();
    await this.startServer();
    this.store = await PostgresStore.open({ connection: this.database.app, maxConnections: 2 });
  }

  /** The tenant knows the test IdP and maps its groups to roles; `user` signs the CLI in. */
  private async prepareHome(
    home: string,
    user?: string,
    roleMappings: { group: string; roles: string[] }[] = ROLE_MAPPINGS,
  ): Promise<string | null> {
    const core = createCore({ home, shell: 'test', log: () => undefined });
    try {
      const configured = await core.invoke(localEvaluationPrincipal, {
        op: 'tenants.profile.update',
        tenant: TENANT,
        input: {
          sso: {
            issuer: this.idp.issuer,
            client_id: this.idp.clientId,
            scopes: ['profile', 'email', 'groups', 'offline_access'],
          },
          role_mappings: roleMappings,
        },
      });
      check(configured.ok, `the tenant's IdP could not be configured: ${JSON.stringify(configured)}`);
      if (!user) return null;
      const sessionId = (await signInToCore(core, TENANT, user, 'http://127.0.0.1:49155/callback')).sessionId;
      rememberSession(home, TENANT, sessionId);
      return sessionId;
    } finally {
      await core.close();
    }
  }

  /**
   * `user` signs the CLI of a prepared `home` in at the tenant's IdP (as `cavra login` would);
   * the sign-in is remembered there, in place of the one before.
   */
  async signIn(home: string, user: string): Promise<void> {
    const core = createCore({ home, shell: 'test', log: () => undefined });
    try {
      rememberSession(
        home,
        TENANT,
        (await signInToCore(core, TENANT, user, 'http://127.0.0.1:49155/callback')).sessionId,
      );
    } finally {
      await core.close();
    }
  }

  /** A person's ID token for the control plane, from a sign-in on a throwaway home. */
  async bearerOf(user: string): Promise<string> {
    const home = tempHome('cavra-person-');
    this.homes.push(home);
    const sessionId = (await this.prepareHome(home.home, user)) as string;
    const core = createCore({ home: home.home, shell: 'test', log: () => undefined });
    try {
      return (await core.controlPlane.bearerFor(sessionId)).idToken;
    } finally {
      await core.close();
    }
  }

  async startServer(): Promise<void> {
    const server = startProcess(
      this.cli,
      this.serverHome.home,
      [
        'server',
        '--tls-cert',
        cert.certFile,
        '--tls-key',
        cert.keyFile,
        '--host',
        '127.0.0.1',
        '--port',
        String(this.serverPort),
      ],
      databaseEnv(this.database),
    );
    this.server = server;
    const line = await until('the control plane to listen', () =>
      server
        .output()
        .split('\n')
        .find((text) => text.includes('"listening"')),
    );
    this.serverPort = Number(new URL((JSON.parse(line) as { url: string }).url).port);
    this.balancer.upstreamPort = this.serverPort;
  }

  async stopServer(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.child.kill(signal);
    await server.exited;
    this.server = null;
  }

  /** Waits for a server the balancer killed to be gone. */
  async serverGone(): Promise<void> {
    await this.server?.exited;
    this.server = null;
  }

  /**
   * A machine's home joined to the control plane: its own CAVRA_HOME (in `parent` when given),
   * the tenant's IdP configured there, Olga's sign-in, `cavra connect` through the balancer.
   */
  async join(
    name: string,
    options: { roleMappings?: { group: string; roles: string[] }[]; home?: string } = {},
  ): Promise<JoinedHome> {
    let home = options.home;
    if (!home) {
      const temp = tempHome(`cavra-${name}-`);
      this.homes.push(temp);
      home = temp.home;
    }
    const workspace = path.join(home, 'workspace');
    fs.mkdirSync(workspace, { recursive: true });
    await this.prepareHome(home, 'olga', options.roleMappings);
    const connected = await cavra(this.cli, home, [
      'connect',
      this.url,
      '--tenant',
      TENANT,
      '--ca',
      cert.certFile,
      '--name',
      name,
    ]);
    check(
      connected.code === 0 && (connected.stderr + connected.stdout).includes(`Connected ${name}`),
      `cavra connect failed (${connected.code}): ${connected.stderr}${connected.stdout}`,
    );
    const { machineId } = JSON.parse(fs.readFileSync(path.join(home, 'connect', `${TENANT}.json`), 'utf8')) as {
      machineId: string;
    };
    return { home, machineId, workspace };
  }

  /** A machine: its own home, Olga's sign-in, `cavra connect` through the balancer, a running gate. */
  async machine(
    name: string,
    approvalWaitSeconds = 5,
    options: { roleMappings?: { group: string; roles: string[] }[] } = {},
  ): Promise<Machine> {
    const { home, machineId, workspace } = await this.join(name, options);
    const gate = startProcess(this.cli, home, [
      'gate',
      'serve',
      '--no-http',
      '--approval-wait',
      String(approvalWaitSeconds),
    ]);
    this.gates.push(gate);
    await until('the gate to listen', () => gate.output().includes('CAVRA gate listening'));
    const cli = this.cli;
    const openLedger = () => new Database(tenantDatabasePath(home, TENANT), { readonly: true, fileMustExist: true });
    return {
      home,
      machineId,
      async hook(command) {
        const input = JSON.stringify({
          session_id: `${name}-session`,
          hook_event_name: 'PreToolUse',
          tool_name: 'Bash',
          tool_input: { command },
          cwd: workspace,
        });
        const result = await cavra(cli, home, ['hook', 'claude-code'], { input, cwd: workspace });
        const output = JSON.parse(result.stdout || '{}') as {
          hookSpecificOutput?: { permissionDecision: string; permissionDecisionReason: string };
        };
        return {
          decision: output.hookSpecificOutput?.permissionDecision ?? `exit ${result.code}: ${result.stderr}`,
          reason: output.hookSpecificOutput?.permissionDecisionReason ?? result.stderr,
        };
      },
      records() {
        const db = openLedger();
        try {
          return (
            db.prepare('SELECT seq, type, payload_sha256, payload FROM ledger_records ORDER BY seq').all() as {
              seq: number;
              type: string;
              payload_sha256: Buffer;
              payload: string;
            }[]
          ).map((row) => ({
            seq: row.seq,
            type: row.type,
            digest: row.payload_sha256.toString('hex'),
            payload: row.payload,
          }));
        } finally {
          db.close();
        }
      },
      shippingAttempts() {
        const db = openLedger();
        try {
          return (
            db
              .prepare(
                `SELECT a.outcome || ': ' || a.text AS line FROM outbox_attempts a
                 JOIN outbox_deliveries d ON d.id = a.delivery_id
                 WHERE d.connector_id = 'control-plane' ORDER BY a.at`,
              )
              .all() as { line: string }[]
          ).map((row) => row.line);
        } finally {
          db.close();
        }
      },
      async stopGate() {
        gate.child.kill('SIGTERM');
        await gate.exited;
      },
    };
  }

  /** Records shipped to the central ledger: local sequence, central sequence, type and digest. */
  async centralOrigins(): Promise<{ origin: string; origin_seq: number; seq: number; type: string; digest: string }[]> {
    const rows = await this.store.read({ tenant: TENANT }, (session) =>
      session.all<{ origin: string; origin_seq: number; seq: number; type: string; payload_sha256: Buffer }>(
        `SELECT o.origin, o.origin_seq, o.seq, r.type, r.payload_sha256 FROM ledger_origins o
         JOIN ledger_records r ON r.seq = o.seq ORDER BY o.origin, o.origin_seq`,
      ),
    );
    return rows.map((row) => ({
      origin: row.origin,
      origin_seq: Number(row.origin_seq),
      seq: Number(row.seq),
      type: row.type,
      digest: row.payload_sha256.toString('hex'),
    }));
  }

  /** The shared desk's records about one request in the central ledger, in ledger order. */
  async centralApprovalEvents(requestId: string): Promise<{ seq: number; event: string; by: string }[]> {
    const rows = await this.store.read({ tenant: TENANT }, (session) =>
      session.all<{ seq: number; payload: string }>(
        `SELECT seq, payload FROM ledger_records WHERE type = 'approval' ORDER BY seq`,
      ),
    );
    return rows
      .map((row) => ({ seq: Number(row.seq), payload: JSON.parse(String(row.payload)) as Record<string, unknown> }))
      .filter((row) => row.payload.request_id === requestId)
      .map((row) => ({ seq: row.seq, event: String(row.payload.event), by: String(row.payload.by) }));
  }

  async close(): Promise<void> {
    for (const gate of this.gates) gate.child.kill('SIGTERM');
    await Promise.all(this.gates.map((gate) => gate.exited));
    await this.stopServer('SIGTERM');
    await this.balancer.close();
    await this.store?.close();
    await this.database?.drop();
    await this.idp?.close();
    this.cli?.remove();
    for (const home of this.homes) home.cleanup();
  }
}
