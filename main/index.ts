import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { app, BrowserWindow, ipcMain, Notification, protocol, session, shell } from 'electron';
import { startCoreWorker } from '../core/service';
import { ConsoleSession } from '../core/identity';
import { signInCallback } from './sign-in-callback';
import { createAppProtocolHandler } from './app-protocol';
import { approvalNotifier } from './approval-notifier';
import { bindContract } from './contract-binding';
import { hardenSession, hardenWebContents } from './hardening';
import { APP_ENTRY_URL, APP_SCHEME } from './origin';
import { distDir } from './paths';
import { createMainWindow } from './window';

// Electron main: one locked window over app://console, the core in its worker thread, and
// every contract call through the guard in contract-binding.ts.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: false, corsEnabled: false } },
]);
app.enableSandbox();

if (!app.requestSingleInstanceLock()) app.quit();

app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));

async function start(): Promise<void> {
  const dist = distDir();
  const log = (message: string) => process.stderr.write(`[cavra] ${message}\n`);
  // CAVRA_HOME wins; otherwise the OS application-data directory Electron knows as userData.
  const home = process.env.CAVRA_HOME?.trim() ? path.resolve(process.env.CAVRA_HOME) : app.getPath('userData');
  // SQLite and every service run in the core's worker thread, off this event loop (HOUSE rule 6).
  const core = await startCoreWorker({
    entry: path.join(dist, 'core', 'core-worker.cjs'),
    home,
    shell: 'desktop',
    // The desktop console is the runtime gate for its data directory (SPEC §4).
    gate: {},
    log,
  });
  hardenSession(session.defaultSession);
  protocol.handle(APP_SCHEME, createAppProtocolHandler(path.join(dist, 'renderer')));

  let window: BrowserWindow | null = createMainWindow(
    BrowserWindow,
    path.join(dist, 'preload', 'preload.cjs'),
    APP_ENTRY_URL,
  );
  window.on('closed', () => {
    window = null;
  });
  // Sign-in (RFC 8252): the system browser goes to the IdP, which redirects to this loopback port.
  let callbackPort = 0;
  const signIn = new ConsoleSession(
    core,
    () => `http://127.0.0.1:${callbackPort}/auth/callback`,
    (url) => void shell.openExternal(url),
  );
  const callback = http.createServer(
    signInCallback({
      port: () => callbackPort,
      complete: (url) => signIn.complete(url),
      // A step-up returns to the queue, where the page says the outcome; a sign-in starts the
      // console over as the signed-in user (its event subscription too).
      open: (link) => {
        if (link === '') window?.webContents.reload();
        else void window?.webContents.loadURL(`${APP_ENTRY_URL}${link}`);
      },
    }),
  );
  await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
  callbackPort = (callback.address() as AddressInfo).port;
  // New approval requests reach a reviewer who is in another window (issue 13).
  const notifier = approvalNotifier({
    Notification,
    windowFocused: () => window?.isFocused() ?? false,
    open: (link) => {
      if (!window) return;
      if (window.isMinimized()) window.restore();
      window.show();
      window.focus();
      // Only the fragment changes: the page stays, the console's router opens the queue.
      void window.webContents.loadURL(`${APP_ENTRY_URL}${link}`);
    },
  });
  bindContract({
    ipcMain,
    core,
    session: signIn,
    trustedContents: () => window?.webContents ?? null,
    onEvent: notifier.onEvent,
    log,
  });

  app.on('second-instance', () => window?.focus());
  app.on('window-all-closed', () => {
    notifier.close();
    callback.close();
    void Promise.resolve(core.close()).finally(() => app.quit());
  });
}

app
  .whenReady()
  .then(start)
  .catch((error: unknown) => {
    process.stderr.write(`CAVRA failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    app.exit(1);
  });
