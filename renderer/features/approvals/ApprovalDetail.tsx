import type { ApprovalSummaryView } from '../../../core/contract';
import { useLedgerRecord } from '../../api/evidence';
import { linkTo } from '../../app/route';
import { CopyJsonButton, PrintButton } from '../../components/CopyJsonButton';
import { DecisionCard, WriteContent } from '../../components/DecisionCard';
import { formatDuration } from '../../components/useNow';
import { approvalTally, endingWords, realEnd } from './words';

// Keyed by string: a state the contract adds later gets the plain badge until it has a colour here.
const stateBadge: Readonly<Record<string, string>> = {
  pending: 'badge badge-warn',
  approved: 'badge badge-allow',
  consumed: 'badge badge-allow',
  denied: 'badge badge-deny',
  expired: 'badge badge-deny',
  abandoned: 'badge badge-deny',
  cancelled: 'badge badge-deny',
};

type Vote = NonNullable<ApprovalSummaryView['votes']>[number];

/** Whom the IdP authenticated for one verdict, and when (the attestation kept in the ledger). */
function AttestedBy({ vote }: { vote: Vote }) {
  const attestation = vote.attestation;
  if (!attestation) return null;
  return (
    <>
      attested by <strong>{attestation.name ?? attestation.subject}</strong> (IdP subject{' '}
      <code>{attestation.subject}</code>) at <When iso={attestation.authTime} />
    </>
  );
}

/**
 * One of the request's ledger records: a link into this console's Evidence screen, or, for a
 * connected tenant's queue, the central ledger's number, which no record here has.
 */
function RecordRef({ request, seq }: { request: ApprovalSummaryView; seq: number }) {
  if (request.recordsIn === 'central') {
    return (
      <span
        data-testid="central-record"
        title="In the control plane's central ledger, not this machine's: export it with cavra evidence export --central"
      >
        central record #{seq}
      </span>
    );
  }
  return <a href={linkTo('evidence', request.tenant, seq)}>record #{seq}</a>;
}

/** One verdict in words: who, what, when, why, and whether the IdP attested it. */
function VoteLine({ vote, attest, request }: { vote: Vote; attest: 'none' | 'idp'; request: ApprovalSummaryView }) {
  return (
    <>
      {vote.verdict === 'approve' ? 'Approved' : 'Denied'} by {vote.byDisplayName ?? vote.by}, <When iso={vote.at} />
      {vote.reason && (
        <>
          {' '}
          — <q>{vote.reason}</q>
        </>
      )}
      {vote.attestation ? (
        <>
          ; <AttestedBy vote={vote} />
        </>
      ) : (
        attest === 'idp' && <strong className="text-deny">; attestation missing</strong>
      )}
      {vote.seq != null && (
        <>
          {' '}
          · <RecordRef request={request} seq={vote.seq} />
        </>
      )}
    </>
  );
}

/** What the route asks of a verdict's attestation, and what this request has. */
function attestationStatus(request: ApprovalSummaryView): { text: string; missing: boolean } {
  if (request.attest !== 'idp') return { text: 'Not required on this route', missing: false };
  const votes = request.votes ?? [];
  if (request.state === 'pending' && votes.length === 0) {
    return {
      text: 'Required: each verdict needs a fresh sign-in at the tenant IdP, bound to this request, action and verdict',
      missing: false,
    };
  }
  const unattested = votes.filter((vote) => vote.attestation === null).length;
  if (votes.length === 0) return { text: 'Required; no verdict was given', missing: false };
  return unattested === 0
    ? { text: `Attested: every verdict (${votes.length}) carries the IdP's signed token`, missing: false }
    : { text: `Missing for ${unattested} of ${votes.length} verdicts (no IdP sign-in was available)`, missing: true };
}

function When({ iso }: { iso: string }) {
  return <time dateTime={iso}>{new Date(iso).toLocaleString()}</time>;
}

