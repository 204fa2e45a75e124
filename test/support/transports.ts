import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import type { IpcMain, IpcMainInvokeEvent, IpcRenderer, WebContents } from 'electron';
import { createContractClient } from '../../core/contract';
import type { ContractClient, Principal, Transport } from '../../core/contract';
import { createCore, createInMemoryTransport, startCoreWorker } from '../../core/service';
import type { CoreService } from '../../core/service';
import { ConsoleSession, localEvaluationPrincipal } from '../../core/identity';
import { startBrowserHost } from '../../cli/browser-host';
import { createBridgeTransport } from '../../renderer/bridge/transport';
import { bindContract } from '../../main/contract-binding';
import { createPreloadApi } from '../../preload/api';
import { tempHome } from './temp-home';

export interface TransportHarness {
  name: string;
  core: CoreService;
  home: string;
  client: ContractClient;
  close(): Promise<void>;
}

type Listener = (...args: unknown[]) => void;

/**
 * A stand-in for Electron's IPC pair, named as the mock it is: ipcMain handlers and listeners
 * are called with an event whose sender is the given WebContents-like object.
 */
export function fakeIpc(contents: FakeWebContents) {
  const handlers = new Map<string, (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown>();
  const mainListeners = new Map<string, Listener[]>();
  const rendererListeners = new Map<string, Listener[]>();
  const eventFrom = (sender: FakeWebContents, frame = sender.mainFrame) =>
    ({ sender, senderFrame: frame }) as unknown as IpcMainInvokeEvent;
  contents.deliver = (channel, payload) => {
    for (const listener of rendererListeners.get(channel) ?? []) listener({}, payload);
  };
  const ipcMain = {
    handle: (channel: string, handler: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown) =>
      handlers.set(channel, handler),
    removeHandler: (channel: string) => handlers.delete(channel),
    on: (channel: string, listener: Listener) =>
      mainListeners.set(channel, [...(mainListeners.get(channel) ?? []), listener]),
    removeAllListeners: (channel: string) => mainListeners.delete(channel),
  } as unknown as IpcMain;
  const ipcRenderer = {
    invoke: async (channel: string, ...args: unknown[]) => handlers.get(channel)?.(eventFrom(contents), ...args),
    send: (channel: string, ...args: unknown[]) => {
      for (const listener of mainListeners.get(channel) ?? []) listener(eventFrom(contents), ...args);
    },
    on: (channel: string, listener: Listener) =>
      rendererListeners.set(channel, [...(rendererListeners.get(channel) ?? []), listener]),
    removeListener: () => undefined,
  } as unknown as IpcRenderer;
  /** Calls the invoke handler as an arbitrary sender/frame would. */
  const invokeAs = (sender: FakeWebContents, frame: unknown, payload: unknown) =>
    handlers.get('cavra:invoke')?.({ sender, senderFrame: frame } as unknown as IpcMainInvokeEvent, payload);
  return { ipcMain, ipcRenderer, invokeAs };
}

export class FakeWebContents {
  static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  readonly mainFrame: { url: string };
  deliver: (channel: string, payload: unknown) => void = () => undefined;
  private destroyedListeners: (() => void)[] = [];
  constructor(url = 'app://console/index.html') {
    this.mainFrame = { url };
  }
  send(channel: string, payload: unknown) {
    this.deliver(channel, payload);
  }
  isDestroyed() {
    return false;
  }
  once(event: string, listener: () => void) {
    if (event === 'destroyed') this.destroyedListeners.push(listener);
  }
  destroy() {
    this.destroyedListeners.forEach((listener) => listener());
  }
}

function newCore(): { core: CoreService; home: string; cleanup: () => void } {
  const { home, cleanup } = tempHome();
  return { core: createCore({ home, shell: 'test', log: () => undefined }), home, cleanup };
}

/** The core in its worker thread, as the desktop app and browser mode run it (built by global setup). */
export const coreWorkerEntry = path.resolve(import.meta.dirname, '..', '..', 'dist', 'core', 'core-worker.cjs');

async function newWorkerCore(): Promise<{ core: CoreService; home: string; cleanup: () => void }> {
  const { home, cleanup } = tempHome();
  return {
    core: await startCoreWorker({ entry: coreWorkerEntry, home, shell: 'test', gate: null, log: () => undefined }),
    home,
    cleanup,
  };
}

export async function inMemoryHarness(principal: Principal = localEvaluationPrincipal): Promise<TransportHarness> {
  const { core, home, cleanup } = newCore();
  return {
    name: 'in-memory',
    core,
    home,
    client: createContractClient(createInMemoryTransport(core, principal)),
    close: async () => {
      core.close();
      cleanup();
    },
  };
}

export async function bridgeHarness(): Promise<TransportHarness> {
  const { core, home, cleanup } = await newWorkerCore();
  const staticDir = tempHome('cavra-static-');
  fs.writeFileSync(`${staticDir.home}/index.html`, '<!doctype html><title>test</title>');
  const host = await startBrowserHost({ core, signIn: 'local_evaluation', staticDir: staticDir.home });
  const transport: Transport = createBridgeTransport({
    baseUrl: host.url,
    token: host.token,
    WebSocket: WebSocket as unknown as new (url: string, protocols: string[]) => globalThis.WebSocket,
  });
  const client = createContractClient(transport);
  return {
    name: 'bridge',
    core,
    home,
    client,
    close: async () => {
      await host.close();
      await core.close();
      cleanup();
      staticDir.cleanup();
    },
  };
}

/** A console session signed in as the labelled local evaluator, as `--local-evaluation` does. */
async function localSession(core: CoreService): Promise<ConsoleSession> {
  const session = new ConsoleSession(core, () => 'http://127.0.0.1:1/auth/callback');
  await session.signInLocally();
  return session;
}

export async function electronIpcHarness(): Promise<TransportHarness> {
  const { core, home, cleanup } = await newWorkerCore();
  const contents = new FakeWebContents();
  const { ipcMain, ipcRenderer } = fakeIpc(contents);
  const unbind = bindContract({
    ipcMain,
    core,
    session: await localSession(core),
    trustedContents: () => contents as unknown as WebContents,
  });
  const client = createContractClient(createPreloadApi(ipcRenderer));
  return {
    name: 'electron-ipc',
    core,
    home,
    client,
    close: async () => {
      unbind();
      await core.close();
      cleanup();
    },
  };
}
