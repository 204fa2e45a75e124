import { z } from 'zod';
import { defineEvent, defineOperation } from './define';
import { jobStartedSchema } from './jobs';
import type { Role } from './roles';

/** Who may read a tenant's evidence: everyone but plain report recipients. */
const evidenceReaders: readonly Role[] = [
  'evaluator',
  'security_reviewer',
  'operator',
  'compliance',
  'executive',
  'tenant_admin',
  'break_glass',
];
const evidenceExporters: readonly Role[] = ['compliance', 'tenant_admin', 'security_reviewer', 'evaluator'];
const retentionKeepers: readonly Role[] = ['compliance', 'tenant_admin'];

const retentionSchema = z.object({ days: z.number().int().nullable(), legalHold: z.boolean() });

const checkpointSchema = z.object({ size: z.number().int(), root: z.string(), time: z.string(), keyId: z.string() });

export const ledgerStatusSchema = z.object({
  tenant: z.string(),
  origin: z.string(),
  size: z.number().int(),
  lastCheckpoint: checkpointSchema.nullable(),
  uncovered: z.number().int(),
  signing: z.union([
    z.object({ state: z.literal('ready'), keyId: z.string() }),
    z.object({ state: z.literal('unavailable'), reason: z.string() }),
  ]),
  retention: retentionSchema,
});

export const recordSummarySchema = z.object({
  seq: z.number().int(),
  time: z.string(),
  type: z.string(),
  recordHash: z.string(),
  summary: z.string(),
  decision: z.string().nullable(),
  agent: z.string().nullable(),
  session: z.string().nullable(),
  pruned: z.boolean(),
});
export type RecordSummary = z.infer<typeof recordSummarySchema>;

const isoTime = z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time, e.g. 2026-11-25T10:00:00Z' });
const shortText = z.string().min(1).max(256);

export const evidenceQuerySchema = z
  .object({
    types: z.array(shortText).max(20).optional(),
    decisions: z
      .array(z.enum(['allow', 'warn', 'require_approval', 'deny']))
      .max(4)
      .optional(),
    agent: shortText.optional(),
    session: shortText.optional(),
    rule: shortText.optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
    before: z.number().int().positive().optional(),
    limit: z.number().int().min(1).max(500).optional(),
  })
  .strict();

export const verificationSchema = z.union([
  z.object({
    ok: z.literal(true),
    size: z.number().int(),
    checkpoints: z.number().int(),
    lastCheckpoint: checkpointSchema.nullable(),
  }),
  z.object({ ok: z.literal(false), size: z.number().int(), seq: z.number().int().nullable(), reason: z.string() }),
]);

export const exportResultSchema = z.object({
  dir: z.string(),
  fromSeq: z.number().int(),
  toSeq: z.number().int(),
  count: z.number().int(),
  treeSize: z.number().int(),
  root: z.string(),
  keyId: z.string(),
  manifestSha256: z.string(),
});

/**
 * One approval verdict in a bundle that the IdP attested (core/approvals/attestation.ts): the
 * human the IdP authenticated, when, and whether the token commits to this request, action
 * digest and verdict. `problems` says why one does not verify.
 */
export const attestedVerdictSchema = z.object({
  ok: z.boolean(),
  seq: z.number().int(),
  requestId: z.string(),
  event: z.string(),
  by: z.string(),
  actionSha256: z.string(),
  issuer: z.string().nullable(),
  subject: z.string().nullable(),
  name: z.string().nullable(),
  authTime: z.string().nullable(),
  problems: z.array(z.string()),
});
export type AttestedVerdictView = z.infer<typeof attestedVerdictSchema>;

export const bundleVerificationSchema = z.object({
  ok: z.boolean(),
  dir: z.string(),
  failure: z
    .object({
      kind: z.enum(['input', 'integrity']),
      file: z.string().nullable(),
      line: z.number().int().optional(),
      seq: z.number().int().optional(),
      reason: z.string(),
    })
    .nullable(),
  warnings: z.array(z.string()),
  tenant: z.string().nullable(),
  origin: z.string().nullable(),
  key: z.object({ keyId: z.string(), vkey: z.string(), pinned: z.boolean() }).nullable(),
  checked: z.record(z.string(), z.number().int()),
  /** Attested approval verdicts found while verifying (Offline review); absent where not collected. */
  attestations: z.array(attestedVerdictSchema).optional(),
});

