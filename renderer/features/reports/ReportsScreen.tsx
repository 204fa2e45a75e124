import { useState } from 'react';
import type { FormEvent } from 'react';
import { reportKinds } from '../../../core/contract';
import type { ReportKind, ReportSettings } from '../../../core/contract';
import { useConnectors } from '../../api/connectors';
import {
  useDeliverReport,
  useRemoveSchedule,
  useRenderReport,
  useReportSettings,
  useSaveReportSettings,
  useSaveSchedule,
  useSchedules,
} from '../../api/reports';
import { useUi } from '../../state/ui';
import { DeliveryAudit } from './DeliveryAudit';
import { ReportPreview } from './ReportPreview';

const KIND_LABEL: Record<ReportKind, string> = {
  security: 'Security (findings, blocked actions)',
  compliance: 'Compliance evidence (checkpoints, approvals)',
  executive: 'Executive summary (one-page PDF)',
  operator: 'Operator (connector health, backlog, deliveries)',
};

const splitList = (text: string) =>
  text
    .split(/[\s,;]+/)
    .map((item) => item.trim())
    .filter(Boolean);

export function ReportsScreen() {
  const tenant = useUi((state) => state.tenant);
  if (!tenant) return <p className="muted">Select a tenant first.</p>;
  return <Reports tenant={tenant} />;
}

function Reports({ tenant }: { tenant: string }) {
  const announce = useUi((state) => state.announce);
  const settings = useReportSettings(tenant);
  const render = useRenderReport(tenant);
  const deliver = useDeliverReport(tenant);
  const schedule = useSaveSchedule(tenant);
  const [kind, setKind] = useState<ReportKind>('executive');
  const [days, setDays] = useState('7');
  // Untouched (null), the field shows the tenant's report recipients; then it is the operator's own.
  const [typed, setRecipients] = useState<string | null>(null);
  const recipients = typed ?? settings.data?.recipients.join(', ') ?? '';
  const [cadence, setCadence] = useState<'daily' | 'weekly'>('weekly');
  const allowed = settings.data?.allowedDomains ?? [];

  const period = () => {
    const n = Number(days);
    const to = new Date();
    return Number.isFinite(n) && n > 0
      ? { from: new Date(to.getTime() - n * 86_400_000).toISOString(), to: to.toISOString() }
      : {};
  };
  const list = splitList(recipients);
  const external = list.filter((r) => {
    const domain = r.slice(r.lastIndexOf('@') + 1).toLowerCase();
    return !allowed.some((a) => domain === a || domain.endsWith(`.${a}`));
  });

  function submitRender(event: FormEvent) {
    event.preventDefault();
    render.mutate({ kind, ...period() });
  }

  return (
    <div className="stack wide">
      <section className="card" aria-labelledby="render-heading">
        <h2 id="render-heading">Render and preview</h2>
        <form className="toolbar" onSubmit={submitRender} aria-label="Render a report">
          <label className="inline-field">
            <span>Report</span>
            <select value={kind} onChange={(e) => setKind(e.target.value as ReportKind)}>
              {reportKinds.map((k) => (
                <option key={k} value={k}>
                  {KIND_LABEL[k]}
                </option>
              ))}
            </select>
          </label>
          <label className="inline-field">
            <span>Period (days)</span>
            <input inputMode="numeric" value={days} onChange={(e) => setDays(e.target.value)} />
          </label>
          <button type="submit" className="primary" disabled={render.isPending}>
            {render.isPending ? 'Rendering…' : 'Render preview'}
          </button>
          {render.error && (
            <span className="field-error" role="alert">
              {render.error.message}
            </span>
          )}
        </form>
        {render.data && <ReportPreview rendered={render.data} />}
      </section>

      <section className="card" aria-labelledby="deliver-heading">
        <h2 id="deliver-heading">Deliver</h2>
        <div className="field">
          <label htmlFor="report-recipients">Recipients</label>
          <input
            id="report-recipients"
            value={recipients}
            spellCheck={false}
            autoComplete="off"
            onChange={(e) => setRecipients(e.target.value)}
            aria-describedby="report-recipients-hint"
          />
          <p className="hint" id="report-recipients-hint">
            {allowed.length === 0
              ? 'No allowed domains are set: every recipient needs an approval first.'
              : `Allowed domains: ${allowed.join(', ')}.`}{' '}
            {external.length > 0 && (
              <strong className="text-warn" data-testid="external-recipients">
                Needs approval in the approval queue (someone other than you): {external.join(', ')}
              </strong>
            )}
          </p>
        </div>
        <div className="toolbar">
          <button
            type="button"
            className="primary"
            disabled={deliver.isPending || list.length === 0}
            onClick={() =>
              deliver.mutate(
                { kind, recipients: list, ...period() },
                { onSuccess: (r) => announce(`${r.deliveries.length} deliveries queued`) },
              )
            }
          >
            {deliver.isPending ? 'Queueing…' : `Deliver ${kind} report now`}
          </button>
          <label className="inline-field">
            <span>Or on a schedule</span>
            <select value={cadence} onChange={(e) => setCadence(e.target.value as 'daily' | 'weekly')}>
              <option value="daily">daily</option>
              <option value="weekly">weekly</option>
            </select>
          </label>
          <button
            type="button"
            className="secondary"
            disabled={schedule.isPending || list.length === 0}
            onClick={() =>
              schedule.mutate({ kind, cadence, recipients: list }, { onSuccess: () => announce('Schedule saved') })
            }
          >
            Schedule delivery
          </button>
        </div>
        {(deliver.error ?? schedule.error) && (
          <p className="field-error" role="alert">
            {(deliver.error ?? schedule.error)?.message}
          </p>
        )}
        {deliver.data && (
          <p role="status" className="muted">
            Queued:{' '}
            {deliver.data.deliveries.map((d) => `${d.recipients.join(', ')} (${d.state.replace('_', ' ')})`).join('; ')}
            . The audit below shows each server response.
          </p>
        )}
        <Schedules tenant={tenant} />
      </section>

      <section className="card" aria-labelledby="audit-heading">
        <h2 id="audit-heading">Delivery audit</h2>
        <DeliveryAudit tenant={tenant} />
      </section>

      {settings.data && <SettingsForm tenant={tenant} settings={settings.data} />}
    </div>
  );
}

