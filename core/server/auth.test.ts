// `cavra server` authentication (issue 12): people's OIDC bearer tokens from a real IdP
// (oidc-provider on loopback), validated against the tenant's JWKS; forged tokens that differ
// from a good one in one respect each; machines' credentials; tenants kept apart on every
// route and on the event stream.
import fs from 'node:fs';
import path from 'node:path';
import * as jose from 'jose';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../service';
import { localEvaluationPrincipal } from '../identity';
import { normalizeAction } from '../normalize';
import { requireKeychain } from '../gate/testing';
import { startTestIdp, testSigningKey } from '../../test/support/oidc-idp';
import type { TestIdp } from '../../test/support/oidc-idp';
import { createTestDatabase, testCluster } from '../../test/support/postgres';
import type { TestDatabase } from '../../test/support/postgres';
import { tempHome } from '../../test/support/temp-home';
import { call, databaseEnv, idTokenFrom, testEvidenceKey } from '../../test/support/control-plane';
import { EVENTS_PATH, INVOKE_PATH, LEDGER_BATCH_PATH, databaseConfig, startControlPlane } from './index';
import type { ControlPlane } from './index';
import { issueSharedCredential } from '../../test/support/machine-credentials';

const cluster = testCluster();
const users = {
  alice: { name: 'Alice Reviewer', email: 'alice@acme.example', groups: ['secops'] },
  bob: { name: 'Bob Admin', email: 'bob@acme.example', groups: ['platform-admins'] },
  carol: { name: 'Carol Nobody', email: 'carol@acme.example', groups: ['marketing'] },
};

