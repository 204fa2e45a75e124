import { z } from 'zod';
import { defineOperation } from './define';
import { jobStartedSchema } from './jobs';
import { validatorIdSchema } from './readiness';
import { anyTenantRole } from './roles';

/**
 * The guided trial (SPEC §11), the console's home screen: nine steps whose status is derived
 * from the tenant's evidence each time it is asked, so progress survives restarts and nobody
 * can tick a step by hand.
 */
export const trialStepStates = ['complete', 'incomplete', 'not_built'] as const;
export const trialStepStateSchema = z.enum(trialStepStates);
export type TrialStepState = z.infer<typeof trialStepStateSchema>;

export const trialStepSchema = z.object({
  n: z.number().int().min(1).max(9),
  id: z.string(),
  title: z.string(),
  state: trialStepStateSchema,
  /** What was observed when complete; what is missing and what to do when not. */
  detail: z.string(),
  /** The console screen that completes the step. */
  screen: z.string(),
  /** Ledger records the status was derived from. */
  evidence: z.array(z.number().int().nonnegative()),
});
export type TrialStep = z.infer<typeof trialStepSchema>;

export const trialStatusSchema = z.object({
  tenant: z.string(),
  checkedAt: z.string(),
  complete: z.number().int().nonnegative(),
  steps: z.array(trialStepSchema).length(9),
});
export type TrialStatus = z.infer<typeof trialStatusSchema>;

/** The pilot decision recorded at closeout: go on to production, extend the evaluation, or stop. */
export const closeoutDecisions = ['proceed', 'extend', 'stop'] as const;
export const closeoutDecisionSchema = z.enum(closeoutDecisions);
/** What became of the license at closeout: given up now, left to run out, or already over. */
export const closeoutLicenseOutcomeSchema = z.enum(['surrendered', 'expires', 'expired', 'revoked', 'none']);

export const closeoutInputSchema = z
  .object({
    pilotDecision: closeoutDecisionSchema,
    feedback: z
      .string()
      .trim()
      .min(1, "is required: the evaluator's feedback on the trial, in their words")
      .max(4000, 'must be at most 4000 characters'),
    packageAccess: z
      .object({
        /** Whether the evaluator's access to the product packages (registry tokens, downloads) was removed. */
        removed: z.boolean(),
        detail: z
          .string()
          .trim()
          .min(1, 'is required: say what was removed, or why access stays')
          .max(1000, 'must be at most 1000 characters'),
      })
      .strict(),
    /** `surrender` gives the license up now (recorded, then the entitlement is suspended); `let_expire` keeps it to its expiry. */
    license: z.enum(['surrender', 'let_expire']),
  })
  .strict();
export type CloseoutInput = z.infer<typeof closeoutInputSchema>;

export const closeoutResultSchema = z.object({
  dir: z.string(),
  closeoutId: z.string(),
  pilotDecision: closeoutDecisionSchema,
  license: z.object({ outcome: closeoutLicenseOutcomeSchema, status: z.string() }),
  readyForAispmProduction: z.boolean(),
  blockers: z.array(z.object({ validator: validatorIdSchema, message: z.string() })),
  packetSha256: z.string(),
});
export type CloseoutResult = z.infer<typeof closeoutResultSchema>;

export const trialOperations = {
  'trial.status': defineOperation({
    description: 'The nine steps of the guided trial with their live status, derived from the evidence ledger.',
    scope: 'tenant',
    roles: anyTenantRole,
    input: z.object({}).strict(),
    output: trialStatusSchema,
  }),
  'trial.closeout': defineOperation({
    description:
      "Close the trial (step 9): record the pilot decision, the evaluator's feedback, package access and the license's fate, run the production gate for the remaining blockers, and export a signed closeout packet to the tenant archive (a job). Needs no license feature: an expired license must still be closed out.",
    scope: 'tenant',
    roles: ['tenant_admin'],
    mutates: true,
    authority: true,
    input: closeoutInputSchema,
    output: jobStartedSchema,
  }),
} as const;
