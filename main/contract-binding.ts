import type { IpcMain, IpcMainEvent, IpcMainInvokeEvent, WebContents } from 'electron';
import { ipcChannels } from '../core/contract';
import type { EventEnvelope, Principal, ResponseEnvelope } from '../core/contract';
import type { CoreService } from '../core/service';
import { isAppUrl } from './origin';

export interface ContractBindingOptions {
  ipcMain: IpcMain;
  core: CoreService;
  /** The window's signed-in user (a ConsoleSession): calls run as its principal; roles are looked up by the core. */
  session: { principal(): Principal | null; invoke(request: unknown): Promise<ResponseEnvelope> };
  /** The console window's contents: the only sender trusted to call. */
  trustedContents: () => WebContents | null;
  /** Also told every event the window receives (the desktop notification): the same principal's view, no more. */
  onEvent?: (envelope: EventEnvelope) => void;
  log?: (message: string) => void;
}

/**
 * The main-process half of the guard (HOUSE rule 3): only the main frame of our own window,
 * on app://console, may call; everything else gets `untrusted_sender`. The core does the
 * rest (input parse, principal, tenant and role check, output parse, error envelope, audit).
 */
export function isTrustedSender(event: IpcMainInvokeEvent | IpcMainEvent, trusted: WebContents | null): boolean {
  const frame = event.senderFrame;
  if (!trusted || !frame) return false;
  if (event.sender !== trusted || event.sender.id !== trusted.id) return false;
  if (frame !== event.sender.mainFrame) return false;
  return isAppUrl(frame.url);
}

export function bindContract(options: ContractBindingOptions): () => void {
  const { ipcMain, core } = options;
  const log = options.log ?? (() => undefined);
  const detachers = new Map<number, () => void>();

  ipcMain.handle(ipcChannels.invoke, async (event, request: unknown): Promise<ResponseEnvelope> => {
    if (!isTrustedSender(event, options.trustedContents())) {
      log(`refused a contract call from an untrusted sender (${event.senderFrame?.url ?? 'no frame'})`);
      return { ok: false, error: { code: 'untrusted_sender', message: 'This sender may not call the console' } };
    }
    return options.session.invoke(request);
  });

  // Events flow only after the renderer says it is ready, and only to the trusted window.
  ipcMain.on(ipcChannels.ready, (event) => {
    const principal = options.session.principal();
    if (!isTrustedSender(event, options.trustedContents()) || !principal) return;
    const contents = event.sender;
    detachers.get(contents.id)?.();
    const unsubscribe = core.subscribe(principal, (envelope) => {
      if (contents.isDestroyed()) return;
      contents.send(ipcChannels.event, envelope);
      options.onEvent?.(envelope);
    });
    detachers.set(contents.id, unsubscribe);
    contents.once('destroyed', () => {
      unsubscribe();
      detachers.delete(contents.id);
    });
  });

  return () => {
    ipcMain.removeHandler(ipcChannels.invoke);
    ipcMain.removeAllListeners(ipcChannels.ready);
    for (const detach of detachers.values()) detach();
    detachers.clear();
  };
}
