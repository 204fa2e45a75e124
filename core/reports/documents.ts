import type { ConnectorView, DeliveryView, ReportDocument, ReportKind } from '../contract';
import type { DecisionFact, ReportFacts } from './facts';

/** What the operator report needs besides the ledger: live state of connectors, queue and outbox. */
export interface OperatorState {
  connectors: ConnectorView[];
  pendingApprovals: { id: string; createdAt: string; expiresAt: string; target: string; route: string }[];
  deliveries: DeliveryView[];
}

export interface DocumentInput {
  kind: ReportKind;
  tenant: string;
  generatedAt: Date;
  facts: ReportFacts;
  operator: OperatorState;
}

const TITLES: Record<ReportKind, string> = {
  security: 'Security report',
  compliance: 'Compliance evidence report',
  executive: 'Executive posture summary',
  operator: 'Operator report',
};

const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low'];
const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const short = (hash: string) => (hash.length > 16 ? `${hash.slice(0, 16)}…` : hash);
const pct = (part: number, whole: number) => (whole === 0 ? '—' : `${Math.round((part / whole) * 100)}%`);

/** The document and the set of cells that hold commands (redaction trims their arguments). */
export function buildDocument(input: DocumentInput): { document: ReportDocument; commandCells: Set<string> } {
  const { facts } = input;
  const commandCells = new Set(facts.decisions.filter((d) => d.actionType === 'execute_command').map((d) => d.target));
  const base = {
    kind: input.kind,
    title: TITLES[input.kind],
    tenant: input.tenant,
    generatedAt: input.generatedAt.toISOString(),
    period: { from: facts.from, to: facts.to },
    sources: [
      `${count(facts.recordsInPeriod, 'ledger record')} of tenant ${input.tenant} between ${facts.from} and ${facts.to} ` +
        `(ledger size ${facts.ledgerSize})`,
      'Findings are read from decision and finding records in the ledger directly (the AISPM engine is not part of this build).',
      ...(facts.pruned > 0
        ? [`${count(facts.pruned, 'record')} in the period were pruned by retention (hashes kept)`]
        : []),
    ],
    redactions: [],
  };
  const build = { security, compliance, executive, operator }[input.kind];
  return { document: { ...base, ...build(input) }, commandCells };
}

type Body = Pick<ReportDocument, 'summary' | 'figures' | 'sections'>;

function tally(decisions: DecisionFact[]) {
  const by = (kind: string) => decisions.filter((d) => d.decision === kind).length;
  return {
    total: decisions.length,
    deny: by('deny'),
    approval: by('require_approval'),
    warn: by('warn'),
    allow: by('allow'),
    shadowDenied: decisions.filter((d) => d.mode === 'shadow' && d.wouldBe === 'deny').length,
  };
}

function topRules(decisions: DecisionFact[], limit: number): string[][] {
  const rules = new Map<string, { n: number; severity: string; decision: string }>();
  for (const d of decisions) {
    if (!d.rule || d.decision === 'allow') continue;
    const entry = rules.get(d.rule) ?? { n: 0, severity: d.severity ?? '-', decision: d.decision };
    entry.n += 1;
    rules.set(d.rule, entry);
  }
  return [...rules.entries()]
    .sort(
      (a, b) =>
        SEVERITY_ORDER.indexOf(a[1].severity) - SEVERITY_ORDER.indexOf(b[1].severity) ||
        b[1].n - a[1].n ||
        a[0].localeCompare(b[0]),
    )
    .slice(0, limit)
    .map(([rule, e]) => [rule, e.severity, e.decision, String(e.n)]);
}

function security({ facts }: DocumentInput): Body {
  const t = tally(facts.decisions);
  const blocked = facts.decisions.filter((d) => d.decision === 'deny' || d.decision === 'require_approval');
  return {
    summary:
      `${count(t.total, 'agent action')} judged: ${t.deny} denied, ${t.approval} sent for approval, ${t.warn} allowed with a warning. ` +
      (t.shadowDenied > 0 ? `${count(t.shadowDenied, 'action')} would have been denied but ran in shadow mode. ` : '') +
      `${count(facts.findings.length, 'finding')} recorded.`,
    figures: [
      { label: 'Actions judged', value: String(t.total), tone: 'neutral' },
      { label: 'Denied', value: String(t.deny), tone: t.deny > 0 ? 'bad' : 'good' },
      { label: 'Sent for approval', value: String(t.approval), tone: t.approval > 0 ? 'warn' : 'neutral' },
      {
        label: 'Shadow-mode would-be denials',
        value: String(t.shadowDenied),
        tone: t.shadowDenied > 0 ? 'warn' : 'good',
      },
    ],
    sections: [
      {
        heading: 'Blocked and approval-gated actions',
        paragraphs: blocked.length === 0 ? ['No action was denied or sent for approval in this period.'] : [],
        table: {
          columns: ['Record', 'Time', 'Decision', 'Agent', 'On behalf of', 'Action', 'Target', 'Rule', 'Severity'],
          rows: blocked
            .slice(-200)
            .reverse()
            .map((d) => [
              `#${d.seq}`,
              d.time,
              d.decision,
              d.agent ?? '-',
              d.actor ?? '-',
              d.actionType,
              d.target,
              d.rule ?? '(default)',
              d.severity ?? '-',
            ]),
        },
      },
      {
        heading: 'Rules that fired most',
        paragraphs: [],
        table: { columns: ['Rule', 'Severity', 'Decision', 'Times'], rows: topRules(facts.decisions, 15) },
      },
      {
        heading: 'Findings',
        paragraphs: facts.findings.length === 0 ? ['No finding records in this period.'] : [],
        table: {
          columns: ['Record', 'Time', 'Severity', 'Kind', 'Summary'],
          rows: facts.findings.map((f) => [`#${f.seq}`, f.time, f.severity, f.kind, f.summary]),
        },
      },
    ],
  };
}

