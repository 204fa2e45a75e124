import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CliIO } from './io';

/** Opens the system browser where there is a desktop to open it on; false when there is none. */
export function openBrowser(url: string, env: NodeJS.ProcessEnv): boolean {
  const command =
    process.platform === 'darwin'
      ? 'open'
      : process.platform === 'win32'
        ? 'explorer'
        : env.DISPLAY || env.WAYLAND_DISPLAY
          ? 'xdg-open'
          : null;
  if (!command) return false;
  try {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}

const page = (title: string, text: string) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font-family:sans-serif;max-width:40em;margin:4em auto"><h1>${title}</h1><p>${text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')}</p></body>`;

/**
 * An RFC 8252 round trip through the system browser: a one-shot loopback listener on an
 * ephemeral port receives the IdP's redirect, which `complete` checks. The URL is opened in
 * the browser, or printed when there is none (`browser: false`, no desktop).
 */
export async function browserRedirect<T>(
  io: CliIO,
  options: {
    /** Open the system browser; or drive a headless one (`cavra trial run`), which ends at the callback or fails. */
    browser: boolean | ((authorizationUrl: string) => Promise<void>);
    waitMs: number;
    /** What the person is doing, for the prompt: "sign in to acme". */
    purpose: string;
    done: { title: string; text: string };
    begin(redirectUri: string): Promise<{ authorizationUrl: string }>;
    complete(callbackUrl: string): Promise<T>;
  },
): Promise<T> {
  let settle: (value: { ok: T } | Error) => void = () => undefined;
  const outcome = new Promise<{ ok: T } | Error>((resolve) => (settle = resolve));
  let begun = false;
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    if (url.pathname !== '/callback' || request.method !== 'GET' || !begun) {
      response.writeHead(404).end();
      return;
    }
    void options.complete(url.href).then(
      (value) => {
        response
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
          .end(page(options.done.title, options.done.text));
        settle({ ok: value });
      },
      (error: Error) => {
        response
          .writeHead(400, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
          .end(page('Failed', error.message));
        settle(error);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const timer = setTimeout(
    () => settle(new Error(`nothing came back from the browser within ${Math.round(options.waitMs / 60_000)} minutes`)),
    options.waitMs,
  );
  try {
    const { authorizationUrl } = await options.begin(`http://127.0.0.1:${port}/callback`);
    begun = true;
    const drive = options.browser;
    if (typeof drive === 'function') {
      drive(authorizationUrl).catch((error: unknown) =>
        settle(error instanceof Error ? error : new Error(String(error))),
      );
      const result = await outcome;
      if (result instanceof Error) throw result;
      return result.ok;
    }
    const opened = drive && openBrowser(authorizationUrl, io.env);
    io.stdout(
      opened
        ? `Opening your browser to ${options.purpose}. If it does not open, visit:\n  ${authorizationUrl}\n`
        : `Open this URL in a browser to ${options.purpose}:\n  ${authorizationUrl}\n`,
    );
    const result = await outcome;
    if (result instanceof Error) throw result;
    return result.ok;
  } finally {
    clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
