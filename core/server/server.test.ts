// `cavra server` (issue 12): HTTPS only (plain HTTP only on loopback for tests), health and
// readiness against a real PostgreSQL 15, the route seam, the one error envelope, structured
// logs without secrets, and a graceful SIGTERM of the real process.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractError } from '../contract';
import { createCore } from '../service';
import { testCertificate } from '../../test/support/tls';
import { createTestDatabase, testCluster } from '../../test/support/postgres';
import type { TestDatabase } from '../../test/support/postgres';
import { tempHome } from '../../test/support/temp-home';
import { call, databaseEnv, databaseUrl, testEvidenceKey } from '../../test/support/control-plane';
import { databaseConfig, routeModules, startControlPlane } from './index';
import type { ControlPlane, RouteModule } from './index';
import { issueSharedCredential } from '../../test/support/machine-credentials';

const root = path.resolve(import.meta.dirname, '..', '..');
const launcher = path.join(root, 'bin', 'cavra.cjs');
const cluster = testCluster();

describe.skipIf(cluster === null)('cavra server', () => {
  let database: TestDatabase;
  let home: { home: string; cleanup: () => void };
  let agentToken: string;
  const cert = testCertificate();
  const lines: Record<string, unknown>[] = [];
  let plane: ControlPlane;

  beforeAll(async () => {
    database = await createTestDatabase(cluster!);
    home = tempHome('cavra-server-');
    const core = createCore({ home: home.home, shell: 'test' });
    const tenant = core.gateHost.tenants.defaultTenant() as string;
    agentToken = (await issueSharedCredential(database, tenant, 'laptop-a', { uid: 1000, name: 'dev' })).token;
    await core.close();
    const echo: RouteModule = () => [
      {
        method: 'POST',
        path: '/v1/test/echo',
        auth: 'machine',
        handle: (ctx) => ({
          body: { ok: true, value: { tenant: ctx.tenant, principal: ctx.principal?.id, body: ctx.body } },
        }),
      },
    ];
    plane = await startControlPlane({
      signingKey: testEvidenceKey,
      home: home.home,
      database: databaseConfig(databaseEnv(database)),
      tls: { cert: cert.cert, key: cert.key },
      host: '127.0.0.1',
      log: (entry) => lines.push(entry),
      routes: [...routeModules, echo],
    });
  }, 60_000);

  afterAll(async () => {
    await plane?.close();
    await database?.drop();
    home?.cleanup();
  });

  it('serves HTTPS: /healthz answers, /readyz reports the database reachable and migrations current', async () => {
    expect(plane.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await call(`${plane.url}/healthz`, { ca: cert.cert });
    expect(health).toMatchObject({ status: 200, body: { ok: true } });
    expect(health.headers['strict-transport-security']).toContain('max-age=');
    const ready = await call(`${plane.url}/readyz`, { ca: cert.cert });
    expect(ready).toMatchObject({
      status: 200,
      body: { ready: true, checks: { database: 'ok', migrations: 'current' } },
    });
    // A client that does not trust the certificate is not talked to in plain text.
    await expect(call(`${plane.url}/healthz`)).rejects.toThrow(/self-signed|certificate/i);
    await expect(call(plane.url.replace('https:', 'http:') + '/healthz')).rejects.toThrow();
  });

  it('one error envelope: unknown route 404, wrong method, missing or malformed credentials 401, non-JSON 400', async () => {
    const missing = await call(`${plane.url}/v1/nope`, { ca: cert.cert });
    expect(missing).toMatchObject({ status: 404, body: { ok: false, error: { code: 'not_found' } } });
    const method = await call(`${plane.url}/v1/invoke`, { ca: cert.cert });
    expect(method).toMatchObject({ status: 400, body: { ok: false, error: { code: 'invalid_input' } } });
    const anonymous = await call(`${plane.url}/v1/invoke`, {
      ca: cert.cert,
      body: { op: 'system.info', tenant: null, input: {} },
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(anonymous.body).toEqual({
      ok: false,
      error: { code: 'unauthenticated', message: 'Missing credentials: send "Authorization: Bearer <token>"' },
    });
    const basic = await call(`${plane.url}/v1/invoke`, {
      ca: cert.cert,
      headers: { authorization: 'Basic dXNlcjpwYXNz' },
      body: { op: 'system.info', tenant: null, input: {} },
    });
    expect(basic).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
    const garbage = await call(`${plane.url}/v1/invoke`, {
      ca: cert.cert,
      headers: { authorization: 'Bearer not-a-known-credential' },
      body: { op: 'system.info', tenant: null, input: {} },
    });
    expect(garbage).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
    const text = await call(`${plane.url}/v1/test/echo`, {
      ca: cert.cert,
      headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'text/plain' },
    });
    expect(text).toMatchObject({ status: 400, body: { error: { code: 'invalid_input' } } });
  });

  it('the route seam: a registered module is served behind authentication, with the machine’s tenant', async () => {
    const answer = await call(`${plane.url}/v1/test/echo`, {
      ca: cert.cert,
      headers: { authorization: `Bearer ${agentToken}` },
      body: { hello: 'world' },
    });
    expect(answer).toMatchObject({
      status: 200,
      body: {
        ok: true,
        value: { tenant: 'evaluation', principal: expect.stringMatching(/^agent:agt/), body: { hello: 'world' } },
      },
    });
    // A machine naming another tenant than its enrolment's is refused before the route runs.
    const other = await call(`${plane.url}/v1/test/echo`, {
      ca: cert.cert,
      headers: { authorization: `Bearer ${agentToken}`, 'cavra-tenant': 'globex' },
      body: {},
    });
    expect(other).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    const duplicate: RouteModule = () => [
      { method: 'GET', path: '/healthz', auth: 'none', handle: () => ({ body: 1 }) },
    ];
    await expect(
      startControlPlane({
        signingKey: testEvidenceKey,
        home: home.home,
        database: databaseConfig(databaseEnv(database, false)),
        tls: 'insecure-loopback',
        log: () => undefined,
        routes: [...routeModules, duplicate],
      }),
    ).rejects.toThrow(/Two routes registered for GET \/healthz/);
  });

  it('logs one JSON line per request (route, tenant, principal, status, duration) and never a token or a body', async () => {
    const before = lines.length;
    await call(`${plane.url}/v1/test/echo`, {
      ca: cert.cert,
      headers: { authorization: `Bearer ${agentToken}` },
      body: { secret: 'body-secret-value' },
    });
    const line = lines.slice(before).find((entry) => entry.route === '/v1/test/echo');
    expect(line).toMatchObject({ level: 'info', msg: 'request', method: 'POST', tenant: 'evaluation', status: 200 });
    expect(line?.principal).toMatch(/^agent:agt/);
    expect(typeof line?.duration_ms).toBe('number');
    const all = JSON.stringify(lines);
    // The secret is everything after the first '_' (base64url: it may hold '_' itself, even first).
    const secret = agentToken.slice(agentToken.indexOf('_') + 1);
    expect(secret.length).toBeGreaterThan(16);
    expect(all).not.toContain(secret);
    expect(all).not.toContain('body-secret-value');
    expect(all).not.toContain(String(database.app.password));
  });

  it('refuses plain HTTP beyond loopback, and without the database URL or TLS the CLI does not start', async () => {
    await expect(
      startControlPlane({
        signingKey: testEvidenceKey,
        home: home.home,
        database: databaseConfig(databaseEnv(database, false)),
        tls: 'insecure-loopback',
        host: '0.0.0.0',
        log: () => undefined,
      }),
    ).rejects.toThrow(/127\.0\.0\.1 only/);
    const env: NodeJS.ProcessEnv = { ...process.env, CAVRA_HOME: home.home };
    delete env.CAVRA_DATABASE_URL;
    const noTls = spawnSync(process.execPath, [launcher, 'server'], {
      env: { ...env, ...databaseEnv(database) },
      encoding: 'utf8',
    });
    expect(noTls.status).not.toBe(0);
    expect(noTls.stderr).toContain('cavra server needs TLS');
    const wide = spawnSync(process.execPath, [launcher, 'server', '--insecure-loopback', '--host', '0.0.0.0'], {
      env: { ...env, ...databaseEnv(database) },
      encoding: 'utf8',
    });
    expect(wide.status).not.toBe(0);
    expect(wide.stderr).toContain('binds 127.0.0.1');
    const noDatabase = spawnSync(process.execPath, [launcher, 'server', '--insecure-loopback', '--port', '0'], {
      env,
      encoding: 'utf8',
    });
    expect(noDatabase.status).toBe(2);
    expect(noDatabase.stderr).toContain('set CAVRA_DATABASE_URL or CAVRA_DATABASE_URL_FILE');
    // Without the evidence signing key (every replica must sign with the same one): no start, the setting named.
    const { CAVRA_SIGNING_KEY: _key, ...withoutKey } = databaseEnv(database);
    const noKey = spawnSync(process.execPath, [launcher, 'server', '--insecure-loopback', '--port', '0'], {
      env: { ...env, ...withoutKey },
      encoding: 'utf8',
    });
    expect(noKey.status).toBe(2);
    expect(noKey.stderr).toContain('No evidence signing key: set CAVRA_SIGNING_KEY or CAVRA_SIGNING_KEY_FILE');
    const badKey = spawnSync(process.execPath, [launcher, 'server', '--insecure-loopback', '--port', '0'], {
      env: { ...env, ...withoutKey, CAVRA_SIGNING_KEY: 'hunter2-not-a-key' },
      encoding: 'utf8',
    });
    expect(badKey.status).toBe(2);
    expect(badKey.stderr).toContain('CAVRA_SIGNING_KEY must be 32 bytes in base64');
    expect(badKey.stderr + badKey.stdout).not.toContain('hunter2');
    // A malformed URL is refused by name; its text (it may hold a password) is never echoed.
    expect(() => databaseConfig({ CAVRA_DATABASE_URL: 'pass=hunter2 host' })).toThrow(
      /CAVRA_DATABASE_URL is not a URL/,
    );
    expect(() => databaseConfig({ CAVRA_DATABASE_URL: 'pass=hunter2 host' })).not.toThrow(/hunter2/);
  });

  it('/readyz is 503 on a database nobody migrated (no owner URL given)', async () => {
    const fresh = await createTestDatabase(cluster!);
    const other = tempHome('cavra-server-');
    try {
      const unmigrated = await startControlPlane({
        signingKey: testEvidenceKey,
        home: other.home,
        database: databaseConfig({ CAVRA_DATABASE_URL: databaseUrl(fresh.app) }),
        tls: 'insecure-loopback',
        log: () => undefined,
      });
      try {
        const ready = await call(`${unmigrated.url}/readyz`);
        expect(ready.status).toBe(503);
        expect(ready.body).toMatchObject({ ready: false });
        expect((await call(`${unmigrated.url}/healthz`)).status).toBe(200);
      } finally {
        await unmigrated.close();
      }
    } finally {
      await fresh.drop();
      other.cleanup();
    }
  });

  it('the real process: migrates on start, logs JSON, and on SIGTERM finishes the request in flight before exiting 0', async () => {
    const proc = spawn(process.execPath, [launcher, 'server', '--insecure-loopback', '--port', '0'], {
      env: { ...process.env, CAVRA_HOME: home.home, ...databaseEnv(database) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start: ${stdout}`)), 60_000);
      proc.stdout.on('data', () => {
        const match = /"msg":"listening","url":"([^"]+)"/.exec(stdout);
        if (match) {
          clearTimeout(timer);
          resolve(match[1] as string);
        }
      });
    });
    // A large batch is in flight when SIGTERM arrives: it is answered (and committed), then the process exits.
    const records = Array.from({ length: 500 }, (_, i) => ({
      originSeq: i,
      type: 'config_change',
      payload: { change: 'test.sigterm', by: 'test', before: null, after: i },
    }));
    const inFlight = call(`${url}/v1/ledger/batches`, {
      headers: { authorization: `Bearer ${agentToken}` },
      body: { records },
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    proc.kill('SIGTERM');
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(await exited).toBe(0);
    const logged = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged.map((entry) => entry.msg)).toEqual(expect.arrayContaining(['listening', 'request', 'stopped']));
    expect(stdout).not.toContain(String(database.app.password));
    // After the stop nothing listens.
    await expect(call(`${url}/healthz`)).rejects.toThrow();
  }, 120_000);

  it('maps ContractError codes to HTTP statuses in one table', async () => {
    const { statusFor } = await import('./http');
    expect(statusFor(new ContractError('forbidden', 'x').code)).toBe(403);
    expect(statusFor('unavailable')).toBe(503);
  });
});
