import { z } from 'zod';
import { actionSchema, actionTypeSchema, ACTION_LIMITS } from './action';
import { decisionKindSchema, decisionSchema, enforcementModeSchema, severitySchema } from './decision';
import { defineEvent, defineOperation } from './define';
import { anyTenantRole } from './roles';

const packIdSchema = z.string({ error: 'is required and must be a string' }).min(1, 'is required').max(128);
const repositorySchema = z
  .string()
  .min(1)
  .max(ACTION_LIMITS.identifier)
  .nullable()
  .optional()
  .describe("Narrow to one repository (the action's `repository`); omitted or null: the whole tenant.");

export const packSummarySchema = z.object({
  id: z.string(),
  version: z.string(),
  description: z.string(),
  mode: enforcementModeSchema,
  source: z.enum(['builtin', 'imported']),
  origin: z.string(),
  sha256: z.string(),
  ruleCount: z.number().int(),
  testCount: z.number().int(),
  tests: z.object({
    status: z.enum(['passed', 'failed', 'none']),
    passed: z.number().int(),
    failed: z.number().int(),
  }),
  /** Repositories the pack is assigned to; null stands for the whole tenant. */
  assignments: z.array(z.string().nullable()),
  signedBy: z.string().nullable(),
  activatedAt: z.string(),
  /** A newer candidate that was rejected while this version stayed active: file:line:column: key: message. */
  loadError: z.string().nullable(),
});
export type PackSummary = z.infer<typeof packSummarySchema>;

export const ruleViewSchema = z.object({
  id: z.string(),
  description: z.string().nullable(),
  subject: z.enum(['command', 'path', 'git', 'mcp']),
  actions: z.array(actionTypeSchema),
  decision: decisionKindSchema,
  severity: severitySchema,
  reason: z.string(),
  approvalRoute: z.string().nullable(),
  /** Each condition in words, e.g. `commands: terraform apply, tofu apply`. */
  conditions: z.array(z.string()),
});

const approvalRouteViewSchema = z.object({
  name: z.string(),
  approvers: z.array(z.string()),
  requiredApprovals: z.number().int(),
  expiresAfter: z.string(),
  requireReason: z.boolean(),
  allowReuse: z.boolean(),
});

const testResultSchema = z.object({
  name: z.string(),
  expect: z.string(),
  got: z.string(),
  decidedBy: z.string().nullable(),
  ok: z.boolean(),
  message: z.string(),
});

export const packTestReportSchema = z.object({
  packId: z.string(),
  version: z.string(),
  passed: z.number().int(),
  failed: z.number().int(),
  results: z.array(testResultSchema),
});

/** The normalized form of an action (core/normalize/types.ts), as the simulator shows it. */
export const normalizedViewSchema = z.object({
  type: actionTypeSchema,
  workspace: z.string().nullable(),
  target: z.string(),
  commands: z.array(
    z.object({
      program: z.string(),
      args: z.array(z.string()),
      assignments: z.record(z.string(), z.string()),
      wrappers: z.array(z.string()),
      depth: z.number().int(),
      dynamic: z.boolean(),
      text: z.string(),
    }),
  ),
  paths: z.array(
    z.object({
      absolute: z.string(),
      relative: z.string().nullable(),
      outsideWorkspace: z.boolean(),
      access: z.enum(['read', 'write']),
      source: z.enum(['action', 'command', 'mcp']),
      via: z.string().nullable(),
    }),
  ),
  git: z.array(
    z.object({
      subcommand: z.string(),
      config: z.record(z.string(), z.string()),
      args: z.array(z.string()),
      push: z
        .object({
          remote: z.string().nullable(),
          refs: z.array(
            z.object({ src: z.string().nullable(), dst: z.string(), force: z.boolean(), delete: z.boolean() }),
          ),
          force: z.boolean(),
          forceWithLease: z.boolean(),
          mirror: z.boolean(),
          all: z.boolean(),
          tags: z.boolean(),
          delete: z.boolean(),
        })
        .nullable(),
    }),
  ),
  mcp: z.object({ server: z.string(), tool: z.string(), arguments: z.record(z.string(), z.unknown()) }).nullable(),
  problems: z.array(z.object({ code: z.string(), message: z.string() })),
});

const policySettingsSchema = z.object({
  mode: enforcementModeSchema,
  defaultDecision: decisionKindSchema,
  requireSignedPacks: z.boolean(),
  signingKeys: z.array(z.object({ id: z.string(), publicKey: z.string() })),
});

const conversionNoteSchema = z.object({ key: z.string(), message: z.string() });

const packAdmins = ['tenant_admin', 'operator'] as const;

