import type { Handler, Principal } from '../contract';
import type { GovernedWorkflow, WorkflowControl } from './runner';

/** Starts long work as a job (core/service's JobRunner), with progress and cancel. */
export type StartWorkflowJob = <T>(
  spec: { kind: string; tenant: string; principal: Principal; phase: string },
  work: (control: WorkflowControl) => Promise<T>,
) => string;

export function trialWorkflowHandlers(
  workflow: GovernedWorkflow,
  start: StartWorkflowJob,
): { 'trial.workflow.run': Handler<'trial.workflow.run'> } {
  return {
    'trial.workflow.run': async (ctx) => {
      // Refused before a job starts when the adapters cannot reach the gate.
      await workflow.preflight();
      return {
        jobId: start(
          {
            kind: 'trial.workflow.run',
            tenant: ctx.tenant,
            principal: ctx.principal,
            phase: 'Starting the governed workflow',
          },
          (control) => workflow.run(ctx.tenant, ctx.principal.id, control),
        ),
      };
    },
  };
}
