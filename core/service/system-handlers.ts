import os from 'node:os';
import { probeGate } from '../gate';
import { claudeManagedDir, runHealthChecks } from '../health';
import { buildChannel } from '../license';
import type { Handler, HandlerDeps } from './handlers';

export const PRODUCT_NAME = 'CAVRA Enterprise';

export function systemHandlers(deps: HandlerDeps): {
  'system.info': Handler<'system.info'>;
  'system.health': Handler<'system.health'>;
} {
  return {
    'system.health': async (ctx, input) => {
      const report = await runHealthChecks({
        home: deps.tenants.home,
        userHome: os.homedir(),
        projects: input.projects ?? [],
        // The same override `cavra hook install --managed` honours (tests point it at a temp root).
        claudeManagedDir: process.env.CAVRA_CLAUDE_MANAGED_DIR || claudeManagedDir(),
        // Only the tenants the caller may see: health must not list another tenant's state.
        tenants: () =>
          deps.tenants
            .listFor(ctx.principal.id)
            .map((tenant) => ({ id: tenant.id, signingKey: deps.tenants.signingKeyStatus(tenant.id) })),
        keychain: () => {
          const probe = deps.tenants.keychain();
          return probe.available
            ? { available: true }
            : { available: false, reason: probe.reason, advice: probe.advice ?? '' };
        },
      });
      return { ...report, checkedAt: new Date().toISOString() };
    },
    'system.info': async (ctx) => ({
      product: PRODUCT_NAME,
      version: deps.version,
      build: { channel: buildChannel },
      dataDir: deps.tenants.home,
      shell: deps.shell,
      platform: `${os.platform()}-${os.arch()}`,
      principal: ctx.principal,
      installRoles: deps.tenants.installRoles(ctx.principal.id),
      defaultTenant: deps.tenants.defaultTenant(),
      tenants: deps.tenants.listFor(ctx.principal.id),
      gate: await probeGate(deps.tenants.home),
    }),
  };
}
