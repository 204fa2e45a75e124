import { ContractError, onboardingDocumentSchema, requiredTrialRoles, tenantProfileSchema } from '../contract';
import type {
  IdentityBlocker,
  OnboardingDocument,
  OnboardingIssue,
  Principal,
  Tenant,
  TenantProfile,
  TenantStatus,
} from '../contract';
import type { TenantDirectory } from './directory';
import type { TenantProfileRepository } from './profiles';

export interface OnboardingDeps {
  tenants: TenantDirectory;
  profiles: TenantProfileRepository;
  /** Pack ids a new tenant can be given (the built-in packs). */
  packIds(): string[];
  /** Packs assigned in the tenant, with the repository each is narrowed to (null: tenant-wide). */
  assignments(tenant: string): { packId: string; repository: string | null }[];
  assign(tenant: string, packId: string, repository: string | null, by: Principal): void;
  retention(tenant: string): { days: number | null; legalHold: boolean; set: boolean };
  setRetention(tenant: string, days: number | null, legalHold: boolean, by: Principal): Promise<void>;
  /** Ids of approvals the local evaluator gave to agents of its own OS user. */
  selfApproved(tenant: string): Promise<string[]>;
  /** Appends a `config_change` record to the tenant's ledger; resolves once durable. */
  record(tenant: string, payload: Record<string, unknown>): Promise<void>;
}

function issuesOf(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string; code: string; keys?: string[]; input?: unknown }[];
}): OnboardingIssue[] {
  return error.issues.flatMap((issue) => {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      return issue.keys.map((key) => ({ path: [...base, key].join('.'), message: 'is not a known field' }));
    }
    const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
    return [{ path: base.join('.') || '(document)', message }];
  });
}

/**
 * The checks a schema cannot make: references between parts of the document and to the
 * install (the id is free, packs exist, repositories are in the inventory, routes name contacts).
 */
function crossChecks(document: OnboardingDocument, deps: OnboardingDeps): OnboardingIssue[] {
  const issues: OnboardingIssue[] = [];
  if (deps.tenants.exists(document.id)) issues.push({ path: 'id', message: `tenant "${document.id}" already exists` });
  if (document.sso && document.role_mappings.length === 0) {
    issues.push({
      path: 'role_mappings',
      message: 'SSO is configured but no group maps to a role, so nobody could act',
    });
  }
  const groups = new Set<string>();
  document.role_mappings.forEach((mapping, i) => {
    if (groups.has(mapping.group))
      issues.push({ path: `role_mappings.${i}.group`, message: `group "${mapping.group}" is mapped twice` });
    groups.add(mapping.group);
  });
  const known = new Set(deps.packIds());
  const repositories = new Set(document.inventory.repositories.map((repository) => repository.name));
  document.packs.forEach((assignment, i) => {
    if (!known.has(assignment.pack)) {
      issues.push({
        path: `packs.${i}.pack`,
        message: `no pack "${assignment.pack}"; known: ${[...known].sort().join(', ')}`,
      });
    }
    if (assignment.repository !== undefined && !repositories.has(assignment.repository)) {
      issues.push({
        path: `packs.${i}.repository`,
        message: `"${assignment.repository}" is not in inventory.repositories`,
      });
    }
  });
  const environments = new Set(document.inventory.environments);
  document.inventory.repositories.forEach((repository, i) => {
    if (repository.environment !== undefined && !environments.has(repository.environment)) {
      issues.push({
        path: `inventory.repositories.${i}.environment`,
        message: `"${repository.environment}" is not in inventory.environments`,
      });
    }
  });
  const contacts = new Set(document.contacts.map((contact) => contact.email.toLowerCase()));
  document.escalation_routes.forEach((route, i) => {
    route.contacts.forEach((email, j) => {
      if (!contacts.has(email.toLowerCase())) {
        issues.push({ path: `escalation_routes.${i}.contacts.${j}`, message: `${email} is not one of the contacts` });
      }
    });
  });
  return issues;
}

