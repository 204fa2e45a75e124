import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import type { SignedIn } from '../../core/contract';
import { createCore } from '../../core/service';
import type { CoreService } from '../../core/service';
import { defaultHome } from '../../core/store';
import type { CliIO, Command } from '../io';
import { UsageError, jsonText } from '../io';
import { withCore } from '../session';
import { forgetSession, readSessions, rememberSession } from '../sign-in';

/** How long `cavra login` waits for the browser to come back. */
const LOGIN_WAIT_MS = 5 * 60_000;

async function call<T>(core: CoreService, op: string, input: unknown): Promise<T> {
  const response = await core.invoke(null, { op, tenant: null, input });
  if (!response.ok) throw new Error(response.error.message);
  return response.value as T;
}

/** Opens the system browser where there is a desktop to open it on; false when there is none. */
function openBrowser(url: string, env: NodeJS.ProcessEnv): boolean {
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
 * RFC 8252 sign-in for the CLI: a one-shot loopback listener on an ephemeral port receives the
 * IdP's redirect; the core checks it (state, PKCE, nonce, ID token) and opens the session.
 */
export async function oidcLogin(
  core: CoreService,
  tenant: string,
  io: CliIO,
  browser: boolean | ((authorizationUrl: string) => Promise<void>),
): Promise<SignedIn> {
  let settle: (value: SignedIn | Error) => void = () => undefined;
  const outcome = new Promise<SignedIn | Error>((resolve) => (settle = resolve));
  let flowId = '';
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    if (url.pathname !== '/callback' || request.method !== 'GET') {
      response.writeHead(404).end();
      return;
    }
    void call<SignedIn>(core, 'session.complete', { flowId, callbackUrl: url.href }).then(
      (signedIn) => {
        response
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
          .end(page('Signed in to CAVRA', `You are signed in to ${tenant}. You can close this window.`));
        settle(signedIn);
      },
      (error: Error) => {
        response
          .writeHead(400, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
          .end(page('Sign-in failed', error.message));
        settle(error);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const timer = setTimeout(() => settle(new Error(`no sign-in within ${LOGIN_WAIT_MS / 60_000} minutes`)), LOGIN_WAIT_MS);
  try {
    const begun = await call<{ flowId: string; authorizationUrl: string }>(core, 'session.begin', {
      tenant,
      redirectUri: `http://127.0.0.1:${port}/callback`,
    });
    flowId = begun.flowId;
    if (typeof browser === 'function') {
      // A headless browser (`cavra trial run`): it ends at the callback, or fails.
      browser(begun.authorizationUrl).catch((error: unknown) =>
        settle(error instanceof Error ? error : new Error(String(error))),
      );
      const result = await outcome;
      if (result instanceof Error) throw result;
      return result;
    }
    const opened = browser && openBrowser(begun.authorizationUrl, io.env);
    io.stdout(
      opened
        ? `Opening your browser to sign in to ${tenant}. If it does not open, visit:\n  ${begun.authorizationUrl}\n`
        : `Open this URL in a browser to sign in to ${tenant}:\n  ${begun.authorizationUrl}\n`,
    );
    const result = await outcome;
    if (result instanceof Error) throw result;
    return result;
  } finally {
    clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export const loginCommand: Command = {
  name: 'login',
  summary: "Sign in at a tenant's IdP (or as the labelled local evaluator); state-changing commands need it",
  usage: 'cavra login --tenant T [--no-browser] [--json] | cavra login --local-evaluation [--tenant T]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        tenant: { type: 'string' },
        'local-evaluation': { type: 'boolean' },
        'no-browser': { type: 'boolean' },
        json: { type: 'boolean' },
      },
      strict: true,
    });
    const home = defaultHome(io.env);
    const core = createCore({ home, shell: 'cli', log: (message) => io.stderr(`cavra: ${message}\n`) });
    try {
      let signedIn: SignedIn;
      if (values['local-evaluation']) {
        signedIn = await call<SignedIn>(core, 'session.local', values.tenant ? { tenant: values.tenant } : {});
      } else {
        if (!values.tenant) {
          throw new UsageError('--tenant is required (or --local-evaluation to act as the local evaluator)');
        }
        signedIn = await oidcLogin(core, values.tenant, io, !values['no-browser']);
      }
      rememberSession(home, signedIn.tenant, signedIn.sessionId);
      const { sessionId: _secret, ...shown } = signedIn;
      void _secret;
      io.stdout(
        values.json
          ? jsonText(shown)
          : `Signed in to ${signedIn.tenant} as ${signedIn.principal.displayName} (${signedIn.principal.kind}); roles: ${signedIn.roles.join(', ') || 'none'}\n`,
      );
      return 0;
    } finally {
      await core.close();
    }
  },
};

export const logoutCommand: Command = {
  name: 'logout',
  summary: 'End your sign-in for a tenant (its tokens are removed from the keychain)',
  usage: 'cavra logout [--tenant T]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: { tenant: { type: 'string' } }, strict: true });
    const home = defaultHome(io.env);
    const tenant = values.tenant ?? readSessions(home).current;
    if (!tenant) {
      io.stdout('Not signed in.\n');
      return 0;
    }
    const sessionId = forgetSession(home, tenant);
    if (!sessionId) {
      io.stdout(`Not signed in to ${tenant}.\n`);
      return 0;
    }
    const core = createCore({ home, shell: 'cli', log: (message) => io.stderr(`cavra: ${message}\n`) });
    try {
      const { endSessionUrl } = await call<{ endSessionUrl: string | null }>(core, 'session.logout', { sessionId });
      io.stdout(
        `Signed out of ${tenant}.${endSessionUrl ? `\nTo end the IdP session too, open:\n  ${endSessionUrl}` : ''}\n`,
      );
      return 0;
    } finally {
      await core.close();
    }
  },
};

export const whoamiCommand: Command = {
  name: 'whoami',
  summary: 'Who the CLI acts as, and with which roles in which tenants',
  usage: 'cavra whoami [--tenant T] [--json]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: { tenant: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
    return withCore(
      io,
      async (client) => {
        const info = await client.call('system.info', {});
        if (values.json) {
          io.stdout(jsonText({ principal: info.principal, tenants: info.tenants }));
          return 0;
        }
        const signed = info.principal.session ? 'signed in' : 'not signed in: reads only';
        io.stdout(`${info.principal.displayName} (${info.principal.kind}, ${signed})\n`);
        for (const tenant of info.tenants) io.stdout(`  ${tenant.id}: ${tenant.roles.join(', ')}\n`);
        return 0;
      },
      {},
      values.tenant,
    );
  },
};
