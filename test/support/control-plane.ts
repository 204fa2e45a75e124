// Helpers for `cavra server` tests: database URLs from a test database, and an HTTPS client
// that trusts the test certificate (Node's fetch cannot be given a CA per call).
import http from 'node:http';
import https from 'node:https';
import type { TestDatabase } from './postgres-cluster';

export function databaseUrl(config: TestDatabase['app']): string {
  const user = encodeURIComponent(String(config.user));
  const password = encodeURIComponent(String(config.password));
  return `postgres://${user}:${password}@${config.host}:${config.port}/${config.database}`;
}

/** The environment `cavra server` reads its database from. */
export function databaseEnv(database: TestDatabase, withOwner = true): Record<string, string> {
  return {
    CAVRA_DATABASE_URL: databaseUrl(database.app),
    ...(withOwner ? { CAVRA_DATABASE_OWNER_URL: databaseUrl(database.owner) } : {}),
  };
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  text: string;
}

export function call(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown; ca?: string; agent?: http.Agent } = {},
): Promise<HttpAnswer> {
  const target = new URL(url);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      target,
      {
        method: options.method ?? (payload === undefined ? 'GET' : 'POST'),
        headers: {
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        ...(options.ca ? { ca: options.ca } : {}),
        ...(options.agent ? { agent: options.agent } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // Not JSON: the text is the body.
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * A real ID token from the test IdP for `username`, the way a client would get one: discovery,
 * authorization code with PKCE, the sign-in page driven over HTTP, the code exchanged.
 */
export async function idTokenFrom(idp: { issuer: string; clientId: string }, username: string): Promise<string> {
  const oidc = await import('openid-client');
  const { signInOverHttp } = await import('./idp-sign-in');
  const config = await oidc.discovery(
    new URL(idp.issuer),
    idp.clientId,
    { token_endpoint_auth_method: 'none' },
    oidc.None(),
    { execute: [oidc.allowInsecureRequests] },
  );
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: 'http://127.0.0.1/callback',
    scope: 'openid profile email groups',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const callback = await signInOverHttp(url.href, username);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    idTokenExpected: true,
  });
  return tokens.id_token as string;
}
