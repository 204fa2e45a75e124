import { z } from 'zod';
import { actionSchema } from '../contract';

// The machine wire between a connected gate (core/connect) and the control plane
// (core/server): one definition both sides import, so they cannot drift apart.

/** The header naming the tenant whose IdP issued a person's bearer token (core/server/auth.ts). */
export const TENANT_HEADER = 'cavra-tenant';

/** Machine-facing routes of the control plane (core/server/machine-routes.ts serves them). */
export const MACHINE_PATHS = {
  enrol: '/v1/machines/enrol',
  self: '/v1/machines/self',
  revoke: '/v1/machines/revoke',
  evidence: '/v1/machines/evidence',
  approvalOpen: '/v1/machines/approvals/open',
  approvalWait: '/v1/machines/approvals/wait',
  approvalConsume: '/v1/machines/approvals/consume',
  approvalAbandon: '/v1/machines/approvals/abandon',
  packs: '/v1/machines/packs',
} as const;

/** The contract over HTTPS (core/server/contract-routes.ts): `{op, tenant, input}` as the caller. */
export const INVOKE_PATH = '/v1/invoke';

/** The central ledger's ingest route (core/server/ledger-routes.ts). */
export const LEDGER_BATCH_PATH = '/v1/ledger/batches';
/** The most records one ingest batch may carry (the gate sends fewer). */
export const MAX_INGEST_BATCH_RECORDS = 1_000;

export const approvalBindingSchema = z.strictObject({
  tenant: z.string(),
  actionSha256: z.string().regex(/^[0-9a-f]{64}$/),
  packId: z.string().max(200).nullable(),
  packVersion: z.string().max(100).nullable(),
});

/**
 * An approval request as a connected gate raises it. The machine says what was asked and which
 * rule (and route) decided; it never says who may approve, how many, whether the verdict is
 * attested, whether it may be reused or when it expires: the control plane derives those from
 * the tenant's policy it holds (core/approvals termsForMachineRequest). Unknown keys are refused.
 */
export const machineApprovalOpenSchema = z.strictObject({
  id: z.string().regex(/^apr_[0-9a-f-]{36}$/, 'must be apr_<uuid>'),
  binding: approvalBindingSchema,
  route: z.string().min(1).max(300),
  ruleId: z.string().max(300).nullable(),
  reason: z.string().max(4000),
  requester: z.string().max(300).nullable(),
  agent: z.strictObject({ id: z.string().max(200), session: z.string().max(200).optional() }).nullable(),
  adapter: z.string().min(1).max(100),
  correlationId: z.string().min(1).max(200),
  decisionId: z.string().min(1).max(200),
  actionType: z.string().min(1).max(100),
  target: z.string().max(4000),
  action: actionSchema,
});
export type MachineApprovalOpen = z.infer<typeof machineApprovalOpenSchema>;
