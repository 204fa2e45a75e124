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
