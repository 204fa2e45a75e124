import crypto from 'node:crypto';
import { controlSurfaceLabels, controlSurfaces, findingStatuses, reviewKinds, severities } from '../contract';
import type { ControlSurface, Decision, DecisionPayload, FindingStatus, ReviewKind, Severity } from '../contract';
import { readPayload } from '../evidence';
import type { LedgerEntry } from '../evidence';
import { RECORDED_KIND_ALIASES, kindSpec } from './kinds';
import type { FindingKind } from './kinds';
import { cadenceMs, reviewSpecs } from './reviews';
import { FRESHNESS_WINDOW_MS, surfaceOf } from './surfaces';

/**
 * AISPM's state is a projection of the tenant's ledger: records are applied in ledger order,
 * exactly once (the consumer's cursor sees to that), and nothing else changes it except the
 * passing of time (`advanceClock`), which is evaluated at record times while catching up and
 * at the wall clock only once the tail is reached. So the same ledger read in one go or in
 * several interrupted runs ends in the same state.
 */

export interface FindingState {
  id: string;
  key: string;
  kind: string;
  severity: Severity;
  title: string;
  detail: string;
  subject: Record<string, string>;
  status: FindingStatus;
  statusBy: string;
  statusAt: number;
  owner: string | null;
  note: string | null;
  acceptedUntil: number | null;
  firstSeen: number;
  lastSeen: number;
  occurrences: number;
  evidenceCount: number;
  repositories: Record<string, number>;
  agents: Record<string, number>;
  active: boolean;
  /** The last few linked records, so a condition re-citing one does not link it twice. */
  recent: number[];
}

export interface CoverageCellState {
  surface: ControlSurface;
  repository: string;
  agent: string;
  decisions: number;
  denied: number;
  approvalGated: number;
  shadow: number;
  allowed: number;
  lastSeen: number;
  /** Mode of the latest decision here, and what enforce-mode decisions did since it last changed. */
  mode: 'enforce' | 'shadow';
  sinceMode: { denied: number; approvalGated: number };
  examples: { denied?: number; approvalGated?: number; shadow?: number; allowed?: number };
}

export interface ReviewCompletion {
  at: number;
  by: string;
  notes: string;
  seq: number;
  packetSha256: string;
  toSeq: number;
}

/** What the projection knows that is not a finding or a coverage cell. Small; stored whole. */
export interface Facts {
  firstRecordMs: number | null;
  lastRecordMs: number | null;
  /** The last time the clock was evaluated at (record time while catching up, wall time after). */
  clockMs: number | null;
  tenantShadow: boolean;
  packShadow: Record<string, boolean>;
  lastCheckpoint: { seq: number; size: number } | null;
  oldestUncovered: { seq: number; timeMs: number } | null;
  surfaces: Partial<Record<ControlSurface, { lastSeen: number; lastSeq: number }>>;
  reviews: Partial<Record<ReviewKind, ReviewCompletion>>;
  connectors: Record<string, { failing: boolean; credentialsExpireAt: number | null; lastSeq: number }>;
  hooks: Record<string, { agentWritable: boolean; seq: number }>;
  judgementOnly: boolean;
  /** Severity of each rule as last seen in a decision, for approval records that name only the rule. */
  ruleSeverity: Record<string, Severity>;
  counts: { ingested: number; unreadable: number; pruned: number; unknownTypes: number };
  trendBucket: number | null;
  ingestedAt: number | null;
}

/** A posture snapshot for the trend, taken by whoever scores the projection. */
export type TrendSnapshotter = (projection: Projection, bucketMs: number, nowMs: number) => TrendPointState;

export interface TrendPointState {
  atMs: number;
  score: number;
  coverage: number;
  risk: number;
  open: Record<Severity, number>;
}

export interface ProjectionData {
  cursor: number;
  facts: Facts;
  findings: FindingState[];
  cells: CoverageCellState[];
}

/** A pending link of a record to a finding, written with the next commit. */
export interface FindingLink {
  findingId: string;
  seq: number;
}

export const UNSIGNED_TAIL_WINDOW_MS = 5 * 60_000;
export const CREDENTIAL_WARNING_MS = 14 * 86_400_000;
/** The clock is evaluated at most this often while catching up, in record time. */
const CLOCK_STEP_MS = 60_000;
export const TREND_BUCKET_MS = 3_600_000;
const RECENT_LINKS = 8;
const MAX_DIMENSION_VALUES = 200;

