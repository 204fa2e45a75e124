import type { ApprovalRequestView } from '../../../core/contract';
import { useLedgerRecord } from '../../api/evidence';
import { linkTo } from '../../app/route';
import { CopyJsonButton, PrintButton } from '../../components/CopyJsonButton';
import { DecisionCard, WriteContent } from '../../components/DecisionCard';
import { formatDuration } from '../../components/useNow';

// Keyed by string: a state the contract adds later gets the plain badge until it has a colour here.
const stateBadge: Readonly<Record<string, string>> = {
  pending: 'badge badge-warn',
  approved: 'badge badge-allow',
  consumed: 'badge badge-allow',
  denied: 'badge badge-deny',
};

function When({ iso }: { iso: string }) {
  return <time dateTime={iso}>{new Date(iso).toLocaleString()}</time>;
}

/** The request's life so far, each step with its ledger record where there is one. */
function History({ request }: { request: ApprovalRequestView }) {
  const evidence = (seq: number) => linkTo('evidence', request.tenant, seq);
  const decided = request.state !== 'pending' && request.decidedAt !== null;
  // A consumed request was approved, then used: the decision line names the verdict.
  const verdict = request.state === 'consumed' ? 'approved' : request.state;
  return (
    <ol className="history" data-testid="approval-history">
      <li>
        Requested by {request.agent?.id ?? 'an agent'} through {request.adapter}, <When iso={request.createdAt} />
        {request.requestedSeq != null ? (
          <>
            {' '}
            · <a href={evidence(request.requestedSeq)}>record #{request.requestedSeq}</a>
          </>
        ) : (
          <span className="muted"> · not yet recorded</span>
        )}
      </li>
      {decided && (
        <li>
          {verdict[0]?.toUpperCase()}
          {verdict.slice(1)}
          {request.decidedBy ? ` by ${request.decidedBy}` : ''}, <When iso={request.decidedAt as string} />
          {request.decisionReason && (
            <>
              {' '}
              — <q>{request.decisionReason}</q>
            </>
          )}
          {request.stateSeq != null && request.stateSeq !== request.requestedSeq && (
            <>
              {' '}
              · <a href={evidence(request.stateSeq)}>record #{request.stateSeq}</a>
            </>
          )}
        </li>
      )}
      {(request.state === 'approved' || request.consumedAt !== null) && (
        <li>
          {request.consumedAt ? (
            <>
              Used by the action it approves, <When iso={request.consumedAt} /> (once; it allows nothing more)
            </>
          ) : (
            'Not used yet: it allows this exact action once'
          )}
        </li>
      )}
    </ol>
  );
}

/** The action content a write would put in the file, when the request carries it. */
function writeContent(request: ApprovalRequestView): { path: string; text: string } | undefined {
  const { content, path } = request.action;
  if (request.actionType !== 'write_file' || typeof content !== 'string') return undefined;
  return { path: typeof path === 'string' ? path : request.target, text: content };
}

/**
 * One request in full: what the agent wants to do in words (the decision card the core
 * recorded), why it needs a person, who is asking for whom, how long it can wait, its history.
 */
export function ApprovalDetail({
  request,
  now,
  onDecide,
}: {
  request: ApprovalRequestView;
  now: number;
  onDecide: (verdict: 'approve' | 'deny') => void;
}) {
  // Read the decision record only once the request itself is recorded: until then the gate
  // that opened it is still writing to the ledger.
  const decisionSeq = request.requestedSeq != null ? (request.decisionSeq ?? null) : null;
  const decision = useLedgerRecord(request.tenant, decisionSeq);
  const left = Date.parse(request.expiresAt) - now;
  const content = writeContent(request);
  return (
    <div className="queue-detail" data-testid="approval-detail" aria-labelledby="approval-detail-title">
      <h3 id="approval-detail-title">
        <span className={stateBadge[request.state] ?? 'badge'}>{request.state}</span> <code>{request.target}</code>
      </h3>
      {request.state === 'pending' && (
        <div className="actions">
          <button type="button" className="primary" aria-keyshortcuts="a" onClick={() => onDecide('approve')}>
            Approve…
          </button>
          <button type="button" className="danger" aria-keyshortcuts="d" onClick={() => onDecide('deny')}>
            Deny…
          </button>
        </div>
      )}
      <dl className="facts" data-testid="approval-facts">
        <dt>Why a person decides</dt>
        <dd>{request.reason}</dd>
        <dt>Asked</dt>
        <dd>
          {formatDuration(now - Date.parse(request.createdAt))} ago (<When iso={request.createdAt} />)
        </dd>
        {request.state === 'pending' && (
          <>
            <dt>Expires</dt>
            <dd data-testid="approval-expiry" className={left < 60_000 ? 'text-deny' : undefined}>
              in {formatDuration(left)} (<When iso={request.expiresAt} />
              ); then it is denied
            </dd>
          </>
        )}
        <dt>Agent</dt>
        <dd>
          {request.agent?.id ?? '—'}
          {request.agent?.session && <span className="muted"> session {request.agent.session}</span>}
        </dd>
        <dt>On behalf of</dt>
        <dd>{request.requester ?? <span className="muted">unknown (not verified by the gate)</span>}</dd>
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
        <dd>
          <code>{request.route}</code>
          {request.requireReason && <span className="muted"> · approving needs a reason</span>}
        </dd>
        <dt>Bound to</dt>
        <dd>
          this exact action (SHA-256 <code title={request.actionSha256}>{request.actionSha256.slice(0, 16)}…</code>)
          {request.packId && ' and this pack version'}; approving allows it once
        </dd>
        {request.selfApproved && (
          <>
            <dt>Review</dt>
            <dd>
              <strong>Self-approved:</strong> the local evaluation identity approved an agent of its own OS user; nobody
              independent reviewed it. This blocks production readiness.
            </dd>
          </>
        )}
      </dl>
      <h4>History</h4>
      <History request={request} />
      {decision.data && decision.data.payload !== null ? (
        <DecisionCard
          payload={decision.data.payload}
          content={content}
          record={{
            tenant: request.tenant,
            seq: decisionSeq as number,
            time: typeof decision.data.header.time === 'string' ? decision.data.header.time : null,
            proof: decision.data.proof
              ? { size: decision.data.proof.checkpoint.size, root: decision.data.proof.checkpoint.root }
              : null,
          }}
        />
      ) : (
        content && <WriteContent content={content} />
      )}
      {decision.isError && <p role="alert">The decision record could not be read: {decision.error.message}</p>}
      <details className="raw-json" data-testid="approval-raw">
        <summary>Exact action as the agent sent it (JSON)</summary>
        <pre className="json" tabIndex={0} aria-label="Exact action">
          {JSON.stringify(request.action, null, 2)}
        </pre>
      </details>
      <div className="actions">
        <CopyJsonButton value={request} what={`approval request ${request.id}`} />
        <PrintButton />
      </div>
    </div>
  );
}
