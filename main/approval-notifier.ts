import type { EventEnvelope } from '../core/contract';

/** The part of Electron's `Notification` this uses (a stand-in in tests). */
export interface DesktopNotification {
  on(event: 'click', listener: () => void): unknown;
  show(): void;
}

export interface DesktopNotificationClass {
  new (options: { title: string; body: string; silent?: boolean }): DesktopNotification;
  isSupported(): boolean;
}

export interface ApprovalNotifierOptions {
  Notification: DesktopNotificationClass;
  /** The console window has focus: its queue and nav badge already show the request. */
  windowFocused(): boolean;
  /** Bring the console forward on the approval queue (on one request, when the notice was about one). */
  open(link: string): void;
  /** Requests arriving within this many milliseconds share one notification (an agent burst is one notice). */
  coalesceMs?: number;
}

/**
 * The console's address of the approval queue, or of one request in it, in one tenant. The
 * renderer's route parser reads it (main/approval-notifier.test.ts holds the two together).
 */
export function approvalQueueLink(tenant: string, id: string | null): string {
  const item = id === null ? '' : `/${encodeURIComponent(id)}`;
  return `#/approvals${item}?${new URLSearchParams({ tenant }).toString()}`;
}

/**
 * The desktop notification for new approval requests (SPEC §5: a reviewer at another window
 * learns an agent is waiting). It says that a request waits and in which tenant — never the
 * command, path or arguments: notifications outlive the console on lock screens and in the
 * OS notification history, outside the console's sign-in and roles. Fed by the events the
 * signed-in principal may see; silent while the console window has focus.
 */
export function approvalNotifier(options: ApprovalNotifierOptions): {
  onEvent(envelope: EventEnvelope): void;
  close(): void;
} {
  const coalesceMs = options.coalesceMs ?? 1500;
  // Requests that became pending since the last notification, in arrival order.
  const waiting = new Map<string, string>();
  let timer: ReturnType<typeof setTimeout> | null = null;

  function flush() {
    timer = null;
    const requests = [...waiting.entries()];
    waiting.clear();
    if (requests.length === 0 || options.windowFocused() || !options.Notification.isSupported()) return;
    const tenants = [...new Set(requests.map(([, tenant]) => tenant))];
    const [firstId, firstTenant] = requests[0] as [string, string];
    const one = requests.length === 1;
    const notification = new options.Notification({
      title: one ? 'An agent is waiting for approval' : `${requests.length} agent actions are waiting for approval`,
      body:
        `${one ? 'A request' : 'Requests'} in ${tenants.length === 1 ? `tenant ${firstTenant}` : `${tenants.length} tenants`} ` +
        'need a reviewer. Open CAVRA to see the exact action and decide.',
    });
    const link = approvalQueueLink(firstTenant, one ? firstId : null);
    notification.on('click', () => options.open(link));
    notification.show();
  }

  return {
    onEvent(envelope) {
      if (envelope.event !== 'approvals.changed') return;
      const payload = envelope.payload as { tenantId?: unknown; id?: unknown; state?: unknown; change?: unknown };
      if (typeof payload.id !== 'string' || typeof payload.tenantId !== 'string') return;
      if (payload.state !== 'pending') {
        // Decided (elsewhere) before the notice went out: nothing to announce about it.
        waiting.delete(payload.id);
        return;
      }
      // Only a request that just opened is news: a verdict that leaves one pending (the first
      // of N approvals) is the same request, already announced.
      if (payload.change !== undefined && payload.change !== 'requested') return;
      waiting.set(payload.id, payload.tenantId);
      timer ??= setTimeout(flush, coalesceMs);
    },
    close() {
      if (timer) clearTimeout(timer);
      timer = null;
      waiting.clear();
    },
  };
}
