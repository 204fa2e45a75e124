import path from 'node:path';
import { app, BrowserWindow, ipcMain, protocol, session } from 'electron';
import { createCore } from '../core/service';
import { localEvaluationPrincipal } from '../core/identity';
import { createAppProtocolHandler } from './app-protocol';
import { bindContract } from './contract-binding';
import { hardenSession, hardenWebContents } from './hardening';
import { APP_ENTRY_URL, APP_SCHEME } from './origin';
import { createMainWindow } from './window';

// Electron main: one locked window over app://console, the core in this process, and
// every contract call through the guard in contract-binding.ts.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: false, corsEnabled: false } },
]);
app.enableSandbox();

if (!app.requestSingleInstanceLock()) app.quit();

app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));

app.whenReady().then(
  () => {
    const dist = path.resolve(__dirname, '..');
    // CAVRA_HOME wins; otherwise the OS application-data directory Electron knows as userData.
    const home = process.env.CAVRA_HOME?.trim() ? path.resolve(process.env.CAVRA_HOME) : app.getPath('userData');
    const core = createCore({ home, shell: 'desktop' });
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
    bindContract({
      ipcMain,
      core,
      principal: () => localEvaluationPrincipal,
      trustedContents: () => window?.webContents ?? null,
      log: (message) => process.stderr.write(`[cavra] ${message}\n`),
    });

    app.on('second-instance', () => window?.focus());
    app.on('window-all-closed', () => {
      core.close();
      app.quit();
    });
  },
  (error: unknown) => {
    process.stderr.write(`CAVRA failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    app.exit(1);
  },
);
