import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { z } from 'zod';
import { validatorIdSchema, validatorIds, validatorStatusSchema } from '../contract';
import { closeoutDecisionSchema, closeoutLicenseOutcomeSchema } from '../contract';
import type { ReadinessReport, ValidatorResult } from '../contract';
import {
  BUNDLE_FILES,
  EnvelopeError,
  IN_TOTO_PAYLOAD_TYPE,
  STATEMENT_TYPE,
  canonicalize,
  keyIdOf,
  openEnvelope,
  parsePublicKeyText,
  signEnvelope,
  verifyBundle,
} from '../evidence';
import type { DsseEnvelope, EvidenceSigner } from '../evidence';

/**
 * The readiness packet (SPEC §9): the production gate's validator results, its blockers and
 * `ready_for_aispm_production`, as the predicate of an in-toto Statement whose subject is the
 * manifest of the evidence bundle exported beside it, in a DSSE envelope signed with the
 * tenant key (the one DSSE implementation, core/evidence). Layout of a packet directory:
 *
 *   packet.dsse.json   the signed envelope (the packet itself)
 *   packet.json        the predicate, pretty-printed for people; must equal the signed one
 *   evidence/          the evidence bundle (FORMAT.md), covering every validator record
 */
export const PACKET_PREDICATE_TYPE = 'https://cavra.dev/attestations/readiness-packet/v1';
/** The trial closeout (SPEC §11 step 9) is a packet of the same layout with its own predicate. */
export const CLOSEOUT_PREDICATE_TYPE = 'https://cavra.dev/attestations/trial-closeout/v1';
export const PACKET_FILES = { envelope: 'packet.dsse.json', readable: 'packet.json', evidence: 'evidence' } as const;
export type PacketKind = 'readiness' | 'closeout';
const predicateTypes: Record<PacketKind, string> = {
  readiness: PACKET_PREDICATE_TYPE,
  closeout: CLOSEOUT_PREDICATE_TYPE,
};

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const seq = z.number().int().nonnegative();

const blockersSchema = z.array(z.strictObject({ validator: validatorIdSchema, message: z.string(), record: seq }));
const validatorResultsSchema = z.array(
  z.strictObject({
    id: validatorIdSchema,
    label: z.string(),
    status: validatorStatusSchema,
    message: z.string(),
    evidence: z.array(seq),
    record: seq,
  }),
);
const evidenceBundleSchema = z.strictObject({
  path: z.literal(PACKET_FILES.evidence),
  manifest_sha256: hex64,
  tree_size: z.number().int().positive(),
  root: z.string(),
  key_id: hex64,
});
const buildSchema = z.strictObject({ channel: z.enum(['demo', 'production']) });

export const packetPredicateSchema = z.strictObject({
  format: z.literal('cavra-readiness-packet'),
  version: z.literal(1),
  tenant: z.string().min(1),
  run_id: z.string().min(1),
  gate: z.literal('production'),
  generated_at: z.string(),
  ready_for_aispm_production: z.boolean(),
  blockers: blockersSchema,
  validators: validatorResultsSchema,
  evidence_bundle: evidenceBundleSchema,
  build: buildSchema,
});
export type PacketPredicate = z.infer<typeof packetPredicateSchema>;

/**
 * The closeout: what the tenant decided at the end of the trial (the `closeout` record it
 * cites, inside the bundle), the license's fate, and the production gate run at closeout
 * whose results — the remaining blockers — are checked like a readiness packet's.
 */
export const closeoutPredicateSchema = z.strictObject({
  format: z.literal('cavra-trial-closeout'),
  version: z.literal(1),
  tenant: z.string().min(1),
  closeout_id: z.string().min(1),
  closed_at: z.string(),
  by: z.string().min(1),
  record: seq,
  pilot_decision: closeoutDecisionSchema,
  feedback: z.string(),
  package_access: z.strictObject({ removed: z.boolean(), detail: z.string() }),
  license: z.strictObject({
    license_id: z.string().nullable(),
    outcome: closeoutLicenseOutcomeSchema,
    status: z.string(),
    expires_at: z.string().nullable(),
    record: seq.nullable(),
  }),
  run_id: z.string().min(1),
  ready_for_aispm_production: z.boolean(),
  blockers: blockersSchema,
  validators: validatorResultsSchema,
  evidence_bundle: evidenceBundleSchema,
  build: buildSchema,
});
export type CloseoutPredicate = z.infer<typeof closeoutPredicateSchema>;

const statementSchema = z.strictObject({
  _type: z.literal(STATEMENT_TYPE),
  subject: z.array(z.strictObject({ name: z.string(), digest: z.strictObject({ sha256: hex64 }) })).length(1),
  predicateType: z.enum([PACKET_PREDICATE_TYPE, CLOSEOUT_PREDICATE_TYPE]),
  predicate: z.unknown(),
});

