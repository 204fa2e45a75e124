import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';
import { approvalStateSchema } from '../../../core/contract';
import type { ApprovalRequestView, ApprovalSummaryView } from '../../../core/contract';
import { useSessionStatus } from '../../api/access';
import {
  useApprovalQueue,
  useApprovalRequest,
  useBreakGlass,
  useDecideApproval,
  usePendingCount,
} from '../../api/approvals';
import { useTenants } from '../../api/queries';
import { useShortcuts } from '../../components/shortcuts';
import { useNow } from '../../components/useNow';
import { usePreferences } from '../../state/preferences';
import { useUi } from '../../state/ui';
import { ApprovalDetail } from './ApprovalDetail';
import { BreakGlassDialog } from './BreakGlassDialog';
import { DecisionDialog } from './DecisionDialog';
import { QueueList } from './QueueList';
import type { QueueListHandle } from './QueueList';
import { decisionAnnouncement, stepUpAnnouncement } from './words';

type View = 'pending' | 'decided';
// Every state but pending, as the contract lists them (new lifecycle states show up by themselves).
const decidedStates = approvalStateSchema.options.filter((state) => state !== 'pending');
const pendingStates = ['pending' as const];
/** How long the cursor rests on a request before its exact action is fetched (holding j skims past). */
const SETTLE_MS = 120;