describe.skipIf(cluster === null)('cavra server authentication', () => {
  let idp: TestIdp;
  let otherIdp: TestIdp;
  let key: jose.JWK;
  let database: TestDatabase;
  let home: { home: string; cleanup: () => void };
  let plane: ControlPlane;
  let agentToken: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    requireKeychain();
    key = await testSigningKey();
    idp = await startTestIdp(users, { privateJwk: key });
    otherIdp = await startTestIdp(users);
    database = await createTestDatabase(cluster!);
    home = tempHome('cavra-server-auth-');
    const core = createCore({ home: home.home, shell: 'test', log: () => undefined });
    const sso = (issuer: string) => ({ issuer, client_id: idp.clientId, scopes: ['profile', 'email', 'groups'] });
    // acme and globex trust the same IdP (one person can be a member of both); initech its own.
    for (const [id, issuer] of [
      ['acme', idp.issuer],
      ['globex', idp.issuer],
      ['initech', otherIdp.issuer],
    ] as const) {
      expect(
        (
          await core.invoke(localEvaluationPrincipal, {
            op: 'tenants.create',
            tenant: null,
            input: { id, displayName: id },
          })
        ).ok,
      ).toBe(true);
      const updated = await core.invoke(localEvaluationPrincipal, {
        op: 'tenants.profile.update',
        tenant: id,
        input: {
          sso: sso(issuer),
          role_mappings: [
            { group: 'secops', roles: ['security_reviewer'] },
            { group: 'platform-admins', roles: ['tenant_admin'] },
          ],
        },
      });
      expect(updated.ok).toBe(true);
    }
    agentToken = (await issueSharedCredential(database, 'acme', 'laptop-a', { uid: 1000, name: 'dev' })).token;
    await core.close();
    plane = await startControlPlane({
      signingKey: testEvidenceKey,
      home: home.home,
      database: databaseConfig(databaseEnv(database)),
      tls: 'insecure-loopback',
      log: () => undefined,
    });
    tokens.alice = await idTokenFrom(idp, 'alice');
    tokens.bob = await idTokenFrom(idp, 'bob');
    tokens.carol = await idTokenFrom(idp, 'carol');
  }, 120_000);

  afterAll(async () => {
    await plane?.close();
    await idp?.close();
    await otherIdp?.close();
    await database?.drop();
    home?.cleanup();
  });

  const invoke = (
    token: string | null,
    tenant: string,
    request: { op: string; tenant: string | null; input: unknown },
  ) =>
    call(`${plane.url}${INVOKE_PATH}`, {
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'cavra-tenant': tenant },
      body: request,
    });

  /** A token signed like the IdP's (same kid) with one claim changed, or with another key. */
  async function forged(claims: Record<string, unknown>, signingKey: jose.JWK = key): Promise<string> {
    const good = jose.decodeJwt(tokens.alice as string);
    const now = Math.floor(Date.now() / 1000);
    return new jose.SignJWT({ ...good, iat: now, exp: now + 600, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid as string })
      .sign(await jose.importJWK(signingKey, 'RS256'));
  }

  it('a real ID token from the tenant’s IdP: the person acts with the roles their groups map to, through the one guard', async () => {
    const status = await invoke(tokens.alice as string, 'acme', { op: 'evidence.status', tenant: 'acme', input: {} });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ ok: true, value: { size: expect.any(Number) } });
    // security_reviewer may read the profile, not change it: the guard's role check, as over IPC.
    const change = await invoke(tokens.alice as string, 'acme', {
      op: 'tenants.profile.update',
      tenant: 'acme',
      input: { contacts: [] },
    });
    expect(change).toMatchObject({ status: 403, body: { ok: false, error: { code: 'forbidden' } } });
    expect((change.body as { error: { message: string } }).error.message).toMatch(/needs one of these roles/);
  });

  it.each([
    ['missing', async () => null, 401, /Missing credentials/],
    ['wrong issuer', async () => forged({ iss: 'http://127.0.0.1:1/evil' }), 401, /wrong issuer/],
    ['wrong audience', async () => forged({ aud: 'another-client' }), 401, /wrong audience/],
    ['expired', async () => forged({ iat: 1_700_000_000, exp: 1_700_000_600 }), 401, /expired/],
    ['wrong key (same kid)', async () => forged({}, await testSigningKey()), 401, /wrong key/],
    ['no subject', async () => forged({ sub: undefined }), 401, /sub/],
    [
      'unsigned (alg none)',
      async () =>
        `${jose.base64url.encode('{"alg":"none"}')}.${jose.base64url.encode(JSON.stringify(jose.decodeJwt(tokens.alice as string)))}.`,
      401,
      /./,
    ],
    ['no mapped group', async () => tokens.carol as string, 403, /none of your groups/],
  ])('refuses a %s token with a clear {code, message}', async (_case, token, status, message) => {
    const answer = await invoke(await token(), 'acme', { op: 'evidence.status', tenant: 'acme', input: {} });
    expect(answer.status).toBe(status);
    const error = (answer.body as { ok: boolean; error: { code: string; message: string } }).error;
    expect(error.code).toBe(status === 401 ? 'unauthenticated' : 'forbidden');
    expect(error.message).toMatch(message);
    expect(answer.text).not.toContain(tokens.alice);
  });

  it('the forged control: the same claims signed with the IdP’s own key pass (the refusals above are for their one difference)', async () => {
    const answer = await invoke(await forged({}), 'acme', { op: 'evidence.status', tenant: 'acme', input: {} });
    expect(answer.status).toBe(200);
  });

  it('cross-tenant: another tenant’s IdP rejects the token; a token for one tenant cannot act in another', async () => {
    // initech trusts another IdP: acme's token fails its checks.
    const elsewhere = await invoke(tokens.alice as string, 'initech', {
      op: 'evidence.status',
      tenant: 'initech',
      input: {},
    });
    expect(elsewhere).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
    expect((elsewhere.body as { error: { message: string } }).error.message).toMatch(/signature|issuer/);
    // Authenticated for acme, asking for globex's data in the envelope: refused before the core.
    const smuggled = await invoke(tokens.alice as string, 'acme', {
      op: 'evidence.status',
      tenant: 'globex',
      input: {},
    });
    expect(smuggled).toMatchObject({ status: 403, body: { error: { code: 'forbidden', field: 'tenant' } } });
    // A tenant that does not exist, and the server's sign-in operations, are refused too.
    expect(
      (await invoke(tokens.alice as string, 'nosuch', { op: 'evidence.status', tenant: 'nosuch', input: {} })).status,
    ).toBe(401);
    expect(
      (await invoke(tokens.alice as string, 'acme', { op: 'session.local', tenant: null, input: {} })).status,
    ).toBe(403);
  });

  it('refuses what would read or run files on the server: a path a remote caller names is one on the server', async () => {
    const asked = [
      { op: 'evidence.bundle.verify', input: { path: '/etc' } },
      { op: 'offline.verify', input: { path: '/root' } },
      { op: 'readiness.packet.verify', input: { path: '/var/lib' } },
      { op: 'trial.workflow.run', input: {} },
      // Compiling a sandbox profile reads the workspace: its real path, .git and git remotes.
      { op: 'containment.profile', input: { cwd: '/root' } },
    ];
    for (const { op, input } of asked) {
      const answer = await invoke(tokens.alice as string, 'acme', { op, tenant: 'acme', input });
      expect(answer, op).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
      expect((answer.body as { error: { message: string } }).error.message, op).toMatch(/on your own machine/);
    }
    // Control: the same caller is allowed what only reads the tenant's records on the server.
    expect(
      (await invoke(tokens.alice as string, 'acme', { op: 'evidence.status', tenant: 'acme', input: {} })).status,
    ).toBe(200);
  });

  it('judges a remote caller’s action from its text alone: no glob listed, tree walked, link read or branch probed on the server', async () => {
    // The server's own secrets, reachable from the paths a reviewer may name: a glob, a
    // recursive reader, a symlink, `..`, a git checkout whose branch the normalizer would read.
    const root = fs.mkdtempSync(path.join(home.home, '..', 'server-side-'));
    try {
      fs.mkdirSync(path.join(root, 'vault'));
      fs.writeFileSync(path.join(root, 'vault', 'prod-signing-7f3a.key'), 'PRIVATE');
      fs.mkdirSync(path.join(root, 'public'));
      fs.symlinkSync(path.join(root, 'vault'), path.join(root, 'public', 'shortcut'));
      fs.mkdirSync(path.join(root, 'repo', '.git'), { recursive: true });
      fs.writeFileSync(path.join(root, 'repo', '.git', 'HEAD'), 'ref: refs/heads/release-hotfix-9c2e\n');
      const secrets = /prod-signing-7f3a|release-hotfix-9c2e/;
      const command = (cwd: string, text: string) => ({ type: 'execute_command', cwd, command: text });
      const asked = [
        command(path.join(root, 'vault'), 'cat *.key'),
        command(path.join(root, 'vault'), 'grep -r PRIVATE .'),
        command(path.join(root, 'public'), 'cat ../vault/*'),
        command(path.join(root, 'public'), 'cat shortcut/*'),
        { type: 'read_file', cwd: path.join(root, 'public'), path: 'shortcut' },
        { type: 'git_operation', cwd: path.join(root, 'repo'), git: { args: ['push', 'origin', 'HEAD'] } },
        command(path.join(root, 'repo'), 'git push --force'),
      ];

      // Control: judged against this machine's files, the same actions name the secrets, so
      // the probe and the pattern below would catch a server that looked.
      const looked = asked.map((action) => JSON.stringify(normalizeAction(action as never)));
      expect(looked.filter((text) => secrets.test(text)).length).toBeGreaterThanOrEqual(4);

      const touched: string[] = [];
      const probed = [
        'lstatSync',
        'statSync',
        'realpathSync',
        'readlinkSync',
        'readdirSync',
        'openSync',
        'existsSync',
        'readFileSync',
      ] as const;
      const originals = probed.map((name) => [name, fs[name]] as const);
      for (const [name, original] of originals) {
        const watched = function (this: unknown, ...args: unknown[]) {
          if (String(args[0]).startsWith(root)) touched.push(`${name} ${String(args[0])}`);
          return (original as (...a: unknown[]) => unknown).apply(this, args);
        };
        (fs as unknown as Record<string, unknown>)[name] = Object.assign(watched, original);
      }
      try {
        for (const op of ['policy.simulate', 'policy.evaluate']) {
          for (const action of asked) {
            const answer = await invoke(tokens.alice as string, 'acme', { op, tenant: 'acme', input: { action } });
            expect(answer.status, `${op} ${answer.text}`).toBe(200);
            expect(answer.text, `${op} ${JSON.stringify(action)}`).not.toMatch(secrets);
          }
        }
      } finally {
        for (const [name, original] of originals) (fs as unknown as Record<string, unknown>)[name] = original;
      }
      expect(touched).toEqual([]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('a machine appends evidence for its own tenant and never decides or reads the console contract', async () => {
    const batch = await call(`${plane.url}${LEDGER_BATCH_PATH}`, {
      headers: { authorization: `Bearer ${agentToken}` },
      body: {
        records: [
          { originSeq: 0, type: 'config_change', payload: { change: 'auth.test', by: 'gate', before: null, after: 1 } },
        ],
      },
    });
    expect(batch).toMatchObject({
      status: 200,
      body: { ok: true, value: { receipts: [{ originSeq: 0, seq: 0, duplicate: false }] } },
    });
    const decide = await call(`${plane.url}${INVOKE_PATH}`, {
      headers: { authorization: `Bearer ${agentToken}` },
      body: { op: 'approvals.decide', tenant: 'acme', input: { id: 'apr_x', verdict: 'approve' } },
    });
    expect(decide).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect((decide.body as { error: { message: string } }).error.message).toMatch(/governed never governs|Agents/);
    const read = await call(`${plane.url}${INVOKE_PATH}`, {
      headers: { authorization: `Bearer ${agentToken}` },
      body: { op: 'evidence.status', tenant: 'acme', input: {} },
    });
    expect(read.status).toBe(403);
    // People do not post to the machines' ingest.
    const person = await call(`${plane.url}${LEDGER_BATCH_PATH}`, {
      headers: { authorization: `Bearer ${tokens.bob}`, 'cavra-tenant': 'acme' },
      body: {
        records: [{ originSeq: 0, type: 'config_change', payload: { change: 'x', by: 'x', before: null, after: 1 } }],
      },
    });
    expect(person.status).toBe(403);
  });

  it('events over WebSocket: authenticated at the upgrade, and a subscriber sees only its tenant’s events', async () => {
    const ws = (url: string, headers: Record<string, string>) => new WebSocket(url, { headers });
    const wsUrl = `${plane.url.replace('http:', 'ws:')}${EVENTS_PATH}`;
    // No token, a machine: refused at the upgrade with the error envelope's status.
    const refusedStatus = (socket: WebSocket) =>
      new Promise<number>((resolve) => socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(await refusedStatus(ws(wsUrl, { 'cavra-tenant': 'acme' }))).toBe(401);
    expect(await refusedStatus(ws(wsUrl, { authorization: `Bearer ${agentToken}` }))).toBe(403);

    // Bob is tenant_admin of acme and of globex (same IdP, same groups): his acme stream must not
    // carry globex's events, though the core would let him see both.
    expect(
      (await invoke(tokens.bob as string, 'globex', { op: 'tenants.profile.get', tenant: 'globex', input: {} })).status,
    ).toBe(200);
    const received: { event: string; tenant: string | null }[] = [];
    const socket = ws(wsUrl, { authorization: `Bearer ${tokens.bob}`, 'cavra-tenant': 'acme' });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.on('message', (data) => received.push(JSON.parse(String(data)) as { event: string; tenant: string | null }));
    const contacts = [{ role: 'security_owner', name: 'Sec Owner', email: 'sec@example.com' }];
    const inGlobex = await invoke(tokens.bob as string, 'globex', {
      op: 'tenants.profile.update',
      tenant: 'globex',
      input: { contacts },
    });
    expect(inGlobex.status, inGlobex.text).toBe(200);
    const inAcme = await invoke(tokens.bob as string, 'acme', {
      op: 'tenants.profile.update',
      tenant: 'acme',
      input: { contacts },
    });
    expect(inAcme.status, inAcme.text).toBe(200);
    await expect.poll(() => received.some((event) => event.tenant === 'acme'), { timeout: 10_000 }).toBe(true);
    expect(received.filter((event) => event.tenant !== 'acme')).toEqual([]);
    socket.close();
  });
});
