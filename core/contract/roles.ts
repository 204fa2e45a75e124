import { z } from 'zod';

/** Tenant roles (SPEC §7). Each operation declares which of these may call it. */
export const roles = [
  'evaluator',
  'security_reviewer',
  'operator',
  'compliance',
  'executive',
  'report_recipient',
  'tenant_admin',
  'break_glass',
] as const;
export const roleSchema = z.enum(roles);
export type Role = z.infer<typeof roleSchema>;

/** Every tenant role: for operations any member of the tenant may call. */
export const anyTenantRole: readonly Role[] = roles;