export const policyOperations = {
  'policy.packs.list': defineOperation({
    description:
      "The tenant's packs: version, rule and test counts, test status, mode, assignments, rejected candidates.",
    scope: 'tenant',
    roles: anyTenantRole,
    input: z.object({}).strict(),
    output: z.object({
      packs: z.array(packSummarySchema),
      /** Built-in pack files that were rejected and have no good version active. */
      rejected: z.array(z.string()),
    }),
  }),
  'policy.pack.get': defineOperation({
    description: 'One pack for the rule browser: its rules, routes, defaults, tests and YAML.',
    scope: 'tenant',
    roles: anyTenantRole,
    input: z.object({ packId: packIdSchema }).strict(),
    output: z.object({
      pack: packSummarySchema,
      rules: z.array(ruleViewSchema),
      defaults: z
        .object({ decision: decisionKindSchema, severity: severitySchema, reason: z.string().nullable() })
        .nullable(),
      protectedBranches: z.array(z.string()),
      trustedMcpServers: z.array(z.string()),
      approvalRoutes: z.array(approvalRouteViewSchema),
      tests: z.array(z.object({ name: z.string(), expect: z.string(), rule: z.string().nullable() })),
      yaml: z.string(),
    }),
  }),
  'policy.simulate': defineOperation({
    description: 'Judge an action without recording it: the decision, every matching rule and the normalized form.',
    scope: 'tenant',
    roles: anyTenantRole,
    input: z.object({ action: actionSchema }).strict(),
    output: z.object({ decision: decisionSchema, normalized: normalizedViewSchema }),
  }),
  'policy.evaluate': defineOperation({
    description: 'Judge an action and record the decision as evidence (the gate and `cavra evaluate`).',
    scope: 'tenant',
    roles: anyTenantRole,
    input: z.object({ action: actionSchema }).strict(),
    output: decisionSchema,
  }),
  'policy.assign': defineOperation({
    description: 'Assign a pack to the tenant or one repository. A pack whose own tests fail is refused.',
    scope: 'tenant',
    roles: packAdmins,
    mutates: true,
    configuration: true,
    authority: true,
    input: z.object({ packId: packIdSchema, repository: repositorySchema }).strict(),
    output: z.object({ changed: z.boolean(), pack: packSummarySchema }),
  }),
  'policy.unassign': defineOperation({
    description: 'Remove a pack from the tenant or one repository.',
    scope: 'tenant',
    roles: packAdmins,
    mutates: true,
    configuration: true,
    authority: true,
    input: z.object({ packId: packIdSchema, repository: repositorySchema }).strict(),
    output: z.object({ changed: z.boolean(), pack: packSummarySchema }),
  }),
  'policy.test': defineOperation({
    description: "Run a pack's own tests through the normalizer and the pack alone.",
    scope: 'tenant',
    roles: anyTenantRole,
    input: z.object({ packId: packIdSchema }).strict(),
    output: packTestReportSchema,
  }),
  'policy.pack.import': defineOperation({
    description:
      'Import a native or Community-Edition pack. Refused with a positioned error when invalid, failing its tests or unsigned where signatures are required; the active version then stays.',
    scope: 'tenant',
    roles: packAdmins,
    mutates: true,
    configuration: true,
    authority: true,
    input: z
      .object({
        yaml: z
          .string()
          .min(1, 'is required')
          .max(4 * 1024 * 1024),
        signature: z.string().max(200).nullable().optional().describe('Base64 detached Ed25519 signature of `yaml`.'),
      })
      .strict(),
    output: z.object({
      pack: packSummarySchema,
      /** Community-Edition settings that have no native equivalent. */
      unconverted: z.array(conversionNoteSchema),
      notes: z.array(conversionNoteSchema),
      replacedVersion: z.string().nullable(),
    }),
  }),
  'policy.reload': defineOperation({
    description: 'Re-read the built-in pack files; a file that became invalid leaves its last good version active.',
    scope: 'tenant',
    roles: packAdmins,
    mutates: true,
    configuration: true,
    authority: true,
    input: z.object({}).strict(),
    output: z.object({ errors: z.array(z.string()) }),
  }),
  'policy.settings.get': defineOperation({
    description: "The tenant's policy settings: mode, default decision, signed-pack requirement and signing keys.",
    scope: 'tenant',
    roles: anyTenantRole,
    input: z.object({}).strict(),
    output: policySettingsSchema,
  }),
  'policy.settings.update': defineOperation({
    description: "Change the tenant's policy settings; omitted fields stay.",
    scope: 'tenant',
    roles: ['tenant_admin'],
    mutates: true,
    configuration: true,
    authority: true,
    input: z
      .object({
        mode: enforcementModeSchema.optional(),
        defaultDecision: z.enum(['warn', 'require_approval', 'deny']).optional(),
        requireSignedPacks: z.boolean().optional(),
        signingKeys: z
          .array(z.object({ id: z.string().min(1).max(128), publicKey: z.string().min(1).max(4096) }).strict())
          .max(50)
          .optional(),
      })
      .strict(),
    output: policySettingsSchema,
  }),
} as const;

export const policyEvents = {
  'policy.changed': defineEvent({
    description: "A tenant's packs, assignments or policy settings changed.",
    roles: anyTenantRole,
    payload: z.object({
      tenantId: z.string(),
      change: z.enum(['assigned', 'unassigned', 'imported', 'reloaded', 'settings']),
      packId: z.string().nullable(),
      repository: z.string().nullable(),
    }),
  }),
} as const;
