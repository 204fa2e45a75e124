import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { LineReader, LineTooLongError, TruncatedLineError } from './bundle-lines';
import type { BundleManifest } from './bundle-format';
import {
  BUNDLE_FILES,
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  LISTED_FILES,
  PREDICATE_TYPE,
  checkpointLineSchema,
  consistencyLineSchema,
  manifestSchema,
  statementSchema,
} from './bundle-format';
import type { SignedCheckpoint } from './checkpoint-note';
import { openCheckpoint, verifierKey } from './checkpoint-note';
import { IN_TOTO_PAYLOAD_TYPE, openEnvelope } from './dsse';
import { InclusionChecker, leftSubtreesFromProof, verifyConsistency, verifyInclusion } from './merkle';
import { recordLeaf } from './record';
import type { InclusionLine } from './record-line';
import { RecordLineError, parseInclusionLine, parseRecordLine, parseTombstoneLine } from './record-line';
import { ChainBreak, RecordStreamVerifier, checkRecord, openTombstone } from './record-stream';
import type { TombstonePayload } from './record-types';
import { keyIdOf, parsePublicKeyText } from './signing';
import type { WitnessLine, WitnessedCheckpoint } from './witness';
import { WitnessError, checkWitnessed, witnessedCheckpoints } from './witness';

/**
 * Verifies an exported bundle on its own: no network, no tenant database, no CAVRA_HOME.
 * Everything is checked — file digests, the DSSE signature over the manifest, every
 * checkpoint signature, every consistency proof, every record's payload digest, header
 * hash, chain link and inclusion proof, and the Merkle roots recomputed from the records
 * at every checkpoint inside the range. It stops at the first failure and names the file,
 * line and record.
 */

export interface BundleFailure {
  /** `input`: not a bundle this verifier can read; `integrity`: the bundle was altered. */
  kind: 'input' | 'integrity';
  file: string | null;
  line?: number;
  seq?: number;
  reason: string;
}

export interface BundleVerification {
  ok: boolean;
  dir: string;
  failure: BundleFailure | null;
  warnings: string[];
  tenant: string | null;
  origin: string | null;
  range: BundleManifest['range'] | null;
  tree: BundleManifest['tree'] | null;
  key: { keyId: string; vkey: string; pinned: boolean } | null;
  checked: {
    records: number;
    inclusionProofs: number;
    checkpoints: number;
    consistencyProofs: number;
    tombstones: number;
    files: number;
    /** Checkpoint roots recomputed from the records themselves. */
    recomputedRoots: number;
    /** Witnessed checkpoints (`witness`) the bundle's tree was found consistent with. */
    witnessed: number;
  };
}

export interface VerifyOptions {
  /** A pinned public key (C2SP vkey, PEM, or base64); without it the bundle's own key is used. */
  trustedKey?: string;
  /** Lines of a witness file (anchored checkpoints): the bundle must be consistent with each. */
  witness?: readonly WitnessLine[];
  signal?: AbortSignal;
  onProgress?: (progress: { done: number; total: number }) => void;
  /**
   * Sees the parsed payload of each record of `types` as it is read (after its hash and link are
   * checked), so a capability can check what its own records assert (approval attestations) in
   * the same pass. Only those records' payloads are parsed: the others keep the fast path.
   */
  records?: {
    types: readonly string[];
    see(record: { seq: number; type: string; payload: Record<string, unknown> }): void;
  };
}

class Failure extends Error {
  constructor(readonly failure: BundleFailure) {
    super(failure.reason);
  }
}

const MAX_SMALL_FILE = 16 * 1024 * 1024;
const PROGRESS_EVERY = 4096;

function fail(
  kind: BundleFailure['kind'],
  file: string | null,
  reason: string,
  at: { line?: number; seq?: number } = {},
) {
  return new Failure({ kind, file, reason, ...at });
}