function Schedules({ tenant }: { tenant: string }) {
  const schedules = useSchedules(tenant);
  const remove = useRemoveSchedule(tenant);
  const rows = schedules.data?.schedules ?? [];
  if (rows.length === 0) return null;
  return (
    <table className="table" data-testid="schedules">
      <caption className="small muted">Scheduled deliveries (the recipient policy applies at each run)</caption>
      <thead>
        <tr>
          <th scope="col">Report</th>
          <th scope="col">Cadence</th>
          <th scope="col">Recipients</th>
          <th scope="col">Next run</th>
          <th scope="col">
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((s) => (
          <tr key={s.id}>
            <td>{s.kind}</td>
            <td>{s.cadence}</td>
            <td className="small">{s.recipients.join(', ')}</td>
            <td className="small">
              <time dateTime={s.nextRunAt}>{new Date(s.nextRunAt).toLocaleString()}</time>
            </td>
            <td>
              <button type="button" className="secondary" onClick={() => remove.mutate(s.id)}>
                Stop
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SettingsForm({ tenant, settings }: { tenant: string; settings: ReportSettings }) {
  const save = useSaveReportSettings(tenant);
  const connectors = useConnectors(tenant);
  const announce = useUi((state) => state.announce);
  const [connector, setConnector] = useState(settings.reportConnector ?? '');
  const [domains, setDomains] = useState(settings.allowedDomains.join(', '));
  const [recipients, setRecipients] = useState(settings.recipients.join(', '));
  const [commandArguments, setCommandArguments] = useState(settings.redaction.commandArguments);
  const [actorEmails, setActorEmails] = useState(settings.redaction.actorEmails);
  const [prefixes, setPrefixes] = useState(settings.redaction.pathPrefixes.join('\n'));
  const [escalation, setEscalation] = useState(settings.escalation?.connector ?? '');
  const [escalationTo, setEscalationTo] = useState(settings.escalation?.to.join(', ') ?? '');
  const all = connectors.data?.connectors ?? [];

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate(
      {
        reportConnector: connector === '' ? null : connector,
        allowedDomains: splitList(domains.toLowerCase()),
        recipients: splitList(recipients),
        redaction: {
          commandArguments,
          actorEmails,
          pathPrefixes: prefixes
            .split('\n')
            .map((p) => p.trim())
            .filter(Boolean),
        },
        escalation: escalation === '' ? null : { connector: escalation, to: splitList(escalationTo) },
      },
      { onSuccess: () => announce('Report policy saved') },
    );
  }

  return (
    <section className="card" aria-labelledby="report-policy-heading">
      <h2 id="report-policy-heading">Report and delivery policy</h2>
      <form className="form wide-form" onSubmit={submit} noValidate aria-label="Report and delivery policy">
        <div className="two-col">
          <div className="field">
            <label htmlFor="report-connector">Reports are e-mailed through</label>
            <select id="report-connector" value={connector} onChange={(e) => setConnector(e.target.value)}>
              <option value="">Choose an SMTP connector…</option>
              {all
                .filter((c) => c.kind === 'smtp')
                .map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name} ({c.id})
                  </option>
                ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="allowed-domains">Allowed recipient domains</label>
            <input
              id="allowed-domains"
              value={domains}
              spellCheck={false}
              onChange={(e) => setDomains(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="default-recipients">Report recipients</label>
            <input
              id="default-recipients"
              value={recipients}
              spellCheck={false}
              onChange={(e) => setRecipients(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="path-prefixes">Redact path prefixes (one per line)</label>
            <textarea
              id="path-prefixes"
              rows={2}
              value={prefixes}
              spellCheck={false}
              onChange={(e) => setPrefixes(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="escalation-connector">Escalate failed deliveries to</label>
            <select id="escalation-connector" value={escalation} onChange={(e) => setEscalation(e.target.value)}>
              <option value="">No escalation route</option>
              {all
                .filter((c) => c.kind !== 'witness_file')
                .map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name} ({c.id})
                  </option>
                ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="escalation-to">Escalation contacts (e-mail)</label>
            <input
              id="escalation-to"
              value={escalationTo}
              spellCheck={false}
              onChange={(e) => setEscalationTo(e.target.value)}
            />
          </div>
        </div>
        <label className="checkbox">
          <input type="checkbox" checked={commandArguments} onChange={(e) => setCommandArguments(e.target.checked)} />
          Redact command arguments (keep program names)
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={actorEmails} onChange={(e) => setActorEmails(e.target.checked)} />
          Redact actor e-mail addresses (keep the domain)
        </label>
        {save.error && (
          <p className="field-error" role="alert">
            {save.error.message}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={save.isPending}>
            Save policy
          </button>
        </div>
      </form>
    </section>
  );
}
