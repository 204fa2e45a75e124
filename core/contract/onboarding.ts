import { z } from 'zod';
import { defineOperation } from './define';
import { roleSchema } from './roles';
import { displayNameSchema, tenantIdSchema, tenantKindSchema, tenantSchema } from './tenants';

const text = (max: number) =>
  z.string({ error: 'is required and must be a string' }).trim().min(1, 'is required').max(max);
const email = z
  .string({ error: 'is required and must be an e-mail address' })
  .trim()
  .max(254)
  .regex(/^[^\s@<>(),;:"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, 'must be an e-mail address such as ciso@example.com');

/**
 * An issuer is an https URL (RFC 8414); plain http only on loopback, for a local test IdP.
 * No query or fragment: the discovery document lives at <issuer>/.well-known/openid-configuration.
 */
export const issuerSchema = z
  .string({ error: 'is required and must be a URL' })
  .trim()
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return ctx.addIssue({ code: 'custom', message: 'must be an https URL such as https://login.example.com' });
    }
    const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
      ctx.addIssue({ code: 'custom', message: 'must use https (plain http only on 127.0.0.1 for a test IdP)' });
    }
    if (url.search || url.hash) ctx.addIssue({ code: 'custom', message: 'must not have a query or fragment' });
  });

export const ssoConfigSchema = z
  .object({
    issuer: issuerSchema,
    client_id: text(200),
    /** `openid` is always requested; these are added. */
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,64}$/, 'must be a scope name'))
      .max(20)
      .default([]),
    /** The ID-token claim that lists the user's groups. */
    groups_claim: text(100).default('groups'),
  })
  .strict();
export type SsoConfig = z.infer<typeof ssoConfigSchema>;

export const roleMappingSchema = z
  .object({
    group: text(256),
    roles: z.array(roleSchema).min(1, 'must name at least one role'),
  })
  .strict();
export type RoleMapping = z.infer<typeof roleMappingSchema>;

const repositorySchema = z
  .object({ name: text(200), environment: text(100).optional(), url: text(2048).optional() })
  .strict();

export const reportRecipientSchema = z
  .object({
    email,
    name: text(200).optional(),
    reports: z
      .array(z.enum(['security', 'compliance', 'executive', 'operator']))
      .min(1)
      .optional(),
  })
  .strict();
export type ReportRecipient = z.infer<typeof reportRecipientSchema>;

export const operatingContactSchema = z
  .object({ name: text(200), email, role: text(100), phone: text(50).optional() })
  .strict();
export type OperatingContact = z.infer<typeof operatingContactSchema>;

export const escalationRouteSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be a short lowercase name such as security-oncall'),
    /** E-mail addresses of operating contacts, tried in this order. */
    contacts: z.array(email).min(1, 'must name at least one contact'),
    /** Escalate when nobody acted within this long (30m, 8h, 2d). */
    after: z
      .string()
      .regex(/^[1-9][0-9]*[smhd]$/, 'must be a duration such as 30m, 8h or 2d')
      .optional(),
  })
  .strict();
export type EscalationRoute = z.infer<typeof escalationRouteSchema>;

/** Everything about a tenant beyond its id and name (SPEC §7, the Tenant Onboarding contract). */
export const tenantProfileSchema = z
  .object({
    sso: ssoConfigSchema.nullable().default(null),
    role_mappings: z.array(roleMappingSchema).max(500).default([]),
    inventory: z
      .object({
        repositories: z.array(repositorySchema).max(1000).default([]),
        environments: z.array(text(100)).max(100).default([]),
      })
      .strict()
      .default({ repositories: [], environments: [] }),
    report_recipients: z.array(reportRecipientSchema).max(200).default([]),
    contacts: z.array(operatingContactSchema).max(200).default([]),
    escalation_routes: z.array(escalationRouteSchema).max(50).default([]),
  })
  .strict();

/**
 * A partial update: only the fields given change. Not `tenantProfileSchema.partial()`: zod 4
 * applies a field's default even inside `.partial()`, so saving the SSO form alone would have
 * replaced the role mappings with [] (and been refused as "no group maps to a role").
 */
const profileShape = tenantProfileSchema.shape;
export const tenantProfileUpdateSchema = z
  .object({
    sso: profileShape.sso.unwrap().optional(),
    role_mappings: profileShape.role_mappings.unwrap().optional(),
    inventory: profileShape.inventory.unwrap().optional(),
    report_recipients: profileShape.report_recipients.unwrap().optional(),
    contacts: profileShape.contacts.unwrap().optional(),
    escalation_routes: profileShape.escalation_routes.unwrap().optional(),
  })
  .strict();
