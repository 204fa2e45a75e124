import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import * as jose from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Principal, SignedIn } from '../contract';
import { createCore } from '../service';
import type { LocalCoreService } from '../service';
import { requireKeychain } from '../gate/testing';
import { tempHome } from '../../test/support/temp-home';
import { signInOverHttp, startTestIdp, testSigningKey } from '../../test/support/oidc-idp';
import type { TestIdp } from '../../test/support/oidc-idp';
import { localEvaluationPrincipal } from './principals';

// Issue 11, acceptance 1 (the HTTP-driven half): a real OpenID Provider on 127.0.0.1, the real
// authorization code + PKCE flow with a loopback redirect, and an attacker on the wire between
// the core and the IdP's token endpoint who swaps in ID tokens that differ in one respect each.
const TENANT = 'acme';
const users = {
  alice: { name: 'Alice Reviewer', email: 'alice@acme.example', groups: ['secops'] },
  bob: { name: 'Bob Admin', email: 'bob@acme.example', groups: ['platform-admins', 'secops'] },
  carol: { name: 'Carol Nobody', email: 'carol@acme.example', groups: ['marketing'] },
};

type IdTokenSwap = (idToken: string) => Promise<string>;
let swap: IdTokenSwap | null = null;

/** openid-client's fetch, with a network attacker on the token endpoint's answer when `swap` is set. */
const attackerFetch = async (url: string, options: RequestInit): Promise<Response> => {
  const response = await fetch(url, options);
  if (!swap || !url.endsWith('/token')) return response;
  const body = (await response.json()) as Record<string, unknown>;
  body.id_token = await swap(String(body.id_token));
  return new Response(JSON.stringify(body), { status: response.status, headers: response.headers });
};

