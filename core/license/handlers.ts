import type { Handler } from '../contract';
import type { LicenseService } from './service';

type Names = 'license.status' | 'license.validate' | 'license.import' | 'license.revocations.import';

export function licenseHandlers(license: LicenseService): { [K in Names]: Handler<K> } {
  return {
    'license.status': (ctx) => license.entitlement(ctx.tenant),
    'license.validate': (ctx, input) => license.validate(ctx.tenant, input.document),
    'license.import': (ctx, input) => license.import(ctx.tenant, input.document, ctx.principal.id),
    'license.revocations.import': (ctx, input) =>
      license.importRevocations(ctx.tenant, input.document, ctx.principal.id),
  };
}