/** What an evidence export reports about the bundle a packet names. */
export interface ExportedBundle {
  manifestSha256: string;
  treeSize: number;
  root: string;
  keyId: string;
}

export function bundleSummary(bundle: ExportedBundle): PacketPredicate['evidence_bundle'] {
  return {
    path: PACKET_FILES.evidence,
    manifest_sha256: bundle.manifestSha256,
    tree_size: bundle.treeSize,
    root: bundle.root,
    key_id: bundle.keyId,
  };
}

export function packetPredicate(
  report: ReadinessReport,
  bundle: ExportedBundle,
  channel: 'demo' | 'production',
): PacketPredicate {
  if (report.gate !== 'production') throw new Error('Only the production gate makes a readiness packet');
  return {
    format: 'cavra-readiness-packet',
    version: 1,
    tenant: report.tenant,
    run_id: report.runId,
    gate: 'production',
    generated_at: report.checkedAt,
    ready_for_aispm_production: derivedReady(report.validators),
    blockers: blockersOf(report.validators),
    validators: report.validators.map((v) => ({ ...v, evidence: [...v.evidence] })),
    evidence_bundle: bundleSummary(bundle),
    build: { channel },
  };
}

/** The one rule: ready only when every validator ran and none is a blocker. */
export function derivedReady(results: readonly { id: string; status: string }[]): boolean {
  return validatorIds.every((id) => results.some((r) => r.id === id)) && results.every((r) => r.status !== 'blocker');
}

/** The blockers a list of validator results makes, in order. */
export function blockersOf(results: readonly ValidatorResult[]) {
  return results
    .filter((v) => v.status === 'blocker')
    .map((v) => ({ validator: v.id, message: v.message, record: v.record }));
}

/**
 * Signs a packet of either kind and writes packet.dsse.json and packet.json into `dir` (the
 * bundle is already in dir/evidence): the one signing path for readiness and closeout packets.
 */
export function writePacket(
  dir: string,
  kind: PacketKind,
  predicate: PacketPredicate | CloseoutPredicate,
  signer: EvidenceSigner,
): { sha256: string } {
  const statement = {
    _type: STATEMENT_TYPE,
    subject: [
      {
        name: `${PACKET_FILES.evidence}/${BUNDLE_FILES.manifest}`,
        digest: { sha256: predicate.evidence_bundle.manifest_sha256 },
      },
    ],
    predicateType: predicateTypes[kind],
    predicate,
  };
  const envelope: DsseEnvelope = signEnvelope(
    IN_TOTO_PAYLOAD_TYPE,
    Buffer.from(canonicalize(statement), 'utf8'),
    signer,
  );
  const bytes = Buffer.from(`${JSON.stringify(envelope, null, 2)}\n`, 'utf8');
  fs.writeFileSync(path.join(dir, PACKET_FILES.envelope), bytes, { flag: 'wx', mode: 0o644 });
  fs.writeFileSync(path.join(dir, PACKET_FILES.readable), `${JSON.stringify(predicate, null, 2)}\n`, {
    flag: 'wx',
    mode: 0o644,
  });
  return { sha256: crypto.hash('sha256', bytes, 'hex') };
}

export interface CloseoutSummary {
  closeoutId: string;
  closedAt: string;
  by: string;
  pilotDecision: string;
  feedback: string;
  packageAccess: { removed: boolean; detail: string };
  license: { licenseId: string | null; outcome: string; status: string; expiresAt: string | null };
}

export interface PacketVerification {
  ok: boolean;
  dir: string;
  /** What failed, naming the file; null when ok. */
  failure: string | null;
  /** Which packet it is, from the signed statement's predicate type; null when that could not be read. */
  kind: PacketKind | null;
  tenant: string | null;
  readyForAispmProduction: boolean | null;
  blockers: { validator: string; message: string }[];
  validators: { id: string; status: string; message: string; record: number }[];
  /** A closeout packet's decisions; null for a readiness packet. */
  closeout: CloseoutSummary | null;
  key: { keyId: string; pinned: boolean } | null;
  /** What was checked, in words, for a reviewer (the CLI and Offline review print it). */
  checked: string[];
  warnings: string[];
}

/**
 * Verifies a packet directory offline, whichever kind it is: the evidence bundle in full
 * (verifyBundle), the packet's signature by the bundle's tenant key (or the pinned key), the
 * subject digest of the bundle manifest, that every validator result is the validator_result
 * record it cites inside the bundle, that ready_for_aispm_production and the blockers follow
 * from those results, for a closeout that its decisions are the `closeout` record it cites, and
 * that packet.json says what was signed. Editing any of it fails.
 */
