import { z } from 'zod';
import { actionTypes } from './action';
import { approvalStateSchema } from './decision';
import { defineEvent, defineOperation } from './define';
import { loopbackRedirectSchema } from './session';
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

/** One reviewer's verdict on a request (a route may need several distinct approvers). */
export const approvalVoteSchema = z.object({
  by: z.string(),
  byDisplayName: z.string().nullable(),
  verdict: z.enum(['approve', 'deny']),
  reason: z.string().nullable(),
  at: z.string(),
  /** The ledger record of this verdict. */
  seq: z.number().int().nullable(),
  /**
   * The IdP's proof of a fresh sign-in for exactly this verdict (attested routes): who the IdP
   * authenticated, when, and that the token's nonce commits to this request, action and verdict.
   */
  attestation: z
    .object({ issuer: z.string(), subject: z.string(), authTime: z.string(), name: z.string().nullable() })
    .nullable(),
});
export type ApprovalVote = z.infer<typeof approvalVoteSchema>;

/** How a route's decisions are attested: `idp` needs a fresh IdP sign-in per verdict (SPEC §5). */
export const approvalAttestSchema = z.enum(['none', 'idp']);

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
   * Which ledger the record numbers above (and the votes') are in: this install's (omitted), or
   * the control plane's central ledger for a connected tenant's queue, where a number says
   * nothing about a local record of the same number.
   */
  recordsIn: z.enum(['local', 'central']).optional(),
  /**
   * Approved by the local evaluation identity for an agent of the same OS user (SPEC §7):
   * no independent reviewer looked at it. A readiness blocker.
   */
  selfApproved: z.boolean(),
  /**
   * Lifecycle and route details (issue 13). Optional so that older cores' answers still parse.
   * `waitUntil`: when the waiting adapter gives up (null when none waits); `effectiveExpiresAt`:
   * the real end of the decision window — the adapter's wait or the route's expiry, whichever is
   * sooner (the route's expiry when the route allows approving for a retry).
   */
  waitUntil: z.string().nullable().optional(),
  effectiveExpiresAt: z.string().optional(),
  /** "Approve for retry": the route lets an approval given after the adapter stopped waiting allow one identical retry. */
  allowReuse: z.boolean().optional(),
  /** IdP groups (or roles) whose members may decide on this route. */
  approverGroups: z.array(z.string()).optional(),
  requiredApprovals: z.number().int().min(1).optional(),
  attest: approvalAttestSchema.optional(),
  /** Every verdict given so far, oldest first. */
  votes: z.array(approvalVoteSchema).optional(),
  /** The agent principal (its credential) that asked, when the gate knew it. */
  agentPrincipal: z.string().nullable().optional(),
  /** A break-glass approval outside the route: who, why, and until when it may be used. */
  breakGlass: z
    .object({ by: z.string(), justification: z.string(), at: z.string(), validUntil: z.string() })
    .nullable()
    .optional(),
  /**
   * Only in the answer to `approvals.decide` with a `redirectUri` on an attested route: the
   * verdict is not given yet; open `authorizationUrl` (a fresh IdP sign-in), then pass the
   * redirect to `approvals.attest`.
   */
  stepUp: z.object({ flowId: z.string(), authorizationUrl: z.string(), expiresAt: z.string() }).optional(),
});
export type ApprovalRequestView = z.infer<typeof approvalRequestSchema>;

/** A request as the queue lists it: everything but the action itself (`approvals.get` has it). */
export const approvalSummarySchema = approvalRequestSchema.omit({ action: true, stepUp: true });
export type ApprovalSummaryView = z.infer<typeof approvalSummarySchema>;