function compliance({ facts }: DocumentInput): Body {
  const approvals = (event: string) => facts.approvals.filter((a) => a.event === event).length;
  const cp = facts.latestCheckpoint;
  return {
    summary:
      `The ledger holds ${count(facts.ledgerSize, 'record')}; ${count(facts.recordsInPeriod, 'record')} fall in this period. ` +
      (cp
        ? `The latest signed checkpoint covers ${count(cp.size, 'record')} (root ${short(cp.root)}, key ${cp.keyId}, ${cp.time}); ` +
          `${count(facts.uncovered, 'record')} await the next checkpoint.`
        : 'No signed checkpoint exists yet: the ledger cannot be verified against a signature.') +
      ` Verify independently with: cavra evidence export, then cavra evidence verify <bundle> --trusted-key <key>.`,
    figures: [
      { label: 'Records in period', value: String(facts.recordsInPeriod), tone: 'neutral' },
      {
        label: 'Signed checkpoints in period',
        value: String(facts.checkpoints.length),
        tone: facts.checkpoints.length > 0 ? 'good' : 'warn',
      },
      { label: 'Approval decisions', value: String(approvals('approved') + approvals('denied')), tone: 'neutral' },
      { label: 'Capture gaps', value: String(facts.gaps.length), tone: facts.gaps.length > 0 ? 'bad' : 'good' },
    ],
    sections: [
      {
        heading: 'Evidence by record type',
        paragraphs: [],
        table: {
          columns: ['Record type', 'Records in period'],
          rows: Object.entries(facts.byType)
            .sort((a, b) => b[1] - a[1])
            .map(([type, n]) => [type, String(n)]),
        },
      },
      {
        heading: 'Signed checkpoints (references for auditors)',
        paragraphs: facts.checkpoints.length === 0 ? ['No checkpoint was signed in this period.'] : [],
        table: {
          columns: ['Record', 'Tree size', 'Root (base64)', 'Signed at', 'Key id'],
          rows: facts.checkpoints.map((c) => [`#${c.seq}`, String(c.size), c.root, c.time, c.keyId]),
        },
      },
      {
        heading: 'Approvals',
        paragraphs: [
          `${approvals('requested')} requested, ${approvals('approved')} approved, ${approvals('denied')} denied, ` +
            `${approvals('expired')} expired, ${approvals('cancelled')} cancelled.`,
        ],
        table: {
          columns: ['Record', 'Time', 'Request', 'Event', 'By', 'Route'],
          rows: facts.approvals
            .filter((a) => a.event !== 'requested')
            .map((a) => [`#${a.seq}`, a.time, a.requestId, a.event, a.by, a.route]),
        },
      },
      {
        heading: 'Configuration changes',
        paragraphs: facts.configChanges.length === 0 ? ['No configuration change in this period.'] : [],
        table: {
          columns: ['Record', 'Time', 'Change', 'By'],
          rows: facts.configChanges.map((c) => [`#${c.seq}`, c.time, c.change, c.by]),
        },
      },
      {
        heading: 'Capture gaps',
        paragraphs: facts.gaps.length === 0 ? ['No gap records: every adapter event in the period was captured.'] : [],
        table: {
          columns: ['Record', 'Time', 'Source', 'Reason'],
          rows: facts.gaps.map((g) => [`#${g.seq}`, g.time, g.source, g.reason]),
        },
      },
    ],
  };
}

