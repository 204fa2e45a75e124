import os from 'node:os';
import { probeGate } from '../gate';
import type { Handler, HandlerDeps } from './handlers';

export const PRODUCT_NAME = 'CAVRA Enterprise';

export function systemHandlers(deps: HandlerDeps): { 'system.info': Handler<'system.info'> } {
  return {
    'system.info': async (ctx) => ({
      product: PRODUCT_NAME,
      version: deps.version,
      dataDir: deps.tenants.home,
      shell: deps.shell,
      platform: `${os.platform()}-${os.arch()}`,
      principal: ctx.principal,
      defaultTenant: deps.tenants.defaultTenant(),
      tenants: deps.tenants.listFor(ctx.principal.id),
      gate: await probeGate(deps.tenants.home),
    }),
  };
}
