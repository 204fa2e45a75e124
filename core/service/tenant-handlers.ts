import type { Handler, HandlerDeps } from './handlers';

export function tenantHandlers(deps: HandlerDeps): {
  'tenants.list': Handler<'tenants.list'>;
  'tenants.create': Handler<'tenants.create'>;
} {
  return {
    'tenants.list': (ctx) => ({ tenants: deps.tenants.listFor(ctx.principal.id) }),
    'tenants.create': (ctx, input) => {
      const tenant = deps.tenants.create(
        { id: input.id, displayName: input.displayName, kind: 'evaluation' },
        ctx.principal,
      );
      deps.events.emit('tenants.changed', tenant.id, { tenantId: tenant.id, change: 'created' });
      return tenant;
    },
  };
}
