import crypto from 'node:crypto';
import { controlSurfaceLabels } from '../contract';
import type { ReviewKind, ReviewPacket } from '../contract';
import { canonicalize } from '../evidence';
import type { LedgerSource } from './consumer';
import type { FindingState, Projection, TrendPointState } from './projection';
import { reviewSpecs } from './reviews';
import { effectiveStatus, isOpen, scorePosture } from './score';

type Section = ReviewPacket['sections'][number];
type Item = Section['items'][number];

/** Items listed per section; the summary still counts them all (up to the scan limit). */
const ITEMS_PER_SECTION = 100;
const SCAN_LIMIT = 5_000;

export interface PacketInput {
  kind: ReviewKind;
  tenant: string;
  projection: Projection;
  ledger: LedgerSource;
  trend: TrendPointState[];
  nowMs: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Records of the given types in [fromSeq, toSeq], newest first, with how many there were;
 * `keep` filters on the payload (read only for records of those types).
 */
function recordsIn(
  ledger: LedgerSource,
  types: string[],
  fromSeq: number,
  toSeq: number,
  keep?: (payload: Record<string, unknown>) => boolean,
) {
  const items: Item[] = [];
  const payloads: Record<string, unknown>[] = [];
  let count = 0;
  let before: number | undefined = toSeq + 1;
  let capped = false;
  let scanned = 0;
  while (before !== undefined && before > fromSeq) {
    const page = ledger.query({ types, before, limit: 500 });
    for (const record of page.records) {
      if (record.seq < fromSeq) {
        before = undefined;
        break;
      }
      scanned += 1;
      let payload: Record<string, unknown> = {};
      if (keep) {
        for (const entry of ledger.entries(record.seq, record.seq + 1)) {
          payload = entry.payload === null ? {} : (JSON.parse(entry.payload) as Record<string, unknown>);
        }
        if (!keep(payload)) continue;
      }
      count += 1;
      payloads.push(payload);
      if (items.length < ITEMS_PER_SECTION) {
        items.push({ text: `#${record.seq} ${record.time} — ${record.summary}`, seqs: [record.seq] });
      }
    }
    if (scanned >= SCAN_LIMIT) {
      capped = true;
      break;
    }
    before = before === undefined || page.next === null ? undefined : page.next;
  }
  return { items, count, capped, payloads };
}

/** Delivery attempts per connector: how many were accepted and how many failed. */
function perConnector(payloads: Record<string, unknown>[]): Item[] {
  const tally = new Map<string, { accepted: number; failed: number; escalated: number }>();
  for (const p of payloads) {
    const connector = String(p.connector);
    const entry = tally.get(connector) ?? { accepted: 0, failed: 0, escalated: 0 };
    if (p.event === 'attempt' && p.outcome === 'accepted') entry.accepted += 1;
    if (p.event === 'attempt' && p.outcome === 'failed') entry.failed += 1;
    if (p.event === 'escalated') entry.escalated += 1;
    tally.set(connector, entry);
  }
  return [...tally.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([connector, t]) => ({
      text: `${connector}: ${t.accepted} accepted, ${t.failed} failed, ${t.escalated} escalated`,
      seqs: [],
    }));
}

function counted(what: string, result: { count: number; capped: boolean }): string {
  if (result.count === 0) return `No ${what} in this period.`;
  return `${result.capped ? 'At least ' : ''}${result.count} ${what} in this period${result.count > ITEMS_PER_SECTION ? ` (the newest ${ITEMS_PER_SECTION} listed)` : ''}.`;
}

function findingItem(finding: FindingState, nowMs: number): Item {
  const { status, expired } = effectiveStatus(finding, nowMs);
  const owner = finding.owner ? `owner ${finding.owner}` : 'no owner';
  const age = Math.max(0, Math.floor((nowMs - finding.firstSeen) / 86_400_000));
  return {
    text: `[${finding.severity}] ${finding.title} — ${status}${expired ? ' (risk acceptance expired)' : ''}, ${owner}, ${finding.occurrences} occurrence${finding.occurrences === 1 ? '' : 's'}, first seen ${age} day${age === 1 ? '' : 's'} ago`,
    seqs: finding.recent.slice(-3),
    findingId: finding.id,
  };
}

function findingsSection(title: string, findings: FindingState[], nowMs: number, none: string): Section {
  const sorted = [...findings].sort(
    (a, b) => severityOrder(b.severity) - severityOrder(a.severity) || b.lastSeen - a.lastSeen,
  );
  return {
    title,
    summary: findings.length === 0 ? none : `${findings.length} finding${findings.length === 1 ? '' : 's'}.`,
    items: sorted.slice(0, ITEMS_PER_SECTION).map((f) => findingItem(f, nowMs)),
  };
}

function severityOrder(severity: string): number {
  return ['low', 'medium', 'high', 'critical'].indexOf(severity);
}

function recordsSection(title: string, what: string, result: ReturnType<typeof recordsIn>): Section {
  return { title, summary: counted(what, result), items: result.items };
}

/**
 * The packet a reviewer reads: what changed in the ledger since this review was last
 * completed (or since the ledger began), each line linked to its records or finding. Its
 * SHA-256 is what the completion record names, so the evidence says exactly what was reviewed.
 */
export function buildPacket(input: PacketInput): ReviewPacket {
  const { kind, projection, ledger, nowMs } = input;
  const last = projection.facts.reviews[kind];
  const fromSeq = last ? last.toSeq + 1 : 0;
  const toSeq = projection.cursor - 1;
  const sinceMs = last?.at ?? projection.facts.firstRecordMs ?? nowMs;
  const findings = projection.allFindings();
  const open = findings.filter((f) => isOpen(f, nowMs));
  const newSince = findings.filter((f) => f.firstSeen >= sinceMs);
  const ofKind = (...kinds: string[]) => findings.filter((f) => kinds.includes(f.kind));
  const sections: Section[] = [];

  switch (kind) {
    case 'weekly_posture': {
      const posture = scorePosture(findings, projection.allCells(), projection.facts, nowMs);
      const before = [...input.trend].reverse().find((p) => p.atMs <= sinceMs) ?? input.trend[0];
      sections.push({
        title: 'Score',
        summary: `${posture.score} of 100, ${posture.riskLevel} risk${before ? ` (was ${before.score} at ${iso(before.atMs)})` : ''}.`,
        items: posture.riskReasons.map((reason) => ({ text: reason, seqs: [] })),
      });
      sections.push({
        title: 'Coverage by control surface',
        summary: `${posture.coverage.points} of ${posture.coverage.max} coverage points.`,
        items: posture.coverage.surfaces.map((s) => ({
          text: `${controlSurfaceLabels[s.surface]}: ${s.state.replace('_', ' ')}${s.stale ? ' (stale)' : ''}, ${s.points} of ${s.max} points`,
          seqs: s.repositories.flatMap((r) => r.examples.slice(0, 1)),
        })),
      });
      sections.push(findingsSection('New findings', newSince, nowMs, 'No new findings since the last review.'));
      sections.push(
        findingsSection(
          'Resolved since the last review',
          findings.filter((f) => f.status === 'resolved' && f.statusAt >= sinceMs),
          nowMs,
          'Nothing was resolved since the last review.',
        ),
      );
      break;
    }
    case 'open_findings': {
      sections.push(
        findingsSection(
          'Open findings without an owner',
          open.filter((f) => f.owner === null),
          nowMs,
          'Every open finding has an owner.',
        ),
      );
      sections.push(
        findingsSection(
          'Risk acceptances that expired',
          findings.filter((f) => effectiveStatus(f, nowMs).expired),
          nowMs,
          'No risk acceptance has expired.',
        ),
      );
      sections.push(findingsSection('All open findings', open, nowMs, 'No open findings.'));
      break;
    }
    case 'approvals_exceptions': {
      sections.push(
        recordsSection('Approval events', 'approval events', recordsIn(ledger, ['approval'], fromSeq, toSeq)),
      );
      sections.push(
        findingsSection(
          'Accepted risks',
          findings.filter((f) => f.status === 'accepted_risk'),
          nowMs,
          'No accepted risks.',
        ),
      );
      sections.push(
        findingsSection(
          'Break-glass and self-approved decisions',
          ofKind('approval.break_glass', 'approval.self_approved').filter((f) => f.lastSeen >= sinceMs),
          nowMs,
          'None in this period.',
        ),
      );
      sections.push(
        findingsSection(
          'Denied approvals',
          ofKind('near_miss.approval_denied').filter((f) => f.lastSeen >= sinceMs),
          nowMs,
          'No approval was denied.',
        ),
      );
      break;
    }
    case 'report_delivery_audit': {
      const attempts = recordsIn(
        ledger,
        ['delivery'],
        fromSeq,
        toSeq,
        (p) => p.purpose === 'report' && (p.event === 'attempt' || p.event === 'escalated' || p.event === 'refused'),
      );
      const accepted = attempts.payloads.filter((p) => p.outcome === 'accepted').length;
      sections.push({
        title: 'Report delivery attempts',
        summary: `${counted('report delivery attempts', attempts)} ${accepted} accepted by the server.`,
        items: attempts.items,
      });
      break;
    }
    case 'tenant_isolation_audit': {
      sections.push(
        recordsSection(
          'Isolation probes',
          'validator runs',
          recordsIn(ledger, ['validator_run', 'validator'], fromSeq, toSeq),
        ),
      );
      sections.push(
        recordsSection(
          'Configuration changes',
          'configuration changes',
          recordsIn(ledger, ['config_change', 'pack_activated'], fromSeq, toSeq),
        ),
      );
      break;
    }
    case 'connector_health': {
      sections.push(
        findingsSection(
          'Connector findings',
          ofKind('connector.delivery_failing', 'connector.credentials_expiring').filter((f) => isOpen(f, nowMs)),
          nowMs,
          'No connector is failing or about to lose its credentials.',
        ),
      );
      const attempts = recordsIn(
        ledger,
        ['delivery'],
        fromSeq,
        toSeq,
        (p) => p.event === 'attempt' || p.event === 'escalated',
      );
      sections.push({
        title: 'Deliveries per connector',
        summary: counted('delivery attempts', attempts),
        items: perConnector(attempts.payloads),
      });
      sections.push(recordsSection('Delivery attempts', 'delivery attempts', attempts));
      break;
    }
    case 'security_advisory_drill': {
      sections.push(
        recordsSection('Pack activations', 'pack activations', recordsIn(ledger, ['pack_activated'], fromSeq, toSeq)),
      );
      sections.push(
        recordsSection(
          'MCP tool definitions',
          'MCP tool definition records',
          recordsIn(ledger, ['mcp_tools'], fromSeq, toSeq),
        ),
      );
      sections.push(
        findingsSection(
          'Near misses',
          ofKind('near_miss.shadow', 'near_miss.approval_denied').filter((f) => f.lastSeen >= sinceMs),
          nowMs,
          'No near misses in this period.',
        ),
      );
      sections.push(
        findingsSection(
          'Packs in shadow mode',
          ofKind('config.pack_shadow', 'config.tenant_shadow').filter((f) => f.active),
          nowMs,
          'Every pack enforces.',
        ),
      );
      break;
    }
    case 'readiness_archive_closeout': {
      const cp = projection.facts.lastCheckpoint;
      sections.push({
        title: 'Ledger',
        summary: `${projection.cursor} records read; the last signed checkpoint covers ${cp ? cp.size : 0}.`,
        items: cp ? [{ text: `Checkpoint record #${cp.seq} (tree size ${cp.size})`, seqs: [cp.seq] }] : [],
      });
      sections.push(
        findingsSection(
          'Evidence findings',
          findings.filter((f) => f.kind.startsWith('evidence.') && (isOpen(f, nowMs) || f.lastSeen >= sinceMs)),
          nowMs,
          'No evidence gaps, unsigned tails, stale surfaces or unreadable records.',
        ),
      );
      break;
    }
  }

  const body: Omit<ReviewPacket, 'sha256'> = {
    kind,
    title: reviewSpecs[kind].title,
    tenant: input.tenant,
    generatedAt: iso(nowMs),
    period: {
      fromSeq,
      toSeq,
      from: last ? iso(last.at) : projection.facts.firstRecordMs === null ? null : iso(projection.facts.firstRecordMs),
      to: projection.facts.lastRecordMs === null ? null : iso(projection.facts.lastRecordMs),
    },
    sections,
  };
  return { ...body, sha256: packetDigest(body) };
}

export function packetDigest(body: Omit<ReviewPacket, 'sha256'>): string {
  return crypto.createHash('sha256').update(canonicalize(body)).digest('hex');
}
