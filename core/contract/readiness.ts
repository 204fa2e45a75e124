import { z } from 'zod';
import { defineOperation } from './define';
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
    scope: 'tenant',
    roles: readers,
    input: z
      .object({
        path: z.string().min(1, 'is required').max(4096),
        trustedKey: z.string().max(8192).optional(),
      })
      .strict(),
    output: jobStartedSchema,
  }),
} as const;
