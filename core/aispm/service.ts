import path from 'node:path';
import { ContractError, reviewKinds } from '../contract';
import type {
  CoverageView,
  FindingView,
  FindingsFilter,
  PostureView,
  Principal,
  ReviewKind,
  ReviewPacket,
} from '../contract';
import { controlSurfaces } from '../contract';
import { LedgerInputError } from '../evidence';
import { tenantDir } from '../store';
import { LedgerConsumer } from './consumer';
import type { Lag, LedgerSource } from './consumer';
import { buildPacket } from './packets';
import type { Projection } from './projection';
import type { AispmRepository } from './repository';
import { DUE_SOON_MS, cadenceMs, reviewSpecs } from './reviews';
import { scorePosture } from './score';
import { StoreAispmRepository } from './store-repository';
import { coverageRows, filterFindings, findingView } from './views';
import { findingId, findingKey } from './projection';

export interface AispmServiceOptions {
  home: string;
  ledgers: { ledger(tenant: string): LedgerSource };
  now?: () => Date;
  /**
   * How long a read may spend catching up before it answers with the lag shown: the console
   * answers quickly and keeps ingesting in the background; the CLI reads to the tail.
   */
  readBudgetMs: number;
  /** Keep consuming the ledgers of the tenants in use, about once a second (the console). */
  background: boolean;
  /** Told after each commit (the core turns it into `aispm.changed`). */
  onChange?: (tenant: string, cursor: number) => void;
  /** Storage per tenant; the SQLite file beside the tenant database unless given. */
  repository?: (tenant: string) => AispmRepository;
  chunk?: number;
  log?: (message: string) => void;
}

interface TenantAispm {
  consumer: LedgerConsumer;
  repository: AispmRepository;
  ledger: LedgerSource;
}

const BACKGROUND_EVERY_MS = 1_000;
const BACKGROUND_BUDGET_MS = 200;
const MAX_ACCEPTANCE_MS = 366 * 86_400_000;
const NOTICE_EVERY_MS = 500;

type ReviewView = {
  kind: ReviewKind;
  title: string;
  purpose: string;
  cadenceDays: number;
  dueAt: string | null;
  state: 'scheduled' | 'due_soon' | 'overdue';
  lastCompleted: { at: string; by: string; notes: string; seq: number; packetSha256: string } | null;
  findingId: string | null;
};

/**
 * AISPM for every tenant of the core: a durable consumer per tenant ledger, and the
 * posture, findings, coverage, trends and operating reviews read from what it projected.
 * Changes people make (owners, statuses, accepted risks, completed reviews) are ledger
 * records first and reach the projection by being consumed, like everything else.
 */
export class AispmService {
  private readonly tenants = new Map<string, TenantAispm>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly notices = new Map<string, { cursor: number }>();

  constructor(private readonly options: AispmServiceOptions) {}

  private now(): number {
    return (this.options.now?.() ?? new Date()).getTime();
  }

  private tenant(tenant: string): TenantAispm {
    if (this.closed) throw new Error('AISPM is closed');
    const open = this.tenants.get(tenant);
    if (open) return open;
    const repository =
      this.options.repository?.(tenant) ??
      StoreAispmRepository.openFile(path.join(tenantDir(this.options.home, tenant), 'aispm.sqlite'), tenant);
    const ledger = this.options.ledgers.ledger(tenant);
    const consumer = new LedgerConsumer(ledger, repository, {
      chunk: this.options.chunk,
      onCommit: (cursor) => this.changed(tenant, cursor),
    });
    const entry = { consumer, repository, ledger };
    this.tenants.set(tenant, entry);
    if (this.options.background) this.startBackground();
    return entry;
  }

  /** Catches up within the read budget and returns the projection with its consumer. */
  private async fresh(tenant: string): Promise<{ projection: Projection; entry: TenantAispm; nowMs: number }> {
    const entry = this.tenant(tenant);
    const nowMs = this.now();
    const projection = await entry.consumer.catchUp({ budgetMs: this.options.readBudgetMs, now: nowMs });
    return { projection, entry, nowMs };
  }

  /** Reads every tenant's ledger to its tail now (tests, the CLI, `cavra aispm`). */
  async ingest(tenant: string): Promise<{ cursor: number; ledgerSize: number }> {
    const entry = this.tenant(tenant);
    const projection = await entry.consumer.catchUp({ budgetMs: Number.POSITIVE_INFINITY, now: this.now() });
    return { cursor: projection.cursor, ledgerSize: entry.ledger.size() };
  }

  /** The ingestion lag as committed now, reading nothing new (readiness observes; it never ingests). */
  async ingestion(tenant: string): Promise<Lag> {
    return this.tenant(tenant).consumer.observedLag(this.now());
  }

