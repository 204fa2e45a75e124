import type { Ledger, LedgerEntry, LedgerPage, LedgerQuery, LedgerRecordSummary } from '../evidence';
import { Projection } from './projection';
import type { AispmRepository } from './repository';
import { trendPoint } from './score';

/** What the consumer reads of a tenant's ledger (the evidence Ledger satisfies it). */
export interface LedgerSource {
  size(): number;
  entries(from: number, to: number): Iterable<LedgerEntry>;
  summaries(seqs: readonly number[]): LedgerRecordSummary[];
  /** Types may name records this build does not know yet (delivery, validator runs). */
  query(filter: Omit<LedgerQuery, 'types'> & { types?: string[] }): LedgerPage;
  append(input: { type: 'finding_triage' | 'operating_review'; payload: unknown }): Promise<{ seq: number }>;
}

/**
 * The tenant's Ledger as AISPM reads it. Its query takes record types this build does not
 * know (delivery, validator runs): the ledger filters on the stored type name, whatever it is.
 */
export function ledgerSource(ledger: Ledger): LedgerSource {
  return {
    size: () => ledger.size(),
    entries: (from, to) => ledger.entries(from, to),
    summaries: (seqs) => ledger.summaries(seqs),
    query: (filter) => ledger.query(filter as LedgerQuery),
    append: (input) => ledger.append(input),
  };
}

export interface CatchUp {
  /** Stop after about this long (the rest follows on the next call); Infinity reads to the tail. */
  budgetMs: number;
  /** The wall clock, applied once the tail is reached. */
  now: number;
}

export interface Lag {
  cursor: number;
  ledgerSize: number;
  behindRecords: number;
  behindSeconds: number;
  lastIngestedAt: string | null;
  unreadable: number;
}

const DEFAULT_CHUNK = 1_000;
const SNAPSHOT_EVERY_MS = 60_000;

/**
 * The durable consumer of one tenant's ledger. Each step reads the records after the
 * cursor, applies them to the projection and commits the changes together with the new
 * cursor in one transaction (compare-and-set on the version). A crash loses only the step in
 * flight, which the next run reads again from the committed cursor: nothing is lost and
 * nothing is applied twice. Steps yield to the event loop between chunks, so a backlog never
 * holds up the gate that shares the thread.
 */
export class LedgerConsumer {
  private projection: Projection | null = null;
  private version = 0;
  private snapshotAt = 0;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ledger: LedgerSource,
    private readonly repository: AispmRepository,
    private readonly options: { chunk?: number; onCommit?: (cursor: number) => void } = {},
  ) {}

  /** Reads what the ledger added since the last step, within the budget; one step at a time per consumer. */
  catchUp(step: CatchUp): Promise<Projection> {
    const next = this.running.then(() => this.run(step));
    this.running = next.catch(() => undefined);
    return next;
  }

  /**
   * How far behind the ledger the committed projection is, without reading a record into it:
   * what an observer (the readiness validators) must see, since catching up first would make
   * any consumer look live. Reloads when another process committed since.
   */
  async observedLag(now: number): Promise<Lag> {
    if (this.projection === null || (await this.repository.version()) !== this.version) await this.load();
    return this.lag(now);
  }

  /** The projection as last committed (loading it when needed), without reading the ledger. */
  async current(): Promise<Projection> {
    return this.projection ?? this.load();
  }

  lag(now: number): Lag {
    const size = this.ledger.size();
    const projection = this.projection;
    const cursor = projection?.cursor ?? 0;
    let behindSeconds = 0;
    if (cursor < size) {
      for (const entry of this.ledger.entries(cursor, cursor + 1)) {
        behindSeconds = Math.max(0, (now - entry.timeMs) / 1000);
      }
    }
    const ingestedAt = projection?.facts.ingestedAt ?? null;
    return {
      cursor,
      ledgerSize: size,
      behindRecords: Math.max(0, size - cursor),
      behindSeconds: Math.round(behindSeconds * 10) / 10,
      lastIngestedAt: ingestedAt === null ? null : new Date(ingestedAt).toISOString(),
      unreadable: projection?.facts.counts.unreadable ?? 0,
    };
  }

  private async load(): Promise<Projection> {
    const stored = await this.repository.load();
    this.version = stored?.version ?? 0;
    this.projection = new Projection(stored, (projection, bucketMs, nowMs) =>
      trendPoint(projection.allFindings(), projection.allCells(), projection.facts, bucketMs, nowMs),
    );
    return this.projection;
  }

  private async run(step: CatchUp): Promise<Projection> {
    const started = performance.now();
    let projection = this.projection ?? (await this.load());
    // Another process (the CLI beside the console) may have moved the projection on.
    if ((await this.repository.version()) !== this.version) projection = await this.load();
    const chunk = this.options.chunk ?? DEFAULT_CHUNK;
    for (;;) {
      const size = this.ledger.size();
      if (projection.cursor >= size) {
        projection.advanceClock(step.now);
        // The current hour's trend point follows the posture, refreshed at most once a minute.
        if (projection.dirty || step.now - this.snapshotAt >= SNAPSHOT_EVERY_MS) {
          projection.snapshotNow();
          this.snapshotAt = step.now;
        }
        if (!(await this.commit(projection, step.now))) {
          projection = await this.load();
          continue;
        }
        return projection;
      }
      const to = Math.min(size, projection.cursor + chunk);
      for (const entry of this.ledger.entries(projection.cursor, to)) projection.apply(entry);
      if (!(await this.commit(projection, step.now))) projection = await this.load();
      if (performance.now() - started >= step.budgetMs) return projection;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Commits what changed; false (and nothing written) when another writer committed first. */
  private async commit(projection: Projection, now: number): Promise<boolean> {
    if (!projection.dirty) return true;
    projection.facts.ingestedAt = now;
    const changes = projection.drain();
    const version = await this.repository.commit({
      expectedVersion: this.version,
      cursor: projection.cursor,
      facts: projection.facts,
      ...changes,
    });
    if (version === null) return false;
    this.version = version;
    this.options.onCommit?.(projection.cursor);
    return true;
  }
}
