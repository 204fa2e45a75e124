import { controlSurfaceLabels } from '../../../core/contract';
import type { Ingestion, PostureView } from '../../../core/contract';
import { SeverityBadge } from '../../components/DecisionBadge';
import { useUi } from '../../state/ui';
import { coverageStateText, riskText } from './labels';

export function IngestionLine({ ingestion }: { ingestion: Ingestion }) {
  const caughtUp = ingestion.behindRecords === 0;
  return (
    <p className={caughtUp ? 'muted small' : 'text-warn small'} data-testid="ingestion-lag">
      Ledger ingested: {ingestion.cursor.toLocaleString()} of {ingestion.ledgerSize.toLocaleString()} records
      {caughtUp
        ? ' (caught up)'
        : ` — ${ingestion.behindRecords.toLocaleString()} behind, ${ingestion.behindSeconds} s of lag; ingestion continues`}
      {ingestion.unreadable > 0 && ` · ${ingestion.unreadable} unreadable records (see findings)`}
      {ingestion.lastIngestedAt && ` · last ingested ${new Date(ingestion.lastIngestedAt).toLocaleTimeString()}`}
    </p>
  );
}

/** The score, the risk level and what every point rests on. */
export function PostureSummary({ posture }: { posture: PostureView }) {
  const showEvidence = useUi((state) => state.showEvidence);
  const deduction = posture.risk.max - posture.risk.points;
  return (
    <section className="card" aria-labelledby="posture-heading" data-testid="posture-summary">
      <h2 id="posture-heading">Posture</h2>
      <div className="posture-head">
        <div className={`score score-${posture.riskLevel}`}>
          <span className="score-value" data-testid="posture-score">
            {posture.score}
          </span>
          <span className="score-max">/ 100</span>
        </div>
        <div>
          <div className={`risk risk-${posture.riskLevel}`} data-testid="risk-level">
            {riskText[posture.riskLevel]}
          </div>
          <ul className="plain small">
            {posture.riskReasons.map((reason) => (
              <li key={reason}>{reason}</li>
            ))}
          </ul>
          <p className="small">
            Open findings: <strong>{posture.openFindings.critical}</strong> critical,{' '}
            <strong>{posture.openFindings.high}</strong> high, <strong>{posture.openFindings.medium}</strong> medium,{' '}
            <strong>{posture.openFindings.low}</strong> low
          </p>
        </div>
      </div>
      <IngestionLine ingestion={posture.ingestion} />
      <details className="breakdown" data-testid="score-breakdown">
        <summary>
          How the score is made: coverage {posture.coverage.points} of {posture.coverage.max} + risk{' '}
          {posture.risk.points} of {posture.risk.max}
        </summary>
        <div className="two-col">
          <div>
            <h3 className="small-heading">Coverage by control surface</h3>
            <table className="table compact">
              <thead>
                <tr>
                  <th scope="col">Surface</th>
                  <th scope="col">State</th>
                  <th scope="col">Points</th>
                </tr>
              </thead>
              <tbody>
                {posture.coverage.surfaces.map((s) => {
                  const examples = s.repositories.flatMap((r) => r.examples).slice(0, 40);
                  return (
                    <tr key={s.surface}>
                      <td>{controlSurfaceLabels[s.surface]}</td>
                      <td>
                        <span className={`cov cov-${s.state}`}>{coverageStateText[s.state]}</span>
                        {s.stale && <span className="badge badge-warn">stale</span>}
                      </td>
                      <td>
                        {examples.length > 0 ? (
                          <button
                            type="button"
                            className="link"
                            onClick={() =>
                              showEvidence({
                                kind: 'records',
                                seqs: examples,
                                title: `${controlSurfaceLabels[s.surface]}: records behind ${s.points} of ${s.max} points`,
                              })
                            }
                          >
                            {s.points} / {s.max}
                          </button>
                        ) : (
                          `${s.points} / ${s.max}`
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <div>
            <h3 className="small-heading">Risk: {deduction.toFixed(2)} points taken by open findings</h3>
            {posture.risk.findings.length === 0 ? (
              <p className="muted">No open finding lowers the score.</p>
            ) : (
              <ol className="deductions">
                {posture.risk.findings.slice(0, 12).map((f) => (
                  <li key={f.id}>
                    <span className="deduction">−{f.deduction.toFixed(2)}</span> <SeverityBadge severity={f.severity} />{' '}
                    <button
                      type="button"
                      className="link"
                      onClick={() => showEvidence({ kind: 'finding', findingId: f.id, title: f.title })}
                    >
                      {f.title}
                    </button>
                  </li>
                ))}
              </ol>
            )}
          </div>
        </div>
      </details>
    </section>
  );
}
