import { ContractError } from '../contract';
import type { Handler } from '../service';
import type { McpRegistry } from './mcp-trust';

function tenantOf(tenant: string | null): string {
  if (tenant === null) throw new ContractError('invalid_input', 'tenant: this operation needs a tenant', 'tenant');
  return tenant;
}

export function mcpTrustHandlers(registry: McpRegistry): {
  'mcp.trust.list': Handler<'mcp.trust.list'>;
  'mcp.trust.set': Handler<'mcp.trust.set'>;
  'mcp.trust.remove': Handler<'mcp.trust.remove'>;
} {
  return {
    'mcp.trust.list': (ctx) => ({ servers: registry.list(tenantOf(ctx.tenant)) }),
    'mcp.trust.set': (ctx, input) =>
      registry.trust(tenantOf(ctx.tenant), input.server, input.tools ?? null, ctx.principal.id),
    'mcp.trust.remove': async (ctx, input) => ({
      removed: await registry.untrust(tenantOf(ctx.tenant), input.server, ctx.principal.id),
    }),
  };
}
