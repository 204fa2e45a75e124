import { useState } from 'react';
import type { FormEvent } from 'react';
import { packetExportResultSchema, readinessReportSchema } from '../../../core/contract';
import type { ReadinessReport, ValidatorStatus } from '../../../core/contract';
import { useJob } from '../../api/jobs';
import { useStartPacketExport, useStartReadinessRun } from '../../api/readiness';
import { formatRoute, linkTo } from '../../app/route';
import { JobProgress } from '../../components/JobProgress';
import { CloseoutForm } from './CloseoutForm';
import { useUi } from '../../state/ui';

const statusBadge: Record<ValidatorStatus, string> = {
  pass: 'badge badge-allow',
  warn: 'badge badge-warn',
  blocker: 'badge badge-deny',
};

const ratingBadge = { green: 'badge badge-allow', yellow: 'badge badge-warn', red: 'badge badge-deny' } as const;

/** SPEC §9: run the gates' validators (jobs with progress and Cancel), read the blockers, export the signed packet. */
export function ReadinessScreen() {
  const tenant = useUi((state) => state.tenant);
  const announce = useUi((state) => state.announce);
  const run = useStartReadinessRun(tenant);
  const exporter = useStartPacketExport(tenant);
  const [runJob, setRunJob] = useState<string | null>(null);
  const [exportJob, setExportJob] = useState<string | null>(null);
  const [repository, setRepository] = useState('');
  const [connector, setConnector] = useState('');
  const [recipients, setRecipients] = useState('');
  const running = useJob(tenant, runJob);
  const exporting = useJob(tenant, exportJob);
  const report = readinessReportSchema.safeParse(running.data?.result);
  const exported = packetExportResultSchema.safeParse(exporting.data?.result);
  if (!tenant) return <p className="muted">Select a tenant first.</p>;

  const start = (gate: 'pilot' | 'production') => {
    const scope =
      gate === 'pilot'
        ? {
            ...(repository.trim() ? { repository: repository.trim() } : {}),
            ...(connector.trim() ? { connector: connector.trim() } : {}),
            ...(recipients.trim()
              ? {
                  recipients: recipients
                    .split(',')
                    .map((r) => r.trim())
                    .filter(Boolean),
                }
              : {}),
          }
        : undefined;
    run.mutate(
      { gate, scope },
      {
        onSuccess: ({ jobId }) => {
          setRunJob(jobId);
          announce(`${gate === 'pilot' ? 'Pilot' : 'Production'} gate started`);
        },
      },
    );
  };
  const onPilot = (event: FormEvent) => {
    event.preventDefault();
    start('pilot');
  };

  return (
    <div className="stack wide">
      <section className="card" aria-labelledby="gates-heading">
        <h2 id="gates-heading">Run a gate</h2>
        <p className="muted small">
          Validators observe the running system now and record each result in the evidence ledger. The pilot gate covers
          the evaluation boundary; the production gate applies every validator to the whole tenant and is the only one
          that can say ready for AISPM production.
        </p>
        <div className="two-col">
          <form className="stack-tight" onSubmit={onPilot} aria-labelledby="pilot-heading">
            <h3 id="pilot-heading">Pilot gate</h3>
            <div className="field">
              <label htmlFor="pilot-repository">Repository or workflow</label>
              <input id="pilot-repository" value={repository} onChange={(e) => setRepository(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="pilot-connector">Connector path</label>
              <input id="pilot-connector" value={connector} onChange={(e) => setConnector(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="pilot-recipients">Recipient group (addresses or @domain, comma-separated)</label>
              <input id="pilot-recipients" value={recipients} onChange={(e) => setRecipients(e.target.value)} />
            </div>
            <button type="submit" disabled={run.isPending || running.data?.state === 'running'}>
              Run pilot gate
            </button>
          </form>
          <div className="stack-tight">
            <h3>Production gate</h3>
            <p className="muted small">Every validator, the whole tenant.</p>
            <button
              type="button"
              disabled={run.isPending || running.data?.state === 'running'}
              onClick={() => start('production')}
            >
              Run production gate
            </button>
            <h3>Readiness packet</h3>
            <p className="muted small">
              Runs the production gate, then writes the signed packet with the evidence bundle beside it into the tenant
              archive. It verifies offline (Offline review, or <code>cavra packet verify</code>).
            </p>
            <button
              type="button"
              className="primary"
              disabled={exporter.isPending || exporting.data?.state === 'running'}
              onClick={() =>
                exporter.mutate(undefined, {
                  onSuccess: ({ jobId }) => {
                    setExportJob(jobId);
                    announce('Readiness packet export started');
                  },
                })
              }
            >
              Export readiness packet
            </button>
          </div>
        </div>
        {(run.error ?? exporter.error) && (
          <p role="alert" className="field-error">
            {(run.error ?? exporter.error)?.message}{' '}
            {(run.error ?? exporter.error)?.message.includes('license') && (
              <a href={formatRoute({ screen: 'license', tenant, item: null, filters: {} })}>Open the License screen</a>
            )}
          </p>
        )}
        {running.data && <JobProgress job={running.data} label="Readiness validators" />}
        {exporting.data && <JobProgress job={exporting.data} label="Readiness packet export" />}
        {exporting.data?.state === 'succeeded' && exported.success && (
          <div
            className={`notice ${exported.data.readyForAispmProduction ? 'notice-allow' : 'notice-deny'}`}
            role="status"
            data-testid="packet-result"
          >
            Packet exported to <code>{exported.data.dir}</code>: ready_for_aispm_production{' '}
            <strong>{String(exported.data.readyForAispmProduction)}</strong>
            {exported.data.blockers.length > 0 && ` with ${exported.data.blockers.length} blockers.`}
            <div className="small">
              envelope sha256 <code>{exported.data.packetSha256}</code>
            </div>
          </div>
        )}
      </section>
      {running.data?.state === 'succeeded' && report.success && <ReportCard report={report.data} />}
      <CloseoutForm tenant={tenant} />
    </div>
  );
}

function ReportCard({ report }: { report: ReadinessReport }) {
  return (
    <section
      className="card"
      aria-labelledby="report-heading"
      data-testid="readiness-report"
      data-rating={report.rating}
      data-ready={report.readyForAispmProduction}
    >
      <div className="card-head">
        <h2 id="report-heading">
          {report.gate === 'pilot' ? 'Pilot' : 'Production'} gate:{' '}
          <span className={ratingBadge[report.rating]}>{report.rating}</span>
        </h2>
        {report.gate === 'production' && (
          <span className={report.readyForAispmProduction ? 'badge badge-allow' : 'badge badge-deny'}>
            {report.readyForAispmProduction ? 'Ready for AISPM production' : 'Not ready for AISPM production'}
          </span>
        )}
      </div>
      {report.blockers.length > 0 && (
        <div className="notice notice-deny">
          <strong>{report.blockers.length} blockers</strong>
          <ul>
            {report.blockers.map((b) => (
              <li key={b.validator}>
                <strong>{b.validator}</strong>: {b.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      <table className="table" aria-label="Validator results">
        <thead>
          <tr>
            <th scope="col">Validator</th>
            <th scope="col">Result</th>
            <th scope="col">Observed</th>
            <th scope="col">Evidence</th>
          </tr>
        </thead>
        <tbody>
          {report.validators.map((v) => (
            <tr key={v.id} data-validator={v.id} data-status={v.status}>
              <td>{v.label}</td>
              <td>
                <span className={statusBadge[v.status]}>{v.status}</span>
              </td>
              <td className="small">{v.message}</td>
              <td className="small">
                <a href={linkTo('evidence', report.tenant, v.record)} aria-label={`Evidence record ${v.record}`}>
                  #{v.record}
                </a>
                {v.evidence.length > 0 && ` relied on ${v.evidence.map((seq) => `#${seq}`).join(', ')}`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