export async function verifyPacket(
  dir: string,
  options: {
    trustedKey?: string;
    signal?: AbortSignal;
    onProgress?: (p: { done: number; total: number }) => void;
  } = {},
): Promise<PacketVerification> {
  const result: PacketVerification = {
    ok: false,
    dir,
    failure: null,
    kind: null,
    tenant: null,
    readyForAispmProduction: null,
    blockers: [],
    validators: [],
    closeout: null,
    key: null,
    checked: [],
    warnings: [],
  };
  const fail = (failure: string) => ({ ...result, ok: false, failure });
  let envelope: unknown;
  try {
    envelope = JSON.parse(fs.readFileSync(path.join(dir, PACKET_FILES.envelope), 'utf8'));
  } catch (error) {
    return fail(`${PACKET_FILES.envelope}: cannot be read as JSON (${(error as Error).message})`);
  }
  const evidenceDir = path.join(dir, PACKET_FILES.evidence);
  const bundle = await verifyBundle(evidenceDir, options);
  result.warnings.push(...bundle.warnings.map((w) => `evidence bundle: ${w}`));
  if (!bundle.ok || !bundle.key) {
    const f = bundle.failure;
    return fail(`the evidence bundle does not verify: ${f?.file ? `${f.file}: ` : ''}${f?.reason ?? 'unknown'}`);
  }
  result.checked.push(
    `the evidence bundle in full: ${bundle.tree?.size ?? '?'} records (hash chain, Merkle tree, signed checkpoints)`,
  );
  result.key = { keyId: bundle.key.keyId, pinned: bundle.key.pinned };
  const publicKey = parsePublicKeyText(bundle.key.vkey);
  let statement: z.infer<typeof statementSchema>;
  try {
    const body = openEnvelope(envelope, IN_TOTO_PAYLOAD_TYPE, publicKey, keyIdOf(publicKey));
    const parsed = statementSchema.safeParse(JSON.parse(body.toString('utf8')));
    if (!parsed.success) return fail(`${PACKET_FILES.envelope}: not a readiness or closeout packet statement`);
    statement = parsed.data;
  } catch (error) {
    if (error instanceof EnvelopeError || error instanceof SyntaxError) {
      return fail(`${PACKET_FILES.envelope}: ${error.message} (the packet was altered or signed by another key)`);
    }
    throw error;
  }
  const kind: PacketKind = statement.predicateType === CLOSEOUT_PREDICATE_TYPE ? 'closeout' : 'readiness';
  result.kind = kind;
  result.checked.push(`the DSSE signature over the in-toto statement, by key ${bundle.key.keyId.slice(0, 16)}…`);
  const parsedPredicate =
    kind === 'closeout'
      ? closeoutPredicateSchema.safeParse(statement.predicate)
      : packetPredicateSchema.safeParse(statement.predicate);
  if (!parsedPredicate.success) {
    return fail(`${PACKET_FILES.envelope}: the predicate is malformed (${parsedPredicate.error.issues[0]?.message})`);
  }
  const predicate = parsedPredicate.data;
  result.tenant = predicate.tenant;
  const manifestSha256 = crypto.hash('sha256', fs.readFileSync(path.join(evidenceDir, BUNDLE_FILES.manifest)), 'hex');
  const subject = statement.subject[0];
  if (
    subject?.name !== `${PACKET_FILES.evidence}/${BUNDLE_FILES.manifest}` ||
    subject.digest.sha256 !== manifestSha256 ||
    predicate.evidence_bundle.manifest_sha256 !== manifestSha256
  ) {
    return fail('the packet names another evidence bundle than the one beside it (manifest digest differs)');
  }
  if (bundle.tenant !== predicate.tenant || bundle.tree?.size !== predicate.evidence_bundle.tree_size) {
    return fail('the packet and the evidence bundle disagree about the tenant or the tree size');
  }
  result.checked.push('the statement names the evidence bundle beside it (manifest digest, tenant, tree size)');
  // Each result must be the validator_result record it cites, inside the verified bundle.
  const cited = new Map(predicate.validators.map((v) => [v.record, v]));
  const closeoutRecord = predicate.format === 'cavra-trial-closeout' ? predicate.record : null;
  const licenseRecord = predicate.format === 'cavra-trial-closeout' ? predicate.license.record : null;
  const wanted = new Set([...cited.keys(), ...[closeoutRecord, licenseRecord].filter((n): n is number => n !== null)]);
  const found = await recordsAt(path.join(evidenceDir, BUNDLE_FILES.records), wanted);
  for (const [at, v] of cited) {
    const record = found.get(at);
    const p = record?.payload as Record<string, unknown> | undefined;
    if (
      record?.type !== 'validator_result' ||
      !p ||
      p.validator !== v.id ||
      p.status !== v.status ||
      p.message !== v.message ||
      p.run_id !== predicate.run_id ||
      p.gate !== 'production' ||
      canonicalize(p.evidence) !== canonicalize(v.evidence)
    ) {
      return fail(`validator ${v.id}: the packet does not match its validator_result record ${at} in the bundle`);
    }
  }
  result.checked.push(`each of the ${cited.size} validator results against its validator_result record in the bundle`);
  const ready = derivedReady(predicate.validators);
  if (predicate.ready_for_aispm_production !== ready) {
    return fail(
      `ready_for_aispm_production says ${predicate.ready_for_aispm_production} but the validator results say ${ready}`,
    );
  }
  const blockers = predicate.validators.filter((v) => v.status === 'blocker');
  if (
    blockers.length !== predicate.blockers.length ||
    blockers.some((b, i) => predicate.blockers[i]?.validator !== b.id || predicate.blockers[i]?.message !== b.message)
  ) {
    return fail('the blockers list does not match the validator results');
  }
  result.checked.push('ready_for_aispm_production and the blockers derived from the validator results');
  if (predicate.format === 'cavra-trial-closeout') {
    const failure = checkCloseout(predicate, found);
    if (failure) return fail(failure);
    result.checked.push(`the closeout decisions against the closeout record ${predicate.record} in the bundle`);
  }
  let readable: unknown;
  try {
    readable = JSON.parse(fs.readFileSync(path.join(dir, PACKET_FILES.readable), 'utf8'));
  } catch {
    return fail(`${PACKET_FILES.readable}: missing or not JSON`);
  }
  if (canonicalize(readable) !== canonicalize(predicate)) {
    return fail(`${PACKET_FILES.readable} was edited: it differs from the signed packet`);
  }
  result.checked.push(`${PACKET_FILES.readable} equals the signed predicate`);
  if (!bundle.key.pinned) {
    result.warnings.push('verified against the tenant key inside the bundle, not a pinned key: pass --trusted-key');
  }
  return {
    ...result,
    ok: true,
    readyForAispmProduction: predicate.ready_for_aispm_production,
    blockers: predicate.blockers.map((b) => ({ validator: b.validator, message: b.message })),
    validators: predicate.validators.map((v) => ({ id: v.id, status: v.status, message: v.message, record: v.record })),
    closeout:
      predicate.format === 'cavra-trial-closeout'
        ? {
            closeoutId: predicate.closeout_id,
            closedAt: predicate.closed_at,
            by: predicate.by,
            pilotDecision: predicate.pilot_decision,
            feedback: predicate.feedback,
            packageAccess: predicate.package_access,
            license: {
              licenseId: predicate.license.license_id,
              outcome: predicate.license.outcome,
              status: predicate.license.status,
              expiresAt: predicate.license.expires_at,
            },
          }
        : null,
  };
}

