import { z } from 'zod';
import { defineOperation } from './define';
import { bundleVerificationSchema } from './evidence';
import { jobStartedSchema } from './jobs';
import type { Role } from './roles';

/**
 * Readiness (SPEC §9): validators observe the running system and write their results as
 * evidence; two gates read them. The pilot gate is scoped to the evaluation boundary and
 * rates green / yellow / red; the production gate applies every validator to the whole
 * tenant and is the only one that can say `ready_for_aispm_production: true`.
 */

export const validatorIds = [
  'license',
  'evidence_integrity',
  'tenant_isolation',
  'agent_workflows',
  'runtime_enforcement',
  'connector_delivery',
  'report_delivery',
  'identity',
  'containment',
  'live_ingestion',
  'streaming_lag',
  'critical_findings',
] as const;
export const validatorIdSchema = z.enum(validatorIds);
export type ValidatorId = z.infer<typeof validatorIdSchema>;

export const validatorStatuses = ['pass', 'warn', 'blocker'] as const;
export const validatorStatusSchema = z.enum(validatorStatuses);
export type ValidatorStatus = z.infer<typeof validatorStatusSchema>;

export const gateKinds = ['pilot', 'production'] as const;
export const gateKindSchema = z.enum(gateKinds);
export type GateKind = z.infer<typeof gateKindSchema>;

const identifier = z.string().min(1).max(256);

/** The evaluation boundary of the pilot gate: one repository or workflow, one connector path, one recipient group. */
export const pilotScopeSchema = z
  .object({
    repository: identifier.optional(),
    connector: identifier.optional(),
    /** Recipient addresses or `@domain` entries; a report accepted for any of them counts. */
    recipients: z.array(z.string().min(3).max(254)).max(50).optional(),
  })
  .strict();
export type PilotScope = z.infer<typeof pilotScopeSchema>;

export const validatorResultSchema = z.object({
  id: validatorIdSchema,
  label: z.string(),
  status: validatorStatusSchema,
  /** What was observed and, when not pass, what to do. */
  message: z.string(),
  /** Ledger records the result relied on. */
  evidence: z.array(z.number().int().nonnegative()),
  /** The validator_result record this result was written as. */
  record: z.number().int().nonnegative(),
});
export type ValidatorResult = z.infer<typeof validatorResultSchema>;

export const readinessReportSchema = z.object({
  tenant: z.string(),
  runId: z.string(),
  gate: gateKindSchema,
  scope: pilotScopeSchema.nullable(),
  checkedAt: z.string(),
  /** Pilot: green (no blocker, no warning), yellow (warnings), red (blockers). Production: green or red. */
  rating: z.enum(['green', 'yellow', 'red']),
  /** True only from the production gate with no blocker. */
  readyForAispmProduction: z.boolean(),
  blockers: z.array(z.object({ validator: validatorIdSchema, message: z.string() })),
  validators: z.array(validatorResultSchema),
});
export type ReadinessReport = z.infer<typeof readinessReportSchema>;

export const packetExportResultSchema = z.object({
  dir: z.string(),
  readyForAispmProduction: z.boolean(),
  blockers: z.array(z.object({ validator: validatorIdSchema, message: z.string() })),
  packetSha256: z.string(),
});
export type PacketExportResult = z.infer<typeof packetExportResultSchema>;

/** What `cavra packet verify` and Offline review report about a readiness or closeout packet. */
export const packetVerificationSchema = z.object({
  ok: z.boolean(),
  dir: z.string(),
  failure: z.string().nullable(),
  kind: z.enum(['readiness', 'closeout']).nullable(),
  tenant: z.string().nullable(),
  readyForAispmProduction: z.boolean().nullable(),
  blockers: z.array(z.object({ validator: z.string(), message: z.string() })),
  validators: z.array(z.object({ id: z.string(), status: z.string(), message: z.string(), record: z.number().int() })),
  closeout: z
    .object({
      closeoutId: z.string(),
      closedAt: z.string(),
      by: z.string(),
      pilotDecision: z.string(),
      feedback: z.string(),
      packageAccess: z.object({ removed: z.boolean(), detail: z.string() }),
      license: z.object({
        licenseId: z.string().nullable(),
        outcome: z.string(),
        status: z.string(),
        expiresAt: z.string().nullable(),
      }),
    })
    .nullable(),
  key: z.object({ keyId: z.string(), pinned: z.boolean() }).nullable(),
  checked: z.array(z.string()),
  warnings: z.array(z.string()),
});
export type PacketVerificationView = z.infer<typeof packetVerificationSchema>;

/** Offline review: what the directory turned out to hold, and its verification. */
export const offlineReviewSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('packet'), packet: packetVerificationSchema }),
  z.object({ kind: z.literal('bundle'), bundle: bundleVerificationSchema }),
]);
export type OfflineReview = z.infer<typeof offlineReviewSchema>;

const verifyInputSchema = z
  .object({
    path: z.string().min(1, 'is required').max(4096),
    trustedKey: z.string().max(8192).optional(),
  })
  .strict();

const runners: readonly Role[] = ['tenant_admin', 'security_reviewer', 'evaluator', 'compliance'];
const readers: readonly Role[] = ['tenant_admin', 'security_reviewer', 'evaluator', 'compliance', 'operator'];

export const readinessOperations = {
  'readiness.run': defineOperation({
    description:
      'Run the validators of a gate now (a job with progress and cancel); each result is written as a validator_result record.',
    scope: 'tenant',
    roles: runners,
    mutates: true,
    feature: 'readiness',
    input: z.object({ gate: gateKindSchema, scope: pilotScopeSchema.optional() }).strict(),
    output: jobStartedSchema,
  }),
  'readiness.packet.export': defineOperation({
    description:
      "Run the production gate and export the signed readiness packet with the evidence bundle beside it into the tenant's archive (a job).",
    scope: 'tenant',
    roles: runners,
    mutates: true,
    feature: 'readiness',
    input: z.object({}).strict(),
    output: jobStartedSchema,
  }),
  'readiness.packet.verify': defineOperation({
    description:
      'Offline review: verify a readiness packet directory (signature, evidence bundle, derivation of ready) on this machine.',
    machineLocal: true,
    scope: 'tenant',
    roles: readers,
    input: verifyInputSchema,
    output: jobStartedSchema,
  }),
  'offline.verify': defineOperation({
    description:
      'Offline review: tell what an exported directory holds (an evidence bundle, a readiness packet or a trial closeout packet) and verify it on this machine (a job).',
    machineLocal: true,
    scope: 'tenant',
    roles: readers,
    input: verifyInputSchema,
    output: jobStartedSchema,
  }),
} as const;
