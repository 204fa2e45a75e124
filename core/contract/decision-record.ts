import { z } from 'zod';
import { ACTION_LIMITS } from './action';
import { actionSummarySchema, decisionSchema, matchedRuleSchema } from './decision';

// The payload of a `decision` ledger record, in the contract so that every reader — the ledger's
// record schema (core/evidence/record-types.ts), AISPM, reports and the console's decision card —
// reads one definition and cannot drift from what the gate writes.

/** An identifier in a ledger record payload. */
export const recordIdentifierSchema = z.string().min(1).max(256);
const identifier = recordIdentifierSchema;

/** The agent (and its session) a record names. */
const agentSchema = z.strictObject({ id: identifier, session: identifier.optional() });

/**
 * A decision record has exactly one shape, whoever wrote it (the gate for every adapter,
 * `policy.evaluate` for `cavra evaluate`): `decisionRecord` in core/evidence/decision-record.ts builds it,
 * and this schema refuses anything else, down to the Decision's nested objects, so readers
 * (AISPM, reports, auditors) never meet a second dialect.
 */
const summary = actionSummarySchema.shape;
const strictPartRules = z.array(summary.commands.element.shape.rules.element.strict());
const strictActionSummarySchema = z.strictObject({
  ...summary,
  commands: z.array(summary.commands.element.extend({ rules: strictPartRules }).strict()),
  files: z.array(summary.files.element.extend({ rules: strictPartRules }).strict()),
  git: z.array(
    summary.git.element
      .extend({ refs: z.array(summary.git.element.shape.refs.element.strict()), rules: strictPartRules })
      .strict(),
  ),
  mcp: summary.mcp.unwrap().extend({ rules: strictPartRules }).strict().nullable(),
});

const strictDecisionSchema = z.strictObject({
  ...decisionSchema.shape,
  action: strictActionSummarySchema.optional(),
  rules: z.array(matchedRuleSchema.strict()),
  approval: decisionSchema.shape.approval.unwrap().strict().optional(),
  explanation: decisionSchema.shape.explanation.strict(),
});

export const decisionRecordPayloadSchema = z.strictObject({
  decision: strictDecisionSchema,
  /** How the action reached CAVRA: the gate adapter (`claude-code`, `mcp-proxy`, `git`, `exec`, …) or `policy.evaluate`. */
  adapter: identifier,
  agent: agentSchema.optional(),
  /** The human on whose behalf the agent acted, when known: `os:<user>` when the gate verified it. */
  actor: identifier.optional(),
  /** The verified actor's uid (what separation of duties compares), present with `actor_verified_by`. */
  actor_uid: z.number().int().nonnegative().optional(),
  /** How the gate knows the actor: the socket peer's kernel credentials, or the adapter credential's owner. */
  actor_verified_by: z.enum(['peer_credentials', 'install_owner']).optional(),
  /** What the agent said the actor was: kept as a claim, never trusted. */
  claimed_actor: identifier.optional(),
  repository: identifier.optional(),
  /** The agent's working directory as the adapter reported it. */
  cwd: z.string().min(1).max(ACTION_LIMITS.path).optional(),
  /**
   * For a command the adapter runs contained (`cavra exec`): the sandbox profile's digest,
   * or the tenant's recorded choice to run it on judgement alone (core/containment).
   */
  containment: z
    .discriminatedUnion('enforcement', [
      z.strictObject({ enforcement: z.literal('sandbox'), profile_sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
      z.strictObject({ enforcement: z.literal('judgement_only') }),
    ])
    .optional(),
});
export type DecisionPayload = z.infer<typeof decisionRecordPayloadSchema>;
