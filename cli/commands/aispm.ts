import { parseArgs } from 'node:util';
import { controlSurfaceLabels, findingCategorySchema, findingStatusSchema, severitySchema } from '../../core/contract';
import type { FindingView, Ingestion } from '../../core/contract';
import type { Command } from '../io';
import { UsageError, jsonText } from '../io';
import { withTenant } from '../session';

const common = { tenant: { type: 'string' }, json: { type: 'boolean' } } as const;

const stateWords = {
  enforced: 'enforced',
  approval_gated: 'approval-gated',
  shadow: 'shadow',
  not_observed: 'not observed',
} as const;

function lagLine(lag: Ingestion): string {
  const caughtUp = lag.behindRecords === 0;
  return `Ingestion: ${lag.cursor} of ${lag.ledgerSize} ledger records read${caughtUp ? ' (caught up)' : `, ${lag.behindRecords} behind (${lag.behindSeconds} s)`}${lag.unreadable > 0 ? `; ${lag.unreadable} unreadable` : ''}`;
}

/** A comma-separated option, each value checked against its schema, naming the option on error. */
function listOption<T>(value: string | undefined, option: string, parse: (text: string) => T | null): T[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((part) => {
    const parsed = parse(part.trim());
    if (parsed === null) throw new UsageError(`${option}: "${part.trim()}" is not one of the accepted values`);
    return parsed;
  });
}

const fromSchema =
  <T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } }) =>
  (text: string): T | null => {
    const parsed = schema.safeParse(text);
    return parsed.success ? parsed.data : null;
  };

export const aispmStatus: Command = {
  name: 'aispm status',
  summary: 'Posture score, risk level, coverage by surface and what lowers the score (reads the ledger first)',
  usage: 'cavra aispm status [--tenant T] [--json]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: common, strict: true });
    return withTenant(io, values.tenant, async (client, tenant) => {
      const posture = await client.call('aispm.status', {}, { tenant });
      if (values.json) {
        io.stdout(jsonText(posture));
        return 0;
      }
      const lines = [
        `${tenant}: posture ${posture.score} of 100, ${posture.riskLevel} risk`,
        ...posture.riskReasons.map((reason) => `  ${reason}`),
        '',
        `Coverage ${posture.coverage.points} of ${posture.coverage.max}:`,
        ...posture.coverage.surfaces.map(
          (s) =>
            `  ${controlSurfaceLabels[s.surface].padEnd(17)} ${stateWords[s.state].padEnd(15)} ${String(s.points).padStart(5)} / ${s.max}${s.stale ? '  (stale: no fresh evidence)' : ''}`,
        ),
        '',
        `Risk ${posture.risk.points} of ${posture.risk.max} (open findings: ${posture.openFindings.critical} critical, ${posture.openFindings.high} high, ${posture.openFindings.medium} medium, ${posture.openFindings.low} low):`,
        ...posture.risk.findings
          .slice(0, 10)
          .map((f) => `  −${f.deduction.toFixed(2).padStart(6)}  [${f.severity}] ${f.title}  (${f.id})`),
        ...(posture.risk.findings.length > 10 ? [`  … ${posture.risk.findings.length - 10} more`] : []),
        '',
        lagLine(posture.ingestion),
      ];
      io.stdout(`${lines.join('\n')}\n`);
      return 0;
    });
  },
};

function findingLine(finding: FindingView): string {
  const status = finding.riskAcceptanceExpired ? 'open (risk acceptance expired)' : finding.status.replace('_', ' ');
  return [
    `${finding.id}  [${finding.severity}] ${finding.title}`,
    `  ${finding.kind} · ${status} · owner ${finding.owner ?? '(none)'} · ${finding.occurrences} occurrence${finding.occurrences === 1 ? '' : 's'}, ${finding.evidenceCount} record${finding.evidenceCount === 1 ? '' : 's'} · last ${finding.lastSeen}`,
  ].join('\n');
}

export const aispmFindings: Command = {
  name: 'aispm findings',
  summary: 'Findings, worst first (open and acknowledged unless --status says otherwise)',
  usage:
    'cavra aispm findings [--tenant T] [--status open,acknowledged,resolved,accepted_risk] [--severity critical,high,medium,low] [--category activity,near_miss,configuration,evidence,review] [--owner ID] [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        ...common,
        status: { type: 'string' },
        severity: { type: 'string' },
        category: { type: 'string' },
        owner: { type: 'string' },
      },
      strict: true,
    });
    const statuses = listOption(values.status, '--status', fromSchema(findingStatusSchema)) ?? [
      'open' as const,
      'acknowledged' as const,
      'accepted_risk' as const,
    ];
    const severities = listOption(values.severity, '--severity', fromSchema(severitySchema));
    const categories = listOption(values.category, '--category', fromSchema(findingCategorySchema));
    return withTenant(io, values.tenant, async (client, tenant) => {
      const result = await client.call(
        'aispm.findings.list',
        {
          statuses,
          ...(severities ? { severities } : {}),
          ...(categories ? { categories } : {}),
          ...(values.owner !== undefined ? { owner: values.owner } : {}),
          limit: 1000,
        },
        { tenant },
      );
      if (values.json) {
        io.stdout(jsonText(result));
        return 0;
      }
      if (result.findings.length === 0) io.stdout(`No ${statuses.join('/')} findings in ${tenant}.\n`);
      else io.stdout(`${result.findings.map(findingLine).join('\n\n')}\n`);
      io.stdout(`\n${result.total} finding${result.total === 1 ? '' : 's'}. ${lagLine(result.ingestion)}\n`);
      return 0;
    });
  },
};

export const aispmCoverage: Command = {
  name: 'aispm coverage',
  summary: 'Coverage by control surface for each repository and agent: enforced, approval-gated, shadow, not observed',
  usage: 'cavra aispm coverage [--tenant T] [--json]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: common, strict: true });
    return withTenant(io, values.tenant, async (client, tenant) => {
      const coverage = await client.call('aispm.coverage', {}, { tenant });
      if (values.json) {
        io.stdout(jsonText(coverage));
        return 0;
      }
      if (coverage.rows.length === 0) {
        io.stdout(
          `No decisions recorded in ${tenant} yet: every surface is not observed.\n${lagLine(coverage.ingestion)}\n`,
        );
        return 0;
      }
      const lines = coverage.rows.flatMap((row) => [
        `${row.repository} · ${row.agent}`,
        ...coverage.surfaces.map((surface) => {
          const cell = row.cells[surface];
          const counts =
            cell.decisions === 0
              ? ''
              : ` (${cell.decisions} decisions: ${cell.denied} denied, ${cell.approvalGated} approval-gated, ${cell.shadow} shadow, ${cell.allowed} allowed)`;
          return `  ${controlSurfaceLabels[surface].padEnd(17)} ${stateWords[cell.state]}${counts}`;
        }),
      ]);
      io.stdout(`${lines.join('\n')}\n\n${lagLine(coverage.ingestion)}\n`);
      return 0;
    });
  },
};
