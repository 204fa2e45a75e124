import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { PackTestReport } from './pack-tests';

/**
 * Results of packs' own tests, kept between processes so that `cavra evaluate`, the CLI and a
 * gate's first request do not run every built-in pack's tests again. Synchronous: it is read
 * when a tenant's policy is first brought up to date, on the decision path.
 *
 * Who can write it matters: whoever can write the data directory can also write the tenant
 * stores and their pack assignments, so a result read from here is trusted exactly as far as
 * those are, and only for passes — to activate a built-in pack whose text is in the install's
 * own pack directory and to show test status. A stored failure is never believed (the tests
 * run again), so a forged failure cannot keep a shipped pack from activating. Assigning or
 * importing a pack never takes a result from here: those run the pack's tests in the process
 * (see PolicyService), so a forged "passed" cannot make a failing pack assignable.
 */
export interface PackTestResultRepository {
  /** The report stored for the pack text and judging code `key` names, or null. */
  find(key: string): PackTestReport | null;
  save(key: string, report: PackTestReport): void;
}

/** Keys results by the pack's text, the judging code and the home `~` stands for: a change to any re-runs the tests. */
export function packTestKey(packSha256: string, engine: string, home: string): string {
  return crypto.createHash('sha256').update(`${packSha256}\0${engine}\0${home}`).digest('hex');
}

/** Stores nothing: every process runs the tests it needs. */
export const noStoredPackTests: PackTestResultRepository = { find: () => null, save: () => undefined };

const MAX_ENTRIES = 64;
const MAX_FILE_BYTES = 4 * 1024 * 1024;

const outcome = z.enum(['allow', 'warn', 'require_approval', 'deny', 'no_match']);

const reportSchema = z.object({
  packId: z.string(),
  version: z.string(),
  passed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  results: z.array(
    z.object({
      name: z.string(),
      expect: outcome,
      got: outcome,
      decidedBy: z.string().nullable(),
      ok: z.boolean(),
      message: z.string(),
    }),
  ),
});

const fileSchema = z.object({
  format: z.literal(1),
  entries: z.record(z.string(), z.object({ at: z.string(), report: reportSchema })),
});

type StoredFile = z.infer<typeof fileSchema>;

/**
 * One JSON file in the data directory (`cache/pack-tests.json`): derived data, machine-local,
 * never evidence, so it stays out of the tenant stores. It is read without following symlinks
 * and replaced whole (write, then rename); a file that does not parse is ignored and rewritten.
 */
export class FilePackTestResults implements PackTestResultRepository {
  private entries: StoredFile['entries'] | null = null;

  constructor(
    private readonly file: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  find(key: string): PackTestReport | null {
    const entry = this.read()[key];
    return entry ? entry.report : null;
  }

  save(key: string, report: PackTestReport): void {
    // Re-read first: another process may have added results since this one looked.
    this.entries = null;
    const entries = { ...this.read(), [key]: { at: this.now().toISOString(), report } };
    const kept = Object.entries(entries)
      .sort(([, a], [, b]) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
      .slice(0, MAX_ENTRIES);
    this.entries = Object.fromEntries(kept);
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const temp = `${this.file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
      fs.writeFileSync(temp, `${JSON.stringify({ format: 1, entries: this.entries })}\n`, { mode: 0o600, flag: 'wx' });
      fs.renameSync(temp, this.file);
    } catch {
      // A cache that cannot be written only costs the next process a test run.
    }
  }

  private read(): StoredFile['entries'] {
    if (this.entries !== null) return this.entries;
    this.entries = {};
    let fd: number | null = null;
    try {
      fd = fs.openSync(this.file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
      if (fs.fstatSync(fd).size > MAX_FILE_BYTES) return this.entries;
      const parsed = fileSchema.safeParse(JSON.parse(fs.readFileSync(fd, 'utf8')));
      if (parsed.success) this.entries = parsed.data.entries;
    } catch {
      // Missing, unreadable or not ours: nothing is reused.
    } finally {
      if (fd !== null) fs.closeSync(fd);
    }
    return this.entries;
  }
}

/** Where a data directory keeps its pack test results. */
export function packTestResultsPath(home: string): string {
  return path.join(home, 'cache', 'pack-tests.json');
}
