import { z } from 'zod';
import { severitySchema } from './decision';
import { defineEvent, defineOperation } from './define';
import { recordSummarySchema } from './evidence';
import type { Role } from './roles';

/** SPEC §9: the control surfaces coverage is measured on, in display order. */
export const controlSurfaces = [
  'secrets',
  'infrastructure',
  'source_control',
  'cicd',
  'mcp_tools',
  'runtime_commands',
] as const;
export const controlSurfaceSchema = z.enum(controlSurfaces);
export type ControlSurface = z.infer<typeof controlSurfaceSchema>;
export const controlSurfaceLabels: Readonly<Record<ControlSurface, string>> = {
  secrets: 'Secrets',
  infrastructure: 'Infrastructure',
  source_control: 'Source control',
  cicd: 'CI/CD',
  mcp_tools: 'MCP tools',
  runtime_commands: 'Runtime commands',
};

/** Strongest to weakest; `not_observed` means no evidence at all. */
export const coverageStates = ['enforced', 'approval_gated', 'shadow', 'not_observed'] as const;
export const coverageStateSchema = z.enum(coverageStates);
export type CoverageState = z.infer<typeof coverageStateSchema>;

export const findingStatuses = ['open', 'acknowledged', 'resolved', 'accepted_risk'] as const;
export const findingStatusSchema = z.enum(findingStatuses);
export type FindingStatus = z.infer<typeof findingStatusSchema>;

export const findingCategories = ['activity', 'near_miss', 'configuration', 'evidence', 'review'] as const;
export const findingCategorySchema = z.enum(findingCategories);
export type FindingCategory = z.infer<typeof findingCategorySchema>;

export const riskLevels = ['low', 'medium', 'high', 'critical'] as const;
export const riskLevelSchema = z.enum(riskLevels);
export type RiskLevel = z.infer<typeof riskLevelSchema>;

/** SPEC §9: the operating reviews every live tenant is scheduled for. */
export const reviewKinds = [
  'weekly_posture',
  'open_findings',
  'approvals_exceptions',
  'report_delivery_audit',
  'tenant_isolation_audit',
  'connector_health',
  'security_advisory_drill',
  'readiness_archive_closeout',
] as const;
export const reviewKindSchema = z.enum(reviewKinds, {
  error: `must be one of ${reviewKinds.join(', ')}`,
});
export type ReviewKind = z.infer<typeof reviewKindSchema>;

/** Who may read posture: every tenant member but plain report recipients. */
const postureReaders: readonly Role[] = [
  'evaluator',
  'security_reviewer',
  'operator',
  'compliance',
  'executive',
  'tenant_admin',
  'break_glass',
];
/** Who may assign owners and move findings through their states. */
const findingTriagers: readonly Role[] = ['security_reviewer', 'operator', 'tenant_admin', 'evaluator'];
/** Accepting a risk is a security decision with an expiry, not triage. */
const riskAcceptors: readonly Role[] = ['security_reviewer', 'tenant_admin', 'evaluator'];
const reviewers: readonly Role[] = ['security_reviewer', 'compliance', 'operator', 'tenant_admin', 'evaluator'];

const findingIdSchema = z
  .string({ error: 'is required and must be a string' })
  .regex(/^fnd_[0-9a-f]{16}$/, 'must be a finding id (fnd_ and 16 hex digits)');
/** Owners are principal ids; until identity lands, any non-blank id (trimmed). */
const ownerSchema = z
  .string({ error: 'must be a principal id' })
  .transform((value) => value.trim())
  .pipe(
    z
      .string()
      .min(1, 'must not be blank: give a principal id, or null to clear the owner')
      .max(200, 'must be at most 200 characters')
      // eslint-disable-next-line no-control-regex
      .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters'),
  );
const noteSchema = z.string().trim().max(2000, 'must be at most 2000 characters');
const isoTime = z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time, e.g. 2026-12-31T00:00:00Z' });

export const ingestionSchema = z.object({
  /** Records of the ledger AISPM has read (the next record it reads has this seq). */
  cursor: z.number().int(),
  ledgerSize: z.number().int(),
  behindRecords: z.number().int(),
  /** Age of the oldest record not ingested yet; 0 when caught up. */
  behindSeconds: z.number(),
  lastIngestedAt: z.string().nullable(),
  /** Records the ledger holds that AISPM could not read (old shapes, damaged payloads). */
  unreadable: z.number().int(),
});
export type Ingestion = z.infer<typeof ingestionSchema>;