/** The closeout's decisions must be its `closeout` record's, and a surrender must be the recorded one. */
function checkCloseout(
  predicate: CloseoutPredicate,
  found: Map<number, { type: string; payload: unknown }>,
): string | null {
  const record = found.get(predicate.record);
  const p = record?.payload as Record<string, unknown> | undefined;
  if (
    record?.type !== 'closeout' ||
    !p ||
    p.event !== 'recorded' ||
    p.closeout_id !== predicate.closeout_id ||
    p.by !== predicate.by ||
    p.pilot_decision !== predicate.pilot_decision ||
    p.feedback !== predicate.feedback ||
    p.run_id !== predicate.run_id ||
    p.blockers !== predicate.blockers.length ||
    canonicalize(p.package_access) !== canonicalize(predicate.package_access) ||
    canonicalize(p.license) !==
      canonicalize({ license_id: predicate.license.license_id, outcome: predicate.license.outcome })
  ) {
    return `the closeout does not match its closeout record ${predicate.record} in the bundle`;
  }
  if (predicate.license.outcome === 'surrendered') {
    const at = predicate.license.record;
    const change = at === null ? undefined : found.get(at);
    const c = change?.payload as Record<string, unknown> | undefined;
    if (
      change?.type !== 'config_change' ||
      c?.change !== 'license.surrender' ||
      c.license_id !== predicate.license.license_id
    ) {
      return `the closeout says the license was surrendered, but record ${at} in the bundle is not that surrender`;
    }
  }
  return null;
}

async function recordsAt(file: string, wanted: Set<number>): Promise<Map<number, { type: string; payload: unknown }>> {
  const found = new Map<number, { type: string; payload: unknown }>();
  if (wanted.size === 0) return found;
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    const record = JSON.parse(line) as { seq: number; type: string; payload: unknown };
    if (wanted.has(record.seq)) found.set(record.seq, { type: record.type, payload: record.payload });
    if (found.size === wanted.size) {
      lines.close();
      break;
    }
  }
  return found;
}
