import { z } from 'zod';
import { actionSchema } from '../contract';
import { BUNDLE_FILES } from '../evidence';

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

/** One long poll for a verdict answers within this, well inside the server's request timeout. */
export const MAX_LONG_POLL_MS = 25_000;

/**
 * A machine's long poll for the verdict on its request: `waitMs` is this poll's window, `untilMs`
 * (epoch ms) when the agent really stops waiting, so reviewers see that end and not the poll's.
 */
export const machineApprovalWaitSchema = z
  .object({
    id: z.string().min(1).max(100),
    waitMs: z.number().int().min(0).max(MAX_LONG_POLL_MS),
    untilMs: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();

/** The contract over HTTPS (core/server/contract-routes.ts): `{op, tenant, input}` as the caller. */
export const INVOKE_PATH = '/v1/invoke';

/** The central ledger's ingest route (core/server/ledger-routes.ts). */
export const LEDGER_BATCH_PATH = '/v1/ledger/batches';
/** The most records one ingest batch may carry (the gate sends fewer). */
export const MAX_INGEST_BATCH_RECORDS = 1_000;

/** The central ledger as an evidence bundle (core/server/ledger-routes.ts), for a tenant's evidence exporters. */
export const CENTRAL_BUNDLE_PATH = '/v1/ledger/bundle';

const rangeBound = z.union([
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  z.iso.datetime({ offset: true, error: 'must be a sequence number or an RFC 3339 time' }),
]);

/** What a console asks for: the whole central ledger, or records from/to a sequence number or time. */
export const centralBundleRequestSchema = z.strictObject({ from: rangeBound.optional(), to: rangeBound.optional() });
export type CentralBundleRequest = z.infer<typeof centralBundleRequestSchema>;

const bundleFileNames = Object.values(BUNDLE_FILES) as [string, ...string[]];

/** The media type of the streamed bundle: a header line, then each file's bytes in the header's order. */
export const BUNDLE_STREAM_TYPE = 'application/vnd.cavra.bundle-stream';
/** The header line's longest length: it lists eight file names and sizes. */
export const MAX_BUNDLE_STREAM_HEADER_BYTES = 64 * 1024;
/** The largest bundle a client takes (the whole tenant ledger with its proofs). */
export const MAX_BUNDLE_STREAM_BYTES = 64 * 1024 ** 3;

/**
 * The streamed bundle's first line (JSON, then `\n`): the tenant and exactly the bundle's file
 * names, each once, with their sizes; the files' bytes follow in this order and nothing after,
 * so a client writes nothing else and nowhere else. The verifier judges the content.
 */
export const bundleStreamHeaderSchema = z.strictObject({
  tenant: z.string().min(1).max(200),
  files: z
    .array(
      z.strictObject({
        path: z.enum(bundleFileNames),
        bytes: z.number().int().nonnegative().max(MAX_BUNDLE_STREAM_BYTES),
      }),
    )
    .length(bundleFileNames.length)
    .refine((files) => new Set(files.map((file) => file.path)).size === files.length, 'each bundle file once')
    .refine(
      (files) => files.reduce((sum, file) => sum + file.bytes, 0) <= MAX_BUNDLE_STREAM_BYTES,
      `at most ${MAX_BUNDLE_STREAM_BYTES} bytes in all`,
    ),
});
export type BundleStreamHeader = z.infer<typeof bundleStreamHeaderSchema>;

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
