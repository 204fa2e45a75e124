import type { Ledger } from '../evidence';

/** One judged action, as a report needs it. */
export interface DecisionFact {
  seq: number;
  time: string;
  decision: string;
  wouldBe: string;
  mode: string;
  actionType: string;
  target: string;
  rule: string | null;
  severity: string | null;
  reason: string | null;
  agent: string | null;
  actor: string | null;
  repository: string | null;
}

export interface ApprovalFact {
  seq: number;
  time: string;
  requestId: string;
  event: string;
  by: string;
  route: string;
  target: string;
}

export interface FindingFact {
  seq: number;
  time: string;
  kind: string;
  severity: string;
  summary: string;
}

export interface DeliveryFact {
  seq: number;
  time: string;
  event: string;
  outcome: string | null;
  purpose: string;
  connector: string;
  code: string | null;
  text: string;
}

export interface CheckpointFact {
  seq: number;
  size: number;
  root: string;
  time: string;
  keyId: string;
}

/** What a report period holds, read once from the ledger (the records are the only source). */
export interface ReportFacts {
  from: string;
  to: string;
  ledgerSize: number;
  recordsInPeriod: number;
  byType: Record<string, number>;
  decisions: DecisionFact[];
  approvals: ApprovalFact[];
  findings: FindingFact[];
  deliveries: DeliveryFact[];
  checkpoints: CheckpointFact[];
  configChanges: { seq: number; time: string; change: string; by: string }[];
  gaps: { seq: number; time: string; source: string; reason: string }[];
  latestCheckpoint: { size: number; root: string; time: string; keyId: string } | null;
  uncovered: number;
  pruned: number;
}

type Json = Record<string, unknown>;
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** Reads every record in [from, to] once and sorts what each report needs out of it. */
export function gatherFacts(ledger: Ledger, from: Date, to: Date): ReportFacts {
  const status = ledger.status();
  const facts: ReportFacts = {
    from: from.toISOString(),
    to: to.toISOString(),
    ledgerSize: status.size,
    recordsInPeriod: 0,
    byType: {},
    decisions: [],
    approvals: [],
    findings: [],
    deliveries: [],
    checkpoints: [],
    configChanges: [],
    gaps: [],
    latestCheckpoint: status.lastCheckpoint
      ? {
          size: status.lastCheckpoint.size,
          root: status.lastCheckpoint.root,
          time: status.lastCheckpoint.time,
          keyId: status.lastCheckpoint.keyId,
        }
      : null,
    uncovered: status.uncovered,
    pruned: 0,
  };
  const range = ledger.seqRangeForTimes(from.getTime(), to.getTime());
  if (!range) return facts;
  for (const record of ledger.records(range.first, range.last + 1)) {
    const { seq, time, type } = record.header;
    facts.recordsInPeriod += 1;
    facts.byType[type] = (facts.byType[type] ?? 0) + 1;
    if (record.payload === null) {
      facts.pruned += 1;
      continue;
    }
    const p = JSON.parse(record.payload) as Json;
    switch (type) {
      case 'decision': {
        const d = (p.decision ?? {}) as Json;
        const rules = Array.isArray(d.rules) ? (d.rules as Json[]) : [];
        const winner = str((d.explanation as Json | undefined)?.winner);
        const rule =
          rules.find((r) => `${String(r.pack_id)}/${String(r.rule_id)}` === winner || r.rule_id === winner) ?? rules[0];
        facts.decisions.push({
          seq,
          time,
          decision: str(d.decision) ?? 'unknown',
          wouldBe: str(d.would_be) ?? str(d.decision) ?? 'unknown',
          mode: str(d.mode) ?? 'enforce',
          actionType: str(d.action_type) ?? 'unknown',
          target: str(d.target) ?? '',
          rule: winner ?? (rule ? str(rule.rule_id) : null),
          severity: rule ? str(rule.severity) : null,
          reason: rule ? str(rule.reason) : str((d.explanation as Json | undefined)?.summary),
          agent: str((p.agent as Json | undefined)?.id),
          actor: str(p.actor),
          repository: str(p.repository),
        });
        break;
      }
      case 'approval':
        facts.approvals.push({
          seq,
          time,
          requestId: str(p.request_id) ?? '',
          event: str(p.event) ?? '',
          by: str(p.by) ?? '',
          route: str(p.route) ?? '',
          target: str(p.target) ?? '',
        });
        break;
      case 'finding':
        facts.findings.push({
          seq,
          time,
          kind: str(p.kind) ?? '',
          severity: str(p.severity) ?? 'low',
          summary: str(p.summary) ?? '',
        });
        break;
      case 'delivery':
        facts.deliveries.push({
          seq,
          time,
          event: str(p.event) ?? '',
          outcome: str(p.outcome),
          purpose: str(p.purpose) ?? '',
          connector: str(p.connector) ?? '',
          code: str(p.code),
          text: str(p.text) ?? '',
        });
        break;
      case 'checkpoint':
        facts.checkpoints.push({
          seq,
          size: Number(p.size),
          root: str(p.root) ?? '',
          time: str(p.time) ?? time,
          keyId: str(p.key_id) ?? '',
        });
        break;
      case 'config_change':
        facts.configChanges.push({ seq, time, change: str(p.change) ?? '', by: str(p.by) ?? '' });
        break;
      case 'gap':
        facts.gaps.push({ seq, time, source: str(p.source) ?? '', reason: str(p.reason) ?? '' });
        break;
      default:
        break;
    }
  }
  return facts;
}