export const findingSchema = z.object({
  id: z.string(),
  kind: z.string(),
  category: findingCategorySchema,
  severity: severitySchema,
  title: z.string(),
  detail: z.string(),
  /** What the finding is about: rule, repository, surface, server, review, source… */
  subject: z.record(z.string(), z.string()),
  status: findingStatusSchema,
  /** An accepted risk past its expiry counts as open again; this says so. */
  riskAcceptanceExpired: z.boolean(),
  acceptedUntil: z.string().nullable(),
  owner: z.string().nullable(),
  note: z.string().nullable(),
  /** Who or what last changed the status, and when (`cavra` for changes the evidence caused). */
  statusBy: z.string(),
  statusAt: z.string(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  occurrences: z.number().int(),
  evidenceCount: z.number().int(),
  repositories: z.array(z.string()),
  agents: z.array(z.string()),
  /** Whether the condition behind it still holds (configuration, evidence and review findings). */
  active: z.boolean(),
  /** How much this finding weighs in the posture score, by kind (0 when coverage already counts it). */
  postureWeight: z.number(),
});
export type FindingView = z.infer<typeof findingSchema>;

const contributionSchema = z.object({
  points: z.number(),
  max: z.number(),
});

export const surfacePostureSchema = contributionSchema.extend({
  surface: controlSurfaceSchema,
  state: coverageStateSchema,
  /** The surface's share (0–1): the mean over the repositories that produced evidence for it. */
  factor: z.number(),
  repositories: z.array(
    z.object({
      repository: z.string(),
      state: coverageStateSchema,
      points: z.number(),
      examples: z.array(z.number().int()),
    }),
  ),
  lastSeen: z.string().nullable(),
  stale: z.boolean(),
});

export const postureSchema = z.object({
  score: z.number(),
  riskLevel: riskLevelSchema,
  /** Why the risk level is what it is, in words. */
  riskReasons: z.array(z.string()),
  coverage: contributionSchema.extend({ surfaces: z.array(surfacePostureSchema) }),
  risk: contributionSchema.extend({
    /** Σ severity weight × kind weight × status weight over open findings. */
    weight: z.number(),
    findings: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        severity: severitySchema,
        kind: z.string(),
        weight: z.number(),
        /** Points of the score this finding takes away; they add up to max − points. */
        deduction: z.number(),
      }),
    ),
  }),
  openFindings: z.object({
    critical: z.number().int(),
    high: z.number().int(),
    medium: z.number().int(),
    low: z.number().int(),
  }),
  ingestion: ingestionSchema,
  asOf: z.string(),
});
export type PostureView = z.infer<typeof postureSchema>;

export const coverageCellSchema = z.object({
  state: coverageStateSchema,
  decisions: z.number().int(),
  denied: z.number().int(),
  approvalGated: z.number().int(),
  shadow: z.number().int(),
  allowed: z.number().int(),
  lastSeen: z.string().nullable(),
  /** The latest record of each kind, for opening in the Evidence screen. */
  examples: z.array(z.number().int()),
});

export const coverageSchema = z.object({
  surfaces: z.array(controlSurfaceSchema),
  rows: z.array(
    z.object({
      repository: z.string(),
      agent: z.string(),
      cells: z.record(controlSurfaceSchema, coverageCellSchema),
    }),
  ),
  ingestion: ingestionSchema,
});
export type CoverageView = z.infer<typeof coverageSchema>;

export const trendPointSchema = z.object({
  at: z.string(),
  score: z.number(),
  coverage: z.number(),
  risk: z.number(),
  open: z.object({
    critical: z.number().int(),
    high: z.number().int(),
    medium: z.number().int(),
    low: z.number().int(),
  }),
});

export const reviewViewSchema = z.object({
  kind: reviewKindSchema,
  title: z.string(),
  purpose: z.string(),
  cadenceDays: z.number().int(),
  dueAt: z.string().nullable(),
  state: z.enum(['scheduled', 'due_soon', 'overdue']),
  lastCompleted: z
    .object({ at: z.string(), by: z.string(), notes: z.string(), seq: z.number().int(), packetSha256: z.string() })
    .nullable(),
  /** The finding this review raised while overdue. */
  findingId: z.string().nullable(),
});

export const reviewPacketSchema = z.object({
  kind: reviewKindSchema,
  title: z.string(),
  tenant: z.string(),
  generatedAt: z.string(),
  /** Ledger records the packet covers: from the record after the last completed review to the newest. */
  period: z.object({
    fromSeq: z.number().int(),
    toSeq: z.number().int(),
    from: z.string().nullable(),
    to: z.string().nullable(),
  }),
  sections: z.array(
    z.object({
      title: z.string(),
      summary: z.string(),
      items: z.array(z.object({ text: z.string(), seqs: z.array(z.number().int()), findingId: z.string().optional() })),
    }),
  ),
  /** SHA-256 of the packet's canonical JSON without this member; completing a review names it. */
  sha256: z.string(),
});
export type ReviewPacket = z.infer<typeof reviewPacketSchema>;

const findingsFilterSchema = z
  .object({
    statuses: z.array(findingStatusSchema).max(4).optional(),
    severities: z.array(severitySchema).max(4).optional(),
    categories: z.array(findingCategorySchema).max(5).optional(),
    /** A principal id, or "" for findings nobody owns. */
    owner: z.string().max(200).optional(),
    repository: z.string().min(1).max(256).optional(),
    search: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  })
  .strict();
export type FindingsFilter = z.infer<typeof findingsFilterSchema>;

