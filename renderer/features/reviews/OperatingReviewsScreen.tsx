import { useState } from 'react';
import type { FormEvent } from 'react';
import type { ReviewKind, ReviewPacket } from '../../../core/contract';
import { useCompleteReview, useReviewPacket, useReviews } from '../../api/aispm';
import { useUi } from '../../state/ui';

const stateText = { scheduled: 'Scheduled', due_soon: 'Due soon', overdue: 'Overdue' } as const;

/** Operating reviews (SPEC §9): what is due, the packet for each, and who completed it. */
export function OperatingReviewsScreen() {
  const tenant = useUi((state) => state.tenant);
  const reviews = useReviews(tenant);
  const [open, setOpen] = useState<ReviewKind | null>(null);
  if (!tenant) return <p className="muted">Select a tenant first.</p>;
  const list = reviews.data?.reviews ?? [];
  const overdue = list.filter((r) => r.state === 'overdue').length;
  return (
    <div className="stack wide">
      <section className="card" aria-labelledby="reviews-heading">
        <h2 id="reviews-heading">Scheduled reviews</h2>
        <p className="muted small">
          Each review is due one cadence after the last completion (or after the ledger began). An overdue review is a
          finding until someone reads its packet and completes it; completion is recorded in the evidence ledger with
          the reviewer, their notes and the packet's digest.
        </p>
        {reviews.isError && <p role="alert">{reviews.error.message}</p>}
        {overdue > 0 && (
          <p className="notice notice-deny" data-testid="overdue-notice">
            {overdue} review{overdue === 1 ? ' is' : 's are'} overdue.
          </p>
        )}
        <table className="table" data-testid="reviews-table">
          <thead>
            <tr>
              <th scope="col">Review</th>
              <th scope="col">Every</th>
              <th scope="col">Due</th>
              <th scope="col">State</th>
              <th scope="col">Last completed</th>
              <th scope="col">
                <span className="sr-only">Open</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((review) => (
              <tr key={review.kind} aria-selected={review.kind === open} data-review={review.kind}>
                <td className="summary-cell">
                  <strong>{review.title}</strong>
                  <div className="muted small">{review.purpose}</div>
                </td>
                <td>{review.cadenceDays} days</td>
                <td>{review.dueAt ? new Date(review.dueAt).toLocaleDateString() : '—'}</td>
                <td>
                  <span className={`review-state review-${review.state}`}>{stateText[review.state]}</span>
                </td>
                <td className="small">
                  {review.lastCompleted ? (
                    <>
                      {review.lastCompleted.by}
                      <div className="muted">{new Date(review.lastCompleted.at).toLocaleString()}</div>
                    </>
                  ) : (
                    <span className="muted">Never</span>
                  )}
                </td>
                <td>
                  <button
                    type="button"
                    className="secondary"
                    onClick={() => setOpen(review.kind === open ? null : review.kind)}
                    aria-expanded={review.kind === open}
                    aria-label={`${review.kind === open ? 'Close' : 'Open'} the ${review.title}`}
                  >
                    {review.kind === open ? 'Close' : 'Open'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {open && <ReviewPacketView key={open} tenant={tenant} kind={open} onDone={() => setOpen(null)} />}
    </div>
  );
}

function ReviewPacketView({ tenant, kind, onDone }: { tenant: string; kind: ReviewKind; onDone: () => void }) {
  const packet = useReviewPacket(tenant, kind);
  const complete = useCompleteReview(tenant);
  const announce = useUi((state) => state.announce);
  const [notes, setNotes] = useState('');

  function submit(event: FormEvent, current: ReviewPacket) {
    event.preventDefault();
    complete.mutate(
      { kind, packetSha256: current.sha256, notes },
      {
        onSuccess: (review) => {
          announce(`${review.title} completed by ${review.lastCompleted?.by ?? 'you'}`);
          onDone();
        },
      },
    );
  }

  if (packet.isError) return <p role="alert">{packet.error.message}</p>;
  if (!packet.data) return <p className="muted">Preparing the review packet…</p>;
  const current = packet.data;
  return (
    <section className="card" aria-labelledby="packet-heading" data-testid="review-packet">
      <h2 id="packet-heading">{current.title}: review packet</h2>
      <p className="muted small">
        Records {current.period.fromSeq} to {current.period.toSeq}
        {current.period.from && ` (${new Date(current.period.from).toLocaleString()} – `}
        {current.period.to && `${new Date(current.period.to).toLocaleString()})`} · made{' '}
        {new Date(current.generatedAt).toLocaleString()} · SHA-256 <code>{current.sha256.slice(0, 16)}…</code>
      </p>
      {current.sections.map((section) => (
        <PacketSection key={section.title} section={section} />
      ))}
      <form className="form wide-form" onSubmit={(event) => submit(event, current)} aria-label="Complete the review">
        <div className="field">
          <label htmlFor="review-notes">Your notes (recorded as evidence)</label>
          <textarea
            id="review-notes"
            rows={4}
            value={notes}
            onChange={(event) => setNotes(event.target.value)}
            required
            placeholder="What you checked, what you found, who follows up."
          />
        </div>
        {complete.isError && (
          <p role="alert" className="field-error">
            {complete.error.message}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={complete.isPending || notes.trim() === ''}>
            Complete review
          </button>
        </div>
      </form>
    </section>
  );
}

function PacketSection({ section }: { section: ReviewPacket['sections'][number] }) {
  const showEvidence = useUi((state) => state.showEvidence);
  return (
    <section className="packet-section">
      <h3>{section.title}</h3>
      <p className="small">{section.summary}</p>
      {section.items.length > 0 && (
        <ul className="packet-items">
          {section.items.map((item, index) => (
            <li key={`${index}-${item.text}`}>
              {item.text}{' '}
              {item.findingId ? (
                <button
                  type="button"
                  className="link small"
                  onClick={() =>
                    showEvidence({ kind: 'finding', findingId: item.findingId as string, title: item.text })
                  }
                >
                  evidence
                </button>
              ) : item.seqs.length > 0 ? (
                <button
                  type="button"
                  className="link small"
                  onClick={() => showEvidence({ kind: 'records', seqs: item.seqs, title: item.text })}
                >
                  record{item.seqs.length === 1 ? '' : 's'}
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
