import { z } from 'zod';
import {
  decisionRecordPayloadSchema,
  findingStatusSchema,
  recordIdentifierSchema,
  reviewKindSchema,
  severitySchema,
} from '../contract';
import type { DecisionPayload } from '../contract';

/**
 * The record types and what each payload must hold. The set grows by adding an entry
 * (approvals, deliveries, logins and validator runs come next); verifiers accept types they
 * do not know, because the hash chain and tree do not depend on payload meaning.
 *
 * `index` pulls the fields the Evidence screen filters by out of a payload; they live in
 * their own indexed columns so that queries never parse payloads.
 */
export interface RecordIndex {
  decision?: string;
  agent?: string;
  session?: string;
  rules?: string[];
}

interface RecordTypeSpec {
  /** Callers may append it; `checkpoint` and `tombstone` are written by the ledger itself. */
  appendable: boolean;
  schema: z.ZodType;
  index(payload: unknown): RecordIndex;
  /** One line for lists, from the payload. */
  describe(payload: unknown): string;
}

const identifier = recordIdentifierSchema;

/** What changed (`policy.assign`, `evidence.retention`, …), by whom; the rest is the change's own detail. */
const configChangePayloadSchema = z.looseObject({
  change: identifier,
  by: identifier,
});

const packActivatedPayloadSchema = z.looseObject({
  pack_id: identifier,
  version: identifier,
  sha256: z.string().optional(),
  previous_version: identifier.nullable().optional(),
  source: identifier.optional(),
  by: identifier.optional(),
});

const gapPayloadSchema = z.looseObject({
  source: identifier,
  reason: z.string().min(1).max(2000),
  missed: z.number().int().nonnegative().optional(),
  agent: z.object({ id: identifier, session: identifier.optional() }).optional(),
});

/** A state change of an approval request (core/approvals), written before it takes effect. */
const approvalPayloadSchema = z.looseObject({
  request_id: identifier,
  event: z.enum([
    'requested',
    'viewed',
    'approved',
    'denied',
    'expired',
    'cancelled',
    'abandoned',
    'break_glass',
    'consumed',
  ]),
  by: identifier,
  action_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  route: identifier,
  agent: z.object({ id: identifier, session: identifier.optional() }).optional(),
});

/** An MCP server's tool definitions, fingerprinted by the MCP proxy: a baseline, or a change. */
const mcpToolsPayloadSchema = z.looseObject({
  server: identifier,
  change: z.enum(['first_seen', 'changed']),
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
});

/** Something a reviewer must look at (AISPM consumes these); `evidence` names the records behind it. */
const findingPayloadSchema = z.looseObject({
  kind: identifier,
  severity: severitySchema,
  summary: z.string().min(1).max(2000),
  evidence: z.array(z.number().int().nonnegative()).optional(),
});

/**
 * One outbound delivery event (core/outbox): an attempt with the server's answer, or the
 * delivery being queued, escalated or refused. Never the secret and never the content: the
 * subject line, recipients and server response (cut short) are what an auditor needs.
 */
const deliveryPayloadSchema = z.looseObject({
  delivery_id: identifier,
  event: z.enum(['queued', 'attempt', 'escalated', 'refused', 'retried']),
  connector: identifier,
  connector_kind: identifier,
  purpose: identifier,
  idempotency_key: identifier,
  attempt: z.number().int().nonnegative().optional(),
  outcome: z.enum(['accepted', 'failed', 'interrupted']).optional(),
  code: z.string().max(64).nullable().optional(),
  text: z.string().max(500).optional(),
  duration_ms: z.number().int().nonnegative().optional(),
  recipients: z.array(z.string().max(254)).max(200).optional(),
  accepted: z.array(z.string().max(254)).max(200).optional(),
  rejected: z.array(z.string().max(254)).max(200).optional(),
});
export type DeliveryPayload = z.infer<typeof deliveryPayloadSchema>;

/**
 * One validator's observation (core/readiness): pass, warn or blocker, what it saw, and the
 * records it relied on. A readiness packet cites these records; it never states a result
 * that is not one of them.
 */
const validatorResultPayloadSchema = z.looseObject({
  run_id: identifier,
  gate: z.enum(['pilot', 'production']),
  validator: identifier,
  status: z.enum(['pass', 'warn', 'blocker']),
  message: z.string().min(1).max(4000),
  evidence: z.array(z.number().int().nonnegative()).max(1000),
  by: identifier,
});
export type ValidatorResultPayload = z.infer<typeof validatorResultPayloadSchema>;

