import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { openCheckpoint } from './checkpoint-note';

/**
 * Witnessed checkpoints: copies of signed checkpoints kept outside the ledger's database, so
 * a ledger or bundle can be checked against what it once signed (FORMAT.md §Anchoring).
 * One format and one implementation for both places that keep them: the anchor connectors'
 * append-only witness files, and the local high-water file the ledger writes beside its
 * database. A witness file is JSON Lines, one checkpoint per line, appended and fsynced,
 * never rewritten.
 */

export const WITNESS_TYPE = 'cavra.checkpoint';

const base64Hash = z.string().regex(/^[A-Za-z0-9+/]{43}=$/);

/** One line of a witness file (what an anchor message carries, plus when and under which key it was written). */
export const witnessLineSchema = z.strictObject({
  type: z.literal(WITNESS_TYPE),
  tenant: z.string().min(1),
  origin: z.string().min(1),
  size: z.number().int().positive(),
  root: base64Hash,
  time: z.string(),
  key_id: z.string(),
  note: z.string().min(1),
  anchored_at: z.string().optional(),
  key: z.string().optional(),
});
export type WitnessLine = z.infer<typeof witnessLineSchema>;

/** The checkpoint an anchor carries: everything a verifier needs to check the signed note. */
export function checkpointAnchor(
  tenant: string,
  origin: string,
  checkpoint: { size: number; root: string; time: string; keyId: string; note: string },
): Omit<WitnessLine, 'anchored_at' | 'key'> {
  return {
    type: WITNESS_TYPE,
    tenant,
    origin,
    size: checkpoint.size,
    root: checkpoint.root,
    time: checkpoint.time,
    key_id: checkpoint.keyId,
    note: checkpoint.note,
  };
}

export class WitnessError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'WitnessError';
  }
}

const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;

/**
 * Appends one checkpoint line and fsyncs it. With `dedupe`, a line already holding this
 * idempotency key is not written twice (a delivery retried after a crash). O_NOFOLLOW: a
 * symlink planted at the path cannot redirect the append to another file.
 */
export function appendWitness(
  file: string,
  checkpoint: Omit<WitnessLine, 'anchored_at' | 'key'>,
  options: { key: string; at: Date; dedupe: boolean },
): 'appended' | 'exists' {
  const line = `${JSON.stringify({ ...checkpoint, anchored_at: options.at.toISOString(), key: options.key })}\n`;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (options.dedupe && fs.existsSync(file)) {
    const existing = readNoFollow(file);
    if (existing.includes(`"key":${JSON.stringify(options.key)}`)) return 'exists';
  }
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | NOFOLLOW, 0o600);
  try {
    fs.writeSync(fd, line);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return 'appended';
}

function readNoFollow(file: string): string {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | NOFOLLOW);
  try {
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads every line of a witness file; a malformed line is an error naming it (a witness is evidence too). */
export function readWitness(file: string): WitnessLine[] {
  let text: string;
  try {
    text = readNoFollow(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new WitnessError(
      code === 'ENOENT'
        ? `the witness file ${file} does not exist`
        : code === 'ELOOP'
          ? `the witness file ${file} is a symlink; refusing to follow it`
          : `cannot read the witness file ${file}: ${(error as Error).message}`,
    );
  }
  const lines = text.split('\n');
  if (lines.at(-1) !== '')
    throw new WitnessError(`line ${lines.length} is cut off (no newline at the end)`, lines.length);
  lines.pop();
  return lines.map((text, i) => {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new WitnessError(`line ${i + 1} is not valid JSON`, i + 1);
    }
    const parsed = witnessLineSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new WitnessError(
        `line ${i + 1} is not a witnessed checkpoint: ${issue ? `${issue.path.join('.') || '(root)'} ${issue.message}` : 'invalid'}`,
        i + 1,
      );
    }
    return parsed.data;
  });
}

/** A witnessed checkpoint whose note verified with the tenant key. */
export interface WitnessedCheckpoint {
  size: number;
  root: Buffer;
  /** POSIX seconds from the note's timestamped signature. */
  time: number;
  line: number;
}

/**
 * The witnessed checkpoints of one log, each note verified with the tenant key. Lines of
 * other tenants are skipped (one file may witness several); a line of this tenant under
 * another origin means the log was replaced, and a line whose note does not verify or
 * disagrees with its own fields was forged or damaged: both fail.
 */
export function witnessedCheckpoints(
  lines: readonly WitnessLine[],
  log: { tenant: string; origin: string; publicKey: Buffer },
): WitnessedCheckpoint[] {
  const out: WitnessedCheckpoint[] = [];
  lines.forEach((entry, i) => {
    const line = i + 1;
    if (entry.tenant !== log.tenant) return;
    if (entry.origin !== log.origin) {
      throw new WitnessError(
        `line ${line} witnesses tenant ${log.tenant}'s log ${entry.origin}, but this log is ${log.origin}: the log was replaced`,
        line,
      );
    }
    let opened;
    try {
      opened = openCheckpoint(entry.note, log.publicKey, log.origin);
    } catch (error) {
      throw new WitnessError(`line ${line}: the witnessed checkpoint ${(error as Error).message}`, line);
    }
    if (opened.size !== entry.size || opened.root.toString('base64') !== entry.root) {
      throw new WitnessError(`line ${line}: the size or root disagrees with the signed note`, line);
    }
    out.push({ size: opened.size, root: opened.root, time: opened.time, line });
  });
  return out;
}

/**
 * Checks a log's tree against witnessed checkpoints: every witnessed tree must be a prefix of
 * it (same root at that size: consistency), and none may be larger — a ledger never shrinks,
 * and a bundle whose final tree was signed after a larger one was witnessed is cut short.
 * `rootAt` gives the log's root at a size (null when the source cannot show that size).
 */
export function checkWitnessed(
  witnessed: readonly WitnessedCheckpoint[],
  target: {
    what: 'ledger' | 'bundle';
    size: number;
    /** POSIX seconds (fractions allowed) when the bundle was made; null for a live ledger. */
    signedAt: number | null;
    rootAt: (size: number) => Buffer | null;
  },
): { checked: number; warnings: string[] } {
  let checked = 0;
  let later = 0;
  for (const cp of witnessed) {
    if (cp.size > target.size) {
      // Checkpoint times are whole seconds: a larger tree signed in the same second the bundle
      // was made cannot be ordered after it, so it counts against the bundle (fail closed; an
      // honest bundle exported that second is re-exported).
      if (target.signedAt === null || cp.time <= target.signedAt) {
        throw new WitnessError(
          `the ${target.what} holds ${target.size} records, but a checkpoint of size ${cp.size} was signed ` +
            `${target.signedAt === null ? '' : 'no later than the bundle was made '}(witness line ${cp.line}): history was cut off`,
          cp.line,
        );
      }
      later = Math.max(later, cp.size);
      continue;
    }
    const root = target.rootAt(cp.size);
    if (root === null) {
      throw new WitnessError(
        `the ${target.what} cannot show its tree at size ${cp.size}, which the witness holds (line ${cp.line})`,
        cp.line,
      );
    }
    if (!root.equals(cp.root)) {
      throw new WitnessError(
        `the ${target.what}'s tree at size ${cp.size} differs from the checkpoint signed then (witness line ${cp.line}): history was rewritten`,
        cp.line,
      );
    }
    checked += 1;
  }
  const warnings =
    later > 0
      ? [`the witness holds later checkpoints (up to size ${later}) than this bundle's tree: the bundle predates them`]
      : [];
  return { checked, warnings };
}
