import { ContractError } from '../contract';
import type { EvidenceLedgers } from '../evidence';
import { recordThenApply } from '../evidence';
import type { Handler, HandlerDeps } from './handlers';

export function tenantHandlers(
  deps: HandlerDeps,
  ledgers: EvidenceLedgers,
): {
  'tenants.list': Handler<'tenants.list'>;
  'tenants.create': Handler<'tenants.create'>;
  'tenants.keys.provision': Handler<'tenants.keys.provision'>;
} {
  return {
    'tenants.keys.provision': (ctx) => {
      // Checked before the record, so a refused request leaves no record of a change.
      if (deps.tenants.signingPublicKey(ctx.tenant)) {
        throw new ContractError('conflict', `Tenant "${ctx.tenant}" already has an evidence signing key`);
      }
      const keychain = deps.tenants.keychain();
      if (!keychain.available) {
        throw new ContractError(
          'unavailable',
          `No OS keychain to keep the key in: ${keychain.reason}. ${keychain.advice}`,
        );
      }
      return recordThenApply(
        ledgers.ledger(ctx.tenant),
        { type: 'config_change', payload: { change: 'tenants.keys.provision', by: ctx.principal.id } },
        () => deps.tenants.provisionSigningKey(ctx.tenant),
      );
    },
    'tenants.list': (ctx) => ({ tenants: deps.tenants.listFor(ctx.principal.id) }),
    'tenants.create': async (ctx, input) => {
      const tenant = await deps.tenants.createTenant(
        { id: input.id, displayName: input.displayName, kind: 'evaluation' },
        ctx.principal,
      );
      deps.events.emit('tenants.changed', tenant.id, { tenantId: tenant.id, change: 'created' });
      return tenant;
    },
  };
}
