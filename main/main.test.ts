import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Session, WebContents } from 'electron';
import { mainWindowOptions } from './window';
import { hardenSession, hardenWebContents } from './hardening';
import { createAppProtocolHandler, CONTENT_SECURITY_POLICY } from './app-protocol';
import { bindContract } from './contract-binding';
import { createCore } from '../core/service';
import type { CoreService } from '../core/service';
import { localEvaluationPrincipal } from '../core/identity';
import { FakeWebContents, fakeIpc } from '../test/support/transports';
import { tempHome } from '../test/support/temp-home';

describe('window factory (HOUSE rule 4)', () => {
  it('locks the window down', () => {
    const options = mainWindowOptions('/app/preload.cjs');
    expect(options.webPreferences).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
    });
    expect(options.show).toBe(false);
  });
});

describe('web contents and session hardening', () => {
  function fakeContents() {
    const handlers: Record<string, (event: { preventDefault: () => void }, url?: string) => void> = {};
    let openHandler: (() => { action: string }) | null = null;
    const contents = {
      setWindowOpenHandler: (fn: () => { action: string }) => (openHandler = fn),
      on: (name: string, fn: (event: { preventDefault: () => void }, url?: string) => void) => (handlers[name] = fn),
    };
    hardenWebContents(contents as unknown as WebContents);
    const prevented = (name: string, url?: string) => {
      const preventDefault = vi.fn();
      handlers[name]?.({ preventDefault }, url);
      return preventDefault.mock.calls.length > 0;
    };
    return { openHandler: () => openHandler?.(), prevented };
  }

  it('denies new windows, foreign navigation, redirects and webviews', () => {
    const contents = fakeContents();
    expect(contents.openHandler()).toEqual({ action: 'deny' });
    expect(contents.prevented('will-navigate', 'https://evil.example/')).toBe(true);
    expect(contents.prevented('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(contents.prevented('will-navigate', 'app://evil/index.html')).toBe(true);
    expect(contents.prevented('will-navigate', 'app://console/index.html')).toBe(false);
    expect(contents.prevented('will-redirect', 'http://127.0.0.1:8080/')).toBe(true);
    expect(contents.prevented('will-attach-webview')).toBe(true);
  });

  it('denies every permission and any network request from the renderer', () => {
    let requestHandler: ((c: unknown, p: string, cb: (ok: boolean) => void) => void) | null = null;
    let checkHandler: (() => boolean) | null = null;
    let deviceHandler: (() => boolean) | null = null;
    let beforeRequest: ((d: { url: string }, cb: (r: { cancel: boolean }) => void) => void) | null = null;
    const session = {
      setPermissionRequestHandler: (fn: typeof requestHandler) => (requestHandler = fn),
      setPermissionCheckHandler: (fn: typeof checkHandler) => (checkHandler = fn),
      setDevicePermissionHandler: (fn: typeof deviceHandler) => (deviceHandler = fn),
      webRequest: { onBeforeRequest: (fn: typeof beforeRequest) => (beforeRequest = fn) },
    };
    hardenSession(session as unknown as Session);
    const granted = vi.fn();
    requestHandler!(null, 'media', granted);
    expect(granted).toHaveBeenCalledWith(false);
    expect(checkHandler!()).toBe(false);
    expect(deviceHandler!()).toBe(false);
    const cancelled = (url: string) => {
      let result = false;
      beforeRequest!({ url }, (r) => (result = r.cancel));
      return result;
    };
    expect(cancelled('https://evil.example/x.js')).toBe(true);
    expect(cancelled('http://127.0.0.1:4000/api/invoke')).toBe(true);
    expect(cancelled('file:///etc/passwd')).toBe(true);
    expect(cancelled('app://console/assets/index.js')).toBe(false);
  });
});

describe('app:// protocol', () => {
  const temp = tempHome('cavra-protocol-');
  const dir = path.join(temp.home, 'renderer');
  fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html>');
  fs.writeFileSync(path.join(dir, 'assets', 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(temp.home, 'secret.txt'), 'outside the renderer');
  const handler = createAppProtocolHandler(dir);
  afterAll(() => temp.cleanup());

  it('serves renderer files with the CSP', async () => {
    const response = await handler(new Request('app://console/index.html'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("connect-src 'none'");
    const script = await handler(new Request('app://console/assets/app.js'));
    expect(script.headers.get('content-type')).toContain('text/javascript');
  });

  it('refuses traversal, other hosts and other methods', async () => {
    expect((await handler(new Request('app://console/../secret.txt'))).status).toBe(404);
    expect((await handler(new Request('app://console/%2e%2e/secret.txt'))).status).toBe(404);
    expect((await handler(new Request('app://console/assets/%2e%2e%2f..%2fsecret.txt'))).status).toBe(404);
    expect((await handler(new Request('app://other/index.html'))).status).toBe(404);
    expect((await handler(new Request('app://console/index.html', { method: 'POST', body: 'x' }))).status).toBe(405);
  });
});

describe('contract guard over IPC', () => {
  let core: CoreService;
  let cleanup: () => void;
  beforeEach(() => {
    const temp = tempHome();
    cleanup = temp.cleanup;
    core = createCore({ home: temp.home, shell: 'test', log: () => undefined });
  });
  afterEach(() => {
    core.close();
    cleanup();
  });

  function bound() {
    const trusted = new FakeWebContents();
    const ipc = fakeIpc(trusted);
    const log = vi.fn();
    bindContract({
      ipcMain: ipc.ipcMain,
      core,
      session: {
        principal: () => localEvaluationPrincipal,
        invoke: (request) => core.invoke(localEvaluationPrincipal, request),
      },
      trustedContents: () => trusted as unknown as WebContents,
      log,
    });
    return { trusted, ipc, log };
  }

  const request = { op: 'tenants.list', tenant: null, input: {} };

  it('answers the main frame of our own window on app://console', async () => {
    const { trusted, ipc } = bound();
    await expect(ipc.invokeAs(trusted, trusted.mainFrame, request)).resolves.toMatchObject({ ok: true });
  });

  it.each([
    ['another window', () => new FakeWebContents(), (c: FakeWebContents) => c.mainFrame],
    ['a subframe of our window', null, () => ({ url: 'app://console/index.html' })],
    [
      'our window showing a foreign page',
      null,
      (c: FakeWebContents) => Object.assign(c.mainFrame, { url: 'https://evil.example/' }),
    ],
    ['no frame at all', null, () => null],
  ])('refuses %s as an untrusted sender', async (_case, makeSender, frameOf) => {
    const { trusted, ipc, log } = bound();
    const sender = makeSender ? makeSender() : trusted;
    const result = await ipc.invokeAs(sender, frameOf(sender), request);
    expect(result).toMatchObject({ ok: false, error: { code: 'untrusted_sender' } });
    expect(log).toHaveBeenCalled();
  });

  it('answers malformed payloads with an error envelope, never a stack trace', async () => {
    const { trusted, ipc } = bound();
    for (const payload of [
      null,
      'tenants.list',
      { op: 42 },
      { op: 'tenants.list' },
      { op: 'tenants.list', tenant: null, input: {}, extra: 1 },
    ]) {
      const result = (await ipc.invokeAs(trusted, trusted.mainFrame, payload)) as {
        ok: boolean;
        error: { code: string; message: string };
      };
      expect(result.ok).toBe(false);
      expect(result.error.code).toBe('invalid_input');
      expect(result.error.message).not.toMatch(/\n\s+at /);
    }
  });

  it('pushes events only after the ready signal, and only to our window', async () => {
    const { trusted, ipc } = bound();
    const seen: unknown[] = [];
    trusted.deliver = (_channel, payload) => seen.push(payload);
    await ipc.invokeAs(trusted, trusted.mainFrame, {
      op: 'tenants.create',
      tenant: null,
      input: { id: 'before', displayName: 'B' },
    });
    expect(seen).toEqual([]);
    ipc.ipcRenderer.send('cavra:ready');
    await ipc.invokeAs(trusted, trusted.mainFrame, {
      op: 'tenants.create',
      tenant: null,
      input: { id: 'after', displayName: 'A' },
    });
    expect(seen).toEqual([
      { event: 'tenants.changed', tenant: 'after', payload: { tenantId: 'after', change: 'created' } },
    ]);
    trusted.destroy();
    await ipc.invokeAs(trusted, trusted.mainFrame, {
      op: 'tenants.create',
      tenant: null,
      input: { id: 'gone', displayName: 'G' },
    });
    expect(seen).toHaveLength(1);
  });
});