/**
 * The trial closeout (core/readiness): `recorded` holds the decisions (pilot decision, feedback,
 * package access, the license's fate, the gate run and its blocker count) before the packet is
 * written; `exported` names the signed closeout packet once it is in the archive.
 */
const closeoutPayloadSchema = z.looseObject({
  closeout_id: identifier,
  event: z.enum(['recorded', 'exported']),
  by: identifier,
});

/** A readiness packet was signed and exported (its digest, the run it summarises, where it went). */
const readinessPacketPayloadSchema = z.looseObject({
  run_id: identifier,
  ready_for_aispm_production: z.boolean(),
  blockers: z.number().int().nonnegative(),
  packet_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  by: identifier,
});

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * A person's change to an AISPM finding (core/aispm): its owner, status or accepted risk.
 * Written before the change applies; AISPM's state is what these records say.
 */
const findingTriagePayloadSchema = z.strictObject({
  finding_id: z.string().regex(/^fnd_[0-9a-f]{16}$/),
  finding_kind: identifier,
  by: identifier,
  owner: identifier.nullable().optional(),
  status: findingStatusSchema.optional(),
  accepted_until: z.iso.datetime({ offset: true }).optional(),
  note: z.string().max(2000).optional(),
});

/** A completed operating review (SPEC §9): who, their notes, and the exact packet they reviewed. */
const operatingReviewPayloadSchema = z.strictObject({
  review: reviewKindSchema,
  by: identifier,
  notes: z.string().min(1).max(2000),
  packet_sha256: sha256Hex,
  period: z.strictObject({ from_seq: z.number().int().nonnegative(), to_seq: z.number().int().min(-1) }),
  /** Item counts per packet section, so the record says what was in front of the reviewer. */
  summary: z.record(z.string(), z.number().int().nonnegative()),
});
/**
 * What containment observed around a contained run (core/containment): a connection the
 * filtering proxy refused, a sandbox that could not start, or the profile an MCP server was
 * started in. Linked to the decision that allowed the run by `decision_id` and `decision_ref`.
 */
const containmentPayloadSchema = z.looseObject({
  event: z.enum(['network_denied', 'sandbox_unavailable', 'mcp_server_contained']),
  reason: z.string().min(1).max(2000),
  adapter: identifier,
  decision_id: identifier.optional(),
  decision_ref: identifier.optional(),
  profile_sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  host: z.string().max(300).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  method: z.string().max(32).optional(),
  server: identifier.optional(),
  agent: z.object({ id: identifier, session: identifier.optional() }).optional(),
});
export type ContainmentPayload = z.infer<typeof containmentPayloadSchema>;

/** A sign-in, sign-out or refused sign-in (core/identity); `by` is the principal id. */
const loginPayloadSchema = z.looseObject({
  by: identifier,
  outcome: z.enum(['signed_in', 'signed_out', 'refused']),
  kind: identifier.optional(),
});

/** A member's roles changed (IdP group mapping at sign-in, or an administrator); recorded before it applies. */
const roleChangePayloadSchema = z.looseObject({
  by: identifier,
  principal: identifier,
  from: z.array(identifier),
  to: z.array(identifier),
});

/** The core refused an operation (no sign-in, wrong role, an agent reaching for authority). */
const accessRefusedPayloadSchema = z.looseObject({
  by: identifier,
  kind: identifier,
  op: identifier,
  code: identifier,
  reason: z.string().min(1).max(2000),
});

const checkpointPayloadSchema = z.object({
  size: z.number().int().nonnegative(),
  root: z.string(),
  time: z.string(),
  key_id: z.string(),
  note: z.string(),
});
export type CheckpointPayload = z.infer<typeof checkpointPayloadSchema>;

const tombstonePayloadSchema = z.object({
  reason: z.literal('retention'),
  retention_days: z.number().int().positive(),
  cutoff: z.string(),
  from_seq: z.number().int().nonnegative(),
  to_seq: z.number().int().nonnegative(),
  count: z.number().int().positive(),
  origin: z.string(),
  key_id: z.string(),
  signature: z.string(),
});
export type TombstonePayload = z.infer<typeof tombstonePayloadSchema>;

const noIndex = (): RecordIndex => ({});

