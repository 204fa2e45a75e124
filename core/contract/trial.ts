import { z } from 'zod';
import { defineOperation } from './define';
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

export const trialOperations = {
  'trial.status': defineOperation({
    description: 'The nine steps of the guided trial with their live status, derived from the evidence ledger.',
    scope: 'tenant',
    roles: anyTenantRole,
    input: z.object({}).strict(),
    output: trialStatusSchema,
  }),
} as const;
