import type { Handler, shellKinds } from '../contract';
import type { TenantDirectory, TenantProfileRepository } from '../tenants';
import type { IdentityService } from './sessions';

/** The sign-in operations (open to callers who have not signed in yet). */
export function sessionHandlers(
  identity: IdentityService,
  tenants: TenantDirectory,
  profiles: TenantProfileRepository,
  shell: (typeof shellKinds)[number],
): {
  'session.status': Handler<'session.status'>;
  'session.begin': Handler<'session.begin'>;
  'session.complete': Handler<'session.complete'>;
  'session.resume': Handler<'session.resume'>;
  'session.logout': Handler<'session.logout'>;
  'session.local': Handler<'session.local'>;
} {
  return {
    'session.status': async (ctx) => {
      const ssoTenants: { id: string; displayName: string }[] = [];
      for (const tenant of tenants.all()) {
        if ((await profiles.get(tenant.id)).sso) ssoTenants.push({ id: tenant.id, displayName: tenant.displayName });
      }
      return {
        principal: ctx.principal ?? null,
        ssoTenants,
        localEvaluation: tenants.defaultTenant() !== null,
        shell,
      };
    },
    'session.begin': (_ctx, input) => identity.begin(input.tenant, input.redirectUri, input.test ?? false),
    'session.complete': (_ctx, input) => identity.complete(input.flowId, input.callbackUrl),
    'session.resume': (_ctx, input) => identity.resume(input.sessionId),
    'session.logout': (_ctx, input) => identity.logout(input.sessionId),
    'session.local': async (_ctx, input) => {
      const tenant = input.tenant ?? tenants.defaultTenant();
      if (!tenant) throw new Error('no default tenant');
      return identity.localSignIn(tenant);
    },
  };
}
