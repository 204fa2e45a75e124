// Helpers for `cavra server` tests: database URLs from a test database, and an HTTPS client
// that trusts the test certificate (Node's fetch cannot be given a CA per call).
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { signingKeyConfig } from '../../core/server/signing-key';
import type { TestDatabase } from './postgres-cluster';

export function databaseUrl(config: TestDatabase['app']): string {
  const user = encodeURIComponent(String(config.user));
  const password = encodeURIComponent(String(config.password));
  return `postgres://${user}:${password}@${config.host}:${config.port}/${config.database}`;
}

/** A fixed evidence signing key for test servers (32 bytes, base64): every replica of a test gets the same. */
export const TEST_SIGNING_KEY = Buffer.alloc(32, 7).toString('base64');
/** The signing key source of an in-process test control plane (`startControlPlane({ signingKey })`). */
export const testEvidenceKey = signingKeyConfig({ CAVRA_SIGNING_KEY: TEST_SIGNING_KEY });

/** The environment `cavra server` reads its database (and its evidence signing key) from. */
export function databaseEnv(database: TestDatabase, withOwner = true): Record<string, string> {
  return {
    CAVRA_DATABASE_URL: databaseUrl(database.app),
    ...(withOwner ? { CAVRA_DATABASE_OWNER_URL: databaseUrl(database.owner) } : {}),
    CAVRA_SIGNING_KEY: TEST_SIGNING_KEY,
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

export interface ServerProcess {
  url: string;
  proc: ChildProcess;
  output: () => string;
  /** SIGTERM and wait for the exit (a no-op once it has exited). */
  stop: () => Promise<void>;
}

/** A real `cavra server` process (the built launcher), resolved once it logs "listening". */
export async function startServerProcess(options: {
  launcher: string;
  home: string;
  env: Record<string, string>;
  tls?: { certFile: string; keyFile: string };
}): Promise<ServerProcess> {
  const { spawn } = await import('node:child_process');
  const args = options.tls
    ? [
        'server',
        '--tls-cert',
        options.tls.certFile,
        '--tls-key',
        options.tls.keyFile,
        '--host',
        '127.0.0.1',
        '--port',
        '0',
      ]
    : ['server', '--insecure-loopback', '--port', '0'];
  const proc = spawn(process.execPath, [options.launcher, ...args], {
    env: { ...process.env, CAVRA_HOME: options.home, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cavra server did not start:\n${output.slice(-2000)}`)), 90_000);
    const look = () => {
      const match = /"msg":"listening","url":"([^"]+)"/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    proc.stdout?.on('data', look);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`cavra server exited (${code}) before listening:\n${output.slice(-2000)}`));
    });
  });
  return {
    url,
    proc,
    output: () => output,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}
