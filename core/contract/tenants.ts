import { z } from 'zod';
import { anyTenantRole, roleSchema } from './roles';
import { defineEvent, defineOperation } from './define';

export const TENANT_ID_MAX = 63;
export const DISPLAY_NAME_MAX = 80;

/**
 * Tenant ids name a directory on disk and appear in evidence, so they are
 * DNS-label-like: lowercase letters, digits and single hyphens, starting with a letter.
 */
export const tenantIdSchema = z.string({ error: 'is required and must be a string' }).superRefine((value, ctx) => {
  const fail = (message: string) => ctx.addIssue({ code: 'custom', message });
  if (value.length === 0) return fail('is required');
  if (value.length > TENANT_ID_MAX) return fail(`must be at most ${TENANT_ID_MAX} characters`);
  if (/[/\\.:~]/.test(value) || value.includes('\0')) {
    return fail('must not contain path characters such as "/", "\\", "." or ":"');
  }
  if (value.length < 2) return fail('must be at least 2 characters');
  if (!/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/.test(value)) {
    return fail('may contain only lowercase letters, digits and single hyphens, and must start with a letter');
  }
});

export const displayNameSchema = z
  .string({ error: 'is required and must be a string' })
  .transform((value) => value.trim())
  .superRefine((value, ctx) => {
    const fail = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (value.length === 0) return fail('is required');
    if (value.length > DISPLAY_NAME_MAX) return fail(`must be at most ${DISPLAY_NAME_MAX} characters`);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(value)) return fail('must not contain control characters');
  });

export const tenantKindSchema = z.enum(['evaluation', 'production']);

export const tenantSchema = z.object({
  id: z.string(),
  displayName: z.string(),
  kind: tenantKindSchema,
  createdAt: z.string(),
  /** The caller's roles in this tenant. */
  roles: z.array(roleSchema),
});
export type Tenant = z.infer<typeof tenantSchema>;

export const tenantOperations = {
  'tenants.list': defineOperation({
    description: 'Tenants the caller belongs to.',
    scope: 'install',
    input: z.object({}).strict(),
    output: z.object({ tenants: z.array(tenantSchema) }),
  }),
  'tenants.create': defineOperation({
    description: 'Create a tenant with its own store; the caller becomes its administrator.',
    scope: 'install',
    mutates: true,
    authority: true,
    installRoles: ['install_admin'],
    input: z.object({ id: tenantIdSchema, displayName: displayNameSchema }).strict(),
    output: tenantSchema,
  }),
  'tenants.keys.provision': defineOperation({
    description:
      'Give a tenant created without a keychain its evidence signing key (private half in the OS keychain). Refused when it has one: checkpoints it signed would lose their verifier. Recorded first.',
    scope: 'tenant',
    roles: ['tenant_admin'],
    mutates: true,
    configuration: true,
    authority: true,
    input: z.object({}).strict(),
    output: z.object({ keyId: z.string() }),
  }),
} as const;

export const tenantEvents = {
  'tenants.changed': defineEvent({
    description: 'A tenant was created or changed.',
    roles: anyTenantRole,
    payload: z.object({ tenantId: z.string(), change: z.enum(['created', 'updated']) }),
  }),
} as const;
