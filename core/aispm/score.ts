import { controlSurfaces, severities } from '../contract';
import type { ControlSurface, CoverageState, FindingStatus, RiskLevel, Severity } from '../contract';
import { kindSpec } from './kinds';
import type { CoverageCellState, Facts, FindingState, TrendPointState } from './projection';
import { FRESHNESS_WINDOW_MS } from './surfaces';

/**
 * The posture score (0–100). README.md in this folder states the formula for people; this
 * is it for the machine. Two parts, each measuring one thing, so no weakness counts twice:
 *
 *   score    = coverage + risk
 *   coverage = Σ over the 6 surfaces of (40 / 6) × factor(surface)
 *              factor = mean, over the repositories with evidence on that surface, of
 *                       STATE_FACTOR[weakest state across that repository's agents];
 *              a surface with no evidence anywhere scores 0 (not observed)
 *   risk     = 60 × e^(−W / 60)
 *              W = Σ over open findings of SEVERITY_WEIGHT × kind weight × STATUS_WEIGHT
 *
 * Findings, not events, are counted: a rule that denied a thousand actions is one finding.
 * Kinds whose weakness coverage already measures (shadow-mode configuration) weigh 0. The
 * exponential never reaches 0, so the 30th finding still lowers the score: it does not
 * saturate after a handful. Every deduction is attributed: a finding's share of the risk
 * deduction is its weight over W, and a surface's points split over its repositories.
 */
export const COVERAGE_MAX = 40;
export const RISK_MAX = 60;
export const RISK_SCALE = 60;
export const STATE_FACTOR: Readonly<Record<CoverageState, number>> = {
  enforced: 1,
  approval_gated: 0.75,
  shadow: 0.25,
  not_observed: 0,
};
export const SEVERITY_WEIGHT: Readonly<Record<Severity, number>> = { low: 1, medium: 3, high: 6, critical: 10 };
export const STATUS_WEIGHT: Readonly<Record<FindingStatus, number>> = {
  open: 1,
  acknowledged: 1,
  accepted_risk: 0.5,
  resolved: 0,
};

const STATE_ORDER: readonly CoverageState[] = ['not_observed', 'shadow', 'approval_gated', 'enforced'];

export interface SurfacePosture {
  surface: ControlSurface;
  state: CoverageState;
  factor: number;
  points: number;
  max: number;
  repositories: { repository: string; state: CoverageState; points: number; examples: number[] }[];
  lastSeen: string | null;
  stale: boolean;
}

export interface Posture {
  score: number;
  riskLevel: RiskLevel;
  riskReasons: string[];
  coverage: { points: number; max: number; surfaces: SurfacePosture[] };
  risk: {
    points: number;
    max: number;
    weight: number;
    findings: { id: string; title: string; severity: Severity; kind: string; weight: number; deduction: number }[];
  };
  openFindings: Record<Severity, number>;
}

/** The status that counts now: an accepted risk past its expiry is open again. */
export function effectiveStatus(finding: FindingState, nowMs: number): { status: FindingStatus; expired: boolean } {
  if (finding.status === 'accepted_risk' && finding.acceptedUntil !== null && finding.acceptedUntil <= nowMs) {
    return { status: 'open', expired: true };
  }
  return { status: finding.status, expired: false };
}

/** Whether a finding is something to act on now: not resolved, and its condition (if any) holds. */
export function isOpen(finding: FindingState, nowMs: number): boolean {
  return finding.active && effectiveStatus(finding, nowMs).status !== 'resolved';
}

/** How the gate treated risky actions in one cell (README: coverage states). */
export function cellState(cell: CoverageCellState): CoverageState {
  if (cell.mode === 'shadow') return 'shadow';
  if (cell.sinceMode.approvalGated > 0 && cell.sinceMode.denied === 0) return 'approval_gated';
  return 'enforced';
}

function weakest(states: CoverageState[]): CoverageState {
  let worst: CoverageState = 'enforced';
  for (const state of states) if (STATE_ORDER.indexOf(state) < STATE_ORDER.indexOf(worst)) worst = state;
  return worst;
}

