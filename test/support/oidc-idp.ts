// A real OpenID Provider for tests (oidc-provider on 127.0.0.1, an ephemeral port): users in
// different groups, a native public client with PKCE and loopback redirects (RFC 8252), refresh
// tokens, and a plain sign-in page that Playwright or an HTTP client can drive. Started and
// stopped by the tests; never a fixed port.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as jose from 'jose';
import Provider from 'oidc-provider';
import type { ResponseEnvelope, SignedIn } from '../../core/contract';
import { signInOverHttp } from './idp-sign-in';

export interface IdpUser {
  name: string;
  email: string;
  groups: string[];
}

export interface TestIdp {
  issuer: string;
  clientId: string;
  /** The IdP's signing key, so a test can forge tokens that only differ in one claim. */
  privateJwk: jose.JWK;
  close(): Promise<void>;
}

export const TEST_CLIENT_ID = 'cavra-console';

/** A signing key shared by several test IdPs (a token from one verifies against another's JWKS). */
export async function testSigningKey(): Promise<jose.JWK> {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  return {
    ...(await jose.exportJWK(privateKey)),
    kid: `test-${crypto.randomUUID().slice(0, 8)}`,
    alg: 'RS256',
    use: 'sig',
  };
}

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startTestIdp(
  users: Record<string, IdpUser>,
  options: { privateJwk?: jose.JWK; idTokenTtlSeconds?: number } = {},
): Promise<TestIdp> {
  const privateJwk = options.privateJwk ?? (await testSigningKey());
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: TEST_CLIENT_ID,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        redirect_uris: ['http://127.0.0.1/callback', 'http://127.0.0.1/auth/callback'],
        post_logout_redirect_uris: ['http://127.0.0.1/signed-out'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [privateJwk as never] },
    claims: { openid: ['sub'], profile: ['name'], email: ['email'], groups: ['groups'] },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
    // Put the claims of the granted scopes into the ID token, where CAVRA reads the groups.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
    pkce: { required: () => true },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      IdToken: options.idTokenTtlSeconds ?? 3600,
      AccessToken: 3600,
      Grant: 3600,
      Session: 3600,
      Interaction: 600,
    },
    cookies: { keys: [crypto.randomBytes(16).toString('hex')] },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, id) => {
      const user = users[id];
      if (!user) return undefined;
      return {
        accountId: id,
        claims: () => ({ sub: id, name: user.name, email: user.email, groups: user.groups }),
      };
    },
  });
  const callback = provider.callback();
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(req.url ?? '');
    if (!match) {
      callback(req, res);
      return;
    }
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        if (req.method === 'GET') {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          res.end(
            `<!doctype html><html lang="en"><title>Test IdP sign-in</title><main><h1>Test IdP</h1>` +
              `<form method="post" action="/interaction/${escape(details.uid)}/login">` +
              `<label for="login">Username</label> <input id="login" name="login" autocomplete="username">` +
              ` <button type="submit">Sign in</button></form></main></html>`,
          );
          return;
        }
        let body = '';
        for await (const chunk of req) body += String(chunk);
        const login = new URLSearchParams(body).get('login') ?? '';
        if (!users[login]) {
          res.writeHead(401, { 'content-type': 'text/plain' });
          res.end('unknown user');
          return;
        }
        const grant = new provider.Grant({ accountId: login, clientId: String(details.params.client_id) });
        grant.addOIDCScope(String(details.params.scope));
        const grantId = await grant.save();
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: login }, consent: { grantId } },
          { mergeWithLastSubmission: false },
        );
      } catch (error) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(error instanceof Error ? error.message : String(error));
      }
    })();
  });
  return {
    issuer,
    clientId: TEST_CLIENT_ID,
    privateJwk,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// The browser side lives apart, so a headless browser script can load it without the provider.
export { signInOverHttp };

/** What a core answers to; LocalCoreService and the test cores both are. */
interface Invoking {
  invoke(principal: null, request: { op: string; tenant: null; input: unknown }): Promise<ResponseEnvelope>;
}

/**
 * `user` signs in to `core` for `tenant` at the test IdP, as a console's sign-in does
 * (session.begin, the IdP's form over HTTP, session.complete). Throws with the core's message.
 */
export async function signInToCore(
  core: Invoking,
  tenant: string,
  user: string,
  redirectUri: string,
): Promise<SignedIn> {
  const begun = await core.invoke(null, { op: 'session.begin', tenant: null, input: { tenant, redirectUri } });
  if (!begun.ok) throw new Error(begun.error.message);
  const flow = begun.value as { flowId: string; authorizationUrl: string };
  const callbackUrl = await signInOverHttp(flow.authorizationUrl, user);
  const done = await core.invoke(null, {
    op: 'session.complete',
    tenant: null,
    input: { flowId: flow.flowId, callbackUrl },
  });
  if (!done.ok) throw new Error(done.error.message);
  return done.value as SignedIn;
}
