import { z } from 'zod';
import { ACTION_LIMITS } from './action';
import { defineOperation } from './define';
import { anyTenantRole } from './roles';

/**
 * Containment (issue 10): how a tenant's commands are contained. `sandbox` (the default)
 * runs every allowed or approved command inside the OS sandbox its packs compile to, and
 * runs nothing when the sandbox cannot start. `judgement_only` is an explicit, recorded
 * choice to run commands uncontained; it is always reported as the weaker posture.
 */
export const containmentEnforcementSchema = z.enum(['sandbox', 'judgement_only']);
export type ContainmentEnforcement = z.infer<typeof containmentEnforcementSchema>;

export const containmentSettingsSchema = z.object({
  enforcement: containmentEnforcementSchema,
  /** `contained` for sandbox; `weaker` when commands run on judgement alone. */
  posture: z.enum(['contained', 'weaker']),
  /** Why judgement-only mode was chosen (required to choose it). */
  reason: z.string().nullable(),
  changedAt: z.string().nullable(),
  changedBy: z.string().nullable(),
});
export type ContainmentSettingsView = z.infer<typeof containmentSettingsSchema>;

export const containmentProfileViewSchema = z.object({
  enforcement: containmentEnforcementSchema,
  /** SHA-256 of the profile's canonical JSON, as decision records carry it. */
  digest: z.string(),
  workspace: z.string(),
  packs: z.array(z.object({ id: z.string(), version: z.string() })),
  denyRead: z.array(z.string()),
  exceptRead: z.array(z.string()),
  denyWrite: z.array(z.string()),
  writeAllow: z.array(z.string()),
  /** Hosts reachable through the filtering proxy; empty: no network. */
  hosts: z.array(z.string()),
  environmentRemove: z.array(z.string()),
  environmentKeep: z.array(z.string()),
  /** The compiled profile itself, exactly as a runner receives it (core/containment/runner). */
  profile: z.record(z.string(), z.unknown()),
});
export type ContainmentProfileView = z.infer<typeof containmentProfileViewSchema>;

export const containmentOperations = {
  'containment.settings.get': defineOperation({
    description: "How the tenant's commands are contained: in the sandbox, or on judgement alone (weaker).",
    scope: 'tenant',
    roles: anyTenantRole,
    input: z.object({}).strict(),
    output: containmentSettingsSchema,
  }),
  'containment.settings.set': defineOperation({
    description:
      'Choose sandbox containment or judgement-only mode (weaker; a reason is required). Recorded as a config_change first.',
    scope: 'tenant',
    roles: ['tenant_admin', 'security_reviewer'],
    mutates: true,
    configuration: true,
    authority: true,
    input: z
      .object({
        enforcement: containmentEnforcementSchema,
        reason: z.string().trim().min(1, 'is required').max(1000).optional(),
      })
      .strict()
      .superRefine((value, ctx) => {
        if (value.enforcement === 'judgement_only' && !value.reason) {
          ctx.addIssue({
            code: 'custom',
            path: ['reason'],
            message: 'is required to run commands without containment (say why; it is recorded)',
          });
        }
      }),
    output: containmentSettingsSchema,
  }),
  'containment.profile': defineOperation({
    description: "The sandbox profile the tenant's packs compile to for a workspace, with its digest.",
    scope: 'tenant',
    roles: anyTenantRole,
    // Compiling reads the workspace (its real path, .git, the git remotes): on the server that
    // would be the server's directory at the caller's path.
    machineLocal: true,
    input: z
      .object({
        cwd: z
          .string({ error: 'is required and must be a string' })
          .min(1, 'is required')
          .max(ACTION_LIMITS.path)
          .refine((value) => value.startsWith('/'), 'must be an absolute path'),
        repository: z.string().min(1).max(ACTION_LIMITS.identifier).optional(),
      })
      .strict(),
    output: containmentProfileViewSchema,
  }),
} as const;
