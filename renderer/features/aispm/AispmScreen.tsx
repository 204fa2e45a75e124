import { Suspense, lazy } from 'react';
import { useCoverage, usePosture, useTrend } from '../../api/aispm';
import { useUi } from '../../state/ui';
import { CoverageHeatmap } from './CoverageHeatmap';
import { FindingsPanel } from './FindingsPanel';
import { PostureSummary } from './PostureSummary';

// The charting library is loaded with this screen only, as its own same-origin chunk.
const TrendChart = lazy(() => import('./TrendChart').then((module) => ({ default: module.TrendChart })));

/** AISPM posture (SPEC §9, §12): score and risk, trends, coverage, findings. Everything links to its records. */
export function AispmScreen() {
  const tenant = useUi((state) => state.tenant);
  const posture = usePosture(tenant);
  const coverage = useCoverage(tenant);
  const trend = useTrend(tenant, 30);
  if (!tenant) return <p className="muted">Select a tenant first.</p>;
  const points = trend.data?.points ?? [];
  return (
    <div className="stack wide">
      {posture.isError && <p role="alert">{posture.error.message}</p>}
      {posture.data ? <PostureSummary posture={posture.data} /> : <p className="muted">Reading the ledger…</p>}
      <section className="card" aria-labelledby="trend-heading">
        <h2 id="trend-heading">Trend (30 days)</h2>
        {points.length === 0 ? (
          <p className="muted">No trend yet: a point is kept for every hour with activity.</p>
        ) : (
          <>
            <Suspense fallback={<p className="muted">Loading the chart…</p>}>
              <TrendChart
                points={points}
                label={`Posture score over ${points.length} hourly points, from ${points[0]?.score} to ${points[points.length - 1]?.score}`}
              />
            </Suspense>
            <details>
              <summary className="small">The trend as a table</summary>
              <table className="table compact" data-testid="trend-table">
                <thead>
                  <tr>
                    <th scope="col">Hour</th>
                    <th scope="col">Score</th>
                    <th scope="col">Open critical / high</th>
                  </tr>
                </thead>
                <tbody>
                  {points.map((p) => (
                    <tr key={p.at}>
                      <td>{new Date(p.at).toLocaleString()}</td>
                      <td>{p.score}</td>
                      <td>
                        {p.open.critical} / {p.open.high}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          </>
        )}
      </section>
      {coverage.data && <CoverageHeatmap coverage={coverage.data} />}
      <FindingsPanel tenant={tenant} />
    </div>
  );
}
