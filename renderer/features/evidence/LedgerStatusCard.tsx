import { useLedgerStatus } from '../../api/evidence';
import { RetentionControls } from './RetentionControls';

export function LedgerStatusCard({ tenant }: { tenant: string }) {
  const status = useLedgerStatus(tenant);
  if (status.isError) return <p role="alert">{status.error.message}</p>;
  if (!status.data) return <p className="muted">Loading the ledger…</p>;
  const { size, lastCheckpoint, uncovered, signing, retention, origin } = status.data;
  return (
    <section className="card" aria-labelledby="ledger-heading" data-testid="ledger-status">
      <h2 id="ledger-heading">Ledger</h2>
      {signing.state === 'unavailable' && (
        <div className="notice notice-deny" role="alert">
          <strong>This tenant cannot sign evidence.</strong> {signing.reason}
        </div>
      )}
      <div className="summary-strip">
        <div>
          <span className="muted">Records</span>
          <strong data-testid="ledger-size">{size.toLocaleString()}</strong>
        </div>
        <div>
          <span className="muted">Last signed checkpoint</span>
          <strong>
            {lastCheckpoint
              ? `${lastCheckpoint.size.toLocaleString()} records, ${new Date(lastCheckpoint.time).toLocaleString()}`
              : 'None yet'}
          </strong>
        </div>
        <div>
          <span className="muted">Not yet covered</span>
          <strong>{uncovered.toLocaleString()}</strong>
        </div>
        <div>
          <span className="muted">Signing key</span>
          <strong>{signing.state === 'ready' ? <code>{signing.keyId}</code> : 'Unavailable'}</strong>
        </div>
        <div>
          <span className="muted">Retention</span>
          <strong>
            {retention.days === null ? 'Keep forever' : `${retention.days} days`}
            {retention.legalHold && <span className="badge badge-warn">Legal hold</span>}
          </strong>
        </div>
      </div>
      <p className="muted small">
        Log origin <code>{origin}</code>
        {lastCheckpoint && (
          <>
            {' '}
            · root <code>{lastCheckpoint.root}</code>
          </>
        )}
      </p>
      <RetentionControls key={`${retention.days}-${retention.legalHold}`} tenant={tenant} retention={retention} />
    </section>
  );
}