describe('OIDC sign-in against a real IdP', () => {
  let idp: TestIdp;
  let core: LocalCoreService;
  let home: string;
  let cleanup: () => void;
  let key: jose.JWK;

  beforeAll(async () => {
    requireKeychain();
    key = await testSigningKey();
    idp = await startTestIdp(users, { privateJwk: key });
    const temp = tempHome('cavra-oidc-');
    home = temp.home;
    cleanup = temp.cleanup;
    core = createCore({ home, shell: 'test', log: () => undefined, oidc: { fetch: attackerFetch as never } });
    const created = await core.invoke(localEvaluationPrincipal, {
      op: 'tenants.create',
      tenant: null,
      input: { id: TENANT, displayName: 'Acme' },
    });
    expect(created.ok).toBe(true);
    const configured = await core.invoke(localEvaluationPrincipal, {
      op: 'tenants.profile.update',
      tenant: TENANT,
      input: {
        sso: { issuer: idp.issuer, client_id: idp.clientId, scopes: ['profile', 'email', 'groups', 'offline_access'] },
        role_mappings: [
          { group: 'secops', roles: ['security_reviewer'] },
          { group: 'platform-admins', roles: ['tenant_admin'] },
        ],
      },
    });
    expect(configured.ok).toBe(true);
  }, 60_000);
  afterAll(async () => {
    await core?.close();
    await idp?.close();
    cleanup?.();
  });
  beforeEach(() => {
    swap = null;
  });

  async function begin(): Promise<{ flowId: string; authorizationUrl: string }> {
    const begun = await core.invoke(null, {
      op: 'session.begin',
      tenant: null,
      input: { tenant: TENANT, redirectUri: 'http://127.0.0.1:49152/callback' },
    });
    if (!begun.ok) throw new Error(begun.error.message);
    return begun.value as { flowId: string; authorizationUrl: string };
  }

  async function signIn(user: string, callback: (url: string) => string = (url) => url) {
    const { flowId, authorizationUrl } = await begin();
    const returned = await signInOverHttp(authorizationUrl, user);
    return core.invoke(null, {
      op: 'session.complete',
      tenant: null,
      input: { flowId, callbackUrl: callback(returned) },
    });
  }

  /** The ID token's claims with some changed, signed again with the IdP's own key. */
  const forged =
    (change: (claims: jose.JWTPayload) => jose.JWTPayload): IdTokenSwap =>
    async (idToken) => {
      const claims = change(jose.decodeJwt(idToken));
      const privateKey = await jose.importJWK(key, 'RS256');
      return new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: key.kid }).sign(privateKey);
    };

  it('asks for code + PKCE (S256) with state and nonce, and redirects to the loopback address', async () => {
    const { authorizationUrl } = await begin();
    const url = new URL(authorizationUrl);
    expect(url.origin).toBe(idp.issuer);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('state')).toMatch(/^[\w-]{20,}$/);
    expect(url.searchParams.get('nonce')).toMatch(/^[\w-]{20,}$/);
    expect(url.searchParams.get('redirect_uri')).toBe('http://127.0.0.1:49152/callback');
  });

  it('signs in users with the roles their groups map to, records the login, keeps tokens out of SQLite', async () => {
    const alice = await signIn('alice');
    expect(alice).toMatchObject({
      ok: true,
      value: { tenant: TENANT, roles: ['security_reviewer'], groups: ['secops'] },
    });
    const bob = await signIn('bob');
    expect(bob).toMatchObject({ ok: true, value: { roles: ['security_reviewer', 'tenant_admin'] } });
    const signedIn = (alice.ok ? alice.value : null) as SignedIn;
    expect(signedIn.principal).toMatchObject({ kind: 'human', displayName: 'Alice Reviewer' });
    expect(signedIn.principal.session).toMatch(/^ses_/);

    // The principal acts with exactly its mapped roles.
    const reviewer = signedIn.principal as Principal;
    const list = await core.invoke(reviewer, { op: 'approvals.list', tenant: TENANT, input: {} });
    expect(list.ok).toBe(true);
    const admin = await core.invoke(reviewer, {
      op: 'tenants.profile.update',
      tenant: TENANT,
      input: { contacts: [] },
    });
    expect(admin).toMatchObject({ ok: false, error: { code: 'forbidden' } });

    const records = await core.invoke(localEvaluationPrincipal, {
      op: 'evidence.query',
      tenant: TENANT,
      input: { types: ['login', 'role_change'] },
    });
    const text = JSON.stringify(records);
    expect(text).toContain(`${reviewer.id} signed in`);
    expect(text).toContain(`roles of ${reviewer.id}: none → security_reviewer`);

    // Members seen so far.
    const members = await core.invoke(localEvaluationPrincipal, { op: 'tenants.members', tenant: TENANT, input: {} });
    expect(JSON.stringify(members)).toContain('Alice Reviewer');

    // No token, session id or code in any database file.
    const resumed = await core.invoke(null, {
      op: 'session.resume',
      tenant: null,
      input: { sessionId: signedIn.sessionId },
    });
    expect(resumed).toMatchObject({ ok: true, value: { principal: { id: reviewer.id } } });
    const files = [path.join(home, 'registry.sqlite'), path.join(home, 'tenants', TENANT, 'tenant.sqlite')];
    for (const file of files.flatMap((f) => [f, `${f}-wal`]).filter((f) => fs.existsSync(f))) {
      const bytes = fs.readFileSync(file).toString('latin1');
      expect(bytes.includes(signedIn.sessionId), file).toBe(false);
      expect(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}\./.test(bytes), `${file} holds a JWT`).toBe(false);
    }
  }, 60_000);

  it('refuses a user whose groups map to no role, and records the refusal', async () => {
    const carol = await signIn('carol');
    expect(carol).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    if (!carol.ok) expect(carol.error.message).toMatch(/none of your groups \(marketing\) maps to a role/);
  });

  const attacks: [string, () => IdTokenSwap, RegExp][] = [
    [
      'a tampered ID token (payload edited, signature kept)',
      () => async (idToken) => {
        const [header, payload, signature] = idToken.split('.');
        const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString()) as Record<string, unknown>;
        claims.groups = ['platform-admins'];
        return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
      },
      /signature does not verify.*tampered/,
    ],
    [
      'an ID token for another client (wrong audience)',
      () => forged((c) => ({ ...c, aud: 'another-app' })),
      /wrong audience/,
    ],
    [
      'an ID token from another issuer',
      () => forged((c) => ({ ...c, iss: 'http://127.0.0.1:9/evil' })),
      /wrong issuer/,
    ],
    [
      'an ID token of another sign-in (wrong nonce)',
      () => forged((c) => ({ ...c, nonce: 'replayed-nonce' })),
      /wrong nonce/,
    ],
    [
      'an expired ID token',
      () =>
        forged((c) => ({ ...c, iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 })),
      /expired/,
    ],
  ];
  it.each(attacks)('rejects %s with a clear message', async (_name, attack, message) => {
    swap = attack();
    const response = await signIn('bob');
    expect(response).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });
    if (!response.ok) expect(response.error.message).toMatch(message);
  });

  it('rejects a redirect whose state does not match the sign-in', async () => {
    const response = await signIn('bob', (url) => {
      const forgedUrl = new URL(url);
      forgedUrl.searchParams.set('state', 'attacker-state');
      return forgedUrl.href;
    });
    expect(response).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });
    if (!response.ok) expect(response.error.message).toMatch(/mismatched state/);
  });

  it('spends a sign-in once: the same redirect cannot be completed twice', async () => {
    const { flowId, authorizationUrl } = await begin();
    const returned = await signInOverHttp(authorizationUrl, 'alice');
    const first = await core.invoke(null, {
      op: 'session.complete',
      tenant: null,
      input: { flowId, callbackUrl: returned },
    });
    expect(first.ok).toBe(true);
    const again = await core.invoke(null, {
      op: 'session.complete',
      tenant: null,
      input: { flowId, callbackUrl: returned },
    });
    expect(again).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });
  });

  it('refreshes an expired session at the IdP, and logout ends it and removes its tokens', async () => {
    const signed = await signIn('alice');
    expect(signed.ok).toBe(true);
    const { sessionId, expiresAt } = (signed.ok ? signed.value : null) as SignedIn;
    // The ID token's expiry passes (the session row is back-dated: waiting an hour is no test).
    const registry = new Database(path.join(home, 'registry.sqlite'));
    registry.prepare(`UPDATE sessions SET expires_at = ?`).run(new Date(Date.now() - 1000).toISOString());
    registry.close();
    const resumed = await core.invoke(null, { op: 'session.resume', tenant: null, input: { sessionId } });
    expect(resumed).toMatchObject({ ok: true, value: { roles: ['security_reviewer'] } });
    const refreshedUntil = resumed.ok ? (resumed.value as SignedIn).expiresAt : '';
    expect(Date.parse(refreshedUntil)).toBeGreaterThan(Date.now());
    expect(Date.parse(refreshedUntil)).toBeGreaterThanOrEqual(Date.parse(expiresAt) - 5000);
    const out = await core.invoke(null, { op: 'session.logout', tenant: null, input: { sessionId } });
    expect(out).toMatchObject({ ok: true });
    if (out.ok) expect((out.value as { endSessionUrl: string | null }).endSessionUrl).toContain(idp.issuer);
    const after = await core.invoke(null, { op: 'session.resume', tenant: null, input: { sessionId } });
    expect(after).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });
  }, 60_000);
});
