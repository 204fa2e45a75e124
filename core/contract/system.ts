import { z } from 'zod';
import { principalSchema } from './identity';
import { tenantSchema } from './tenants';
import { defineOperation } from './define';
import { buildChannelSchema } from './license';

export const shellKinds = ['desktop', 'browser', 'cli', 'test'] as const;

export const healthStatusSchema = z.enum(['ok', 'warn', 'fail']);
export type HealthStatus = z.infer<typeof healthStatusSchema>;

export const healthReportSchema = z.object({
  /** The worst status of any check. */
  status: healthStatusSchema,
  checkedAt: z.string(),
  checks: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      status: healthStatusSchema,
      message: z.string(),
      /** How to fix it; null when there is nothing to fix. */
      fix: z.string().nullable(),
    }),
  ),
});
export type HealthReportView = z.infer<typeof healthReportSchema>;

export const systemOperations = {
  'system.info': defineOperation({
    description: 'Version, data directory, the calling principal and their tenants.',
    scope: 'install',
    input: z.object({}).strict(),
    output: z.object({
      product: z.string(),
      version: z.string(),
      /** A `demo` build also trusts the demo license key; the console labels it everywhere. */
      build: z.object({ channel: buildChannelSchema }),
      dataDir: z.string(),
      shell: z.enum(shellKinds),
      platform: z.string(),
      principal: principalSchema,
      /** Install-wide roles of the caller (creating and onboarding tenants needs install_admin). */
      installRoles: z.array(z.string()),
      defaultTenant: z.string().nullable(),
      tenants: z.array(tenantSchema),
      /** The runtime gate for this data directory, as probed now. */
      gate: z.object({
        running: z.boolean(),
        socketPath: z.string(),
        httpUrl: z.string().nullable(),
        pid: z.number().int().nullable(),
      }),
    }),
  }),
  'system.health': defineOperation({
    description:
      'Whether this install can enforce: independent checks (keychain, signing keys, gate, hook placement and port, sandbox, Node), each ok, warn or fail with how to fix it.',
    machineLocal: true,
    scope: 'install',
    input: z
      .object({
        /** Project directories whose Claude Code settings to inspect (absolute paths). */
        projects: z.array(z.string().min(1).max(4096).regex(/^\//, 'must be an absolute path')).max(20).optional(),
      })
      .strict(),
    output: healthReportSchema,
  }),
} as const;