export const recordTypes = {
  decision: {
    appendable: true,
    schema: decisionRecordPayloadSchema,
    index: (payload) => {
      const p = payload as DecisionPayload;
      return {
        decision: p.decision.decision,
        agent: p.agent?.id,
        session: p.agent?.session,
        rules: [...new Set(p.decision.rules.map((rule) => rule.rule_id))],
      };
    },
    describe: (payload) => {
      const { decision } = payload as DecisionPayload;
      const rule = decision.explanation.winner ? ` (${decision.explanation.winner})` : '';
      return `${decision.decision} ${decision.action_type} ${decision.target}${rule}`;
    },
  },
  config_change: {
    appendable: true,
    schema: configChangePayloadSchema,
    index: noIndex,
    describe: (payload) => {
      const p = payload as z.infer<typeof configChangePayloadSchema>;
      return `${p.change} by ${p.by}`;
    },
  },
  pack_activated: {
    appendable: true,
    schema: packActivatedPayloadSchema,
    index: noIndex,
    describe: (payload) => {
      const p = payload as z.infer<typeof packActivatedPayloadSchema>;
      return `${p.pack_id}@${p.version} activated${p.by ? ` by ${p.by}` : ''}`;
    },
  },
  gap: {
    appendable: true,
    schema: gapPayloadSchema,
    index: (payload) => {
      const p = payload as z.infer<typeof gapPayloadSchema>;
      return { agent: p.agent?.id, session: p.agent?.session };
    },
    describe: (payload) => {
      const p = payload as z.infer<typeof gapPayloadSchema>;
      return `gap in ${p.source}: ${p.reason}`;
    },
  },
  approval: {
    appendable: true,
    schema: approvalPayloadSchema,
    index: (payload) => {
      const p = payload as z.infer<typeof approvalPayloadSchema>;
      return { agent: p.agent?.id, session: p.agent?.session };
    },
    describe: (payload) => {
      const p = payload as z.infer<typeof approvalPayloadSchema>;
      return `approval ${p.request_id} ${p.event} by ${p.by}`;
    },
  },
  mcp_tools: {
    appendable: true,
    schema: mcpToolsPayloadSchema,
    index: noIndex,
    describe: (payload) => {
      const p = payload as z.infer<typeof mcpToolsPayloadSchema>;
      return `MCP server ${p.server} tool definitions ${p.change === 'changed' ? 'changed' : 'first seen'} (${p.fingerprint.slice(0, 12)})`;
    },
  },
  finding: {
    appendable: true,
    schema: findingPayloadSchema,
    index: noIndex,
    describe: (payload) => {
      const p = payload as z.infer<typeof findingPayloadSchema>;
      return `${p.severity} finding: ${p.summary}`;
    },
  },
  delivery: {
    appendable: true,
    schema: deliveryPayloadSchema,
    index: noIndex,
    describe: (payload) => {
      const p = payload as DeliveryPayload;
      const via = `${p.purpose} via ${p.connector}`;
      if (p.event !== 'attempt') return `delivery ${p.delivery_id} ${p.event} (${via})`;
      return `delivery ${p.delivery_id} attempt ${p.attempt ?? '?'} ${p.outcome ?? ''} (${via})${p.code ? ` ${p.code}` : ''}`;
    },
  },
  login: {
    appendable: true,
    schema: loginPayloadSchema,
    index: noIndex,
    describe: (payload) => {
      const p = payload as z.infer<typeof loginPayloadSchema>;
      return `${p.by} ${p.outcome.replace('_', ' ')}`;
    },
  },
  role_change: {
    appendable: true,
    schema: roleChangePayloadSchema,
    index: noIndex,
    describe: (payload) => {
      const p = payload as z.infer<typeof roleChangePayloadSchema>;
      return `roles of ${p.principal}: ${p.from.join(', ') || 'none'} → ${p.to.join(', ') || 'none'} (by ${p.by})`;
    },
  },
  access_refused: {
    appendable: true,
    schema: accessRefusedPayloadSchema,
    index: noIndex,
    describe: (payload) => {
      const p = payload as z.infer<typeof accessRefusedPayloadSchema>;
      return `${p.op} refused to ${p.by} (${p.code})`;
    },
  },
  validator_result: {
    appendable: true,
    schema: validatorResultPayloadSchema,
    index: noIndex,
    describe: (payload) => {
      const p = payload as ValidatorResultPayload;
      return `${p.gate} validator ${p.validator}: ${p.status}`;
    },
  },
  readiness_packet: {
    appendable: true,
    schema: readinessPacketPayloadSchema,
    index: noIndex,
    describe: (payload) => {
      const p = payload as z.infer<typeof readinessPacketPayloadSchema>;
      return `readiness packet exported: ${p.ready_for_aispm_production ? 'ready' : `not ready (${p.blockers} blockers)`}`;
    },
  },
  closeout: {
    appendable: true,
    schema: closeoutPayloadSchema,
    index: noIndex,
    describe: (payload) => {
      const p = payload as z.infer<typeof closeoutPayloadSchema> & { pilot_decision?: string };
      return p.event === 'recorded'
        ? `trial closeout ${p.closeout_id} recorded by ${p.by}: pilot decision ${p.pilot_decision ?? '?'}`
        : `trial closeout packet ${p.closeout_id} exported`;
    },
  },
  containment: {
    appendable: true,
    schema: containmentPayloadSchema,
    index: (payload) => {
      const p = payload as ContainmentPayload;
      return { agent: p.agent?.id, session: p.agent?.session };
    },
    describe: (payload) => {
      const p = payload as ContainmentPayload;
      if (p.event === 'network_denied')
        return `containment refused ${p.method ?? 'a connection'} to ${p.host}:${p.port}`;
      if (p.event === 'mcp_server_contained')
        return `MCP server ${p.server ?? ''} started in profile ${p.profile_sha256?.slice(0, 12) ?? ''}`;
      return `sandbox unavailable: ${p.reason}`;
    },
  },
  finding_triage: {
    appendable: true,
    schema: findingTriagePayloadSchema,
    index: noIndex,
    describe: (payload) => {
      const p = payload as z.infer<typeof findingTriagePayloadSchema>;
      const changes = [
        p.owner !== undefined ? `owner ${p.owner ?? 'cleared'}` : null,
        p.status !== undefined ? `status ${p.status}${p.accepted_until ? ` until ${p.accepted_until}` : ''}` : null,
        p.note !== undefined && p.owner === undefined && p.status === undefined ? 'note' : null,
      ].filter((change) => change !== null);
      return `finding ${p.finding_id} (${p.finding_kind}): ${changes.join(', ')} by ${p.by}`;
    },
  },
  operating_review: {
    appendable: true,
    schema: operatingReviewPayloadSchema,
    index: noIndex,
    describe: (payload) => {
      const p = payload as z.infer<typeof operatingReviewPayloadSchema>;
      return `${p.review.replace(/_/g, ' ')} review completed by ${p.by}`;
    },
  },
  checkpoint: {
    appendable: false,
    schema: checkpointPayloadSchema,
    index: noIndex,
    describe: (payload) => `checkpoint at tree size ${(payload as CheckpointPayload).size}`,
  },
  tombstone: {
    appendable: false,
    schema: tombstonePayloadSchema,
    index: noIndex,
    describe: (payload) => {
      const p = payload as TombstonePayload;
      return `retention pruned ${p.count} payloads in ${p.from_seq}–${p.to_seq}`;
    },
  },
} satisfies Record<string, RecordTypeSpec>;

