import { describe, expect, it, vi } from 'vitest';
import { createPreloadApi } from './api';

describe('preload client', () => {
  function fakeIpcRenderer() {
    return {
      invoke: vi.fn(async () => ({ ok: true, value: {} })),
      on: vi.fn(),
      removeListener: vi.fn(),
      send: vi.fn(),
    };
  }

  it('is frozen and exposes only send and subscribe', () => {
    const api = createPreloadApi(fakeIpcRenderer());
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.keys(api).sort()).toEqual(['send', 'subscribe']);
  });

  it('sends only contract operations, on the invoke channel, with nothing extra', async () => {
    const ipc = fakeIpcRenderer();
    const api = createPreloadApi(ipc);
    await api.send({ op: 'tenants.list', tenant: null, input: {}, sneaky: 1 } as never);
    expect(ipc.invoke).toHaveBeenCalledWith('cavra:invoke', { op: 'tenants.list', tenant: null, input: {} });
    const refused = await api.send({ op: 'fs.readFile', tenant: null, input: {} });
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_input', field: 'op' } });
    expect(ipc.invoke).toHaveBeenCalledTimes(1);
  });

  it('signals ready once, on the first subscription, and never passes the IPC event to listeners', () => {
    const ipc = fakeIpcRenderer();
    const api = createPreloadApi(ipc);
    const listener = vi.fn();
    api.subscribe(listener);
    api.subscribe(vi.fn());
    expect(ipc.send).toHaveBeenCalledTimes(1);
    expect(ipc.send).toHaveBeenCalledWith('cavra:ready');
    const relay = ipc.on.mock.calls[0]?.[1] as (event: unknown, payload: unknown) => void;
    relay({ sender: 'ipc-internals' }, { event: 'tenants.changed' });
    expect(listener).toHaveBeenCalledWith({ event: 'tenants.changed' });
  });
});
