import { useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';
import type { ApprovalRequestView } from '../../../core/contract';
import { useApprovalRequest, useApprovalRequests, useDecideApproval } from '../../api/approvals';
import { useLedgerRecord } from '../../api/evidence';
import { linkTo } from '../../app/route';
import { CopyJsonButton, PrintButton } from '../../components/CopyJsonButton';
import { DecisionCard } from '../../components/DecisionCard';
import { useShortcuts } from '../../components/shortcuts';
import { formatDuration, useNow } from '../../components/useNow';
import { usePreferences } from '../../state/preferences';
import { useUi } from '../../state/ui';
import { DecisionDialog } from './DecisionDialog';

type View = 'pending' | 'decided';

/**
 * The reviewer's queue: keyboard-first listbox, the exact action, decide with a reason.
 * The view and the open request live in the address (`#/approvals/apr_…?view=decided`).
 */
export function ApprovalQueueScreen() {
  const tenant = useUi((state) => state.route.tenant);
  const { item, filters } = useUi((state) => state.route);
  const setFilters = useUi((state) => state.setFilters);
  const open = useUi((state) => state.open);
  const announce = useUi((state) => state.announce);
  const shortcuts = usePreferences((state) => state.shortcuts);
  const setShortcuts = usePreferences((state) => state.setShortcuts);
  const linked = useApprovalRequest(tenant, item);
  // A link to a decided request opens the decided view, unless the address says otherwise.
  const view: View =
    filters.view === 'decided' || filters.view === 'pending'
      ? filters.view
      : linked.data && linked.data.state !== 'pending'
        ? 'decided'
        : 'pending';
  const setView = (next: View) => {
    setFilters({ view: next });
    open(null, { replace: true });
  };
  const requests = useApprovalRequests(
    tenant,
    view === 'pending' ? ['pending'] : ['approved', 'denied', 'expired', 'cancelled'],
  );
  const decide = useDecideApproval(tenant);
  // The active request, and where it sat: when it leaves the list (decided), its neighbour takes over.
  const [cursor, setCursorState] = useState<{ id: string | null; index: number }>({ id: item, index: 0 });
  const setCursor = (next: { id: string | null; index: number }) => {
    setCursorState(next);
    if (next.id !== item) open(next.id, { replace: true });
  };
  useShortcuts('Approval queue (in the request list)', [
    { keys: 'j / ↓', description: 'Next request' },
    { keys: 'k / ↑', description: 'Previous request' },
    { keys: 'Home / End', description: 'First / last request' },
    { keys: 'a', description: 'Approve the request (asks for confirmation)' },
    { keys: 'd', description: 'Deny the request (asks for a reason)' },
  ]);
  const [dialog, setDialog] = useState<'approve' | 'deny' | null>(null);
  const list = useRef<HTMLUListElement>(null);
  const now = useNow();
  const items = requests.data?.requests ?? [];
  const wanted = cursor.id ?? item;
  const found = items.findIndex((r) => r.id === wanted);
  const activeIndex = found >= 0 ? found : Math.min(cursor.index, items.length - 1);
  // A linked request outside this list (older than the newest 200) still opens.
  const fromLink = found < 0 && item !== null && linked.data?.id === item ? linked.data : undefined;
  const active: ApprovalRequestView | undefined = fromLink ?? items[activeIndex];
  const setActiveId = (id: string | null) =>
    setCursor({
      id,
      index: Math.max(
        0,
        items.findIndex((r) => r.id === id),
      ),
    });

  function move(to: number) {
    const next = items[Math.max(0, Math.min(items.length - 1, to))];
    if (!next) return;
    setActiveId(next.id);
    document.getElementById(`approval-${next.id}`)?.focus();
  }

  function onKeyDown(event: KeyboardEvent) {
    const single = shortcuts && !event.ctrlKey && !event.metaKey && !event.altKey;
    if (event.key === 'ArrowDown' || (single && event.key === 'j')) move(activeIndex + 1);
    else if (event.key === 'ArrowUp' || (single && event.key === 'k')) move(activeIndex - 1);
    else if (event.key === 'Home') move(0);
    else if (event.key === 'End') move(items.length - 1);
    else if (single && event.key === 'a' && active?.state === 'pending') setDialog('approve');
    else if (single && event.key === 'd' && active?.state === 'pending') setDialog('deny');
    else return;
    event.preventDefault();
  }

  function confirm(reason: string) {
    if (!active || !dialog) return;
    const index = activeIndex;
    decide.mutate(
      { id: active.id, verdict: dialog, ...(reason ? { reason } : {}) },
      {
        onSuccess: (request) => {
          setDialog(null);
          announce(`${request.target}: ${request.state}`);
          // Focus moves on to the next request in the queue (HOUSE rule 8).
          const rest = items.filter((r) => r.id !== request.id);
          const next = rest[Math.min(index, rest.length - 1)];
          setCursor({ id: next?.id ?? null, index });
          setTimeout(() => (next ? document.getElementById(`approval-${next.id}`) : list.current)?.focus(), 0);
        },
      },
    );
  }

  if (!tenant) return <p className="muted">Select a tenant first.</p>;
  return (
    <div className="stack wide">
      <section className="card" aria-labelledby="queue-heading">
        <div className="card-head">
          <div className="segmented" role="group" aria-label="Show">
            <button type="button" aria-pressed={view === 'pending'} onClick={() => setView('pending')}>
              Pending{view === 'pending' && requests.data ? ` (${items.length})` : ''}
            </button>
            <button type="button" aria-pressed={view === 'decided'} onClick={() => setView('decided')}>
              Decided
            </button>
          </div>
          <label className="checkbox">
            <input type="checkbox" checked={shortcuts} onChange={(event) => setShortcuts(event.target.checked)} />
            Single-key shortcuts (j/k move, a approve, d deny; ? lists them)
          </label>
        </div>
        <h2 id="queue-heading" className="sr-only">
          Approval requests
        </h2>
        {requests.isError && <p role="alert">{requests.error.message}</p>}
        {items.length === 0 ? (
          <p className="muted" data-testid="queue-empty">
            {view === 'pending'
              ? 'No requests are waiting. Actions that need approval appear here the moment an agent asks.'
              : 'No decided requests yet.'}
          </p>
        ) : null}
        {items.length === 0 && fromLink && (
          <div className="queue single">
            <ApprovalDetail request={fromLink} onDecide={setDialog} />
          </div>
        )}
        {items.length > 0 && (
          <div className="queue">
            <ul
              ref={list}
              className="queue-list"
              role="listbox"
              aria-label="Approval requests"
              aria-activedescendant={active ? `approval-${active.id}` : undefined}
              onKeyDown={onKeyDown}
              data-testid="approval-list"
            >
              {items.map((request, index) => {
                const selected = request.id === active?.id;
                // Tab must reach the list even while a linked request from outside it is open.
                const reachable = selected || (index === 0 && !items.some((r) => r.id === active?.id));
                const left = Date.parse(request.expiresAt) - now;
                return (
                  <li
                    key={request.id}
                    id={`approval-${request.id}`}
                    role="option"
                    aria-selected={selected}
                    tabIndex={reachable ? 0 : -1}
                    className="queue-item"
                    onClick={() => setActiveId(request.id)}
                    onFocus={() => setActiveId(request.id)}
                  >
                    <div className="queue-target">
                      <code>{request.target}</code>
                    </div>
                    <div className="muted small">
                      {request.agent?.id ?? 'agent'} · {request.ruleId ?? request.route} · asked{' '}
                      {formatDuration(now - Date.parse(request.createdAt))} ago
                      {request.state === 'pending' ? (
                        <span className={left < 60_000 ? 'text-deny' : undefined}>
                          {' '}
                          · expires in {formatDuration(left)}
                        </span>
                      ) : (
                        <span> · {request.state}</span>
                      )}
                    </div>
                  </li>
                );
              })}
            </ul>
            {active && <ApprovalDetail request={active} onDecide={setDialog} />}
          </div>
        )}
      </section>
      {dialog && active && (
        <DecisionDialog
          request={active}
          verdict={dialog}
          pending={decide.isPending}
          error={decide.error?.message ?? null}
          onConfirm={confirm}
          onCancel={() => {
            setDialog(null);
            decide.reset();
            document.getElementById(`approval-${active.id}`)?.focus();
          }}
        />
      )}
    </div>
  );
}

function ApprovalDetail({
  request,
  onDecide,
}: {
  request: ApprovalRequestView;
  onDecide: (verdict: 'approve' | 'deny') => void;
}) {
  // Read the decision record only once the request itself is recorded: until then the gate
  // that opened it is still writing to the ledger.
  const decisionSeq = request.requestedSeq != null ? (request.decisionSeq ?? null) : null;
  const decision = useLedgerRecord(request.tenant, decisionSeq);
  const evidence = (seq: number) => linkTo('evidence', request.tenant, seq);
  return (
    <div className="queue-detail" data-testid="approval-detail">
      <h3>
        <code>{request.target}</code>
      </h3>
      <p>{request.reason}</p>
      {decisionSeq !== null && decision.data && decision.data.payload !== null && (
        <DecisionCard
          payload={decision.data.payload}
          record={{
            tenant: request.tenant,
            seq: decisionSeq,
            time: typeof decision.data.header.time === 'string' ? decision.data.header.time : null,
            proof: decision.data.proof
              ? { size: decision.data.proof.checkpoint.size, root: decision.data.proof.checkpoint.root }
              : null,
          }}
        />
      )}
      {decision.isError && <p role="alert">The decision record could not be read: {decision.error.message}</p>}
      <dl className="facts">
        <dt>Rule</dt>
        <dd>
          {request.ruleId ?? '—'}{' '}
          {request.packId && (
            <span className="muted">
              ({request.packId} {request.packVersion})
            </span>
          )}
        </dd>
        <dt>Route</dt>
        <dd>{request.route}</dd>
        <dt>Agent</dt>
        <dd>
          {request.agent?.id ?? '—'}{' '}
          {request.agent?.session && <span className="muted">session {request.agent.session}</span>}
        </dd>
        <dt>On behalf of</dt>
        <dd>{request.requester ?? 'unknown (not verified by the gate)'}</dd>
        <dt>Adapter</dt>
        <dd>{request.adapter}</dd>
        <dt>Bound to</dt>
        <dd>
          action SHA-256 <code>{request.actionSha256.slice(0, 16)}…</code>
        </dd>
        <dt>Ledger</dt>
        <dd data-testid="approval-records">
          {request.requestedSeq != null && (
            <a href={evidence(request.requestedSeq)}>request record #{request.requestedSeq}</a>
          )}
          {request.stateSeq != null && request.stateSeq !== request.requestedSeq && (
            <>
              {' · '}
              <a href={evidence(request.stateSeq)}>
                {request.state} record #{request.stateSeq}
              </a>
            </>
          )}
          {request.requestedSeq == null && <span className="muted">not yet recorded</span>}
        </dd>
        {request.state === 'approved' && (
          <>
            <dt>Used</dt>
            <dd>
              {request.consumedAt
                ? `once, at ${new Date(request.consumedAt).toLocaleString()}`
                : 'not yet: it allows the exact action once'}
            </dd>
          </>
        )}
        {request.state !== 'pending' && (
          <>
            <dt>Decided</dt>
            <dd>
              {request.state} {request.decidedBy && `by ${request.decidedBy}`}{' '}
              {request.decisionReason && <q>{request.decisionReason}</q>}
            </dd>
            {request.selfApproved && (
              <>
                <dt>Review</dt>
                <dd>
                  <strong>Self-approved:</strong> the local evaluation identity approved an agent of its own OS user;
                  nobody independent reviewed it. This blocks production readiness.
                </dd>
              </>
            )}
          </>
        )}
      </dl>
      <h4>Exact action</h4>
      <pre className="json" tabIndex={0} aria-label="Exact action">
        {JSON.stringify(request.action, null, 2)}
      </pre>
      <div className="actions">
        {request.state === 'pending' && (
          <>
            <button type="button" className="primary" onClick={() => onDecide('approve')}>
              Approve…
            </button>
            <button type="button" className="danger" onClick={() => onDecide('deny')}>
              Deny…
            </button>
          </>
        )}
        <CopyJsonButton value={request} what={`approval request ${request.id}`} />
        <PrintButton />
      </div>
    </div>
  );
}
