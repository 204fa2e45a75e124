import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebContents } from 'electron';
import type { EventEnvelope } from '../core/contract';
import { createCore } from '../core/service';
import { localEvaluationPrincipal } from '../core/identity';
import { parseRoute } from '../renderer/app/route';
import { FakeWebContents, fakeIpc } from '../test/support/transports';
import { tempHome } from '../test/support/temp-home';
import { approvalNotifier, approvalQueueLink } from './approval-notifier';
import type { DesktopNotificationClass } from './approval-notifier';
import { bindContract } from './contract-binding';

// Electron is not loaded here: its Notification is a stand-in that records what would be shown.
function stubNotifications(supported = true) {
  const shown: { title: string; body: string; click: () => void }[] = [];
  class StubNotification {
    private click: () => void = () => undefined;
    constructor(private readonly options: { title: string; body: string }) {}
    static isSupported() {
      return supported;
    }
    on(_event: 'click', listener: () => void) {
      this.click = listener;
      return this;
    }
    show() {
      shown.push({ ...this.options, click: () => this.click() });
    }
  }
  return { Notification: StubNotification as DesktopNotificationClass, shown };
}

const changed = (tenantId: string, id: string, state: string): EventEnvelope => ({
  event: 'approvals.changed',
  tenant: tenantId,
  payload: { tenantId, id, state },
});
const apr = (n: number) => `apr_${String(n).padStart(8, '0')}-0000-4000-8000-000000000000`;

describe('desktop notification for approval requests', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function notifier(options: { focused?: boolean; supported?: boolean } = {}) {
    const stub = stubNotifications(options.supported ?? true);
    const open = vi.fn();
    const watcher = approvalNotifier({
      Notification: stub.Notification,
      windowFocused: () => options.focused ?? false,
      open,
      coalesceMs: 1000,
    });
    return { ...stub, open, watcher };
  }

  it('tells a reviewer in another window that one request waits, and opens it on click', () => {
    const { shown, open, watcher } = notifier();
    watcher.onEvent(changed('acme', apr(1), 'pending'));
    expect(shown).toHaveLength(0);
    vi.advanceTimersByTime(1000);
    expect(shown).toHaveLength(1);
    expect(shown[0]?.title).toBe('An agent is waiting for approval');
    expect(shown[0]?.body).toContain('tenant acme');
    shown[0]?.click();
    expect(open).toHaveBeenCalledWith(approvalQueueLink('acme', apr(1)));
  });

  it('shows one notice for a burst, naming how many and opening the queue itself', () => {
    const { shown, open, watcher } = notifier();
    for (let n = 1; n <= 5; n++) watcher.onEvent(changed('acme', apr(n), 'pending'));
    watcher.onEvent(changed('beta', apr(6), 'pending'));
    vi.advanceTimersByTime(1000);
    expect(shown).toHaveLength(1);
    expect(shown[0]?.title).toBe('6 agent actions are waiting for approval');
    expect(shown[0]?.body).toContain('2 tenants');
    shown[0]?.click();
    expect(open).toHaveBeenCalledWith(approvalQueueLink('acme', null));
    // The next request after the notice is a new notice.
    watcher.onEvent(changed('acme', apr(7), 'pending'));
    vi.advanceTimersByTime(1000);
    expect(shown).toHaveLength(2);
  });

  it('says nothing about a request decided before the notice, about other events, or while the console has focus', () => {
    const quiet = notifier();
    quiet.watcher.onEvent(changed('acme', apr(1), 'pending'));
    quiet.watcher.onEvent(changed('acme', apr(1), 'approved'));
    quiet.watcher.onEvent({
      event: 'tenants.changed',
      tenant: 'acme',
      payload: { tenantId: 'acme', change: 'created' },
    });
    quiet.watcher.onEvent({ event: 'approvals.changed', tenant: 'acme', payload: { id: 42 } } as EventEnvelope);
    vi.advanceTimersByTime(5000);
    expect(quiet.shown).toEqual([]);

    const focused = notifier({ focused: true });
    focused.watcher.onEvent(changed('acme', apr(2), 'pending'));
    vi.advanceTimersByTime(1000);
    expect(focused.shown).toEqual([]);

    const unsupported = notifier({ supported: false });
    unsupported.watcher.onEvent(changed('acme', apr(3), 'pending'));
    vi.advanceTimersByTime(1000);
    expect(unsupported.shown).toEqual([]);
  });

  it('does not announce a verdict that leaves a request pending (the first of N approvals) as a new request', () => {
    const { shown, watcher } = notifier();
    watcher.onEvent({
      ...changed('acme', apr(1), 'pending'),
      payload: { tenantId: 'acme', id: apr(1), state: 'pending', change: 'requested' },
    });
    vi.advanceTimersByTime(1000);
    expect(shown).toHaveLength(1);
    watcher.onEvent({
      ...changed('acme', apr(1), 'pending'),
      payload: { tenantId: 'acme', id: apr(1), state: 'pending', change: 'verdict' },
    });
    vi.advanceTimersByTime(5000);
    expect(shown).toHaveLength(1);
  });

  it('never puts the action in the notice: it shows on lock screens, outside sign-in and roles', () => {
    const { shown, watcher } = notifier();
    // Even an event that carried more than the contract allows would not leak it.
    watcher.onEvent({
      event: 'approvals.changed',
      tenant: 'acme',
      payload: { tenantId: 'acme', id: apr(1), state: 'pending', target: 'curl -H "Authorization: Bearer s3cr3t"' },
    });
    vi.advanceTimersByTime(1000);
    expect(JSON.stringify(shown)).not.toMatch(/s3cr3t|curl|apr_/);
  });

  it('links to what the renderer reads as the approval queue of that tenant (one knowledge, two processes)', () => {
    expect(parseRoute(approvalQueueLink('acme corp', apr(1)))).toEqual({
      screen: 'approvals',
      tenant: 'acme corp',
      item: apr(1),
      filters: {},
    });
    expect(parseRoute(approvalQueueLink('acme', null))).toEqual({
      screen: 'approvals',
      tenant: 'acme',
      item: null,
      filters: {},
    });
  });
});

describe('the notifier sees what the window sees', () => {
  it('is fed the signed-in principal’s events, only once the trusted window is ready', async () => {
    const temp = tempHome();
    const core = createCore({ home: temp.home, shell: 'test', log: () => undefined });
    try {
      const trusted = new FakeWebContents();
      const ipc = fakeIpc(trusted);
      const seen: EventEnvelope[] = [];
      const windowSaw: unknown[] = [];
      trusted.deliver = (_channel, payload) => windowSaw.push(payload);
      bindContract({
        ipcMain: ipc.ipcMain,
        core,
        session: {
          principal: () => localEvaluationPrincipal,
          invoke: (request) => core.invoke(localEvaluationPrincipal, request),
        },
        trustedContents: () => trusted as unknown as WebContents,
        onEvent: (envelope) => seen.push(envelope),
      });
      const create = (id: string) =>
        ipc.invokeAs(trusted, trusted.mainFrame, {
          op: 'tenants.create',
          tenant: null,
          input: { id, displayName: id },
        });
      await create('before');
      expect(seen).toEqual([]);
      ipc.ipcRenderer.send('cavra:ready');
      await create('after');
      expect(seen).toEqual(windowSaw);
      expect(seen.map((e) => e.event)).toEqual(['tenants.changed']);
    } finally {
      await core.close();
      temp.cleanup();
    }
  });
});
