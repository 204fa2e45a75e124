import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { electronBinary, NO_ELECTRON_MESSAGE } from './electron-binary';

const binary = electronBinary();
if (binary === null) console.log(NO_ELECTRON_MESSAGE);
test.skip(binary === null, NO_ELECTRON_MESSAGE);

test('the desktop app opens one locked window on app://console with the default tenant', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-electron-'));
  const app = await electron.launch({
    executablePath: binary ?? undefined,
    args: [path.resolve(import.meta.dirname, '../..')],
    env: { ...process.env, CAVRA_HOME: home },
  });
  try {
    const window = await app.firstWindow();
    expect(window.url()).toBe('app://console/index.html');
    await expect(window.getByTestId('system-info')).toContainText('CAVRA Enterprise');
    const exposed = await window.evaluate(() => Object.keys((window as unknown as { cavra: object }).cavra).sort());
    expect(exposed).toEqual(['send', 'subscribe']);
    expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
    expect(app.windows()).toHaveLength(1);
  } finally {
    await app.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
});
