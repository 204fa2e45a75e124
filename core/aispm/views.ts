import { controlSurfaces } from '../contract';
import type { ControlSurface, CoverageView, FindingView, FindingsFilter } from '../contract';
import { kindSpec } from './kinds';
import type { CoverageCellState, FindingState } from './projection';
import { cellState, effectiveStatus, isOpen } from './score';

const iso = (ms: number) => new Date(ms).toISOString();

function byCount(counts: Record<string, number>): string[] {
  return Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([name]) => name);
}

export function findingView(finding: FindingState, nowMs: number): FindingView {
  const { status, expired } = effectiveStatus(finding, nowMs);
  const spec = kindSpec(finding.kind);
  return {
    id: finding.id,
    kind: finding.kind,
    category: spec.category,
    severity: finding.severity,
    title: finding.title,
    detail: finding.detail,
    subject: finding.subject,
    status,
    riskAcceptanceExpired: expired,
    acceptedUntil: finding.acceptedUntil === null ? null : iso(finding.acceptedUntil),
    owner: finding.owner,
    note: finding.note,
    statusBy: finding.statusBy,
    statusAt: iso(finding.statusAt),
    firstSeen: iso(finding.firstSeen),
    lastSeen: iso(finding.lastSeen),
    occurrences: finding.occurrences,
    evidenceCount: finding.evidenceCount,
    repositories: byCount(finding.repositories),
    agents: byCount(finding.agents),
    active: finding.active,
    postureWeight: spec.postureWeight,
  };
}

const severityRank = { critical: 0, high: 1, medium: 2, low: 3 } as const;

/** Findings matching the filter: what needs acting on first (open, worst, newest). */
export function filterFindings(findings: FindingState[], filter: FindingsFilter, nowMs: number): FindingView[] {
  const search = filter.search?.trim().toLowerCase() ?? '';
  const views: FindingView[] = [];
  for (const finding of findings) {
    const view = findingView(finding, nowMs);
    if (filter.statuses?.length && !filter.statuses.includes(view.status)) continue;
    if (filter.severities?.length && !filter.severities.includes(view.severity)) continue;
    if (filter.categories?.length && !filter.categories.includes(view.category)) continue;
    if (filter.owner !== undefined && (filter.owner === '' ? view.owner !== null : view.owner !== filter.owner))
      continue;
    if (filter.repository !== undefined && !view.repositories.includes(filter.repository)) continue;
    if (
      search &&
      ![view.title, view.detail, view.kind, view.owner ?? '', ...Object.values(view.subject)].some((field) =>
        field.toLowerCase().includes(search),
      )
    ) {
      continue;
    }
    views.push(view);
  }
  const openRank = (view: FindingView, finding: FindingState | undefined) =>
    finding && isOpen(finding, nowMs) ? 0 : 1;
  const byId = new Map(findings.map((f) => [f.id, f]));
  return views.sort(
    (a, b) =>
      openRank(a, byId.get(a.id)) - openRank(b, byId.get(b.id)) ||
      severityRank[a.severity] - severityRank[b.severity] ||
      b.lastSeen.localeCompare(a.lastSeen) ||
      a.id.localeCompare(b.id),
  );
}

type CellView = CoverageView['rows'][number]['cells'][ControlSurface];

function emptyCells(): Record<ControlSurface, CellView> {
  const cells = {} as Record<ControlSurface, CellView>;
  for (const surface of controlSurfaces) {
    cells[surface] = {
      state: 'not_observed',
      decisions: 0,
      denied: 0,
      approvalGated: 0,
      shadow: 0,
      allowed: 0,
      lastSeen: null,
      examples: [],
    };
  }
  return cells;
}

/** One row per repository and agent, one cell per surface (not observed where nothing was seen). */
export function coverageRows(cells: CoverageCellState[]): CoverageView['rows'] {
  const rows = new Map<string, CoverageView['rows'][number]>();
  for (const cell of cells) {
    const key = `${cell.repository}\n${cell.agent}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        repository: cell.repository,
        agent: cell.agent,
        cells: emptyCells(),
      };
      rows.set(key, row);
    }
    row.cells[cell.surface] = {
      state: cellState(cell),
      decisions: cell.decisions,
      denied: cell.denied,
      approvalGated: cell.approvalGated,
      shadow: cell.shadow,
      allowed: cell.allowed,
      lastSeen: iso(cell.lastSeen),
      examples: [cell.examples.shadow, cell.examples.denied, cell.examples.approvalGated, cell.examples.allowed]
        .filter((seq): seq is number => seq !== undefined)
        .sort((a, b) => b - a),
    };
  }
  return [...rows.values()].sort((a, b) => a.repository.localeCompare(b.repository) || a.agent.localeCompare(b.agent));
}
