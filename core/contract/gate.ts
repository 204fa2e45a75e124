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

const agentLabelSchema = z
  .string({ error: 'is required and must be a string' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$/, 'must be 1–64 letters, digits, spaces, ".", "_", "@" or "-"');
const agentCredentialIdSchema = z
  .string({ error: 'is required and must be a string' })
  .regex(/^agt[0-9a-f]{16}$/, 'must be an agent credential id (agt followed by 16 hex digits)');

/** An agent principal's credential as the console shows it: who it acts as, never its secret. */
export const agentCredentialSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  label: z.string(),
  owner: z.object({ uid: z.number().int(), name: z.string() }),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
});
export type AgentCredentialView = z.infer<typeof agentCredentialSchema>;

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

  'agents.enroll': defineOperation({
    description:
      "Enrol an agent principal in this tenant: a credential for this install's adapters, bound to the tenant and registered to the OS user the core runs as. The secret is returned once and never stored (only its hash). Recorded as a config_change first.",
    scope: 'tenant',
    roles: ['tenant_admin', 'operator'],
    mutates: true,
    configuration: true,
    authority: true,
    input: z.object({ label: agentLabelSchema }).strict(),
    output: agentCredentialSchema.extend({
      /** The adapter credential (`agt…_…`): shown once, written by the CLI to a 0600 file. */
      token: z.string(),
    }),
  }),
  'agents.list': defineOperation({
    description: "This tenant's agent credentials (never their secrets), revoked ones included.",
    scope: 'tenant',
    roles: ['tenant_admin', 'operator', 'security_reviewer'],
    input: z.object({}).strict(),
    output: z.object({ agents: z.array(agentCredentialSchema) }),
  }),
  'agents.revoke': defineOperation({
    description:
      'Revoke an agent credential of this tenant: its adapters are refused from the next decision on. Recorded as a config_change first.',
    scope: 'tenant',
    roles: ['tenant_admin', 'operator'],
    mutates: true,
    configuration: true,
    authority: true,
    input: z.object({ credentialId: agentCredentialIdSchema }).strict(),
    output: z.object({ revoked: z.boolean() }),
  }),
} as const;