  async status(tenant: string): Promise<PostureView> {
    const { projection, entry, nowMs } = await this.fresh(tenant);
    const posture = scorePosture(projection.allFindings(), projection.allCells(), projection.facts, nowMs);
    return { ...posture, ingestion: entry.consumer.lag(nowMs), asOf: new Date(nowMs).toISOString() };
  }

  async findings(tenant: string, filter: FindingsFilter) {
    const { projection, entry, nowMs } = await this.fresh(tenant);
    const all = filterFindings(projection.allFindings(), filter, nowMs);
    return { findings: all.slice(0, filter.limit ?? 200), total: all.length, ingestion: entry.consumer.lag(nowMs) };
  }

  async finding(tenant: string, id: string): Promise<FindingView> {
    const { projection, nowMs } = await this.fresh(tenant);
    return findingView(this.existing(projection, id), nowMs);
  }

  async evidence(tenant: string, id: string, page: { before?: number; limit?: number }) {
    const { projection, entry } = await this.fresh(tenant);
    const finding = this.existing(projection, id);
    const links = await entry.repository.links(finding.id, { before: page.before, limit: page.limit ?? 50 });
    return { records: entry.ledger.summaries(links.seqs), next: links.next, total: finding.evidenceCount };
  }

  async records(tenant: string, seqs: number[]) {
    const entry = this.tenant(tenant);
    return { records: entry.ledger.summaries(seqs) };
  }

  async updateFinding(
    tenant: string,
    principal: Principal,
    input: { id: string; owner?: string | null; status?: 'open' | 'acknowledged' | 'resolved'; note?: string },
  ): Promise<FindingView> {
    const { projection } = await this.fresh(tenant);
    const finding = this.existing(projection, input.id);
    return this.triage(tenant, {
      finding_id: finding.id,
      finding_kind: finding.kind,
      by: principal.id,
      ...(input.owner !== undefined ? { owner: input.owner } : {}),
      ...(input.status !== undefined ? { status: input.status } : {}),
      ...(input.note !== undefined ? { note: input.note } : {}),
    });
  }

  async acceptRisk(
    tenant: string,
    principal: Principal,
    input: { id: string; until: string; note: string },
  ): Promise<FindingView> {
    const { projection, nowMs } = await this.fresh(tenant);
    const finding = this.existing(projection, input.id);
    const until = Date.parse(input.until);
    if (!(until > nowMs)) throw new ContractError('invalid_input', 'until: must be in the future', 'until');
    if (until - nowMs > MAX_ACCEPTANCE_MS) {
      throw new ContractError(
        'invalid_input',
        'until: a risk is accepted for at most a year; review it again then',
        'until',
      );
    }
    return this.triage(tenant, {
      finding_id: finding.id,
      finding_kind: finding.kind,
      by: principal.id,
      status: 'accepted_risk',
      accepted_until: new Date(until).toISOString(),
      note: input.note,
    });
  }

  async coverage(tenant: string): Promise<CoverageView> {
    const { projection, entry, nowMs } = await this.fresh(tenant);
    return {
      surfaces: [...controlSurfaces],
      rows: coverageRows(projection.allCells()),
      ingestion: entry.consumer.lag(nowMs),
    };
  }

  async trend(tenant: string, days: number) {
    const { entry, nowMs } = await this.fresh(tenant);
    const points = await entry.repository.trend(nowMs - days * 86_400_000);
    return {
      points: points.map((p) => ({
        at: new Date(p.atMs).toISOString(),
        score: p.score,
        coverage: p.coverage,
        risk: p.risk,
        open: p.open,
      })),
    };
  }

  async reviews(tenant: string): Promise<{ reviews: ReviewView[] }> {
    const { projection, nowMs } = await this.fresh(tenant);
    return { reviews: reviewKinds.map((kind) => this.reviewView(projection, kind, nowMs)) };
  }

  async packet(tenant: string, kind: ReviewKind): Promise<ReviewPacket> {
    const { projection, entry, nowMs } = await this.fresh(tenant);
    const trend = await entry.repository.trend(nowMs - cadenceMs(kind) * 2);
    const packet = buildPacket({ kind, tenant, projection, ledger: entry.ledger, trend, nowMs });
    await entry.repository.savePacket({
      sha256: packet.sha256,
      kind,
      generatedAt: packet.generatedAt,
      json: JSON.stringify(packet),
    });
    return packet;
  }