function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function scorePosture(
  findings: Iterable<FindingState>,
  cells: Iterable<CoverageCellState>,
  facts: Facts,
  nowMs: number,
): Posture {
  const perSurface = new Map<ControlSurface, Map<string, CoverageCellState[]>>();
  for (const cell of cells) {
    const byRepository = perSurface.get(cell.surface) ?? new Map<string, CoverageCellState[]>();
    perSurface.set(cell.surface, byRepository);
    byRepository.set(cell.repository, [...(byRepository.get(cell.repository) ?? []), cell]);
  }
  const surfaceMax = COVERAGE_MAX / controlSurfaces.length;
  const surfaces: SurfacePosture[] = controlSurfaces.map((surface) => {
    const byRepository = perSurface.get(surface);
    const seen = facts.surfaces[surface];
    const lastSeen = seen ? new Date(seen.lastSeen).toISOString() : null;
    const stale = seen ? nowMs - seen.lastSeen > FRESHNESS_WINDOW_MS[surface] : false;
    if (!byRepository || byRepository.size === 0) {
      return {
        surface,
        state: 'not_observed',
        factor: 0,
        points: 0,
        max: surfaceMax,
        repositories: [],
        lastSeen,
        stale,
      };
    }
    const share = surfaceMax / byRepository.size;
    const repositories = [...byRepository.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([repository, repoCells]) => {
        const state = weakest(repoCells.map(cellState));
        const examples = repoCells
          .flatMap((cell) => [
            cell.examples.shadow,
            cell.examples.denied,
            cell.examples.approvalGated,
            cell.examples.allowed,
          ])
          .filter((seq): seq is number => seq !== undefined)
          .sort((a, b) => b - a)
          .slice(0, 8);
        return { repository, state, points: share * STATE_FACTOR[state], examples };
      });
    const factor = repositories.reduce((sum, r) => sum + STATE_FACTOR[r.state], 0) / repositories.length;
    return {
      surface,
      state: weakest(repositories.map((r) => r.state)),
      factor,
      points: surfaceMax * factor,
      max: surfaceMax,
      repositories,
      lastSeen,
      stale,
    };
  });
  const coveragePoints = surfaces.reduce((sum, s) => sum + s.points, 0);

  const openFindings: Record<Severity, number> = { low: 0, medium: 0, high: 0, critical: 0 };
  const weighted: { finding: FindingState; weight: number }[] = [];
  for (const finding of findings) {
    if (!isOpen(finding, nowMs)) continue;
    openFindings[finding.severity] += 1;
    const { status } = effectiveStatus(finding, nowMs);
    const weight = SEVERITY_WEIGHT[finding.severity] * kindSpec(finding.kind).postureWeight * STATUS_WEIGHT[status];
    if (weight > 0) weighted.push({ finding, weight });
  }
  const totalWeight = weighted.reduce((sum, w) => sum + w.weight, 0);
  const riskPoints = RISK_MAX * Math.exp(-totalWeight / RISK_SCALE);
  const deduction = RISK_MAX - riskPoints;
  const riskFindings = weighted
    .map(({ finding, weight }) => ({
      id: finding.id,
      title: finding.title,
      severity: finding.severity,
      kind: finding.kind,
      weight,
      deduction: totalWeight > 0 ? (deduction * weight) / totalWeight : 0,
    }))
    .sort((a, b) => b.deduction - a.deduction || a.id.localeCompare(b.id));

  const score = round(coveragePoints + riskPoints, 1);
  const { level, reasons } = riskLevelOf(score, findings, nowMs);
  return {
    score,
    riskLevel: level,
    riskReasons: reasons,
    coverage: {
      points: round(coveragePoints),
      max: COVERAGE_MAX,
      surfaces: surfaces.map((s) => ({
        ...s,
        factor: round(s.factor, 4),
        points: round(s.points),
        max: round(s.max),
        repositories: s.repositories.map((r) => ({ ...r, points: round(r.points) })),
      })),
    },
    risk: {
      points: round(riskPoints),
      max: RISK_MAX,
      weight: round(totalWeight),
      findings: riskFindings.map((f) => ({ ...f, weight: round(f.weight), deduction: round(f.deduction) })),
    },
    openFindings,
  };
}

const LEVELS: readonly RiskLevel[] = ['low', 'medium', 'high', 'critical'];

/**
 * The score sets a floor on the risk level (≥ 80 low, ≥ 60 medium, ≥ 40 high, else
 * critical); an open, unaccepted critical or high finding of a kind that weighs fully raises
 * it to critical or high whatever the score, so one break-glass never hides behind a good
 * average.
 */
function riskLevelOf(score: number, findings: Iterable<FindingState>, nowMs: number) {
  let level: RiskLevel = score >= 80 ? 'low' : score >= 60 ? 'medium' : score >= 40 ? 'high' : 'critical';
  const reasons = [`Score ${score} of 100 puts the tenant at ${level} risk or above.`];
  const raise = (to: RiskLevel, why: string) => {
    if (LEVELS.indexOf(to) > LEVELS.indexOf(level)) {
      level = to;
      reasons.push(why);
    }
  };
  const worst: Partial<Record<Severity, FindingState>> = {};
  for (const finding of findings) {
    if (!isOpen(finding, nowMs) || kindSpec(finding.kind).postureWeight < 1) continue;
    if (effectiveStatus(finding, nowMs).status === 'accepted_risk') continue;
    worst[finding.severity] ??= finding;
  }
  if (worst.critical) raise('critical', `Open critical finding: ${worst.critical.title}.`);
  if (worst.high) raise('high', `Open high finding: ${worst.high.title}.`);
  let held = 0;
  for (const finding of findings) {
    const severe = finding.severity === 'critical' || finding.severity === 'high';
    const stopped = kindSpec(finding.kind).category === 'activity' || finding.kind === 'near_miss.approval_denied';
    if (severe && stopped && isOpen(finding, nowMs)) held += 1;
  }
  if (held > 0) {
    reasons.push(
      `${held} open critical or high finding${held === 1 ? ' is' : 's are'} activity the controls stopped or sent to a reviewer: reviewed, not a weakness by itself.`,
    );
  }
  return { level, reasons };
}

export function trendPoint(
  findings: Iterable<FindingState>,
  cells: Iterable<CoverageCellState>,
  facts: Facts,
  bucketMs: number,
  nowMs: number,
): TrendPointState {
  const posture = scorePosture(findings, cells, facts, nowMs);
  return {
    atMs: bucketMs,
    score: posture.score,
    coverage: posture.coverage.points,
    risk: posture.risk.points,
    open: Object.fromEntries(severities.map((s) => [s, posture.openFindings[s]])) as Record<Severity, number>,
  };
}
