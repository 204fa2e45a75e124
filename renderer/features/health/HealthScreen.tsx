import { useSystemHealth } from '../../api/queries';

const label = { ok: 'OK', warn: 'Warning', fail: 'Failing' } as const;

/** `cavra doctor` in the console: every check, what it found, and how to fix what fails. */
export function HealthScreen() {
  const health = useSystemHealth();
  if (health.isError) return <p role="alert">The health checks could not run: {health.error.message}</p>;
  if (!health.data) return <p className="muted">Checking…</p>;
  const report = health.data;
  return (
    <div className="stack wide">
      <section
        className="card"
        aria-labelledby="health-heading"
        data-testid="health-report"
        data-status={report.status}
      >
        <div className="card-head">
          <h2 id="health-heading">
            {report.status === 'fail'
              ? 'This install cannot enforce as it should'
              : report.status === 'warn'
                ? 'Enforcing, with warnings'
                : 'Everything needed to enforce is in place'}
          </h2>
          <button
            type="button"
            className="secondary"
            onClick={() => void health.refetch()}
            disabled={health.isFetching}
          >
            Check again
          </button>
        </div>
        <p className="muted small">
          Checked {new Date(report.checkedAt).toLocaleString()}. The same checks run with <code>npx cavra doctor</code>.
        </p>
        <ul className="health-list">
          {report.checks.map((check) => (
            <li
              key={check.id}
              className={`health-item health-${check.status}`}
              data-check={check.id}
              data-status={check.status}
            >
              <h3>
                {check.title}: <span>{label[check.status]}</span>
              </h3>
              <p>{check.message}</p>
              {check.fix && check.status !== 'ok' && (
                <p>
                  <strong>Fix:</strong> <code>{check.fix}</code>
                </p>
              )}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