const severityRank: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };
const decisionRank = { allow: 0, warn: 1, require_approval: 2, deny: 3 } as const;

export function findingId(key: string): string {
  return `fnd_${crypto.createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

export function emptyFacts(): Facts {
  return {
    firstRecordMs: null,
    lastRecordMs: null,
    clockMs: null,
    tenantShadow: false,
    packShadow: {},
    lastCheckpoint: null,
    oldestUncovered: null,
    surfaces: {},
    reviews: {},
    connectors: {},
    hooks: {},
    judgementOnly: false,
    ruleSeverity: {},
    counts: { ingested: 0, unreadable: 0, pruned: 0, unknownTypes: 0 },
    trendBucket: null,
    ingestedAt: null,
  };
}

interface OccurrenceInput {
  kind: FindingKind;
  subject: Record<string, string>;
  severity: Severity;
  title: string;
  detail: string;
  repository?: string;
  agent?: string;
}

type Payload = Record<string, unknown>;

function isObject(value: unknown): value is Payload {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function severityOf(value: unknown): Severity | null {
  return typeof value === 'string' && (severities as readonly string[]).includes(value) ? (value as Severity) : null;
}

function maxSeverity(a: Severity, b: Severity): Severity {
  return severityRank[a] >= severityRank[b] ? a : b;
}

/** `repository`, or the working directory's last segment when the adapter named no repository. */
export function repositoryLabel(payload: { repository?: string; cwd?: string }): string {
  if (payload.repository) return payload.repository;
  if (payload.cwd) {
    const parts = payload.cwd.split(/[\\/]+/).filter((part) => part.length > 0);
    const last = parts[parts.length - 1];
    if (last) return `dir:${last}`;
  }
  return '(unnamed)';
}

function ruleLabel(decision: Decision): string {
  if (decision.explanation.winner) return decision.explanation.winner;
  switch (decision.explanation.basis) {
    case 'default':
      return 'the tenant default (no rule matched)';
    case 'normalization':
      return 'an action CAVRA could not fully understand';
    case 'no_pack':
      return 'no pack assigned';
    default:
      return decision.explanation.basis;
  }
}

function winnerRule(decision: Decision): Decision['rules'][number] | null {
  const winner = decision.explanation.winner;
  if (!winner) return null;
  return decision.rules.find((rule) => `${rule.pack_id}/${rule.rule_id}` === winner) ?? null;
}

/** The most restrictive shadow-pack rule that would have decided more than what was enforced. */
function shadowRule(decision: Decision): Decision['rules'][number] | null {
  let best: Decision['rules'][number] | null = null;
  for (const rule of decision.rules) {
    if (rule.mode !== 'shadow' || decisionRank[rule.decision] <= decisionRank[decision.decision]) continue;
    if (
      !best ||
      decisionRank[rule.decision] > decisionRank[best.decision] ||
      (rule.decision === best.decision && severityRank[rule.severity] > severityRank[best.severity])
    ) {
      best = rule;
    }
  }
  return best;
}

export class Projection {
  cursor: number;
  facts: Facts;
  private readonly findings = new Map<string, FindingState>();
  private readonly byId = new Map<string, FindingState>();
  private readonly cells = new Map<string, CoverageCellState>();
  private dirtyFindings = new Set<string>();
  private dirtyCells = new Set<string>();
  private links: FindingLink[] = [];
  private trend: TrendPointState[] = [];
  private changed = false;

  constructor(
    data: ProjectionData | null,
    private readonly snapshot: TrendSnapshotter,
  ) {
    this.cursor = data?.cursor ?? 0;
    this.facts = data ? data.facts : emptyFacts();
    for (const finding of data?.findings ?? []) {
      this.findings.set(finding.key, finding);
      this.byId.set(finding.id, finding);
    }
    for (const cell of data?.cells ?? []) this.cells.set(cellKey(cell.surface, cell.repository, cell.agent), cell);
  }

  allFindings(): FindingState[] {
    return [...this.findings.values()];
  }

  finding(id: string): FindingState | undefined {
    return this.byId.get(id);
  }

  allCells(): CoverageCellState[] {
    return [...this.cells.values()];
  }

  /** Whether anything changed since the last `drain`. */
  get dirty(): boolean {
    return this.changed;
  }

  /** What changed since the last call, for the repository to commit; resets the change sets. */
  drain(): {
    findings: FindingState[];
    cells: CoverageCellState[];
    links: FindingLink[];
    trend: TrendPointState[];
  } {
    const out = {
      findings: [...this.dirtyFindings].map((key) => this.findings.get(key) as FindingState),
      cells: [...this.dirtyCells].map((key) => this.cells.get(key) as CoverageCellState),
      links: this.links,
      trend: this.trend,
    };
    this.dirtyFindings = new Set();
    this.dirtyCells = new Set();
    this.links = [];
    this.trend = [];
    this.changed = false;
    return out;
  }

  /** Applies one ledger record; `entry.seq` must be the cursor. */
  apply(entry: LedgerEntry): void {
    if (entry.seq !== this.cursor) throw new Error(`AISPM expected record ${this.cursor}, got ${entry.seq}`);
    const facts = this.facts;
    if (facts.clockMs === null || entry.timeMs - facts.clockMs >= CLOCK_STEP_MS) this.advanceClock(entry.timeMs);
    facts.firstRecordMs ??= entry.timeMs;
    facts.lastRecordMs = entry.timeMs;
    facts.counts.ingested += 1;
    this.cursor = entry.seq + 1;
    this.changed = true;
    if (entry.type !== 'checkpoint' && facts.oldestUncovered === null) {
      facts.oldestUncovered = { seq: entry.seq, timeMs: entry.timeMs };
    }
    if (entry.payload === null) {
      facts.counts.pruned += 1;
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(entry.payload);
    } catch {
      this.unreadable(entry, 'the payload is not JSON');
      return;
    }
    const reading = readPayload(entry.type, parsed);
    if (!reading.ok) {
      this.unreadable(entry, reading.reason);
      return;
    }
    const payload = parsed as Payload;
    if (!reading.known) facts.counts.unknownTypes += 1;
    switch (entry.type) {
      case 'decision':
        return this.decision(entry, parsed as DecisionPayload);
      case 'approval':
        return this.approval(entry, payload);
      case 'config_change':
        return this.configChange(entry, payload);
      case 'gap':
        this.occur(entry, {
          kind: 'evidence.gap',
          subject: { source: String(payload.source) },
          severity: 'high',
          title: `Evidence gap in ${String(payload.source)}`,
          detail: String(payload.reason),
          agent: isObject(payload.agent) ? (text(payload.agent.id) ?? undefined) : undefined,
        });
        return;
      case 'finding':
        return this.recordedFinding(entry, payload);
      case 'checkpoint':
        return this.checkpoint(entry, payload);
      case 'finding_triage':
        return this.triage(entry, payload);
      case 'operating_review':
        return this.reviewCompleted(entry, payload);
      case 'delivery':
        return this.delivery(entry, payload);
      default:
        this.connectorCredentials(entry, payload);
    }
  }

  /**
   * Moves time forward to `nowMs`: conditions that depend on time (unsigned tail, stale
   * surfaces, overdue reviews, expiring credentials) open or close, and a trend point is
   * taken at each hour boundary passed.
   */
  advanceClock(nowMs: number): void {
    const facts = this.facts;
    if (facts.clockMs !== null && nowMs < facts.clockMs) return;
    // Leaving an hour: its trend point is the posture as it stood at the end of it.
    if (facts.trendBucket !== null && facts.clockMs !== null && bucketOf(nowMs) > facts.trendBucket) {
      this.trend.push(this.snapshot(this, facts.trendBucket, facts.clockMs));
      this.changed = true;
    }
    // The clock alone is not a change worth a commit; it is saved with the next one.
    facts.clockMs = nowMs;
    facts.trendBucket = bucketOf(nowMs);

    const tail = facts.oldestUncovered;
    if (tail && nowMs - tail.timeMs > UNSIGNED_TAIL_WINDOW_MS) {
      this.condition('evidence.unsigned_tail', {}, true, nowMs, [tail.seq], {
        title: 'Evidence not covered by a signed checkpoint',
        detail: `Records from ${tail.seq} on are older than ${UNSIGNED_TAIL_WINDOW_MS / 60_000} minutes and no signed checkpoint covers them: they can be changed or cut off without trace. Check that the tenant's signing key is available (cavra evidence status).`,
      });
    }
    for (const surface of controlSurfaces) {
      const seen = facts.surfaces[surface];
      if (!seen) continue;
      const stale = nowMs - seen.lastSeen > FRESHNESS_WINDOW_MS[surface];
      if (!stale) continue;
      this.condition('evidence.stale_surface', { surface }, true, nowMs, [seen.lastSeq], {
        title: `No fresh evidence for ${controlSurfaceLabels[surface]}`,
        detail: `The last decision on this surface was recorded ${new Date(seen.lastSeen).toISOString()}; its freshness window is ${FRESHNESS_WINDOW_MS[surface] / 3_600_000} hours. Either agents stopped doing this kind of work, or their actions no longer reach the gate.`,
      });
    }
    if (facts.firstRecordMs !== null) {
      for (const kind of reviewKinds) {
        const last = facts.reviews[kind];
        const due = (last?.at ?? facts.firstRecordMs) + cadenceMs(kind);
        if (nowMs <= due) continue;
        this.condition('review.overdue', { review: kind }, true, nowMs, last ? [last.seq] : [], {
          title: `${reviewSpecs[kind].title} is overdue`,
          detail: `Due ${new Date(due).toISOString()} (every ${reviewSpecs[kind].cadenceDays} days${last ? `; last completed ${new Date(last.at).toISOString()} by ${last.by}` : '; never completed'}). Open it under Operating reviews, read the packet and complete it.`,
        });
      }
    }
    for (const [connector, state] of Object.entries(facts.connectors)) {
      if (state.credentialsExpireAt === null) continue;
      const expiring = state.credentialsExpireAt - nowMs < CREDENTIAL_WARNING_MS;
      this.condition(
        'connector.credentials_expiring',
        { connector },
        expiring,
        nowMs,
        expiring ? [state.lastSeq] : [],
        {
          title: `Credentials of connector ${connector} expire ${new Date(state.credentialsExpireAt).toISOString().slice(0, 10)}`,
          detail: 'Renew them before they expire, or deliveries through this connector will fail.',
        },
      );
    }
  }

  /** The trend point of the current hour, as things stand now (replaced as the hour goes on). */
  snapshotNow(): void {
    if (this.facts.trendBucket === null || this.facts.clockMs === null) return;
    this.trend.push(this.snapshot(this, this.facts.trendBucket, this.facts.clockMs));
    this.changed = true;
  }

  // ── record kinds ────────────────────────────────────────────────────────

  private decision(entry: LedgerEntry, payload: DecisionPayload): void {
    const decision = payload.decision as Decision;
    const repository = repositoryLabel(payload);
    const agent = payload.agent?.id ?? payload.adapter;
    const winner = winnerRule(decision);
    for (const rule of decision.rules) {
      this.facts.ruleSeverity[`${rule.pack_id}/${rule.rule_id}`] = rule.severity;
    }
    // The record written after an approval wait concludes an action already counted.
    const resolution = decision.approval !== undefined && decision.decision !== 'require_approval';
    if (resolution) return;

    // A shadow pack that would have stopped more than was enforced is what this action is about.
    const shadowByPack = shadowRule(decision);
    const tenantShadow = decision.mode === 'shadow';
    const surface = surfaceOf(shadowByPack ?? winner, decision);
    this.surfaceSeen(entry, surface);
    this.coverage(entry, surface, repository, agent, decision, tenantShadow || shadowByPack !== null);

    // Configuration visible in decisions.
    if (tenantShadow && !this.facts.tenantShadow) this.setTenantShadow(entry, true);
    for (const rule of decision.rules) {
      const wasShadow = this.facts.packShadow[rule.pack_id] === true;
      const isShadow = rule.mode === 'shadow';
      if (wasShadow === isShadow) continue;
      this.facts.packShadow[rule.pack_id] = isShadow;
      this.condition('config.pack_shadow', { pack: rule.pack_id }, isShadow, entry.timeMs, [entry.seq], {
        title: `Pack ${rule.pack_id} is in shadow mode`,
        detail: `Its rules are recorded as would-be decisions and enforce nothing (seen with ${rule.pack_id}@${rule.pack_version}). Switch the pack to enforce once its near misses have been reviewed.`,
      });
    }
    if (decision.explanation.basis === 'no_pack') {
      this.condition('config.repository_unassigned', { repository }, true, entry.timeMs, [entry.seq], {
        title: `Repository ${repository} has no policy pack assigned`,
        detail: 'Every action from it needs an approval (fail closed). Assign a pack to the repository or the tenant.',
      });
      return;
    }

    const wouldBe = decision.would_be;
    const rule = ruleLabel(decision);
    const occurrence = { repository, agent };
    if (decisionRank[wouldBe] > decisionRank[decision.decision] && (tenantShadow || shadowByPack)) {
      const by = shadowByPack && !tenantShadow ? shadowByPack : winner;
      const label = by ? `${by.pack_id}/${by.rule_id}` : rule;
      this.occur(entry, {
        kind: 'near_miss.shadow',
        subject: { rule: label },
        severity: by?.severity ?? 'medium',
        title: `Would have been ${wouldBe.replace('_', ' ')} by ${label} (shadow mode)`,
        detail: `${by?.reason ?? decision.explanation.summary} It was allowed because ${tenantShadow ? 'the tenant is in shadow mode' : `pack ${by?.pack_id} is in shadow mode`}.`,
        ...occurrence,
      });
      return;
    }
    const severity = winner?.severity ?? (decision.explanation.basis === 'normalization' ? 'high' : 'medium');
    const reason = winner?.reason ?? decision.explanation.summary;
    if (decision.decision === 'deny') {
      this.occur(entry, {
        kind: 'activity.denied',
        subject: { rule },
        severity,
        title: `Denied by ${rule}`,
        detail: reason,
        ...occurrence,
      });
    } else if (decision.decision === 'require_approval') {
      this.occur(entry, {
        kind: 'activity.approval_required',
        subject: { rule },
        severity,
        title: `Approval required by ${rule}`,
        detail: reason,
        ...occurrence,
      });
    } else if (decision.decision === 'warn') {
      this.occur(entry, {
        kind: 'activity.warned',
        subject: { rule },
        severity,
        title: `Warned by ${rule}`,
        detail: reason,
        ...occurrence,
      });
    }
  }

  private coverage(
    entry: LedgerEntry,
    surface: ControlSurface,
    repository: string,
    agent: string,
    decision: Decision,
    shadow: boolean,
  ): void {
    const key = cellKey(surface, repository, agent);
    let cell = this.cells.get(key);
    if (!cell) {
      cell = {
        surface,
        repository,
        agent,
        decisions: 0,
        denied: 0,
        approvalGated: 0,
        shadow: 0,
        allowed: 0,
        lastSeen: entry.timeMs,
        mode: shadow ? 'shadow' : 'enforce',
        sinceMode: { denied: 0, approvalGated: 0 },
        examples: {},
      };
      this.cells.set(key, cell);
    }
    const mode = shadow ? 'shadow' : 'enforce';
    if (cell.mode !== mode) {
      cell.mode = mode;
      cell.sinceMode = { denied: 0, approvalGated: 0 };
    }
    cell.decisions += 1;
    cell.lastSeen = entry.timeMs;
    if (shadow) {
      cell.shadow += 1;
      cell.examples.shadow = entry.seq;
    } else if (decision.decision === 'deny') {
      cell.denied += 1;
      cell.sinceMode.denied += 1;
      cell.examples.denied = entry.seq;
    } else if (decision.decision === 'require_approval') {
      cell.approvalGated += 1;
      cell.sinceMode.approvalGated += 1;
      cell.examples.approvalGated = entry.seq;
    } else {
      cell.allowed += 1;
      cell.examples.allowed = entry.seq;
    }
    this.dirtyCells.add(key);
  }

  private surfaceSeen(entry: LedgerEntry, surface: ControlSurface): void {
    this.facts.surfaces[surface] = { lastSeen: entry.timeMs, lastSeq: entry.seq };
    this.condition('evidence.stale_surface', { surface }, false, entry.timeMs, [entry.seq]);
  }

  private setTenantShadow(entry: LedgerEntry, on: boolean): void {
    this.facts.tenantShadow = on;
    this.condition('config.tenant_shadow', {}, on, entry.timeMs, [entry.seq], {
      title: 'The tenant is in shadow mode: nothing is enforced',
      detail:
        'Every decision is recorded as what it would have been and the action is allowed. Review the near misses, then switch the tenant to enforce (Policy packs, settings).',
    });
  }

  private approval(entry: LedgerEntry, payload: Payload): void {
    const requestId = String(payload.request_id);
    const ruleId = text(payload.rule_id);
    const rule = ruleId ?? `route ${String(payload.route)}`;
    const agent = isObject(payload.agent) ? (text(payload.agent.id) ?? undefined) : undefined;
    if (payload.event === 'denied') {
      this.occur(entry, {
        kind: 'near_miss.approval_denied',
        subject: { rule },
        severity: (ruleId && this.facts.ruleSeverity[ruleId]) || 'medium',
        title: `Approval denied: ${rule}`,
        detail: `A reviewer refused an action the agent asked for${text(payload.reason) ? `: ${String(payload.reason)}` : ''}. The agent tried something its policy routes to a human, and the human said no.`,
        agent,
      });
    }
    if (payload.event === 'break_glass' || payload.break_glass === true) {
      this.occur(entry, {
        kind: 'approval.break_glass',
        subject: { request_id: requestId },
        severity: 'critical',
        title: `Break-glass approval ${requestId}`,
        detail: `${String(payload.by)} approved outside the route${text(payload.reason) ? `: ${String(payload.reason)}` : ''}. Break-glass always needs a post-incident review.`,
        agent,
      });
    }
    if (payload.self_approved === true) {
      this.occur(entry, {
        kind: 'approval.self_approved',
        subject: { request_id: requestId },
        severity: 'high',
        title: `Self-approved decision ${requestId}`,
        detail: `${String(payload.by)} decided a request raised on their own behalf. This is a readiness blocker.`,
        agent,
      });
    }
  }

  private configChange(entry: LedgerEntry, payload: Payload): void {
    const change = String(payload.change);
    if (change === 'policy.settings' && isObject(payload.after) && typeof payload.after.mode === 'string') {
      const on = payload.after.mode === 'shadow';
      if (on !== this.facts.tenantShadow) this.setTenantShadow(entry, on);
    } else if (change === 'policy.assign') {
      const repository = payload.repository;
      for (const finding of this.findings.values()) {
        if (finding.kind !== 'config.repository_unassigned' || !finding.active) continue;
        if (repository === null || repository === undefined || finding.subject.repository === repository) {
          this.condition('config.repository_unassigned', finding.subject, false, entry.timeMs, [entry.seq]);
        }
      }
    } else if (change === 'hook.placement') {
      const adapter = text(payload.adapter) ?? 'hook';
      const weak = payload.agent_writable === true && payload.managed !== true;
      this.facts.hooks[adapter] = { agentWritable: weak, seq: entry.seq };
      this.condition('config.hook_agent_writable', { adapter }, weak, entry.timeMs, [entry.seq], {
        title: `The ${adapter} hook is installed only where the agent can change it`,
        detail: `${text(payload.path) ?? 'Its settings file'} is writable by the agent it governs, so the agent can remove its own guard. Install it into managed settings (cavra hook install ${adapter} --managed).`,
      });
    } else if (change === 'containment.enforcement' && typeof payload.after === 'string') {
      const judgementOnly = payload.after === 'judgement_only';
      this.facts.judgementOnly = judgementOnly;
      this.condition('config.judgement_only', {}, judgementOnly, entry.timeMs, [entry.seq], {
        title: 'Judgement-only mode: allowed commands run without containment',
        detail:
          'An allowed command runs whatever the agent wrote into it (tests, scripts) with no sandbox around it. This was chosen explicitly; it is weaker posture until containment is back on.',
      });
    }
    this.connectorCredentials(entry, payload);
  }

  private recordedFinding(entry: LedgerEntry, payload: Payload): void {
    const recordedKind = String(payload.kind);
    const kind: FindingKind = RECORDED_KIND_ALIASES[recordedKind] ?? 'recorded';
    const subject: Record<string, string> = {};
    if (isObject(payload.subject)) {
      for (const [name, value] of Object.entries(payload.subject)) {
        if (typeof value === 'string' || typeof value === 'number') subject[name] = String(value);
      }
    }
    if (kind === 'recorded') subject.kind = recordedKind;
    const finding = this.occur(entry, {
      kind,
      subject,
      severity: severityOf(payload.severity) ?? kindSpec(kind).severity,
      title:
        kind === 'config.mcp_tools_changed' && subject.mcp_server
          ? `MCP server ${subject.mcp_server} changed its tool definitions`
          : String(payload.summary),
      detail: String(payload.summary),
    });
    // The records the finding names (the mcp_tools change, …) are part of its evidence.
    if (Array.isArray(payload.evidence)) {
      for (const seq of payload.evidence) {
        if (Number.isSafeInteger(seq) && (seq as number) < entry.seq) this.link(finding, seq as number);
      }
    }
  }

  private checkpoint(entry: LedgerEntry, payload: Payload): void {
    const size = Number(payload.size);
    this.facts.lastCheckpoint = { seq: entry.seq, size };
    const tail = this.facts.oldestUncovered;
    if (tail && tail.seq < size) {
      this.facts.oldestUncovered = null;
      this.condition('evidence.unsigned_tail', {}, false, entry.timeMs, [entry.seq]);
    }
  }

  private triage(entry: LedgerEntry, payload: Payload): void {
    const finding = this.byId.get(String(payload.finding_id));
    if (!finding) return;
    if (payload.owner !== undefined) finding.owner = (payload.owner as string | null) ?? null;
    if (payload.note !== undefined) finding.note = String(payload.note) || null;
    if (typeof payload.status === 'string' && (findingStatuses as readonly string[]).includes(payload.status)) {
      finding.status = payload.status as FindingStatus;
      finding.statusBy = String(payload.by);
      finding.statusAt = entry.timeMs;
      finding.acceptedUntil =
        payload.status === 'accepted_risk' && typeof payload.accepted_until === 'string'
          ? Date.parse(payload.accepted_until)
          : null;
    }
    this.link(finding, entry.seq);
    this.touch(finding);
  }

  private reviewCompleted(entry: LedgerEntry, payload: Payload): void {
    const kind = payload.review as ReviewKind;
    const period = payload.period as { to_seq: number };
    this.facts.reviews[kind] = {
      at: entry.timeMs,
      by: String(payload.by),
      notes: String(payload.notes),
      seq: entry.seq,
      packetSha256: String(payload.packet_sha256),
      toSeq: period.to_seq,
    };
    this.condition('review.overdue', { review: kind }, false, entry.timeMs, [entry.seq]);
  }

  /**
   * Outbox deliveries (core/outbox): a failed attempt, or a delivery escalated because its
   * attempts ran out, opens the connector's finding; the next accepted attempt clears it.
   */
  private delivery(entry: LedgerEntry, payload: Payload): void {
    const connector = text(payload.connector);
    if (!connector) return;
    const state = (this.facts.connectors[connector] ??= {
      failing: false,
      credentialsExpireAt: null,
      lastSeq: entry.seq,
    });
    state.lastSeq = entry.seq;
    const failed = (payload.event === 'attempt' && payload.outcome === 'failed') || payload.event === 'escalated';
    const succeeded = payload.event === 'attempt' && payload.outcome === 'accepted';
    if (failed || succeeded) {
      state.failing = failed;
      const answer = [text(payload.code), text(payload.text)].filter((part) => part !== null).join(' ');
      this.condition('connector.delivery_failing', { connector }, failed, entry.timeMs, [entry.seq], {
        title: `Deliveries through connector ${connector} are failing`,
        detail: `${payload.event === 'escalated' ? `A ${String(payload.purpose)} delivery ran out of attempts and was escalated` : `Attempt ${String(payload.attempt ?? '?')} of a ${String(payload.purpose)} delivery failed`}${answer ? `: ${answer.slice(0, 300)}` : ''}. Reports, approvals and checkpoint anchors sent through it may not arrive.`,
      });
    }
    this.connectorCredentials(entry, payload);
  }

  private connectorCredentials(entry: LedgerEntry, payload: Payload): void {
    const connector = text(payload.connector);
    const expires = text(payload.credentials_expire_at);
    if (!connector || !expires || !Number.isFinite(Date.parse(expires))) return;
    const state = (this.facts.connectors[connector] ??= {
      failing: false,
      credentialsExpireAt: null,
      lastSeq: entry.seq,
    });
    state.credentialsExpireAt = Date.parse(expires);
    state.lastSeq = entry.seq;
    if (state.credentialsExpireAt - entry.timeMs >= CREDENTIAL_WARNING_MS) {
      this.condition('connector.credentials_expiring', { connector }, false, entry.timeMs, [entry.seq]);
    }
  }

  private unreadable(entry: LedgerEntry, reason: string): void {
    this.facts.counts.unreadable += 1;
    this.occur(entry, {
      kind: 'evidence.unreadable',
      subject: { type: entry.type },
      severity: 'medium',
      title: `Unreadable ${entry.type} records`,
      detail: `AISPM could not read these records, so they count for nothing in posture: ${reason.slice(0, 500)}`,
    });
  }

  // ── findings ────────────────────────────────────────────────────────────

  private create(
    key: string,
    kind: string,
    subject: Record<string, string>,
    at: number,
    shape: { severity?: Severity; title: string; detail: string },
  ): FindingState {
    const finding: FindingState = {
      id: findingId(key),
      key,
      kind,
      severity: shape.severity ?? kindSpec(kind).severity,
      title: shape.title,
      detail: shape.detail,
      subject,
      status: 'open',
      statusBy: 'cavra',
      statusAt: at,
      owner: null,
      note: null,
      acceptedUntil: null,
      firstSeen: at,
      lastSeen: at,
      occurrences: 0,
      evidenceCount: 0,
      repositories: {},
      agents: {},
      active: true,
      recent: [],
    };
    this.findings.set(key, finding);
    this.byId.set(finding.id, finding);
    return finding;
  }

  /** One more occurrence of an event finding; a resolved one reopens, since there is new evidence. */
  private occur(entry: LedgerEntry, input: OccurrenceInput): FindingState {
    const key = findingKey(input.kind, input.subject);
    const finding =
      this.findings.get(key) ??
      this.create(key, input.kind, input.subject, entry.timeMs, {
        severity: input.severity,
        title: input.title,
        detail: input.detail,
      });
    finding.occurrences += 1;
    finding.lastSeen = entry.timeMs;
    finding.severity = maxSeverity(finding.severity, input.severity);
    finding.detail = input.detail;
    finding.active = true;
    if (input.repository) bump(finding.repositories, input.repository);
    if (input.agent) bump(finding.agents, input.agent);
    if (finding.status === 'resolved') this.reopen(finding, entry.timeMs);
    this.link(finding, entry.seq);
    this.touch(finding);
    return finding;
  }

  /**
   * Sets whether a condition holds. Opening cites the records that show it (and reopens a
   * resolved finding); clearing cites the record that cleared it and resolves the finding.
   */
  private condition(
    kind: FindingKind,
    subject: Record<string, string>,
    active: boolean,
    at: number,
    seqs: number[],
    shape?: { title: string; detail: string },
  ): void {
    const key = findingKey(kind, subject);
    let finding = this.findings.get(key);
    if (!finding) {
      if (!active || !shape) return;
      finding = this.create(key, kind, subject, at, shape);
    } else if (finding.active === active) {
      return;
    }
    finding.active = active;
    finding.lastSeen = at;
    if (active) {
      finding.occurrences += 1;
      if (shape) {
        finding.title = shape.title;
        finding.detail = shape.detail;
      }
      if (finding.status === 'resolved') this.reopen(finding, at);
    } else if (finding.status !== 'resolved') {
      finding.status = 'resolved';
      finding.statusBy = 'cavra';
      finding.statusAt = at;
    }
    for (const seq of seqs) this.link(finding, seq);
    this.touch(finding);
  }

  private reopen(finding: FindingState, at: number): void {
    finding.status = 'open';
    finding.statusBy = 'cavra';
    finding.statusAt = at;
    finding.acceptedUntil = null;
  }

  private link(finding: FindingState, seq: number): void {
    if (finding.recent.includes(seq)) return;
    finding.recent.push(seq);
    if (finding.recent.length > RECENT_LINKS) finding.recent.shift();
    finding.evidenceCount += 1;
    this.links.push({ findingId: finding.id, seq });
  }

  private touch(finding: FindingState): void {
    this.dirtyFindings.add(finding.key);
    this.changed = true;
  }
}

export function cellKey(surface: string, repository: string, agent: string): string {
  return `${surface}\n${repository}\n${agent}`;
}

/** Subject members in name order, so the same subject always makes the same key (and id). */
export function findingKey(kind: string, subject: Record<string, string>): string {
  const parts = Object.keys(subject)
    .sort()
    .map((name) => `${name}=${subject[name]}`);
  return [kind, ...parts].join('|');
}

export function bucketOf(ms: number): number {
  return Math.floor(ms / TREND_BUCKET_MS) * TREND_BUCKET_MS;
}

function bump(counts: Record<string, number>, name: string): void {
  if (counts[name] !== undefined) counts[name] += 1;
  else if (Object.keys(counts).length < MAX_DIMENSION_VALUES) counts[name] = 1;
}
