import type { BrowserWindow, BrowserWindowConstructorOptions } from 'electron';

/** HOUSE rule 4: the one window's options, locked down. Tested against the rule with electron mocked. */
export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1360,
    height: 880,
    minWidth: 960,
    minHeight: 640,
    show: false,
    title: 'CAVRA Enterprise',
    backgroundColor: '#111a27',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      devTools: process.env.CAVRA_DEVTOOLS === '1',
    },
  };
}

export function createMainWindow(
  Window: new (options: BrowserWindowConstructorOptions) => BrowserWindow,
  preloadPath: string,
  entryUrl: string,
): BrowserWindow {
  const window = new Window(mainWindowOptions(preloadPath));
  window.once('ready-to-show', () => window.show());
  void window.loadURL(entryUrl);
  return window;
}
