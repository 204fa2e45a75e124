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

export const approvalStateSchema = z.enum(['pending', 'approved', 'denied', 'expired', 'cancelled']);

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
});
export type Decision = z.infer<typeof decisionSchema>;