export const evidenceOperations = {
  'evidence.status': defineOperation({
    description: "The tenant's ledger: size, last signed checkpoint, records not yet covered, signing and retention.",
    scope: 'tenant',
    roles: evidenceReaders,
    input: z.object({}).strict(),
    output: ledgerStatusSchema,
  }),
  'evidence.query': defineOperation({
    description: 'Browse and search the ledger, newest first: by time, type, decision, agent, session or rule.',
    scope: 'tenant',
    roles: evidenceReaders,
    input: evidenceQuerySchema,
    output: z.object({ records: z.array(recordSummarySchema), next: z.number().int().nullable() }),
  }),
  'evidence.record': defineOperation({
    description: 'One record with its header, payload (unless pruned) and inclusion proof in the latest checkpoint.',
    scope: 'tenant',
    roles: evidenceReaders,
    input: z.object({ seq: z.number().int().nonnegative() }).strict(),
    output: z.object({
      header: z.record(z.string(), z.unknown()),
      recordHash: z.string(),
      leafHash: z.string(),
      payload: z.unknown(),
      prunedBy: z.number().int().nullable(),
      proof: z.object({ checkpoint: checkpointSchema, path: z.array(z.string()) }).nullable(),
    }),
  }),
  'evidence.verify': defineOperation({
    description: 'Verify the whole ledger as stored (a job with progress and cancel; the result is the verification).',
    scope: 'tenant',
    roles: evidenceReaders,
    input: z.object({}).strict(),
    output: jobStartedSchema,
  }),
  'evidence.export': defineOperation({
    description:
      "Export a signed bundle into the tenant's archive (a job with progress and cancel; the result names the directory).",
    scope: 'tenant',
    roles: evidenceExporters,
    mutates: true,
    input: z.object({ from: isoTime.optional(), to: isoTime.optional() }).strict(),
    output: jobStartedSchema,
  }),
  'evidence.bundle.verify': defineOperation({
    description:
      "Offline review: verify an exported bundle directory on this machine against its own or a pinned key; needs no tenant data. Inside CAVRA's data directory only the tenant's own archive is read; elsewhere, a bundle the person picked.",
    machineLocal: true,
    scope: 'tenant',
    roles: evidenceReaders,
    input: z
      .object({
        path: z.string().min(1, 'is required').max(4096),
        trustedKey: z.string().max(8192).optional(),
      })
      .strict(),
    output: jobStartedSchema,
  }),
  'evidence.retention.set': defineOperation({
    description:
      'Set how long payloads are kept (days, or null for ever) and the legal hold; recorded as a config change.',
    scope: 'tenant',
    roles: retentionKeepers,
    mutates: true,
    configuration: true,
    authority: true,
    input: z
      .object({
        days: z
          .number({ error: 'must be a whole number of days, or null to keep for ever' })
          .int('must be a whole number of days')
          .min(1, 'must be at least 1 day')
          .max(36_500, 'must be at most 36500 days')
          .nullable(),
        legalHold: z.boolean({ error: 'must be true or false' }),
      })
      .strict(),
    output: retentionSchema,
  }),
  'evidence.prune': defineOperation({
    description:
      'Replace payloads past retention with a signed tombstone (hashes stay, the ledger still verifies); nothing under legal hold.',
    scope: 'tenant',
    roles: retentionKeepers,
    mutates: true,
    authority: true,
    input: z.object({}).strict(),
    output: z.object({
      pruned: z.number().int(),
      tombstone: z.number().int().nullable(),
      reason: z.string().optional(),
    }),
  }),
} as const;

export const evidenceEvents = {
  'evidence.appended': defineEvent({
    description: "New records reached a tenant's ledger (from this process or another one).",
    roles: evidenceReaders,
    payload: z.object({
      tenantId: z.string(),
      size: z.number().int(),
      /**
       * Whether any of the new records is an approval event (requested, approved, consumed, …),
       * so a console refetches its approval queue only then. Absent from older cores: refetch.
       */
      approvalRecords: z.boolean().optional(),
    }),
  }),
} as const;
