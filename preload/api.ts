import type { IpcRenderer, IpcRendererEvent } from 'electron';
import { ipcChannels, isOperationName } from '../core/contract/names';

export interface PreloadApi {
  send(request: { op: string; tenant: string | null; input: unknown }): Promise<unknown>;
  subscribe(listener: (event: unknown) => void): () => void;
}

/**
 * The only thing the renderer can reach (HOUSE rule 4): a frozen client that sends known
 * contract operations and delivers events, never exposing ipcRenderer or the IPC event.
 */
export function createPreloadApi(ipc: Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener' | 'send'>): PreloadApi {
  const listeners = new Set<(event: unknown) => void>();
  let attached = false;
  const relay = (_event: IpcRendererEvent, envelope: unknown) => {
    for (const listener of listeners) listener(envelope);
  };
  return Object.freeze({
    send(request: { op: string; tenant: string | null; input: unknown }) {
      if (!request || !isOperationName(request.op)) {
        return Promise.resolve({
          ok: false,
          error: { code: 'invalid_input', message: 'op: unknown operation', field: 'op' },
        });
      }
      return ipc.invoke(ipcChannels.invoke, { op: request.op, tenant: request.tenant ?? null, input: request.input });
    },
    subscribe(listener: (event: unknown) => void) {
      listeners.add(listener);
      if (!attached) {
        attached = true;
        ipc.on(ipcChannels.event, relay);
        ipc.send(ipcChannels.ready);
      }
      return () => {
        listeners.delete(listener);
      };
    },
  });
}
