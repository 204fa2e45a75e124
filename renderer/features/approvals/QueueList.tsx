import { useEffect, useImperativeHandle, useLayoutEffect, useRef, useState } from 'react';
import type { KeyboardEvent, Ref } from 'react';
import type { ApprovalSummaryView } from '../../../core/contract';
import { formatDuration } from '../../components/useNow';
import { approvalTally, realEnd } from './words';

/** Every row has this height (CSS `.queue-item`), so a row's place is its index times it. */
export const QUEUE_ROW_PX = 64;
/** Rows rendered above and below the visible ones, so fast scrolling shows no blank rows. */
const OVERSCAN = 8;

/** What the screen may do with the list: put focus in it. */
export interface QueueListHandle {
  focus(): void;
}

/** Focus may move into the list only from where opening a screen leaves it, never from where a person put it. */
function focusIsUnclaimed(): boolean {
  const active = document.activeElement;
  return (
    active === null ||
    active === document.body ||
    active.id === 'screen-heading' ||
    (active instanceof HTMLElement && active.classList.contains('nav-item'))
  );
}

export const optionId = (id: string) => `approval-${id}`;

/**
 * The request list: an APG listbox that keeps focus on itself and points at the active
 * request with `aria-activedescendant`, so it works with only the visible rows in the DOM
 * (10,000 pending render as fast as 20). Rows carry their position in the whole queue for
 * screen readers; rows not loaded yet are placeholders until their page arrives, which
 * `onNeedRows` asks for when they come into view.
 */
export function QueueList({
  items,
  total,
  onNeedRows,
  activeIndex,
  label,
  now,
  listRef,
  focusRequest,
  onActivate,
  onKeyDown,
}: {
  items: readonly ApprovalSummaryView[];
  /** How many requests the queue has in all (loaded or not): the list's height and each row's set size. */
  total: number;
  /** Rows up to this index are in view (or about to be): load them. */
  onNeedRows: (lastIndex: number) => void;
  activeIndex: number;
  label: string;
  now: number;
  /** The list element: the screen focuses it; it is also the scrolling viewport. */
  listRef: Ref<QueueListHandle>;
  /** The shell's count of "focus the screen" requests: each one, and the list appearing, brings focus in. */
  focusRequest: number;
  onActivate: (index: number) => void;
  onKeyDown: (event: KeyboardEvent, pageRows: number) => void;
}) {
  const scroller = useRef<HTMLDivElement | null>(null);
  useImperativeHandle(listRef, () => ({ focus: () => scroller.current?.focus() }), []);
  const [view, setView] = useState({ top: 0, height: 480 });

  // Keyboard from the first keystroke: when the list appears (the screen opens, or the first
  // request arrives in an empty queue) focus moves into it — after the shell has put focus on
  // the heading (a timeout runs after the shell's effect), and never away from a control.
  useEffect(() => {
    const timer = setTimeout(() => {
      if (focusIsUnclaimed()) scroller.current?.focus();
    }, 0);
    return () => clearTimeout(timer);
  }, [focusRequest]);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const measure = () => setView({ top: element.scrollTop, height: element.clientHeight || 480 });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  // The active row is always scrolled into view (keyboard moves, the next request after a decision).
  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element || activeIndex < 0) return;
    const top = activeIndex * QUEUE_ROW_PX;
    if (top < element.scrollTop) element.scrollTop = top;
    else if (top + QUEUE_ROW_PX > element.scrollTop + element.clientHeight)
      element.scrollTop = top + QUEUE_ROW_PX - element.clientHeight;
    setView({ top: element.scrollTop, height: element.clientHeight || 480 });
  }, [activeIndex, items.length]);

  const size = Math.max(total, items.length);
  const first = Math.max(0, Math.floor(view.top / QUEUE_ROW_PX) - OVERSCAN);
  const last = Math.min(size, Math.ceil((view.top + view.height) / QUEUE_ROW_PX) + OVERSCAN);
  // Scrolled (or about to scroll) past what is loaded: the next page is asked for.
  useEffect(() => {
    if (last > items.length) onNeedRows(last - 1);
  }, [last, items.length, onNeedRows]);
  const indexes: number[] = [];
  for (let i = first; i < last; i++) indexes.push(i);
  // The active descendant must exist in the DOM even while it is scrolled away.
  if (activeIndex >= 0 && activeIndex < items.length && (activeIndex < first || activeIndex >= last))
    indexes.push(activeIndex);
  const active = items[activeIndex];
  const pageRows = Math.max(1, Math.floor(view.height / QUEUE_ROW_PX) - 1);

  return (
    <div
      ref={scroller}
      className="queue-list"
      role="listbox"
      tabIndex={0}
      aria-label={label}
      aria-activedescendant={active ? optionId(active.id) : undefined}
      onKeyDown={(event) => onKeyDown(event, pageRows)}
      onScroll={(event) =>
        setView({ top: event.currentTarget.scrollTop, height: event.currentTarget.clientHeight || 480 })
      }
      data-testid="approval-list"
      data-count={size}
      data-loaded={items.length}
    >
      <div className="queue-rows" style={{ height: size * QUEUE_ROW_PX }}>
        {indexes.map((index) => {
          const request = items[index];
          if (!request) {
            return (
              <div
                key={`loading-${index}`}
                className="queue-item queue-loading muted small"
                style={{ top: index * QUEUE_ROW_PX }}
                aria-hidden="true"
              >
                Loading…
              </div>
            );
          }
          const left = Date.parse(realEnd(request).at) - now;
          const tally = approvalTally(request);
          return (
            <div
              key={request.id}
              id={optionId(request.id)}
              role="option"
              aria-selected={index === activeIndex}
              aria-setsize={size}
              aria-posinset={index + 1}
              className="queue-item"
              style={{ top: index * QUEUE_ROW_PX }}
              onClick={() => onActivate(index)}
            >
              <div className="queue-target">
                <code>{request.target}</code>
              </div>
              <div className="queue-meta muted small">
                {request.agent?.id ?? 'agent'} · {request.ruleId ?? request.route} · asked{' '}
                {formatDuration(now - Date.parse(request.createdAt))} ago
                {tally && ` · ${tally.approvals} of ${tally.required} approvals`}
                {request.breakGlass && <strong className="text-deny"> · break-glass</strong>}
                {request.state === 'pending' ? (
                  <span className={left < 60_000 ? 'text-deny' : undefined}> · expires in {formatDuration(left)}</span>
                ) : (
                  <span> · {request.state}</span>
                )}
              </div>
            </div>
          );
        })}
      </div>
    </div>
  );
}
