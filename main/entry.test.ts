import { beforeEach, describe, expect, it, vi } from 'vitest';
import { tempHome } from '../test/support/temp-home';

// The Electron binary cannot run here: this mocks the `electron` module (a named mock, HOUSE
// rule 10) and checks that the entry wires the locked window, the protocol and the guard.
const calls = vi.hoisted(() => ({
  schemes: [] as unknown[],
  sandbox: 0,
  windows: [] as { options: Record<string, unknown>; url: string }[],
  handled: [] as string[],
  protocols: [] as string[],
  contentsHooks: 0,
  appHandlers: new Map<string, () => void>(),
  quit: 0,
}));

vi.mock('electron', () => {
  class BrowserWindow {
    webContents = { id: 1 };
    constructor(readonly options: Record<string, unknown>) {}
    once() {}
    on() {}
    loadURL(url: string) {
      calls.windows.push({ options: this.options, url });
      return Promise.resolve();
    }
  }
  return {
    app: {
      enableSandbox: () => calls.sandbox++,
      requestSingleInstanceLock: () => true,
      quit: () => calls.quit++,
      exit: vi.fn(),
      on: (name: string, handler: () => void) => {
        if (name === 'web-contents-created') calls.contentsHooks++;
        calls.appHandlers.set(name, handler);
      },
      whenReady: () => Promise.resolve(),
      getPath: () => '/nonexistent',
    },
    BrowserWindow,
    // Named stand-in: the entry hands it to the approval notifier (main/approval-notifier.test.ts).
    Notification: class {
      static isSupported = () => false;
      on() {}
      show() {}
    },
    shell: { openExternal: vi.fn() },
    ipcMain: { handle: (channel: string) => calls.handled.push(channel), on: vi.fn() },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => calls.schemes.push(...schemes),
      handle: (scheme: string) => calls.protocols.push(scheme),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: vi.fn(),
        setPermissionCheckHandler: vi.fn(),
        setDevicePermissionHandler: vi.fn(),
        webRequest: { onBeforeRequest: vi.fn() },
      },
    },
  };
});

describe('main entry (electron mocked)', () => {
  const { home, cleanup } = tempHome();
  beforeEach(() => {
    process.env.CAVRA_HOME = home;
  });

  it('registers app:// as a secure scheme, enables the sandbox, starts the core worker, binds the guard and opens one locked window', async () => {
    await import('./index');
    // The window opens once the core worker is up (a second or more on a busy machine).
    await vi.waitFor(() => expect(calls.windows).toHaveLength(1), { timeout: 15_000, interval: 50 });
    expect(calls.schemes).toEqual([
      expect.objectContaining({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }),
    ]);
    expect(calls.sandbox).toBe(1);
    expect(calls.contentsHooks).toBe(1);
    expect(calls.protocols).toEqual(['app']);
    expect(calls.handled).toEqual(['cavra:invoke']);
    expect(calls.windows[0]?.url).toBe('app://console/index.html');
    expect(calls.windows[0]?.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    });
    // Closing the last window stops the core worker, then quits.
    calls.appHandlers.get('window-all-closed')?.();
    await vi.waitFor(() => expect(calls.quit).toBe(1));
    delete process.env.CAVRA_HOME;
    cleanup();
  });
});
