import fs from 'node:fs/promises';
import path from 'node:path';
import { APP_HOST } from './origin';

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/**
 * Serves the built renderer on app://console/ instead of file:// (HOUSE rule 4): only files
 * inside `rendererDir`, only GET, with the CSP on every response.
 */
export function createAppProtocolHandler(rendererDir: string): (request: Request) => Promise<Response> {
  const root = path.resolve(rendererDir);
  const deny = (status: number) =>
    new Response(null, { status, headers: { 'content-security-policy': CONTENT_SECURITY_POLICY } });
  return async (request) => {
    if (request.method !== 'GET') return deny(405);
    const url = new URL(request.url);
    if (url.host !== APP_HOST) return deny(404);
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return deny(400);
    }
    const file = path.resolve(root, `.${pathname === '/' ? '/index.html' : pathname}`);
    if (!file.startsWith(root + path.sep)) return deny(404);
    try {
      const body = await fs.readFile(file);
      return new Response(body, {
        status: 200,
        headers: {
          'content-type': contentTypes[path.extname(file)] ?? 'application/octet-stream',
          'content-security-policy': CONTENT_SECURITY_POLICY,
          'x-content-type-options': 'nosniff',
        },
      });
    } catch {
      return deny(404);
    }
  };
}
