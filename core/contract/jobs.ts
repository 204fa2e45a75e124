import { z } from 'zod';
import { anyTenantRole } from './roles';
import { defineEvent, defineOperation } from './define';

/**
 * Long work (verification, export, validators) runs as a job: the starting operation returns
 * a job id at once, progress and the outcome arrive as events, and the job can be cancelled.
 */
export const jobStates = ['running', 'succeeded', 'failed', 'cancelled'] as const;

export const jobProgressSchema = z.object({
  done: z.number().int().nonnegative(),
  /** Null while the total is not yet known. */
  total: z.number().int().nonnegative().nullable(),
  /** What is happening now, for people: "Verifying records", "Writing manifest". */
  phase: z.string(),
  /** The approval request the job is waiting on for a person to decide, if any (linkable, not prose). */
  awaitingApproval: z.string().nullable().optional(),
});
export type JobProgress = z.infer<typeof jobProgressSchema>;

export const jobSchema = z.object({
  id: z.string(),
  kind: z.string(),
  tenant: z.string(),
  state: z.enum(jobStates),
  progress: jobProgressSchema,
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  /** The job's result when it succeeded (its shape is the starting operation's business). */
  result: z.unknown().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type Job = z.infer<typeof jobSchema>;

export const jobStartedSchema = z.object({ jobId: z.string() });

export const jobOperations = {
  'jobs.get': defineOperation({
    description: 'A job of this tenant that the caller started: state, progress and result.',
    scope: 'tenant',
    roles: anyTenantRole,
    input: z.object({ jobId: z.string().min(1).max(100) }).strict(),
    output: jobSchema,
  }),
  'jobs.cancel': defineOperation({
    description: 'Ask a running job to stop; it ends in the cancelled state.',
    scope: 'tenant',
    roles: anyTenantRole,
    mutates: true,
    input: z.object({ jobId: z.string().min(1).max(100) }).strict(),
    output: jobSchema,
  }),
} as const;

export const jobEvents = {
  'jobs.changed': defineEvent({
    description: 'A job made progress or finished; carries the whole job, to the principal who started it only.',
    roles: anyTenantRole,
    payload: jobSchema,
  }),
} as const;
