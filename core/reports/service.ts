import crypto from 'node:crypto';
import { ContractError } from '../contract';
import type { DeliveryView, ReportDocument, ReportKind, ReportScheduleView, ReportSettings } from '../contract';
import type { ApprovalDesk } from '../approvals';
import type { ConnectorService } from '../connectors';
import { canonicalize, recordThenApply } from '../evidence';
import type { DeliveryPayload, Ledger } from '../evidence';
import type { EscalationRoute, MessageAttachment, Outbox, OutboundMessage } from '../outbox';
import { buildDocument } from './documents';
import type { OperatorState } from './documents';
import { gatherFacts } from './facts';
import { renderPdf } from './pdf';
import { classifyRecipients } from './recipients';
import { redactDocument } from './redaction';
import { renderCsv, renderHtml, renderText } from './render';
import type { ReportRepository, StoredSchedule } from './settings';

export interface ReportServiceOptions {
  repository: ReportRepository;
  ledger: (tenant: string) => Ledger;
  outbox: Outbox;
  connectors: ConnectorService;
  approvals: ApprovalDesk;
  record: (tenant: string, payload: DeliveryPayload) => Promise<number>;
  now?: () => Date;
}

export interface RenderedReport {
  document: ReportDocument;
  html: string;
  text: string;
  csv: string;
  json: string;
  pdf: Buffer | null;
}

const DAY = 86_400_000;
/** How long a delivery to an external recipient may wait for its approval. */
const EXTERNAL_APPROVAL_MS = 24 * 60 * 60 * 1000;

/**
 * Reports (SPEC §8): drawn from the ledger, redacted by the tenant's policy before any
 * rendering, delivered by e-mail through the durable outbox — one delivery per recipient,
 * so each recipient's acceptance by the server is recorded on its own. Recipients outside
 * the allowed domains wait for an approval that someone other than the sender gives.
 */
export class ReportService {
  private readonly now: () => Date;

