import { z } from 'zod';
import { decisionKindSchema } from './decision';
import { defineOperation } from './define';
import { jobStartedSchema } from './jobs';

/**
 * The governed workflow (SPEC §11, trial step 4): a scripted agent session, no LLM, in a
 * scratch git repository, whose every action goes through a real adapter (the Claude Code
 * hook, the MCP proxy in front of a real MCP server, the git pre-push hook, `cavra exec` in
 * the sandbox) to the running gate. What each step observed is read back from the ledger.
 */
export const workflowAdapters = ['claude-code', 'mcp-proxy', 'git', 'exec'] as const;
export const workflowStepOutcomes = ['as_expected', 'unexpected', 'failed', 'cancelled'] as const;

/** The trusted MCP server name the workflow's proxy runs under (`cavra mcp trust` it first). */
export const TRIAL_MCP_SERVER = 'trial-filesystem';

export const workflowStepSchema = z.object({
  id: z.string(),
  title: z.string(),
  adapter: z.enum(workflowAdapters),
  /** The decisions the script expects, in order (an approval step: require_approval, then allow). */
  expected: z.array(decisionKindSchema),
  /** The decisions the gate recorded for this step, in order, read from the ledger. */
  observed: z.array(decisionKindSchema),
  outcome: z.enum(workflowStepOutcomes),
  /** What happened, and when not as expected, what to do. */
  detail: z.string(),
  /** The decision records of this step. */
  records: z.array(z.number().int().nonnegative()),
});
export type WorkflowStep = z.infer<typeof workflowStepSchema>;

export const workflowRunSchema = z.object({
  tenant: z.string(),
  runId: z.string(),
  /** The scratch repository the session worked in (removed when the run ends). */
  workspace: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** Every step went as the script expected: each decision type happened through an adapter. */
  complete: z.boolean(),
  decisions: z.object({
    allow: z.number().int().nonnegative(),
    warn: z.number().int().nonnegative(),
    require_approval: z.number().int().nonnegative(),
    deny: z.number().int().nonnegative(),
  }),
  steps: z.array(workflowStepSchema),
});
export type WorkflowRun = z.infer<typeof workflowRunSchema>;

export const trialWorkflowOperations = {
  'trial.workflow.run': defineOperation({
    description:
      'Run the governed workflow (trial step 4) as a job: a scripted agent session whose file, command, Git and MCP actions go through the real adapters to the running gate; one action waits for an approval in the Approval queue.',
    machineLocal: true,
    scope: 'tenant',
    roles: ['evaluator', 'operator', 'tenant_admin'],
    mutates: true,
    input: z.object({}).strict(),
    output: jobStartedSchema,
  }),
} as const;
