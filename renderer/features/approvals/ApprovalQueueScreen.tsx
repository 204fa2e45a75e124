import { useEffect, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';
import { approvalStateSchema } from '../../../core/contract';
import type { ApprovalRequestView } from '../../../core/contract';
import { useSessionStatus } from '../../api/access';
import { PENDING_LIMIT, useApprovalRequest, useApprovalRequests, useDecideApproval } from '../../api/approvals';
import { useShortcuts } from '../../components/shortcuts';
import { useNow } from '../../components/useNow';
import { usePreferences } from '../../state/preferences';
import { useUi } from '../../state/ui';
import { ApprovalDetail } from './ApprovalDetail';
import { DecisionDialog } from './DecisionDialog';
import { QueueList } from './QueueList';
import type { QueueListHandle } from './QueueList';
import { decisionAnnouncement, stepUpAnnouncement } from './words';

type View = 'pending' | 'decided';
// Every state but pending, as the contract lists them (new lifecycle states show up by themselves).
const decidedStates = approvalStateSchema.options.filter((state) => state !== 'pending');

/**
 * The reviewer's queue: keyboard from the first keystroke (focus lands in the list as soon
 * as it has requests), the exact action in words, decide with a reason, then on to the next.
 * The view and the open request live in the address (`#/approvals/apr_…?view=decided`).
 */
export function ApprovalQueueScreen() {
  const tenant = useUi((state) => state.route.tenant);
  const { item, filters } = useUi((state) => state.route);
  const focusRequest = useUi((state) => state.focusRequest);
  const setFilters = useUi((state) => state.setFilters);
  const open = useUi((state) => state.open);
  const announce = useUi((state) => state.announce);
  const shortcuts = usePreferences((state) => state.shortcuts);
  const setShortcuts = usePreferences((state) => state.setShortcuts);
  const linked = useApprovalRequest(tenant, item);
  const shell = useSessionStatus().data?.shell;
  // Back from a step-up sign-in (`?stepup=approve|deny|failed`): the shell recorded the verdict
  // (or says why not); the reviewer carries on in the pending view.
  const stepUpReturn = filters.stepup ?? null;
  // A link to a decided request opens the decided view, unless the address says otherwise.
  const view: View =
    filters.view === 'decided' || filters.view === 'pending'
      ? filters.view
      : stepUpReturn !== null
        ? 'pending'
        : linked.data && linked.data.state !== 'pending'
          ? 'decided'
          : 'pending';
  // A verdict waiting for its step-up sign-in in the system browser (desktop app).
  const [awaitingStepUp, setAwaitingStepUp] = useState<string | null>(null);
  // The page was loaded by the return from the step-up, so its answer is read once, here.
  const [stepUpError] = useState<string | null>(() =>
    filters.stepup === 'failed'
      ? (filters.stepupError ?? 'the sign-in did not confirm the verdict; nothing was recorded')
      : null,
  );
  const setView = (next: View) => {
    setFilters({ view: next });
    open(null, { replace: true });
  };
  const requests = useApprovalRequests(tenant, view === 'pending' ? ['pending'] : decidedStates);
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
    { keys: 'Page Down / Page Up', description: 'A screenful down / up' },
    { keys: 'Home / End', description: 'First / last request' },
    { keys: 'a', description: 'Approve the request (asks for confirmation; Cancel is focused)' },
    { keys: 'd', description: 'Deny the request (asks for a reason; the reason field is focused)' },
    { keys: 'Escape', description: 'Close the dialog without deciding' },
  ]);
  const [dialog, setDialog] = useState<'approve' | 'deny' | null>(null);
  const list = useRef<QueueListHandle | null>(null);
  const now = useNow();
  const items = requests.data?.requests ?? [];
  const wanted = cursor.id ?? item;
  const found = items.findIndex((r) => r.id === wanted);
  const activeIndex = items.length === 0 ? -1 : found >= 0 ? found : Math.min(cursor.index, items.length - 1);
  // A linked request outside this list (older than the newest ones loaded) still opens.
  const fromLink = found < 0 && item !== null && linked.data?.id === item ? linked.data : undefined;
  const active: ApprovalRequestView | undefined = fromLink ?? items[activeIndex];

  function move(to: number) {
    const next = items[Math.max(0, Math.min(items.length - 1, to))];
    if (next) setCursor({ id: next.id, index: items.indexOf(next) });
  }

  function onKeyDown(event: KeyboardEvent, pageRows: number) {
    const single = shortcuts && !event.ctrlKey && !event.metaKey && !event.altKey;
    if (event.key === 'ArrowDown' || (single && event.key === 'j')) move(activeIndex + 1);
    else if (event.key === 'ArrowUp' || (single && event.key === 'k')) move(activeIndex - 1);
    else if (event.key === 'PageDown') move(activeIndex + pageRows);
    else if (event.key === 'PageUp') move(activeIndex - pageRows);
    else if (event.key === 'Home') move(0);
    else if (event.key === 'End') move(items.length - 1);
    else if (single && event.key === 'a' && active?.state === 'pending') setDialog('approve');
    else if (single && event.key === 'd' && active?.state === 'pending') setDialog('deny');
    else return;
    event.preventDefault();
  }

  // Back from the step-up: say what was recorded (read back from the core, not taken from the
  // address), then drop the marker so a reload does not say it again; focus stays in the list.
  useEffect(() => {
    if (stepUpReturn === null || !requests.data) return;
    if (stepUpReturn === 'failed') {
      announce(`Your verdict was not recorded: ${stepUpError ?? ''}`);
      setFilters({ stepup: '', stepupError: '', view: 'pending' });
      return;
    }
    if (!linked.data) return;
    // The decided request has left the pending list, so the cursor falls on the first one left.
    const rest = requests.data.requests.filter((r) => r.id !== linked.data.id);
    const next = rest[0] ?? null;
    announce(stepUpAnnouncement(linked.data, rest.length, next));
    setFilters({ stepup: '', stepupError: '', view: 'pending' });
    open(next?.id ?? null, { replace: true });
    setTimeout(() => list.current?.focus(), 0);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- runs once per return, when both answers are in
  }, [stepUpReturn, requests.data, linked.data]);

  function confirm(reason: string) {
    if (!active || !dialog) return;
    const index = Math.max(0, activeIndex);
    decide.mutate(
      { id: active.id, verdict: dialog, ...(reason ? { reason } : {}) },
      {
        onSuccess: (request) => {
          if (request.stepUp) {
            // An attested route: the verdict counts only after a fresh sign-in at the IdP
            // that commits to this request, action and verdict. Nothing is recorded yet.
            announce(`Sign in again to confirm: ${dialog === 'approve' ? 'approve' : 'deny'} ${request.target}.`);
            if (shell === 'browser') window.location.assign(request.stepUp.authorizationUrl);
            else setAwaitingStepUp(request.target);
            return;
          }
          setDialog(null);
          // Focus moves on to the next request in the queue (HOUSE rule 8); the list keeps focus.
          const rest = items.filter((r) => r.id !== request.id);
          const next = view === 'pending' ? rest[Math.min(index, rest.length - 1)] : request;
          announce(decisionAnnouncement(request, view === 'pending' ? rest.length : null, next ?? null));
          setCursor({ id: next?.id ?? null, index });
          setTimeout(() => list.current?.focus(), 0);
        },
      },
    );
  }

  if (!tenant) return <p className="muted">Select a tenant first.</p>;
  const full = view === 'pending' && items.length >= PENDING_LIMIT;
  const countText = requests.data
    ? ` (${full ? `${items.length.toLocaleString()}+` : items.length.toLocaleString()})`
    : '';
  return (
    <div className="stack wide">
      <section className="card" aria-labelledby="queue-heading">
        <div className="card-head queue-head">
          <div className="segmented" role="group" aria-label="Show">
            <button type="button" aria-pressed={view === 'pending'} onClick={() => setView('pending')}>
              Pending{view === 'pending' ? countText : ''}
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
        {stepUpError && (
          <p role="alert" className="field-error" data-testid="step-up-error">
            Your verdict was not recorded: {stepUpError}
          </p>
        )}
        {full && (
          <p className="muted small" data-testid="queue-truncated">
            Showing the newest {items.length.toLocaleString()} pending requests; more are waiting. Decide these first,
            or use <code>cavra approvals list</code>.
          </p>
        )}
        {requests.data && items.length === 0 ? (
          <p className="muted" data-testid="queue-empty">
            {view === 'pending'
              ? 'No requests are waiting. Actions that need approval appear here the moment an agent asks.'
              : 'No decided requests yet.'}
          </p>
        ) : null}
        {items.length === 0 && fromLink && (
          <div className="queue single">
            <ApprovalDetail request={fromLink} now={now} onDecide={setDialog} />
          </div>
        )}
        {items.length > 0 && (
          <div className="queue">
            <QueueList
              items={items}
              activeIndex={found < 0 && fromLink ? -1 : activeIndex}
              label={view === 'pending' ? `Pending approval requests, ${items.length}` : 'Decided approval requests'}
              now={now}
              listRef={list}
              focusRequest={focusRequest}
              onActivate={(index) => {
                move(index);
                list.current?.focus();
              }}
              onKeyDown={onKeyDown}
            />
            {active && <ApprovalDetail request={active} now={now} onDecide={setDialog} />}
          </div>
        )}
      </section>
      {dialog && active && (
        <DecisionDialog
          request={active}
          verdict={dialog}
          pending={decide.isPending || awaitingStepUp !== null}
          stepUp={awaitingStepUp !== null}
          error={decide.error?.message ?? null}
          onConfirm={confirm}
          onCancel={() => {
            setDialog(null);
            setAwaitingStepUp(null);
            decide.reset();
            list.current?.focus();
          }}
        />
      )}
    </div>
  );
}