/** Every mistake in a document, each with its field path: schema first, then cross-references. */
export function validateOnboarding(
  raw: unknown,
  deps: OnboardingDeps,
): { document: OnboardingDocument; issues: [] } | { document: null; issues: OnboardingIssue[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {
      document: null,
      issues: [{ path: '(document)', message: 'must be a mapping of fields (YAML or JSON object)' }],
    };
  }
  const parsed = onboardingDocumentSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    // Cross-references are still checked on the fields that did parse, so one run shows every mistake.
    const salvaged: Record<string, unknown> = {};
    const shape = onboardingDocumentSchema.shape as Record<
      string,
      { safeParse(value: unknown): { success: boolean; data?: unknown } }
    >;
    for (const [key, schema] of Object.entries(shape)) {
      const field = schema.safeParse((raw as Record<string, unknown>)[key]);
      if (field.success) salvaged[key] = field.data;
    }
    const extra = crossChecks(withDefaults(salvaged as Partial<OnboardingDocument>), deps).filter(
      (issue) => issue.path !== 'id' || typeof salvaged.id === 'string',
    );
    const seen = new Set<string>();
    const issues = [...issuesOf(parsed.error), ...extra].filter((issue) => {
      const key = `${issue.path}\n${issue.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return { document: null, issues };
  }
  const issues = crossChecks(parsed.data, deps);
  return issues.length > 0 ? { document: null, issues } : { document: parsed.data, issues: [] };
}

function withDefaults(partial: Partial<OnboardingDocument>): OnboardingDocument {
  return {
    id: partial.id ?? '',
    display_name: partial.display_name ?? '',
    kind: partial.kind ?? 'production',
    sso: partial.sso ?? null,
    role_mappings: partial.role_mappings ?? [],
    inventory: partial.inventory ?? { repositories: [], environments: [] },
    report_recipients: partial.report_recipients ?? [],
    contacts: partial.contacts ?? [],
    escalation_routes: partial.escalation_routes ?? [],
    packs: partial.packs ?? [],
    retention: partial.retention,
  };
}

export function profileOf(document: OnboardingDocument): TenantProfile {
  return tenantProfileSchema.parse({
    sso: document.sso,
    role_mappings: document.role_mappings,
    inventory: document.inventory,
    report_recipients: document.report_recipients,
    contacts: document.contacts,
    escalation_routes: document.escalation_routes,
  });
}

/**
 * `tenants.onboard`: nothing is created unless the whole document is right. Then the tenant,
 * its record, pack assignments and retention are applied, each change recorded in the new
 * tenant's ledger first.
 */
export async function onboardTenant(
  raw: unknown,
  creator: Principal,
  deps: OnboardingDeps,
  dryRun = false,
): Promise<{ created: boolean; issues: OnboardingIssue[]; tenant: Tenant | null; status: TenantStatus | null }> {
  const checked = validateOnboarding(raw, deps);
  if (!checked.document) return { created: false, issues: checked.issues, tenant: null, status: null };
  if (dryRun) return { created: false, issues: [], tenant: null, status: null };
  const document = checked.document;
  const tenant = await deps.tenants.createTenant(
    { id: document.id, displayName: document.display_name, kind: document.kind },
    creator,
  );
  const profile = profileOf(document);
  await deps.record(document.id, { change: 'tenants.onboard', by: creator.id, profile });
  await deps.profiles.put(document.id, profile, creator.id);
  for (const assignment of document.packs)
    deps.assign(document.id, assignment.pack, assignment.repository ?? null, creator);
  if (document.retention) {
    await deps.setRetention(document.id, document.retention.days, document.retention.legal_hold, creator);
  }
  return { created: true, issues: [], tenant, status: await tenantStatus(document.id, deps) };
}

/** Replaces the parts of a tenant's record that are given; recorded before it applies. */
export async function updateProfile(
  tenant: string,
  changes: Partial<TenantProfile>,
  by: Principal,
  deps: OnboardingDeps,
): Promise<TenantProfile> {
  const next = tenantProfileSchema.parse({ ...(await deps.profiles.get(tenant)), ...changes });
  if (next.sso && next.role_mappings.length === 0) {
    throw new ContractError(
      'invalid_input',
      'role_mappings: SSO is configured but no group maps to a role',
      'role_mappings',
    );
  }
  await deps.record(tenant, {
    change: 'tenants.profile',
    by: by.id,
    fields: Object.keys(changes).sort(),
    profile: next,
  });
  await deps.profiles.put(tenant, next, by.id);
  return next;
}

/** What the tenant record has and lacks (the trial's step 1–2 and the readiness identity check read this). */
export async function tenantStatus(tenant: string, deps: OnboardingDeps): Promise<TenantStatus> {
  const profile = await deps.profiles.get(tenant);
  const mapped = new Set(profile.role_mappings.flatMap((mapping) => mapping.roles));
  const missingRoles = requiredTrialRoles.filter((role) => !mapped.has(role));
  const assignments = deps.assignments(tenant);
  const retention = deps.retention(tenant);
  const items: TenantStatus['items'] = [
    {
      item: 'sso',
      done: profile.sso !== null,
      detail: profile.sso
        ? `${profile.sso.issuer} (client ${profile.sso.client_id})`
        : 'No IdP configured: only the local evaluation identity can sign in',
    },
    {
      item: 'role_mappings',
      done: profile.role_mappings.length > 0,
      detail: `${profile.role_mappings.length} group mapping(s)`,
    },
    {
      item: 'required_roles',
      done: missingRoles.length === 0,
      detail:
        missingRoles.length === 0
          ? 'Every role the trial needs is mapped'
          : `Not mapped yet: ${missingRoles.join(', ')}`,
    },
    {
      item: 'inventory',
      done: profile.inventory.repositories.length > 0,
      detail: `${profile.inventory.repositories.length} repositories, ${profile.inventory.environments.length} environments`,
    },
    { item: 'packs', done: assignments.length > 0, detail: `${assignments.length} pack assignment(s)` },
    {
      item: 'retention',
      done: retention.set,
      detail: retention.set
        ? `${retention.days === null ? 'kept for ever' : `${retention.days} days`}${retention.legalHold ? ', legal hold' : ''}`
        : 'Not set',
    },
    {
      item: 'report_recipients',
      done: profile.report_recipients.length > 0,
      detail: `${profile.report_recipients.length} recipient(s)`,
    },
    { item: 'contacts', done: profile.contacts.length > 0, detail: `${profile.contacts.length} operating contact(s)` },
    {
      item: 'escalation_routes',
      done: profile.escalation_routes.length > 0,
      detail: `${profile.escalation_routes.length} escalation route(s)`,
    },
  ];
  return { tenant, complete: items.every((item) => item.done), items };
}

/** Identity blockers for the production readiness gate; the readiness validator reads these. */
export async function identityBlockers(tenant: string, deps: OnboardingDeps): Promise<IdentityBlocker[]> {
  const profile = await deps.profiles.get(tenant);
  const blockers: IdentityBlocker[] = [];
  if (!profile.sso) {
    blockers.push({
      code: 'sso_not_configured',
      message: 'No IdP is configured: only the local evaluation identity can act, which production never accepts',
      refs: [],
    });
  }
  const selfApproved = await deps.selfApproved(tenant);
  if (selfApproved.length > 0) {
    blockers.push({
      code: 'self_approved',
      message: `${selfApproved.length} approval(s) were given by the local evaluation identity to an agent of the same OS user: nobody independent reviewed them`,
      refs: selfApproved,
    });
  }
  return blockers;
}