export type TenantProfile = z.infer<typeof tenantProfileSchema>;

/** The onboarding file (`cavra tenants onboard --file tenant.yaml`): the tenant and its profile. */
export const onboardingDocumentSchema = tenantProfileSchema.extend({
  id: tenantIdSchema,
  display_name: displayNameSchema,
  kind: tenantKindSchema.default('production'),
  packs: z
    .array(z.object({ pack: text(128), repository: text(200).optional() }).strict())
    .max(100)
    .default([]),
  retention: z
    .object({
      days: z.number().int().min(1).max(36_500).nullable(),
      legal_hold: z.boolean().default(false),
    })
    .strict()
    .optional(),
});
export type OnboardingDocument = z.infer<typeof onboardingDocumentSchema>;

export const onboardingIssueSchema = z.object({ path: z.string(), message: z.string() });
export type OnboardingIssue = z.infer<typeof onboardingIssueSchema>;

/** What a tenant's record has and lacks, item by item (the wizard and `cavra tenants status` show it). */
export const tenantStatusSchema = z.object({
  tenant: z.string(),
  complete: z.boolean(),
  items: z.array(
    z.object({
      item: z.enum([
        'sso',
        'role_mappings',
        'required_roles',
        'inventory',
        'packs',
        'retention',
        'report_recipients',
        'contacts',
        'escalation_routes',
      ]),
      done: z.boolean(),
      detail: z.string(),
    }),
  ),
});
export type TenantStatus = z.infer<typeof tenantStatusSchema>;

export const memberSchema = z.object({
  principalId: z.string(),
  displayName: z.string(),
  kind: z.string(),
  roles: z.array(roleSchema),
  lastLoginAt: z.string().nullable(),
});

/** Roles the guided trial needs someone to hold (SPEC §11 step 2). */
export const requiredTrialRoles = ['evaluator', 'security_reviewer', 'operator', 'report_recipient'] as const;

const accessAdmins = ['tenant_admin'] as const;
const profileReaders = ['tenant_admin', 'security_reviewer', 'compliance', 'operator', 'evaluator'] as const;

/** Why the tenant's identity setup cannot pass the production readiness gate (SPEC §7, §9). */
export const identityBlockerSchema = z.object({
  code: z.enum(['sso_not_configured', 'self_approved', 'local_evaluation_authority']),
  message: z.string(),
  /** Approval requests or ledger records behind it. */
  refs: z.array(z.string()),
});

export type IdentityBlocker = z.infer<typeof identityBlockerSchema>;

export const onboardingOperations = {
  'identity.blockers': defineOperation({
    description:
      'Identity blockers for readiness: no SSO, approvals the local evaluator self-approved, authority exercised by the local evaluation identity.',
    scope: 'tenant',
    roles: profileReaders,
    input: z.object({}).strict(),
    output: z.object({ blockers: z.array(identityBlockerSchema) }),
  }),
  'tenants.onboard': defineOperation({
    description:
      'Create a tenant from an onboarding document. Every mistake is reported at once with its field path, and nothing is created unless there are none.',
    scope: 'install',
    installRoles: ['install_admin'],
    mutates: true,
    authority: true,
    input: z.object({ document: z.unknown(), dryRun: z.boolean().optional() }).strict(),
    output: z.object({
      created: z.boolean(),
      issues: z.array(onboardingIssueSchema),
      tenant: tenantSchema.nullable(),
      status: tenantStatusSchema.nullable(),
    }),
  }),
  'tenants.profile.get': defineOperation({
    description: "The tenant's record: SSO, role mappings, inventory, report recipients, contacts, escalation routes.",
    scope: 'tenant',
    roles: profileReaders,
    input: z.object({}).strict(),
    output: tenantProfileSchema,
  }),
  'tenants.profile.update': defineOperation({
    description: "Replace parts of the tenant's record; every mistake is reported with its field path. Recorded first.",
    scope: 'tenant',
    roles: accessAdmins,
    mutates: true,
    configuration: true,
    authority: true,
    input: tenantProfileUpdateSchema,
    output: tenantProfileSchema,
  }),
  'tenants.status': defineOperation({
    description: 'What the tenant record has and what is still missing.',
    scope: 'tenant',
    roles: profileReaders,
    input: z.object({}).strict(),
    output: tenantStatusSchema,
  }),
  'tenants.members': defineOperation({
    description: 'Members seen so far: who signed in, with which roles, and when last.',
    scope: 'tenant',
    roles: accessAdmins,
    input: z.object({}).strict(),
    output: z.object({ members: z.array(memberSchema) }),
  }),
} as const;
