import { parseArgs } from 'node:util';
import type { SignedIn } from '../../core/contract';
import { createCore } from '../../core/service';
import type { CoreService } from '../../core/service';
import { defaultHome } from '../../core/store';
import type { CliIO, Command } from '../io';
import { UsageError, jsonText } from '../io';
import { withCore } from '../session';
import { forgetSession, readSessions, rememberSession } from '../sign-in';
import { browserRedirect } from '../browser-redirect';

/** How long `cavra login` waits for the browser to come back. */
const LOGIN_WAIT_MS = 5 * 60_000;

async function call<T>(core: CoreService, op: string, input: unknown): Promise<T> {
  const response = await core.invoke(null, { op, tenant: null, input });
  if (!response.ok) throw new Error(response.error.message);
  return response.value as T;
}

/**
 * RFC 8252 sign-in for the CLI: the IdP's redirect comes back to a one-shot loopback listener;
 * the core checks it (state, PKCE, nonce, ID token) and opens the session.
 */
export async function oidcLogin(
  core: CoreService,
  tenant: string,
  io: CliIO,
  browser: boolean | ((authorizationUrl: string) => Promise<void>),
): Promise<SignedIn> {
  let flowId = '';
  return browserRedirect(io, {
    browser,
    waitMs: LOGIN_WAIT_MS,
    purpose: `sign in to ${tenant}`,
    done: { title: 'Signed in to CAVRA', text: `You are signed in to ${tenant}. You can close this window.` },
    begin: async (redirectUri) => {
      const begun = await call<{ flowId: string; authorizationUrl: string }>(core, 'session.begin', {
        tenant,
        redirectUri,
      });
      flowId = begun.flowId;
      return begun;
    },
    complete: (callbackUrl) => call<SignedIn>(core, 'session.complete', { flowId, callbackUrl }),
  });
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
    const { values } = parseArgs({
      args,
      options: { tenant: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
    });
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