const verdictStates = new Set(['approved', 'consumed', 'denied']);

/** The request's life so far, each step with its own ledger record where there is one. */
function History({ request }: { request: ApprovalSummaryView }) {
  const decided = request.state !== 'pending' && request.decidedAt !== null;
  const votes = request.votes ?? [];
  const attest = request.attest ?? 'none';
  // Each verdict is its own line when there are several (N-of-M) or one carries an attestation.
  const voteLines = votes.length > 1 || votes.some((vote) => vote.attestation !== null);
  const verdict = verdictStates.has(request.state);
  // The verdict's own record: once the request is used, its state record is the consumption.
  const verdictSeq = votes.at(-1)?.seq ?? (request.state === 'consumed' ? null : (request.stateSeq ?? null));
  const endingSeq = verdict ? verdictSeq : (request.stateSeq ?? null);
  // With the verdicts on their own lines, the ending repeats them unless it adds something.
  const ending = decided && (!voteLines || !verdict || request.breakGlass);
  return (
    <ol className="history" data-testid="approval-history">
      <li>
        Requested by {request.agent?.id ?? 'an agent'} through {request.adapter}, <When iso={request.createdAt} />
        {request.requestedSeq != null ? (
          <>
            {' '}
            · <RecordRef request={request} seq={request.requestedSeq} />
          </>
        ) : (
          <span className="muted"> · not yet recorded</span>
        )}
      </li>
      {voteLines &&
        votes.map((vote) => (
          <li key={`${vote.by}-${vote.at}`} data-testid="approval-vote">
            <VoteLine vote={vote} attest={attest} request={request} />
          </li>
        ))}
      {ending && (
        <li data-testid="approval-ending">
          {endingWords(request, votes.at(-1)?.byDisplayName ?? null)}, <When iso={request.decidedAt as string} />
          {request.decisionReason && !voteLines && (
            <>
              {' '}
              — <q>{request.decisionReason}</q>
            </>
          )}
          {endingSeq != null && endingSeq !== request.requestedSeq && !(voteLines && verdict) && (
            <>
              {' '}
              · <RecordRef request={request} seq={endingSeq} />
            </>
          )}
        </li>
      )}
      {(request.state === 'approved' || request.consumedAt !== null) && (
        <li>
          {request.consumedAt ? (
            <>
              Used by the action it approves, <When iso={request.consumedAt} /> (once; it allows nothing more)
              {request.state === 'consumed' && request.stateSeq != null && (
                <>
                  {' '}
                  · <RecordRef request={request} seq={request.stateSeq} />
                </>
              )}
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
function writeContent(
  request: ApprovalSummaryView,
  action: Record<string, unknown> | undefined,
): { path: string; text: string } | undefined {
  const { content, path } = action ?? {};
  if (request.actionType !== 'write_file' || typeof content !== 'string') return undefined;
  return { path: typeof path === 'string' ? path : request.target, text: content };
}

/**
 * One request in full: what the agent wants to do in words (the decision card the core
 * recorded), why it needs a person, who is asking for whom, how long it can wait, its history.
 * The queue lists requests without their actions; the exact action arrives with `action`
 * (`approvals.get`) once the reviewer rests on the request.
 */
export function ApprovalDetail({
  request,
  action,
  actionError,
  now,
  onDecide,
  onBreakGlass,
}: {
  request: ApprovalSummaryView;
  /** The exact action (undefined while it loads). */
  action: Record<string, unknown> | undefined;
  actionError?: string | null;
  now: number;
  onDecide: (verdict: 'approve' | 'deny') => void;
  /** Offered to holders of the `break_glass` role only (the core refuses everyone else). */
  onBreakGlass?: (() => void) | undefined;
}) {
  // Read the decision record only once the request itself is recorded: until then the gate
  // that opened it is still writing to the ledger. A central record is not in this console's ledger.
  const decisionSeq =
    request.requestedSeq != null && request.recordsIn !== 'central' ? (request.decisionSeq ?? null) : null;
  const decision = useLedgerRecord(request.tenant, decisionSeq);
  // The real end of the decision window: the waiting agent's or the route's, whichever is sooner.
  const end = realEnd(request);
  const left = Date.parse(end.at) - now;
  const tally = approvalTally(request);
  const attestation = attestationStatus(request);
  const content = writeContent(request, action);
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
          {onBreakGlass && !request.breakGlass && (
            <button type="button" className="secondary break-glass-button" onClick={onBreakGlass}>
              Break glass…
            </button>
          )}
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
              in {formatDuration(left)} (<When iso={end.at} />
              ); {end.by === 'wait' ? 'then the agent stops waiting and is refused' : 'then it is denied'}
            </dd>
          </>
        )}
        {request.breakGlass && (
          <>
            <dt>Break-glass</dt>
            <dd data-testid="approval-break-glass" className="break-glass">
              <strong>Approved outside the route</strong> by {request.breakGlass.by},{' '}
              <When iso={request.breakGlass.at} />: <q>{request.breakGlass.justification}</q>. Usable until{' '}
              <When iso={request.breakGlass.validUntil} />. A critical finding was raised (AISPM posture) and the
              tenant&apos;s escalation contacts are notified.
            </dd>
          </>
        )}
        <dt>Who decides</dt>
        <dd data-testid="approval-approvers">
          {request.approverGroups && request.approverGroups.length > 0
            ? `Members of ${request.approverGroups.join(', ')}`
            : 'The route’s reviewers'}
          {tally ? (
            <>
              {'; '}
              <strong>
                {tally.approvals} of {tally.required} distinct approvals
              </strong>
              {request.state === 'pending' && tally.approvals < tally.required
                ? ` so far — ${tally.required - tally.approvals} more needed`
                : ''}
            </>
          ) : (
            '; one approval'
          )}
          ; never the requester or the agent’s OS user
        </dd>
        <dt>Attestation</dt>
        <dd data-testid="approval-attestation" className={attestation.missing ? 'text-deny' : undefined}>
          {attestation.text}
        </dd>
        {request.allowReuse && (
          <>
            <dt>Approve for retry</dt>
            <dd data-testid="approval-retry">
              This route allows it: an approval given after the agent stopped waiting lets one identical retry through
              until <When iso={request.expiresAt} />.
            </dd>
          </>
        )}
        <dt>Agent</dt>
        <dd>
          {request.agent?.id ?? '—'}
          {request.agent?.session && <span className="muted"> session {request.agent.session}</span>}
        </dd>
        {request.agentPrincipal && (
          <>
            {/* Who really asked: the credential the gate authenticated, not what the agent says it is. */}
            <dt>Credential</dt>
            <dd data-testid="approval-credential">
              <code>{request.agentPrincipal}</code>
              {request.recordsIn === 'central' && (
                <span className="muted"> (the machine enrolled with the control plane that raised it)</span>
              )}
            </dd>
          </>
        )}
        <dt>On behalf of</dt>
        <dd>
          {request.requester ?? <span className="muted">unknown (not verified by the gate)</span>}
          {/* The control plane cannot see the machine's OS users: this is what that machine's gate verified. */}
          {request.requester && request.recordsIn === 'central' && (
            <span className="muted"> (as the machine's gate verified it)</span>
          )}
        </dd>
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
      {actionError && <p role="alert">The exact action could not be read: {actionError}</p>}
      <details className="raw-json" data-testid="approval-raw">
        <summary>Exact action as the agent sent it (JSON)</summary>
        <pre className="json" tabIndex={0} aria-label="Exact action">
          {action ? JSON.stringify(action, null, 2) : 'Loading the exact action…'}
        </pre>
      </details>
      <div className="actions">
        <CopyJsonButton value={action ? { ...request, action } : request} what={`approval request ${request.id}`} />
        <PrintButton />
      </div>
    </div>
  );
}