export const approvalOperations = {
  'approvals.list': defineOperation({
    description: 'Approval requests of this tenant, newest first; expired ones are marked expired first.',
    scope: 'tenant',
    roles: approvalViewers,
    input: z
      .object({
        states: z.array(approvalStateSchema).max(7).optional(),
        limit: z.number().int().min(1).max(1000).optional(),
      })
      .strict(),
    output: z.object({ requests: z.array(approvalRequestSchema) }),
  }),
  'approvals.page': defineOperation({
    description:
      'One page of the approval queue, newest first, without the actions (open one with approvals.get): pass ' +
      '`nextCursor` back as `cursor` for the next page. `total` counts the requests in the asked states, `pending` ' +
      'the pending ones. The order is stable across pages; expired ones are marked expired first.',
    scope: 'tenant',
    roles: approvalViewers,
    input: z
      .object({
        states: z.array(approvalStateSchema).max(7).optional(),
        limit: z.number().int().min(1).max(500).optional(),
        cursor: z.string().min(1).max(200).optional(),
      })
      .strict(),
    output: z.object({
      requests: z.array(approvalSummarySchema),
      nextCursor: z.string().nullable(),
      total: z.number().int().min(0),
      pending: z.number().int().min(0),
    }),
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
      'Approve or deny a pending request. Refused: the requester or the agent’s OS user approving, a caller outside ' +
      'the route’s approver groups, a repeated approver, a deny without a reason. On an attested route the verdict ' +
      'needs a fresh IdP sign-in: with `redirectUri` the answer carries `stepUp` (open it, then `approvals.attest`). ' +
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
        /** Where the IdP redirects after the step-up sign-in (RFC 8252 loopback), for attested routes. */
        redirectUri: loopbackRedirectSchema.optional(),
      })
      .strict(),
    output: approvalRequestSchema,
  }),
  'approvals.attest': defineOperation({
    description:
      'Finish an attested verdict with the URL the IdP redirected to: the fresh ID token must be for the deciding ' +
      'user and its nonce must commit to this request, action and verdict. Then the verdict is recorded with it.',
    scope: 'tenant',
    roles: ['security_reviewer', 'tenant_admin', 'break_glass'],
    mutates: true,
    authority: true,
    input: z.object({ flowId: z.string().min(1).max(100), callbackUrl: z.string().min(1).max(8192) }).strict(),
    output: approvalRequestSchema,
  }),
  'approvals.cancel': defineOperation({
    description: 'Withdraw a pending request (recorded with the reason); the waiting adapter is told deny.',
    scope: 'tenant',
    roles: ['security_reviewer', 'operator', 'tenant_admin'],
    mutates: true,
    authority: true,
    input: z
      .object({
        id: requestIdSchema,
        reason: z.string({ error: 'is required' }).trim().min(1, 'is required to cancel a request').max(2000),
      })
      .strict(),
    output: approvalRequestSchema,
  }),
  'approvals.breakGlass': defineOperation({
    description:
      'Approve outside the route in an emergency (break_glass role only): needs a written justification, is usable ' +
      'for a limited time, raises a critical finding and notifies the tenant’s escalation contacts.',
    scope: 'tenant',
    roles: ['break_glass'],
    mutates: true,
    authority: true,
    input: z
      .object({
        id: requestIdSchema,
        justification: z
          .string({ error: 'is required' })
          .trim()
          .min(20, 'must explain the emergency in at least 20 characters')
          .max(2000),
        redirectUri: loopbackRedirectSchema.optional(),
      })
      .strict(),
    output: approvalRequestSchema,
  }),
} as const;

export const approvalEvents = {
  'approvals.changed': defineEvent({
    description:
      'An approval request was created or changed state (pending, approved, denied, expired, cancelled, abandoned, consumed).',
    roles: approvalViewers,
    payload: z.object({
      tenantId: z.string(),
      id: z.string(),
      state: approvalStateSchema,
      /**
       * What happened: the request opened, a verdict that leaves it pending (N-of-M, not yet the
       * N-th approval), or a change of state. Only `requested` is a new request to tell people about.
       */
      change: z.enum(['requested', 'verdict', 'state']).optional(),
    }),
  }),
} as const;
