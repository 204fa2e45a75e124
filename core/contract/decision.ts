import { z } from 'zod';
import { actionTypeSchema } from './action';

/** Ordered from least to most restrictive; the most restrictive match wins (SPEC §3). */
export const decisionKinds = ['allow', 'warn', 'require_approval', 'deny'] as const;
export const decisionKindSchema = z.enum(decisionKinds);
export type DecisionKind = z.infer<typeof decisionKindSchema>;

export const severities = ['low', 'medium', 'high', 'critical'] as const;
export const severitySchema = z.enum(severities);
export type Severity = z.infer<typeof severitySchema>;

export const enforcementModeSchema = z.enum(['enforce', 'shadow']);
export type EnforcementMode = z.infer<typeof enforcementModeSchema>;

export const matchedRuleSchema = z.object({
  pack_id: z.string(),
  pack_version: z.string(),
  rule_id: z.string(),
  severity: severitySchema,
  decision: decisionKindSchema,
  reason: z.string(),
  /** What in the normalized action matched: a simple command, a path, a git ref, a tool. */
  matched: z.string().optional(),
  mode: enforcementModeSchema,
});
export type MatchedRule = z.infer<typeof matchedRuleSchema>;

/** A rule that matched one part of the action, as `pack/rule`, with the decision it asked for. */
const partRuleSchema = z.object({ rule: z.string(), decision: decisionKindSchema, mode: enforcementModeSchema });

/**
 * The action in words, as the normalizer understood it and the policy judged it: filled by the
 * core (core/policy/action-summary.ts) so that no reader re-parses a command line or decides
 * what a file is. Each part lists the rules that matched it (`rules`, empty when none did).
 * Values that could hold secrets stay out: environment assignments, file contents and MCP
 * argument values are never included (MCP argument names are). Long lists are cut (`truncated`).
 * Optional: decisions recorded before it existed have none.
 */
export const actionSummarySchema = z.object({
  commands: z.array(
    z.object({
      program: z.string(),
      args: z.array(z.string()),
      /** `sudo`, `env`, `bash -c`, … peeled off in front, outermost first. */
      wrappers: z.array(z.string()),
      /** 0 at the top level; +1 inside each `bash -c`, `eval` or substitution. */
      depth: z.number().int().nonnegative(),
      /** Depends on an expansion that cannot be known before it runs. */
      dynamic: z.boolean(),
      rules: z.array(partRuleSchema),
    }),
  ),
  files: z.array(
    z.object({
      /** Relative to the workspace when inside it, else absolute. */
      path: z.string(),
      access: z.enum(['read', 'write']),
      outside_workspace: z.boolean(),
      /** The command or tool that touches it (`cat`, `filesystem/read_file`), null for the action's own path. */
      via: z.string().nullable(),
      rules: z.array(partRuleSchema),
    }),
  ),
  git: z.array(
    z.object({
      subcommand: z.string(),
      remote: z.string().nullable(),
      refs: z.array(z.object({ src: z.string().nullable(), dst: z.string(), force: z.boolean(), delete: z.boolean() })),
      /** Forced without a lease (`--force`, `+refspec`). */
      force: z.boolean(),
      force_with_lease: z.boolean(),
      rules: z.array(partRuleSchema),
    }),
  ),
  mcp: z
    .object({
      server: z.string(),
      tool: z.string(),
      argument_names: z.array(z.string()),
      rules: z.array(partRuleSchema),
    })
    .nullable(),
  /** Why part of the action could not be understood (then it is never simply allowed). */
  problems: z.array(z.string()),
  truncated: z.boolean(),
});
export type ActionSummary = z.infer<typeof actionSummarySchema>;

/**
 * SPEC §5 lifecycle: `pending → approved | denied | expired | cancelled | abandoned`, then an
 * approved request becomes `consumed` when the one action it approves runs. `abandoned`: the
 * adapter stopped waiting (timeout, Ctrl-C, session ended), so it can never be approved.
 */
export const approvalStateSchema = z.enum([
  'pending',
  'approved',
  'denied',
  'expired',
  'cancelled',
  'abandoned',
  'consumed',
]);
export type ApprovalState = z.infer<typeof approvalStateSchema>;

/** SPEC §2 Decision. `decision` is the effective outcome; in shadow mode `would_be` keeps the verdict. */
export const decisionSchema = z.object({
  decision_id: z.string(),
  tenant: z.string(),
  action_type: actionTypeSchema,
  target: z.string(),
  rules: z.array(matchedRuleSchema),
  decision: decisionKindSchema,
  would_be: decisionKindSchema,
  mode: enforcementModeSchema,
  approval: z.object({ route: z.string(), state: approvalStateSchema, request_id: z.string().optional() }).optional(),
  evidence_ref: z.string().nullable(),
  timestamp: z.string(),
  correlation_id: z.string(),
  explanation: z.object({
    summary: z.string(),
    /** The rule that decided, or null when a default or a normalization problem did. */
    winner: z.string().nullable(),
    basis: z.enum(['rule', 'default', 'no_pack', 'normalization']),
  }),
  /** The action in words (see actionSummarySchema); absent on decisions recorded before it existed. */
  action: actionSummarySchema.optional(),
});
export type Decision = z.infer<typeof decisionSchema>;
