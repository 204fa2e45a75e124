import { z } from 'zod';
import { defineOperation } from './define';
import { anyTenantRole } from './roles';

const serverNameSchema = z
  .string({ error: 'is required and must be a string' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be 1–128 letters, digits, ".", "_" or "-"');

export const mcpTrustEntrySchema = z.object({
  server: z.string(),
  /** The only tools the server may be called for; null: every tool. */
  tools: z.array(z.string()).nullable(),
  trustedAt: z.string(),
  trustedBy: z.string(),
});
export type McpTrustEntryView = z.infer<typeof mcpTrustEntrySchema>;

/** The MCP trust registry (issue 5): unknown servers are denied; a server may be limited to listed tools. */
export const gateOperations = {
  'mcp.trust.list': defineOperation({
    description: 'MCP servers this tenant trusts, with the tools each is limited to.',
    scope: 'tenant',
    roles: anyTenantRole,
    input: z.object({}).strict(),
    output: z.object({ servers: z.array(mcpTrustEntrySchema) }),
  }),
  'mcp.trust.set': defineOperation({
    description: 'Trust an MCP server, optionally only for listed tools. Recorded as a config_change first.',
    scope: 'tenant',
    roles: ['tenant_admin', 'security_reviewer'],
    mutates: true,
    configuration: true,
    authority: true,
    input: z
      .object({
        server: serverNameSchema,
        tools: z.array(z.string().min(1).max(128)).min(1).max(500).nullable().optional(),
      })
      .strict(),
    output: mcpTrustEntrySchema,
  }),
  'mcp.trust.remove': defineOperation({
    description: 'Stop trusting an MCP server; calls to it are then denied as unknown.',
    scope: 'tenant',
    roles: ['tenant_admin', 'security_reviewer'],
    mutates: true,
    configuration: true,
    authority: true,
    input: z.object({ server: serverNameSchema }).strict(),
    output: z.object({ removed: z.boolean() }),
  }),
} as const;
