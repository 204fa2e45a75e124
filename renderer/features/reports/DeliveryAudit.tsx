import { Fragment, useState } from 'react';
import type { DeliveryView } from '../../../core/contract';
import { useDeliveries, useRetryDelivery } from '../../api/connectors';
import { useUi } from '../../state/ui';

const STATE_BADGE: Record<DeliveryView['state'], string> = {
  queued: 'badge',
  sending: 'badge',
  awaiting_approval: 'badge badge-warn',
  delivered: 'badge badge-allow',
  failed: 'badge badge-deny',
  refused: 'badge badge-deny',
};

/** The server's answer once: SMTP replies already start with their code. */
function response(code: string | null, text: string | null): string {
  const said = text ?? '';
  return (code && !said.startsWith(code) ? `${code} ${said}` : said).trim() || '—';
}

/** The delivery audit: every delivery, each attempt with the server's answer, and retry for failures. */
export function DeliveryAudit({
  tenant,
  connectorId,
  purpose,
}: {
  tenant: string;
  connectorId?: string;
  purpose?: DeliveryView['purpose'];
}) {
  const deliveries = useDeliveries(tenant, {
    limit: 100,
    ...(connectorId ? { connectorId } : {}),
    ...(purpose ? { purpose } : {}),
  });
  const retry = useRetryDelivery(tenant);
  const announce = useUi((state) => state.announce);
  const [open, setOpen] = useState<string | null>(null);
  if (deliveries.isError) return <p role="alert">{deliveries.error.message}</p>;
  const rows = deliveries.data?.deliveries ?? [];
  return (
    <>
      <table className="table" data-testid="delivery-audit">
        <thead>
          <tr>
            <th scope="col">Created</th>
            <th scope="col">What</th>
            <th scope="col">Recipients</th>
            <th scope="col">State</th>
            <th scope="col">Attempts</th>
            <th scope="col">Server response</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && (
            <tr>
              <td colSpan={7} className="muted">
                No deliveries yet.
              </td>
            </tr>
          )}
          {rows.map((d) => (
            <Fragment key={d.id}>
              <tr data-delivery={d.id}>
                <td className="small">
                  <time dateTime={d.createdAt}>{new Date(d.createdAt).toLocaleString()}</time>
                </td>
                <td className="small">
                  <div>{d.subject}</div>
                  <div className="muted">
                    {d.purpose} via <code>{d.connectorId}</code>
                  </div>
                </td>
                <td className="small">{d.recipients.join(', ') || '—'}</td>
                <td>
                  <span className={STATE_BADGE[d.state]}>{d.state.replace('_', ' ')}</span>
                  {d.nextAttemptAt && (
                    <div className="muted small">next {new Date(d.nextAttemptAt).toLocaleTimeString()}</div>
                  )}
                  {d.escalationId && <div className="muted small">escalated</div>}
                </td>
                <td>
                  {d.attempts}/{d.maxAttempts}
                </td>
                <td className="small summary-cell">{response(d.lastCode, d.lastText)}</td>
                <td>
                  <div className="toolbar tight">
                    <button
                      type="button"
                      className="link"
                      aria-expanded={open === d.id}
                      onClick={() => setOpen(open === d.id ? null : d.id)}
                    >
                      {open === d.id ? 'Hide attempts' : 'Attempts'}
                    </button>
                    {(d.state === 'failed' || (d.state === 'refused' && d.approvalId === null)) && (
                      <button
                        type="button"
                        className="secondary"
                        disabled={retry.isPending}
                        onClick={() => retry.mutate(d.id, { onSuccess: () => announce('Delivery queued again') })}
                      >
                        Retry
                      </button>
                    )}
                  </div>
                </td>
              </tr>
              {open === d.id && (
                <tr>
                  <td colSpan={7}>
                    <ol className="plain small" aria-label={`Attempts of ${d.id}`}>
                      {d.history.length === 0 && <li className="muted">Not attempted yet.</li>}
                      {d.history.map((a) => (
                        <li key={a.attempt}>
                          #{a.attempt} <time dateTime={a.at}>{new Date(a.at).toLocaleString()}</time> — {a.outcome}{' '}
                          {response(a.code, a.text)} ({a.durationMs} ms
                          {a.evidenceSeq !== null ? `, evidence #${a.evidenceSeq}` : ''})
                        </li>
                      ))}
                    </ol>
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
      {retry.error && (
        <p className="field-error" role="alert">
          {retry.error.message}
        </p>
      )}
    </>
  );
}
