import { z } from 'zod';
import { principalSchema } from './identity';
import { tenantSchema } from './tenants';
import { defineOperation } from './define';

export const shellKinds = ['desktop', 'browser', 'cli', 'test'] as const;

export const systemOperations = {
  'system.info': defineOperation({
    description: 'Version, data directory, the calling principal and their tenants.',
    scope: 'install',
    input: z.object({}).strict(),
    output: z.object({
      product: z.string(),
      version: z.string(),
      dataDir: z.string(),
      shell: z.enum(shellKinds),
      platform: z.string(),
      principal: principalSchema,
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
} as const;
