import { controlSurfaceLabels, coverageStates } from '../../../core/contract';
import type { CoverageView } from '../../../core/contract';
import { useUi } from '../../state/ui';
import { coverageStateText, formatTime } from './labels';

/** Repository × agent rows, one cell per control surface; a cell opens the records it rests on. */
export function CoverageHeatmap({ coverage }: { coverage: CoverageView }) {
  const showEvidence = useUi((state) => state.showEvidence);
  return (
    <section className="card" aria-labelledby="coverage-heading">
      <h2 id="coverage-heading">Coverage by control surface</h2>
      <p className="muted small">
        From what the gate observed: <strong>enforced</strong> (risky actions denied, or judged in enforce mode),{' '}
        <strong>approval-gated</strong> (risky actions waited for a person), <strong>shadow</strong> (recorded only,
        nothing stopped), <strong>not observed</strong> (no evidence at all).
      </p>
      <ul className="legend" aria-label="Legend">
        {coverageStates.map((state) => (
          <li key={state}>
            <span className={`cov cov-${state}`}>{coverageStateText[state]}</span>
          </li>
        ))}
      </ul>
      {coverage.rows.length === 0 ? (
        <p className="muted" data-testid="coverage-empty">
          No decisions yet: every surface is not observed. Coverage appears as agents work through the gate.
        </p>
      ) : (
        <div className="table-scroll">
          <table className="table heatmap" data-testid="coverage-heatmap">
            <thead>
              <tr>
                <th scope="col">Repository</th>
                <th scope="col">Agent</th>
                {coverage.surfaces.map((surface) => (
                  <th scope="col" key={surface}>
                    {controlSurfaceLabels[surface]}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {coverage.rows.map((row) => (
                <tr key={`${row.repository}\n${row.agent}`}>
                  <th scope="row">{row.repository}</th>
                  <td>{row.agent}</td>
                  {coverage.surfaces.map((surface) => {
                    const cell = row.cells[surface];
                    const label = `${controlSurfaceLabels[surface]} in ${row.repository} for ${row.agent}: ${coverageStateText[cell.state]}`;
                    return (
                      <td key={surface} className={`heat heat-${cell.state}`} data-surface={surface}>
                        {cell.decisions === 0 ? (
                          <span className="heat-label">{coverageStateText[cell.state]}</span>
                        ) : (
                          <button
                            type="button"
                            className="heat-button"
                            aria-label={`${coverageStateText[cell.state]} ${cell.decisions} decision${cell.decisions === 1 ? '' : 's'}: ${label}; open the records`}
                            title={`${cell.decisions} decisions: ${cell.denied} denied, ${cell.approvalGated} approval-gated, ${cell.shadow} shadow, ${cell.allowed} allowed. Last ${formatTime(cell.lastSeen)}`}
                            onClick={() => showEvidence({ kind: 'records', seqs: cell.examples, title: label })}
                          >
                            <span className="heat-label">{coverageStateText[cell.state]}</span>{' '}
                            <span className="heat-count">
                              {cell.decisions} decision{cell.decisions === 1 ? '' : 's'}
                            </span>
                          </button>
                        )}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
