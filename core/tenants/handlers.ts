import type { Handler } from '../contract';
import type { OnboardingDeps } from './onboarding';
import { identityBlockers, onboardTenant, tenantStatus, updateProfile } from './onboarding';

/** Tenant onboarding and the tenant record (SPEC §7, the Tenant Onboarding contract). */
export function onboardingHandlers(
  deps: OnboardingDeps,
  changed: (tenant: string) => void,
): {
  'tenants.onboard': Handler<'tenants.onboard'>;
  'tenants.profile.get': Handler<'tenants.profile.get'>;
  'tenants.profile.update': Handler<'tenants.profile.update'>;
  'tenants.status': Handler<'tenants.status'>;
  'tenants.members': Handler<'tenants.members'>;
  'identity.blockers': Handler<'identity.blockers'>;
} {
  return {
    'tenants.onboard': async (ctx, input) => {
      const result = await onboardTenant(input.document, ctx.principal, deps, input.dryRun ?? false);
      if (result.tenant) changed(result.tenant.id);
      return result;
    },
    'tenants.profile.get': (ctx) => deps.profiles.get(ctx.tenant),
    'tenants.profile.update': async (ctx, input) => {
      const profile = await updateProfile(ctx.tenant, input, ctx.principal, deps);
      changed(ctx.tenant);
      return profile;
    },
    'tenants.status': (ctx) => tenantStatus(ctx.tenant, deps),
    'tenants.members': (ctx) => ({ members: deps.tenants.members(ctx.tenant) }),
    'identity.blockers': async (ctx) => ({ blockers: await identityBlockers(ctx.tenant, deps) }),
  };
}