export type RecordType = keyof typeof recordTypes;
export type AppendableRecordType = {
  [K in RecordType]: (typeof recordTypes)[K]['appendable'] extends true ? K : never;
}[RecordType];
export const recordTypeNames = Object.keys(recordTypes) as RecordType[];

/** Record types that keep their payload forever: verification depends on them. */
export const UNPRUNABLE_TYPES: readonly RecordType[] = ['checkpoint', 'tombstone'];

export function isRecordType(type: string): type is RecordType {
  return Object.hasOwn(recordTypes, type);
}

export function recordTypeSpec(type: RecordType): RecordTypeSpec {
  return recordTypes[type];
}

export type PayloadReading = { ok: true; known: boolean; payload: unknown } | { ok: false; reason: string };

/**
 * Reads a stored payload for a consumer of the ledger (AISPM, reports): a known type must
 * fit its schema, the same one appends are held to; a type this build does not know (written
 * by a newer one) is passed through for the consumer to judge.
 */
export function readPayload(type: string, payload: unknown): PayloadReading {
  if (!isRecordType(type)) return { ok: true, known: false, payload };
  const parsed = recordTypes[type].schema.safeParse(payload);
  if (parsed.success) return { ok: true, known: true, payload };
  const issue = parsed.error.issues[0];
  return {
    ok: false,
    reason: `${type} payload: ${issue ? `${issue.path.join('.') || '(root)'} ${issue.message}` : 'invalid'}`,
  };
}
