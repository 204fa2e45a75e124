import { Worker } from 'node:worker_threads';
import type { EventEnvelope, Principal, ResponseEnvelope } from '../contract';
import type { CoreService } from './core';
import type { CoreWorkerData, FromCoreWorker, ToCoreWorker } from './worker-protocol';

export interface CoreWorkerOptions extends CoreWorkerData {
  /** The built worker entry (`dist/core/core-worker.cjs`). */
  entry: string;
  log?: (message: string) => void;
}

const STOPPED: ResponseEnvelope = {
  ok: false,
  error: { code: 'unavailable', message: 'The CAVRA core has stopped; restart the console' },
};

/**
 * The same CoreService, running in a worker thread. If the worker dies, every pending and
 * later call answers `unavailable`: a caller that needs a decision gets a refusal, never a hang.
 */
export async function startCoreWorker(options: CoreWorkerOptions): Promise<CoreService> {
  const log = options.log ?? ((message: string) => process.stderr.write(`[cavra] ${message}\n`));
  const data: CoreWorkerData = { home: options.home, shell: options.shell, gate: options.gate };
  const worker = new Worker(options.entry, { workerData: data });
  const pending = new Map<number, (envelope: ResponseEnvelope) => void>();
  const listeners = new Map<number, (event: EventEnvelope) => void>();
  let nextId = 1;
  let stopped = false;
  let closed: (() => void) | null = null;
  const post = (message: ToCoreWorker) => worker.postMessage(message);

  const ready = new Promise<{ home: string; version: string }>((resolve, reject) => {
    worker.on('message', (message: FromCoreWorker) => {
      switch (message.type) {
        case 'ready':
          return resolve(message);
        case 'fatal':
          return reject(new Error(message.message));
        case 'result':
          pending.get(message.id)?.(message.envelope);
          pending.delete(message.id);
          return;
        case 'event':
          listeners.get(message.subscription)?.(message.event);
          return;
        case 'log':
          return log(message.message);
        case 'closed':
          return closed?.();
      }
    });
    worker.on('error', (error) => {
      log(`core worker failed: ${error.message}`);
      reject(error);
    });
    worker.on('exit', (code) => {
      stopped = true;
      for (const settle of pending.values()) settle(STOPPED);
      pending.clear();
      closed?.();
      reject(new Error(`The core worker exited with code ${code} before it was ready`));
    });
  });
  const { home, version } = await ready;

  return {
    home,
    version,
    invoke(principal: Principal | null, request: unknown) {
      if (stopped) return Promise.resolve(STOPPED);
      const id = nextId++;
      return new Promise<ResponseEnvelope>((resolve) => {
        pending.set(id, resolve);
        post({ type: 'invoke', id, principal, request });
      });
    },
    subscribe(principal: Principal, listener: (event: EventEnvelope) => void) {
      const subscription = nextId++;
      listeners.set(subscription, listener);
      if (!stopped) post({ type: 'subscribe', subscription, principal });
      return () => {
        listeners.delete(subscription);
        if (!stopped) post({ type: 'unsubscribe', subscription });
      };
    },
    close() {
      if (stopped) return Promise.resolve();
      return new Promise<void>((resolve) => {
        closed = resolve;
        post({ type: 'close' });
      }).then(() => worker.terminate().then(() => undefined));
    },
  };
}