/** `value`, once it has stayed the same for `ms`. */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

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
  // The open request with its exact action (the list carries none): a deep link at once, a
  // request the cursor moves onto once it rests there.
  const linked = useApprovalRequest(tenant, useSettled(item, SETTLE_MS));
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
  const queue = useApprovalQueue(tenant, view === 'pending' ? pendingStates : decidedStates);
  const decide = useDecideApproval(tenant);
  const breakGlass = useBreakGlass(tenant);
  // Break-glass is offered to holders of the role; the core checks it again (and refuses others).
  const mayBreakGlass =
    useTenants()
      .data?.tenants.find((t) => t.id === tenant)
      ?.roles.includes('break_glass') ?? false;
  const pages = queue.data?.pages;
  const items = useMemo(() => pages?.flatMap((page) => page.requests) ?? [], [pages]);
  // The navigation's pending count is polled; the list waits for approval events. Where no event
  // comes (a connected tenant's queue lives on the control plane), a count that no longer matches
  // the list refetches it, so a request raised on another machine appears within one poll.
  const pendingCount = usePendingCount(tenant).data;
  const listedPending = pages?.at(-1)?.pending;
  const { refetch } = queue;
  useEffect(() => {
    if (pendingCount !== undefined && listedPending !== undefined && pendingCount !== listedPending) void refetch();
  }, [pendingCount, listedPending, refetch]);
  // The newest page's count: the queue may have grown or shrunk since the first page.
  const total = Math.max(pages?.at(-1)?.total ?? 0, items.length);
  // The active request, and where it sat: when it leaves the list (decided), its neighbour takes over.
  const [cursor, setCursorState] = useState<{ id: string | null; index: number }>({ id: item, index: 0 });
  const setCursor = (next: { id: string | null; index: number }) => {
    setCursorState(next);
    if (next.id !== item) open(next.id, { replace: true });
  };
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = queue;
  // Scrolling near the end of what is loaded asks for the next page.
  const loadThrough = useCallback(
    (index: number) => {
      if (index >= items.length && hasNextPage && !isFetchingNextPage) void fetchNextPage();
    },
    [items.length, hasNextPage, isFetchingNextPage, fetchNextPage],
  );
  // The latest keyboard move: a move that waits for pages is dropped when another one follows.
  const moves = useRef(0);
  useShortcuts('Approval queue (in the request list)', [
    { keys: 'j / ↓', description: 'Next request' },
    { keys: 'k / ↑', description: 'Previous request' },
    { keys: 'Page Down / Page Up', description: 'A screenful down / up' },
    { keys: 'Home / End', description: 'First / last request' },
    { keys: 'a', description: 'Approve the request (asks for confirmation; Cancel is focused)' },
    { keys: 'd', description: 'Deny the request (asks for a reason; the reason field is focused)' },
    { keys: 'Escape', description: 'Close the dialog without deciding' },
  ]);
  const [dialog, setDialog] = useState<'approve' | 'deny' | 'break-glass' | null>(null);
  const list = useRef<QueueListHandle | null>(null);
  const now = useNow();
  const want = cursor.id ?? item;
  const found = items.findIndex((r) => r.id === want);
  const activeIndex = items.length === 0 ? -1 : found >= 0 ? found : Math.min(cursor.index, items.length - 1);
  // A linked request outside the loaded pages still opens.
  const fromLink = found < 0 && item !== null && linked.data?.id === item ? linked.data : undefined;
  const active: ApprovalSummaryView | undefined = fromLink ?? items[activeIndex];
  // The exact action of the request the cursor rests on (the same query as `linked` when the
  // address names it, so one fetch).
  const detail = useApprovalRequest(tenant, useSettled(active?.id ?? null, SETTLE_MS));
  const shown = detail.data?.id === active?.id ? detail.data : undefined;

  // Keyboard across page boundaries: j on the last loaded row, End, Page Down into rows not
  // loaded yet — the pages load in turn and the cursor lands where the reviewer asked.
  function move(to: number) {
    const target = Math.max(0, Math.min(total - 1, to));
    const ticket = ++moves.current;
    const land = (loaded: readonly ApprovalSummaryView[]) => {
      const index = Math.min(target, loaded.length - 1);
      const next = loaded[index];
      if (next && ticket === moves.current) setCursor({ id: next.id, index });
    };
    if (target < items.length || !hasNextPage) return land(items);
    void (async () => {
      let result = await fetchNextPage();
      const loadedOf = () => result.data?.pages.flatMap((page) => page.requests) ?? [];
      while (result.hasNextPage && loadedOf().length <= target && ticket === moves.current && !result.isError) {
        result = await fetchNextPage();
      }
      land(loadedOf());
    })();
  }

  function onKeyDown(event: KeyboardEvent, pageRows: number) {
    const single = shortcuts && !event.ctrlKey && !event.metaKey && !event.altKey;
    if (event.key === 'ArrowDown' || (single && event.key === 'j')) move(activeIndex + 1);
    else if (event.key === 'ArrowUp' || (single && event.key === 'k')) move(activeIndex - 1);
    else if (event.key === 'PageDown') move(activeIndex + pageRows);
    else if (event.key === 'PageUp') move(activeIndex - pageRows);
    else if (event.key === 'Home') move(0);
    else if (event.key === 'End') move(total - 1);
    else if (single && event.key === 'a' && active?.state === 'pending') setDialog('approve');
    else if (single && event.key === 'd' && active?.state === 'pending') setDialog('deny');
    else return;
    event.preventDefault();
  }

  // Back from the step-up: say what was recorded (read back from the core, not taken from the
  // address), then drop the marker so a reload does not say it again; focus stays in the list.
  useEffect(() => {
    if (stepUpReturn === null || !pages) return;
    if (stepUpReturn === 'failed') {
      announce(`Your verdict was not recorded: ${stepUpError ?? ''}`);
      setFilters({ stepup: '', stepupError: '', view: 'pending' });
      return;
    }
    if (!linked.data) return;
    // The decided request has left the pending list, so the cursor falls on the first one left.
    const rest = items.filter((r) => r.id !== linked.data.id);
    const next = rest[0] ?? null;
    announce(stepUpAnnouncement(linked.data, Math.max(0, total - 1), next));
    setFilters({ stepup: '', stepupError: '', view: 'pending' });
    open(next?.id ?? null, { replace: true });
    setTimeout(() => list.current?.focus(), 0);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- runs once per return, when both answers are in
  }, [stepUpReturn, pages, linked.data]);

  /** What the core answered: a step-up to finish in the browser, or the recorded outcome (then on to the next). */
  function settled(request: ApprovalRequestView, what: string, index: number) {
    if (request.stepUp) {
      // An attested verdict counts only after a fresh sign-in at the IdP that commits to this
      // request, action and verdict. Nothing is recorded yet.
      announce(`Sign in again to confirm: ${what} ${request.target}.`);
      if (shell === 'browser') window.location.assign(request.stepUp.authorizationUrl);
      else setAwaitingStepUp(request.target);
      return;
    }
    setDialog(null);
    // Focus moves on to the next request in the queue (HOUSE rule 8); the list keeps focus.
    const rest = items.filter((r) => r.id !== request.id);
    const next = view === 'pending' ? rest[Math.min(index, rest.length - 1)] : request;
    // Still pending (the first of N approvals) stays in the count.
    const left = request.state === 'pending' ? total : Math.max(0, total - 1);
    announce(decisionAnnouncement(request, view === 'pending' ? left : null, next ?? null));
    setCursor({ id: next?.id ?? null, index });
    setTimeout(() => list.current?.focus(), 0);
  }

  function confirm(reason: string) {
    if (!active || (dialog !== 'approve' && dialog !== 'deny')) return;
    const index = Math.max(0, activeIndex);
    const verdict = dialog;
    decide.mutate(
      { id: active.id, verdict, ...(reason ? { reason } : {}) },
      { onSuccess: (request) => settled(request, verdict, index) },
    );
  }

  function confirmBreakGlass(justification: string) {
    if (!active || dialog !== 'break-glass') return;
    const index = Math.max(0, activeIndex);
    breakGlass.mutate(
      { id: active.id, justification },
      { onSuccess: (request) => settled(request, 'break glass and approve', index) },
    );
  }

  const closeDialog = () => {
    setDialog(null);
    setAwaitingStepUp(null);
    decide.reset();
    breakGlass.reset();
    list.current?.focus();
  };
  const offerBreakGlass = mayBreakGlass ? () => setDialog('break-glass') : undefined;

  if (!tenant) return <p className="muted">Select a tenant first.</p>;
  const countText = pages ? ` (${total.toLocaleString()})` : '';
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
        {queue.isError && <p role="alert">{queue.error.message}</p>}
        {stepUpError && (
          <p role="alert" className="field-error" data-testid="step-up-error">
            Your verdict was not recorded: {stepUpError}
          </p>
        )}
        {pages && items.length === 0 ? (
          <p className="muted" data-testid="queue-empty">
            {view === 'pending'
              ? 'No requests are waiting. Actions that need approval appear here the moment an agent asks.'
              : 'No decided requests yet.'}
          </p>
        ) : null}
        {items.length === 0 && fromLink && (
          <div className="queue single">
            <ApprovalDetail
              request={fromLink}
              action={fromLink.action}
              now={now}
              onDecide={setDialog}
              onBreakGlass={offerBreakGlass}
            />
          </div>
        )}
        {items.length > 0 && (
          <div className="queue">
            <QueueList
              items={items}
              total={total}
              onNeedRows={loadThrough}
              activeIndex={found < 0 && fromLink ? -1 : activeIndex}
              label={view === 'pending' ? `Pending approval requests, ${total}` : 'Decided approval requests'}
              now={now}
              listRef={list}
              focusRequest={focusRequest}
              onActivate={(index) => {
                move(index);
                list.current?.focus();
              }}
              onKeyDown={onKeyDown}
            />
            {active && (
              <ApprovalDetail
                request={shown ?? active}
                action={shown?.action}
                actionError={detail.isError ? detail.error.message : null}
                now={now}
                onDecide={setDialog}
                onBreakGlass={offerBreakGlass}
              />
            )}
          </div>
        )}
      </section>
      {(dialog === 'approve' || dialog === 'deny') && active && (
        <DecisionDialog
          request={active}
          verdict={dialog}
          pending={decide.isPending || awaitingStepUp !== null}
          stepUp={awaitingStepUp !== null}
          error={decide.error?.message ?? null}
          onConfirm={confirm}
          onCancel={closeDialog}
        />
      )}
      {dialog === 'break-glass' && active && (
        <BreakGlassDialog
          request={active}
          pending={breakGlass.isPending || awaitingStepUp !== null}
          stepUp={awaitingStepUp !== null}
          error={breakGlass.error?.message ?? null}
          onConfirm={confirmBreakGlass}
          onCancel={closeDialog}
        />
      )}
    </div>
  );
}