  async completeReview(
    tenant: string,
    principal: Principal,
    input: { kind: ReviewKind; packetSha256: string; notes: string },
  ): Promise<ReviewView> {
    const { projection, entry } = await this.fresh(tenant);
    const stored = await entry.repository.packet(input.packetSha256);
    const packet = stored ? (JSON.parse(stored.json) as ReviewPacket) : null;
    if (!packet || packet.kind !== input.kind || packet.tenant !== tenant) {
      throw new ContractError(
        'not_found',
        `packetSha256: no ${input.kind} packet with this digest was generated for this tenant; open the review to get its packet`,
        'packetSha256',
      );
    }
    const last = projection.facts.reviews[input.kind];
    const expectedFrom = last ? last.toSeq + 1 : 0;
    if (packet.period.fromSeq !== expectedFrom) {
      throw new ContractError(
        'conflict',
        `packetSha256: this review was completed${last ? ` by ${last.by}` : ''} after your packet was made; open the review again for the current packet`,
        'packetSha256',
      );
    }
    const summary = Object.fromEntries(packet.sections.map((section) => [section.title, section.items.length]));
    await this.append(entry, 'operating_review', {
      review: input.kind,
      by: principal.id,
      notes: input.notes,
      packet_sha256: packet.sha256,
      period: { from_seq: packet.period.fromSeq, to_seq: packet.period.toSeq },
      summary,
    });
    const after = await entry.consumer.catchUp({ budgetMs: Number.POSITIVE_INFINITY, now: this.now() });
    return this.reviewView(after, input.kind, this.now());
  }

  /**
   * Stops background ingestion and closes the stores. Safe at any await point of a step:
   * a commit is one synchronous transaction, so none is ever half-written.
   */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const entry of this.tenants.values()) {
      entry.repository.close().catch((error: unknown) => {
        this.options.log?.(`aispm: closing failed: ${error instanceof Error ? error.message : String(error)}`);
      });
    }
    this.tenants.clear();
  }

  // ── internals ──────────────────────────────────────────────────────────

  /** Tells the listener at most twice a second per tenant, and once more after the last change. */
  private changed(tenant: string, cursor: number): void {
    const listener = this.options.onChange;
    if (!listener) return;
    const pending = this.notices.get(tenant);
    if (pending) {
      pending.cursor = cursor;
      return;
    }
    const notice = { cursor };
    this.notices.set(tenant, notice);
    listener(tenant, cursor);
    setTimeout(() => {
      this.notices.delete(tenant);
      if (notice.cursor !== cursor && !this.closed) listener(tenant, notice.cursor);
    }, NOTICE_EVERY_MS).unref();
  }

  private existing(projection: Projection, id: string) {
    const finding = projection.finding(id);
    if (!finding) throw new ContractError('not_found', `id: no finding ${id} in this tenant`, 'id');
    return finding;
  }

  /** Record, then apply: the triage record commits, then the consumer applies it. */
  private async triage(tenant: string, payload: Record<string, unknown>): Promise<FindingView> {
    const entry = this.tenant(tenant);
    await this.append(entry, 'finding_triage', payload);
    const projection = await entry.consumer.catchUp({ budgetMs: Number.POSITIVE_INFINITY, now: this.now() });
    return findingView(this.existing(projection, String(payload.finding_id)), this.now());
  }

  private async append(entry: TenantAispm, type: 'finding_triage' | 'operating_review', payload: unknown) {
    try {
      return await entry.ledger.append({ type, payload });
    } catch (error) {
      if (error instanceof LedgerInputError) throw new ContractError('invalid_input', error.message);
      throw error;
    }
  }

  private reviewView(projection: Projection, kind: ReviewKind, nowMs: number): ReviewView {
    const spec = reviewSpecs[kind];
    const last = projection.facts.reviews[kind];
    const anchor = last?.at ?? projection.facts.firstRecordMs;
    const due = anchor === null ? null : anchor + cadenceMs(kind);
    const state = due === null || nowMs < due - DUE_SOON_MS ? 'scheduled' : nowMs <= due ? 'due_soon' : 'overdue';
    const finding = projection.finding(findingId(findingKey('review.overdue', { review: kind })));
    return {
      kind,
      title: spec.title,
      purpose: spec.purpose,
      cadenceDays: spec.cadenceDays,
      dueAt: due === null ? null : new Date(due).toISOString(),
      state,
      lastCompleted: last
        ? {
            at: new Date(last.at).toISOString(),
            by: last.by,
            notes: last.notes,
            seq: last.seq,
            packetSha256: last.packetSha256,
          }
        : null,
      findingId: finding?.active ? finding.id : null,
    };
  }

  private startBackground(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      for (const [tenant, entry] of this.tenants) {
        entry.consumer.catchUp({ budgetMs: BACKGROUND_BUDGET_MS, now: this.now() }).catch((error: unknown) => {
          if (this.closed) return;
          this.options.log?.(
            `aispm: ingesting ${tenant} failed: ${error instanceof Error ? error.message : String(error)}`,
          );
        });
      }
    }, BACKGROUND_EVERY_MS);
    this.timer.unref();
  }
}
