import { z } from 'zod';
import { actionTypes } from './action';
import { approvalStateSchema } from './decision';
import { defineEvent, defineOperation } from './define';
import type { Role } from './roles';

/**
 * Who sees approval requests (the exact action an agent asked for): the people who work or
 * oversee the queue, not executives or report recipients.
 */
export const approvalViewers: readonly Role[] = [
  'evaluator',
  'security_reviewer',
  'operator',
  'compliance',
  'tenant_admin',
  'break_glass',
];

/**
 * What an approval can be asked for: an agent's action, or a report delivery to a recipient
 * outside the tenant's allowed domains (SPEC §8), which a second person must approve.
 */
export const approvalSubjectTypes = [...actionTypes, 'report_delivery'] as const;
export const approvalSubjectTypeSchema = z.enum(approvalSubjectTypes);
export type ApprovalSubjectType = z.infer<typeof approvalSubjectTypeSchema>;

const requestIdSchema = z
  .string({ error: 'is required and must be a string' })
  .regex(/^apr_[0-9a-f-]{36}$/, 'must be an approval request id (apr_…)');

/** An approval request as reviewers see it (SPEC §5). */
export const approvalRequestSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  state: approvalStateSchema,
  /** SHA-256 of the RFC 8785 canonical action the request is bound to, with the pack below. */
  actionSha256: z.string(),
  packId: z.string().nullable(),
  packVersion: z.string().nullable(),
  route: z.string(),
  ruleId: z.string().nullable(),
  /** Why the policy asks for an approval. */
  reason: z.string(),
  requireReason: z.boolean(),
  requester: z.string().nullable(),
  agent: z.object({ id: z.string(), session: z.string().optional() }).nullable(),
  adapter: z.string(),
  correlationId: z.string(),
  decisionId: z.string(),
  actionType: approvalSubjectTypeSchema,
  target: z.string(),
  /** The action as the agent asked for it (long file content is cut for display). */
  action: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  expiresAt: z.string(),
  decidedAt: z.string().nullable(),
  decidedBy: z.string().nullable(),
  decisionReason: z.string().nullable(),
  consumedAt: z.string().nullable(),
  /**
   * Ledger records of this request: the decision that opened it (its action in words; null for
   * report deliveries and older requests), the `requested` record and the latest state record.
   * Optional so that older cores' answers still parse.
   */
  decisionSeq: z.number().int().nullable().optional(),
  requestedSeq: z.number().int().nullable().optional(),
  stateSeq: z.number().int().nullable().optional(),
  /**
   * Approved by the local evaluation identity for an agent of the same OS user (SPEC §7):
   * no independent reviewer looked at it. A readiness blocker.
   */
  selfApproved: z.boolean(),
});
export type ApprovalRequestView = z.infer<typeof approvalRequestSchema>;

export const approvalOperations = {
  'approvals.list': defineOperation({
    description: 'Approval requests of this tenant, newest first; expired ones are marked expired first.',
    scope: 'tenant',
    roles: approvalViewers,
    input: z
      .object({
        states: z.array(approvalStateSchema).max(5).optional(),
        limit: z.number().int().min(1).max(1000).optional(),
      })
      .strict(),
    output: z.object({ requests: z.array(approvalRequestSchema) }),
  }),
  'approvals.get': defineOperation({
    description: 'One approval request with the exact action it is bound to.',
    scope: 'tenant',
    roles: approvalViewers,
    input: z.object({ id: requestIdSchema }).strict(),
    output: approvalRequestSchema,
  }),
  'approvals.decide': defineOperation({
    description:
      'Approve or deny a pending request. The requester cannot decide their own; a deny needs a reason. ' +
      'The decision is recorded in the ledger before it takes effect.',
    scope: 'tenant',
    roles: ['security_reviewer', 'tenant_admin'],
    mutates: true,
    authority: true,
    input: z
      .object({
        id: requestIdSchema,
        verdict: z.enum(['approve', 'deny'], { error: 'must be "approve" or "deny"' }),
        reason: z.string().max(2000).optional(),
      })
      .strict(),
    output: approvalRequestSchema,
  }),
} as const;

export const approvalEvents = {
  'approvals.changed': defineEvent({
    description: 'An approval request was created or changed state (pending, approved, denied, expired, cancelled).',
    roles: approvalViewers,
    payload: z.object({ tenantId: z.string(), id: z.string(), state: approvalStateSchema }),
  }),
} as const;