export const aispmOperations = {
  'aispm.status': defineOperation({
    description: 'Posture score, risk level and what each point rests on, with ingestion lag.',
    scope: 'tenant',
    feature: 'aispm',
    roles: postureReaders,
    input: z.object({}).strict(),
    output: postureSchema,
  }),
  'aispm.findings.list': defineOperation({
    description: 'Findings, worst first, filtered by status, severity, category, owner, repository or text.',
    scope: 'tenant',
    feature: 'aispm',
    roles: postureReaders,
    input: findingsFilterSchema,
    output: z.object({ findings: z.array(findingSchema), total: z.number().int(), ingestion: ingestionSchema }),
  }),
  'aispm.finding.get': defineOperation({
    description: 'One finding.',
    scope: 'tenant',
    feature: 'aispm',
    roles: postureReaders,
    input: z.object({ id: findingIdSchema }).strict(),
    output: findingSchema,
  }),
  'aispm.finding.evidence': defineOperation({
    description: 'The ledger records that caused a finding, newest first.',
    scope: 'tenant',
    feature: 'aispm',
    roles: postureReaders,
    input: z
      .object({
        id: findingIdSchema,
        before: z.number().int().nonnegative().optional(),
        limit: z.number().int().min(1).max(500).optional(),
      })
      .strict(),
    output: z.object({
      records: z.array(recordSummarySchema),
      next: z.number().int().nullable(),
      total: z.number().int(),
    }),
  }),
  'aispm.records': defineOperation({
    description: 'Summaries of the ledger records a posture view links to (coverage examples, review packet lines).',
    scope: 'tenant',
    feature: 'aispm',
    roles: postureReaders,
    input: z.object({ seqs: z.array(z.number().int().nonnegative()).min(1).max(100) }).strict(),
    output: z.object({ records: z.array(recordSummarySchema) }),
  }),
  'aispm.finding.update': defineOperation({
    description:
      'Assign or clear the owner, acknowledge, resolve or reopen a finding, with a note. Recorded in the ledger first.',
    scope: 'tenant',
    feature: 'aispm',
    roles: findingTriagers,
    mutates: true,
    input: z
      .object({
        id: findingIdSchema,
        owner: ownerSchema.nullable().optional(),
        status: z
          .enum(['open', 'acknowledged', 'resolved'], { error: 'must be open, acknowledged or resolved' })
          .optional(),
        note: noteSchema.optional(),
      })
      .strict()
      .refine((input) => input.owner !== undefined || input.status !== undefined || input.note !== undefined, {
        message: 'give an owner, a status or a note',
        path: ['status'],
      }),
    output: findingSchema,
  }),
  'aispm.finding.accept_risk': defineOperation({
    description: 'Accept the risk of a finding until a date, with the reason. Recorded in the ledger first.',
    scope: 'tenant',
    feature: 'aispm',
    roles: riskAcceptors,
    mutates: true,
    input: z
      .object({
        id: findingIdSchema,
        until: isoTime,
        note: noteSchema.pipe(z.string().min(1, 'is required: say why the risk is accepted')),
      })
      .strict(),
    output: findingSchema,
  }),
  'aispm.coverage': defineOperation({
    description:
      'Coverage by control surface per repository and agent: enforced, approval-gated, shadow, not observed.',
    scope: 'tenant',
    feature: 'aispm',
    roles: postureReaders,
    input: z.object({}).strict(),
    output: coverageSchema,
  }),
  'aispm.trend': defineOperation({
    description: 'The posture score over time, one point per hour with activity.',
    scope: 'tenant',
    feature: 'aispm',
    roles: postureReaders,
    input: z.object({ days: z.number().int().min(1).max(366).optional() }).strict(),
    output: z.object({ points: z.array(trendPointSchema) }),
  }),
  'aispm.reviews.list': defineOperation({
    description: 'The operating reviews scheduled for this tenant, with when each is due and who completed it last.',
    scope: 'tenant',
    feature: 'operating_reviews',
    roles: postureReaders,
    input: z.object({}).strict(),
    output: z.object({ reviews: z.array(reviewViewSchema) }),
  }),
  'aispm.review.packet': defineOperation({
    description:
      'The review packet for one operating review: what changed in the ledger since the last one, with links.',
    scope: 'tenant',
    feature: 'operating_reviews',
    roles: postureReaders,
    input: z.object({ kind: reviewKindSchema }).strict(),
    output: reviewPacketSchema,
  }),
  'aispm.review.complete': defineOperation({
    description: 'Record that you completed an operating review of the packet you read, with your notes.',
    scope: 'tenant',
    feature: 'operating_reviews',
    roles: reviewers,
    mutates: true,
    input: z
      .object({
        kind: reviewKindSchema,
        packetSha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the sha256 of the packet you reviewed'),
        notes: noteSchema.pipe(z.string().min(1, 'are required: say what you checked and what you found')),
      })
      .strict(),
    output: reviewViewSchema,
  }),
} as const;

export const aispmEvents = {
  'aispm.changed': defineEvent({
    description: 'AISPM ingested new records or re-evaluated time-based findings.',
    roles: postureReaders,
    payload: z.object({ tenantId: z.string(), cursor: z.number().int() }),
  }),
} as const;