function executive({ facts }: DocumentInput): Body {
  const t = tally(facts.decisions);
  const critical = facts.decisions.filter((d) => d.severity === 'critical' && d.decision !== 'allow').length;
  const attempts = facts.deliveries.filter((d) => d.event === 'attempt');
  const delivered = attempts.filter((d) => d.outcome === 'accepted').length;
  const risk = critical > 0 || facts.gaps.length > 0 ? 'elevated' : t.deny + t.approval > 0 ? 'managed' : 'low';
  return {
    summary:
      `Posture this period: ${risk}. CAVRA judged ${count(t.total, 'AI agent action')}; it stopped ${t.deny} and held ` +
      `${t.approval} for a human decision${critical > 0 ? `, ${count(critical, 'of them', 'of them')} critical` : ''}. ` +
      `${facts.gaps.length === 0 ? 'Evidence capture was complete' : `${count(facts.gaps.length, 'capture gap')} need attention`}; ` +
      `${facts.latestCheckpoint ? `the ledger is signed up to record ${facts.latestCheckpoint.size}` : 'no signed checkpoint exists yet'}.`,
    figures: [
      { label: 'Agent actions judged', value: String(t.total), tone: 'neutral' },
      { label: 'Stopped (denied)', value: String(t.deny), tone: t.deny > 0 ? 'warn' : 'good' },
      { label: 'Held for approval', value: String(t.approval), tone: 'neutral' },
      { label: 'Critical-rule hits', value: String(critical), tone: critical > 0 ? 'bad' : 'good' },
      {
        label: 'Delivery success',
        value: pct(delivered, attempts.length),
        tone: delivered === attempts.length ? 'good' : 'warn',
      },
      { label: 'Evidence gaps', value: String(facts.gaps.length), tone: facts.gaps.length > 0 ? 'bad' : 'good' },
    ],
    sections: [
      {
        heading: 'Top risks by rule',
        paragraphs: t.deny + t.approval === 0 ? ['No rule stopped or held an action in this period.'] : [],
        table: { columns: ['Rule', 'Severity', 'Decision', 'Times'], rows: topRules(facts.decisions, 5) },
      },
    ],
  };
}

function operator({ operator: state }: DocumentInput): Body {
  const failing = state.connectors.filter((c) => c.health.lastOutcome && c.health.lastOutcome !== 'accepted');
  const stuck = state.deliveries.filter((d) => d.state === 'failed' || d.state === 'refused');
  return {
    summary:
      `${count(state.connectors.length, 'connector')} configured, ${failing.length} failing on their last attempt; ` +
      `${count(state.pendingApprovals.length, 'approval request')} waiting; ${count(stuck.length, 'delivery', 'deliveries')} failed or refused ` +
      `among the ${state.deliveries.length} most recent.`,
    figures: [
      { label: 'Connectors', value: String(state.connectors.length), tone: 'neutral' },
      { label: 'Failing connectors', value: String(failing.length), tone: failing.length > 0 ? 'bad' : 'good' },
      {
        label: 'Approvals waiting',
        value: String(state.pendingApprovals.length),
        tone: state.pendingApprovals.length > 0 ? 'warn' : 'good',
      },
      { label: 'Failed deliveries', value: String(stuck.length), tone: stuck.length > 0 ? 'bad' : 'good' },
    ],
    sections: [
      {
        heading: 'Connector health',
        paragraphs: state.connectors.length === 0 ? ['No connector is configured.'] : [],
        table: {
          columns: ['Connector', 'Kind', 'Enabled', 'Secrets set', 'Last attempt', 'Last outcome', 'Failures (7 days)'],
          rows: state.connectors.map((c) => [
            c.id,
            c.kind,
            c.enabled ? 'yes' : 'no',
            c.secrets.length === 0 ? 'n/a' : c.secrets.map((s) => `${s.slot}: ${s.set ? 'set' : 'not set'}`).join(', '),
            c.health.lastAttemptAt ?? '-',
            c.health.lastOutcome ?? '-',
            String(c.health.recentFailures),
          ]),
        },
      },
      {
        heading: 'Approvals backlog',
        paragraphs: state.pendingApprovals.length === 0 ? ['The approval queue is empty.'] : [],
        table: {
          columns: ['Request', 'Opened', 'Expires', 'Route', 'Target'],
          rows: state.pendingApprovals.map((a) => [a.id, a.createdAt, a.expiresAt, a.route, a.target]),
        },
      },
      {
        heading: 'Delivery audit',
        paragraphs: [],
        table: {
          columns: ['Delivery', 'Created', 'Purpose', 'Connector', 'State', 'Attempts', 'Last response'],
          rows: state.deliveries.map((d) => [
            d.id,
            d.createdAt,
            d.purpose,
            d.connectorId,
            d.state,
            `${d.attempts}/${d.maxAttempts}`,
            `${d.lastCode ?? ''} ${d.lastText ?? ''}`.trim() || '-',
          ]),
        },
      },
    ],
  };
}
