import { DEFAULT_RETRY } from '../contract';
import type { Outbox } from '../outbox';
import type { Handler } from '../contract';
import type { ConnectorService } from './service';

type Names =
  | 'connectors.list'
  | 'connectors.save'
  | 'connectors.remove'
  | 'connectors.secret.set'
  | 'connectors.secret.clear'
  | 'connectors.test'
  | 'deliveries.list'
  | 'deliveries.retry';

export function connectorHandlers(
  connectors: ConnectorService,
  outbox: Outbox,
  changed: (tenant: string) => void,
): { [K in Names]: Handler<K> } {
  const after = async <T>(tenant: string, work: Promise<T>): Promise<T> => {
    const result = await work;
    changed(tenant);
    return result;
  };
  return {
    'connectors.list': async (ctx) => ({ connectors: await connectors.list(ctx.tenant) }),
    'connectors.save': (ctx, input) => after(ctx.tenant, connectors.save(ctx.tenant, input, ctx.principal.id)),
    'connectors.remove': async (ctx, input) => ({
      removed: await after(ctx.tenant, connectors.remove(ctx.tenant, input.id, ctx.principal.id)),
    }),
    'connectors.secret.set': (ctx, input) =>
      after(ctx.tenant, connectors.setSecret(ctx.tenant, input.id, input.slot, input.value, ctx.principal.id)),
    'connectors.secret.clear': (ctx, input) =>
      after(ctx.tenant, connectors.clearSecret(ctx.tenant, input.id, input.slot, ctx.principal.id)),
    'connectors.test': (ctx, input) =>
      after(ctx.tenant, connectors.test(ctx.tenant, input.id, input.to, ctx.principal.id)),
    'deliveries.list': async (ctx, input) => ({ deliveries: await outbox.list(ctx.tenant, input) }),
    'deliveries.retry': async (ctx, input) => {
      const current = await outbox.get(ctx.tenant, input.id);
      const connector = current ? await connectors.get(ctx.tenant, current.connectorId).catch(() => null) : null;
      return outbox.retry(ctx.tenant, input.id, ctx.principal.id, (connector?.retry ?? DEFAULT_RETRY).maxAttempts);
    },
  };
}