  constructor(private readonly options: ReportServiceOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async render(tenant: string, kind: ReportKind, from?: string, to?: string): Promise<RenderedReport> {
    const end = to ? new Date(to) : this.now();
    const start = from ? new Date(from) : new Date(end.getTime() - 7 * DAY);
    if (start.getTime() > end.getTime()) throw new ContractError('invalid_input', 'from: must not be after to', 'from');
    const settings = await this.options.repository.settings(tenant);
    const facts = gatherFacts(this.options.ledger(tenant), start, end);
    const operator =
      kind === 'operator' ? await this.operatorState(tenant) : { connectors: [], pendingApprovals: [], deliveries: [] };
    const built = buildDocument({ kind, tenant, generatedAt: this.now(), facts, operator });
    const document = redactDocument(built.document, settings.redaction, built.commandCells);
    return {
      document,
      html: renderHtml(document),
      text: renderText(document),
      csv: renderCsv(document),
      json: `${JSON.stringify(document, null, 2)}\n`,
      pdf: kind === 'executive' ? await renderPdf(document) : null,
    };
  }

  async deliver(
    tenant: string,
    request: { kind: ReportKind; recipients: string[]; from?: string; to?: string },
    by: string,
    idempotencyPrefix = `report:${crypto.randomUUID()}`,
  ): Promise<DeliveryView[]> {
    const settings = await this.options.repository.settings(tenant);
    const connector = await this.reportConnector(tenant, settings);
    const report = await this.render(tenant, request.kind, request.from, request.to);
    const { internal, external } = classifyRecipients(request.recipients, settings.allowedDomains);
    const digest = crypto.createHash('sha256').update(report.json).digest('hex');
    const attachments: MessageAttachment[] = [
      ...(report.pdf
        ? [
            {
              filename: `cavra-${request.kind}-report.pdf`,
              contentType: 'application/pdf',
              contentBase64: report.pdf.toString('base64'),
            },
          ]
        : []),
      {
        filename: `cavra-${request.kind}-report.json`,
        contentType: 'application/json',
        contentBase64: Buffer.from(report.json).toString('base64'),
      },
      {
        filename: `cavra-${request.kind}-report.csv`,
        contentType: 'text/csv',
        contentBase64: Buffer.from(report.csv).toString('base64'),
      },
    ];
    const subject = `${report.document.title} — ${tenant} — ${report.document.period.to.slice(0, 10)}`;
    const views: DeliveryView[] = [];
    for (const recipient of [...internal, ...external]) {
      const approvalId = external.includes(recipient)
        ? await this.requestApproval(tenant, request.kind, recipient, digest, report.document, by)
        : undefined;
      const message: OutboundMessage = {
        subject,
        text: report.text,
        html: report.html,
        to: [recipient],
        attachments,
        event: { type: 'cavra.report', severity: 'info', data: { kind: request.kind, sha256: digest } },
      };
      const delivery = await this.options.outbox.queue(tenant, {
        idempotencyKey: `${idempotencyPrefix}:${recipient}`,
        connector,
        purpose: 'report',
        message,
        subject,
        recipients: [recipient],
        createdBy: by,
        ...(approvalId ? { approvalId } : {}),
      });
      await this.options.record(tenant, {
        delivery_id: delivery.id,
        event: 'queued',
        connector: connector.id,
        connector_kind: connector.kind,
        purpose: 'report',
        idempotency_key: delivery.idempotencyKey,
        recipients: [recipient],
        text: `${request.kind} report sha256 ${digest.slice(0, 16)} queued by ${by}${approvalId ? `, awaiting approval ${approvalId} (external recipient)` : ''}`,
      });
      views.push(await this.options.outbox.view(tenant, delivery));
    }
    return views;
  }

  settings(tenant: string): Promise<ReportSettings> {
    return this.options.repository.settings(tenant);
  }

  async setSettings(tenant: string, settings: ReportSettings, by: string): Promise<ReportSettings> {
    for (const [field, id] of [
      ['reportConnector', settings.reportConnector],
      ['escalation.connector', settings.escalation?.connector ?? null],
    ] as const) {
      if (id === null) continue;
      const connector = await this.options.connectors.get(tenant, id).catch(() => null);
      if (!connector) throw new ContractError('invalid_input', `${field}: connector "${id}" does not exist`, field);
      if (field === 'reportConnector' && connector.kind !== 'smtp') {
        throw new ContractError('invalid_input', `${field}: reports are e-mailed; choose an smtp connector`, field);
      }
      if (
        field === 'escalation.connector' &&
        connector.kind === 'smtp' &&
        (settings.escalation?.to.length ?? 0) === 0
      ) {
        throw new ContractError(
          'invalid_input',
          'escalation.to: an e-mail escalation needs at least one address',
          'escalation.to',
        );
      }
    }
    const before = await this.options.repository.settings(tenant);
    await this.change(tenant, { change: 'reports.settings', by, before, after: settings }, () =>
      this.options.repository.saveSettings(tenant, settings),
    );
    return settings;
  }

  /** Record, then apply (HOUSE rule 14): the `config_change` record commits before `apply` runs. */
  private async change<T>(
    tenant: string,
    payload: { change: string; by: string } & Record<string, unknown>,
    apply: () => Promise<T>,
  ): Promise<T> {
    return recordThenApply(this.options.ledger(tenant), { type: 'config_change', payload }, () => apply());
  }

  async escalationRoute(tenant: string): Promise<EscalationRoute | null> {
    const settings = await this.options.repository.settings(tenant);
    return settings.escalation ? { connectorId: settings.escalation.connector, to: settings.escalation.to } : null;
  }

  async schedules(tenant: string): Promise<ReportScheduleView[]> {
    return (await this.options.repository.schedules(tenant)).map(scheduleView);
  }

  async addSchedule(
    tenant: string,
    input: { kind: ReportKind; cadence: 'daily' | 'weekly'; recipients: string[]; firstRunAt?: string },
    by: string,
  ): Promise<ReportScheduleView> {
    await this.reportConnector(tenant, await this.options.repository.settings(tenant));
    const nextRunAt = input.firstRunAt ? Date.parse(input.firstRunAt) : this.now().getTime() + cadenceMs(input.cadence);
    const schedule = await this.change(
      tenant,
      { change: 'reports.schedule.add', by, kind: input.kind, cadence: input.cadence, recipients: input.recipients },
      () =>
        this.options.repository.addSchedule(
          tenant,
          { kind: input.kind, cadence: input.cadence, recipients: input.recipients, nextRunAt, createdBy: by },
          this.now().getTime(),
        ),
    );
    return scheduleView(schedule);
  }

  async removeSchedule(tenant: string, id: string, by: string): Promise<boolean> {
    return this.change(tenant, { change: 'reports.schedule.remove', by, schedule: id }, () =>
      this.options.repository.removeSchedule(tenant, id),
    );
  }

  /**
   * The outbox worker's producer: a due schedule queues its deliveries, keyed by the run's
   * time so that a crash between queueing and advancing never queues a run twice.
   */
  async runDueSchedules(tenant: string): Promise<void> {
    const now = this.now().getTime();
    for (const schedule of await this.options.repository.schedules(tenant)) {
      if (schedule.nextRunAt > now) continue;
      const period = {
        from: new Date(schedule.nextRunAt - cadenceMs(schedule.cadence)).toISOString(),
        to: new Date(schedule.nextRunAt).toISOString(),
      };
      await this.deliver(
        tenant,
        { kind: schedule.kind, recipients: schedule.recipients, ...period },
        schedule.createdBy,
        `schedule:${schedule.id}:${schedule.nextRunAt}`,
      );
      let next = schedule.nextRunAt + cadenceMs(schedule.cadence);
      while (next <= now) next += cadenceMs(schedule.cadence);
      await this.options.repository.advanceSchedule(tenant, schedule.id, now, schedule.nextRunAt, next);
    }
  }

  private async reportConnector(tenant: string, settings: ReportSettings) {
    if (!settings.reportConnector) {
      throw new ContractError(
        'invalid_input',
        'reportConnector: no SMTP connector is chosen for reports; set one in the report settings',
        'reportConnector',
      );
    }
    const connector = await this.options.connectors.get(tenant, settings.reportConnector).catch(() => null);
    if (!connector || connector.kind !== 'smtp') {
      throw new ContractError(
        'invalid_input',
        `reportConnector: "${settings.reportConnector}" is not an smtp connector`,
        'reportConnector',
      );
    }
    return connector;
  }

  private async requestApproval(
    tenant: string,
    kind: ReportKind,
    recipient: string,
    digest: string,
    document: ReportDocument,
    by: string,
  ): Promise<string> {
    const subject = {
      type: 'report_delivery' as const,
      tenant,
      report: kind,
      recipient,
      report_sha256: digest,
      period: document.period,
    };
    const actionSha256 = crypto.createHash('sha256').update(canonicalize(subject)).digest('hex');
    const request = await this.options.approvals.open({
      binding: { tenant, actionSha256, packId: null, packVersion: null },
      route: 'reports/external-recipient',
      ruleId: null,
      reason: `Send the ${kind} report of tenant ${tenant} to ${recipient}, outside the allowed domains`,
      requireReason: false,
      requester: by,
      agent: null,
      adapter: 'reports',
      correlationId: `rpt_${crypto.randomUUID()}`,
      decisionId: `rpt_${digest.slice(0, 32)}`,
      actionType: 'report_delivery',
      target: recipient,
      action: subject,
      expiresInMs: EXTERNAL_APPROVAL_MS,
    });
    return request.id;
  }

  private async operatorState(tenant: string): Promise<OperatorState> {
    const [connectors, deliveries] = await Promise.all([
      this.options.connectors.list(tenant),
      this.options.outbox.list(tenant, { limit: 50 }),
    ]);
    await this.options.approvals.expireDue(tenant);
    const pendingApprovals = (await this.options.approvals.list(tenant, { states: ['pending'], limit: 200 })).map(
      (r) => ({ id: r.id, createdAt: r.createdAt, expiresAt: r.expiresAt, target: r.target, route: r.route }),
    );
    return { connectors, pendingApprovals, deliveries };
  }
}

function cadenceMs(cadence: 'daily' | 'weekly'): number {
  return cadence === 'daily' ? DAY : 7 * DAY;
}

function scheduleView(schedule: StoredSchedule): ReportScheduleView {
  return {
    id: schedule.id,
    kind: schedule.kind,
    cadence: schedule.cadence,
    recipients: schedule.recipients,
    nextRunAt: new Date(schedule.nextRunAt).toISOString(),
    lastRunAt: schedule.lastRunAt === null ? null : new Date(schedule.lastRunAt).toISOString(),
    createdBy: schedule.createdBy,
  };
}