export async function verifyBundle(dir: string, options: VerifyOptions = {}): Promise<BundleVerification> {
  const result: BundleVerification = {
    ok: false,
    dir: path.resolve(dir),
    failure: null,
    warnings: [],
    tenant: null,
    origin: null,
    range: null,
    tree: null,
    key: null,
    checked: {
      records: 0,
      inclusionProofs: 0,
      checkpoints: 0,
      consistencyProofs: 0,
      tombstones: 0,
      files: 0,
      recomputedRoots: 0,
      witnessed: 0,
    },
  };
  try {
    await run(result, options);
    result.ok = true;
  } catch (error) {
    if (error instanceof Failure) result.failure = error.failure;
    else if (error instanceof Error && error.name === 'AbortError') throw error;
    else {
      result.failure = {
        kind: 'input',
        file: null,
        reason: `could not read the bundle: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }
  return result;
}

async function run(result: BundleVerification, options: VerifyOptions): Promise<void> {
  const { signal, onProgress } = options;
  const root = openRoot(result.dir);
  const files = new BundleFiles(root);

  // 1. The manifest, its format version, and the key.
  const manifestBytes = files.readSmall(BUNDLE_FILES.manifest);
  const manifest = parseManifest(manifestBytes);
  result.tenant = manifest.tenant;
  result.origin = manifest.origin;
  result.range = manifest.range;
  result.tree = manifest.tree;
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  for (const name of LISTED_FILES) {
    if (!listed.has(name)) throw fail('integrity', BUNDLE_FILES.manifest, `the manifest does not list ${name}`);
  }
  for (const name of listed.keys()) {
    if (!(LISTED_FILES as readonly string[]).includes(name)) {
      throw fail('integrity', BUNDLE_FILES.manifest, `the manifest lists an unknown file "${name}"`);
    }
  }
  for (const name of LISTED_FILES) files.check(name);
  const unlisted = fs
    .readdirSync(root)
    .filter((name) => !(LISTED_FILES as readonly string[]).includes(name))
    .filter((name) => name !== BUNDLE_FILES.manifest && name !== BUNDLE_FILES.statement);
  for (const name of unlisted) result.warnings.push(`${name} is not part of the bundle and was not verified`);

  const keyBytes = files.readSmall(BUNDLE_FILES.publicKey);
  files.checkDigest(BUNDLE_FILES.publicKey, keyBytes, listed);
  let bundleKey: Buffer;
  try {
    bundleKey = parsePublicKeyText(keyBytes.toString('utf8'));
  } catch (error) {
    throw fail('integrity', BUNDLE_FILES.publicKey, `not a public key: ${(error as Error).message}`);
  }
  let key = bundleKey;
  if (options.trustedKey !== undefined) {
    let trusted: Buffer;
    try {
      trusted = parsePublicKeyText(options.trustedKey);
    } catch (error) {
      throw fail('input', null, `the trusted key is not a public key: ${(error as Error).message}`);
    }
    if (!trusted.equals(bundleKey)) {
      throw fail(
        'integrity',
        BUNDLE_FILES.publicKey,
        `the bundle is signed by key ${keyIdOf(bundleKey)}, not by the trusted key ${keyIdOf(trusted)}`,
      );
    }
    key = trusted;
  }
  const keyId = keyIdOf(key);
  result.key = { keyId, vkey: verifierKey(manifest.origin, key), pinned: options.trustedKey !== undefined };
  if (manifest.key.key_id !== keyId || manifest.key.vkey !== result.key.vkey) {
    throw fail('integrity', BUNDLE_FILES.manifest, 'the manifest names a different key than tenant-key.pub');
  }

  // 2. The signed statement binds the manifest.
  const envelopeBytes = files.readSmall(BUNDLE_FILES.statement);
  let statementBytes: Buffer;
  try {
    statementBytes = openEnvelope(JSON.parse(envelopeBytes.toString('utf8')), IN_TOTO_PAYLOAD_TYPE, key, keyId);
  } catch (error) {
    throw fail('integrity', BUNDLE_FILES.statement, (error as Error).message);
  }
  const statement = parseWith(statementSchema, statementBytes.toString('utf8'), BUNDLE_FILES.statement);
  const subject = statement.subject[0];
  const manifestSha256 = crypto.hash('sha256', manifestBytes, 'hex');
  if (subject?.name !== BUNDLE_FILES.manifest || subject.digest.sha256 !== manifestSha256) {
    throw fail('integrity', BUNDLE_FILES.manifest, 'manifest.json is not the manifest the statement signed (edited)');
  }
  const p = statement.predicate;
  if (
    statement.predicateType !== PREDICATE_TYPE ||
    p.tenant !== manifest.tenant ||
    p.origin !== manifest.origin ||
    p.key_id !== keyId ||
    p.tree.size !== manifest.tree.size ||
    p.tree.root !== manifest.tree.root ||
    p.range.from_seq !== manifest.range.from_seq ||
    p.range.to_seq !== manifest.range.to_seq ||
    p.range.count !== manifest.range.count
  ) {
    throw fail('integrity', BUNDLE_FILES.statement, 'the signed statement disagrees with the manifest');
  }
  const { size: treeSize } = manifest.tree;
  const finalRoot = Buffer.from(manifest.tree.root, 'base64');
  if (
    manifest.range.to_seq >= treeSize ||
    manifest.range.to_seq - manifest.range.from_seq + 1 !== manifest.range.count
  ) {
    throw fail('integrity', BUNDLE_FILES.manifest, 'the manifest range does not fit its tree');
  }

  // 3. Checkpoints: every signature, and every one a prefix of the final tree.
  const checkpoints = new Map<number, SignedCheckpoint>();
  let lastSize = 0;
  await eachLine(files, BUNDLE_FILES.checkpoints, listed, (text, line) => {
    const entry = parseWith(checkpointLineSchema, text, BUNDLE_FILES.checkpoints, line);
    let cp: SignedCheckpoint;
    try {
      cp = openCheckpoint(entry.note, key, manifest.origin);
    } catch (error) {
      throw fail(
        'integrity',
        BUNDLE_FILES.checkpoints,
        `checkpoint at size ${entry.size}: ${(error as Error).message}`,
        {
          line,
        },
      );
    }
    if (cp.size !== entry.size || cp.size <= lastSize) {
      throw fail('integrity', BUNDLE_FILES.checkpoints, 'checkpoints are not in increasing tree-size order', { line });
    }
    lastSize = cp.size;
    checkpoints.set(cp.size, cp);
  });
  result.checked.checkpoints = checkpoints.size;
  const finalCheckpoint = checkpoints.get(treeSize);
  if (!finalCheckpoint || lastSize !== treeSize) {
    throw fail('integrity', BUNDLE_FILES.checkpoints, `no signed checkpoint for the final tree size ${treeSize}`);
  }
  if (!finalCheckpoint.root.equals(finalRoot)) {
    throw fail('integrity', BUNDLE_FILES.checkpoints, 'the final checkpoint root differs from the manifest');
  }
  const proven = new Set<number>([treeSize]);
  await eachLine(files, BUNDLE_FILES.consistencyProofs, listed, (text, line) => {
    const entry = parseWith(consistencyLineSchema, text, BUNDLE_FILES.consistencyProofs, line);
    const older = checkpoints.get(entry.from_size);
    if (!older || entry.to_size !== treeSize || proven.has(entry.from_size)) {
      throw fail(
        'integrity',
        BUNDLE_FILES.consistencyProofs,
        `no such checkpoint pair ${entry.from_size}→${entry.to_size}`,
        {
          line,
        },
      );
    }
    const proof = entry.path.map((h) => Buffer.from(h, 'base64'));
    if (!verifyConsistency(entry.from_size, treeSize, older.root, finalRoot, proof)) {
      throw fail(
        'integrity',
        BUNDLE_FILES.consistencyProofs,
        `the checkpoint at size ${entry.from_size} is not a prefix of the final tree (history rewritten)`,
        { line },
      );
    }
    proven.add(entry.from_size);
  });
  for (const size of checkpoints.keys()) {
    if (!proven.has(size)) {
      throw fail(
        'integrity',
        BUNDLE_FILES.consistencyProofs,
        `the checkpoint at size ${size} has no consistency proof`,
      );
    }
  }
  result.checked.consistencyProofs = proven.size - 1;

  // Witnessed checkpoints: opened with the same key; roots at their sizes come from the
  // bundle's own (proven) checkpoints or are recomputed from the records below.
  let witnessed: WitnessedCheckpoint[] = [];
  const witnessRoots = new Map<number, Buffer | null>();
  if (options.witness) {
    try {
      witnessed = witnessedCheckpoints(options.witness, {
        tenant: manifest.tenant,
        origin: manifest.origin,
        publicKey: key,
      });
    } catch (error) {
      if (error instanceof WitnessError) throw fail('integrity', 'witness', error.message, lineOf(error));
      throw error;
    }
    if (witnessed.length === 0) {
      throw fail(
        'input',
        'witness',
        `the witness holds no checkpoint of tenant ${manifest.tenant}: nothing to check the bundle against`,
      );
    }
    for (const cp of witnessed) {
      if (cp.size <= treeSize && !checkpoints.has(cp.size)) witnessRoots.set(cp.size, null);
    }
  }

  // 4. Tombstones that pruned records in the range.
  const tombstones = new Map<number, TombstonePayload>();
  await eachLine(files, BUNDLE_FILES.tombstones, listed, (text, line) => {
    const entry = parseLine(() => parseTombstoneLine(text), BUNDLE_FILES.tombstones, line);
    const { header, payload } = entry.record;
    const at = { line, seq: header.seq };
    let tombstone: TombstonePayload;
    try {
      const { hash } = checkRecord(entry.record);
      if (header.type !== 'tombstone' || payload === null) {
        throw fail('integrity', BUNDLE_FILES.tombstones, 'not a tombstone record', at);
      }
      tombstone = openTombstone(header.seq, payload, { key, origin: manifest.origin });
      const proof = entry.proof.path.map((h) => Buffer.from(h, 'base64'));
      if (
        entry.proof.seq !== header.seq ||
        entry.proof.tree_size !== treeSize ||
        !verifyInclusion(recordLeaf(hash), header.seq, treeSize, proof, finalRoot)
      ) {
        throw fail('integrity', BUNDLE_FILES.tombstones, 'the tombstone is not in the final tree', at);
      }
    } catch (error) {
      if (error instanceof ChainBreak) throw fail('integrity', BUNDLE_FILES.tombstones, error.reason, at);
      throw error;
    }
    tombstones.set(header.seq, tombstone);
  });
  result.checked.tombstones = tombstones.size;

  // 5. The records, each with its inclusion proof, streamed in lockstep through the one
  //    record-stream verifier (the ledger's own verify feeds it the same way).
  const records = files.lines(BUNDLE_FILES.records);
  const proofs = files.lines(BUNDLE_FILES.inclusionProofs);
  try {
    const checker = new InclusionChecker(treeSize, finalRoot);
    const { from_seq: fromSeq, to_seq: toSeq } = manifest.range;
    const stream = new RecordStreamVerifier({
      key,
      origin: manifest.origin,
      fromSeq,
      toSeq,
      treeSize,
      checkpoints,
      tombstones,
    });
    const included = (proof: InclusionLine, seq: number, leaf: Buffer) => {
      if (proof.seq !== seq || proof.tree_size !== treeSize || !checker.check(leaf, seq, proof.path)) {
        throw fail(
          'integrity',
          BUNDLE_FILES.inclusionProofs,
          `record ${seq} is not at position ${seq} of the signed tree`,
          { line: proofs.lineNumber, seq },
        );
      }
    };
    for (;;) {
      const bytes = readLineBytes(records, BUNDLE_FILES.records);
      if (bytes === null) break;
      const line = records.lineNumber;
      const record = parseLine(() => parseRecordLine(bytes), BUNDLE_FILES.records, line);
      const seq = record.header.seq;
      const proofText = readLine(proofs, BUNDLE_FILES.inclusionProofs);
      const proofOf = () => {
        if (proofText === null) {
          throw fail('integrity', BUNDLE_FILES.inclusionProofs, `no inclusion proof for record ${seq}`, { line, seq });
        }
        return parseLine(() => parseInclusionLine(proofText), BUNDLE_FILES.inclusionProofs, proofs.lineNumber);
      };
      let proof: InclusionLine | null = null;
      if (stream.needsFrontier) {
        // The first record's audit path carries the subtrees in front of the range.
        proof = proofOf();
        included(proof, seq, recordLeaf(record.hash));
        const lefts = leftSubtreesFromProof(
          seq,
          treeSize,
          proof.path.map((h) => Buffer.from(h, 'base64')),
        );
        stream.startFrontier(lefts ?? []);
      }
      let leaf: Buffer;
      try {
        ({ leaf } = stream.accept(record));
      } catch (error) {
        if (error instanceof ChainBreak) {
          throw fail('integrity', BUNDLE_FILES.records, error.reason, { line, seq: error.seq ?? seq });
        }
        throw error;
      }
      if (proof === null) included(proofOf(), seq, leaf);
      if (options.records && record.payload !== null && options.records.types.includes(record.header.type)) {
        options.records.see({
          seq,
          type: record.header.type,
          payload: JSON.parse(record.payload.toString('utf8')) as Record<string, unknown>,
        });
      }
      if (witnessRoots.has(stream.size)) witnessRoots.set(stream.size, stream.root());
      result.checked.records += 1;
      result.checked.inclusionProofs += 1;
      if (result.checked.records % PROGRESS_EVERY === 0) {
        onProgress?.({ done: result.checked.records, total: manifest.range.count });
        await new Promise((resolve) => setImmediate(resolve));
        signal?.throwIfAborted();
      }
    }
    try {
      result.checked.recomputedRoots = stream.finish().recomputedRoots;
    } catch (error) {
      if (error instanceof ChainBreak) {
        throw fail('integrity', BUNDLE_FILES.records, error.reason, {
          line: records.lineNumber,
          ...(error.seq === null ? {} : { seq: error.seq }),
        });
      }
      throw error;
    }
    if (readLine(proofs, BUNDLE_FILES.inclusionProofs) !== null) {
      throw fail('integrity', BUNDLE_FILES.inclusionProofs, 'more inclusion proofs than records', {
        line: proofs.lineNumber,
      });
    }
    files.checkStreamDigest(BUNDLE_FILES.records, records, listed);
    files.checkStreamDigest(BUNDLE_FILES.inclusionProofs, proofs, listed);
  } finally {
    records.close();
    proofs.close();
  }
  if (options.witness) {
    try {
      const outcome = checkWitnessed(witnessed, {
        what: 'bundle',
        size: treeSize,
        // The signed manifest says when the bundle was made; its export had just checkpointed
        // every record, so a larger tree signed before then means records were left out.
        signedAt: Math.max(finalCheckpoint.time, (Date.parse(manifest.created_at) || 0) / 1000),
        rootAt: (size) => checkpoints.get(size)?.root ?? witnessRoots.get(size) ?? null,
      });
      result.checked.witnessed = outcome.checked;
      result.warnings.push(...outcome.warnings);
    } catch (error) {
      if (error instanceof WitnessError) throw fail('integrity', 'witness', error.message, lineOf(error));
      throw error;
    }
  }
  result.checked.files = LISTED_FILES.length + 2;
  onProgress?.({ done: result.checked.records, total: manifest.range.count });
}

function lineOf(error: WitnessError): { line?: number } {
  return error.line === undefined ? {} : { line: error.line };
}

function openRoot(dir: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw fail('input', null, `the bundle directory ${dir} does not exist`);
  }
  if (!stat.isDirectory()) throw fail('input', null, `${dir} is not a directory`);
  return fs.realpathSync(dir);
}

/** File access confined to the bundle: symlinks must resolve inside it, and only regular files count. */
class BundleFiles {
  constructor(private readonly root: string) {}

  check(name: string): string {
    const file = path.join(this.root, name);
    let link: fs.Stats;
    try {
      link = fs.lstatSync(file);
    } catch {
      throw fail(
        name === BUNDLE_FILES.manifest ? 'input' : 'integrity',
        name,
        name === BUNDLE_FILES.manifest
          ? 'manifest.json is missing: this is not an evidence bundle'
          : `${name} is missing from the bundle`,
      );
    }
    if (link.isSymbolicLink()) {
      let target: string;
      try {
        target = fs.realpathSync(file);
      } catch {
        throw fail('integrity', name, `${name} is a broken symlink`);
      }
      if (!target.startsWith(this.root + path.sep)) {
        throw fail(
          'input',
          name,
          `${name} is a symlink that points outside the bundle (${target}); refusing to follow it`,
        );
      }
    }
    if (!fs.statSync(file).isFile()) throw fail('integrity', name, `${name} is not a regular file`);
    return file;
  }

  readSmall(name: string): Buffer {
    const file = this.check(name);
    if (fs.statSync(file).size > MAX_SMALL_FILE) throw fail('integrity', name, `${name} is implausibly large`);
    return fs.readFileSync(file);
  }

  lines(name: string): LineReader {
    return new LineReader(this.check(name));
  }

  checkDigest(name: string, bytes: Buffer, listed: Map<string, { sha256: string; bytes: number }>): void {
    this.compare(name, crypto.hash('sha256', bytes, 'hex'), bytes.length, listed);
  }

  checkStreamDigest(name: string, reader: LineReader, listed: Map<string, { sha256: string; bytes: number }>): void {
    this.compare(name, reader.digest(), reader.bytes, listed);
  }

  private compare(name: string, sha256: string, bytes: number, listed: Map<string, { sha256: string; bytes: number }>) {
    const entry = listed.get(name);
    if (!entry || entry.sha256 !== sha256 || entry.bytes !== bytes) {
      throw fail('integrity', name, `${name} does not match the SHA-256 the manifest records for it`);
    }
  }
}

function parseManifest(bytes: Buffer): BundleManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw fail('input', BUNDLE_FILES.manifest, 'manifest.json is not valid JSON');
  }
  const head = (raw ?? {}) as { format?: unknown; format_version?: unknown };
  if (head.format !== BUNDLE_FORMAT) {
    throw fail(
      'input',
      BUNDLE_FILES.manifest,
      `not a CAVRA evidence bundle (format is ${JSON.stringify(head.format)})`,
    );
  }
  if (typeof head.format_version !== 'number' || !Number.isInteger(head.format_version) || head.format_version < 1) {
    throw fail('input', BUNDLE_FILES.manifest, 'the bundle format version is missing or invalid');
  }
  if (head.format_version > BUNDLE_FORMAT_VERSION) {
    throw fail(
      'input',
      BUNDLE_FILES.manifest,
      `the bundle uses format version ${head.format_version}, newer than this verifier understands ` +
        `(${BUNDLE_FORMAT_VERSION}); verify it with a newer CAVRA`,
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success)
    throw fail('integrity', BUNDLE_FILES.manifest, `manifest.json is malformed: ${describe(parsed.error)}`);
  return parsed.data;
}

function parseWith<T extends z.ZodType>(schema: T, text: string, file: string, line?: number): z.infer<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw fail('integrity', file, 'not valid JSON (truncated or edited)', { line });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const seq = (raw as { seq?: unknown } | null)?.seq;
    throw fail('integrity', file, `malformed entry: ${describe(parsed.error)}`, {
      line,
      ...(typeof seq === 'number' ? { seq } : {}),
    });
  }
  return parsed.data;
}

/** A line through the one record-line parser; what it refuses names the file and line. */
function parseLine<T>(parse: () => T, file: string, line: number): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof RecordLineError) {
      throw fail('integrity', file, error.notJson ? error.message : `malformed entry: ${error.message}`, {
        line,
        ...(error.seq === undefined ? {} : { seq: error.seq }),
      });
    }
    throw error;
  }
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(root)'} ${issue.message}` : 'invalid';
}

function readLine(reader: LineReader, file: string): string | null {
  try {
    return reader.read();
  } catch (error) {
    if (error instanceof TruncatedLineError || error instanceof LineTooLongError) {
      throw fail('integrity', file, error.message, { line: error.line });
    }
    throw error;
  }
}

function readLineBytes(reader: LineReader, file: string): Buffer | null {
  try {
    return reader.readBytes();
  } catch (error) {
    if (error instanceof TruncatedLineError || error instanceof LineTooLongError) {
      throw fail('integrity', file, error.message, { line: error.line });
    }
    throw error;
  }
}

async function eachLine(
  files: BundleFiles,
  name: string,
  listed: Map<string, { sha256: string; bytes: number }>,
  visit: (text: string, line: number) => void,
): Promise<void> {
  const reader = files.lines(name);
  try {
    for (let text = readLine(reader, name); text !== null; text = readLine(reader, name)) {
      visit(text, reader.lineNumber);
    }
    files.checkStreamDigest(name, reader, listed);
  } finally {
    reader.close();
  }
}
