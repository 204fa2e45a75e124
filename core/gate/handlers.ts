import type { Handler } from '../contract';
import type { McpRegistry } from './mcp-trust';

export function mcpTrustHandlers(registry: McpRegistry): {
  'mcp.trust.list': Handler<'mcp.trust.list'>;
  'mcp.trust.set': Handler<'mcp.trust.set'>;
  'mcp.trust.remove': Handler<'mcp.trust.remove'>;
} {
  return {
    'mcp.trust.list': (ctx) => ({ servers: registry.list(ctx.tenant) }),
    'mcp.trust.set': (ctx, input) => registry.trust(ctx.tenant, input.server, input.tools ?? null, ctx.principal.id),
    'mcp.trust.remove': async (ctx, input) => ({
      removed: await registry.untrust(ctx.tenant, input.server, ctx.principal.id),
    }),
  };
}
